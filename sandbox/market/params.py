"""The market's parameters: the sections of a scenario file, with units, defaults and ranges.

Each class is one block of a scenario file (``market.platforms`` is
:class:`PlatformParams`, ``environment`` is :class:`EnvironmentParams`, ...).
They live with the market, which reads them (``model.config.market.investors``
is an :class:`InvestorParams`); the scenario loader (:mod:`sandbox.config.scenario`)
assembles them, with the regime, into a :class:`~sandbox.config.scenario.Scenario`.
Validation is strict (see :class:`~sandbox.common.validation.StrictModel`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Literal

import numpy as np
from pydantic import ConfigDict, Field, model_validator

from sandbox.common.dates import Dated, DatedValues, Month
from sandbox.common.horizon import MAX_MONTHS
from sandbox.common.validation import FieldProblem, StrictModel, percent_hint

__all__ = [
    "BehaviourParams",
    "BorrowerBehaviour",
    "BorrowerParams",
    "CampaignBehaviour",
    "ChannelParams",
    "CollectionBehaviour",
    "EnvironmentParams",
    "ExposureParams",
    "InformationParams",
    "InvestorBehaviour",
    "InvestorParams",
    "KindRisks",
    "KindShares",
    "KindYields",
    "MacroParams",
    "MarketParams",
    "PlatformBehaviour",
    "PlatformParams",
    "RegulatorBehaviour",
    "RegulatorParams",
    "Section",
    "SentimentBehaviour",
    "SentimentParams",
    "Shock",
    "Tie",
    "WindDownParams",
]

if TYPE_CHECKING:
    # What a dated field holds once validated: a type checker cannot read the
    # Annotated type that Dated(...) builds at run time.
    type EntryRate = float | DatedValues
    type BenchmarkRate = float | DatedValues
else:
    EntryRate = Dated(ge=0, le=10_000)
    BenchmarkRate = Dated(ge=0, le=1)


class Section(StrictModel):
    """A block of a scenario file: unknown keys are errors, numbers finite, types strict."""

    model_config = ConfigDict(populate_by_name=True, validate_assignment=True)


class KindShares(Section):
    """Shares of the three business models; they must add up to 1."""

    intermediary: float = Field(0.55, ge=0, le=1, description="share of honest matching intermediaries")
    pool: float = Field(0.30, ge=0, le=1, description="share of capital pools (maturity mismatch)")
    fraud: float = Field(0.15, ge=0, le=1, description="share of self-financing / Ponzi platforms")

    @model_validator(mode="after")
    def _sum_to_one(self) -> KindShares:
        total = self.intermediary + self.pool + self.fraud
        if abs(total - 1.0) > 1e-6:
            raise ValueError(f"shares add up to {total:g}; allowed: shares that add up to 1")
        return self


class KindYields(Section):
    """Promised annual investor yield by business model (fraction a year)."""

    intermediary: float = Field(0.095, ge=0, le=1)
    pool: float = Field(0.115, ge=0, le=1)
    fraud: float = Field(0.16, ge=0, le=1)


class PlatformParams(Section):
    """Platforms: how many, who enters, and how each business model behaves."""

    initial: int = Field(200, ge=0, le=100_000, description="platforms operating in the start month")
    entry_per_month: EntryRate = Field(4.0, description="mean number of applicants a month (Poisson)")
    mix: KindShares = Field(default_factory=KindShares, description="business models of initial platforms")
    entry_mix: KindShares | None = Field(None, description="business models of entrants (default: mix)")
    promised_yield: KindYields = Field(default_factory=KindYields)
    yield_spread: float = Field(0.015, ge=0, le=0.5, description="sd of promised yield across platforms")
    fee: float = Field(0.03, ge=0, le=0.5, description="annual fee or margin on loans, fraction")
    operating_cost: float = Field(0.012, ge=0, le=0.5, description="annual operating cost, fraction of claims")
    fixed_cost_rate: float = Field(0.004, ge=0, le=1, description="monthly fixed cost, share of capital")
    capital_median: float = Field(2.0e5, gt=0, description="median registered (paid-in) capital, yuan")
    capital_sigma: float = Field(1.0, ge=0, le=5, description="log-sd of capital")
    custody_share: float = Field(0.1, ge=0, le=1, description="share with bank custody of client funds")
    disclosure: float = Field(0.3, ge=0, le=1, description="voluntary disclosure quality, 0 to 1")
    regions: int = Field(8, ge=1, le=1000, description="regions (look-alike clusters for sentiment)")
    visibility_sigma: float = Field(1.0, ge=0, le=5, description="log-sd of advertising visibility")
    pool_reserve: float = Field(0.10, ge=0, le=1, description="cash a pool keeps, share of claims")
    fire_sale_discount: float = Field(0.30, ge=0, le=1, description="discount on loans a pool sells in a run")
    guaranteed_share: float = Field(
        0.6,
        ge=0,
        le=1,
        description="share of intermediaries that implicitly guarantee principal at par (刚性兑付); "
        "pools and frauds promise it by construction",
    )
    note_months: int = Field(
        3, ge=1, le=120, description="maturity of a guaranteed intermediary's notes, months (pools pay on demand)"
    )
    fraud_diversion: float = Field(0.30, ge=0, le=1, description="share of inflows a fraud diverts")
    fraud_lending: float = Field(0.30, ge=0, le=1, description="share of a fraud's inflows lent to real borrowers")
    abscond_hazard: float = Field(0.01, ge=0, le=1, description="monthly base probability a fraud absconds")
    abscond_on_inspection: float = Field(0.4, ge=0, le=1, description="added abscond probability when inspected")
    abscond_on_outflow: float = Field(
        0.1, ge=0, le=1, description="added abscond probability when net inflow turns negative"
    )
    controller_reentry: float = Field(
        0.01, ge=0, le=1, description="monthly chance a failed fraud controller re-enters"
    )
    unviable_months: int = Field(6, ge=1, le=120, description="months of losses before an intermediary exits")


class InvestorParams(Section):
    """Retail investors: a vectorized population."""

    count: int = Field(20_000, ge=1, le=50_000_000, description="investors in the population")
    active_at_start: float = Field(0.4, ge=0, le=1, description="share already in the market at the start")
    adoption_months: int = Field(36, ge=1, le=MAX_MONTHS, description="months over which the rest join")
    wealth_median: float = Field(40_000.0, gt=0, description="median amount an investor would put in, yuan")
    wealth_sigma: float = Field(1.1, ge=0, le=5, description="log-sd of that amount (WDZJ: most hold < 100,000)")
    literacy_mean: float = Field(0.4, ge=0, le=1, description="mean financial literacy, 0 to 1")
    literacy_sd: float = Field(0.2, ge=0, le=1)
    tolerance_median: float = Field(0.03, gt=0, le=1, description="monthly failure risk an investor tolerates")
    tolerance_sigma: float = Field(0.5, ge=0, le=5)
    risk_aversion: float = Field(3.0, ge=0, le=100, description="yield given up per unit of perceived annual risk")
    herding_mean: float = Field(0.3, ge=0, le=1, description="weight on the crowd's flows")
    attention: float = Field(0.3, gt=0, le=1, description="monthly probability an investor reviews holdings")
    liquidity_rate: float = Field(0.02, ge=0, le=1, description="monthly probability of a liquidity withdrawal")
    max_holdings: int = Field(3, ge=1, le=20, description="platforms one investor holds at most")
    candidates: int = Field(5, ge=1, le=50, description="platforms an investor compares when placing money")


class BorrowerParams(Section):
    """Borrowers: a vectorized population."""

    count: int = Field(10_000, ge=1, le=50_000_000, description="borrowers in the population")
    active_at_start: float = Field(0.4, ge=0, le=1)
    adoption_months: int = Field(36, ge=1, le=MAX_MONTHS)
    pd_mean: float = Field(0.10, gt=0, lt=1, description="mean annual default probability")
    pd_concentration: float = Field(8.0, gt=0, description="beta concentration of annual PDs")
    demand_median: float = Field(30_000.0, gt=0, description="median loan size, yuan")
    demand_sigma: float = Field(1.0, ge=0, le=5)
    company_share: float = Field(0.1, ge=0, le=1, description="share of borrowers that are companies")
    company_demand_factor: float = Field(8.0, ge=1, description="company loan size relative to individuals")
    max_rate_mean: float = Field(0.30, gt=0, le=5, description="mean highest APR a borrower accepts")
    max_rate_sd: float = Field(0.08, ge=0, le=5)
    need_rate: float = Field(0.2, ge=0, le=1, description="monthly probability of seeking a new loan")
    rollover_share: float = Field(0.35, ge=0, le=1, description="share who depend on rolling loans over")
    term_months: list[int] = Field([3, 6, 12], min_length=1, description="loan terms offered, months")
    term_weights: list[float] = Field([0.3, 0.4, 0.3], min_length=1)
    max_loans: int = Field(2, ge=1, le=10, description="loans one borrower holds at once")
    risk_premium: float = Field(1.2, ge=0, le=10, description="APR added per unit of annual PD")
    loss_given_default: float = Field(0.8, ge=0, le=1)
    contagion_multiplier: float = Field(5.0, ge=1, le=100, description="hazard multiple after losing a lender")
    contagion_months: int = Field(6, ge=1, le=60)

    @model_validator(mode="after")
    def _terms(self) -> BorrowerParams:
        if len(self.term_months) != len(self.term_weights):
            raise FieldProblem(
                ("term_weights",),
                f"found {len(self.term_weights)} weights for "
                f"{len(self.term_months)} term_months; allowed: one weight per term",
            )
        if any(t < 1 or t > 120 for t in self.term_months):
            raise FieldProblem(("term_months",), f"found {self.term_months}; allowed: whole months from 1 to 120")
        if any(w < 0 for w in self.term_weights) or sum(self.term_weights) <= 0:
            raise FieldProblem(
                ("term_weights",), f"found {self.term_weights}; allowed: non-negative weights with a positive sum"
            )
        return self


class InformationParams(Section):
    """What investors can see of platforms."""

    signal_noise: float = Field(0.05, ge=0, le=1, description="sd of the monthly risk signal at zero disclosure")
    literacy_effect: float = Field(0.6, ge=0, le=1, description="how much literacy shrinks the noise")
    prior_noise: float = Field(0.01, gt=0, le=1, description="sd of investors' prior over a platform's risk")
    bands: int = Field(5, ge=1, le=50, description="literacy bands (signals are drawn per band and platform)")
    yield_suspicion: float = Field(
        0.3, ge=0, le=10, description="perceived monthly risk per unit of annual yield premium, at full literacy"
    )
    fraud_transparency: float = Field(0.3, ge=0, le=1, description="how much of a fraud's true risk disclosure reveals")


class WindDownParams(Section):
    """How failed platforms are wound down without a resolution rule (``market.wind_down``)."""

    orderly_months: int = Field(18, ge=1, le=120, description="months an orderly wind-down collects loans")
    disorderly_months: int = Field(6, ge=1, le=120)
    orderly_sale_discount: float = Field(0.2, ge=0, le=1, description="discount on loans left at the end")
    disorderly_sale_discount: float = Field(0.7, ge=0, le=1)


class Tie(Section):
    """A declared tie of initial platforms (numbered 0 to ``market.platforms.initial - 1``):
    give exactly one of ``guarantor``, ``group`` or ``custodian``."""

    platforms: list[int] = Field(min_length=1, description="initial platforms, by number from 0")
    guarantor: int | None = Field(None, ge=0, description="guarantee company that covers them")
    group: int | None = Field(None, ge=0, description="business group they belong to")
    custodian: int | None = Field(None, ge=0, description="custodian bank holding their client money")

    @model_validator(mode="after")
    def _one_kind(self) -> Tie:
        given = [k for k in ("guarantor", "group", "custodian") if getattr(self, k) is not None]
        if len(given) != 1:
            raise ValueError(f"found {len(given)} of guarantor, group, custodian; allowed: exactly one")
        if any(p < 0 for p in self.platforms):
            raise FieldProblem(("platforms",), f"found {self.platforms}; allowed: numbers from 0")
        return self


class ExposureParams(Section):
    """Ties between platforms and third parties, cleared each month (none by default).

    A guarantee company covers ``coverage`` of the loan losses of the platforms
    it guarantees, for a fee; platforms in one business group cross-guarantee
    ``group_coverage`` of each other's losses. Calls are cleared by
    Eisenberg-Noe each month: a guarantor or platform that cannot pay all its
    calls defaults, and what it does not pay stays with its creditors.
    """

    guarantors: int = Field(0, ge=0, le=10_000, description="guarantee companies")
    guarantor_capital: float = Field(5.0e6, ge=0, description="each guarantor's capital, yuan")
    guaranteed_share: float = Field(0.3, ge=0, le=1, description="share of platforms with a guarantor")
    concentration: float = Field(1.0, ge=0, le=10, description="Zipf exponent of guarantors' market shares")
    coverage: float = Field(0.8, ge=0, le=1, description="share of a guaranteed platform's loan losses covered")
    guarantee_fee: float = Field(0.01, ge=0, le=1, description="annual fee, share of guaranteed loans")
    groups: int = Field(0, ge=0, le=10_000, description="business groups")
    group_share: float = Field(0.2, ge=0, le=1, description="share of platforms in a group")
    group_coverage: float = Field(0.5, ge=0, le=1, description="share of a member's losses its peers cover")
    custodians: int = Field(0, ge=0, le=10_000, description="custodian banks (platforms with custody bank at one)")
    ties: list[Tie] = Field(default_factory=list, description="declared ties of initial platforms (override draws)")


class MarketParams(Section):
    """The market: platforms, investors, borrowers."""

    platforms: PlatformParams = Field(default_factory=PlatformParams)
    investors: InvestorParams = Field(default_factory=InvestorParams)
    borrowers: BorrowerParams = Field(default_factory=BorrowerParams)
    information: InformationParams = Field(default_factory=InformationParams)
    wind_down: WindDownParams = Field(default_factory=WindDownParams)
    exposures: ExposureParams = Field(default_factory=ExposureParams)
    resolution: float = Field(
        1.0,
        gt=0,
        le=1,
        description="simulated investors and borrowers per real one (0.002: one in 500); each simulated "
        "person stands for 1/resolution real ones, and every output is in real persons and yuan",
    )


class MacroParams(Section):
    """The macro credit cycle: a multiplier on borrower default hazards."""

    amplitude: float = Field(0.2, ge=0, le=0.95, description="peak deviation of the multiplier from 1")
    period_months: int = Field(48, ge=2, le=MAX_MONTHS)
    phase_months: int = Field(0, ge=0, le=MAX_MONTHS)


class SentimentParams(Section):
    """Market sentiment: a state in [0, 1] per look-alike cluster that failures and warnings move.

    The news parameters are shares (of a cluster's or the market's platforms and
    money), so a larger market does not panic faster; the rest of sentiment's
    behaviour (spillover, half-life, warnings) is in ``behaviour.sentiment``.
    """

    norm: float = Field(0.8, ge=0, le=1, description="level sentiment recovers toward")
    failure_impact: float = Field(
        1.5, ge=0, le=100, description="fall in log sentiment per unit share of money (claims) failing in a month"
    )
    fear_decay: float = Field(0.2, ge=0, le=1, description="monthly decay of look-alike fear")
    market_fear: float = Field(0.03, ge=0, le=1, description="perceived monthly risk added at zero sentiment")
    disclosure_dampening: float = Field(
        0.7, ge=0, le=1, description="share of a failure's market-wide impact removed at full disclosure"
    )


class Shock(Section):
    """A scheduled shock."""

    month: Month = Field(description="month the shock starts, YYYY-MM")
    kind: Literal["credit", "sentiment", "funding", "bank_failure"] = Field(
        description="credit: default hazards rise; sentiment: sentiment drops; funding: new money stops; "
        "bank_failure: a custodian bank fails"
    )
    size: float = Field(
        ge=0,
        le=100,
        description="credit: hazard multiple minus 1; sentiment: drop; funding: share cut; "
        "bank_failure: share of client money held there that is lost (0 to 1)",
    )
    duration: int = Field(1, ge=1, le=MAX_MONTHS, description="months")
    bank: int | None = Field(None, ge=0, description="bank_failure: which custodian bank, from 0")

    @model_validator(mode="after")
    def _bank(self) -> Shock:
        if self.kind == "bank_failure" and self.bank is None:
            raise FieldProblem((), "a bank_failure shock needs 'bank' (which custodian bank fails, from 0)")
        if self.kind == "bank_failure" and self.size > 1:
            raise FieldProblem(
                ("size",),
                f"found {self.size:g}; allowed: for a bank_failure, a share from 0 to 1{percent_hint(self.size, 1)}",
            )
        return self


class EnvironmentParams(Section):
    """Benchmark rate, macro cycle, sentiment and shocks."""

    benchmark_rate: BenchmarkRate = Field(0.0435, description="one-year benchmark lending rate, fraction a year")
    macro: MacroParams = Field(default_factory=MacroParams)
    sentiment: SentimentParams = Field(default_factory=SentimentParams)
    shocks: list[Shock] = Field(default_factory=list)


class RegulatorParams(Section):
    """The regulator's standing resources; rules switch its powers on."""

    local_regulators: int = Field(1, ge=1, le=100, description="regulators, each covering a share of regions")
    detection_base: float = Field(0.3, ge=0, le=1, description="chance an inspection finds misconduct")
    detection_disclosure: float = Field(0.4, ge=0, le=1, description="added with full disclosure")
    detection_custody: float = Field(0.2, ge=0, le=1, description="added when funds sit with a custodian")


class ChannelParams(Section):
    """Contagion channels, all on by default. Switch one off to measure what it
    causes (the counterfactual runs of ``sandbox run``)."""

    runs: bool = Field(True, description="investors run when perceived risk exceeds tolerance")
    credit_contagion: bool = Field(True, description="borrowers who lose a lender come under stress")
    information: bool = Field(True, description="failures move sentiment and look-alike fear")
    exposures: bool = Field(True, description="unpaid guarantee calls stay with their creditors")


# ----------------------------------------------------------------- behaviour
# How agents respond: hazards, response strengths, thresholds and memories that
# were constants in the market code. The defaults are the values the model was
# built with; most are set by hand and await calibration (docs/model.md, the
# table "Behaviour").


class KindRisks(Section):
    """A monthly hazard (or a weight on one) for each business model."""

    intermediary: float = Field(ge=0, le=1, description="honest matching intermediaries")
    pool: float = Field(ge=0, le=1, description="capital pools")
    fraud: float = Field(ge=0, le=1, description="self-financing / Ponzi platforms")

    def by_kind(self) -> np.ndarray:
        """The three values in the order of the business-model codes (intermediary, pool, fraud)."""
        return np.array([self.intermediary, self.pool, self.fraud])


class PlatformBehaviour(Section):
    """How platforms' hazards arise and how they run their business."""

    base_risk: KindRisks = Field(
        default_factory=lambda: KindRisks(intermediary=0.002, pool=0.006, fraud=0.03),
        description="monthly failure hazard before balance-sheet stress, probability a month",
    )
    negative_equity_risk: KindRisks = Field(
        default_factory=lambda: KindRisks(intermediary=0.0, pool=0.5, fraud=0.05),
        description="monthly hazard added per unit of negative equity over claims (a fraud hides it for years)",
    )
    outflow_allowance: float = Field(
        0.02, ge=0, le=1, description="net monthly outflow, share of claims, that signals no trouble (interest taken)"
    )
    outflow_risk: float = Field(
        0.5,
        ge=0,
        le=10,
        description="monthly hazard per unit of net outflow share beyond the allowance (pools, frauds)",
    )
    overdue_risk: float = Field(0.05, ge=0, le=10, description="monthly hazard per unit of annual overdue loss rate")
    overdue_weight: float = Field(
        0.2, ge=0, le=1, description="weight of this month's loss rate in the overdue moving average, 0 to 1"
    )
    inflow_weight: float = Field(
        0.3, ge=0, le=1, description="weight of this month's inflow in its moving average (the growth signal), 0 to 1"
    )
    complaints_memory: float = Field(
        0.7, ge=0, le=1, description="share of last month's complaints still counted, 0 to 1"
    )
    custody_blocks: float = Field(
        0.8, ge=0, le=1, description="share of a fraud's diversion and abscond take that a custodian bank blocks"
    )
    fraud_idle_diversion: float = Field(
        0.5, ge=0, le=1, description="share of cash beyond the reserve a fraud diverts a month"
    )
    fraud_cash_lending: float = Field(0.5, ge=0, le=1, description="most share of its cash a fraud lends a month")
    transfer_discount: float = Field(
        0.05, ge=0, le=0.5, description="discount on loans sold on the transfer market in a calm market, fraction"
    )
    transfer_stress_discount: float = Field(
        0.3,
        ge=0,
        le=0.5,
        description="discount added on the transfer market at zero confidence (per unit of 1 - confidence), fraction",
    )
    intermediary_buffer: float = Field(
        0.02, ge=0, le=1, description="cash an intermediary keeps for withdrawals, share of claims"
    )
    pool_idle_limit: float = Field(
        2.0, ge=0, le=100, description="a pool takes no new money with cash above this many reserves plus capital"
    )
    unviable_equity: float = Field(
        0.5, ge=0, le=1, description="a loss-making intermediary exits with equity below this share of capital"
    )
    launch_months: float = Field(
        0.0,
        ge=0,
        le=MAX_MONTHS,
        description="months owners give a new platform to grow before closing it if it stalls (0: never)",
    )
    stall_scale: float = Field(
        1.0,
        ge=0,
        le=1000,
        description="a platform has stalled while its investors' claims stay below this multiple of its capital",
    )
    compliance: float = Field(
        0.3, ge=0, le=1, description="monthly probability an honest platform complies with an order or requirement"
    )
    disclosure_spread: float = Field(0.1, ge=0, le=1, description="sd of disclosure quality across platforms")
    fraud_visibility: float = Field(
        2.0, ge=0, le=100, description="advertising visibility of a fraud, multiple of an honest platform's"
    )
    min_yield: float = Field(0.01, ge=0, le=1, description="lowest promised annual yield a platform draws, fraction")
    incumbent_age_max: int = Field(
        36, ge=1, le=MAX_MONTHS, description="initial platforms are 1 to this many months old at the start"
    )


class InvestorBehaviour(Section):
    """How investors read platforms and move money."""

    apparent_risk: float = Field(
        0.004, ge=0, le=1, description="monthly risk a fraud seems to have when investors cannot see through it"
    )
    signal_noise_floor: float = Field(
        0.002, gt=0, le=1, description="sd of the risk signal at full disclosure and literacy, probability a month"
    )
    risk_aversion_sigma: float = Field(0.3, ge=0, le=5, description="log-sd of risk aversion across investors")
    herding_sd: float = Field(0.1, ge=0, le=1, description="sd of the herding weight across investors")
    herding_flight: float = Field(
        0.2, ge=0, le=10, description="monthly risk a full herder adds per unit of last month's net outflow share"
    )
    visibility_ramp_months: float = Field(
        12.0, ge=1, le=MAX_MONTHS, description="months a new platform takes to reach full visibility"
    )
    consumption_slack: float = Field(
        1.1, ge=1, le=10, description="holdings above this multiple of budget x confidence come out"
    )
    liquidity_share: float = Field(0.5, ge=0, le=1, description="share of one holding a liquidity need withdraws")
    top_up_share: float = Field(0.1, ge=0, le=1, description="smallest top-up placed, share of the target holding")
    min_top_up: float = Field(100.0, ge=0, le=1e7, description="smallest top-up placed, yuan")
    spread_floor: float = Field(
        0.05,
        ge=0,
        le=1,
        description="smallest share of a simulated group's new money placed on one platform (resolution < 1)",
    )
    loss_aversion: float = Field(
        0.5, ge=0, le=1, description="share of its budget a household withdraws from the market right after a loss"
    )
    loss_memory: float = Field(
        0.95, ge=0, le=1, description="share of the after-loss reluctance (own and neighbours') kept each month"
    )
    neighbour_loss_aversion: float = Field(
        0.3,
        ge=0,
        le=1,
        description="share of budget withdrawn per unit share of neighbours (same region and literacy band) "
        "with a loss",
    )
    growth_suspicion: float = Field(
        0.01,
        ge=0,
        le=1,
        description="monthly risk read per unit of monthly inflow over claims above the market's median, "
        "at full literacy and disclosure",
    )
    gap_suspicion: float = Field(
        0.02,
        ge=0,
        le=1,
        description="monthly risk read per unit of disclosure short of the required or the peers' median, "
        "at full literacy",
    )


class BorrowerBehaviour(Section):
    """How borrowers' requests and hazards vary."""

    capacity_multiple: float = Field(
        1.5, gt=0, le=100, description="debt a borrower carries before its hazard rises, multiple of its typical loan"
    )
    loan_size_sigma: float = Field(0.3, ge=0, le=5, description="log-sd of a request around the typical loan")
    informal_rate: float = Field(
        0.36, ge=0, le=5, description="APR of informal lenders, the outside option of a borrower a rate cap excludes"
    )
    informal_access: float = Field(
        0.5, ge=0, le=1, description="share of borrowers excluded by a cap who can find an informal lender"
    )


class CollectionBehaviour(Section):
    """How borrowers of a stopped platform repay it, and how hard the platform collects
    (strategic default, 逃废债: :mod:`sandbox.market.collections`)."""

    walk_away: float = Field(
        0.3,
        ge=0,
        le=1,
        description="monthly probability a borrower stops paying a stopped platform that does not collect, "
        "with no credit reporting of defaulters",
    )
    orderly_effort: float = Field(
        0.8, ge=0, le=1, description="collection effort of an orderly wind-down or exit, 0 (none) to 1 (nobody walks)"
    )
    disorderly_effort: float = Field(
        0.2, ge=0, le=1, description="collection effort of a collapsed or absconded platform, 0 to 1"
    )
    reporting_deterrence: float = Field(
        0.5,
        ge=0,
        le=1,
        description="share of strategic default deterred when every defaulter is reported to credit bureaus",
    )


class SentimentBehaviour(Section):
    """How news moves sentiment and investors' prior of a platform's risk (with ``environment.sentiment``).

    News acts through shares: this month's failures as a share of the platforms
    (and money) of a cluster and of the market, warnings as a share of platforms
    named. A cluster's news blends its own share with the national one.
    """

    base_prior: float = Field(
        0.005, ge=0, le=1, description="prior monthly failure risk of any platform, before fear and sentiment"
    )
    failure_news: float = Field(
        0.5, ge=0, le=100, description="fall in log sentiment per unit share of platforms failing in a month"
    )
    lookalike_fear: float = Field(
        0.5, ge=0, le=10, description="perceived monthly risk added to a cluster per share of its platforms failing"
    )
    size_fear: float = Field(
        0.5, ge=0, le=10, description="perceived monthly risk added to a cluster per unit share of its money failing"
    )
    warning_news: float = Field(
        0.3, ge=0, le=100, description="fall in log sentiment per unit share of platforms named in public warnings"
    )
    warning_fear: float = Field(
        0.5, ge=0, le=10, description="look-alike fear of public warnings, multiple of lookalike_fear per share named"
    )
    warned_risk: float = Field(
        0.01, ge=0, le=1, description="perceived monthly risk added to a platform named in a public warning"
    )
    national_weight: float = Field(
        0.3, ge=0, le=1, description="weight of the national share in a cluster's news (the rest is its own)"
    )
    half_life_months: float = Field(
        6.6, gt=0, le=1200, description="months for sentiment's gap to its norm to halve when news stops"
    )


class RegulatorBehaviour(Section):
    """How the regulator scores platforms (higher is riskier; inspections go to the top)."""

    premium_unit: float = Field(
        0.02, gt=0, le=1, description="annual yield premium over the median that scores one point"
    )
    complaints_weight: float = Field(10.0, ge=0, le=1000, description="points per unit of unserved withdrawals")
    growth_weight: float = Field(2.0, ge=0, le=1000, description="points per unit of monthly inflow over claims")
    overdue_weight: float = Field(20.0, ge=0, le=1000, description="points per unit of disclosed overdue rate")
    warning_premium: float = Field(2.0, ge=0, le=100, description="early warning: weight of the premium points")
    warning_overdue: float = Field(0.25, ge=0, le=100, description="early warning: weight of the overdue points")
    warning_no_custody: float = Field(0.5, ge=0, le=100, description="early warning: points for no bank custody")
    warning_noise: float = Field(
        0.3, ge=0, le=100, description="early warning: sd of score noise (x sqrt(regulators) without sharing)"
    )
    rough_noise: float = Field(2.0, ge=0, le=100, description="sd of score noise with no early-warning system")


class CampaignBehaviour(Section):
    """How platforms answer a deadline to stop (exit campaign, licensing, pool ban:
    :mod:`sandbox.market.choices`): wind down, convert to another licensed business,
    or carry on until caught or ruined; frauds may abscond."""

    review: float = Field(
        0.2, ge=0, le=1, description="monthly probability a platform under a deadline reconsiders carrying on"
    )
    foresight: float = Field(
        0.8,
        ge=0,
        le=1,
        description="weight a platform gives a penalty one month further off (a deadline k months away: this^k)",
    )
    conversion_capital: float = Field(
        5.0e5,
        ge=0,
        le=1e12,
        description="paid-in capital a platform needs to convert to another licensed business, yuan",
    )
    fraud_flight: float = Field(
        0.3, ge=0, le=10, description="monthly abscond chance a fraud adds per unit of its chance of being inspected"
    )


class RelocationBehaviour(Section):
    """How a platform weighs moving its home to another jurisdiction (regulatory arbitrage,
    :mod:`sandbox.market.relocation`); used only with a ``jurisdictions:`` section."""

    review: float = Field(
        0.2, ge=0, le=1, description="monthly probability a platform whose home set it a deadline weighs moving"
    )
    horizon_months: int = Field(
        24, ge=1, le=240, description="months of business a platform weighs when comparing home and abroad"
    )
    delay_months: int = Field(
        3, ge=0, le=60, description="months a move takes: business abroad starts this much later than the decision"
    )
    cost: float = Field(
        0.05, ge=0, le=10, description="cost of moving, as a share of the platform's paid-in capital (paid at the move)"
    )


class BehaviourParams(Section):
    """Behaviour: the response strengths, hazards and thresholds of every agent (``behaviour:``)."""

    platforms: PlatformBehaviour = Field(default_factory=PlatformBehaviour)
    investors: InvestorBehaviour = Field(default_factory=InvestorBehaviour)
    borrowers: BorrowerBehaviour = Field(default_factory=BorrowerBehaviour)
    collections: CollectionBehaviour = Field(default_factory=CollectionBehaviour)
    sentiment: SentimentBehaviour = Field(default_factory=SentimentBehaviour)
    regulator: RegulatorBehaviour = Field(default_factory=RegulatorBehaviour)
    campaign: CampaignBehaviour = Field(default_factory=CampaignBehaviour)
    relocation: RelocationBehaviour = Field(default_factory=RelocationBehaviour)
