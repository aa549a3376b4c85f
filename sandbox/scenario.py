"""Scenario files: the schema, and loading with ``extends`` and validation.

A scenario names the market (sizes, initial distributions, entry), the
environment (benchmark rate, macro cycle, sentiment, shocks), the regulator's
resources and the regime (a list of dated rules). Every field has a unit, a
default and an allowed range; a file is validated as a whole at load and every
problem is reported at once, naming the file, the line and the field path.
"""

from __future__ import annotations

import copy
import hashlib
import json
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, create_model, model_validator

from sandbox.dates import Dated, DatedValues, Month, month_index
from sandbox.rules import registry
from sandbox.rules.base import Rule
from sandbox.yamlio import ScenarioError, format_validation_error, load_yaml


class Section(BaseModel):
    """A block of a scenario file: unknown keys are errors."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True, validate_assignment=True)


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
    entry_per_month: Dated(ge=0, le=10_000) = Field(4.0, description="mean number of applicants a month (Poisson)")
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
    fraud_diversion: float = Field(0.30, ge=0, le=1, description="share of inflows a fraud diverts")
    fraud_lending: float = Field(0.30, ge=0, le=1, description="share of a fraud's inflows lent to real borrowers")
    abscond_hazard: float = Field(0.01, ge=0, le=1, description="monthly base probability a fraud absconds")
    abscond_on_inspection: float = Field(0.4, ge=0, le=1, description="added abscond probability when inspected")
    abscond_on_outflow: float = Field(0.1, ge=0, le=1, description="added abscond probability when net inflow turns negative")
    controller_reentry: float = Field(0.01, ge=0, le=1, description="monthly chance a failed fraud controller re-enters")
    unviable_months: int = Field(6, ge=1, le=120, description="months of losses before an intermediary exits")


class InvestorParams(Section):
    """Retail investors: a vectorized population."""

    count: int = Field(20_000, ge=1, le=50_000_000, description="investors in the population")
    active_at_start: float = Field(0.4, ge=0, le=1, description="share already in the market at the start")
    adoption_months: int = Field(36, ge=1, le=600, description="months over which the rest join")
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
    adoption_months: int = Field(36, ge=1, le=600)
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
    strategic_default_orderly: float = Field(0.02, ge=0, le=1, description="monthly, on an orderly wind-down")
    strategic_default_disorderly: float = Field(0.25, ge=0, le=1, description="monthly, on a collapsed platform")

    @model_validator(mode="after")
    def _terms(self) -> BorrowerParams:
        if len(self.term_months) != len(self.term_weights):
            raise ValueError("term_months and term_weights must have the same length")
        if any(t < 1 or t > 120 for t in self.term_months):
            raise ValueError("term_months: allowed: whole months from 1 to 120")
        if any(w < 0 for w in self.term_weights) or sum(self.term_weights) <= 0:
            raise ValueError("term_weights: allowed: non-negative weights with a positive sum")
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


class ResolutionParams(Section):
    """How failed platforms are wound down without a resolution rule."""

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
            raise ValueError("platforms: allowed: numbers from 0")
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
    resolution: ResolutionParams = Field(default_factory=ResolutionParams)
    exposures: ExposureParams = Field(default_factory=ExposureParams)


class MacroParams(Section):
    """The macro credit cycle: a multiplier on borrower default hazards."""

    amplitude: float = Field(0.2, ge=0, le=0.95, description="peak deviation of the multiplier from 1")
    period_months: int = Field(48, ge=2, le=600)
    phase_months: int = Field(0, ge=0, le=600)


class SentimentParams(Section):
    """Market sentiment: a state in [0, 1] that failures and warnings move."""

    norm: float = Field(0.8, ge=0, le=1, description="level sentiment recovers toward")
    recovery: float = Field(0.1, ge=0, le=1, description="monthly share of the gap to the norm recovered")
    failure_impact: float = Field(1.5, ge=0, le=100, description="drop per failure, times its market share")
    failure_floor: float = Field(0.002, ge=0, le=1, description="drop per failure, however small")
    cluster_fear: float = Field(0.01, ge=0, le=1, description="perceived monthly risk added to look-alikes per failure")
    fear_decay: float = Field(0.2, ge=0, le=1, description="monthly decay of look-alike fear")
    market_fear: float = Field(0.03, ge=0, le=1, description="perceived monthly risk added at zero sentiment")
    warning_impact: float = Field(0.01, ge=0, le=1, description="drop per public regulatory warning")
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
        ge=0, le=100,
        description="credit: hazard multiple minus 1; sentiment: drop; funding: share cut; "
        "bank_failure: share of client money held there that is lost (0 to 1)",
    )
    duration: int = Field(1, ge=1, le=600, description="months")
    bank: int | None = Field(None, ge=0, description="bank_failure: which custodian bank, from 0")

    @model_validator(mode="after")
    def _bank(self) -> Shock:
        if self.kind == "bank_failure" and (self.bank is None or self.size > 1):
            raise ValueError("a bank_failure needs 'bank' (a custodian, from 0) and a 'size' from 0 to 1")
        return self


class EnvironmentParams(Section):
    """Benchmark rate, macro cycle, sentiment and shocks."""

    benchmark_rate: Dated(ge=0, le=1) = Field(0.0435, description="one-year benchmark lending rate, fraction a year")
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


class ScenarioBase(Section):
    """Fields every scenario has; the regime's entries are added per registry."""

    name: str = Field("scenario", min_length=1, description="short name used in tables and reports")
    description: str = Field("", description="what the scenario represents and where its numbers come from")
    start: Month = Field("2014-01", description="first month simulated")
    months: int = Field(84, ge=1, le=600, description="horizon in months")
    market: MarketParams = Field(default_factory=MarketParams)
    environment: EnvironmentParams = Field(default_factory=EnvironmentParams)
    regulator: RegulatorParams = Field(default_factory=RegulatorParams)
    channels: ChannelParams = Field(default_factory=ChannelParams)

    def month(self, label: str) -> int:
        """Index of month ``label`` (``YYYY-MM``) in this scenario."""
        return month_index(label, self.start)


_model_cache: dict[tuple[str, ...], type[ScenarioBase]] = {}


def scenario_model() -> type[ScenarioBase]:
    """The scenario schema for the rules registered now.

    Each regime entry is a mapping with exactly one key, the rule's name, so
    an unknown rule name is reported like any unknown key, with a suggestion.
    """
    names = tuple(sorted(registry.names()))
    if names not in _model_cache:
        fields: dict[str, Any] = {name: (registry.get(name) | None, None) for name in names}
        entry = create_model(  # type: ignore[call-overload]
            "RegimeEntry",
            __base__=Section,
            __validators__={"_one_rule": model_validator(mode="after")(_exactly_one_rule)},
            **fields,
        )
        _model_cache[names] = create_model(  # type: ignore[call-overload]
            "Scenario",
            __base__=Scenario,
            regime=(list[entry], Field(default_factory=list, description="dated rules")),
        )
    return _model_cache[names]


def _exactly_one_rule(entry: BaseModel) -> BaseModel:
    given = [k for k in type(entry).model_fields if getattr(entry, k) is not None]
    if len(given) != 1:
        raise ValueError(f"found {len(given)} rules in one entry; allowed: exactly one rule name per entry")
    return entry


class Scenario(ScenarioBase):
    """A validated scenario. Build one with :func:`load_scenario` or :func:`scenario_from_dict`."""

    source: str | None = Field(None, exclude=True, description="file the scenario was loaded from")

    @property
    def rules(self) -> list[Rule]:
        """The regime as a list of rule objects, in file order."""
        out: list[Rule] = []
        for entry in getattr(self, "regime", []):
            for name in type(entry).model_fields:
                rule = getattr(entry, name)
                if rule is not None:
                    out.append(rule)
        return out

    @model_validator(mode="after")
    def _dates_within_horizon(self) -> Scenario:
        for i, rule in enumerate(self.rules):
            first = month_index(rule.start, self.start)
            if first >= self.months:
                raise ValueError(
                    f"regime[{i}].{rule.name}: effective {rule.start}, after the horizon "
                    f"(last month simulated is month {self.months} from {self.start}); "
                    "allowed: a date inside the horizon"
                )
        for i, shock in enumerate(self.environment.shocks):
            if not 0 <= month_index(shock.month, self.start) < self.months:
                raise ValueError(f"environment.shocks[{i}].month: {shock.month} is outside the horizon")
            if shock.kind == "bank_failure" and shock.bank >= self.market.exposures.custodians:
                raise ValueError(f"environment.shocks[{i}].bank: found {shock.bank}; allowed: 0 to "
                                 f"{self.market.exposures.custodians - 1} (market.exposures.custodians)")
        ex, initial = self.market.exposures, self.market.platforms.initial
        limits = {"guarantor": ex.guarantors, "group": ex.groups, "custodian": ex.custodians}
        for i, tie in enumerate(ex.ties):
            if max(tie.platforms) >= initial:
                raise ValueError(f"market.exposures.ties[{i}].platforms: found {max(tie.platforms)}; "
                                 f"allowed: 0 to {initial - 1} (the initial platforms)")
            for kind, count in limits.items():
                value = getattr(tie, kind)
                if value is not None and value >= count:
                    raise ValueError(f"market.exposures.ties[{i}].{kind}: found {value}; allowed: 0 to {count - 1}")
        return self

    def to_dict(self) -> dict[str, Any]:
        """Plain data, as a scenario file would hold it (rule dates as ``from``)."""
        return self.model_dump(mode="json", by_alias=True, exclude_none=True)

    def fingerprint(self) -> str:
        """A hash of everything that affects a run (not the name or description)."""
        data = self.to_dict()
        data.pop("name", None)
        data.pop("description", None)
        text = json.dumps(data, sort_keys=True)
        return hashlib.sha256(text.encode()).hexdigest()[:16]

    def with_updates(self, updates: dict[str, Any]) -> Scenario:
        """A copy with fields set by dotted path, validated again.

        ``{"market.investors.literacy_mean": 0.6, "regime.rate_cap.multiple": 3}``:
        a ``regime.<rule>`` path sets that field on every entry of that rule.
        """
        data = self.to_dict()
        for path, value in updates.items():
            _set_path(data, path, value)
        return scenario_from_dict(data, source=self.source)


def _set_path(data: dict[str, Any], path: str, value: Any) -> None:
    parts = path.split(".")
    if parts[0] == "regime" and len(parts) >= 3 and not parts[1].isdigit():
        entries = [e[parts[1]] for e in data.get("regime", []) if parts[1] in e]
        if not entries:
            raise ScenarioError(f"{path}: the scenario has no rule '{parts[1]}' in its regime")
        for entry in entries:
            _set_path(entry, ".".join(parts[2:]), value)
        return
    node: Any = data
    for key in parts[:-1]:
        node = node[int(key)] if isinstance(node, list) else node.setdefault(key, {})
    if isinstance(node, list):
        node[int(parts[-1])] = value
    else:
        node[parts[-1]] = value


def scenario_from_dict(data: dict[str, Any], source: str | None = None) -> Scenario:
    """Validate plain data into a :class:`Scenario`; problems raise :class:`ScenarioError`."""
    model = scenario_model()
    try:
        scenario = model.model_validate(data)
    except ValidationError as exc:
        label = source or "<scenario>"
        raise ScenarioError(format_validation_error(exc, model=model, locate=lambda loc: (label, None))) from None
    scenario.source = source
    return scenario


def load_scenario(path: str | Path) -> Scenario:
    """Load, merge (``extends``) and validate a scenario file.

    Raises:
        ScenarioError: listing every problem found, each naming the file, the
            line, the field path, what was found and what is allowed.
    """
    data, locate = _load_with_extends(Path(path), seen=())
    model = scenario_model()
    try:
        scenario = model.model_validate(data)
    except ValidationError as exc:
        raise ScenarioError(format_validation_error(exc, model=model, locate=locate)) from None
    scenario.source = str(path)
    return scenario


Locator = Any  # Callable[[tuple], tuple[str, int | None]]


def _load_with_extends(path: Path, seen: tuple[Path, ...]) -> tuple[dict[str, Any], Locator]:
    """Read ``path`` and, if it ``extends`` another file, merge it over that file.

    Mappings merge key by key; lists and dated values are replaced whole. The
    ``regime`` list merges by rule name: the child's entries for a rule replace
    all of the parent's entries for that rule, a new rule is added, and
    ``rule_name: remove`` drops the parent's rule.
    """
    data, lines = load_yaml(path)
    if not isinstance(data, dict):
        raise ScenarioError(f"{path}: a scenario must be a mapping of sections")
    own = _locator(path, lines)
    parent_name = data.pop("extends", None)
    if parent_name is None:
        return data, own
    if not isinstance(parent_name, str):
        raise ScenarioError(f"{path}:{lines.get(('extends',), '?')}: extends: allowed: a file name")
    parent_path = (path.parent / parent_name).resolve()
    if parent_path in seen or parent_path == path.resolve():
        raise ScenarioError(f"{path}: extends: {parent_name} extends itself in a cycle")
    parent, parent_locate = _load_with_extends(parent_path, (*seen, path.resolve()))
    merged = _merge(parent, data, path, lines)

    def locate(loc: tuple) -> tuple[str, int | None]:
        file, line = own(loc)
        if line is not None:
            return file, line
        return parent_locate(loc)

    return merged, locate


def _locator(path: Path, lines: dict[tuple, int]) -> Locator:
    name = str(path)
    return lambda loc: (name, lines.get(tuple(loc)))


def _merge(parent: dict[str, Any], child: dict[str, Any], path: Path, lines: dict[tuple, int]) -> dict[str, Any]:
    out = copy.deepcopy(parent)
    for key, value in child.items():
        if key == "regime" and isinstance(value, list) and isinstance(out.get("regime"), list):
            out["regime"] = _merge_regime(out["regime"], value, path, lines)
        elif isinstance(value, dict) and isinstance(out.get(key), dict) and "values" not in value:
            out[key] = _merge(out[key], value, path, {})
        else:
            out[key] = copy.deepcopy(value)
    return out


def _merge_regime(parent: list[Any], child: list[Any], path: Path, lines: dict[tuple, int]) -> list[Any]:
    """The child's entries replace every parent entry of the same rule name;
    ``rule_name: remove`` only drops them; the parent's other rules stay."""
    named = [next(iter(e)) for e in child if isinstance(e, dict) and len(e) == 1]
    kept = [e for e in parent if not (isinstance(e, dict) and len(e) == 1 and next(iter(e)) in named)]
    added = [e for e in child if not (isinstance(e, dict) and len(e) == 1 and next(iter(e.values())) == "remove")]
    return copy.deepcopy(kept + added)


def scenario_schema_version() -> str:
    """A short hash of the scenario schema, for refusing stores written by another schema."""
    text = json.dumps(scenario_model().model_json_schema(), sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:12]


__all__ = [
    "DatedValues",
    "Scenario",
    "ScenarioError",
    "load_scenario",
    "scenario_from_dict",
    "scenario_model",
]
