"""Licensing / registration: screened entry, and a deadline for incumbents."""

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
class Licensing(Rule):
    """Entrants need a licence; incumbents must register by ``from`` + ``grace_months``.

    The regulator screens applicants: those below the minimum capital are
    refused, and a fraud is caught with probability ``screening_accuracy``.
    At the registration deadline every unregistered incumbent applies: frauds
    are caught with the same accuracy and revoked; honest platforms that meet
    the requirements register, and the rest exit in an orderly way. Frauds
    that sense the deadline coming abscond more often.
    """

    name: ClassVar[str] = "licensing"
    summary: ClassVar[str] = "entry needs a licence; incumbents register by a deadline or exit"
    stands_for: ClassVar[str] = "P2P registration and filing (China 2016-2018), FCA authorisation"

    min_capital: float = Field(0.0, ge=0, description="minimum paid-in capital, yuan")
    custody_required: bool = Field(False, description="a licence needs bank custody of client funds")
    screening_accuracy: float = Field(0.5, ge=0, le=1, description="chance screening catches a fraud")
    deadline_pressure: float = Field(0.15, ge=0, le=1, description="added monthly abscond chance in the last 3 months")

    @override
    def apply(self, policy: Policy, model: Market) -> None:
        policy.licensing = True
        policy.min_capital = max(policy.min_capital, self.min_capital)
        policy.screening_accuracy = max(policy.screening_accuracy, self.screening_accuracy)
        bound = self.bound(model)
        policy.registration_required[: bound.size] |= bound
        if self.custody_required:
            policy.custody_required[: bound.size] |= bound

    @override
    def act(self, model: Market) -> None:
        book = model.book
        n = book.n
        deadline = self.first_month(model) + self.grace_months
        alive = book.alive()
        waiting = alive & ~book.registered[:n]
        if 0 < deadline - model.month <= 3:
            book.abscond_pressure[:n] += np.where(waiting & (book.kind[:n] == FRAUD), self.deadline_pressure, 0.0)
        if model.month != deadline:
            return
        rows = np.flatnonzero(waiting)
        draw = model.screening_rng.random(rows.size)
        fraud = book.kind[rows] == FRAUD
        caught = fraud & (draw < self.screening_accuracy)
        meets = book.capital[rows] >= self.min_capital
        book.registered[rows[~caught & meets]] = True
        if self.custody_required:
            book.custody[rows[~caught & meets]] = True
        book.detected_month[rows[caught]] = model.month
        model.revoke(rows[caught])
        model.order_exit(rows[~caught & ~meets])
