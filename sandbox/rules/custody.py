"""Custody: client funds must sit with a custodian bank."""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar, override

from sandbox.market.platforms import FRAUD
from sandbox.rules.base import Policy, Rule
from sandbox.rules.registry import register

if TYPE_CHECKING:
    from sandbox.market.interface import Market


@register
class Custody(Rule):
    """Client money is held by a custodian bank.

    Honest platforms adopt custody (each with probability 0.3 a month once
    bound; inspections push laggards up the enforcement ladder). A fraud bound
    by the rule is forced into custody
    by its bank too, which blocks most diversion and most of what an absconding
    controller could take, and makes inspections more likely to find misconduct.
    """

    name: ClassVar[str] = "custody"
    summary: ClassVar[str] = "client funds must be held by a custodian bank"
    stands_for: ClassVar[str] = "Guidelines on custody of P2P lending funds (China, 2017-02)"

    @override
    def apply(self, policy: Policy, model: Market) -> None:
        bound = self.bound(model)
        policy.custody_required[: bound.size] |= bound

    @override
    def act(self, model: Market) -> None:
        # Banks will not open new custody accounts for unlicensed pass-throughs:
        # a bound fraud either accepts the custodian or cannot take deposits.
        book = model.book
        n = book.n
        bound = self.bound(model)[:n]
        book.custody[:n] |= bound & (book.kind[:n] == FRAUD)
