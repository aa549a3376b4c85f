"""Blacklist: controllers of frauds may not come back."""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar, override

from pydantic import Field

from sandbox.rules.base import Policy, Rule
from sandbox.rules.registry import register

if TYPE_CHECKING:
    from sandbox.market.interface import Market


@register
class Blacklist(Rule):
    """Controllers of failed or detected frauds are blacklisted and refused if they re-apply;
    borrowers who stop paying a stopped platform are reported to credit bureaus.

    Without it, a failed fraud's controller re-enters under a new name with a
    small monthly probability, and a borrower can walk away from a platform in
    wind-down at no cost to its credit record. ``defaulter_reporting`` is the
    share of such defaulters reported; reporting deters part of strategic
    default (``behaviour.collections.reporting_deterrence``). Lift it with ``until``.
    """

    name: ClassVar[str] = "blacklist"
    summary: ClassVar[str] = "fraud controllers barred from re-entering; defaulters on stopped platforms reported"
    stands_for: ClassVar[str] = "Credit blacklists of P2P defaulters and controllers (China, 2019)"

    defaulter_reporting: float = Field(
        1.0, ge=0, le=1, description="share of borrowers who stop paying a stopped platform reported to credit bureaus"
    )

    @override
    def apply(self, policy: Policy, model: Market) -> None:
        policy.blacklist = True
        policy.defaulter_reporting = max(policy.defaulter_reporting, self.defaulter_reporting)
