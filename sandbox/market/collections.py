"""Collections of stopped platforms: strategic default (逃废债), monthly recoveries, the wind-down's end.

A platform *stops* when it leaves normal business: it fails or is told to exit
(failure, orderly exit, exit campaign, licence refusal or revocation: status
``resolving``), or, still operating, it has been told to exit and makes no new
loans (``exiting``). Its borrowers know it will not lend to them again, so some
stop paying it: each month a borrower of a stopped platform walks away with
probability

``walk_away × (1 − effort) × (1 − reporting_deterrence × defaulter_reporting)``

where ``effort`` is the platform's collection effort (``orderly_effort`` for an
orderly wind-down or exit, ``disorderly_effort`` for a collapse or flight,
raised by a resolution rule's ``recovery_uplift``: ``1 − effort`` shrinks by
that share) and ``defaulter_reporting`` (a :class:`~sandbox.market.policy.Policy`
lever, set by the blacklist rule) is the share of defaulters reported to credit
bureaus. Both are read each month, so a rule that starts later acts on
wind-downs already running.

What a wind-down collects reaches investors month by month: each month a
resolving platform pays its cash, up to their claims, pro rata per unit
(:func:`distribute`). Its losses become final when it closes
(:func:`close`): when its loan book has run off, or at the end of its
wind-down, when the loans left are sold at a discount; claims the last payout
does not cover are written off then.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from sandbox.market.accounting import TOLERANCE_YUAN
from sandbox.market.platforms import CLOSED, RESOLVING

if TYPE_CHECKING:
    from sandbox.market.investors import InvestorPopulation
    from sandbox.market.model import SandboxModel
    from sandbox.market.params import CollectionBehaviour
    from sandbox.market.platforms import PlatformBook
    from sandbox.market.policy import Policy


def stopped(book: PlatformBook) -> np.ndarray:
    """Platforms that have stopped normal business: winding down, or operating under an exit order."""
    n = book.n
    return (book.status[:n] == RESOLVING) | (book.alive() & book.exiting[:n])


def strategic_default(book: PlatformBook, policy: Policy, behaviour: CollectionBehaviour) -> np.ndarray:
    """Monthly probability that a borrower stops paying each platform row (0 where it operates normally).

    Returns an array over every row of the book, the outside buyer's included (0: a
    debt buyer collects).
    """
    n = book.n
    # An exiting platform still operates and collects as an orderly wind-down would.
    orderly = book.orderly[:n] | (book.status[:n] != RESOLVING)
    effort = np.where(orderly, behaviour.orderly_effort, behaviour.disorderly_effort)
    slack = (1 - effort) * (1 - policy.recovery_uplift)  # a resolution rule supports collection
    deterred = 1 - behaviour.reporting_deterrence * policy.defaulter_reporting
    out = np.zeros(book.capacity + 1)
    out[:n] = np.where(stopped(book), behaviour.walk_away * slack * deterred, 0.0)
    return out


def pay_investors(investors: InvestorPopulation, per_unit: np.ndarray, among: np.ndarray | None = None) -> None:
    """Pay every holding ``units × per_unit[platform]`` (an interim distribution: units stay);
    ``among``: see :func:`holdings_paid`."""
    investors.receive_distribution(per_unit, among)


def paying(book: PlatformBook, closing: np.ndarray) -> np.ndarray:
    """Resolving platforms (first ``n`` rows) that pay an interim distribution this month:
    with cash and claims, and not ``closing`` (rows)."""
    n = book.n
    out = (book.status[:n] == RESOLVING) & (book.units[:n] > 0) & (book.cash[:n] > 0)
    out[closing] = False
    return out


def holdings_paid(model: SandboxModel, closing: np.ndarray) -> np.ndarray | None:
    """Flat indices of the holdings that :func:`distribute` and :func:`close` pay this month
    (on paying or ``closing`` platforms), found in one scan of the holdings instead of one
    each (a pass over every holding, 15 million at national scale); ``None`` if no platform
    pays. Holdings do not move between the two: a distribution leaves units in place."""
    book = model.book
    n = book.n
    rows = np.zeros(book.capacity + 1, dtype=bool)
    rows[:n] = paying(book, closing)
    rows[closing] = True
    return model.investors.holdings_on(rows) if rows.any() else None


def distribute(model: SandboxModel, closing: np.ndarray, among: np.ndarray | None = None) -> None:
    """Resolving platforms not ``closing`` this month pay all their cash to investors, pro rata per unit.

    Their cash is below their claims (one that could pay every claim closes:
    :func:`ending`), so the claim per unit falls by what is paid but stays
    positive; claims and cash fall together and equity does not move. ``among``:
    see :func:`holdings_paid`.
    """
    book = model.book
    n = book.n
    units = book.units[:n]
    pays = paying(book, closing)
    if not pays.any():
        return
    payout = np.where(pays, book.cash[:n], 0.0)
    per_unit = np.zeros(book.capacity + 1)
    per_unit[:n] = np.divide(payout, units, out=np.zeros(n), where=pays)
    pay_investors(model.investors, per_unit, among)
    book.cash[:n] -= payout
    book.unit_value[:n] -= per_unit[:n]
    book.recovered[:n] += payout


def ending(model: SandboxModel) -> np.ndarray:
    """Resolving platforms whose wind-down ends this month: at its end, once its loans have
    run off, or once its cash covers every claim."""
    book = model.book
    n = book.n
    run_off = book.loans[:n] < TOLERANCE_YUAN
    due = book.resolution_end[:n] <= model.month
    covered = book.cash[:n] >= book.claims()
    return np.flatnonzero((book.status[:n] == RESOLVING) & (due | run_off | covered))


def close(model: SandboxModel, rows: np.ndarray, among: np.ndarray | None = None) -> None:
    """End wind-downs: sell the remaining loans, pay investors pro rata, write off the rest.
    ``among``: see :func:`holdings_paid`."""
    if rows.size == 0:
        return
    book, res = model.book, model.config.market.wind_down
    n, size = book.n, book.capacity + 1
    mark = np.zeros(size, dtype=bool)
    mark[rows] = True
    moved = model.borrowers.transfer(mark, np.ones(size), book.buyer, model.streams.platforms)[:n]
    discount = np.where(book.orderly[:n], res.orderly_sale_discount, res.disorderly_sale_discount)
    discount = discount * (1 - model.policy.recovery_uplift)
    model._sell_loans(moved, discount)
    claims = book.units[:n] * book.unit_value[:n]
    cash = np.maximum(book.cash[:n], 0.0)
    payout = np.where(mark[:n], np.minimum(cash, claims), 0.0)
    per_unit = np.zeros(size)
    per_unit[:n] = np.divide(payout, book.units[:n], out=np.zeros(n), where=mark[:n] & (book.units[:n] > 0))
    new_losers = model.investors.pay_out_failed(mark, per_unit, among)
    model.recorder.count("new_losers", int(new_losers.size))
    book.cash[:n] -= payout
    book.equity_flow[:n] += np.where(mark[:n], claims - payout, 0.0)
    book.recovered[:n] += payout
    book.units[rows] = 0.0
    left = book.cash[rows].copy()  # what remains goes back to the owners
    book.cash[rows] = 0.0
    book.equity_flow[rows] -= left
    model.ledger.owners_out += float(left.sum())
    book.status[rows] = CLOSED
