"""The ``products:`` section: internet finance beyond P2P lending, in real units.

Households (a sampled population, like investors) keep their liquid money in
bank deposits, an online money-market fund and client balances at payment
institutions, and buy insurance online. Each block is optional; a scenario
without ``products:`` is the P2P market alone, draw for draw. Behavioural
numbers (response strengths, hazards) are fields here, each listed with its
default and reason in docs/model.md section 7.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from pydantic import Field

from sandbox.common.dates import Dated, DatedValues, Month
from sandbox.market.params import Section

if TYPE_CHECKING:
    type Rate = float | DatedValues
    type Yuan = float | DatedValues
    type Share = float | DatedValues
else:
    Rate = Dated(ge=-0.1, le=1)
    Yuan = Dated(ge=0, le=1e15)
    Share = Dated(ge=0, le=1)

__all__ = [
    "FundShock",
    "HouseholdParams",
    "InsuranceParams",
    "MoneyFundParams",
    "PaymentParams",
    "PaymentShock",
    "ProductsParams",
]


class HouseholdParams(Section):
    """Households whose liquid money the products share."""

    count: int = Field(1_000_000, ge=1, le=2_000_000_000, description="households (real persons) represented")
    wealth_median: float = Field(20_000.0, gt=0, description="median liquid money of a person, yuan")
    wealth_sigma: float = Field(1.2, ge=0, le=5, description="log-sd of liquid money")
    active_at_start: float = Field(0.05, ge=0, le=1, description="share using online products at the start")
    adoption_months: int = Field(48, ge=1, le=1200, description="months over which the rest adopt them")
    literacy_mean: float = Field(0.4, ge=0, le=1, description="mean financial literacy, 0 to 1")
    literacy_sd: float = Field(0.2, ge=0, le=1, description="sd of financial literacy")
    deposit_rate: Rate = Field(0.0035, description="what bank deposits earn, fraction a year (dated)")
    fear_memory: float = Field(0.6, ge=0, le=1, description="share of last month's fear of the fund still felt")
    p2p_yield_response: float = Field(
        0.0,
        ge=0,
        le=10,
        description="logit slope of P2P investors' appetite in P2P's yield over the fund's, per percentage point "
        "(0: P2P investors ignore the fund)",
    )
    p2p_reference_spread: float = Field(
        0.06, ge=-1, le=1, description="P2P's yield over the fund's at which P2P investors keep their whole budget"
    )
    fear_spillover: float = Field(
        5.0, ge=0, le=1000, description="fear (logit units) per unit share of P2P platforms failing in a month"
    )
    fear_herding: float = Field(
        2.0, ge=0, le=1000, description="fear (logit units) per unit share of the fund redeemed last month"
    )
    fear_loss: float = Field(
        200.0, ge=0, le=10_000, description="fear (logit units) per unit fall of the fund's unit value in a month"
    )


class FundShock(Section):
    """A credit event in the fund's holdings: a share of its securities defaults."""

    month: Month = Field(description="month of the event, YYYY-MM")
    loss_share: float = Field(ge=0, le=1, description="share of the fund's securities written off")


class MoneyFundParams(Section):
    """One online money-market fund (Yu'e Bao style), redeemable T+0."""

    market_rate: Rate = Field(0.035, description="money-market rate the fund's securities earn, fraction a year")
    fee: float = Field(0.0066, ge=0, le=0.1, description="annual fees (management, custody, sales), fraction")
    liquid_share: float = Field(0.1, ge=0, le=1, description="share of assets the manager keeps liquid")
    liquid_discount: float = Field(
        0.01, ge=0, le=0.2, description="yield liquid assets give up against securities, fraction a year"
    )
    risk_reserve: Yuan = Field(0.0, description="the manager's risk reserve, yuan (dated); covers losses first")
    max_share: float = Field(
        0.4, ge=0, le=1, description="largest share of its liquid money a household puts in the fund"
    )
    yield_response: float = Field(
        100.0, ge=0, le=10_000, description="logit of the fund share per unit of annual yield over deposits"
    )
    yield_threshold: float = Field(
        0.02, ge=-0.1, le=0.2, description="yield over deposits at which a household puts half of max_share"
    )
    adjust: float = Field(0.3, gt=0, le=1, description="share of the gap to its target a household closes a month")
    maturity_months: float = Field(
        3.0, ge=1, le=120, description="average maturity of its securities, months (a share 1/this matures a month)"
    )
    fire_sale_impact: float = Field(
        0.5, ge=0, le=10, description="price discount per unit share of the fund's securities sold in a month"
    )
    max_discount: float = Field(0.2, ge=0, le=1, description="largest fire-sale discount")
    rate_impact: float = Field(
        0.05, ge=0, le=1, description="rise of the money-market rate per unit share of securities sold"
    )
    rate_memory: float = Field(0.5, ge=0, le=1, description="share of that rise left the next month")
    shocks: list[FundShock] = Field(default_factory=list, description="credit events in the fund's holdings")


class PaymentShock(Section):
    """A loss at one payment institution (fraud, a bad investment of client money)."""

    month: Month = Field(description="month of the loss, YYYY-MM")
    rank: int = Field(0, ge=0, description="which institution, by size (0: the largest)")
    loss_share: float = Field(ge=0, le=1, description="share of the client money it holds unprotected that is lost")


class PaymentParams(Section):
    """Payment institutions holding client funds (备付金) of households and platforms."""

    institutions: int = Field(267, ge=1, le=10_000, description="payment institutions (one for one)")
    concentration: float = Field(1.0, ge=0, le=5, description="Zipf exponent of their market shares")
    balance_share: Share = Field(
        0.05, description="share of a household's liquid money in transit at its institution (dated)"
    )
    platform_cash_share: float = Field(
        0.3, ge=0, le=1, description="share of a P2P platform's cash held at a payment institution"
    )
    capital_median: float = Field(1e8, ge=0, description="median capital of an institution, yuan")
    capital_sigma: float = Field(1.0, ge=0, le=5, description="log-sd of capital")
    unlicensed_share: float = Field(0.3, ge=0, le=1, description="share of institutions without a licence")
    misappropriation_hazard: float = Field(
        0.002, ge=0, le=1, description="monthly chance an unlicensed institution takes client money"
    )
    licensed_hazard: float = Field(0.0002, ge=0, le=1, description="the same for a licensed institution")
    misappropriation_share: float = Field(
        0.5, ge=0, le=1, description="share of unprotected client money an institution that takes it takes"
    )
    shocks: list[PaymentShock] = Field(default_factory=list, description="losses at named institutions")


class InsuranceParams(Section):
    """Insurance sold online through platforms, by licensed insurers and by unlicensed sellers."""

    purchase_rate: float = Field(0.02, ge=0, le=1, description="monthly chance a household buys a policy online")
    premium: float = Field(500.0, ge=0, description="premium of a policy, yuan")
    unlicensed_share: float = Field(0.2, ge=0, le=1, description="share of online sales by unlicensed sellers")
    claim_rate: float = Field(0.05, ge=0, le=1, description="chance a policy has a claim")
    claim_size: float = Field(5000.0, ge=0, description="a claim, yuan")
    misselling: float = Field(
        0.1, ge=0, le=1, description="chance a licensed sale is unsuited to a buyer with no literacy"
    )
    misselling_unlicensed: float = Field(0.5, ge=0, le=1, description="the same for an unlicensed sale")


class ProductsParams(Section):
    """Internet finance beyond P2P lending: each block optional."""

    households: HouseholdParams = Field(default_factory=HouseholdParams)
    fund: MoneyFundParams | None = Field(None, description="an online money-market fund")
    payments: PaymentParams | None = Field(None, description="payment institutions' client funds")
    insurance: InsuranceParams | None = Field(None, description="online insurance sales")
