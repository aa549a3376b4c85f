"""Payment licensing: only licensed institutions may hold client funds."""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar, override

from sandbox.rules.base import Policy, Rule
from sandbox.rules.registry import register

if TYPE_CHECKING:
    from sandbox.market.interface import Market


@register
class PaymentLicensing(Rule):
    """Institutions without a payment licence stop holding client funds: they close in order
    (their clients are repaid and move to licensed ones), so their higher hazard of
    taking client money is gone."""

    name: ClassVar[str] = "payment_licensing"
    summary: ClassVar[str] = "only licensed payment institutions may hold client funds"
    stands_for: ClassVar[str] = (
        "Measures for payment services of non-financial institutions (PBoC, 2010-06; licences from 2011)"
    )

    @override
    def apply(self, policy: Policy, model: Market) -> None:
        policy.products.payment_licensing = True
