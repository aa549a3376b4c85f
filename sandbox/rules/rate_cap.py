"""Rate cap: a ceiling on borrowers' APR, absolute or a multiple of the benchmark."""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar, override

from pydantic import Field, model_validator

from sandbox.common.dates import Dated, DatedValues
from sandbox.rules.base import Policy, Rule
from sandbox.rules.registry import register

if TYPE_CHECKING:
    from sandbox.market.interface import Market

    # What a dated field holds once validated: a type checker cannot read the
    # Annotated type that Dated(...) builds at run time.
    type AprCap = float | DatedValues
    type BenchmarkMultiple = float | DatedValues
else:
    AprCap = Dated(ge=0, le=10)
    BenchmarkMultiple = Dated(ge=0, le=100)


@register
class RateCap(Rule):
    """Borrowers' APR may not exceed ``apr``, or ``multiple`` times the benchmark rate.

    Platforms refuse borrowers whose risk-based price is above the cap, so the
    riskiest borrowers lose access: the default rate falls, and rollover
    borrowers who are refused come under stress. Credit excluded by the cap
    counts only loans the borrower would have taken (price within what it would
    pay); of that, some is borrowed from informal lenders and the rest goes
    without (``credit_informal``, ``credit_gone_without``). An optional ``investor_yield_cap`` limits promised yields.
    ``apr`` and ``multiple`` may change on dates: ``apr: {values: {2015-09: 0.36, 2017-08: 0.24}}``.
    """

    name: ClassVar[str] = "rate_cap"
    summary: ClassVar[str] = "ceiling on borrower APR (absolute or x benchmark) and optionally on promised yield"
    stands_for: ClassVar[str] = "Judicial 24%/36% cap (2015); 4x the loan prime rate (2020-08)"

    apr: AprCap | None = Field(None, description="cap on borrower APR, fraction a year (or dated values)")
    multiple: BenchmarkMultiple | None = Field(None, description="cap as a multiple of the benchmark rate (or dated)")
    investor_yield_cap: float | None = Field(None, ge=0, le=10, description="cap on promised investor yield")

    @model_validator(mode="after")
    def _one_form(self) -> RateCap:
        if (self.apr is None) == (self.multiple is None):
            raise ValueError("give exactly one of 'apr' (absolute) or 'multiple' (times the benchmark rate)")
        return self

    def cap(self, model: Market) -> float:
        """The APR cap in force this month."""
        if self.apr is not None:
            return model.value_now(self.apr)
        assert self.multiple is not None  # the validator requires exactly one of apr and multiple
        return model.value_now(self.multiple) * model.benchmark_rate

    @override
    def apply(self, policy: Policy, model: Market) -> None:
        bound = self.bound(model)
        cap = policy.rate_cap[: bound.size]
        cap[bound] = cap[bound].clip(max=self.cap(model))
        if self.investor_yield_cap is not None:
            yc = policy.yield_cap[: bound.size]
            yc[bound] = yc[bound].clip(max=self.investor_yield_cap)
