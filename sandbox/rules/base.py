"""What a rule is, and the policy state that rules write and the model reads.

A rule is a small pydantic model: its parameters (with units and ranges), the
month it goes live (``from``), an optional ``until``, and a grace period for
platforms already operating. Each month, every rule in force writes what it
requires into a fresh :class:`Policy` (``apply``) and may act on the market
(``act``). The model reads only the :class:`Policy`, so rules compose.

A rule sees the model only through :class:`sandbox.market.interface.Market`:
the month, the platform book, dates and dated values, the benchmark rate, and
methods to order exits, revoke, fine, suspend, add platforms and keep its own
state (``rule_state``). ``Policy`` itself lives in :mod:`sandbox.market.policy`
(the market reads it) and is re-exported here.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

import numpy as np
from pydantic import ConfigDict, Field, model_validator

from sandbox.common.dates import Month
from sandbox.common.validation import FieldProblem, StrictModel
from sandbox.market.policy import Policy

__all__ = ["Policy", "Rule"]  # Policy lives with the market, which reads it; re-exported here

if TYPE_CHECKING:
    from sandbox.market.interface import Market


class Rule(StrictModel):
    """Base class of every policy rule.

    Subclass it, give it a ``name`` and parameters, override :meth:`apply`
    (and :meth:`act` if the rule does something each month beyond setting
    requirements), and decorate with :func:`sandbox.rules.register`.
    """

    # Strict, finite numbers and no unknown keys come from StrictModel.
    model_config = ConfigDict(populate_by_name=True, frozen=True)

    name: ClassVar[str] = "rule"
    summary: ClassVar[str] = ""
    stands_for: ClassVar[str] = ""

    start: Month = Field(alias="from", description="month the rule goes live, YYYY-MM")
    until: Month | None = Field(None, description="month the rule is lifted, YYYY-MM (default: never)")
    grace_months: int = Field(0, ge=0, le=240, description="months platforms already operating have to comply")

    @model_validator(mode="after")
    def _until_after_from(self) -> Rule:
        if self.until is not None and self.until <= self.start:
            raise FieldProblem(("until",), f"dates out of order: until {self.until} is not after from {self.start}")
        return self

    def first_month(self, model: Market) -> int:
        """Index of the month the rule goes live."""
        return model.month_index(self.start)

    def in_force(self, model: Market) -> bool:
        """Whether the rule is in force in the model's current month."""
        t = model.month
        if t < self.first_month(model):
            return False
        return self.until is None or t < model.month_index(self.until)

    def bound(self, model: Market) -> np.ndarray:
        """Platforms the rule binds now: entrants at once, incumbents after the grace period."""
        book = model.book
        first = self.first_month(model)
        if model.month >= first + self.grace_months:
            return np.ones(book.n, dtype=bool)
        return book.entry_month[: book.n] >= first

    def apply(self, policy: Policy, model: Market) -> None:
        """Write this month's requirements into ``policy``. Called every month in force."""

    def act(self, model: Market) -> None:
        """Act on the model directly, after all rules have applied. Called every month in force."""
