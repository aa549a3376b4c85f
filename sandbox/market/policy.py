"""The policy in force in one month: what the rules require, as the market reads it.

Each month every rule in force writes its requirements into a fresh
:class:`Policy` (:meth:`sandbox.rules.Rule.apply`); the market reads only this
object, so rules compose (the lowest cap, the highest required disclosure, ...)
and the market never needs to know which rule set what. It lives with the market
because the market reads it; rules, one layer up, write it.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from sandbox.market.product_policy import ProductPolicy


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
    warning_threshold: float = math.inf  # no public warnings until the early_warning rule sets one
    information_sharing: bool = True
    publish_warnings: bool = False
    # Investors
    education: float = 0.0
    exposure_cap: float = math.inf
    exposure_share_cap: float = math.inf
    # Resolution; credit reporting of borrowers who stop paying a stopped platform (share reported, 0 to 1)
    orderly_share: float = 0.0
    recovery_uplift: float = 0.0
    resolution_months: int | None = None
    defaulter_reporting: float = 0.0
    # Deadlines to stop P2P lending (exit campaign, licensing, pool ban: :mod:`sandbox.market.choices`).
    # ``exit_deadline`` (below) is the month from which a platform operating is illegal (inf: never);
    # the regulators check up to ``enforcement_capacity`` platforms a month for illegal operation,
    # and one caught pays ``illegal_fine`` (yuan) and is ordered to exit.
    enforcement_capacity: int = 0
    illegal_fine: float = 0.0
    # Between jurisdictions (a scenario's ``jurisdictions:``; :mod:`sandbox.market.jurisdictions`):
    # who may serve residents from abroad ("open", "licence", "ban"), and what this
    # jurisdiction's regulator tells others: partner name ("*": all) -> (level, delay in months),
    # level 0 none, 1 blacklist, 2 full (blacklists, warnings and inspection findings).
    cross_border: str = "open"
    sharing: dict[str, tuple[int, int]] = field(default_factory=dict)
    # Internet finance beyond P2P lending (money-market fund, payments, insurance): the product rules'
    products: ProductPolicy = field(default_factory=ProductPolicy)
    # Per-platform requirements (filled by __post_init__); pilot caps are inf outside a pilot
    disclosure_required: np.ndarray = field(init=False)
    rate_cap: np.ndarray = field(init=False)
    yield_cap: np.ndarray = field(init=False)
    custody_required: np.ndarray = field(init=False)
    pool_banned: np.ndarray = field(init=False)
    registration_required: np.ndarray = field(init=False)
    customer_cap: np.ndarray = field(init=False)
    customer_exposure_cap: np.ndarray = field(init=False)
    exit_deadline: np.ndarray = field(init=False)
    # Most outstanding loans a platform may carry (yuan; inf: no target): a campaign's
    # balance-reduction path. It may not lend above it, and carrying more is a breach.
    loan_ceiling: np.ndarray = field(init=False)

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
        self.exit_deadline = np.full(n, math.inf)
        self.loan_ceiling = np.full(n, math.inf)

    def require_exit(self, rows: np.ndarray, deadline: int, fine: float, capacity: int) -> None:
        """Platforms ``rows`` (a mask or indices) may not operate from month ``deadline``.

        Deadlines compose by the earliest, fines and enforcement capacity by the largest
        (the strictest rule in force). Nothing closes here: each platform chooses to wind
        down, convert or carry on (:mod:`sandbox.market.choices`), and regulators catch
        those operating after the deadline as far as their capacity goes.
        """
        rows = np.flatnonzero(rows) if rows.dtype == bool else rows
        self.exit_deadline[rows] = np.minimum(self.exit_deadline[rows], deadline)
        self.illegal_fine = max(self.illegal_fine, fine)
        self.enforcement_capacity = max(self.enforcement_capacity, capacity)
