"""Money-market fund T+0 cap: same-day redemption per person per day."""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar, override

from pydantic import Field

from sandbox.rules.base import Policy, Rule
from sandbox.rules.registry import register

if TYPE_CHECKING:
    from sandbox.market.interface import Market


@register
class MmfRedemptionCap(Rule):
    """Same-day (T+0) redemption from a money-market fund is capped per person per day.

    The market moves a month at a time: a month has 21 working days, so a
    household may take out at most ``per_day`` x 21 yuan a month per person it
    stands for (``WORKING_DAYS`` in market/products.py); what it wanted beyond
    that waits, and next month it decides again (by then fear may have passed).
    """

    name: ClassVar[str] = "mmf_redemption_cap"
    summary: ClassVar[str] = "T+0 redemption from a money-market fund capped per person per day"
    stands_for: ClassVar[str] = (
        "PBoC/CSRC notice on T+0 redemption of money-market funds (2018-06): 10,000 yuan a person a day from 2018-07"
    )

    per_day: float = Field(10_000.0, ge=0, le=1e9, description="yuan a person may redeem T+0 a day")

    @override
    def apply(self, policy: Policy, model: Market) -> None:
        pp = policy.products
        pp.redemption_cap_daily = min(pp.redemption_cap_daily, self.per_day)
