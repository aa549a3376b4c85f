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

The check returns the largest absolute error in yuan.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from sandbox.model import SandboxModel


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
        """Largest absolute accounting error this month, over the four identities."""
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
        return float(max(e1, e2, e3, e4))
