"""Reading a folder for a report: a ``sandbox run`` output or an experiment store, as tidy tables.

    >>> from sandbox.reporting.load import load_experiment
    >>> experiment = load_experiment("out/compare")
    >>> experiment.kind, experiment.names, experiment.runs.head()

A run folder holds ``summary.json``, ``monthly.csv``...; an experiment store holds a
``manifest.json`` of kind ``replicate``, ``compare`` or ``sweep`` (see
:mod:`sandbox.experiments.store`). Either becomes one :class:`Experiment`.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from sandbox.config.scenario import Scenario, load_scenario, scenario_from_dict

KINDS = ("run", "replicate", "compare", "sweep")


RUN_KEY = re.compile(r"^(?:s(?P<scenario>\d+)-)?(?:p(?P<point>\d+)-)?r(?P<run>\d+)$")


class ReportError(ValueError):
    """The folder cannot be reported on; the message is one line."""


@dataclass
class Experiment:
    """A run folder or an experiment store, read into tidy tables.

    Attributes:
        kind: ``run``, ``replicate``, ``compare`` or ``sweep``.
        path: the folder.
        runs: one row per finished run: labels (``scenario``, ``point`` and
            parameter values, ``run``), ``seed``, then the flat summary metrics
            (as in ``runs.csv`` / ``sweep.csv``). A single run gives one row.
        monthly: the monthly series, long: the same labels, ``month``, variables.
        names: the scenarios' names, the reference first.
        scenarios: each name's scenario, where the folder records it (``None`` if not).
        manifest: the store's manifest (``None`` for a single run).
        parameters: a sweep's parameters and their ``(low, high)`` bounds.
        design: a sweep's design.
        points: a sweep's points (``point`` and parameter values).
        failed: runs that raised (the store's ``failed/`` records).
        summary: a single run's ``summary.json``.
        investors: a single run's investor table (one row each, or a percentile summary).
        failures: a single run's failure log with cascades.
        counterfactuals: a single run's counterfactuals table, if saved.
        by_jurisdiction: a single run's ``monthly_by_jurisdiction.csv``, if it had jurisdictions.
    """

    kind: str
    path: Path
    runs: pd.DataFrame
    monthly: pd.DataFrame
    names: list[str]
    scenarios: dict[str, Scenario | None]
    manifest: dict[str, Any] | None = None
    parameters: dict[str, tuple[float, float]] = field(default_factory=dict)
    design: str | None = None
    points: pd.DataFrame | None = None
    failed: list[dict[str, Any]] = field(default_factory=list)
    summary: dict[str, Any] | None = None
    investors: pd.DataFrame | None = None
    failures: pd.DataFrame | None = None
    counterfactuals: pd.DataFrame | None = None
    by_jurisdiction: pd.DataFrame | None = None

    @property
    def run_count(self) -> int:
        """Finished runs (all scenarios and points)."""
        return len(self.runs)


def detect_kind(path: str | Path) -> str | None:
    """``run``, ``replicate``, ``compare``, ``sweep``, or ``None`` for a folder that is none of them."""
    path = Path(path)
    if not path.is_dir():
        return None
    manifest = path / "manifest.json"
    if manifest.is_file():
        try:
            kind = json.loads(manifest.read_text()).get("kind")
        except (ValueError, AttributeError, OSError):  # ValueError: bad JSON or bad UTF-8
            return None
        return kind if kind in KINDS[1:] else None
    if (path / "summary.json").is_file() and (path / "monthly.csv").is_file():
        return "run"
    return None


def load_experiment(path: str | Path, scenario: Scenario | str | Path | None = None) -> Experiment:
    """Read a run folder or an experiment store.

    Args:
        path: the folder.
        scenario: for a single run, the scenario it ran (for the rules' dates),
            if the folder has no ``scenario.json`` / ``scenario.yaml``.

    Raises:
        ReportError: the folder is none of the four kinds, or holds no finished run.
    """
    path = Path(path)
    kind = detect_kind(path)
    if kind is None and (path / "manifest.json").is_file():
        _load_store(path, "store")  # a damaged manifest: says what is wrong with it
    if kind is None:
        raise ReportError(
            f"{path}: not a run folder (summary.json and monthly.csv) or an experiment store "
            "(manifest.json of kind replicate, compare or sweep)"
        )
    if kind == "run":
        return _load_run(path, scenario)
    return _load_store(path, kind)


def _load_run(path: Path, scenario: Scenario | str | Path | None) -> Experiment:
    from sandbox.experiments.execution import flatten_summary

    summary = json.loads((path / "summary.json").read_text())
    monthly = pd.read_csv(path / "monthly.csv", dtype={"month": str})
    runs = pd.DataFrame([{"run": 0, "seed": summary.get("seed"), **flatten_summary(summary)}])
    if (path / "investors.parquet").is_file():
        investors = pd.read_parquet(path / "investors.parquet")
    elif (path / "investors.csv").is_file():
        investors = pd.read_csv(path / "investors.csv")
    else:
        investors = None
    failures = pd.read_csv(path / "failures.csv", dtype={"month": str}) if (path / "failures.csv").is_file() else None
    counterfactuals = pd.read_csv(path / "counterfactuals.csv") if (path / "counterfactuals.csv").is_file() else None
    places = path / "monthly_by_jurisdiction.csv"
    by_jurisdiction = pd.read_csv(places, dtype={"month": str, "jurisdiction": str}) if places.is_file() else None
    name = str(summary.get("scenario", "scenario"))
    return Experiment(
        kind="run",
        path=path,
        runs=runs,
        monthly=monthly,
        names=[name],
        scenarios={name: _run_scenario(path, scenario)},
        summary=summary,
        investors=investors,
        failures=failures,
        counterfactuals=counterfactuals,
        by_jurisdiction=by_jurisdiction,
    )


def _run_scenario(path: Path, scenario: Scenario | str | Path | None) -> Scenario | None:
    """The scenario of a run folder: the one given, else one saved beside the results, else ``None``."""
    if isinstance(scenario, Scenario):
        return scenario
    if scenario is not None:
        return load_scenario(scenario)
    for candidate in ("scenario.json", "scenario.yaml", "scenario.yml"):
        file = path / candidate
        if file.is_file():
            try:
                if file.suffix == ".json":
                    return scenario_from_dict(json.loads(file.read_text()), source=str(file))
                return load_scenario(file)
            except Exception:  # a report without rule dates beats no report
                return None
    return None


def _load_store(path: Path, kind: str) -> Experiment:
    from sandbox.experiments.store import StoreError, load_runs

    try:  # a damaged manifest or an edited run file is refused, not reported
        manifest, stored = load_runs(path)
    except StoreError as err:
        raise ReportError(str(err).splitlines()[0]) from None
    entries = manifest.get("scenarios") or []
    names = [str(e.get("name", f"scenario {i}")) for i, e in enumerate(entries)] or ["scenario"]
    scenarios = {name: _stored_scenario(e) for name, e in zip(names, entries, strict=False)}
    children = (manifest.get("seeds") or {}).get("children") or []
    design = manifest.get("design") or {}
    values = design.get("values") or []
    label_rows, summaries, monthlies = [], [], []
    for key, (summary, monthly) in stored.items():
        match = RUN_KEY.match(key)
        if match is None:
            continue
        run = int(match["run"])
        labels: dict[str, Any] = {}
        if match["scenario"] is not None:
            i = int(match["scenario"])
            labels["scenario"] = names[i] if i < len(names) else f"scenario {i}"
        if match["point"] is not None:
            p = int(match["point"])
            labels["point"] = p
            labels.update(values[p] if p < len(values) else {})
        labels["run"] = run
        labels["seed"] = children[run] if run < len(children) else None
        label_rows.append(labels)
        summaries.append(summary)
        for j, column in enumerate(c for c in ("scenario", "point", "run") if c in labels):
            monthly.insert(j, column, labels[column])
        monthlies.append(monthly)
    if not label_rows:
        raise ReportError(f"{path}: the {kind} store holds no finished run yet")
    label_table = pd.DataFrame(label_rows)
    metrics = pd.concat(summaries, ignore_index=True)
    metrics = metrics.drop(columns=[c for c in metrics.columns if c in label_table.columns])
    runs = pd.concat([label_table, metrics], axis=1)
    monthly = pd.concat(monthlies, ignore_index=True)
    order = [c for c in ("scenario", "point", "run") if c in runs.columns]
    if "scenario" in runs.columns:
        rank = {name: i for i, name in enumerate(names)}

        def by_rank(column: pd.Series) -> pd.Series:
            return column.map(rank) if column.name == "scenario" else column

        runs = runs.sort_values(order, key=by_rank, kind="stable").reset_index(drop=True)
        monthly = monthly.sort_values([*order, "month"], key=by_rank, kind="stable").reset_index(drop=True)
    else:
        runs = runs.sort_values(order, kind="stable").reset_index(drop=True)
        monthly = monthly.sort_values([*order, "month"], kind="stable").reset_index(drop=True)
    failed = (
        [json.loads(p.read_text()) for p in sorted((path / "failed").glob("*.json"))]
        if (path / "failed").is_dir()
        else []
    )
    experiment = Experiment(
        kind=kind,
        path=path,
        runs=runs,
        monthly=monthly,
        names=names,
        scenarios=scenarios,
        manifest=manifest,
        failed=failed,
    )
    if kind == "sweep":
        experiment.parameters = {p: (float(b[0]), float(b[1])) for p, b in (design.get("parameters") or {}).items()}
        experiment.design = design.get("design")
        experiment.points = pd.DataFrame([{"point": p, **v} for p, v in enumerate(values)])
    return experiment


def _stored_scenario(entry: Mapping[str, Any]) -> Scenario | None:
    """The scenario a manifest entry records (its resolved form), or ``None`` if it no longer validates."""
    resolved = entry.get("resolved")
    if isinstance(resolved, dict):
        try:
            return scenario_from_dict(resolved, source=entry.get("source"))
        except Exception:  # e.g. a custom rule not registered in this process
            pass
    source = entry.get("source")
    if source and Path(source).is_file():
        try:
            return load_scenario(source)
        except Exception:
            return None
    return None


__all__ = ["KINDS", "Experiment", "ReportError", "detect_kind", "load_experiment"]
