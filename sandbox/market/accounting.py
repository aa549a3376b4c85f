"""Stock-flow accounting: cumulative flows between sectors, and the monthly check.

Every month four identities are checked; each compares stocks kept by one
side of a flow with what the other side recorded:

1. balance sheet, per platform: ``cash + loans - claims`` equals equity carried
   forward from the flows booked to it (capital, income, losses, diversion,
   fines, costs, write-offs);
2. investor claims, per platform: units on the platform's books equal the
   units in investors' holdings;
3. loans, per platform (and the outside debt buyer): principal on the
   platform's books equals principal in borrowers' loans;
4. money: all cash held by platforms and the buyer equals what came in
   (capital, investments, borrower payments, guarantee payments) less what
   went out (payouts, new loans, diversion, fines, costs, guarantee fees,
   money lost in custodian bank failures, money returned to owners), each total
   taken from the sector that paid or received it.

The check returns the largest absolute error in yuan. An error beyond
:func:`tolerance`, or NaN anywhere in the checked stocks and flows (which makes
an identity NaN), breaks the accounts: :func:`enforce` raises
:class:`AccountingError`, or warns with :class:`AccountingWarning` when the run
was asked to (``accounting="warn"``).
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

import numpy as np

if TYPE_CHECKING:
    from sandbox.market.model import SandboxModel

#: What a run does when its accounts break: stop with an error, or warn and go on.
AccountingMode = Literal["error", "warn"]
ACCOUNTING_MODES: tuple[str, ...] = ("error", "warn")
#: The four identities, in the order of the module docstring.
IDENTITIES = ("balance sheet", "investor claims", "loans", "money")
#: Tolerance relative to the market's size (measured errors are below 1e-14 of it:
#: floating-point rounding), and an absolute floor in yuan for tiny markets.
TOLERANCE_SHARE = 1e-7
TOLERANCE_YUAN = 1.0


class AccountingError(ArithmeticError):
    """An accounting identity broke: its error is NaN or beyond tolerance.

    Attributes:
        identity: which of :data:`IDENTITIES` broke.
        month: the month's label (``YYYY-MM``).
        error: the error in yuan (NaN when a stock or flow is not a number).
        allowed: the tolerance in yuan that month.
    """

    def __init__(self, identity: str, month: str, error: float, allowed: float) -> None:
        self.identity, self.month, self.error, self.allowed = identity, month, error, allowed
        super().__init__(describe(identity, month, error, allowed))


class AccountingWarning(RuntimeWarning):
    """An accounting identity broke in a run asked to warn instead of stopping."""


def describe(identity: str, month: str, error: float, allowed: float) -> str:
    """One line saying which identity broke, when, and by how much."""
    if math.isnan(error):
        return f"accounts do not add up in {month}: the {identity} identity is NaN (a stock or flow is not a number)"
    if math.isinf(error):
        return (
            f"accounts do not add up in {month}: the {identity} identity is off by an infinite amount "
            "(a stock or flow is infinite)"
        )
    return (
        f"accounts do not add up in {month}: the {identity} identity is off by {error:,.2f} yuan "
        f"(tolerance {allowed:,.2f} yuan)"
    )


def tolerance(market_size: float) -> float:
    """Largest error in yuan that counts as rounding, for a market of ``market_size`` yuan."""
    return max(TOLERANCE_YUAN, TOLERANCE_SHARE * market_size)


def worst(errors: dict[str, float]) -> tuple[str, float]:
    """The identity with the largest error; a NaN counts as the largest (Python's ``max`` would drop it)."""
    for identity, error in errors.items():
        if math.isnan(error):
            return identity, error
    identity = max(errors, key=lambda k: errors[k])
    return identity, errors[identity]


def enforce(errors: dict[str, float], month: str, market_size: float, mode: AccountingMode, warned: set[str]) -> None:
    """Raise (``mode="error"``) or warn (``"warn"``, once per identity, recorded in
    ``warned``) for each identity whose error is NaN or beyond :func:`tolerance`."""
    allowed = tolerance(market_size)
    for identity, error in errors.items():
        if not (math.isnan(error) or error > allowed):
            continue
        if mode == "error":
            raise AccountingError(identity, month, error, allowed)
        if identity not in warned:  # once per identity: a broken account stays broken every month after
            warned.add(identity)
            warnings.warn(describe(identity, month, error, allowed), AccountingWarning, stacklevel=3)


@dataclass
class Ledger:
    """Cumulative flows (yuan) between platforms and the sectors outside them."""

    capital_in: float = 0.0
    diverted: float = 0.0
    fines: float = 0.0
    opex: float = 0.0
    owners_out: float = 0.0
    guarantees_in: float = 0.0  # paid by guarantee companies (and, counterfactually, a backstop)
    guarantee_fees: float = 0.0  # paid to guarantee companies
    bank_losses: float = 0.0  # client money lost in custodian bank failures

    def check(self, model: SandboxModel) -> float:
        """Largest absolute accounting error this month, over the four identities (NaN if any is NaN)."""
        return worst(self.errors(model))[1]

    def errors(self, model: SandboxModel) -> dict[str, float]:
        """Absolute error in yuan of each identity (:data:`IDENTITIES`) this month.

        NumPy's ``max`` and ``sum`` propagate NaN, so a NaN in any checked stock
        or flow makes its identity's error NaN.
        """
        book, inv, bor = model.book, model.investors, model.borrowers
        n, size = book.n, book.capacity + 1
        rows = np.r_[np.arange(n), book.buyer]
        balance = book.cash[rows] + book.loans[rows] - book.units[rows] * book.unit_value[rows]
        e1 = np.abs(balance - book.equity_flow[rows]).max(initial=0.0)
        units = inv.units_by_platform(size)
        e2 = np.abs((units[:n] - book.units[:n]) * book.unit_value[:n]).max(initial=0.0)
        principal = bor.principal_by_platform(size)
        e3 = np.abs(principal[rows] - book.loans[rows]).max(initial=0.0)
        cash = book.cash[rows].sum()
        expected = (
            self.capital_in
            + inv.invested.sum()
            - inv.received.sum()
            - bor.borrowed_total
            + bor.paid_total
            - self.diverted
            - self.fines
            - self.opex
            - self.owners_out
            + self.guarantees_in
            - self.guarantee_fees
            - self.bank_losses
        )
        e4 = abs(cash - expected)
        return dict(zip(IDENTITIES, (float(e1), float(e2), float(e3), float(e4)), strict=True))
