"""Platforms' choices under a deadline to stop: wind down, convert, or carry on.

An exit campaign, a licensing deadline or a pool ban does not close platforms.
It writes into the month's :class:`~sandbox.market.policy.Policy` a deadline per
platform (``exit_deadline``) after which operating is illegal, a fine for one
caught operating, and the regulators' capacity to check (``enforcement_capacity``);
a campaign also stops new business (``book.exiting``), so books run off. Each
month every platform facing a deadline weighs its options:

- **carry on**: it keeps its monthly margin and risks, once the deadline has
  passed, being caught (chance ``q`` = enforcement capacity over the platforms
  operating illegally, at most 1) and paying the fine before being ordered out.
  A deadline ``k`` months off weighs ``foresight ** k`` of that risk;
- **wind down** in an orderly way (:meth:`~sandbox.market.model.SandboxModel.order_exit`):
  it gives up its margin (its franchise) and avoids the penalty;
- **convert** to another licensed business (cause ``converted``, WDZJ's 转型): as
  a wind-down of its P2P book, open only to a solvent platform with paid-in
  capital of at least ``behaviour.campaign.conversion_capital``.

A platform reconsiders with probability ``review`` a month and then leaves
with probability ``E / (E + max(margin, 0))``, where ``E = q x fine x foresight ** k``
is the expected penalty of carrying on a month and the margin is this month's
(:func:`monthly_margin`, as the model counts it): one losing money leaves when it
reconsiders (ruin), one earning much more than the expected penalty stays. A
fraud never winds down: its abscond chance next month rises by
``fraud_flight x q x foresight ** k``. So the number operating falls as margins
shrink and enforcement bites, not on a schedule.

Regulators catch platforms operating after their deadline
(:func:`catch_illegal_operators`): up to the capacity, at random among them
(operating a P2P site is public; who is checked is not), each pays the fine and
is ordered to exit (a fraud's licence is revoked).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from sandbox.market.platforms import CONVERTED, FRAUD, INTERMEDIARY

if TYPE_CHECKING:
    from sandbox.market.model import SandboxModel
    from sandbox.market.policy import Policy
    from sandbox.market.regulator import Regulator


def operating_illegally(model: SandboxModel, policy: Policy) -> np.ndarray:
    """Platforms still operating in a month at or after their exit deadline, or carrying more
    loans than their balance-reduction path allows (mask over the book)."""
    book = model.book
    n = book.n
    breach = book.loans[:n] > policy.loan_ceiling[:n]
    return book.alive() & ((policy.exit_deadline[:n] <= model.month) | breach)


def inspection_chance(model: SandboxModel, policy: Policy) -> np.ndarray:
    """Each platform's chance of being checked in a month it operates illegally (0 to 1).

    Capacity over the number that will be operating illegally: those past their
    deadline now; for a platform whose deadline is still ahead, every platform
    then facing a deadline (all of them would be illegal if none left).
    """
    book = model.book
    n = book.n
    alive = book.alive()
    facing = alive & np.isfinite(policy.exit_deadline[:n])
    illegal = operating_illegally(model, policy)
    cap = float(policy.enforcement_capacity)
    now = min(1.0, cap / max(int(illegal.sum()), 1))
    later = min(1.0, cap / max(int(facing.sum()), 1))
    return np.where(illegal, now, later)


def monthly_margin(model: SandboxModel) -> np.ndarray:
    """This month's margin per platform (yuan), as the model counts it for ``loss_months``:
    an intermediary's fee (at most the interest received), another platform's interest less
    default losses, less running costs. Read from the book's running totals, whose last
    values this module keeps (in ``model.rule_state``)."""
    book = model.book
    n = book.n
    seen: dict[str, np.ndarray] = model.rule_state("choices.margin", dict)
    income = book.interest_income[:n].copy()
    loss = book.default_loss[:n].copy()
    last_income = np.zeros(n)
    last_loss = np.zeros(n)
    if "income" in seen:
        k = min(n, seen["income"].size)
        last_income[:k], last_loss[:k] = seen["income"][:k], seen["loss"][:k]
    seen["income"], seen["loss"] = income, loss
    interest, lost = income - last_income, loss - last_loss
    fee = model.config.market.platforms.fee / 12.0 * book.loans[:n]
    earned = np.where(book.kind[:n] == INTERMEDIARY, np.minimum(fee, np.maximum(interest, 0.0)), interest - lost)
    return earned - book.last_cost[:n]


def choose(model: SandboxModel) -> None:
    """Step 9, after the regulators: platforms facing a deadline wind down, convert or carry on.

    Draws from ``model.streams.campaign`` only when some platform faces a deadline,
    so a regime without one keeps every draw it had.
    """
    book, policy, beh = model.book, model.policy, model.behaviour.campaign
    n = book.n
    margin = np.maximum(monthly_margin(model), 0.0)  # every month, so its running totals stay current
    facing = book.alive() & np.isfinite(policy.exit_deadline[:n])
    if not facing.any():
        return
    months_left = np.maximum(np.where(facing, policy.exit_deadline[:n], model.month) - model.month, 0)
    weight = beh.foresight**months_left
    q = inspection_chance(model, policy) * weight
    fraud = book.kind[:n] == FRAUD
    book.abscond_pressure[:n] += np.where(facing & fraud, beh.fraud_flight * q, 0.0)
    penalty = q * policy.illegal_fine
    leave_share = np.divide(penalty, penalty + margin, out=np.ones(n), where=penalty + margin > 0)
    rng = model.streams.campaign
    reviews = rng.random(n) < beh.review
    leaves = rng.random(n) < leave_share
    leaving = facing & ~fraud & reviews & leaves
    can_convert = (book.capital[:n] >= beh.conversion_capital) & (book.equity() >= 0)
    model.fail(np.flatnonzero(leaving & can_convert), CONVERTED, orderly=True)
    model.order_exit(np.flatnonzero(leaving & ~can_convert))


def catch_illegal_operators(regulator: Regulator, policy: Policy, capacity: int) -> None:
    """``regulator`` checks up to ``capacity`` platforms of its regions operating after their
    deadline, at random: each pays the fine and is ordered to exit (a fraud is revoked)."""
    model = regulator.model
    book = model.book
    mine = regulator.covers()
    illegal = np.flatnonzero(operating_illegally(model, policy) & mine)
    if capacity <= 0 or illegal.size == 0:
        return
    caught = np.sort(model.streams.campaign.choice(illegal, size=min(capacity, illegal.size), replace=False))
    regulator.inspections += caught.size
    regulator.findings += caught.size
    regulator.actions["fine"] += caught.size
    for row in caught:
        model.charge_fine(int(row), policy.illegal_fine)
    fraud = caught[book.kind[caught] == FRAUD]
    book.detected_month[fraud] = model.month
    regulator.revoke(fraud, policy)
    model.order_exit(caught[book.kind[caught] != FRAUD])
