"""Sandbox admission: check a firm against a sandbox's conditions, test it in the market, write a report card.

    >>> from sandbox import pilot
    >>> firm = pilot.load_firm("scenarios/firms/steady_lending.yaml")
    >>> regime = pilot.load_scenario("scenarios/sandbox_regime.yaml")
    >>> report = pilot.assess(firm, regime, runs=20, seed=1)
    >>> report.verdict, report.data["failure_probability"]
    >>> report.write("out/card")            # report_card.json and report_card.html

Three steps, the same for every applicant:

1. **Eligibility** (:func:`check_eligibility`). The checkable conditions of a
   sandbox (FCA sandbox; PBoC fintech innovation pilot) are checked against
   the firm file: licensed or partnered with a licensed institution, client
   money with a custodian, its customer and per-customer caps within the
   sandbox's, disclosure, a compensation reserve, an exit plan, and the test
   duration. Genuine innovation and consumer benefit are declared and shown,
   not scored. Each condition is met or not, with its reason and the number
   behind it.
2. **The test** (:func:`simulate`). The firm becomes one platform row (see
   :func:`firm_rule`) placed in the regime's market when the sandbox's tests
   start, with its caps enforced for the test, over ``runs`` seeds; then under
   three stresses (a macro credit shock, the failure of its largest
   look-alike neighbour, a sudden stop of new money). Every run is repeated
   without the sandbox's caps (as if authorised in full) on the same seeds.
3. **The verdict** (:func:`judge`): refuse if a condition is not met; admit
   if every test check is met; if the test shows risk (failure probability
   above a threshold, stress failures, a reserve short of tail losses), admit
   with the concrete conditions :func:`search_conditions` finds and verifies
   by simulation (a customer cap, a capital top-up, or a reserve), or refuse
   if it finds none.

Where the sandbox's requirements live (one source of truth): the regime file's
``sandbox_pilot`` entry gives the test start (``from``), the longest test
(``duration``) and the caps (``max_customers``, ``max_exposure_per_customer``);
that rule puts its pilots under custody and full disclosure, so custody and
disclosure 1.0 (every item of :data:`DISCLOSURE_ITEMS`) are required. The
conditions the rule does not carry are the standing conditions, the defaults
of :class:`PilotRequirements` (:data:`STANDING`); should the ``sandbox_pilot``
rule gain a field of the same name, the regime's value is used instead.

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

The compensation reserve is cash the firm sets aside outside the business: it
is not on the platform's balance sheet and cannot be lent. The report compares
it with the investor losses of each run.

Metrics (per run, from the firm's row): failed (``fail_month`` within the
test); investor loss (claims at a failure during the test or at its end-of-test
review, less what the wind-down paid); customers harmed (holders at failure,
when investors lost); customers exposed (most distinct customers in the test);
caps breached (customers above the cap, or one customer's holding above the
per-customer cap grown by the unit value since); exit recovery (paid over
claims at failure).
"""

from __future__ import annotations

import base64
import datetime as _dt
import html
import io
import math
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any, ClassVar, Literal

import numpy as np
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    ValidationInfo,
    field_validator,
)

from sandbox.common.dates import month_label
from sandbox.market.model import SandboxModel
from sandbox.common.outputs import write_json
from sandbox.market.platforms import (
    ACTIVE,
    CAUSES,
    FRAUD,
    INSOLVENCY,
    INTERMEDIARY,
    KINDS,
    ORDERLY_EXIT,
    POOL,
    Platform,
)
from sandbox.rules.base import Policy, Rule
from sandbox.config.scenario import Scenario, ScenarioError, Section, load_scenario
from sandbox.config.yamlio import format_validation_error, line_locator, load_yaml

__all__ = [
    "DISCLOSURE_ITEMS",
    "Condition",
    "FirmFile",
    "NeighbourFailure",
    "PilotFirm",
    "PilotReport",
    "PilotRequirements",
    "assess",
    "check_eligibility",
    "firm_rule",
    "is_firm_file",
    "judge",
    "load_firm",
    "load_scenario",
    "simulate",
    "simulations",
]

# ---------------------------------------------------------------------------
# The firm file
# ---------------------------------------------------------------------------

#: What a firm can commit to publish; its disclosure quality is the share it publishes
#: (after the P2P information disclosure guidelines, China 2017, and FCA sandbox disclosures).
DISCLOSURE_ITEMS: tuple[str, ...] = (
    "company_information",
    "audited_accounts",
    "funding_model",
    "fees_and_charges",
    "loan_book_performance",
    "overdue_and_default_rates",
    "custody_arrangement",
    "risk_warnings",
    "related_party_transactions",
    "complaints_and_incidents",
)
DisclosureItem = Literal[DISCLOSURE_ITEMS]  # type: ignore[valid-type]

#: Funding model -> platform kind in the model (a firm never declares fraud).
KIND_OF: dict[str, int] = {"matched": INTERMEDIARY, "pooled": POOL, "guaranteed": POOL}


class FirmSection(Section):
    """A block of a firm file: unknown keys are errors, and every number must be finite.

    ``allow_inf_nan=False`` holds for every float field of every block, so a
    ``.inf`` or ``.nan`` anywhere in a firm file is refused at load with its
    line and field, instead of reaching the simulation (pydantic merges this
    with :class:`Section`'s configuration).
    """

    model_config = ConfigDict(allow_inf_nan=False)


class Product(FirmSection):
    """What the firm sells."""

    type: Literal["lending", "wealth_management"] = Field(
        description="lending: loans to borrowers funded by investors; "
        "wealth_management: investment products sold online"
    )
    description: str = Field("", description="the product in a sentence")
    innovation: str = Field("", description="what is new (declared; shown, not scored)")
    consumer_benefit: str = Field("", description="why customers are better off (declared; shown, not scored)")


class Licence(FirmSection):
    """Whether the firm is licensed, or works with a licensed institution."""

    status: Literal["licensed", "partnered", "none"] = Field(description="licensed itself, partnered, or neither")
    licence: str | None = Field(None, min_length=1, description="the licence held (when status is licensed)")
    partner: str | None = Field(None, min_length=1, description="the licensed partner institution (when partnered)")


class InvestorTerms(FirmSection):
    """Terms offered to investors."""

    annual_yield: float = Field(
        ge=0, le=1, description="promised (pooled, guaranteed) or target (matched) yield, fraction a year"
    )
    term_months: int = Field(12, ge=1, le=120, description="investment term or lock-up, months (declared)")
    minimum_investment: float = Field(0.0, ge=0, description="smallest investment, yuan (declared)")
    max_investment_per_customer: float = Field(gt=0, description="most one customer may invest, yuan (enforced)")


class BorrowerTerms(FirmSection):
    """Terms offered to borrowers (or, for wealth management, to the assets bought)."""

    max_apr: float = Field(gt=0, le=5, description="highest APR charged; riskier borrowers are declined (enforced)")
    term_months: list[Annotated[int, Field(ge=1, le=360)]] = Field(
        [12], min_length=1, description="loan terms offered, months, each 1 to 360 (declared)"
    )
    max_loan: float | None = Field(None, gt=0, description="largest loan, yuan (declared)")


class Custody(FirmSection):
    """Who holds client money."""

    arrangement: Literal["bank", "trust", "none"] = Field(
        description="client money held by a bank or trust custodian, or by the firm"
    )
    custodian: str | None = Field(None, min_length=1, description="the custodian's name")


class Disclosure(FirmSection):
    """What the firm will publish."""

    publishes: list[DisclosureItem] = Field(  # type: ignore[valid-type]
        default_factory=list, description="items it commits to publish"
    )
    frequency: Literal["monthly", "quarterly", "annually"] = Field("monthly", description="how often (declared)")


class GrowthPlan(FirmSection):
    """How fast the firm means to grow if authorised in full."""

    target_customers: int = Field(ge=1, le=10_000_000, description="customers it plans to reach")
    months: int = Field(12, ge=1, le=120, description="within this many months")


class Customers(FirmSection):
    """Who the firm serves and how many, during the test and after."""

    target: str = Field("", description="target customers, in words (declared)")
    region: int = Field(
        0, ge=0, le=999, description="region of the market it serves (look-alikes are its region-mates)"
    )
    max_customers: int = Field(ge=1, description="most customers it will serve during the test (enforced)")
    growth_plan: GrowthPlan


class RiskControls(FirmSection):
    """Risk controls; those marked enforced change what the firm does in the simulation."""

    wind_down_trigger: float | None = Field(
        None,
        ge=0,
        le=1,
        description="start the exit plan when equity falls below this share of capital (enforced)",
    )
    credit_assessment: str = Field("", description="how borrowers are assessed (declared)")
    liquidity_buffer: float | None = Field(None, ge=0, le=1, description="cash kept, share of claims (declared)")


class ExitPlan(FirmSection):
    """How the firm winds down if the test fails or it must close."""

    wind_down_months: int = Field(
        ge=1, le=60, description="months of the orderly wind-down that collects its loans (enforced)"
    )
    backup_servicer: str | None = Field(None, min_length=1, description="who collects the loans if the firm cannot")
    investor_communication: str = Field("", description="how investors are told and paid (declared)")


class TrialPlan(FirmSection):
    """The test the firm applies for."""

    duration_months: int = Field(ge=1, le=120, description="months of the test")


class FirmFile(FirmSection):
    """A firm's application to the sandbox, as written in its YAML file."""

    name: str = Field(min_length=1, description="the firm's name")
    description: str = Field("", description="the firm in a sentence")
    product: Product
    licence: Licence
    investor_terms: InvestorTerms
    borrower_terms: BorrowerTerms | None = Field(
        None, validate_default=True, description="required for a lending product"
    )
    funding_model: Literal["matched", "pooled", "guaranteed"] = Field(
        description="matched: each investment funds named loans, investors bear their results; "
        "pooled: a pool promises a yield; guaranteed: a pool that also guarantees principal"
    )
    capital: float = Field(ge=0, description="paid-in capital, yuan")
    custody: Custody
    disclosure: Disclosure
    customers: Customers
    risk_controls: RiskControls = Field(default_factory=RiskControls)
    compensation_reserve: float = Field(
        0.0, ge=0, description="yuan set aside to compensate investors (outside the business)"
    )
    exit_plan: ExitPlan | None = Field(None, description="how it winds down; leave out if it has none")
    test: TrialPlan
    source: str | None = Field(None, exclude=True, description="file the firm was loaded from")

    @field_validator("borrower_terms")
    @classmethod
    def _lending_needs_borrower_terms(cls, value: BorrowerTerms | None, info: ValidationInfo) -> BorrowerTerms | None:
        product = info.data.get("product")
        if value is None and product is not None and product.type == "lending":
            raise ValueError("required for a lending product; allowed: a mapping with max_apr at least")
        return value

    @property
    def disclosure_quality(self) -> float:
        """Share of :data:`DISCLOSURE_ITEMS` the firm publishes (0 to 1)."""
        return len(set(self.disclosure.publishes)) / len(DISCLOSURE_ITEMS)

    @property
    def max_exposure(self) -> float:
        """The most investors' money the firm may hold in its test: customers times per-customer maximum."""
        return self.customers.max_customers * self.investor_terms.max_investment_per_customer


def load_firm(path: str | Path) -> FirmFile:
    """Load and validate a firm file.

    Raises:
        ScenarioError: listing every problem, each naming the file, the line,
            the field path, what was found and what is allowed (with a
            did-you-mean for unknown keys), as for scenario files.
    """
    try:
        data, lines = load_yaml(path)
    except ScenarioError as err:
        raise ScenarioError([p.replace("scenario file", "firm file") for p in err.problems]) from None
    try:
        firm = FirmFile.model_validate(data)
    except ValidationError as exc:
        raise ScenarioError(
            format_validation_error(exc, model=FirmFile, locate=line_locator(str(path), lines))
        ) from None
    firm.source = str(path)
    return firm


#: Top-level keys only a firm file has: a file with any of them is validated as a firm.
FIRM_KEYS: frozenset[str] = frozenset(
    {"product", "licence", "investor_terms", "borrower_terms", "funding_model", "compensation_reserve", "exit_plan"}
)


def is_firm_file(path: str | Path) -> bool:
    """Whether ``path`` reads as a firm file (its top level has a key of :data:`FIRM_KEYS`).

    A file that cannot be read or parsed is not a firm file here: loading it
    as a scenario reports the same problem.
    """
    try:
        data, _ = load_yaml(path)
    except ScenarioError:
        return False
    return isinstance(data, dict) and not FIRM_KEYS.isdisjoint(data)


# ---------------------------------------------------------------------------
# The sandbox's requirements
# ---------------------------------------------------------------------------


class PilotRequirements(BaseModel):
    """What the sandbox requires of an applicant, and the thresholds of its test.

    Build it with :meth:`from_scenario`: caps, duration and test start come from
    the regime's ``sandbox_pilot`` entry; the rest are standing conditions
    (these defaults) unless that rule carries a field of the same name.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    regime: str = Field(description="the regime's name")
    test_start: str = Field(description="month tests start, YYYY-MM (sandbox_pilot: from)")
    max_duration: int = Field(ge=1, description="longest test, months (sandbox_pilot: duration)")
    max_customers: int = Field(ge=1, description="customers one pilot may serve (sandbox_pilot: max_customers)")
    max_exposure_per_customer: float = Field(
        gt=0, description="yuan one customer may hold (sandbox_pilot: max_exposure_per_customer)"
    )
    custody_required: bool = Field(True, description="client money with a bank or trust custodian")
    min_disclosure: float = Field(1.0, ge=0, le=1, description="share of the disclosure items to publish")
    licence_required: bool = Field(True, description="licensed, or partnered with a licensed institution")
    exit_plan_required: bool = Field(True, description="an orderly wind-down plan")
    min_reserve_share: float = Field(
        0.10, ge=0, le=1, description="compensation reserve, share of the most the firm may hold"
    )
    max_failure_probability: float = Field(
        0.10, ge=0, le=1, description="test: failure probability above this is a risk"
    )
    max_stress_failure_probability: float = Field(
        0.30, ge=0, le=1, description="stress: failure probability above this is a risk"
    )
    reserve_percentile: float = Field(
        95.0, ge=50, le=100, description="the reserve must cover this percentile of losses"
    )
    from_rule: tuple[str, ...] = Field((), description="fields taken from the regime's sandbox_pilot entry")

    @classmethod
    def from_scenario(cls, scenario: Scenario) -> PilotRequirements:
        """The requirements of ``scenario``'s sandbox (its first ``sandbox_pilot`` entry)."""
        rule = next((r for r in scenario.rules if r.name == "sandbox_pilot"), None)
        if rule is None:
            raise ScenarioError(
                f"{scenario.source or scenario.name}: regime: no sandbox_pilot entry; allowed: a regime with a "
                "sandbox_pilot entry giving the sandbox's caps, duration and start (see scenarios/sandbox_regime.yaml)"
            )
        values: dict[str, Any] = {
            "regime": scenario.name,
            "test_start": rule.start,
            "max_duration": rule.duration,
            "max_customers": rule.max_customers,
            "max_exposure_per_customer": rule.max_exposure_per_customer,
        }
        taken = list(values)[1:]
        for name in STANDING:
            if name in type(rule).model_fields:
                values[name] = getattr(rule, name)
                taken.append(name)
        return cls(**values, from_rule=tuple(taken))

    @property
    def max_exposure(self) -> float:
        """The most investors' money a pilot may hold: customers times per-customer cap."""
        return self.max_customers * self.max_exposure_per_customer


#: The standing conditions: fields of :class:`PilotRequirements` with defaults here,
#: overridden by a ``sandbox_pilot`` field of the same name if the rule has one.
STANDING: tuple[str, ...] = (
    "custody_required",
    "min_disclosure",
    "licence_required",
    "exit_plan_required",
    "min_reserve_share",
    "max_failure_probability",
    "max_stress_failure_probability",
    "reserve_percentile",
)


# ---------------------------------------------------------------------------
# Eligibility
# ---------------------------------------------------------------------------


@dataclass
class Condition:
    """One admission condition or test check: met or not, why, and the number behind it."""

    name: str
    met: bool
    reason: str
    value: Any = None
    threshold: Any = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "met": bool(self.met),
            "reason": self.reason,
            "value": self.value,
            "threshold": self.threshold,
        }


def _yuan(x: float) -> str:
    return f"{x:,.0f} yuan"


def check_eligibility(firm: FirmFile, req: PilotRequirements) -> list[Condition]:
    """The sandbox's checkable admission conditions, each met or not with its reason.

    Every condition is hard: one not met means refusal.
    """
    out: list[Condition] = []
    lic = firm.licence
    if lic.status == "licensed" and lic.licence:
        out.append(
            Condition("licensed_or_partnered", True, f"licensed: {lic.licence}", lic.status, "licensed or partnered")
        )
    elif lic.status == "partnered" and lic.partner:
        out.append(
            Condition(
                "licensed_or_partnered",
                True,
                f"partnered with a licensed institution: {lic.partner}",
                lic.status,
                "licensed or partnered",
            )
        )
    else:
        why = {"licensed": "no licence named", "partnered": "no partner named"}.get(
            lic.status, "neither licensed nor partnered"
        )
        out.append(
            Condition(
                "licensed_or_partnered",
                not req.licence_required,
                f"{why}; the sandbox requires a licence or a licensed partner"
                if req.licence_required
                else f"{why} (not required by this sandbox)",
                lic.status,
                "licensed or partnered" if req.licence_required else "not required",
            )
        )

    held = firm.custody.arrangement != "none"
    who = f" ({firm.custody.custodian})" if firm.custody.custodian else ""
    out.append(
        Condition(
            "custody",
            held or not req.custody_required,
            f"client money held by a {firm.custody.arrangement} custodian{who}"
            if held
            else "client money held by the firm itself; the sandbox requires a custodian"
            if req.custody_required
            else "client money held by the firm itself (not required by this sandbox)",
            firm.custody.arrangement,
            "bank or trust" if req.custody_required else "not required",
        )
    )

    k, cap = firm.customers.max_customers, req.max_customers
    out.append(
        Condition(
            "customer_cap",
            k <= cap,
            f"plans at most {k:,} customers in the test, within the sandbox's {cap:,}"
            if k <= cap
            else f"plans {k:,} customers in the test, above the sandbox's cap of {cap:,}",
            k,
            cap,
        )
    )

    e, ecap = firm.investor_terms.max_investment_per_customer, req.max_exposure_per_customer
    out.append(
        Condition(
            "exposure_cap",
            e <= ecap,
            f"takes at most {_yuan(e)} per customer, within the sandbox's {_yuan(ecap)}"
            if e <= ecap
            else f"takes up to {_yuan(e)} per customer, above the sandbox's cap of {_yuan(ecap)}",
            e,
            ecap,
        )
    )

    q, qmin = firm.disclosure_quality, req.min_disclosure
    missing = [i for i in DISCLOSURE_ITEMS if i not in firm.disclosure.publishes]
    out.append(
        Condition(
            "disclosure",
            q >= qmin - 1e-9,
            f"publishes {len(DISCLOSURE_ITEMS) - len(missing)} of {len(DISCLOSURE_ITEMS)} disclosure items "
            f"({q:.0%}; required {qmin:.0%})" + (f"; missing: {', '.join(missing)}" if missing else ""),
            round(q, 4),
            qmin,
        )
    )

    limit = min(firm.customers.max_customers, req.max_customers) * min(
        firm.investor_terms.max_investment_per_customer, req.max_exposure_per_customer
    )
    need = req.min_reserve_share * limit
    r = firm.compensation_reserve
    out.append(
        Condition(
            "compensation_reserve",
            r >= need,
            f"reserve of {_yuan(r)} {'covers' if r >= need else 'is below'} the required {req.min_reserve_share:.0%} "
            f"of the most it may hold in the test ({_yuan(limit)}): {_yuan(need)}",
            r,
            need,
        )
    )

    plan = firm.exit_plan
    if plan is not None:
        servicer = f", backup servicer {plan.backup_servicer}" if plan.backup_servicer else ""
        out.append(
            Condition(
                "exit_plan",
                True,
                f"orderly wind-down over {plan.wind_down_months} months{servicer}",
                plan.wind_down_months,
                "a plan",
            )
        )
    else:
        out.append(
            Condition(
                "exit_plan",
                not req.exit_plan_required,
                "no exit plan; the sandbox requires an orderly wind-down plan"
                if req.exit_plan_required
                else "no exit plan (not required by this sandbox)",
                None,
                "a plan" if req.exit_plan_required else "not required",
            )
        )

    d, dmax = firm.test.duration_months, req.max_duration
    out.append(
        Condition(
            "test_duration",
            d <= dmax,
            f"asks for a {d}-month test, within the sandbox's {dmax} months"
            if d <= dmax
            else f"asks for a {d}-month test, longer than the sandbox's {dmax} months",
            d,
            dmax,
        )
    )
    return out


# ---------------------------------------------------------------------------
# The firm in the market
# ---------------------------------------------------------------------------


@dataclass
class FirmState:
    """What one run records about the firm (kept on the model as ``model.pilot_firm``)."""

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


class FirmPlatform(Platform):
    """The applicant as a platform agent: on failure its exit plan makes the wind-down orderly."""

    exit_months: int | None = None

    def on_failure(self, cause: str, orderly: bool) -> None:
        model, book, row = self.model, self.book, self.row
        state: FirmState | None = getattr(model, "pilot_firm", None)
        if state is not None:
            inv = model.investors
            mask = inv.platform == row
            state.holders_at_failure = int(mask.any(axis=0).sum())
            if mask.any():
                state.largest_claim = float((inv.units * mask).sum(axis=0).max() * book.unit_value[row])
        if self.exit_months is not None:
            # The plan: a prepared, orderly wind-down of the stated length (borrowers keep paying).
            b = model.config.market.borrowers
            book.orderly[row] = True
            book.resolution_end[row] = model.month + self.exit_months
            book.strategic[row] = b.strategic_default_orderly * (1 - model.policy.recovery_uplift)


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

    def apply(self, policy: Policy, model: SandboxModel) -> None:
        state: FirmState | None = getattr(model, "pilot_firm", None)
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

    def act(self, model: SandboxModel) -> None:
        first = self.first_month(model)
        state: FirmState | None = getattr(model, "pilot_firm", None)
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
            model.fail(np.array([row]), ORDERLY_EXIT, orderly=True)
        elif (
            self.wind_down_trigger is not None
            and model.month < state.end
            and equity < self.wind_down_trigger * self.capital
        ):
            state.triggered_exit = True
            model.fail(np.array([row]), ORDERLY_EXIT, orderly=True)

    def _place(self, model: SandboxModel) -> FirmState:
        if getattr(model, "pilot_firm", None) is not None:
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
            rows = model._add_platforms(a)
        finally:
            del model.platform_class
        row = int(rows[0])
        model.platform_agents[row].exit_months = self.exit_months
        state = FirmState(row=row, first=model.month, end=model.month + self.duration)
        model.pilot_firm = state
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
        rate = book.customers[:n][ok] / age[ok] / book.visibility[:n][ok]
        wanted = self.target_customers / self.growth_months
        return float(np.clip(wanted / max(float(np.median(rate)), 1e-9), 0.05, 200.0))

    def _observe(self, model: SandboxModel, state: FirmState) -> None:
        """Record the end of the previous month (a month of the test)."""
        book, inv, row = model.book, model.investors, state.row
        uv = float(book.unit_value[row])
        state.uv_min = min(state.uv_min, uv)
        mask = inv.platform == row
        k = int(mask.any(axis=0).sum())  # distinct customers (holdings are (slot, investor))
        claims = float(book.units[row] * uv)
        biggest = float((inv.units * mask).sum(axis=0).max()) * uv if mask.any() else 0.0
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

    def act(self, model: SandboxModel) -> None:
        state: FirmState | None = getattr(model, "pilot_firm", None)
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
        kind=KINDS[KIND_OF[firm.funding_model]],
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


# ---------------------------------------------------------------------------
# The test and the stresses
# ---------------------------------------------------------------------------

#: Conditions the firm is run under, in report order.
VARIANTS: tuple[str, ...] = ("test", "credit_shock", "neighbour_failure", "funding_stop")
TITLES = {
    "test": "sandbox test",
    "credit_shock": "macro credit shock",
    "neighbour_failure": "neighbour's failure",
    "funding_stop": "sudden stop of new money",
}
#: The stresses, the same for every applicant. They start a quarter of the way into the test.
CREDIT_SHOCK = {"kind": "credit", "size": 1.0, "duration": 6}  # borrowers' default hazard doubles for 6 months
FUNDING_STOP = {"kind": "funding", "size": 0.9, "duration": 6}  # 90% of new money stops for 6 months
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
    resolution = scenario.market.resolution
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
    state: FirmState = model.pilot_firm
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


def simulate(
    firm: FirmFile,
    scenario: Scenario,
    req: PilotRequirements,
    runs: int = 20,
    seed: int = 0,
    progress: Callable[[], None] | None = None,
) -> dict[str, dict[str, list[dict[str, Any]]]]:
    """Run the firm ``runs`` times under each variant, with and without the sandbox's caps.

    Every variant and both cap settings use the same child seeds (common random
    numbers), so differences come from the stress or the caps, not the draw.

    Returns:
        ``{variant: {"sandbox": [outcomes per run], "uncapped": [...]}}``.
    """
    months = horizon(scenario, req, firm)
    seeds = child_seeds(seed, runs)
    rules = {True: firm_rule(firm, req, capped=True), False: firm_rule(firm, req, capped=False)}
    out: dict[str, dict[str, list[dict[str, Any]]]] = {}
    for name, (spec, extra) in variants(scenario, req, firm).items():
        out[name] = {"sandbox": [], "uncapped": []}
        for capped, label in ((True, "sandbox"), (False, "uncapped")):
            for s in seeds:
                out[name][label].append(run_once(spec, [rules[capped], *extra], s, months))
                if progress is not None:
                    progress()
    return out


def _wilson(k: int, n: int, z: float = 1.96) -> tuple[float, float]:
    if n == 0:
        return (0.0, 1.0)
    p = k / n
    d = 1 + z * z / n
    c = (p + z * z / (2 * n)) / d
    h = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / d
    return (max(0.0, c - h), min(1.0, c + h))


def summarize(results: list[dict[str, Any]], reserve: float, percentile: float) -> dict[str, Any]:
    """The firm's results over runs: failure probability, losses, harm, reserve coverage, caps, exit recovery."""
    n = len(results)
    failed = np.array([r["failed"] for r in results])
    counted = np.array([r["failed_or_exited"] for r in results])
    loss = np.array([r["investor_loss"] for r in results])
    harmed = np.array([r["customers_harmed"] for r in results])
    exposed = np.array([r["customers_exposed"] for r in results])
    claims = np.array([r["claims_at_failure"] for r in results])
    recovered = np.array([r["recovered"] for r in results])
    values = [r["value_per_yuan"] for r in results if r["value_per_yuan"] is not None]
    tail = float(np.percentile(loss, percentile)) if n else 0.0
    lo, hi = _wilson(int(failed.sum()), n)
    return {
        "runs": n,
        "failure_probability": float(failed.mean()) if n else 0.0,
        "failure_probability_ci95": [lo, hi],
        "exit_at_review_probability": float(np.mean([r["exited_at_review"] for r in results])) if n else 0.0,
        "triggered_exit_probability": float(np.mean([r["triggered_exit"] for r in results])) if n else 0.0,
        "expected_investor_loss": float(loss.mean()) if n else 0.0,
        "tail_investor_loss": tail,
        "tail_percentile": percentile,
        "max_investor_loss": float(loss.max()) if n else 0.0,
        "largest_customer_loss": float(max(r["largest_customer_loss"] for r in results)) if n else 0.0,
        "customers_harmed_mean": float(harmed.mean()) if n else 0.0,
        "customers_harmed_max": int(harmed.max()) if n else 0,
        "customers_exposed_mean": float(exposed.mean()) if n else 0.0,
        "customers_exposed_max": int(exposed.max()) if n else 0,
        "peak_money_mean": float(np.mean([r["peak_claims"] for r in results])) if n else 0.0,
        "max_exposure_per_customer": float(max(r["max_exposure"] for r in results)) if n else 0.0,
        "reserve_coverage_share": float((loss <= reserve).mean()) if n else 1.0,
        "reserve_covers_tail": bool(reserve >= tail),
        "caps_breached_runs": int(sum(r["customer_cap_breached"] or r["exposure_cap_breached"] for r in results)),
        "exit_recovery": float(recovered[counted].sum() / claims[counted].sum()) if claims[counted].sum() > 0 else None,
        "value_per_yuan_p5": float(np.percentile(values, 5)) if values else None,
        "causes": {
            c: int(sum(r["cause"] == c for r in results)) for c in CAUSES if any(r["cause"] == c for r in results)
        },
    }


# ---------------------------------------------------------------------------
# The verdict
# ---------------------------------------------------------------------------

VERDICT_TEXT = {
    "admit": "Admit",
    "admit_with_conditions": "Admit with conditions",
    "refuse": "Refuse",
}


def result_checks(
    firm: FirmFile, req: PilotRequirements, summary: dict[str, dict[str, dict[str, Any]]]
) -> list[Condition]:
    """What the test says, as checks with reasons (their failure makes conditions of admission)."""
    r = firm.compensation_reserve
    test = summary["test"]["sandbox"]
    out = []
    p, pmax = test["failure_probability"], req.max_failure_probability
    lo, hi = test["failure_probability_ci95"]
    out.append(
        Condition(
            "failure_probability",
            p <= pmax,
            f"failed in {p:.0%} of {test['runs']} test runs (95% CI {lo:.0%} to {hi:.0%}); "
            f"{'within' if p <= pmax else 'above'} the sandbox's {pmax:.0%}",
            round(p, 4),
            pmax,
        )
    )
    worst = max(VARIANTS[1:], key=lambda v: summary[v]["sandbox"]["failure_probability"])
    ps, psmax = summary[worst]["sandbox"]["failure_probability"], req.max_stress_failure_probability
    out.append(
        Condition(
            "stress_failure_probability",
            ps <= psmax,
            f"worst stress ({TITLES[worst]}): failed in {ps:.0%} of runs; "
            f"{'within' if ps <= psmax else 'above'} the sandbox's {psmax:.0%}",
            round(ps, 4),
            psmax,
        )
    )
    pct = req.reserve_percentile
    t = test["tail_investor_loss"]
    out.append(
        Condition(
            "reserve_covers_test_losses",
            r >= t,
            f"reserve {_yuan(r)} {'covers' if r >= t else 'does not cover'} the {pct:g}th-percentile investor loss "
            f"in the test ({_yuan(t)})",
            round(t, 2),
            r,
        )
    )
    worst_loss = max(VARIANTS[1:], key=lambda v: summary[v]["sandbox"]["tail_investor_loss"])
    ts = summary[worst_loss]["sandbox"]["tail_investor_loss"]
    out.append(
        Condition(
            "reserve_covers_stress_losses",
            r >= ts,
            f"reserve {_yuan(r)} {'covers' if r >= ts else 'does not cover'} the {pct:g}th-percentile investor loss "
            f"under the worst stress ({TITLES[worst_loss]}: {_yuan(ts)})",
            round(ts, 2),
            r,
        )
    )
    breached = sum(summary[v]["sandbox"]["caps_breached_runs"] for v in VARIANTS)
    out.append(
        Condition(
            "caps_held",
            breached == 0,
            "customer and per-customer caps held in every capped run"
            if breached == 0
            else f"caps exceeded in {breached} capped runs",
            breached,
            0,
        )
    )
    return out


def reserve_sentence(reserve: float, summary: dict[str, dict[str, dict[str, Any]]], percentile: float) -> str:
    """Whether the reserve covers the tail loss in the test and under the worst stress, with both numbers.

    Each half of the sentence is decided by its own number, so the sentence
    never says the reserve falls short in the test when the test's tail loss
    is within it.
    """
    test_tail = summary["test"]["sandbox"]["tail_investor_loss"]
    worst = max(VARIANTS[1:], key=lambda v: summary[v]["sandbox"]["tail_investor_loss"])
    stress_tail = summary[worst]["sandbox"]["tail_investor_loss"]
    in_test = f"the {percentile:g}th-percentile investor loss in the test ({_yuan(test_tail)})"
    in_stress = f"under the worst stress ({TITLES[worst]}: {_yuan(stress_tail)})"
    covers_test, covers_stress = reserve >= test_tail, reserve >= stress_tail
    head = f"Its compensation reserve of {_yuan(reserve)}"
    if covers_test and covers_stress:
        return f"{head} covers {in_test} and {in_stress}."
    if covers_test:
        return f"{head} covers {in_test} but not the loss {in_stress}."
    if covers_stress:
        return f"{head} does not cover {in_test} but covers the loss {in_stress}."
    return f"{head} covers neither {in_test} nor the loss {in_stress}."


def test_record(summary: dict[str, dict[str, dict[str, Any]]], req: PilotRequirements | None = None) -> str:
    """One sentence: how often the firm failed in its test, with and without caps, and under stress."""
    test, unc = summary["test"]["sandbox"], summary["test"]["uncapped"]
    worst = max(VARIANTS[1:], key=lambda v: summary[v]["sandbox"]["failure_probability"])
    lo, hi = test.get("failure_probability_ci95", (0.0, 1.0))
    limit = f"; limit {req.max_failure_probability:.0%}" if req is not None else ""
    return (
        f"In {test['runs']} runs of its test it failed in {test['failure_probability']:.0%} "
        f"(95% CI {lo:.0%} to {hi:.0%}{limit}; {unc['failure_probability']:.0%} without the sandbox's caps) "
        f"and in up to {summary[worst]['sandbox']['failure_probability']:.0%} under stress ({TITLES[worst]})."
    )


def judge(
    conditions: list[Condition],
    checks: list[Condition],
    summary: dict[str, dict[str, dict[str, Any]]],
    search: ConditionSearch | None = None,
    reserve: float | None = None,
    req: PilotRequirements | None = None,
) -> tuple[str, str, list[str], list[AdmissionCondition]]:
    """The verdict, a plain-language summary, its reasons, and the conditions of admission (if any).

    Refuse if any admission condition is not met. Admit if every test check is
    met too. Otherwise admit with conditions if ``search`` found at least one
    concrete condition verified by simulation (each one alone suffices), and
    refuse if it found none.
    """
    record = test_record(summary, req)
    if reserve is not None:
        record += " " + reserve_sentence(reserve, summary, req.reserve_percentile if req else 95.0)
    unmet = [c for c in conditions if not c.met]
    if unmet:
        names = ", ".join(c.name.replace("_", " ") for c in unmet)
        text = (
            f"Refused: the firm does not meet {len(unmet)} of the sandbox's {len(conditions)} admission "
            f"conditions ({names}). Each is required for admission; the firm may apply again once it meets "
            f"them. {record}"
        )
        return "refuse", text, [f"{c.name.replace('_', ' ')}: {c.reason}" for c in unmet], []
    failing = [c for c in checks if not c.met]
    if not failing:
        return (
            "admit",
            f"Admitted: the firm meets every admission condition and every test check. {record}",
            ["every admission condition is met", *[c.reason for c in checks]],
            [],
        )
    risks = ", ".join(c.name.replace("_", " ") for c in failing)
    found = [c for c in (search.conditions if search else []) if c.verified]
    if not found:
        tried = search.tried_sentence() if search else "No condition was searched for."
        text = (
            f"Refused: the firm meets every admission condition, but the test shows risk ({risks}) and no "
            f"customer cap, capital top-up or compensation reserve tried brings it within the sandbox's limits. "
            f"{tried} {record}"
        )
        return "refuse", text, [c.reason for c in failing], []
    options = "this condition" if len(found) == 1 else f"any one of these {len(found)} conditions"
    text = (
        f"Admitted with conditions: the firm meets every admission condition, but the test shows risk "
        f"({risks}). {record} It may start its test on {options}, each tested on {search.runs} runs "
        "of the same seeds."
    )
    return "admit_with_conditions", text, [c.reason for c in failing], found


# ---------------------------------------------------------------------------
# Conditions of admission: found by search, verified by simulation
# ---------------------------------------------------------------------------

#: Most runs a condition is tested on; a limit that needs more cannot be shown and no condition is found.
MAX_VERIFY_RUNS = 200
#: Bisection steps per lever once its most conservative value passes (the search stays cheap).
SEARCH_STEPS = 3
#: The most conservative customer cap tried, as a share of the firm's cap in the test.
MIN_CAP_SHARE = 1 / 16
#: Capital top-ups and reserves are rounded up to these steps, yuan.
TOP_UP_STEP = 10_000
RESERVE_STEP = 1_000
#: The checks that a failure probability decides (the rest are reserve and caps checks).
FAILURE_CHECKS = ("failure_probability", "stress_failure_probability")
STRESS_CHECKS = ("stress_failure_probability", "reserve_covers_stress_losses")


def failure_upper_bound(failures: int, runs: int) -> float:
    """Upper end of the two-sided 95% Wilson interval of a failure probability (as the card reports it)."""
    return _wilson(failures, runs)[1]


def allowed_failures(runs: int, limit: float) -> int:
    """Most failures in ``runs`` whose upper 95% bound is within ``limit`` (-1: not even zero is)."""
    k = -1
    while k + 1 <= runs and failure_upper_bound(k + 1, runs) <= limit:
        k += 1
    return k


def verification_runs(limit: float, runs: int) -> int:
    """Runs a condition is tested on: at least ``runs``, and enough that zero failures show ``limit`` is met.

    With a 10% limit that is 35 runs: below that, even a firm that never fails
    has an upper 95% bound above 10%.
    """
    n = max(runs, 1)
    while n < MAX_VERIFY_RUNS and failure_upper_bound(0, n) > limit:
        n += 1
    return n


def _ceil_to(x: float, step: int) -> int:
    return int(math.ceil(x / step - 1e-9) * step)


@dataclass
class AdmissionCondition:
    """A concrete condition of admission and what the firm did under it in simulated tests.

    ``changes`` maps the firm file's field to the value the condition requires
    (``customers.max_customers``, ``capital``, ``compensation_reserve``);
    ``results`` holds the summary of the capped runs under the condition for
    each variant re-tested, on the same seeds as the test (common random numbers).
    """

    lever: str
    changes: dict[str, float]
    before: dict[str, float]
    results: dict[str, dict[str, Any]]
    limits: dict[str, float]
    verified: bool = True

    def _failure(self, variant: str) -> tuple[int, int, float, float]:
        r = self.results[variant]
        k = round(r["failure_probability"] * r["runs"])
        return k, r["runs"], r["failure_probability"], failure_upper_bound(k, r["runs"])

    @property
    def text(self) -> str:
        """The condition and its tested result, in words generated from the numbers."""
        parts = []
        for key, value in self.changes.items():
            was = self.before[key]
            if key == "customers.max_customers":
                parts.append(f"serve at most {value:,.0f} customers in the test (instead of {was:,.0f})")
            elif key == "capital":
                parts.append(f"add {_yuan(value - was)} of capital ({_yuan(value)} in all)")
            else:
                parts.append(f"raise the compensation reserve to {_yuan(value)} (from {_yuan(was)})")
        k, n, p, hi = self._failure("test")
        tested = (
            f"tested on {n} runs: failed in {k} ({p:.0%}; upper 95% bound {hi:.1%}, "
            f"limit {self.limits['test']:.0%})"
        )
        for v in VARIANTS[1:]:
            if v in self.results:
                ks, ns, ps, his = self._failure(v)
                tested += f"; {TITLES[v]}: {ps:.0%} (upper bound {his:.1%}, limit {self.limits[v]:.0%})"
        tail = max(r["tail_investor_loss"] for r in self.results.values())
        tested += f"; 95th-percentile investor loss at most {_yuan(tail)}"
        return f"{' and '.join(parts)}; {tested}"

    def to_dict(self) -> dict[str, Any]:
        k, n, p, hi = self._failure("test")
        return {
            "lever": self.lever,
            "text": self.text,
            "changes": dict(self.changes),
            "before": dict(self.before),
            "verified": bool(self.verified),
            "runs": n,
            "failure_probability": p,
            "failure_probability_upper95": hi,
            "limit": self.limits["test"],
            "variants_tested": list(self.results),
            "by_variant": {
                v: {
                    "failure_probability": r["failure_probability"],
                    "failure_probability_upper95": self._failure(v)[3],
                    "limit": self.limits[v],
                    "tail_investor_loss": r["tail_investor_loss"],
                }
                for v, r in self.results.items()
            },
        }

    def __str__(self) -> str:
        return self.text


@dataclass
class ConditionSearch:
    """What the search tried, and the conditions it verified."""

    runs: int
    variants: tuple[str, ...]
    conditions: list[AdmissionCondition] = field(default_factory=list)
    tried: list[dict[str, Any]] = field(default_factory=list)

    def tried_sentence(self) -> str:
        """What was tried, in one sentence from the probes' values."""
        caps = [t["value"] for t in self.tried if t["lever"] == "customer_cap"]
        tops = [t["value"] for t in self.tried if t["lever"] == "capital_top_up"]
        parts = []
        if caps:
            parts.append(f"customer caps down to {min(caps):,.0f}")
        if tops:
            parts.append(f"capital top-ups up to {_yuan(max(tops))}")
        if not parts:
            return f"No lever could be tried (a limit needs more than {MAX_VERIFY_RUNS} runs to show)."
        return f"Tried {' and '.join(parts)}, each on up to {self.runs} runs of the same seeds."

    def to_dict(self) -> dict[str, Any]:
        return {"runs": self.runs, "variants": list(self.variants), "tried": self.tried}


def _with(firm: FirmFile, changes: dict[str, float]) -> FirmFile:
    """A copy of ``firm`` with dotted fields changed (the search's candidates)."""
    out = firm
    for key, value in changes.items():
        if key == "customers.max_customers":
            out = out.model_copy(update={"customers": out.customers.model_copy(update={"max_customers": int(value)})})
        else:
            out = out.model_copy(update={key: value})
    return out


def search_conditions(
    firm: FirmFile,
    scenario: Scenario,
    req: PilotRequirements,
    failing: list[Condition],
    summary: dict[str, dict[str, dict[str, Any]]],
    runs: int,
    seed: int,
    progress: Callable[[], None] | None = None,
) -> ConditionSearch:
    """Find concrete conditions under which every failing test check is met, by simulated tests.

    Levers, each searched on its own: the compensation reserve alone (when
    only reserve checks fail: the reserve does not change the simulation), the
    largest customer cap, and the smallest capital top-up. A lever is first
    tried at its most conservative value (a sixteenth of the customer cap;
    capital topped up by the most investors' money the firm may hold in the
    test); if that fails, the lever cannot help. Otherwise a few bisection
    steps look for the least restrictive value that passes (assuming a tighter
    cap or more capital does not make failure likelier). Every candidate is run
    on the same seeds as the test (its first ``runs`` child seeds, and more:
    see :func:`verification_runs`); a candidate passes when, in each variant
    whose check failed, the upper 95% bound of the failure probability is
    within the sandbox's limit and no cap is exceeded. The reserve each
    condition needs is the largest tail loss of its runs. A candidate is
    dropped at its first run past the failures its limit allows, which keeps
    the search cheap.
    """
    names = {c.name for c in failing}
    needed = VARIANTS if names & set(STRESS_CHECKS) else ("test",)
    limits = {v: req.max_failure_probability if v == "test" else req.max_stress_failure_probability for v in VARIANTS}
    n = verification_runs(min(limits[v] for v in needed), runs)
    search = ConditionSearch(runs=n, variants=needed)
    if failure_upper_bound(0, n) > min(limits[v] for v in needed) or "caps_held" in names:
        return search  # the limit cannot be shown in MAX_VERIFY_RUNS runs, or the caps do not hold
    seeds = child_seeds(seed, n)
    specs = variants(scenario, req, firm)
    months = horizon(scenario, req, firm)
    kmax = {v: allowed_failures(n, limits[v]) for v in needed}

    # Seed by seed across the variants, the likeliest to fail first: a candidate that
    # cannot pass is dropped at its first failure too many, usually within a few runs.
    order = sorted(needed, key=lambda v: -summary[v]["sandbox"]["failure_probability"])

    def probe(candidate: FirmFile) -> dict[str, dict[str, Any]] | None:
        rule = firm_rule(candidate, req, capped=True)
        done: dict[str, list[dict[str, Any]]] = {v: [] for v in order}
        for s in seeds:
            for v in order:
                spec, extra = specs[v]
                run = run_once(spec, [rule, *extra], s, months)
                done[v].append(run)
                if progress is not None:
                    progress()
                too_many = sum(r["failed"] for r in done[v]) > kmax[v]
                if too_many or run["customer_cap_breached"] or run["exposure_cap_breached"]:
                    return None
        return {v: summarize(done[v], candidate.compensation_reserve, req.reserve_percentile) for v in needed}

    def attempt(lever: str, value: float, changes: dict[str, float]) -> AdmissionCondition | None:
        results = probe(_with(firm, changes))
        search.tried.append({"lever": lever, "value": value, "passed": results is not None})
        if results is None:
            return None
        tail = max(r["tail_investor_loss"] for r in results.values())
        if tail > firm.compensation_reserve:
            changes = {**changes, "compensation_reserve": float(_ceil_to(tail, RESERVE_STEP))}
        before = {k: _field(firm, k) for k in changes}
        return AdmissionCondition(lever, changes, before, results, {v: limits[v] for v in VARIANTS})

    if not names & set(FAILURE_CHECKS):
        found = attempt("compensation_reserve", firm.compensation_reserve, {})
        if found is not None:
            found.lever = "compensation_reserve"
            search.conditions.append(found)
            return search
    cap = min(firm.customers.max_customers, req.max_customers)
    for found in (
        _bisect(attempt, "customer_cap", cap, max(1, math.ceil(cap * MIN_CAP_SHARE)), _cap_between, _cap_changes),
        _bisect(
            attempt,
            "capital_top_up",
            0,
            _ceil_to(_max_exposure(firm, req), TOP_UP_STEP),
            _top_up_between,
            lambda top_up: {"capital": float(firm.capital + top_up)},
        ),
    ):
        if found is not None:
            search.conditions.append(found)
    return search


def _field(firm: FirmFile, key: str) -> float:
    if key == "customers.max_customers":
        return float(firm.customers.max_customers)
    return float(getattr(firm, key))


def _max_exposure(firm: FirmFile, req: PilotRequirements) -> float:
    """The most investors' money the firm may hold in its test, under its own and the sandbox's caps."""
    return min(firm.customers.max_customers, req.max_customers) * min(
        firm.investor_terms.max_investment_per_customer, req.max_exposure_per_customer
    )


def _cap_changes(cap: float) -> dict[str, float]:
    return {"customers.max_customers": float(cap)}


def _cap_between(failing: float, passing: float) -> float | None:
    """A customer cap between a failing (larger) and a passing one: their geometric mean, or None if adjacent."""
    mid = round(math.sqrt(failing * passing))
    return mid if passing < mid < failing else None


def _top_up_between(failing: float, passing: float) -> float | None:
    """A capital top-up between a failing (smaller) and a passing one, rounded up to the step."""
    mid = _ceil_to((failing + passing) / 2, TOP_UP_STEP)
    return mid if failing < mid < passing else None


def _bisect(
    attempt: Callable[[str, float, dict[str, float]], AdmissionCondition | None],
    lever: str,
    start: float,
    extreme: float,
    between: Callable[[float, float], float | None],
    changes: Callable[[float], dict[str, float]],
) -> AdmissionCondition | None:
    """The least restrictive passing value of one lever, from ``start`` (known to fail) to ``extreme``."""
    if extreme == start:
        return None
    best = attempt(lever, extreme, changes(extreme))
    if best is None:
        return None
    failing, passing = start, extreme
    for _ in range(SEARCH_STEPS):
        mid = between(failing, passing)
        if mid is None:
            break
        found = attempt(lever, mid, changes(mid))
        if found is None:
            failing = mid
        else:
            passing, best = mid, found
    return best


# ---------------------------------------------------------------------------
# The report
# ---------------------------------------------------------------------------


@dataclass
class PilotReport:
    """The report card: everything in ``data`` (the JSON), and the HTML page made from it."""

    data: dict[str, Any]
    results: dict[str, dict[str, list[dict[str, Any]]]] = field(repr=False, default_factory=dict)

    @property
    def verdict(self) -> str:
        return self.data["verdict"]

    def write(self, out: str | Path) -> tuple[Path, Path]:
        """Write ``report_card.json`` and ``report_card.html`` into ``out``."""
        out = Path(out)
        out.mkdir(parents=True, exist_ok=True)
        j = out / "report_card.json"
        h = out / "report_card.html"
        write_json(self.data, j)
        h.write_text(render_html(self.data, chart_png(self.data, self.results)))
        return j, h


NOT_SIMULATED = (
    "investor term and minimum investment, loan terms and loan size, disclosure frequency, credit assessment "
    "and liquidity buffer are declared and shown but do not change the simulation; the compensation reserve is "
    "set aside outside the business and compared with losses, not lent"
)


def assess(
    firm: FirmFile,
    scenario: Scenario,
    runs: int = 20,
    seed: int | None = None,
    progress: Callable[[], None] | None = None,
    search_progress: Callable[[], None] | None = None,
    requirements: PilotRequirements | None = None,
) -> PilotReport:
    """Eligibility, test, stresses and verdict for ``firm`` in the sandbox of ``scenario``.

    When the firm meets every admission condition but a test check fails,
    :func:`search_conditions` looks for concrete conditions of admission
    (``search_progress`` is called after each of its runs; their number depends
    on what the search finds). ``requirements`` replaces the sandbox's
    requirements read from the regime (e.g. to try another failure limit).
    """
    if runs < 1:
        raise ValueError(f"runs: found {runs}; allowed: a whole number >= 1")
    if seed is None:
        seed = int(np.random.SeedSequence().entropy % (2**63))
    req = requirements if requirements is not None else PilotRequirements.from_scenario(scenario)
    if firm.customers.region >= scenario.market.platforms.regions:
        raise ScenarioError(
            f"{firm.source or firm.name}: customers.region: found {firm.customers.region}; allowed: 0 to "
            f"{scenario.market.platforms.regions - 1} (regions of the regime's market)"
        )
    conditions = check_eligibility(firm, req)
    results = simulate(firm, scenario, req, runs=runs, seed=seed, progress=progress)
    pct = req.reserve_percentile
    summary = {v: {k: summarize(rs, firm.compensation_reserve, pct) for k, rs in results[v].items()} for v in VARIANTS}
    checks = result_checks(firm, req, summary)
    search = None
    if all(c.met for c in conditions) and not all(c.met for c in checks):
        failing = [c for c in checks if not c.met]
        search = search_conditions(firm, scenario, req, failing, summary, runs, seed, search_progress)
    verdict, text, reasons, remedies = judge(conditions, checks, summary, search, firm.compensation_reserve, req)
    test = summary["test"]["sandbox"]
    duration = min(firm.test.duration_months, req.max_duration)
    data = {
        "verdict": verdict,
        "verdict_text": VERDICT_TEXT[verdict],
        "verdict_summary": text,
        "reasons": reasons,
        "conditions_of_admission": [r.to_dict() for r in remedies],
        "condition_search": search.to_dict() if search is not None else None,
        "conditions": [c.to_dict() for c in conditions],
        "test_checks": [c.to_dict() for c in checks],
        "failure_probability": test["failure_probability"],
        "expected_investor_loss": test["expected_investor_loss"],
        "tail_investor_loss": test["tail_investor_loss"],
        "compensation_reserve": firm.compensation_reserve,
        "reserve_covers_losses": bool(checks[2].met and checks[3].met),
        "reserve_summary": reserve_sentence(firm.compensation_reserve, summary, req.reserve_percentile),
        "caps_breached": bool(not checks[4].met),
        "customers_harmed": test["customers_harmed_mean"],
        "exit_recovery": test["exit_recovery"],
        "firm": {
            "name": firm.name,
            "file": firm.source,
            "description": firm.description,
            "product": firm.product.type,
            "funding_model": firm.funding_model,
            "platform_kind": KINDS[KIND_OF[firm.funding_model]],
            "annual_yield": firm.investor_terms.annual_yield,
            "capital": firm.capital,
            "custody": firm.custody.arrangement,
            "disclosure_quality": firm.disclosure_quality,
            "max_customers": firm.customers.max_customers,
            "max_investment_per_customer": firm.investor_terms.max_investment_per_customer,
            "target_customers": firm.customers.growth_plan.target_customers,
            "exit_plan_months": firm.exit_plan.wind_down_months if firm.exit_plan else None,
        },
        "declared": {
            "innovation": firm.product.innovation,
            "consumer_benefit": firm.product.consumer_benefit,
            "note": "declared by the firm; shown, not scored",
            "not_simulated": NOT_SIMULATED,
        },
        "regime": {
            "name": scenario.name,
            "file": scenario.source,
            "requirements": req.model_dump(mode="json"),
        },
        "test": {
            "start": req.test_start,
            "duration_months": duration,
            "stress_month": stress_month(req, duration),
            "months_simulated": horizon(scenario, req, firm),
            "runs": runs,
            "seed": seed,
            "stresses": {
                "credit_shock": CREDIT_SHOCK,
                "funding_stop": FUNDING_STOP,
                "neighbour_failure": "largest honest look-alike fails, disorderly",
            },
        },
        "results": summary,
        "generated": _dt.datetime.now().isoformat(timespec="seconds"),
    }
    return PilotReport(data=data, results=results)


# ---------------------------------------------------------------------------
# HTML
# ---------------------------------------------------------------------------


def chart_png(data: dict[str, Any], results: dict[str, dict[str, list[dict[str, Any]]]]) -> str | None:
    """A small two-panel PNG (base64): customers through the test, and losses by condition, capped vs not."""
    if not results:
        return None
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, (a, b) = plt.subplots(1, 2, figsize=(7.2, 2.1), dpi=110)
    colors = {"sandbox": "#1f6f8b", "uncapped": "#c8553d"}
    labels = {"sandbox": "with the sandbox's caps", "uncapped": "without caps"}
    for key in ("sandbox", "uncapped"):
        series = [r["customers"] for r in results["test"][key]]
        width = max((len(s) for s in series), default=0)
        if width == 0:
            continue
        arr = np.array([s + [s[-1] if s else 0] * (width - len(s)) for s in series], dtype=float)
        x = np.arange(1, width + 1)
        a.plot(x, np.median(arr, axis=0), color=colors[key], label=labels[key])
        a.fill_between(x, np.percentile(arr, 5, axis=0), np.percentile(arr, 95, axis=0), color=colors[key], alpha=0.15)
    cap = data["regime"]["requirements"]["max_customers"]
    a.axhline(min(cap, data["firm"]["max_customers"]), color="#555", lw=0.8, ls="--")
    a.set_title("customers during the test (median, 5-95%)", fontsize=8)
    a.set_xlabel("month of the test", fontsize=7)
    a.tick_params(labelsize=7)
    a.legend(fontsize=6, frameon=False)
    x = np.arange(len(VARIANTS))
    for i, key in enumerate(("sandbox", "uncapped")):
        s = data["results"]
        mean = [s[v][key]["expected_investor_loss"] for v in VARIANTS]
        tail = [s[v][key]["tail_investor_loss"] for v in VARIANTS]
        b.bar(x + (i - 0.5) * 0.38, mean, 0.38, color=colors[key], label=labels[key])
        b.scatter(x + (i - 0.5) * 0.38, tail, marker="_", s=80, color="black", zorder=3)
    b.axhline(data["compensation_reserve"], color="#2a9d8f", lw=1, ls=":", label="compensation reserve")
    b.set_xticks(x, [TITLES[v].replace(" ", "\n", 1) for v in VARIANTS], fontsize=6)
    b.set_title("investor loss, yuan (bar: mean; tick: 95th pct)", fontsize=8)
    b.tick_params(labelsize=7)
    b.legend(fontsize=6, frameon=False)
    fig.tight_layout()
    buf = io.BytesIO()
    fig.savefig(buf, format="png")
    plt.close(fig)
    return base64.b64encode(buf.getvalue()).decode()


_CSS = """
@page { size: A4; margin: 12mm; }
body { font: 10.5px/1.35 -apple-system, "Segoe UI", Helvetica, Arial, sans-serif; color: #222; max-width: 190mm; margin: 0 auto; }
h1 { font-size: 17px; margin: 0 0 2px; } h2 { font-size: 12px; margin: 10px 0 3px; border-bottom: 1px solid #ccc; }
.sub { color: #555; margin: 0 0 6px; }
.verdict { padding: 6px 10px; border-radius: 4px; margin: 6px 0; border: 2px solid; }
.admit { border-color: #2a9d8f; background: #e9f6f4; } .admit_with_conditions { border-color: #e9a23b; background: #fdf4e6; }
.refuse { border-color: #c8553d; background: #fbeceb; }
.verdict b { font-size: 14px; } .verdict ul { margin: 3px 0 0 16px; padding: 0; } .verdict p { margin: 3px 0; }
table { border-collapse: collapse; width: 100%; } th, td { padding: 1.5px 5px; text-align: left; vertical-align: top; }
th { background: #f2f2f2; font-weight: 600; } tr + tr td { border-top: 1px solid #eee; }
td.n { text-align: right; white-space: nowrap; } .ok { color: #1b7f5b; font-weight: 700; } .no { color: #b3261e; font-weight: 700; }
.cols { display: flex; gap: 10px; } .cols > div { flex: 1; }
.note { color: #555; font-size: 9px; } img { width: 100%; }
@media print {
  body { font-size: 8.6px; max-width: none; } h1 { font-size: 15px; } h2 { font-size: 10.5px; margin: 6px 0 2px; }
  .verdict b { font-size: 12px; } .note { font-size: 7.6px; } th, td { padding: 0.5px 4px; }
  img { width: 82%; display: block; margin: 0 auto; } .verdict, table, img { break-inside: avoid; }
  * { -webkit-print-color-adjust: exact; print-color-adjust: exact; }
}
"""


def _e(x: Any) -> str:
    return html.escape(str(x))


def _money(x: float | None) -> str:
    return "-" if x is None else f"{x:,.0f}"


def _value(x: float | None) -> str:
    return "-" if x is None else f"{x:.3f}"


def _pct(x: float | None) -> str:
    return "-" if x is None else f"{x:.0%}"


def render_html(data: dict[str, Any], png: str | None = None) -> str:
    """The one-page report card (self-contained: inline CSS and chart)."""
    f, t, req = data["firm"], data["test"], data["regime"]["requirements"]
    s = data["results"]
    verdict = data["verdict"]
    mark = lambda ok: '<span class="ok">met</span>' if ok else '<span class="no">not met</span>'
    cond_rows = "".join(
        f"<tr><td>{_e(c['name'].replace('_', ' '))}</td><td>{mark(c['met'])}</td><td>{_e(c['reason'])}</td></tr>"
        for c in data["conditions"]
    )
    check_rows = "".join(
        f"<tr><td>{_e(c['name'].replace('_', ' '))}</td><td>{mark(c['met'])}</td><td>{_e(c['reason'])}</td></tr>"
        for c in data["test_checks"]
    )
    test = s["test"]
    rows = [
        (
            "failure probability in the test",
            _pct(test["sandbox"]["failure_probability"]),
            _pct(test["uncapped"]["failure_probability"]),
        ),
        (
            "expected investor loss, yuan",
            _money(test["sandbox"]["expected_investor_loss"]),
            _money(test["uncapped"]["expected_investor_loss"]),
        ),
        (
            "investor loss, 95th percentile, yuan",
            _money(test["sandbox"]["tail_investor_loss"]),
            _money(test["uncapped"]["tail_investor_loss"]),
        ),
        (
            "customers exposed (peak, mean)",
            _money(test["sandbox"]["customers_exposed_mean"]),
            _money(test["uncapped"]["customers_exposed_mean"]),
        ),
        (
            "customers harmed (mean / worst run)",
            f"{test['sandbox']['customers_harmed_mean']:,.1f} / {test['sandbox']['customers_harmed_max']:,}",
            f"{test['uncapped']['customers_harmed_mean']:,.1f} / {test['uncapped']['customers_harmed_max']:,}",
        ),
        (
            "investors' money at peak (mean), yuan",
            _money(test["sandbox"]["peak_money_mean"]),
            _money(test["uncapped"]["peak_money_mean"]),
        ),
        (
            "largest holding of one customer (with interest), yuan",
            _money(test["sandbox"]["max_exposure_per_customer"]),
            _money(test["uncapped"]["max_exposure_per_customer"]),
        ),
        (
            "largest loss of one customer, yuan",
            _money(test["sandbox"]["largest_customer_loss"]),
            _money(test["uncapped"]["largest_customer_loss"]),
        ),
        (
            "runs where the reserve covers the loss",
            _pct(test["sandbox"]["reserve_coverage_share"]),
            _pct(test["uncapped"]["reserve_coverage_share"]),
        ),
        ("runs with caps exceeded", str(test["sandbox"]["caps_breached_runs"]), "no caps"),
        (
            "wind-down recovers (share of claims at failure)",
            _pct(test["sandbox"]["exit_recovery"]),
            _pct(test["uncapped"]["exit_recovery"]),
        ),
        (
            "value of 1 yuan placed at launch, end (5th pct; matched)",
            _value(test["sandbox"]["value_per_yuan_p5"]),
            _value(test["uncapped"]["value_per_yuan_p5"]),
        ),
        ("exits at the end-of-test review", _pct(test["sandbox"]["exit_at_review_probability"]), "no review"),
    ]
    result_rows = "".join(f"<tr><td>{_e(a)}</td><td class='n'>{b}</td><td class='n'>{c}</td></tr>" for a, b, c in rows)
    stress_rows = "".join(
        "<tr><td>{}</td>{}</tr>".format(
            _e(TITLES[v]),
            "".join(
                f"<td class='n'>{_pct(s[v][k]['failure_probability'])}</td>"
                f"<td class='n'>{_money(s[v][k]['expected_investor_loss'])}</td>"
                f"<td class='n'>{_money(s[v][k]['tail_investor_loss'])}</td>"
                f"<td class='n'>{s[v][k]['customers_harmed_mean']:,.1f}</td>"
                for k in ("sandbox", "uncapped")
            )
            + f"<td class='n'>{'yes' if s[v]['sandbox']['reserve_covers_tail'] else 'no'}</td>",
        )
        for v in VARIANTS
    )
    # A refusal's reasons are the conditions table, an admission's the checks table: only
    # an admission with conditions lists its reasons (the checks not met) here.
    reasons = "".join(f"<li>{_e(r)}</li>" for r in data["reasons"])
    reasons_html = f"<ul>{reasons}</ul>" if verdict == "admit_with_conditions" else ""
    remedies = "".join(
        f"<li>{_e(r['text'])}{' (verified)' if r['verified'] else ''}</li>" for r in data["conditions_of_admission"]
    )
    remedies_html = (
        f"<div><b style='font-size:11px'>Conditions of admission (any one suffices)</b><ul>{remedies}</ul></div>"
        if remedies
        else ""
    )
    chart = f"<img alt='chart' src='data:image/png;base64,{png}'>" if png else ""
    d = data["declared"]
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Sandbox report card: {_e(f["name"])}</title>
<style>{_CSS}</style></head><body>
<h1>Sandbox report card: {_e(f["name"])}</h1>
<p class="sub">{_e(f["product"].replace("_", " "))}, {_e(f["funding_model"])} funding (simulated as a{"n" if f["platform_kind"][0] == "i" else ""}
{_e(f["platform_kind"])}); yield {f["annual_yield"]:.1%}; capital {_money(f["capital"])} yuan; reserve {_money(data["compensation_reserve"])} yuan.
Regime <b>{_e(data["regime"]["name"])}</b>: caps {req["max_customers"]:,} customers, {_money(req["max_exposure_per_customer"])} yuan each,
tests of up to {req["max_duration"]} months from {_e(req["test_start"])}.</p>
<div class="verdict {verdict}"><b>Verdict: {_e(data["verdict_text"])}</b><p>{_e(data["verdict_summary"])}</p>
{reasons_html}{remedies_html}</div>
<h2>Admission conditions</h2>
<table><tr><th style="width:22%">condition</th><th style="width:9%"></th><th>reason</th></tr>{cond_rows}</table>
<p class="note">Declared by the firm, shown but not scored. Innovation: {_e(d["innovation"] or "-")}.
Consumer benefit: {_e(d["consumer_benefit"] or "-")}.</p>
<h2>Test results: {t["runs"]} runs of {t["duration_months"]} months from {_e(t["start"])} (seed {t["seed"]})</h2>
<div class="cols"><div>
<table><tr><th></th><th class="n">with the sandbox's caps</th><th class="n">without caps</th></tr>{result_rows}</table>
</div><div>
<table><tr><th style="width:34%">check</th><th style="width:12%"></th><th>reason</th></tr>{check_rows}</table>
</div></div>
<h2>Stress results (from {_e(t["stress_month"])}; same seeds)</h2>
<table><tr><th rowspan="2">condition</th><th colspan="4" style="text-align:center">with the sandbox's caps</th>
<th colspan="4" style="text-align:center">without caps</th><th rowspan="2" class="n">reserve covers 95th pct</th></tr>
<tr><th class="n">fails</th><th class="n">mean loss</th><th class="n">95th pct loss</th><th class="n">harmed</th>
<th class="n">fails</th><th class="n">mean loss</th><th class="n">95th pct loss</th><th class="n">harmed</th></tr>{stress_rows}</table>
{chart}
<p class="note">Method: the firm is one platform in the regime's simulated market ({_e(data["regime"]["name"])}), entering at the start of the test,
run {t["runs"]} times on seeds spawned from {t["seed"]}; each run is repeated under a credit shock (borrowers' default hazard
x{1 + CREDIT_SHOCK["size"]:g} for {CREDIT_SHOCK["duration"]} months), the disorderly failure of its largest look-alike, and a stop of
{FUNDING_STOP["size"]:.0%} of new money for {FUNDING_STOP["duration"]} months, and without the sandbox's caps (as if authorised in full),
all on the same seeds. Fails: failure during the test. Losses: investors' claims at a failure during the test or at the end-of-test
review, less what the wind-down paid (investors in a matched firm also bear its borrowers' defaults through the value of their
holdings). Harmed: customers holding the firm when it failed, when investors lost. {_e(d["not_simulated"][0].upper() + d["not_simulated"][1:])}.
Generated {_e(data["generated"])} by <code>sandbox pilot</code>.</p>
</body></html>
"""
