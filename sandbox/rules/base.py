"""What a rule is, and the policy state that rules write and the model reads.

A rule is a small pydantic model: its parameters (with units and ranges), the
month it goes live (``from``), an optional ``until``, and a grace period for
platforms already operating. Each month, every rule in force writes what it
requires into a fresh :class:`Policy` (``apply``) and may act directly on the
model (``act``). The model reads only the :class:`Policy`, so rules compose.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, ClassVar

import numpy as np
from pydantic import ConfigDict, Field, model_validator

from sandbox.common.dates import Month, month_index
from sandbox.common.validation import FieldProblem, StrictModel

if TYPE_CHECKING:
    from sandbox.market.model import SandboxModel


@dataclass
class Policy:
    """The regime in force in one month. Defaults mean "no rule".

    Per-platform requirements are arrays over the platform book, so a grace
    period can exempt incumbents while entrants are bound at once.
    """

    n_platforms: int
    # Entry (licensing / registration, blacklist)
    licensing: bool = False
    min_capital: float = 0.0
    screening_accuracy: float = 0.0
    blacklist: bool = False
    pool_ban_entry: bool = False
    # Disclosure: required quality per platform (0 to 1) and monthly audit chance
    audit_probability: float = 0.0
    # Borrower credit limits (yuan); inf = none
    limit_individual_platform: float = math.inf
    limit_individual_total: float = math.inf
    limit_company_platform: float = math.inf
    limit_company_total: float = math.inf
    # Regulator
    inspection_capacity: int = 0
    targeting: str = "risk"
    fine: float = 0.0
    rectification_months: int = 3
    early_warning: bool = False
    warning_threshold: float = 2.0
    information_sharing: bool = True
    publish_warnings: bool = False
    # Investors
    education: float = 0.0
    exposure_cap: float = math.inf
    exposure_share_cap: float = math.inf
    # Resolution
    orderly_share: float = 0.0
    recovery_uplift: float = 0.0
    resolution_months: int | None = None
    # Per-platform requirements (filled by __post_init__); pilot caps are inf outside a pilot
    disclosure_required: np.ndarray = field(default=None)  # type: ignore[assignment]
    rate_cap: np.ndarray = field(default=None)  # type: ignore[assignment]
    yield_cap: np.ndarray = field(default=None)  # type: ignore[assignment]
    custody_required: np.ndarray = field(default=None)  # type: ignore[assignment]
    pool_banned: np.ndarray = field(default=None)  # type: ignore[assignment]
    registration_required: np.ndarray = field(default=None)  # type: ignore[assignment]
    customer_cap: np.ndarray = field(default=None)  # type: ignore[assignment]
    customer_exposure_cap: np.ndarray = field(default=None)  # type: ignore[assignment]

    def __post_init__(self) -> None:
        n = self.n_platforms
        self.disclosure_required = np.zeros(n)
        self.rate_cap = np.full(n, math.inf)
        self.yield_cap = np.full(n, math.inf)
        self.custody_required = np.zeros(n, dtype=bool)
        self.pool_banned = np.zeros(n, dtype=bool)
        self.registration_required = np.zeros(n, dtype=bool)
        self.customer_cap = np.full(n, math.inf)
        self.customer_exposure_cap = np.full(n, math.inf)


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

    def first_month(self, model: SandboxModel) -> int:
        """Index of the month the rule goes live."""
        return month_index(self.start, model.config.start)

    def in_force(self, model: SandboxModel) -> bool:
        """Whether the rule is in force in the model's current month."""
        t = model.month
        if t < self.first_month(model):
            return False
        return self.until is None or t < month_index(self.until, model.config.start)

    def bound(self, model: SandboxModel) -> np.ndarray:
        """Platforms the rule binds now: entrants at once, incumbents after the grace period."""
        book = model.book
        first = self.first_month(model)
        if model.month >= first + self.grace_months:
            return np.ones(book.n, dtype=bool)
        return book.entry_month[: book.n] >= first

    def apply(self, policy: Policy, model: SandboxModel) -> None:
        """Write this month's requirements into ``policy``. Called every month in force."""

    def act(self, model: SandboxModel) -> None:
        """Act on the model directly, after all rules have applied. Called every month in force."""


