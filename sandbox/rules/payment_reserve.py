"""Payment institutions' client funds deposited centrally: a share, dated."""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar, override

from pydantic import Field

from sandbox.common.dates import Dated, DatedValues
from sandbox.rules.base import Policy, Rule
from sandbox.rules.registry import register

if TYPE_CHECKING:
    from sandbox.market.interface import Market

    type Share = float | DatedValues
else:
    Share = Dated(ge=0, le=1)


@register
class PaymentReserve(Rule):
    """A share of every payment institution's client funds sits with the central bank, without
    interest: the institution cannot lose it, and its clients get it back if it fails.

    ``share: {values: {2017-04: 0.2, 2018-01: 0.3, ..., 2019-01: 1.0}}``.
    """

    name: ClassVar[str] = "payment_reserve"
    summary: ClassVar[str] = "share of payment institutions' client funds deposited centrally (dated)"
    stands_for: ClassVar[str] = (
        "PBoC centralised deposit of client reserves (备付金): 12-20% from 2017-04, "
        "rising monthly to 100% by 2019-01-14"
    )

    share: Share = Field(description="share of client funds deposited centrally, 0 to 1 (or dated values)")

    @override
    def apply(self, policy: Policy, model: Market) -> None:
        pp = policy.products
        pp.central_deposit_share = max(pp.central_deposit_share, model.value_now(self.share))
