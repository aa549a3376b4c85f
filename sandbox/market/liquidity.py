"""Liquidity: who promises investors their money back, and how a platform pays withdrawals.

Every platform carries a *liquidity promise* (``PlatformBook.guaranteed``):

- a pool promises par on demand (its claims are payable at once);
- a fraud promises everything, on demand;
- an intermediary with an implicit guarantee (刚性兑付, a share
  ``market.platforms.guaranteed_share`` of intermediaries) promises par on its
  notes as they mature: each month ``1 / note_months`` of what its investors ask
  for falls due;
- a pure-matching intermediary promises only what its borrowers repay.

A platform with a promise pays what is due at par from cash. Short of cash, a
pool sells loans to the outside buyer at the fire-sale discount, a guaranteed
intermediary sells them on the transfer market at a discount that deepens as
confidence in its look-alike cluster falls (:func:`transfer_discount`); the
discount is a loss to its equity, which its capital absorbs. What it still
cannot pay leaves it *short*: it fails as an illiquidity run in the failure test.

A pure-matching intermediary pays at par what its cash covers; investors who
want more out sell their notes on the transfer market: the loans behind them go
to the buyer at the discount, and the seller bears it. It is never short, so it
cannot be run into failure.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from sandbox.market.arrays import sum_by
from sandbox.market.platforms import INTERMEDIARY, POOL

if TYPE_CHECKING:
    from sandbox.market.investors import Orders
    from sandbox.market.model import SandboxModel
    from sandbox.market.params import PlatformParams

#: A platform paid less than this share short of what was due paid it all (rounding).
ROUNDING = 1e-9


def liquidity_promise(
    kind: np.ndarray, params: PlatformParams, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray]:
    """Each new platform's promise and note maturity (months) from its business model.

    Pools and frauds promise par on demand (maturity 1); an intermediary promises
    par on notes of ``note_months`` with probability ``guaranteed_share``.
    """
    draw = rng.random(kind.size)
    intermediary = kind == INTERMEDIARY
    guaranteed = ~intermediary | (draw < params.guaranteed_share)
    note_months = np.where(intermediary & guaranteed, float(params.note_months), 1.0)
    return guaranteed, note_months


def transfer_discount(model: SandboxModel) -> np.ndarray:
    """The transfer market's discount on each platform's loans this month (first ``n`` rows).

    Buyers pay less when confidence in the platform's look-alike cluster is low:
    ``transfer_discount + transfer_stress_discount × (1 − confidence)``.
    """
    n, b = model.book.n, model.behaviour.platforms
    confidence = model.environment.confidence_by_row(model.cluster_of(np.arange(n)), n)
    return b.transfer_discount + b.transfer_stress_discount * (1.0 - np.clip(confidence, 0.0, 1.0))


def _fire_sale(model: SandboxModel, mark: np.ndarray, need: np.ndarray) -> np.ndarray:
    """A pool's fire sale: a random share of each marked pool's loans, about ``need`` yuan of
    principal, goes to the outside buyer (the pools' draws, as they always were).

    Returns the principal moved per platform (first ``n`` rows); the caller books the price.
    """
    book = model.book
    n, size = book.n, book.capacity + 1
    if not mark.any():
        return np.zeros(n)
    share = np.zeros(size)
    share[:n] = np.where(mark, np.minimum(1.0, need / np.maximum(book.loans[:n], 1e-9)), 0.0)
    marked = np.zeros(size, dtype=bool)
    marked[:n] = mark
    return model.borrowers.transfer(marked, share, book.buyer, model.streams.platforms)[:n]


def _transfer(model: SandboxModel, need: np.ndarray, cover: bool) -> np.ndarray:
    """Sell loans on the transfer market, in random order, until each platform has sold ``need``
    yuan of principal (first ``n`` rows) or has none left.

    With ``cover`` the loan that crosses the need is sold too (a platform raising cash
    sells enough); without it, not (notes sold for investors never exceed what they sell).
    The loans go to the outside buyer; returns the principal moved per platform.
    """
    book, borrowers = model.book, model.borrowers
    n, size = book.n, book.capacity + 1
    marked = np.zeros(size, dtype=bool)
    marked[:n] = (need > 0) & (book.loans[:n] > 0)
    if not marked.any():
        return np.zeros(n)
    pid = borrowers.platform.ravel()
    idx = np.flatnonzero(marked[pid])  # an empty loan slot's -1 reads the buyer's row: unmarked
    if idx.size == 0:  # the book's loans are rounding left after the last instalments
        return np.zeros(n)
    idx = idx[np.lexsort((model.streams.liquidity.random(idx.size), pid[idx]))]
    owner, principal = pid[idx], borrowers.principal.ravel()[idx]
    first = np.r_[True, owner[1:] != owner[:-1]]
    cumulative = np.cumsum(principal)
    base = (cumulative - principal)[first][np.cumsum(first) - 1]
    through = cumulative - base  # principal sold up to and including this loan
    limit = np.zeros(size)
    limit[:n] = need
    take = (through - principal < limit[owner]) if cover else (through <= limit[owner])
    pid[idx[take]] = book.buyer
    return sum_by(owner[take], principal[take], size)[:n]


def pay_withdrawals(model: SandboxModel, orders: Orders) -> np.ndarray:
    """Step 5's withdrawals: pay what is due, raise cash by selling loans, flag the short.

    Sets ``requested``, ``outflow``, ``complaints`` (the share of what was due
    left unpaid, smoothed) and the model's short flags; returns yuan paid per
    platform (first ``n`` rows).
    """
    book, inv, p = model.book, model.investors, model.config.market.platforms
    n, size, uv = book.n, book.capacity + 1, book.unit_value
    kind, promised = book.kind[:n], book.guaranteed[:n]
    requested = sum_by(orders.w_platform, orders.w_units * uv[orders.w_platform], size)[:n]
    book.requested[:n] = requested
    book.sale_loss[:n] = 0.0
    due = np.where(promised, requested / np.maximum(book.note_months[:n], 1.0), 0.0)
    # A pool short of cash sells loans at the fire-sale discount (its own stream, as it always has).
    short = (due > book.cash[:n]) & (kind == POOL) & (book.loans[:n] > 0)
    fire = p.fire_sale_discount
    model._sell_loans(_fire_sale(model, short, (due - book.cash[:n]) / max(1e-12, 1 - fire)), fire)
    # A guaranteed intermediary sells on the transfer market, at a discount that deepens with stress.
    discount = transfer_discount(model)
    keep = np.maximum(1 - discount, 1e-12)
    need = np.where((kind == INTERMEDIARY) & promised, (due - book.cash[:n]) / keep, 0.0)
    model._sell_loans(_transfer(model, need, cover=True), discount)
    cash = np.maximum(book.cash[:n], 0.0)
    par = np.minimum(np.where(promised, due, requested), cash)
    # A pure-matching intermediary's investors sell what cash does not cover on the transfer market.
    rest = np.where(promised, 0.0, requested - par)
    sold = _transfer(model, rest, cover=False)
    model._sell_loans(sold, discount)
    borne = sold * discount  # the sellers bear the discount on their notes, not the platform
    book.sale_loss[:n] -= borne
    book.equity_flow[:n] += borne
    served = par + sold
    paid_share = np.ones(size)
    paid_share[:n] = np.clip(np.divide(served, requested, out=np.ones(n), where=requested > 0), 0.0, 1.0)
    price = uv.copy()
    price[:n] = uv[:n] * np.divide(par + sold * (1 - discount), served, out=np.ones(n), where=served > 0)
    paid = inv.settle_withdrawals(orders, paid_share, price)
    paid_by = sum_by(orders.w_platform, paid, size)[:n]
    gone = sum_by(orders.w_platform, orders.w_units * paid_share[orders.w_platform], size)[:n]
    emptied = inv.platform.ravel()[orders.w_holding] < 0
    book.customers[:n] -= np.bincount(orders.w_platform[emptied], minlength=size)[:n]
    book.cash[:n] -= paid_by
    book.units[:n] -= gone
    book.outflow[:n] = paid_by
    model._short = np.zeros(size, dtype=bool)
    model._short[:n] = promised & (par < due * (1 - ROUNDING))
    owed = np.where(promised, due, requested)
    unserved = np.where(owed > 0, 1 - np.divide(served, owed, out=np.ones(n), where=owed > 0), 0.0)
    b = model.behaviour.platforms
    book.complaints[:n] = b.complaints_memory * book.complaints[:n] + np.clip(unserved, 0.0, 1.0)
    return paid_by
