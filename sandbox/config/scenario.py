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
import re
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, ValidationError, create_model, model_validator

from sandbox.common.dates import Dated, DatedValues, Month, month_index, month_label
from sandbox.rules import registry
from sandbox.rules.base import Rule
from sandbox.config.yamlio import (
    FieldProblem,
    ScenarioError,
    StrictModel,
    format_validation_error,
    load_yaml,
    percent_hint,
)


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
            raise FieldProblem(("term_weights",), f"found {len(self.term_weights)} weights for "
                               f"{len(self.term_months)} term_months; allowed: one weight per term")
        if any(t < 1 or t > 120 for t in self.term_months):
            raise FieldProblem(("term_months",), f"found {self.term_months}; allowed: whole months from 1 to 120")
        if any(w < 0 for w in self.term_weights) or sum(self.term_weights) <= 0:
            raise FieldProblem(("term_weights",), f"found {self.term_weights}; "
                               "allowed: non-negative weights with a positive sum")
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
        if self.kind == "bank_failure" and self.bank is None:
            raise FieldProblem((), "a bank_failure shock needs 'bank' (which custodian bank fails, from 0)")
        if self.kind == "bank_failure" and self.size > 1:
            raise FieldProblem(("size",), f"found {self.size:g}; allowed: for a bank_failure, a share from 0 to 1"
                               f"{percent_hint(self.size, 1)}")
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


_MONTH_TEXT = re.compile(r"^\d{4}-(0[1-9]|1[0-2])$")

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


def _range_text(count: int) -> str:
    """The numbers of ``count`` things counted from 0, in words: "0 to 2", "only 0", "none"."""
    if count <= 0:
        return "none (there are 0)"
    return "only 0" if count == 1 else f"0 to {count - 1}"


class Scenario(ScenarioBase):
    """A validated scenario. Build one with :func:`load_scenario` or :func:`scenario_from_dict`."""

    # Private, not a field: it is not something a scenario file may set, and an
    # unknown key must not be told "did you mean 'source'?".
    _source: str | None = PrivateAttr(None)

    @property
    def source(self) -> str | None:
        """The file the scenario was loaded from (None if built from data)."""
        return self._source

    @source.setter
    def source(self, value: str | None) -> None:
        self._source = value

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
        """Cross-field checks, each reported at the field a user would change."""
        problems = [*self._regime_problems(), *self._shock_problems(), *self._tie_problems()]
        if problems:
            raise FieldProblem(problems)
        return self

    def _regime_problems(self) -> list[tuple[tuple, str]]:
        """Rules that start after the horizon, and a rule given twice with the same date."""
        problems: list[tuple[tuple, str]] = []
        first_seen: dict[tuple[str, str], int] = {}
        for i, entry in enumerate(getattr(self, "regime", [])):
            for name in type(entry).model_fields:
                rule = getattr(entry, name)
                if rule is None:
                    continue
                if month_index(rule.start, self.start) >= self.months:
                    problems.append((("regime", i, name, "from"), (
                        f"found {rule.start}, after the horizon (the last month simulated is "
                        f"{month_label(self.months - 1, self.start)}); allowed: a date inside the horizon")))
                # No index for the earlier entry: after extends it is the merged regime's,
                # which matches no file (the message's own place is mapped back to its file).
                if first_seen.setdefault((name, rule.start), i) != i:
                    problems.append((("regime", i, name, "from"), (
                        f"found {rule.start} again: an earlier {name} entry starts the same month; "
                        "allowed: one entry of a rule per date (merge their fields, or change a date)")))
        return problems

    def _shock_problems(self) -> list[tuple[tuple, str]]:
        """Shocks outside the horizon, and bank failures of banks that do not exist."""
        problems: list[tuple[tuple, str]] = []
        banks = self.market.exposures.custodians
        for i, shock in enumerate(self.environment.shocks):
            if not 0 <= month_index(shock.month, self.start) < self.months:
                problems.append((("environment", "shocks", i, "month"), (
                    f"found {shock.month}, outside the horizon; allowed: {self.start} to "
                    f"{month_label(self.months - 1, self.start)}")))
            if shock.kind != "bank_failure" or shock.bank is None:
                continue
            if banks == 0:
                problems.append((("environment", "shocks", i, "bank"), (
                    "a bank_failure shock needs market.exposures.custodians >= 1 (found 0 custodian banks)")))
            elif shock.bank >= banks:
                problems.append((("environment", "shocks", i, "bank"), (
                    f"found {shock.bank}; allowed: {_range_text(banks)} (market.exposures.custodians is {banks})")))
        return problems

    def _tie_problems(self) -> list[tuple[tuple, str]]:
        """Declared ties naming platforms or third parties that do not exist."""
        problems: list[tuple[tuple, str]] = []
        ex, initial = self.market.exposures, self.market.platforms.initial
        limits = {"guarantor": ("guarantors", ex.guarantors), "group": ("groups", ex.groups),
                  "custodian": ("custodians", ex.custodians)}
        for i, tie in enumerate(ex.ties):
            where = ("market", "exposures", "ties", i)
            if max(tie.platforms) >= initial:
                problems.append(((*where, "platforms"), (
                    f"found {max(tie.platforms)}; allowed: {_range_text(initial)} "
                    f"(market.platforms.initial is {initial})")))
            for kind, (field, count) in limits.items():
                value = getattr(tie, kind)
                if value is not None and value >= count:
                    problems.append(((*where, kind), (
                        f"found {value}; allowed: {_range_text(count)} (market.exposures.{field} is {count})")))
        return problems

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
        a ``regime.<rule>`` path sets that field on every entry of that rule
        that has it (on every entry of the rule if none has it).
        """
        data = self.to_dict()
        for path, value in updates.items():
            _set_path(data, path, value)
        # Problems are the overrides', not the file's: name them, not a line of the file.
        label = f"{self.source or '<scenario>'} with {', '.join(f'{k}={v!r}' for k, v in updates.items())}"
        scenario = scenario_from_dict(data, source=label)
        scenario.source = self.source
        return scenario


def _set_path(data: dict[str, Any], path: str, value: Any) -> None:
    parts = path.split(".")
    if parts[0] == "regime" and len(parts) >= 3 and not parts[1].isdigit():
        entries = [e[parts[1]] for e in data.get("regime", []) if parts[1] in e]
        if not entries:
            raise ScenarioError(f"{path}: the scenario has no rule '{parts[1]}' in its regime")
        # Entries that already have the field: with a rule dated in steps (an
        # inherited 36% cap, then 4x the benchmark), 'multiple' means the 4x one.
        having = [e for e in entries if parts[2] in e]
        for entry in having or entries:
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


class Origin:
    """Where a value of a merged scenario was written: file, line, and its path there.

    Origins form a tree shaped like the data (``children`` is a dict for a
    mapping, a list for a list), and merging moves a value and its origin
    together, so a message points at the file and line where the offending key
    is written even after ``extends`` merged and re-numbered the regime.
    """

    __slots__ = ("children", "file", "line", "path")

    def __init__(self, file: str, line: int | None, path: tuple, children: Any = None) -> None:
        """Create one node; ``children`` is a dict, a list or None for a scalar."""
        self.file, self.line, self.path, self.children = file, line, path, children

    @classmethod
    def of_file(cls, data: Any, lines: dict[tuple, int], file: str, path: tuple = ()) -> Origin:
        """The origin tree of one file's data, from :func:`load_yaml`'s line map."""
        node = cls(file, lines.get(path), path)
        if isinstance(data, dict):
            node.children = {k: cls.of_file(v, lines, file, (*path, k)) for k, v in data.items()}
        elif isinstance(data, list):
            node.children = [cls.of_file(v, lines, file, (*path, i)) for i, v in enumerate(data)]
        return node

    def with_children(self, children: Any) -> Origin:
        """A copy of this node with other children."""
        return Origin(self.file, self.line, self.path, children)

    def _deepest(self, loc: tuple) -> tuple[Origin, tuple]:
        """The deepest node along ``loc`` and the part of ``loc`` below it."""
        node = self
        for depth, part in enumerate(loc):
            kids = node.children
            if isinstance(kids, dict) and part in kids:
                node = kids[part]
            elif isinstance(kids, list) and isinstance(part, int) and 0 <= part < len(kids):
                node = kids[part]
            else:
                return node, tuple(loc[depth:])
        return node, ()

    def __call__(self, loc: tuple) -> tuple[str, int | None]:
        """``(file, line)`` of the nearest written key along ``loc`` (the locator protocol)."""
        node, _ = self._deepest(tuple(loc))
        return node.file, node.line

    def written(self, loc: tuple) -> tuple:
        """``loc`` as written in the file that holds it (regime indexes are the file's own)."""
        node, rest = self._deepest(tuple(loc))
        return (*node.path, *rest)


def _load_with_extends(path: Path, seen: tuple[Path, ...]) -> tuple[dict[str, Any], Origin]:
    """Read ``path`` and, if it ``extends`` another file, merge it over that file.

    Mappings merge key by key; lists and plain values are replaced whole;
    dated values and the regime supersede the parent's from their first date
    (see :func:`_merge_dated` and :func:`_merge_regime`).
    """
    data, lines = load_yaml(path)
    if not isinstance(data, dict):
        raise ScenarioError(f"{path}: a scenario must be a mapping of sections")
    origin = Origin.of_file(data, lines, str(path))
    parent_name = data.pop("extends", None)
    origin.children.pop("extends", None)
    if parent_name is None:
        return data, origin
    if not isinstance(parent_name, str):
        raise ScenarioError(f"{path}:{lines.get(('extends',), '?')}: extends: allowed: a file name")
    try:
        parent_path = (path.parent / parent_name).resolve()
    except (OSError, RuntimeError) as exc:  # RuntimeError: a symlink loop (Python < 3.13)
        raise ScenarioError(f"{path}:{lines.get(('extends',), '?')}: extends: cannot read "
                            f"{parent_name}: {getattr(exc, 'strerror', None) or exc}") from None
    if parent_path in seen or parent_path == path.resolve():
        raise ScenarioError(f"{path}: extends: {parent_name} extends itself in a cycle")
    if not parent_path.exists():  # say where the missing name is written, not only what is missing
        raise ScenarioError(f"{path}:{lines.get(('extends',), '?')}: extends: file not found: {parent_name} "
                            f"(looked for {parent_path})")
    parent, parent_origin = _load_with_extends(parent_path, (*seen, path.resolve()))
    start = str(data.get("start", parent.get("start", ScenarioBase.model_fields["start"].default)))
    return _merge(parent, parent_origin, data, origin, start, ScenarioBase)


def _merge(parent: dict[str, Any], parent_origin: Origin, child: dict[str, Any], child_origin: Origin,
           start: str, section: Any) -> tuple[dict[str, Any], Origin]:
    """Merge ``child`` over ``parent`` key by key, origins alongside.

    ``section`` is the schema class of this level (None off the schema): a
    dated value the parent leaves at its default supersedes that default.
    """
    out, kids = dict(parent), dict(parent_origin.children or {})
    fields = getattr(section, "model_fields", {})
    for key, value in child.items():
        old, where = out.get(key), child_origin.children[key]
        field = fields.get(key)
        sub = field.annotation if field is not None else None
        if key not in out and field is not None:
            # The parent leaves this at its default: merge over the default.
            if _is_dated(value) and _is_number(field.default):
                old, kids[key] = field.default, Origin(where.file, where.line, where.path)
            elif isinstance(value, dict) and isinstance(sub, type) and issubclass(sub, Section):
                old, kids[key] = {}, Origin(where.file, where.line, where.path, {})
        if key == "regime" and isinstance(value, list) and isinstance(old, list):
            out[key], kids[key] = _merge_regime(old, kids[key], value, where)
        elif _is_dated(value) and (_is_dated(old) or _is_number(old)):
            out[key], kids[key] = _merge_dated(old, kids[key], value, where, start)
        elif isinstance(value, dict) and isinstance(old, dict) and not _is_dated(value):
            out[key], kids[key] = _merge(old, kids[key], value, where, start, sub if isinstance(sub, type) else None)
        else:
            out[key], kids[key] = value, where
    return copy.deepcopy(out), child_origin.with_children(kids)


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _is_dated(value: Any) -> bool:
    """Whether ``value`` is well-formed dated values, ``{values: {YYYY-MM: number, ...}}``."""
    if not (isinstance(value, dict) and set(value) == {"values"} and isinstance(value["values"], dict)):
        return False
    months = value["values"]
    return bool(months) and all(isinstance(m, str) and _MONTH_TEXT.match(m) for m in months)


def _merge_dated(parent: Any, parent_origin: Origin, child: dict[str, Any], child_origin: Origin,
                 start: str) -> tuple[dict[str, Any], Origin]:
    """Dated values supersede the parent's from the child's first date, never before it.

    The parent's values dated before the child's first month stay in force
    until then; a plain parent number is kept as the value from ``start``.
    """
    first = min(child["values"])
    child_kids = child_origin.children["values"]
    if _is_dated(parent):
        parent_kids = parent_origin.children["values"].children
        kept = {m: v for m, v in parent["values"].items() if m < first}
        kept_kids = {m: parent_kids[m] for m in kept}
    else:
        kept = {start: parent} if start < first else {}
        kept_kids = {start: parent_origin} if kept else {}
    values = {**kept, **child["values"]}
    kids = {**kept_kids, **child_kids.children}
    # Months in order, as a dated parameter requires (the child's are checked at validation).
    order = sorted(kept) + list(child["values"])
    return ({"values": {m: values[m] for m in order}},
            child_origin.with_children({"values": child_kids.with_children({m: kids[m] for m in order})}))


def _rule_of(entry: Any) -> str | None:
    """The rule name of a regime entry (a one-key mapping), or None if malformed."""
    return next(iter(entry)) if isinstance(entry, dict) and len(entry) == 1 else None


def _merge_regime(parent: list[Any], parent_origin: Origin, child: list[Any],
                  child_origin: Origin) -> tuple[list[Any], Origin]:
    """Merge the child's regime over the parent's, OpenFisca-style.

    * A child's entries for a rule supersede the parent's entries of that rule
      from the child's first date for it: parent entries that start earlier
      stay in force until that date (their ``until`` is clipped to it), later
      ones are dropped. Before that date the parent's regime is unchanged.
    * ``- rule: remove`` drops every entry of the rule the parent had; entries
      of that rule the child writes are kept, so ``remove`` followed by new
      entries replaces the rule entirely.
    * The parent's other rules stay; a rule the parent lacks is added.
    """
    parent_kids, child_kids = parent_origin.children, child_origin.children
    removed: set[str] = set()
    first: dict[str, str] = {}
    added: list[tuple[Any, Origin]] = []
    for entry, where in zip(child, child_kids, strict=True):
        name = _rule_of(entry)
        if name is not None and entry[name] == "remove":
            if not any(_rule_of(e) == name for e in parent):
                raise ScenarioError(f"{where.file}:{where.line}: regime[{where.path[-1]}].{name}: remove: "
                                    f"the scenario extended has no rule '{name}' to remove")
            removed.add(name)
            continue
        start = entry[name].get("from") if name and isinstance(entry[name], dict) else None
        if isinstance(start, str):
            first[name] = min(start, first.get(name, start))
        added.append((entry, where))
    kept: list[tuple[Any, Origin]] = []
    for entry, where in zip(parent, parent_kids, strict=True):
        name = _rule_of(entry)
        if name in removed:
            continue
        if name in first and isinstance(entry[name], dict):
            entry = _clip(entry, name, first[name])
            if entry is None:
                continue
        kept.append((entry, where))
    merged = kept + added
    return [e for e, _ in merged], child_origin.with_children([w for _, w in merged])


def _clip(entry: dict[str, Any], name: str, until: str) -> dict[str, Any] | None:
    """A parent's rule entry in force only until ``until``; None if it would start on or after it."""
    params = entry[name]
    start, end = params.get("from"), params.get("until")
    if isinstance(start, str) and start >= until:
        return None
    if isinstance(end, str) and end <= until:
        return entry
    return {name: {**params, "until": until}}


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
