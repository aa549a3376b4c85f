"""Exit campaign: from a date no new business, and operating becomes illegal after a deadline."""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar, override

import numpy as np
from pydantic import Field

from sandbox.rules.base import Policy, Rule
from sandbox.rules.registry import register

if TYPE_CHECKING:
    from sandbox.market.interface import Market


@register
class ExitCampaign(Rule):
    """Platforms stop new business at once; operating is illegal after ``months``.

    Nothing closes on a schedule. From ``from`` no platform enters, takes new
    money or makes new loans, so books run off and margins shrink. Each platform
    then chooses month by month to wind down in an orderly way, convert to
    another licensed business (if well capitalised), or carry on
    (:mod:`sandbox.market.choices`). After the deadline regulators check up to
    ``inspection_capacity`` platforms a month: one caught operating pays
    ``fine`` and is ordered to exit. Frauds feel the pressure and abscond more
    (``behaviour.campaign.fraud_flight``).
    """

    name: ClassVar[str] = "exit_campaign"
    summary: ClassVar[str] = "no new business; operating is illegal after a deadline, enforced by inspections"
    stands_for: ClassVar[str] = "Exit as the main approach to P2P risk (China, 2018-12 to 2020-11)"

    months: int = Field(24, ge=1, le=240, description="months from the start after which operating is illegal")
    fine: float = Field(1.0e6, ge=0, description="fine on a platform caught operating after the deadline, yuan")
    inspection_capacity: int = Field(
        10, ge=0, le=100_000, description="platforms regulators check a month for operating after the deadline"
    )

    @override
    def apply(self, policy: Policy, model: Market) -> None:
        policy.pool_ban_entry = True
        policy.licensing = True
        policy.screening_accuracy = 1.0
        policy.min_capital = float("inf")  # no new entry during the campaign
        deadline = self.first_month(model) + self.months
        policy.require_exit(np.arange(model.book.n), deadline, self.fine, self.inspection_capacity)

    @override
    def act(self, model: Market) -> None:
        book = model.book
        book.exiting[np.flatnonzero(book.alive())] = True  # no new money, no new loans: balances run off
