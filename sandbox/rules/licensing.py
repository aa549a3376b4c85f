"""Licensing / registration: screened entry, and a deadline for incumbents."""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar, override

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
    are caught with the same accuracy and revoked; platforms that meet the
    requirements register. The rest are not closed: from the deadline they
    operate illegally. Facing that, an under-capitalised platform chooses to wind
    down, convert or carry on (:mod:`sandbox.market.choices`), frauds abscond
    more as the deadline nears, and regulators check up to
    ``inspection_capacity`` platforms a month, fining one caught operating and
    ordering it to exit.
    """

    name: ClassVar[str] = "licensing"
    summary: ClassVar[str] = "entry needs a licence; unregistered incumbents operate illegally after a deadline"
    stands_for: ClassVar[str] = "P2P registration and filing (China 2016-2018), FCA authorisation"

    min_capital: float = Field(0.0, ge=0, description="minimum paid-in capital, yuan")
    custody_required: bool = Field(False, description="a licence needs bank custody of client funds")
    screening_accuracy: float = Field(0.5, ge=0, le=1, description="chance screening catches a fraud")
    fine: float = Field(1.0e6, ge=0, description="fine on an unregistered platform caught operating, yuan")
    inspection_capacity: int = Field(
        10, ge=0, le=100_000, description="platforms regulators check a month for operating unregistered"
    )

    @override
    def apply(self, policy: Policy, model: Market) -> None:
        policy.licensing = True
        policy.min_capital = max(policy.min_capital, self.min_capital)
        policy.screening_accuracy = max(policy.screening_accuracy, self.screening_accuracy)
        bound = self.bound(model)
        policy.registration_required[: bound.size] |= bound
        if self.custody_required:
            policy.custody_required[: bound.size] |= bound
        # Who faces the deadline: unregistered platforms that cannot register (too little
        # capital), and frauds (which screening may catch).
        book = model.book
        n = book.n
        waiting = ~book.registered[:n] & ((book.capital[:n] < self.min_capital) | (book.kind[:n] == FRAUD))
        deadline = self.first_month(model) + self.grace_months
        policy.require_exit(waiting, deadline, self.fine, self.inspection_capacity)

    @override
    def act(self, model: Market) -> None:
        if model.month != self.first_month(model) + self.grace_months:
            return
        book = model.book
        n = book.n
        rows = (book.alive() & ~book.registered[:n]).nonzero()[0]
        draw = model.screening_rng.random(rows.size)
        fraud = book.kind[rows] == FRAUD
        caught = fraud & (draw < self.screening_accuracy)
        meets = book.capital[rows] >= self.min_capital
        book.registered[rows[~caught & meets]] = True
        if self.custody_required:
            book.custody[rows[~caught & meets]] = True
        book.detected_month[rows[caught]] = model.month
        model.revoke(rows[caught])
