"""Money-market fund liquidity: a least liquid share, and a largest size per yuan of risk reserve."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, ClassVar, override

from pydantic import Field

from sandbox.rules.base import Policy, Rule
from sandbox.rules.registry import register

if TYPE_CHECKING:
    from sandbox.market.interface import Market


@register
class MmfLiquidity(Rule):
    """The fund keeps at least ``min_liquid_share`` of its assets liquid (a larger buffer pays
    more redemptions before any fire sale), and takes no new money once it is
    ``reserve_multiple`` times its risk reserve."""

    name: ClassVar[str] = "mmf_liquidity"
    summary: ClassVar[str] = "money-market fund: least liquid share; largest size as a multiple of its risk reserve"
    stands_for: ClassVar[str] = (
        "CSRC measures on the liquidity risk of open-ended funds (2017-08, in force 2017-10): "
        "size at most 200 times the risk reserve"
    )

    min_liquid_share: float = Field(0.0, ge=0, le=1, description="least share of assets held liquid")
    reserve_multiple: float = Field(math.inf, gt=0, description="largest size, times the risk reserve")

    @override
    def apply(self, policy: Policy, model: Market) -> None:
        pp = policy.products
        pp.min_liquid_share = max(pp.min_liquid_share, self.min_liquid_share)
        pp.reserve_multiple = min(pp.reserve_multiple, self.reserve_multiple)
