"""Scenario files: the schema, and loading with ``extends`` and validation.

A scenario names the market (sizes, initial distributions, entry), the
environment (benchmark rate, macro cycle, sentiment, shocks), the regulator's
resources, the agents' behaviour (response strengths, hazards, thresholds) and
the regime (a list of dated rules). Every field has a unit, a
default and an allowed range; a file is validated as a whole at load and every
problem is reported at once, naming the file, the line and the field path.

How a parameter travels from YAML to the model:

1. :func:`load_scenario` reads the file with :func:`~sandbox.config.yamlio.load_yaml`
   (strict YAML: plain data plus a line for every key) and merges it over the file
   it ``extends`` (:func:`_load_with_extends`), remembering where each value was
   written (:class:`Origin`).
2. The plain data is validated into a :class:`Scenario`. Its sections are the
   market's parameter classes in :mod:`sandbox.market.params`, declared with
   their types: ``market.investors.literacy_mean`` is the field ``literacy_mean``
   of :class:`~sandbox.market.params.InvestorParams`, reached through
   ``Scenario.market`` (:class:`~sandbox.market.params.MarketParams`) and
   ``MarketParams.investors``.
3. The regime is ``Scenario.regime: list[RegimeEntry]``. An entry such as
   ``- rate_cap: {from: 2016-08, apr: 0.24}`` holds one rule object, a
   :class:`~sandbox.rules.rate_cap.RateCap` (``entry.dated_rule``; every rule at
   once: ``Scenario.rules``). Which rule names an entry accepts depends on the
   rules registered (built-in ones and a user's ``@sandbox.register``), so
   :func:`scenario_model` derives, from the registry, a subclass of
   :class:`Scenario` whose entries have one field per registered rule; it is
   that class that validates, so a misspelt rule name is an unknown key with a
   suggestion. Its result is still a :class:`Scenario` with typed sections.
4. :class:`~sandbox.market.model.SandboxModel` keeps the scenario as
   ``model.config`` and hands each agent its section:
   ``InvestorPopulation(scenario.market.investors, ...)``; each month every
   rule in ``scenario.rules`` writes what it requires into a
   :class:`~sandbox.rules.base.Policy` that the market reads.
"""

from __future__ import annotations

import copy
import hashlib
import json
import re
from pathlib import Path
from typing import Any, ClassVar

from pydantic import Field, PrivateAttr, ValidationError, create_model, model_validator

from sandbox.common.dates import DatedValues, Month, month_index, month_label
from sandbox.common.horizon import MAX_MONTHS, MIN_MONTHS
from sandbox.config.jurisdictions import JurisdictionBase, jurisdiction_problems
from sandbox.config.yamlio import FieldProblem, ScenarioError, format_validation_error, load_yaml
from sandbox.market.params import (
    BehaviourParams,
    ChannelParams,
    EnvironmentParams,
    MarketParams,
    RegulatorParams,
    Section,
)
from sandbox.market.product_params import ProductsParams
from sandbox.rules import registry
from sandbox.rules.base import Rule


class CalibrationParams(Section):
    """What ``sandbox calibrate`` fits when no ``--param`` is given (``calibration:``).

    ``priors`` maps a dotted scenario path (``sweep``'s notation) to the low and high
    ends of its uniform prior; ``data`` names the observed data (a CSV file, or a
    built-in set such as ``china_2014_2017``).
    """

    priors: dict[str, list[float]] = Field(
        default_factory=dict, description="dotted path: [low, high] of a uniform prior"
    )
    data: str | None = Field(None, min_length=1, description="observed data: a CSV file or a built-in set")

    @model_validator(mode="after")
    def _ranges(self) -> CalibrationParams:
        for path, bounds in self.priors.items():
            if not path or path.startswith(".") or path.endswith("."):
                raise FieldProblem(("priors",), f"found path {path!r}; allowed: a dotted scenario path")
            if len(bounds) != 2:
                raise FieldProblem(("priors", path), f"found {bounds}; allowed: [low, high]")
            low, high = bounds
            if not low < high:
                raise FieldProblem(("priors", path), f"found [{low:g}, {high:g}]; allowed: [low, high] with low < high")
        return self


class ScenarioBase(Section):
    """Fields every scenario has; the regime's entries are added per registry."""

    name: str = Field("scenario", min_length=1, description="short name used in tables and reports")
    description: str = Field("", description="what the scenario represents and where its numbers come from")
    start: Month = Field("2014-01", description="first month simulated")
    months: int = Field(84, ge=MIN_MONTHS, le=MAX_MONTHS, description="horizon in months")
    market: MarketParams = Field(default_factory=MarketParams)
    environment: EnvironmentParams = Field(default_factory=EnvironmentParams)
    regulator: RegulatorParams = Field(default_factory=RegulatorParams)
    channels: ChannelParams = Field(default_factory=ChannelParams)
    behaviour: BehaviourParams = Field(
        default_factory=BehaviourParams, description="agents' response strengths, hazards and thresholds"
    )
    calibration: CalibrationParams | None = Field(
        None, description="priors and data for sandbox calibrate (the simulation ignores it)"
    )
    products: ProductsParams | None = Field(
        None, description="online money-market fund, payment institutions, online insurance (docs/model.md 7)"
    )

    def month(self, label: str) -> int:
        """Index of month ``label`` (``YYYY-MM``) in this scenario."""
        return month_index(label, self.start)


_MONTH_TEXT = re.compile(r"^\d{4}-(0[1-9]|1[0-2])$")


class RegimeEntry(Section):
    """One entry of the regime: a mapping with exactly one key, the rule's name.

    ``- rate_cap: {from: 2016-08, apr: 0.24}`` is an entry whose field
    ``rate_cap`` holds a :class:`~sandbox.rules.rate_cap.RateCap`. The fields, one
    per registered rule (each ``None`` unless given), are added by
    :func:`scenario_model`; read the one given with :attr:`dated_rule`.
    """

    #: Attribute names of an entry, so no rule may be registered under them.
    RESERVED: ClassVar[frozenset[str]] = frozenset({"rule_name", "dated_rule"})

    @model_validator(mode="after")
    def _one_rule(self) -> RegimeEntry:
        given = self._given()
        if len(given) != 1:
            raise ValueError(f"found {len(given)} rules in one entry; allowed: exactly one rule name per entry")
        return self

    def _given(self) -> list[tuple[str, Rule]]:
        return [(name, rule) for name in type(self).model_fields if (rule := getattr(self, name)) is not None]

    @property
    def rule_name(self) -> str:
        """The rule's name as written in the file, e.g. ``"rate_cap"``."""
        return self._given()[0][0]

    @property
    def dated_rule(self) -> Rule:
        """The rule this entry gives, with its dates and parameters."""
        return self._given()[0][1]


# Keyed by the registered classes, not only their names: a notebook that defines
# a rule again under the same name gets a schema with its new class.
_model_cache: dict[tuple[tuple[str, type[Rule]], ...], type[Scenario]] = {}


def scenario_model() -> type[Scenario]:
    """The scenario schema for the rules registered now: a subclass of :class:`Scenario`.

    Each regime entry is a mapping with exactly one key, the rule's name, so
    an unknown rule name is reported like any unknown key, with a suggestion.
    """
    rules = tuple(sorted(registry.all_rules().items()))
    if rules not in _model_cache:
        clash = sorted(RegimeEntry.RESERVED.intersection(name for name, _ in rules))
        if clash:
            raise ValueError(f"a rule may not be named {clash[0]!r} (a regime entry's own attribute)")
        fields: dict[str, Any] = {name: (cls | None, None) for name, cls in rules}
        entry = create_model("RegimeEntry", __base__=RegimeEntry, **fields)
        regime: tuple[Any, Any] = (list[entry], Field(default_factory=list, description="dated rules"))
        place = create_model("Jurisdiction", __base__=Jurisdiction, regime=regime)
        _model_cache[rules] = create_model(
            "Scenario",
            __base__=Scenario,
            regime=regime,
            jurisdictions=(dict[str, place] | None, Field(None, description="jurisdictions by name")),
        )
    return _model_cache[rules]


def _range_text(count: int) -> str:
    """The numbers of ``count`` things counted from 0, in words: "0 to 2", "only 0", "none"."""
    if count <= 0:
        return "none (there are 0)"
    return "only 0" if count == 1 else f"0 to {count - 1}"


class Jurisdiction(JurisdictionBase):
    """One jurisdiction of ``jurisdictions:`` (:mod:`sandbox.config.jurisdictions`), with its own regime."""

    regime: list[RegimeEntry] = Field(default_factory=list, description="dated rules binding only here")


class Scenario(ScenarioBase):
    """A validated scenario. Build one with :func:`load_scenario` or :func:`scenario_from_dict`.

    Those validate with :func:`scenario_model`'s subclass, whose regime entries
    accept the rules registered; ``Scenario`` itself declares the types a
    reader and a type checker follow.
    """

    regime: list[RegimeEntry] = Field(default_factory=list, description="dated rules")
    jurisdictions: dict[str, Jurisdiction] | None = Field(
        None, description="jurisdictions by name, each with its shares, regulator and regime (default: one)"
    )

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
        return [entry.dated_rule for entry in self.regime]

    @model_validator(mode="after")
    def _dates_within_horizon(self) -> Scenario:
        """Cross-field checks, each reported at the field a user would change."""
        problems = [*self._regime_problems(), *self._shock_problems(), *self._tie_problems()]
        problems += jurisdiction_problems(self)
        if problems:
            raise FieldProblem(problems)
        return self

    def _regime_problems(self) -> list[tuple[tuple, str]]:
        """Rules that start after the horizon, and a rule given twice with the same date."""
        problems: list[tuple[tuple, str]] = []
        first_seen: dict[tuple[str, str], int] = {}
        for i, entry in enumerate(self.regime):
            name, rule = entry.rule_name, entry.dated_rule
            if month_index(rule.start, self.start) >= self.months:
                problems.append(
                    (
                        ("regime", i, name, "from"),
                        (
                            f"found {rule.start}, after the horizon (the last month simulated is "
                            f"{month_label(self.months - 1, self.start)}); allowed: a date inside the horizon"
                        ),
                    )
                )
            # No index for the earlier entry: after extends it is the merged regime's,
            # which matches no file (the message's own place is mapped back to its file).
            if first_seen.setdefault((name, rule.start), i) != i:
                problems.append(
                    (
                        ("regime", i, name, "from"),
                        (
                            f"found {rule.start} again: an earlier {name} entry starts the same month; "
                            "allowed: one entry of a rule per date (merge their fields, or change a date)"
                        ),
                    )
                )
        return problems

    def _shock_problems(self) -> list[tuple[tuple, str]]:
        """Shocks outside the horizon, and bank failures of banks that do not exist."""
        problems: list[tuple[tuple, str]] = []
        banks = self.market.exposures.custodians
        for i, shock in enumerate(self.environment.shocks):
            if not 0 <= month_index(shock.month, self.start) < self.months:
                problems.append(
                    (
                        ("environment", "shocks", i, "month"),
                        (
                            f"found {shock.month}, outside the horizon; allowed: {self.start} to "
                            f"{month_label(self.months - 1, self.start)}"
                        ),
                    )
                )
            if shock.kind != "bank_failure" or shock.bank is None:
                continue
            if banks == 0:
                problems.append(
                    (
                        ("environment", "shocks", i, "bank"),
                        ("a bank_failure shock needs market.exposures.custodians >= 1 (found 0 custodian banks)"),
                    )
                )
            elif shock.bank >= banks:
                problems.append(
                    (
                        ("environment", "shocks", i, "bank"),
                        (f"found {shock.bank}; allowed: {_range_text(banks)} (market.exposures.custodians is {banks})"),
                    )
                )
        return problems

    def _tie_problems(self) -> list[tuple[tuple, str]]:
        """Declared ties naming platforms or third parties that do not exist."""
        problems: list[tuple[tuple, str]] = []
        ex, initial = self.market.exposures, self.market.platforms.initial
        limits = {
            "guarantor": ("guarantors", ex.guarantors),
            "group": ("groups", ex.groups),
            "custodian": ("custodians", ex.custodians),
        }
        for i, tie in enumerate(ex.ties):
            where = ("market", "exposures", "ties", i)
            if max(tie.platforms) >= initial:
                problems.append(
                    (
                        (*where, "platforms"),
                        (
                            f"found {max(tie.platforms)}; allowed: {_range_text(initial)} "
                            f"(market.platforms.initial is {initial})"
                        ),
                    )
                )
            for kind, (field, count) in limits.items():
                value = getattr(tie, kind)
                if value is not None and value >= count:
                    problems.append(
                        (
                            (*where, kind),
                            (f"found {value}; allowed: {_range_text(count)} (market.exposures.{field} is {count})"),
                        )
                    )
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
        raise ScenarioError(format_validation_error(exc, model=model, locate=lambda _loc: (label, None))) from None
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
            if (isinstance(kids, dict) and part in kids) or (
                isinstance(kids, list) and isinstance(part, int) and 0 <= part < len(kids)
            ):
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
        raise ScenarioError(
            f"{path}:{lines.get(('extends',), '?')}: extends: cannot read "
            f"{parent_name}: {getattr(exc, 'strerror', None) or exc}"
        ) from None
    if parent_path in seen or parent_path == path.resolve():
        raise ScenarioError(f"{path}: extends: {parent_name} extends itself in a cycle")
    if not parent_path.exists():  # say where the missing name is written, not only what is missing
        raise ScenarioError(
            f"{path}:{lines.get(('extends',), '?')}: extends: file not found: {parent_name} (looked for {parent_path})"
        )
    parent, parent_origin = _load_with_extends(parent_path, (*seen, path.resolve()))
    start = str(data.get("start", parent.get("start", ScenarioBase.model_fields["start"].default)))
    return _merge(parent, parent_origin, data, origin, start, ScenarioBase)


def _merge(
    parent: dict[str, Any], parent_origin: Origin, child: dict[str, Any], child_origin: Origin, start: str, section: Any
) -> tuple[dict[str, Any], Origin]:
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


def _merge_dated(
    parent: Any, parent_origin: Origin, child: dict[str, Any], child_origin: Origin, start: str
) -> tuple[dict[str, Any], Origin]:
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
    return (
        {"values": {m: values[m] for m in order}},
        child_origin.with_children({"values": child_kids.with_children({m: kids[m] for m in order})}),
    )


def _rule_of(entry: Any) -> str | None:
    """The rule name of a regime entry (a one-key mapping), or None if malformed."""
    return next(iter(entry)) if isinstance(entry, dict) and len(entry) == 1 else None


def _merge_regime(
    parent: list[Any], parent_origin: Origin, child: list[Any], child_origin: Origin
) -> tuple[list[Any], Origin]:
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
                raise ScenarioError(
                    f"{where.file}:{where.line}: regime[{where.path[-1]}].{name}: remove: "
                    f"the scenario extended has no rule '{name}' to remove"
                )
            removed.add(name)
            continue
        start = entry[name].get("from") if name and isinstance(entry[name], dict) else None
        if name is not None and isinstance(start, str):
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
    "RegimeEntry",
    "Scenario",
    "ScenarioError",
    "load_scenario",
    "scenario_from_dict",
    "scenario_model",
]
