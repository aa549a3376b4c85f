"""Pool ban: no capital pools, maturity mismatch or guarantees of principal."""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar, override

import numpy as np
from pydantic import Field

from sandbox.market.platforms import POOL
from sandbox.rules.base import Policy, Rule
from sandbox.rules.registry import register

if TYPE_CHECKING:
    from sandbox.market.interface import Market


@register
class PoolBan(Rule):
    """Pools must become matching intermediaries (if solvent) by the end of the grace period.

    New pools are refused. A solvent bound pool converts when it complies
    (``behaviour.platforms.compliance`` a month). A pool still operating after
    the grace period operates illegally: it chooses to wind down or carry on
    (:mod:`sandbox.market.choices`), and regulators check up to
    ``inspection_capacity`` platforms a month, fining one caught and ordering it
    to exit. Self-financing is also misconduct inspections can find.
    """

    name: ClassVar[str] = "pool_ban"
    summary: ClassVar[str] = "capital pools, maturity mismatch and principal guarantees are banned"
    stands_for: ClassVar[str] = "Interim measures (China, 2016-08): no self-financing, pooling or guarantees"

    fine: float = Field(1.0e6, ge=0, description="fine on a pool caught operating after the grace period, yuan")
    inspection_capacity: int = Field(
        10, ge=0, le=100_000, description="platforms regulators check a month for operating illegally"
    )

    @override
    def apply(self, policy: Policy, model: Market) -> None:
        policy.pool_ban_entry = True
        bound = self.bound(model)
        policy.pool_banned[: bound.size] |= bound
        book = model.book
        pools = np.flatnonzero(book.kind[: book.n] == POOL)
        policy.require_exit(pools, self.first_month(model) + self.grace_months, self.fine, self.inspection_capacity)
