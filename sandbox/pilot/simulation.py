"""The test: the firm as one platform in the regime's market, run under the sandbox's caps and under stress.

The firm becomes one platform row (:func:`firm_rule`) placed in the regime's
market when the sandbox's tests start, with its caps enforced for the test,
over ``runs`` seeds; then under three stresses (a macro credit shock, the
failure of its largest look-alike neighbour, a sudden stop of new money).
Every run is repeated without the sandbox's caps (as if authorised in full) on
the same seeds.

What the firm file changes in the simulation (:func:`firm_rule`): the funding
model (matched: intermediary, investors bear the loans' results; pooled or
guaranteed: a pool promising its yield), the yield, capital, custody,
disclosure quality (share of the items published), region, the highest APR
it lends at (riskier borrowers are declined), its per-customer maximum, its
growth plan (advertising weight, calibrated on incumbents' customer gains, and
the most customers it takes), the wind-down trigger, and the exit plan (a
failure becomes an orderly wind-down of the stated months). The rest (terms,
minimums, loan sizes, frequency, liquidity buffer) is declared and shown.
"Without the sandbox's caps" keeps all of the firm's own terms, including its
growth plan, and drops only the sandbox's caps and its end-of-test review.

Metrics (per run, from the firm's row, :func:`outcomes`): failed
(``fail_month`` within the test); investor loss (claims at a failure during
the test or at its end-of-test review, less what the wind-down paid);
customers harmed (holders at failure, when investors lost); customers exposed
(most distinct customers in the test); caps breached (customers above the cap,
or one customer's holding above the per-customer cap grown by the unit value
since); exit recovery (paid over claims at failure).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, ClassVar, Literal, cast

import numpy as np
from pydantic import Field

from sandbox.common.dates import month_label
from sandbox.config.scenario import Scenario, ScenarioError
from sandbox.market.interface import Market
from sandbox.market.model import SandboxModel
from sandbox.market.platforms import (
    ACTIVE,
    CAUSES,
    FRAUD,
    INSOLVENCY,
    INTERMEDIARY,
    KINDS,
    Platform,
)
from sandbox.pilot.eligibility import PilotRequirements
from sandbox.pilot.firm import KIND_OF, FirmFile
from sandbox.rules.base import Policy, Rule


@dataclass
class FirmState:
    """What one run records about the firm (kept on the model: see :func:`firm_state`)."""

    row: int
    first: int  # month index the firm entered
    end: int  # first month after the test
    peak_customers: int = 0
    peak_claims: float = 0.0
    max_exposure: float = 0.0  # largest holding of one customer, yuan
    exposure_breach: bool = False
    customer_breach: bool = False
    uv_min: float = 1.0
    holders_at_failure: int = 0
    largest_claim: float = 0.0  # one customer's largest claim at failure, yuan
    exited_at_review: bool = False
    triggered_exit: bool = False
    neighbour: int = -1
    neighbour_claims: float = 0.0
    customers: list[int] = field(default_factory=list)  # at the end of each test month
    claims: list[float] = field(default_factory=list)


def in_model(market: Market) -> SandboxModel:
    """The full model behind ``market``: the pilot's rules read what the rule interface does not show.

    They record the firm's investors and place it as its own platform class, so
    they run in a :class:`SandboxModel` only (which every run of the pilot is).
    """
    if not isinstance(market, SandboxModel):
        raise TypeError(f"the pilot's rules run in a SandboxModel; found {type(market).__name__}")
    return market


#: The key of the firm's record in the model's per-rule state (:meth:`SandboxModel.rule_state`).
FIRM_STATE_KEY = "pilot_firm"


@dataclass
class FirmSlot:
    """Where one run keeps the firm's record: empty until :class:`PilotFirm` places the firm."""

    state: FirmState | None = None


def firm_state(model: SandboxModel) -> FirmState | None:
    """The firm's record in ``model``: None until :class:`PilotFirm` places the firm."""
    return model.rule_state(FIRM_STATE_KEY, FirmSlot).state


def _keep_firm_state(model: SandboxModel, state: FirmState) -> None:
    """Keep ``state`` in ``model``'s per-rule state for the rest of the run (read back with :func:`firm_state`)."""
    model.rule_state(FIRM_STATE_KEY, FirmSlot).state = state


class FirmPlatform(Platform):
    """The applicant as a platform agent: on failure its exit plan makes the wind-down orderly."""

    exit_months: int | None = None

    def on_failure(self, cause: str, orderly: bool) -> None:  # noqa: ARG002 (Platform.on_failure's signature)
        model, book, row = self.model, self.book, self.row
        state = firm_state(model)
        if state is not None:
            inv = model.investors
            mask = inv.platform == row
            state.holders_at_failure = round(int(mask.any(axis=0).sum()) * model.investors.weight)
            if mask.any():
                state.largest_claim = float((inv.units * mask).sum(axis=0).max() * book.unit_value[row]) / inv.weight
        if self.exit_months is not None:
            # The plan: a prepared, orderly wind-down of the stated length (its borrowers default
            # strategically at an orderly wind-down's rate: market/collections.py).
            book.orderly[row] = True
            book.resolution_end[row] = model.month + self.exit_months


class PilotFirm(Rule):
    """One applicant firm enters at ``from`` and is tested under caps for ``duration`` months.

    The firm keeps its own terms throughout: no more customers than its growth
    plan (``target_customers``), no more than ``max_investment`` from one
    customer, no loan above ``max_apr``, and its exit plan starts if equity
    falls below ``wind_down_trigger`` of capital. The sandbox's caps
    (``max_customers``, ``max_exposure_per_customer``) bind during the test
    only (``None``: as if authorised in full). With ``end_review``, at the end
    of the test a firm with negative equity exits; one with positive equity
    graduates and the sandbox's caps lift.

    The rule is not registered: :func:`simulate` adds it to each model's rules,
    so the scenario schema and ``sandbox rules`` do not change when this module
    is imported.
    """

    name: ClassVar[str] = "pilot_firm"
    summary: ClassVar[str] = "one applicant firm under sandbox caps for its test"
    stands_for: ClassVar[str] = "FCA regulatory sandbox; PBoC fintech innovation pilot (2019-)"

    kind: Literal["intermediary", "pool"] = Field(description="business model")
    promised_yield: float = Field(ge=0, le=1, description="annual yield promised (pool) or targeted (intermediary)")
    capital: float = Field(ge=0, description="paid-in capital, yuan")
    custody: bool = Field(description="client money with a custodian")
    disclosure: float = Field(ge=0, le=1, description="disclosure quality, 0 to 1")
    target_customers: int = Field(ge=1, description="growth plan: customers to reach ...")
    growth_months: int = Field(ge=1, description="... within this many months")
    region: int = Field(0, ge=0, description="region")
    max_investment: float | None = Field(None, gt=0, description="its own most one customer may invest, yuan")
    max_customers: int | None = Field(None, ge=1, description="sandbox's customer cap during the test (None: none)")
    max_exposure_per_customer: float | None = Field(
        None, gt=0, description="sandbox's cap on one customer's holding during the test, yuan (None: none)"
    )
    max_apr: float | None = Field(None, gt=0, description="highest APR it lends at")
    duration: int = Field(ge=1, le=120, description="months of the test")
    exit_months: int | None = Field(None, ge=1, description="orderly wind-down of its exit plan (None: no plan)")
    wind_down_trigger: float | None = Field(None, ge=0, le=1, description="exit when equity < this x capital")
    end_review: bool = Field(True, description="end-of-test review: negative equity exits")

    def apply(self, policy: Policy, market: Market) -> None:
        model = in_model(market)
        state = firm_state(model)
        if state is None:
            return
        row = state.row
        if self.max_apr is not None:
            policy.rate_cap[row] = min(policy.rate_cap[row], self.max_apr)
        # The firm serves no more customers than its growth plan; during the test, no more than its cap.
        cap = float(self.target_customers)
        if model.month < state.end and self.max_customers is not None:
            cap = min(cap, self.max_customers)
        policy.customer_cap[row] = min(policy.customer_cap[row], cap)
        ecap = self.max_investment if self.max_investment is not None else math.inf
        if model.month < state.end and self.max_exposure_per_customer is not None:
            ecap = min(ecap, self.max_exposure_per_customer)
        policy.customer_exposure_cap[row] = min(policy.customer_exposure_cap[row], ecap)

    def act(self, market: Market) -> None:
        model = in_model(market)
        first = self.first_month(model)
        state = firm_state(model)
        if state is None and model.month == first:
            state = self._place(model)
        if state is None:
            return
        book, row = model.book, state.row
        if first < model.month <= state.end:
            self._observe(model, state)
        alive = bool(book.alive()[row])
        if not alive:
            return
        equity = float(book.cash[row] + book.loans[row] - book.units[row] * book.unit_value[row])
        if self.end_review and model.month == state.end and equity < 0:
            state.exited_at_review = True
            model.order_exit(np.array([row]))
        elif (
            self.wind_down_trigger is not None
            and model.month < state.end
            and equity < self.wind_down_trigger * self.capital
        ):
            state.triggered_exit = True
            model.order_exit(np.array([row]))

    def _place(self, model: SandboxModel) -> FirmState:
        if firm_state(model) is not None:
            raise RuntimeError("one pilot_firm per model")
        regions = model.config.market.platforms.regions
        if self.region >= regions:
            raise ScenarioError(
                f"customers.region: found {self.region}; allowed: 0 to {regions - 1} "
                f"(the regime's market has {regions} regions)"
            )
        a = {
            "kind": np.array([KINDS.index(self.kind)]),
            "base_yield": np.array([self.promised_yield]),
            "capital": np.array([self.capital]),
            "custody": np.array([self.custody]),
            "disclosure": np.array([self.disclosure]),
            "visibility": np.array([self.visibility(model)]),
            "region": np.array([self.region]),
            "controller": np.array([-1]),
            "age": np.zeros(1, dtype=np.int64),
        }
        model.platform_class = FirmPlatform  # this entrant only (an instance attribute, removed below)
        try:
            rows = model.add_platforms(a)
        finally:
            del model.platform_class
        row = int(rows[0])
        model.platform_agents[row].exit_months = self.exit_months
        state = FirmState(row=row, first=model.month, end=model.month + self.duration)
        _keep_firm_state(model, state)
        model.policy = model._build_policy()  # the firm's own caps bind from its first month
        return state

    def visibility(self, model: SandboxModel) -> float:
        """Advertising weight from the growth plan.

        Calibrated on the incumbents: an honest platform a year old or more has
        gained ``customers / age`` customers a month per unit of visibility; the
        firm gets the visibility that would win ``target_customers /
        growth_months`` customers a month at the median rate.
        """
        book = model.book
        n = book.n
        age = model.month - book.entry_month[:n]
        ok = book.alive() & (book.kind[:n] != FRAUD) & (age >= 12) & (book.customers[:n] > 0)
        if ok.sum() < 5:
            return 1.0
        rate = book.customers[:n][ok] * model.investors.weight / age[ok] / book.visibility[:n][ok]  # real persons
        wanted = self.target_customers / self.growth_months
        return float(np.clip(wanted / max(float(np.median(rate)), 1e-9), 0.05, 200.0))

    def _observe(self, model: SandboxModel, state: FirmState) -> None:
        """Record the end of the previous month (a month of the test)."""
        book, inv, row = model.book, model.investors, state.row
        uv = float(book.unit_value[row])
        state.uv_min = min(state.uv_min, uv)
        mask = inv.platform == row
        # Distinct customers (holdings are (slot, investor)), in real persons: each simulated
        # investor stands for `weight`; the largest holding is per real customer too.
        k = round(int(mask.any(axis=0).sum()) * inv.weight)
        claims = float(book.units[row] * uv)
        biggest = float((inv.units * mask).sum(axis=0).max()) * uv / inv.weight if mask.any() else 0.0
        state.customers.append(k)
        state.claims.append(claims)
        state.peak_customers = max(state.peak_customers, k)
        state.peak_claims = max(state.peak_claims, claims)
        state.max_exposure = max(state.max_exposure, biggest)
        # A holding is capped when placed; interest accrued since may lift it by uv / uv_min.
        if self.max_customers is not None and k > self.max_customers:
            state.customer_breach = True
        if (
            self.max_exposure_per_customer is not None
            and biggest > self.max_exposure_per_customer * uv / state.uv_min + 1.0
        ):
            state.exposure_breach = True


class NeighbourFailure(Rule):
    """Stress: at ``from``, the largest look-alike of the pilot firm fails in a disorderly way.

    A look-alike is an honest platform in the firm's cluster (its region, and
    the same visible business model: pass-through or promised yield); if there
    is none, the largest honest platform in its region. Its failure drops
    sentiment and raises investors' fear of the firm's cluster: a run, if
    investors take it for one of them.
    """

    name: ClassVar[str] = "neighbour_failure"
    summary: ClassVar[str] = "the pilot firm's largest look-alike fails"

    def act(self, market: Market) -> None:
        model = in_model(market)
        state = firm_state(model)
        if state is None or model.month != self.first_month(model):
            return
        book = model.book
        n = book.n
        rows = np.arange(n)
        honest = book.alive() & (book.kind[:n] != FRAUD) & (rows != state.row)
        same = honest & (model.cluster_of(rows) == model.cluster_of(np.array([state.row]))[0])
        if not same.any():
            same = honest & (book.region[:n] == book.region[state.row])
        if not same.any():
            return
        cand = np.flatnonzero(same)
        big = int(cand[np.argmax(book.claims()[cand])])
        state.neighbour = big
        state.neighbour_claims = float(book.claims()[big])
        model.fail(np.array([big]), INSOLVENCY, orderly=False)


def firm_rule(firm: FirmFile, req: PilotRequirements, capped: bool = True) -> PilotFirm:
    """The firm as a :class:`PilotFirm` rule placed when the sandbox's tests start.

    Mapping: ``kind`` from the funding model (matched: intermediary; pooled or
    guaranteed: pool); yield, capital, custody (bank or trust), disclosure
    quality (share of items published), region, growth plan (visibility, and
    the most customers it takes), its per-customer maximum, ``max_apr``, the
    wind-down trigger and the exit plan as declared. Capped: the sandbox's
    customer and per-customer caps bind for the test (its duration at most the
    sandbox's), and a firm with negative equity at the end exits. Uncapped (as
    if authorised in full): only the firm's own terms, no end-of-test review.
    """
    duration = min(firm.test.duration_months, req.max_duration)
    return PilotFirm(
        start=req.test_start,
        kind=cast(Literal["intermediary", "pool"], KINDS[KIND_OF[firm.funding_model]]),
        promised_yield=firm.investor_terms.annual_yield,
        capital=firm.capital,
        custody=firm.custody.arrangement != "none",
        disclosure=firm.disclosure_quality,
        target_customers=firm.customers.growth_plan.target_customers,
        growth_months=firm.customers.growth_plan.months,
        region=firm.customers.region,
        max_investment=firm.investor_terms.max_investment_per_customer,
        max_customers=min(firm.customers.max_customers, req.max_customers) if capped else None,
        max_exposure_per_customer=req.max_exposure_per_customer if capped else None,
        max_apr=firm.borrower_terms.max_apr if firm.borrower_terms else None,
        duration=duration,
        exit_months=firm.exit_plan.wind_down_months if firm.exit_plan else None,
        wind_down_trigger=firm.risk_controls.wind_down_trigger,
        end_review=capped,
    )


#: What the firm file declares that does not change the simulation (said on the report card).
NOT_SIMULATED = (
    "investor term and minimum investment, loan terms and loan size, disclosure frequency, credit assessment "
    "and liquidity buffer are declared and shown but do not change the simulation; the compensation reserve is "
    "set aside outside the business and compared with losses, not lent"
)

#: Conditions the firm is run under, in report order.
VARIANTS: tuple[str, ...] = ("test", "credit_shock", "neighbour_failure", "funding_stop")
TITLES = {
    "test": "sandbox test",
    "credit_shock": "macro credit shock",
    "neighbour_failure": "neighbour's failure",
    "funding_stop": "sudden stop of new money",
}
#: The stresses, the same for every applicant. They start a quarter of the way into the test.
# A credit shock doubles borrowers' default hazard for 6 months.
CREDIT_SHOCK: dict[str, Any] = {"kind": "credit", "size": 1.0, "duration": 6}
FUNDING_STOP: dict[str, Any] = {"kind": "funding", "size": 0.9, "duration": 6}  # 90% of new money stops for 6 months
#: Months simulated after the test, so that a wind-down can run (capped at 12; the
#: model settles one still running at the horizon by selling its loans).
TAIL_MAX = 12


def stress_month(req: PilotRequirements, duration: int) -> str:
    """Month the stresses start: a quarter of the way into the test (at least one month in)."""
    start = req.test_start
    return month_label(max(1, duration // 4), start)


def horizon(scenario: Scenario, req: PilotRequirements, firm: FirmFile) -> int:
    """Months simulated: to the end of the test plus a tail for a wind-down."""
    duration = min(firm.test.duration_months, req.max_duration)
    resolution = scenario.market.wind_down
    tail = firm.exit_plan.wind_down_months if firm.exit_plan else resolution.disorderly_months
    return scenario.month(req.test_start) + duration + min(tail, TAIL_MAX) + 1


def variants(scenario: Scenario, req: PilotRequirements, firm: FirmFile) -> dict[str, tuple[Scenario, list[Rule]]]:
    """The regime and its three stressed versions, each with any extra rules it needs."""
    months = horizon(scenario, req, firm)
    duration = min(firm.test.duration_months, req.max_duration)
    base = scenario.with_updates({"months": max(months, scenario.months)})
    when = stress_month(req, duration)
    shocks = base.to_dict().get("environment", {}).get("shocks", [])

    def shocked(shock: dict[str, Any]) -> Scenario:
        return base.with_updates(
            {"environment.shocks": [*shocks, {"month": when, **shock}], "name": f"{base.name} + {shock['kind']} shock"}
        )

    return {
        "test": (base, []),
        "credit_shock": (shocked(CREDIT_SHOCK), []),
        "neighbour_failure": (base, [NeighbourFailure(start=when)]),
        "funding_stop": (shocked(FUNDING_STOP), []),
    }


def simulations(runs: int) -> int:
    """Model runs :func:`simulate` makes for ``runs`` seeds: every variant, with and without caps."""
    return runs * len(VARIANTS) * 2


def child_seeds(seed: int, n: int) -> list[int]:
    """``n`` seeds spawned from ``seed`` (the same as :func:`sandbox.experiments.child_seeds`)."""
    return [int(c.generate_state(1, dtype=np.uint64)[0] >> 11) for c in np.random.SeedSequence(seed).spawn(n)]


def run_once(scenario: Scenario, rules: list[Rule], seed: int, months: int) -> dict[str, Any]:
    """One run with the firm (the first of ``rules``) placed; the firm's outcomes."""
    model = SandboxModel(scenario, seed=seed, months=months)
    model.rules = [*model.rules, *rules]
    model.run()
    return outcomes(model)


def outcomes(model: SandboxModel) -> dict[str, Any]:
    """The firm's results in a finished run.

    Failures during the test or at its end-of-test review count; losses are
    investors' claims at failure less what the wind-down paid them.
    """
    state = firm_state(model)
    if state is None:
        raise ValueError("outcomes: the model has no pilot firm (was firm_rule among its rules?)")
    book, row = model.book, state.row
    fm = int(book.fail_month[row])
    counted = 0 <= fm <= state.end
    loss = float(book.investor_loss[row]) if counted else 0.0
    claims = float(book.claims_at_failure[row]) if counted else 0.0
    return {
        "failed": bool(state.first <= fm < state.end),
        "failed_or_exited": bool(counted),
        "exited_at_review": state.exited_at_review,
        "triggered_exit": state.triggered_exit,
        "cause": CAUSES[book.fail_cause[row]] if counted else None,
        "investor_loss": loss,
        "claims_at_failure": claims,
        "recovered": float(book.recovered[row]) if counted else 0.0,
        "customers_harmed": state.holders_at_failure if loss > 0.5 else 0,
        # Every holder of a failed platform is paid the same share of its claim.
        "largest_customer_loss": state.largest_claim * loss / claims if claims > 0 else 0.0,
        "customers_exposed": state.peak_customers,
        "peak_claims": state.peak_claims,
        "max_exposure": state.max_exposure,
        "customer_cap_breached": state.customer_breach,
        "exposure_cap_breached": state.exposure_breach,
        # What a yuan placed at launch is worth at the end, for a live matched firm
        # (its investors bear credit losses through this value, not through a failure).
        "value_per_yuan": float(book.unit_value[row])
        if book.status[row] == ACTIVE and book.kind[row] == INTERMEDIARY
        else None,
        "neighbour_claims": state.neighbour_claims,
        "customers": list(state.customers),
        "accounting_max_rel_error": float(model.recorder.max_rel_error),
    }


#: The firm's outcomes per run: ``{variant: {"sandbox": [outcomes per run], "uncapped": [...]}}``.
Results = dict[str, dict[str, list[dict[str, Any]]]]


def simulate(
    firm: FirmFile,
    scenario: Scenario,
    req: PilotRequirements,
    runs: int = 20,
    seed: int = 0,
    progress: Callable[[], None] | None = None,
) -> Results:
    """Run the firm ``runs`` times under each variant, with and without the sandbox's caps.

    Every variant and both cap settings use the same child seeds (common random
    numbers), so differences come from the stress or the caps, not the draw.

    Returns:
        ``{variant: {"sandbox": [outcomes per run], "uncapped": [...]}}``.
    """
    out: Results = {v: {"sandbox": [], "uncapped": []} for v in VARIANTS}
    extend_runs(out, firm, scenario, req, seed, dict.fromkeys(VARIANTS, runs), progress)
    return out


def extend_runs(
    results: Results,
    firm: FirmFile,
    scenario: Scenario,
    req: PilotRequirements,
    seed: int,
    runs: dict[str, int],
    progress: Callable[[], None] | None = None,
) -> None:
    """Bring each variant named in ``runs`` to that many runs, with and without caps, in place.

    Run ``i`` always uses the ``i``-th child seed of ``seed``, so more runs
    extend the same seeds: the first runs are the ones already made.
    """
    months = horizon(scenario, req, firm)
    rules = {True: firm_rule(firm, req, capped=True), False: firm_rule(firm, req, capped=False)}
    specs = variants(scenario, req, firm)
    for name, n in runs.items():
        spec, extra = specs[name]
        seeds = child_seeds(seed, n)
        for capped, label in ((True, "sandbox"), (False, "uncapped")):
            done = results[name][label]
            for s in seeds[len(done) :]:
                done.append(run_once(spec, [rules[capped], *extra], s, months))
                if progress is not None:
                    progress()
