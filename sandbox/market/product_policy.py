"""What the product rules require in one month, as the products read it.

A field of :class:`~sandbox.market.policy.Policy` (``policy.products``); the
defaults mean "no rule". Rules compose by the strictest value.
"""

from __future__ import annotations

import math
from dataclasses import dataclass


@dataclass
class ProductPolicy:
    """The product regime in force in one month."""

    # Money-market fund: yuan per person per day, yuan per person, shares, multiples.
    redemption_cap_daily: float = math.inf  # same-day (T+0) redemption
    purchase_cap_daily: float = math.inf
    holding_cap: float = math.inf
    min_liquid_share: float = 0.0
    reserve_multiple: float = math.inf  # largest fund size, times the risk reserve
    # Payment institutions: share of client funds deposited centrally; whether a licence is required.
    central_deposit_share: float = 0.0
    payment_licensing: bool = False
    # Online insurance: share of unlicensed online sales stopped.
    insurance_unlicensed_stopped: float = 0.0
