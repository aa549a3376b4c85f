"""Resolution: the regulator steps in to wind failed platforms down in an orderly way."""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar, override

from pydantic import Field

from sandbox.rules.base import Policy, Rule
from sandbox.rules.registry import register

if TYPE_CHECKING:
    from sandbox.market.interface import Market


@register
class Resolution(Rule):
    """A share ``orderly_share`` of collapses is taken over and wound down in an orderly way.

    ``recovery_uplift`` cuts strategic default and the discount on loans sold
    at the end of a wind-down (debt collection support, asset freezes);
    ``months`` sets how long an orderly wind-down collects.
    """

    name: ClassVar[str] = "resolution"
    summary: ClassVar[str] = "orderly wind-down of failed platforms; better recovery"
    stands_for: ClassVar[str] = "Benign exit and wind-down guidance for P2P platforms (China, 2018-2019)"

    orderly_share: float = Field(0.5, ge=0, le=1, description="share of collapses wound down in an orderly way")
    recovery_uplift: float = Field(0.3, ge=0, le=1, description="cut in strategic default and sale discount")
    months: int = Field(18, ge=1, le=120, description="months an orderly wind-down collects loans")

    @override
    def apply(self, policy: Policy, model: Market) -> None:
        policy.orderly_share = max(policy.orderly_share, self.orderly_share)
        policy.recovery_uplift = max(policy.recovery_uplift, self.recovery_uplift)
        policy.resolution_months = self.months
