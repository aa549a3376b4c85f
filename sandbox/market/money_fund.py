"""An online money-market fund (Yu'e Bao style): T+0 redemption from a buffer, then fire sales.

The fund holds liquid assets (the buffer: bank deposits, repos) and securities
(bills, bonds). Holders own units; the unit value is assets over units, so
interest raises it and losses lower it for everyone still in. A redemption is
paid from the buffer first, then by selling securities at a discount that
grows with the share of the securities sold in the month (price impact); the
loss on a fire sale falls first on the manager's risk reserve, then on the
holders who stay. Fire sales also raise the money-market rate for a while:
the fund's yield, and the benchmark rate the rest of the market sees, move up.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from sandbox.market.product_params import MoneyFundParams


@dataclass
class FundMonth:
    """What the fund did in one month (yuan, shares)."""

    subscribed: float = 0.0
    redeemed: float = 0.0
    fire_sale_loss: float = 0.0
    outflow_share: float = 0.0
    unit_fall: float = 0.0


class MoneyFund:
    """The fund's balance sheet and its holders' units.

    Args:
        params: the ``products.fund`` block.
        holders: simulated households (each holds units on behalf of its group).
    """

    def __init__(self, params: MoneyFundParams, holders: int) -> None:
        self.params = params
        self.liquid = 0.0
        self.securities = 0.0
        self.units = 0.0
        self.held = np.zeros(holders)  # units per simulated household
        self.premium = 0.0  # rise of the money-market rate left by recent fire sales, fraction a year
        # Cumulative flows (yuan): what the accounting check adds up.
        self.income = 0.0
        self.fees = 0.0
        self.losses = 0.0  # fire-sale and credit losses
        self.fire_sale_loss = 0.0
        self.credit_loss = 0.0
        self.reserve_paid = 0.0  # paid in by the manager's risk reserve
        self.subscribed = 0.0
        self.redeemed = 0.0
        self.month = FundMonth()

    @property
    def assets(self) -> float:
        """Liquid assets plus securities, yuan."""
        return self.liquid + self.securities

    @property
    def unit_value(self) -> float:
        """Yuan per unit (1 before anyone holds a unit)."""
        return self.assets / self.units if self.units > 0 else 1.0

    def holdings(self) -> np.ndarray:
        """Each simulated household's holding, yuan."""
        return self.held * self.unit_value

    def accrue(self, market_rate: float) -> None:
        """A month of interest on the assets, less fees; a new month's record starts."""
        self.month = FundMonth()
        p = self.params
        income = (self.securities * market_rate + self.liquid * (market_rate - p.liquid_discount)) / 12
        fees = self.assets * p.fee / 12
        self.liquid += income - fees
        self.income += income
        self.fees += fees

    def lose(self, loss: float, reserve_left: float) -> float:
        """Book a loss on securities; the risk reserve pays in up to ``reserve_left``.
        Returns what the reserve paid."""
        covered = min(loss, max(reserve_left, 0.0))
        self.liquid += covered
        self.reserve_paid += covered
        self.losses += loss
        return covered

    def credit_event(self, share: float, reserve_left: float) -> float:
        """A share of the securities defaults. Returns what the reserve paid."""
        loss = share * self.securities
        self.securities -= loss
        self.credit_loss += loss
        return self.lose(loss, reserve_left)

    def redeem(self, wanted: np.ndarray, reserve_left: float) -> tuple[np.ndarray, float]:
        """Pay households ``wanted`` yuan each (at most their holdings), at today's unit value.

        Paid from the buffer, then from securities maturing this month (one in
        ``maturity_months`` of them), then by selling securities at a discount of
        ``fire_sale_impact`` times the share of securities sold (at most
        ``max_discount``). If even selling everything falls short, each gets the
        same share of what it asked. Returns (paid per household, reserve paid).
        """
        p = self.params
        value = self.unit_value
        wanted = np.minimum(wanted, self.held * value)
        total = float(wanted.sum())
        before = self.assets
        if total <= 0 or before <= 0:
            return np.zeros_like(wanted), 0.0
        # Securities maturing this month pay at par before any is sold (short paper rolls off).
        maturing = min(self.securities / p.maturity_months, max(total - self.liquid, 0.0))
        self.securities -= maturing
        self.liquid += maturing
        need = max(total - self.liquid, 0.0)
        sold = loss = 0.0
        if need > 0 and self.securities > 0:
            discount = min(p.fire_sale_impact * need / self.securities, p.max_discount)
            sold = min(need / (1 - discount), self.securities) if discount < 1 else self.securities
            proceeds = sold * (1 - discount)
            loss = sold - proceeds
            self.securities -= sold
            self.liquid += proceeds
            self.premium += p.rate_impact * sold / (sold + self.securities)
        paid_share = min(1.0, self.liquid / total)
        paid = wanted * paid_share
        paid_total = float(paid.sum())
        self.liquid -= paid_total
        redeemed = paid / value
        self.held -= redeemed
        self.units -= float(redeemed.sum())  # kept on its own: the check compares it with the holdings
        self.fire_sale_loss += loss
        reserve = self.lose(loss, reserve_left) if loss > 0 else 0.0
        m = self.month
        self.redeemed += paid_total
        m.redeemed += paid_total
        m.fire_sale_loss += loss
        m.outflow_share = m.redeemed / before
        return paid, reserve

    def subscribe(self, amount: np.ndarray) -> None:
        """Households put ``amount`` yuan each into the fund, at today's unit value."""
        bought = amount / self.unit_value
        self.held += bought
        self.units += float(bought.sum())  # kept on its own: the check compares it with the holdings
        total = float(amount.sum())
        self.liquid += total
        self.subscribed += total
        self.month.subscribed += total

    def accounting_error(self) -> float:
        """Assets less what the fund's flows add up to, yuan (0 up to rounding)."""
        flows = self.subscribed - self.redeemed + self.income - self.fees - self.losses + self.reserve_paid
        return abs(self.assets - flows)

    def rebalance(self, min_liquid_share: float) -> None:
        """Invest the buffer above its target in securities (the manager never sells to refill
        it: only redemptions make it sell)."""
        target = max(self.params.liquid_share, min_liquid_share) * self.assets
        if self.liquid > target:
            self.securities += self.liquid - target
            self.liquid = target

    def end_month(self, value_before: float) -> None:
        """The fire-sale premium fades; the month's fall of the unit value is noted."""
        self.premium *= self.params.rate_memory
        self.month.unit_fall = max(value_before - self.unit_value, 0.0) / value_before if value_before > 0 else 0.0


def size_room(assets: float, reserve: float, multiple: float) -> float:
    """How much more the fund may take before it is ``multiple`` times its risk reserve (yuan)."""
    if math.isinf(multiple):
        return math.inf
    return max(multiple * reserve - assets, 0.0)
