"""Pool ban: no capital pools, maturity mismatch or guarantees of principal."""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar, override

import numpy as np

from sandbox.market.platforms import POOL
from sandbox.rules.base import Policy, Rule
from sandbox.rules.registry import register

if TYPE_CHECKING:
    from sandbox.market.interface import Market


@register
class PoolBan(Rule):
    """Pools must become matching intermediaries (if solvent) or exit by the end of the grace period.

    New pools are refused. A bound pool converts with about 30% chance a month
    while solvent; a pool still operating at the end of the grace period
    winds down in an orderly way. Self-financing is misconduct the regulator
    can find in an inspection.
    """

    name: ClassVar[str] = "pool_ban"
    summary: ClassVar[str] = "capital pools, maturity mismatch and principal guarantees are banned"
    stands_for: ClassVar[str] = "Interim measures (China, 2016-08): no self-financing, pooling or guarantees"

    @override
    def apply(self, policy: Policy, model: Market) -> None:
        policy.pool_ban_entry = True
        bound = self.bound(model)
        policy.pool_banned[: bound.size] |= bound

    @override
    def act(self, model: Market) -> None:
        if model.month != self.first_month(model) + self.grace_months:
            return
        book = model.book
        n = book.n
        left = np.flatnonzero(book.alive() & (book.kind[:n] == POOL))
        model.order_exit(left)
