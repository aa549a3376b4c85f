"""Internet finance beyond P2P lending: the households' money across products, month by month.

Households (sampled with ``market.resolution``, each standing for ``weight``
real persons) keep their liquid money in bank deposits, the online
money-market fund (:mod:`sandbox.market.money_fund`) and client balances at
payment institutions (:mod:`sandbox.market.payments`), and buy insurance
online (:mod:`sandbox.market.insurance`). Once a month, after the P2P market's
month:

1. deposits earn the deposit rate; the P2P investors' net receipts this month
   (payouts less new money put in) reach the households' deposits, so a P2P
   failure wave brings money home, to be placed again;
2. the fund earns the money-market rate (raised for a while by its own fire
   sales), less fees; credit events hit its securities;
3. each household using online products moves part of the way to a target
   share of its money in the fund: a logistic in the fund's yield over
   deposits, lowered by fear (P2P failures, last month's outflow, a fall of the
   unit value); purchases and T+0 redemptions within the caps in force;
4. client balances go to payment institutions, which may lose and fail;
5. insurance is sold online; harm is booked per household.

Every yuan is accounted for: three identities are checked with the market's.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

import numpy as np

from sandbox.common.dates import month_index, value_at
from sandbox.market.arrays import count_at_most, entry_months, sampled
from sandbox.market.insurance import OnlineInsurance
from sandbox.market.money_fund import MoneyFund, size_room
from sandbox.market.payments import PaymentInstitutions, PolicyView

if TYPE_CHECKING:
    import pandas as pd

    from sandbox.market.model import SandboxModel
    from sandbox.market.product_params import ProductsParams

#: Working days in a month: a per-day cap (T+0 redemption, purchases) allows this many days' worth a month.
WORKING_DAYS = 21
#: The identities the products add to the market's check.
PRODUCT_IDENTITIES = ("products money", "fund units", "fund assets")
#: Extended precision (80-bit on x86, at least float64 elsewhere) for the households' totals.
EXACT = np.longdouble


def total(values: np.ndarray) -> np.longdouble:
    """The sum of ``values`` in extended precision."""
    return values.sum(dtype=EXACT)


class ProductMarket:
    """The households of the products section and the products they use.

    Args:
        params: the ``products:`` section.
        resolution: simulated persons per real person (``market.resolution``).
        start: the scenario's first month.
        rng: the products stream (drawn by nothing else).
    """

    def __init__(self, params: ProductsParams, resolution: float, start: str, rng: np.random.Generator) -> None:
        self.params = params
        self.start = start
        self.rng = rng
        hh = params.households
        self.n = n = sampled(hh.count, resolution)
        self.weight = hh.count / n
        self.deposits = self.weight * rng.lognormal(np.log(hh.wealth_median), hh.wealth_sigma, n)
        self.balances = np.zeros(n)  # client funds at a payment institution, yuan
        self.literacy = np.clip(rng.normal(hh.literacy_mean, hh.literacy_sd, n), 0, 1)
        self.entry = entry_months(rng, n, hh.active_at_start, hh.adoption_months)
        self.fund = MoneyFund(params.fund, n) if params.fund is not None else None
        self.payments = PaymentInstitutions(params.payments, n, rng, start) if params.payments is not None else None
        self.insurance = OnlineInsurance(params.insurance, n) if params.insurance is not None else None
        self._fund_shocks: dict[int, float] = {}  # month -> share of securities written off
        for shock in params.fund.shocks if params.fund is not None else []:
            t = month_index(shock.month, start)
            self._fund_shocks[t] = 1 - (1 - self._fund_shocks.get(t, 0.0)) * (1 - shock.loss_share)
        self.fear = 0.0  # households' fear of the fund, logit units
        self.fund_yield = 0.0  # what the fund paid its holders last month, fraction a year
        self.max_outflow_share = 0.0
        self._p2p_net = EXACT(0)  # P2P investors' receipts less investments so far
        # Cumulative flows into and out of the households' money and the fund (yuan).
        # Totals of trillions: kept and summed in extended precision, so that rounding stays far below a yuan.
        self.initial = total(self.deposits)
        self.interest = EXACT(0)
        self.p2p_in = EXACT(0)
        self.income = EXACT(0)  # money put into P2P beyond the households' deposits (from earnings)
        self.insurance_net = EXACT(0)  # premiums less claims paid
        self._lost_households = EXACT(0)
        self.lost_platforms = 0.0
        self.row_now: dict[str, float] = {}

    def p2p_appetite(self, model: SandboxModel) -> float:
        """Share of their P2P budget P2P investors keep in P2P, given the fund's yield (0 to 1).

        A household weighs P2P's typical promised yield (over the platforms operating,
        weighted by their claims, as ``avg_yield``) against what the fund pays: at
        ``p2p_reference_spread`` or more above it, the whole budget; as the fund catches
        up, less, by a logit with slope ``p2p_yield_response`` per percentage point
        (``2 x logistic``, capped at 1). What P2P investors take out reaches the
        households' deposits (:meth:`_take_p2p_flows`), and the fund from there.
        """
        h = self.params.households
        book = model.book
        alive = book.alive()
        if self.fund is None or h.p2p_yield_response == 0 or not alive.any():
            return 1.0
        claims = book.claims()[alive]
        p2p_yield = float(np.average(book.promised_yield[: book.n][alive], weights=claims + 1.0))
        gap = 100 * (p2p_yield - self.fund_yield - h.p2p_reference_spread)  # percentage points
        z = min(max(h.p2p_yield_response * gap, -50), 50)  # exp stays finite
        return min(1.0, 2 / (1 + math.exp(-z)))  # 2 x logistic: 1 at the reference spread

    @property
    def lost_households(self) -> float:
        """Client funds the households lost at failed payment institutions so far, yuan."""
        return float(self._lost_households)

    @property
    def rate_premium(self) -> float:
        """Rise of the money-market rate left by the fund's fire sales, fraction a year."""
        return self.fund.premium if self.fund is not None else 0.0

    def money(self) -> float:
        """All the households' money in products (deposits, balances, the fund's assets), yuan."""
        return float(self._money())

    def _money(self) -> np.longdouble:
        fund = (EXACT(self.fund.liquid) + EXACT(self.fund.securities)) if self.fund else EXACT(0)
        return total(self.deposits) + total(self.balances) + fund

    # ---------------------------------------------------------------- the month
    def step(self, model: SandboxModel) -> None:
        """One month of the products, after the P2P market's (see the module docstring)."""
        t = model.month
        rate = value_at(self.params.households.deposit_rate, t, self.start)
        interest = self.deposits * rate / 12
        self.deposits += interest
        self.interest += total(interest)
        self._take_p2p_flows(model)
        adopted = count_at_most(self.entry, t)
        if self.fund is not None:
            self._fund_month(model, t, rate, adopted)
        if self.payments is not None:
            self._payments_month(model, t)
        if self.insurance is not None:
            self._insurance_month(model, adopted)
        self.row_now = self._row()

    def _take_p2p_flows(self, model: SandboxModel) -> None:
        """The P2P investors' net receipts this month reach (or leave) the deposits, pro rata."""
        inv = model.investors
        net = total(inv.received) - total(inv.invested)
        flow, self._p2p_net = float(net - self._p2p_net), net
        held = float(total(self.deposits))
        moved = flow if flow >= 0 else -min(-flow, held)
        if held > 0:
            self.deposits += moved * (self.deposits / held)  # pro rata: the parts add up to moved
        self.p2p_in += EXACT(flow)
        self.income += EXACT(moved) - EXACT(flow)  # what the deposits could not pay came from earnings

    def _fund_month(self, model: SandboxModel, t: int, deposit_rate: float, adopted: int) -> None:
        fund, p = self.fund, self.params.fund
        assert fund is not None and p is not None  # called only with a fund
        pol = model.policy.products
        hh = self.params.households
        value_before = fund.unit_value
        market_rate = value_at(p.market_rate, t, self.start) + fund.premium
        last = fund.month
        fund.accrue(market_rate)
        reserve = value_at(p.risk_reserve, t, self.start)
        if t in self._fund_shocks:
            fund.credit_event(self._fund_shocks[t], reserve - fund.reserve_paid)
        book = model.book
        failed = np.count_nonzero(book.fail_month[: book.n] == t)
        alive = np.count_nonzero(book.alive()) + failed
        self.fear = (
            hh.fear_memory * self.fear
            + hh.fear_spillover * (failed / alive if alive else 0.0)
            + hh.fear_herding * last.outflow_share
            + hh.fear_loss * last.unit_fall
        )
        self.fund_yield = market_rate - p.fee
        spread = self.fund_yield - deposit_rate
        target = p.max_share / (1 + math.exp(-(p.yield_response * (spread - p.yield_threshold) - self.fear)))
        held = fund.holdings()
        desired = np.zeros(self.n)
        desired[:adopted] = np.minimum(
            target * (self.deposits[:adopted] + held[:adopted]), pol.holding_cap * self.weight
        )
        move = p.adjust * (desired - held)
        buy = np.minimum(np.clip(move, 0, None), self.deposits)
        buy = np.minimum(buy, pol.purchase_cap_daily * WORKING_DAYS * self.weight)
        room = size_room(fund.assets, reserve, pol.reserve_multiple)
        bought = buy.sum()
        if bought > room:
            buy *= room / bought
        sell = np.minimum(np.clip(-move, 0, None), pol.redemption_cap_daily * WORKING_DAYS * self.weight)
        paid, _ = fund.redeem(sell, reserve - fund.reserve_paid)
        self.deposits += paid - buy
        fund.subscribe(buy)
        fund.rebalance(pol.min_liquid_share)
        fund.end_month(value_before)
        self.max_outflow_share = max(self.max_outflow_share, fund.month.outflow_share)

    def _payments_month(self, model: SandboxModel, t: int) -> None:
        pay, p = self.payments, self.params.payments
        assert pay is not None and p is not None  # called only with payment institutions
        pol = model.policy.products
        money = self.deposits + self.balances
        self.balances = value_at(p.balance_share, t, self.start) * money
        self.deposits = money - self.balances
        book = model.book
        n = book.n
        cash = np.where(book.alive(), np.maximum(book.cash[:n], 0.0), 0.0) * p.platform_cash_share
        view = PolicyView(pol.central_deposit_share, pol.payment_licensing, self.rng)
        loss_h, loss_p = pay.step(t, self.balances, cash, view)
        self.balances -= loss_h
        self._lost_households += total(loss_h)
        # A platform's loss is its equity's, as at a custodian bank's failure (model.fail_custodian).
        book.cash[:n] -= loss_p
        book.equity_flow[:n] -= loss_p
        platforms_lost = float(loss_p.sum())
        model.ledger.bank_losses += platforms_lost
        self.lost_platforms += platforms_lost

    def _insurance_month(self, model: SandboxModel, adopted: int) -> None:
        ins, p = self.insurance, self.params.insurance
        assert ins is not None and p is not None  # called only with insurance
        able = np.flatnonzero(self.deposits[:adopted] >= p.premium * self.weight)
        net = ins.sell(able, self.literacy, self.weight, model.policy.products.insurance_unlicensed_stopped, self.rng)
        self.deposits -= net
        self.insurance_net += total(net)

    # --------------------------------------------------------------- accounts
    def errors(self) -> dict[str, float]:
        """Absolute error in yuan of each of :data:`PRODUCT_IDENTITIES` this month.

        1. money: deposits, balances and the fund's assets equal what came in
           (initial deposits, interest, P2P receipts, earnings, the fund's income
           and reserve payments) less what went out (fees, losses, net premiums,
           client funds lost);
        2. units: households' units equal the fund's;
        3. fund assets: its assets equal its own flows.
        """
        fund = self.fund
        expected = self.initial + self.interest + self.p2p_in + self.income - self.insurance_net - self._lost_households
        units = assets = 0.0
        if fund is not None:
            expected += EXACT(fund.income) - EXACT(fund.fees) - EXACT(fund.losses) + EXACT(fund.reserve_paid)
            units = abs(float(fund.held.sum()) - fund.units) * fund.unit_value
            assets = fund.accounting_error()
        money = float(abs(self._money() - expected))
        return dict(zip(PRODUCT_IDENTITIES, (money, units, assets), strict=True))

    # ---------------------------------------------------------------- outputs
    def _row(self) -> dict[str, float]:
        fund, pay, ins = self.fund, self.payments, self.insurance
        row: dict[str, float] = {"household_deposits": float(self.deposits.sum())}
        if fund is not None:
            held = fund.held > 0
            row.update(
                mmf_assets=fund.assets,
                mmf_unit_value=fund.unit_value,
                mmf_subscriptions=fund.month.subscribed,
                mmf_redemptions=fund.month.redeemed,
                mmf_outflow_share=fund.month.outflow_share,
                mmf_fire_sale_loss=fund.fire_sale_loss,
                mmf_credit_loss=fund.credit_loss,
                mmf_reserve_paid=fund.reserve_paid,
                mmf_holders=round(np.count_nonzero(held) * self.weight),
                mmf_fear=self.fear,
                rate_premium=fund.premium,
            )
        if pay is not None:
            row.update(
                payment_client_funds=pay.month.client_funds,
                payment_central_deposit=pay.month.central,
                payment_failures=pay.month.failures,
                payment_exits=pay.month.exits,
                client_funds_lost=self.lost_households + self.lost_platforms,
                client_funds_lost_households=self.lost_households,
            )
        if ins is not None:
            row.update(
                insurance_premiums=ins.month.premiums,
                insurance_unlicensed_sales=round(ins.month.unlicensed_sales * self.weight),
                misselling_harm=float(ins.harm.sum()),
                households_harmed=round(np.count_nonzero(ins.harm) * self.weight),
            )
        return row

    def row(self) -> dict[str, float]:
        """This month's columns of ``monthly.csv``."""
        return self.row_now

    def summary(self, monthly: pd.DataFrame) -> dict[str, Any]:
        """The per-run numbers of ``summary.json`` (yuan, shares, persons)."""
        out: dict[str, Any] = {"represented_households": self.params.households.count}
        if self.fund is not None and len(monthly):
            out.update(
                mmf_assets_peak=float(monthly["mmf_assets"].max()),
                mmf_assets_end=float(monthly["mmf_assets"].iloc[-1]),
                mmf_max_monthly_outflow_share=self.max_outflow_share,
                mmf_fire_sale_loss=self.fund.fire_sale_loss,
                mmf_credit_loss=self.fund.credit_loss,
                mmf_reserve_paid=self.fund.reserve_paid,
            )
        if self.payments is not None:
            out.update(
                client_funds_lost=self.lost_households + self.lost_platforms,
                client_funds_lost_households=self.lost_households,
                client_funds_lost_platforms=self.lost_platforms,
                payment_failures=int((self.payments.fail_month >= 0).sum()),
            )
        if self.insurance is not None:
            harmed = np.count_nonzero(self.insurance.harm)
            out.update(
                misselling_harm=float(self.insurance.harm.sum()),
                households_harmed=round(harmed * self.weight),
                insurance_premiums=self.insurance.premiums,
            )
        return out


def product_summary(model: SandboxModel, monthly: pd.DataFrame) -> dict[str, Any]:
    """The products' numbers for the run summary; none without a ``products:`` section."""
    products = getattr(model, "products", None)
    return products.summary(monthly) if products is not None else {}
