"""Blacklist: controllers of frauds may not come back."""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar, override

from sandbox.rules.base import Policy, Rule
from sandbox.rules.registry import register

if TYPE_CHECKING:
    from sandbox.market.interface import Market


@register
class Blacklist(Rule):
    """Controllers of failed or detected frauds are blacklisted and refused if they re-apply.

    Without it, a failed fraud's controller re-enters under a new name with a
    small monthly probability. Lift it with ``until``.
    """

    name: ClassVar[str] = "blacklist"
    summary: ClassVar[str] = "controllers of frauds are barred from re-entering"
    stands_for: ClassVar[str] = "Credit blacklists of P2P defaulters and controllers (China, 2019)"

    @override
    def apply(self, policy: Policy, model: Market) -> None:
        policy.blacklist = True
