"""Money-market fund holding cap: yuan per person, dated; optionally a daily purchase cap."""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar, override

from pydantic import Field

from sandbox.common.dates import Dated, DatedValues
from sandbox.rules.base import Policy, Rule
from sandbox.rules.registry import register

if TYPE_CHECKING:
    from sandbox.market.interface import Market

    type Yuan = float | DatedValues
else:
    Yuan = Dated(ge=0, le=1e12)


@register
class MmfHoldingCap(Rule):
    """A person may hold at most ``per_person`` yuan in the fund (dated values), and buy at most
    ``daily_purchase`` yuan a day (21 working days a month).

    Purchases above the cap are refused; holdings above it are not forced out.
    ``per_person: {values: {2017-05: 1000000, 2017-08: 250000, 2017-12: 100000}}``.
    """

    name: ClassVar[str] = "mmf_holding_cap"
    summary: ClassVar[str] = "cap on a person's money-market fund holding (dated) and daily purchases"
    stands_for: ClassVar[str] = (
        "Yu'e Bao's caps at the regulators' request: 1 million (2017-05), 250,000 (2017-08), "
        "100,000 (2017-12); daily purchases 20,000 (2018)"
    )

    per_person: Yuan = Field(description="largest holding a person may build, yuan (or dated values)")
    daily_purchase: float | None = Field(None, ge=0, le=1e12, description="yuan a person may buy a day")

    @override
    def apply(self, policy: Policy, model: Market) -> None:
        pp = policy.products
        pp.holding_cap = min(pp.holding_cap, model.value_now(self.per_person))
        if self.daily_purchase is not None:
            pp.purchase_cap_daily = min(pp.purchase_cap_daily, self.daily_purchase)
