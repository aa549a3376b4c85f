"""Regulatory arbitrage: a platform whose home tightens weighs moving its home abroad.

Each month a platform whose home set it a deadline to stop (an exit campaign,
a licence it cannot get, a pool ban), or stopped its new business, reconsiders
with probability ``behaviour.relocation.review``. It compares the months of
legal business left over ``horizon_months`` at home with those in each other
jurisdiction from the day it would arrive (``delay_months`` later), valued at
its fee on the largest book it has run (what it could rebuild), less the cost of
moving (``cost`` times its paid-in capital). It moves to the best destination
that admits it if the gain is positive: one whose ``cross_border_access`` is not
``ban``, whose entry screening it passes (minimum capital; a fraud may be caught
with the screening accuracy), and, when its home shares everything with the
destination, that knows no open order or public warning against it.

A move changes the platform's home, nothing on its balance sheet: investors
keep their claims and borrowers their loans (they follow whether they like it or
not; new money from the old home's residents then needs that home's access). The
cost leaves as a running cost. Without full sharing the new regulator does not
know the old one's record: the enforcement ladder starts again.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from sandbox.market.platforms import ACTIVE, FRAUD, SUSPENDED

if TYPE_CHECKING:
    from sandbox.market.jurisdictions import Jurisdictions

#: Sharing level at which enforcement records travel (``information_sharing: full``).
FULL = 2


class Mover:
    """Moves decided and not yet made: destination and month of arrival per platform row (-1: none)."""

    def __init__(self, size: int) -> None:
        self.dest = np.full(size, -1, dtype=np.int64)
        self.due = np.full(size, -1, dtype=np.int64)

    def grow(self, size: int) -> None:
        """Make room for platform rows up to ``size``."""
        extra = size - self.dest.size
        if extra > 0:
            self.dest = np.r_[self.dest, np.full(extra, -1, dtype=np.int64)]
            self.due = np.r_[self.due, np.full(extra, -1, dtype=np.int64)]


def move_platforms(owner: Jurisdictions) -> None:
    """Make the moves due this month, then let pressed platforms decide whether to move."""
    model = owner.model
    book, beh = model.book, model.behaviour.relocation
    arrive(owner)
    n, month, k = book.n, model.month, len(owner.names)
    horizon = beh.horizon_months
    review = owner.rng.random(n) < beh.review  # drawn whatever the regime
    rows = np.flatnonzero(book.alive() & review & (owner.mover.dest[:n] < 0))
    deadline = np.stack([policy.exit_deadline[rows] for policy in owner.policies])  # (k, rows)
    home = owner.home[rows]
    stay = np.clip(deadline[home, np.arange(rows.size)] - month, 0, horizon)
    stay = np.where(book.exiting[rows], 0, stay)  # no new business at home: nothing to earn by staying
    pressed = stay < horizon
    rows, deadline, home, stay = rows[pressed], deadline[:, pressed], home[pressed], stay[pressed]
    if rows.size == 0 or k < 2:
        return
    arrival = month + beh.delay_months
    abroad = np.clip(deadline - arrival, 0, max(horizon - beh.delay_months, 0)).astype(float)
    abroad[~admits(owner, rows)] = -1.0
    abroad[home, np.arange(rows.size)] = -1.0  # moving home is no move
    best = np.argmax(abroad, axis=0)
    months_abroad = abroad[best, np.arange(rows.size)]
    margin = model.config.market.platforms.fee / 12.0 * book.claims_peak[rows]
    gain = margin * (months_abroad - stay) - beh.cost * book.capital[rows]
    go = (months_abroad > 0) & (gain > 0)
    owner.mover.dest[rows[go]] = best[go]
    owner.mover.due[rows[go]] = arrival
    if beh.delay_months == 0:
        arrive(owner)


def admits(owner: Jurisdictions, rows: np.ndarray) -> np.ndarray:
    """``(jurisdictions, rows)``: whether each jurisdiction would let each platform move in now."""
    model = owner.model
    book = model.book
    k = len(owner.names)
    access = owner.access()
    level, _ = owner.sharing()
    ok = np.zeros((k, rows.size), dtype=bool)
    draws = owner.rng.random((k, rows.size))
    record = (book.rung[rows] >= 2) | book.warned[rows]  # what a regulator holds against it
    home = owner.home[rows]
    for d, policy in enumerate(owner.policies):
        fine = np.full(rows.size, access[d] < 2)  # ban: no foreign platform moves in
        if policy.licensing:
            fine &= book.capital[rows] >= policy.min_capital
            fine &= ~((book.kind[rows] == FRAUD) & (draws[d] < policy.screening_accuracy))
        fine &= ~(record & (level[home, d] >= FULL))  # the record travels with full sharing
        ok[d] = fine
    return ok


def arrive(owner: Jurisdictions) -> None:
    """Platforms whose move is due change home; one that stopped operating meanwhile stays."""
    model = owner.model
    book, mover = model.book, owner.mover
    n = book.n
    due = np.flatnonzero((mover.due[:n] == model.month) & (mover.dest[:n] >= 0))
    if due.size == 0:
        return
    live = due[book.alive()[due]]
    dest, origin = mover.dest[live], owner.home[live]
    mover.dest[due], mover.due[due] = -1, -1
    if live.size == 0:
        return
    cost = np.minimum(model.behaviour.relocation.cost * book.capital[live], np.maximum(book.cash[live], 0.0))
    book.cash[live] -= cost
    book.equity_flow[live] -= cost
    model.ledger.opex += float(cost.sum())
    owner.former[live], owner.home[live], owner.moved_month[live] = origin, dest, model.month
    book.exiting[live] = False  # the home's stop on new business stays at home
    licensing = np.array([p.licensing for p in owner.policies])
    book.registered[live] |= licensing[dest]  # it passed the new home's screening
    level, _ = owner.sharing()
    fresh = level[origin, dest] < FULL  # the new regulator does not know the old one's record
    book.rung[live[fresh]] = 0
    book.deadline[live[fresh]] = -1
    lifted = live[fresh & (book.status[live] == SUSPENDED)]
    book.status[lifted] = ACTIVE
    np.add.at(owner._month["moved_in"], dest, 1)
    np.add.at(owner._month["moved_out"], origin, 1)
    for row, a, b in zip(live, origin, dest, strict=True):
        why = reason(owner, int(row), int(a))
        owner.relocations.append((model.month_label(), int(row), owner.names[a], owner.names[b], why))


def reason(owner: Jurisdictions, row: int, home: int) -> str:
    """Why a platform left ``home``, in words: the deadline its home set it."""
    deadline = owner.policies[home].exit_deadline[row]
    if np.isfinite(deadline):
        return f"home deadline {owner.model.month_label(int(deadline))}"
    return "home stopped its new business"
