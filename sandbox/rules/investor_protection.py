"""Investor protection: caps on one investor's exposure to one platform."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, ClassVar, override

from pydantic import Field

from sandbox.rules.base import Policy, Rule
from sandbox.rules.registry import register

if TYPE_CHECKING:
    from sandbox.market.interface import Market


@register
class InvestorProtection(Rule):
    """An investor may hold at most ``max_per_platform`` yuan, or ``max_share_of_wealth`` of its
    budget, on one platform; losses on any one failure are bounded and spread."""

    name: ClassVar[str] = "investor_protection"
    summary: ClassVar[str] = "cap on one investor's exposure to one platform"
    stands_for: ClassVar[str] = "Suitability rules and per-investor limits (e.g. US Reg CF, UK 10% rule)"

    max_per_platform: float | None = Field(None, gt=0, description="yuan")
    max_share_of_wealth: float | None = Field(None, gt=0, le=1, description="share of the investor's budget")

    @override
    def apply(self, policy: Policy, model: Market) -> None:
        policy.exposure_cap = min(policy.exposure_cap, self.max_per_platform or math.inf)
        policy.exposure_share_cap = min(policy.exposure_share_cap, self.max_share_of_wealth or math.inf)
