"""Online insurance licensing: only licensed insurers and intermediaries sell insurance online."""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar, override

from pydantic import Field

from sandbox.rules.base import Policy, Rule
from sandbox.rules.registry import register

if TYPE_CHECKING:
    from sandbox.market.interface import Market


@register
class InsuranceOnlineLicensing(Rule):
    """Unlicensed sellers may not sell insurance online (third-party platforms give technical
    support only); enforcement stops a share ``compliance`` of their sales."""

    name: ClassVar[str] = "insurance_online_licensing"
    summary: ClassVar[str] = "only licensed insurers and intermediaries may sell insurance online"
    stands_for: ClassVar[str] = "CIRC Interim Measures for Internet Insurance Business (in force 2015-10)"

    compliance: float = Field(0.9, ge=0, le=1, description="share of unlicensed online sales the rule stops")

    @override
    def apply(self, policy: Policy, model: Market) -> None:
        pp = policy.products
        pp.insurance_unlicensed_stopped = max(pp.insurance_unlicensed_stopped, self.compliance)
