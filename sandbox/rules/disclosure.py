"""Disclosure: a required quality of what platforms publish, and audits."""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar, override

from pydantic import Field

from sandbox.rules.base import Policy, Rule
from sandbox.rules.registry import register

if TYPE_CHECKING:
    from sandbox.market.interface import Market


@register
class Disclosure(Rule):
    """Platforms must disclose to quality ``level`` (0: nothing, 1: full, audited data).

    Disclosure makes the risk signal investors and the regulator see more
    precise, so investors tell good platforms from bad and panic spreads less.
    Frauds comply in form but falsify; an audit, with monthly probability
    ``audit_probability``, exposes the falsification.
    """

    name: ClassVar[str] = "disclosure"
    summary: ClassVar[str] = "required disclosure quality and audits of what is disclosed"
    stands_for: ClassVar[str] = "Information disclosure guidelines for P2P platforms (China, 2017-08)"

    level: float = Field(0.8, ge=0, le=1, description="required disclosure quality, 0 to 1")
    audit_probability: float = Field(0.05, ge=0, le=1, description="monthly chance a platform's data is audited")

    @override
    def apply(self, policy: Policy, model: Market) -> None:
        bound = self.bound(model)
        req = policy.disclosure_required[: bound.size]
        req[bound] = max(self.level, 0.0)
        policy.disclosure_required[: bound.size] = req.clip(min=policy.disclosure_required[: bound.size])
        policy.audit_probability = max(policy.audit_probability, self.audit_probability)
