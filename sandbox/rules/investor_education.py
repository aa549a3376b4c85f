"""Investor education: financial literacy grows each month."""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar, override

from pydantic import Field

from sandbox.rules.base import Policy, Rule
from sandbox.rules.registry import register

if TYPE_CHECKING:
    from sandbox.market.interface import Market


@register
class InvestorEducation(Rule):
    """Each month literacy closes ``intensity`` of its gap to 1.

    Literacy sharpens the risk signal an investor sees, so educated investors
    avoid risky platforms and run less from healthy ones.
    """

    name: ClassVar[str] = "investor_education"
    summary: ClassVar[str] = "monthly growth of investors' financial literacy"
    stands_for: ClassVar[str] = "Investor education campaigns; risk warnings at account opening"

    intensity: float = Field(0.02, ge=0, le=1, description="share of the literacy gap closed a month")

    @override
    def apply(self, policy: Policy, model: Market) -> None:
        policy.education += self.intensity
