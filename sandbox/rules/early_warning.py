"""Early warning: a monitoring system of risk scores, thresholds and public warnings."""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar, override

from pydantic import Field

from sandbox.rules.base import Policy, Rule
from sandbox.rules.registry import register

if TYPE_CHECKING:
    from sandbox.market.interface import Market


@register
class EarlyWarning(Rule):
    """The regulator scores platforms on every observable signal, more precisely.

    Without it the score uses yield premium and complaints only, with more
    noise. With ``information_sharing`` off, several local regulators each see
    only part of the picture (noise grows with their number). With
    ``publish`` on, platforms whose score passes ``threshold`` are named (once)
    in public warnings, which move sentiment.
    """

    name: ClassVar[str] = "early_warning"
    summary: ClassVar[str] = "risk scores from all signals, information sharing, public warnings"
    stands_for: ClassVar[str] = "Internet finance risk monitoring platforms, regulators' information sharing"

    threshold: float = Field(5.0, ge=-10, le=50, description="score above which a warning is published")
    information_sharing: bool = Field(True, description="local regulators share data")
    publish: bool = Field(False, description="publish warnings on platforms above the threshold")

    @override
    def apply(self, policy: Policy, model: Market) -> None:
        policy.early_warning = True
        policy.warning_threshold = self.threshold
        policy.information_sharing = self.information_sharing
        policy.publish_warnings = self.publish
