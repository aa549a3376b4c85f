"""Sandbox pilot: a cohort of admitted firms tested under caps for a time box."""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar, override

import numpy as np
from pydantic import Field

from sandbox.market.platforms import KINDS
from sandbox.rules.base import Policy, Rule
from sandbox.rules.registry import register

if TYPE_CHECKING:
    from sandbox.market.interface import Market


@register
class SandboxPilot(Rule):
    """``cohort`` new firms enter as pilots with custody and full disclosure.

    During the test (``duration`` months) each may serve at most
    ``max_customers`` investors and take at most ``max_exposure_per_customer``
    yuan from each. At the end a pilot with positive equity graduates (caps
    lifted); the others carry out their exit plan, an orderly wind-down.
    """

    name: ClassVar[str] = "sandbox_pilot"
    summary: ClassVar[str] = "a cohort of pilot firms under customer and exposure caps, time-boxed"
    stands_for: ClassVar[str] = "FCA regulatory sandbox; PBoC fintech innovation pilot (2019-)"

    cohort: int = Field(5, ge=0, le=1000, description="pilot firms admitted at the start")
    kind: str = Field("intermediary", pattern="^(intermediary|pool|fraud)$", description="their business model")
    promised_yield: float = Field(0.08, ge=0, le=1, description="annual yield they promise")
    capital: float = Field(5_000_000, ge=0, description="paid-in capital of each, yuan")
    max_customers: int = Field(500, ge=1, description="investors one pilot may serve")
    max_exposure_per_customer: float = Field(50_000, gt=0, description="yuan one investor may hold with a pilot")
    duration: int = Field(12, ge=1, le=120, description="months of the test")

    def pilots(self, model: Market) -> np.ndarray:
        """Rows of this pilot's firms."""
        book = model.book
        return np.flatnonzero(book.pilot[: book.n] & (book.entry_month[: book.n] == self.first_month(model)))

    @override
    def apply(self, policy: Policy, model: Market) -> None:
        rows = self.pilots(model)
        if model.month < self.first_month(model) + self.duration:
            policy.customer_cap[rows] = self.max_customers
            policy.customer_exposure_cap[rows] = self.max_exposure_per_customer
            policy.disclosure_required[rows] = 1.0
            policy.custody_required[rows] = True

    @override
    def act(self, model: Market) -> None:
        book = model.book
        first = self.first_month(model)
        if model.month == first and self.cohort:
            a = {
                "kind": np.full(self.cohort, KINDS.index(self.kind)),
                "base_yield": np.full(self.cohort, self.promised_yield),
                "capital": np.full(self.cohort, self.capital),
                "custody": np.ones(self.cohort, dtype=bool),
                "disclosure": np.ones(self.cohort),
                "visibility": np.ones(self.cohort),
                "region": np.arange(self.cohort) % model.regions,
                "controller": np.full(self.cohort, -1),
                "age": np.zeros(self.cohort, dtype=np.int64),
            }
            rows = model.add_platforms(a)
            book.pilot[rows] = True
        if model.month == first + self.duration:
            rows = self.pilots(model)
            rows = rows[book.alive()[rows]]
            model.order_exit(rows[book.equity()[rows] < 0])
