"""Cross-border access: who may serve a jurisdiction's residents from abroad."""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar, Literal, override

from pydantic import Field

from sandbox.rules.base import Policy, Rule
from sandbox.rules.registry import register

if TYPE_CHECKING:
    from sandbox.market.interface import Market


@register
class CrossBorderAccess(Rule):
    """Whether platforms homed elsewhere may serve this jurisdiction's investors, and move here.

    ``open``: any foreign platform may take residents' money, and a platform may
    move its home here if it passes this jurisdiction's entry screening (capital,
    fraud checks, blacklist). ``licence``: only foreign platforms holding a
    licence (registered, with at least this jurisdiction's minimum capital) may
    take residents' money; moving here as under ``open``. ``ban``: no foreign
    platform takes new money from residents, and none may move here. Holdings
    already made stay, and may be withdrawn. In a jurisdiction's own ``regime:``
    it binds there; in the top-level regime, everywhere. Without the rule access
    is ``open``. Needs a ``jurisdictions:`` section.
    """

    name: ClassVar[str] = "cross_border_access"
    summary: ClassVar[str] = "foreign platforms may serve residents and move here: open, licensed only, or banned"
    stands_for: ClassVar[str] = (
        "Registration of foreign online lenders (OJK, Indonesia, 2016); limits on business from abroad"
    )

    access: Literal["open", "licence", "ban"] = Field(
        "licence", description="open, licence (licensed foreign platforms only) or ban"
    )

    @override
    def apply(self, policy: Policy, model: Market) -> None:
        order = ("open", "licence", "ban")  # the strictest rule in force wins
        policy.cross_border = max(policy.cross_border, self.access, key=order.index)
