"""Information sharing between jurisdictions' regulators."""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar, Literal, override

from pydantic import Field

from sandbox.rules.base import Policy, Rule
from sandbox.rules.registry import register

if TYPE_CHECKING:
    from sandbox.market.interface import Market

#: Levels of sharing, weakest first (their index is the level the market reads).
LEVELS = ("none", "blacklist", "full")


@register
class InformationSharing(Rule):
    """What this jurisdiction's regulator tells others, and how late.

    ``blacklist``: fraud controllers it blacklisted are refused by a partner that
    runs a blacklist, ``delay_months`` after the failure. ``full``: blacklists,
    and also its enforcement record (open orders, public warnings), so a platform
    under an order cannot shed it by moving there; and cooperation: it keeps
    supervising platforms that moved from it to the partner (enforcement abroad).
    ``none``: nothing travels. ``with`` lists partner jurisdictions (default: all).
    In a jurisdiction's ``regime:`` it is what that jurisdiction shares; in the
    top-level regime, what every jurisdiction shares. Without the rule nothing is
    shared. Needs a ``jurisdictions:`` section.
    """

    name: ClassVar[str] = "information_sharing"
    summary: ClassVar[str] = "blacklists, warnings and findings travel between regulators, with a delay"
    stands_for: ClassVar[str] = (
        "National P2P information-sharing platform and blacklist (China 2018-2019); IOSCO MMoU-style cooperation"
    )

    level: Literal["none", "blacklist", "full"] = Field("blacklist", description="none, blacklist or full")
    delay_months: int = Field(0, ge=0, le=60, description="months before shared information reaches the partner")
    partners: list[str] | None = Field(
        None, alias="with", description="jurisdictions that receive it (default: all others)"
    )

    @override
    def apply(self, policy: Policy, model: Market) -> None:
        level = LEVELS.index(self.level)
        for partner in self.partners or ["*"]:
            old_level, old_delay = policy.sharing.get(partner, (0, self.delay_months))
            policy.sharing[partner] = (max(old_level, level), min(old_delay, self.delay_months))
