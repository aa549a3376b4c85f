"""Exit campaign: from a date, every platform winds down in an orderly way over N months."""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar, override

import numpy as np
from pydantic import Field

from sandbox.market.platforms import FRAUD
from sandbox.rules.base import Policy, Rule
from sandbox.rules.registry import register

if TYPE_CHECKING:
    from sandbox.market.interface import Market


@register
class ExitCampaign(Rule):
    """Platforms stop new business at once and exit in an orderly way, spread over ``months``.

    Each month an equal share of the platforms still operating (smallest
    first) enters an orderly wind-down, so all have exited by the end. Frauds
    feel the pressure: their abscond chance rises by ``fraud_pressure``.
    """

    name: ClassVar[str] = "exit_campaign"
    summary: ClassVar[str] = "all platforms wind down in an orderly way over N months"
    stands_for: ClassVar[str] = "Exit as the main approach to P2P risk (China, 2018-12 to 2020-11)"

    months: int = Field(24, ge=1, le=240, description="months over which every platform exits")
    fraud_pressure: float = Field(0.05, ge=0, le=1, description="added monthly abscond chance for frauds")

    @override
    def apply(self, policy: Policy, model: Market) -> None:
        policy.pool_ban_entry = True
        policy.licensing = True
        policy.screening_accuracy = 1.0
        policy.min_capital = float("inf")  # no new entry during the campaign

    @override
    def act(self, model: Market) -> None:
        book = model.book
        alive = np.flatnonzero(book.alive())
        book.exiting[alive] = True  # no new money, no new loans while they wait their turn
        book.abscond_pressure[alive[book.kind[alive] == FRAUD]] += self.fraud_pressure
        left = self.first_month(model) + self.months - model.month
        if left <= 0 or alive.size == 0:
            model.order_exit(alive)
            return
        k = int(np.ceil(alive.size / left))
        size = book.claims()[alive]
        model.order_exit(alive[np.argsort(size, kind="stable")[:k]])
