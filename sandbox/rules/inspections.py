"""Inspections and penalties: the regulator's capacity and enforcement ladder."""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar, Literal, override

from pydantic import Field

from sandbox.rules.base import Policy, Rule
from sandbox.rules.registry import register

if TYPE_CHECKING:
    from sandbox.market.interface import Market


@register
class Inspections(Rule):
    """The regulator inspects ``capacity`` platforms a month and climbs the ladder on findings.

    Ladder: warning, rectification order (deadline ``rectification_months``),
    fine of ``fine`` yuan, suspension of new business, revocation with an
    orderly wind-down. A detected fraud is revoked at once.
    """

    name: ClassVar[str] = "inspections"
    summary: ClassVar[str] = "monthly inspection capacity, targeting, fines and deadlines"
    stands_for: ClassVar[str] = "Special rectification campaign for internet finance risks (China, 2016-04)"

    capacity: int = Field(10, ge=0, le=100_000, description="inspections a month, all regulators")
    targeting: Literal["risk", "random"] = Field("risk", description="inspect highest risk scores, or at random")
    fine: float = Field(500_000, ge=0, description="fine per finding at the fine rung, yuan")
    rectification_months: int = Field(3, ge=1, le=60, description="deadline of a rectification order")

    @override
    def apply(self, policy: Policy, model: Market) -> None:
        policy.inspection_capacity += self.capacity
        policy.targeting = self.targeting
        policy.fine = max(policy.fine, self.fine)
        policy.rectification_months = self.rectification_months
