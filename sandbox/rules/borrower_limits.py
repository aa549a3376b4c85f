"""Borrower limits: caps on what one borrower may owe, per platform and in total."""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar, override

from pydantic import Field

from sandbox.rules.base import Policy, Rule
from sandbox.rules.registry import register

if TYPE_CHECKING:
    from sandbox.market.interface import Market


@register
class BorrowerLimits(Rule):
    """New loans are cut so a borrower owes at most the limits (yuan).

    Applies to new loans from the effective date. The part of a request above
    a limit is counted as credit excluded by limits.
    """

    name: ClassVar[str] = "borrower_limits"
    summary: ClassVar[str] = "caps on one borrower's debt per platform and across platforms"
    stands_for: ClassVar[str] = "Interim measures 2016: 200k/1m (individuals), 1m/5m (companies)"

    individual_per_platform: float = Field(200_000, gt=0, description="yuan")
    individual_total: float = Field(1_000_000, gt=0, description="yuan, across platforms")
    company_per_platform: float = Field(1_000_000, gt=0, description="yuan")
    company_total: float = Field(5_000_000, gt=0, description="yuan, across platforms")

    @override
    def apply(self, policy: Policy, model: Market) -> None:
        policy.limit_individual_platform = min(policy.limit_individual_platform, self.individual_per_platform)
        policy.limit_individual_total = min(policy.limit_individual_total, self.individual_total)
        policy.limit_company_platform = min(policy.limit_company_platform, self.company_per_platform)
        policy.limit_company_total = min(policy.limit_company_total, self.company_total)
