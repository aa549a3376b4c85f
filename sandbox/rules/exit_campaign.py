"""Exit campaign: from a date no new business (or a balance-reduction path), and operating
becomes illegal after a deadline."""

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

    With ``balance_reduction`` above 0 (China's 2019 "three reductions" of
    outstanding balance, lenders and borrowers) platforms keep taking money and
    lending, but each must bring its outstanding loans down by that share a month
    from what it carried when the campaign began: it cannot lend above its path,
    and one whose loans run off slower than the path is in breach, which the
    regulators treat as operating illegally (checked, fined and ordered out as
    capacity allows) from the start, not only after the deadline.
    """

    name: ClassVar[str] = "exit_campaign"
    summary: ClassVar[str] = "no new business; operating is illegal after a deadline, enforced by inspections"
    stands_for: ClassVar[str] = "Exit as the main approach to P2P risk (China, 2018-12 to 2020-11)"

    months: int = Field(24, ge=1, le=240, description="months from the start after which operating is illegal")
    fine: float = Field(1.0e6, ge=0, description="fine on a platform caught operating after the deadline, yuan")
    inspection_capacity: int = Field(
        10, ge=0, le=100_000, description="platforms regulators check a month for operating after the deadline"
    )
    balance_reduction: float = Field(
        0.0,
        ge=0,
        le=1,
        description="share of its outstanding loans at the start a platform must shed each month "
        "(0: no new business at all instead)",
    )

    @override
    def apply(self, policy: Policy, model: Market) -> None:
        policy.pool_ban_entry = True
        policy.licensing = True
        policy.screening_accuracy = 1.0
        policy.min_capital = float("inf")  # no new entry during the campaign
        deadline = self.first_month(model) + self.months
        policy.require_exit(np.arange(model.book.n), deadline, self.fine, self.inspection_capacity)
        if self.balance_reduction > 0:
            start = self._loans_at_start(model)
            path = start * (1 - self.balance_reduction) ** (model.month - self.first_month(model))
            ceiling = policy.loan_ceiling[: path.size]
            np.minimum(ceiling, path, out=ceiling)

    def _loans_at_start(self, model: Market) -> np.ndarray:
        """Each platform's outstanding loans in the campaign's first month (kept in the rule's state)."""
        state: dict[str, np.ndarray] = model.rule_state(f"exit_campaign.start.{self.first_month(model)}", dict)
        if "loans" not in state:
            state["loans"] = model.book.loans[: model.book.n].copy()
        return state["loans"]

    @override
    def act(self, model: Market) -> None:
        if self.balance_reduction > 0:
            return  # business goes on within the reduction path (Policy.loan_ceiling)
        book = model.book
        book.exiting[np.flatnonzero(book.alive())] = True  # no new money, no new loans: balances run off
