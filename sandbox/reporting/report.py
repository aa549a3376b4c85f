"""One self-contained HTML report of a run, a replicate set, a comparison or a sweep.

    >>> from sandbox.reporting.report import write_report
    >>> write_report("out/compare", "report.html")       # or: sandbox report out/compare -o report.html

The folder is either a ``sandbox run`` output (``summary.json``,
``monthly.csv``...) or an experiment store (``manifest.json`` of kind
``replicate``, ``compare`` or ``sweep``, see :mod:`sandbox.experiments.store`). The report
holds a headline table of the key outcomes (with 95% intervals and, for a
comparison, paired differences), fan charts of the monthly series with the
rules' go-live dates marked, failures by cause and the largest failure waves,
how losses spread across investors and, for a sweep, the response of the
outcomes to each parameter and the sensitivity indices. Figures are embedded
as PNG (``data:`` URIs): the file opens offline and prints cleanly.

The pieces are usable on their own: :func:`load_experiment` reads a folder
into tidy tables, :func:`headline_table`, :func:`largest_waves` and
:func:`go_live_table` compute what the report shows, and :func:`build_report`
returns a :class:`Report` whose ``headline`` and ``figures`` can be checked
before :meth:`Report.to_html`.
"""

from __future__ import annotations

import base64
import html
import io
import json
import math
import re
import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal

import numpy as np
import pandas as pd

from sandbox.market.platforms import CAUSES
from sandbox.config.scenario import Scenario, load_scenario, scenario_from_dict

KINDS = ("run", "replicate", "compare", "sweep")

#: The outcomes of the headline table, in order (those a folder lacks are left out).
HEADLINE = (
    "investor_loss_total",
    "investor_loss_share",
    "investors_with_loss_share",
    "investors_losing_over_50pct",
    "platform_failures",
    "contagion_share",
    "largest_wave_share",
    "largest_cascade",
    "fraud_loss_total",
    "recovery_rate",
    "credit_supplied_total",
    "credit_excluded_total",
    "borrower_default_rate",
)
#: Outcomes whose response to a sweep's parameters is drawn by default.
RESPONSE = ("investor_loss_total", "platform_failures", "contagion_share", "credit_supplied_total")
WAVE_WINDOW = 3
_AMOUNT = r"[-+–]?[\d.,]*(?:%| pp|K|M| billion)?"
NUMBER = re.compile(rf"{_AMOUNT}( \(.*\)| to {_AMOUNT})?|–|")
#: What the 'added' column of a counterfactual table means, in one line (report and CLI).
ADDED = ("'Added' counts failures that occur only when the channel is off: with one channel gone, the run "
         "takes another path (path dependence), and platforms that survived before can fail.")
RUN_KEY = re.compile(r"^(?:s(?P<scenario>\d+)-)?(?:p(?P<point>\d+)-)?r(?P<run>\d+)$")


class ReportError(ValueError):
    """The folder cannot be reported on; the message is one line."""


# --- reading a folder --------------------------------------------------------------------


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
    from sandbox.experiments.store import StoreError, verified_manifest

    try:  # a damaged manifest or an edited run file is refused, not reported
        manifest = verified_manifest(path)
    except StoreError as err:
        raise ReportError(str(err).splitlines()[0]) from None
    entries = manifest.get("scenarios") or []
    names = [str(e.get("name", f"scenario {i}")) for i, e in enumerate(entries)] or ["scenario"]
    scenarios = {name: _stored_scenario(e) for name, e in zip(names, entries, strict=False)}
    children = (manifest.get("seeds") or {}).get("children") or []
    design = manifest.get("design") or {}
    values = design.get("values") or []
    label_rows, summaries, monthlies = [], [], []
    for file in sorted((path / "runs").glob("*.summary.parquet")):
        key = file.name.removesuffix(".summary.parquet")
        monthly_file = path / "runs" / f"{key}.monthly.parquet"
        match = RUN_KEY.match(key)
        if match is None or not monthly_file.is_file():
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
        summaries.append(pd.read_parquet(file))
        monthly = pd.read_parquet(monthly_file)
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
    failed = [json.loads(p.read_text()) for p in sorted((path / "failed").glob("*.json"))] \
        if (path / "failed").is_dir() else []
    experiment = Experiment(kind=kind, path=path, runs=runs, monthly=monthly, names=names, scenarios=scenarios,
                            manifest=manifest, failed=failed)
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


# --- what the report computes --------------------------------------------------------------


def go_live_table(experiment: Experiment) -> pd.DataFrame:
    """Every rule entry's dates and values: ``rule``, ``start``, ``until``, ``values``, ``scenario``, ``status``.

    ``values`` is the entry's parameters in words and units (``apr 24%``). A rule
    entry that every scenario shares (same dates, same values) has ``scenario`` ``None``.
    ``status`` says whether it applies from the first month, goes live inside
    the horizon simulated, or only after it.
    """
    from sandbox.reporting.plots import go_live_dates

    parts = [go_live_dates(s, name) for name, s in experiment.scenarios.items() if s is not None]
    columns = ["rule", "start", "until", "values", "scenario", "status"]
    if not parts:
        return pd.DataFrame(columns=columns)
    table = pd.concat(parts, ignore_index=True)
    table["until"] = table["until"].astype(object).where(table["until"].notna(), None)
    known = sum(s is not None for s in experiment.scenarios.values())
    entry = ["rule", "start", "until", "values"]
    counts = table.groupby(entry, dropna=False)["scenario"].transform("size")
    table["scenario"] = table["scenario"].astype(object).where(counts < known, None)
    table = table.drop_duplicates([*entry, "scenario"]).reset_index(drop=True)
    months = sorted(experiment.monthly["month"].astype(str).unique())
    first, last = (months[0], months[-1]) if months else ("", "")

    def status(start: str) -> str:
        if start <= first:
            return "in force from the first month"
        if start <= last:
            return "goes live during the run"
        return "after the horizon simulated"

    table["status"] = [status(str(s)) for s in table["start"]]
    return table.sort_values(["start", "rule"], kind="stable").reset_index(drop=True)[columns]


def headline_metrics(runs: pd.DataFrame, metrics: Sequence[str] = HEADLINE) -> list[str]:
    """The metrics of ``metrics`` that ``runs`` has."""
    return [m for m in metrics if m in runs.columns]


def headline_table(experiment: Experiment, metrics: Sequence[str] = HEADLINE) -> pd.DataFrame:
    """The numbers of the headline table.

    Returns:
        run: ``metric``, ``value``.
        replicate: ``metric``, ``mean``, ``sd``, ``ci_low``, ``ci_high``, ``n``
            (see :func:`sandbox.experiments.describe_runs`).
        compare: :func:`sandbox.experiments.comparison_table` rows (``mean_<name>``,
            ``difference``, ``ci_low``, ``ci_high``, ``share_better``...), plus
            ``ci_low_<name>`` and ``ci_high_<name>``, the interval of each mean.
        sweep: ``describe_runs`` over every run, plus ``point_min`` and
            ``point_max``, the lowest and highest point means.
    """
    from sandbox.experiments.statistics import comparison_table, describe_runs

    runs = experiment.runs
    metrics = headline_metrics(runs, metrics)
    if experiment.kind == "run":
        return pd.DataFrame({"metric": metrics, "value": [float(runs[m].iloc[0]) for m in metrics]})
    if experiment.kind == "replicate":
        return describe_runs(runs, metrics)
    if experiment.kind == "compare":
        table = comparison_table(runs, experiment.names, metrics)
        for name in experiment.names:
            described = describe_runs(runs[runs["scenario"] == name], metrics).set_index("metric")
            table[f"ci_low_{name}"] = table["metric"].map(described["ci_low"])
            table[f"ci_high_{name}"] = table["metric"].map(described["ci_high"])
        return table
    table = describe_runs(runs, metrics)
    point_means = runs.groupby("point")[metrics].mean()
    table["point_min"] = table["metric"].map(point_means.min())
    table["point_max"] = table["metric"].map(point_means.max())
    return table


def largest_waves(monthly_long: pd.DataFrame, window: int = WAVE_WINDOW, top: int = 5,
                  per_run: int = 1) -> pd.DataFrame:
    """The largest failure waves: most failures in ``window`` consecutive months, as a share of platforms alive.

    The share is the one of :func:`sandbox.market.results.largest_wave_share`, so a
    run's largest wave here equals its ``largest_wave_share``.

    Args:
        monthly_long: monthly series (one or many runs) with ``failures_total``,
            ``alive_total`` and ``failures_<cause>``.
        window: months in a wave.
        top: rows to return.
        per_run: waves kept per run (non-overlapping), before the ``top`` overall.

    Returns:
        The run's labels, ``from``, ``to`` (``YYYY-MM``), ``failures``,
        ``alive_before``, ``share`` and ``causes`` (the main causes in words),
        largest share first.
    """
    keys = [c for c in ("scenario", "point", "run") if c in monthly_long.columns]
    groups = monthly_long.groupby(keys, sort=False) if keys else [((), monthly_long)]
    rows = []
    for labels, run in groups:
        run = run.sort_values("month")
        fails = run["failures_total"].to_numpy(dtype=float)
        alive = run["alive_total"].to_numpy(dtype=float)
        if fails.size == 0:
            continue
        start = np.r_[alive[0] + fails[0], alive[:-1]]
        shares = np.array([fails[t : t + window].sum() / max(start[t], 1.0) for t in range(fails.size)])
        months = run["month"].astype(str).to_numpy()
        taken: list[int] = []
        for t in np.argsort(-shares, kind="stable"):
            if len(taken) >= per_run or shares[t] <= 0:
                break
            if any(abs(int(t) - u) < window for u in taken):
                continue
            taken.append(int(t))
            end = min(int(t) + window, fails.size) - 1
            causes = {c: int(run[f"failures_{c}"].to_numpy()[t : end + 1].sum())
                      for c in CAUSES if f"failures_{c}" in run.columns}
            words = ", ".join(f"{c.replace('_', ' ')} {k}" for c, k in
                              sorted(causes.items(), key=lambda kv: -kv[1]) if k > 0)
            label_values = dict(zip(keys, labels if isinstance(labels, tuple) else (labels,), strict=True))
            rows.append({**label_values, "from": months[t], "to": months[end],
                         "failures": int(fails[t : end + 1].sum()), "alive_before": int(start[t]),
                         "share": float(shares[t]), "causes": words})
    columns = [*keys, "from", "to", "failures", "alive_before", "share", "causes"]
    table = pd.DataFrame(rows, columns=columns)
    return table.sort_values("share", ascending=False, kind="stable").head(top).reset_index(drop=True)


def largest_cascades(failures: pd.DataFrame, top: int = 5) -> pd.DataFrame:
    """A run's largest cascades (failures traced back to one root), with more than one failure.

    Returns:
        ``root``, ``failures``, ``from``, ``to``, ``root_cause`` and
        ``channels`` (how the failures after the root came about).
    """
    columns = ["root", "failures", "from", "to", "root_cause", "channels"]
    if failures is None or failures.empty:
        return pd.DataFrame(columns=columns)
    rows = []
    for root, group in failures.groupby("root", sort=False):
        if len(group) < 2:
            continue
        head = group[group["depth"] == 0]
        cause = str(head["cause"].iloc[0]) if len(head) else "(outside the platform book)"
        channels = group.loc[group["depth"] > 0, "channel"].dropna().value_counts()
        rows.append({"root": root, "failures": len(group), "from": str(group["month"].min()),
                     "to": str(group["month"].max()), "root_cause": cause.replace("_", " "),
                     "channels": ", ".join(f"{c.replace('_', ' ')} {k}" for c, k in channels.items())})
    table = pd.DataFrame(rows, columns=columns)
    return table.sort_values(["failures", "from"], ascending=[False, True], kind="stable").head(top)\
        .reset_index(drop=True)


def sweep_result(experiment: Experiment) -> Any:
    """A :class:`sandbox.experiments.SweepResult` of a sweep store (for :func:`sandbox.experiments.sensitivity`).

    The design's unrounded samples are drawn again from the stored seed, as
    the sweep drew them; if they no longer match the stored values, the
    stored values are used.
    """
    from sandbox.experiments.design import DESIGNS, design_seed, sample_design
    from sandbox.experiments.results import SweepResult

    if experiment.points is None:
        raise ReportError(f"{experiment.path}: not a sweep")
    values = experiment.points.drop(columns="point").to_numpy(dtype=float)
    samples = values
    design = (experiment.manifest or {}).get("design") or {}
    root = ((experiment.manifest or {}).get("seeds") or {}).get("root")
    if root is not None and experiment.design in DESIGNS:
        try:
            drawn = sample_design(experiment.parameters, experiment.design, int(design["points"]),
                                     design_seed(int(root)))
            if drawn.shape == values.shape and np.allclose(np.where(values == np.round(values), np.round(drawn),
                                                                    drawn), values):
                samples = drawn
        except Exception:  # fall back to the stored values
            samples = values
    scenario = experiment.names[0] if experiment.names else "scenario"
    return SweepResult(
        parameters=experiment.parameters,
        design=str(experiment.design),
        samples=samples,
        points=experiment.points,
        runs=experiment.runs,
        monthly=experiment.monthly,
        runs_per_point=int(design.get("runs", 1)),
        scenario_name=scenario,
        seed=int(root) if root is not None else 0,
        out=experiment.path,
    )


# --- formatting ----------------------------------------------------------------------------


def fmt(value: Any, metric: str = "") -> str:
    """A number for a table: shares in percent, large values with K/M/billion, three significant figures."""
    from sandbox.reporting.plots import SHARES, human

    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return "–"
    if isinstance(value, int | np.integer) and not isinstance(value, bool):
        return _suffixes(human(float(value))) if abs(int(value)) >= 10_000 else f"{int(value):d}"
    value = float(value)
    if metric in SHARES:
        return f"{value:.1%}"
    return _suffixes(human(value))


def _suffixes(text: str) -> str:
    """The report's thousands and billions: 20K, 1.5 billion (axis ticks keep the short k and B)."""
    return text.replace("k", "K").replace("B", " billion")


def fmt_ci(low: float, high: float, metric: str = "", change: bool = False) -> str:
    """``low to high``, or a dash when the interval is undefined (fewer than two runs).

    ``change``: the bounds are changes (signed; a share's in percentage points).
    """
    if not (math.isfinite(low) and math.isfinite(high)):
        return "–"
    if change:
        return f"{fmt_diff(low, metric)} to {fmt_diff(high, metric)}"
    return f"{fmt(low, metric)} to {fmt(high, metric)}"


def fmt_diff(value: float, metric: str = "") -> str:
    """A difference with its sign; a change of a share is in percentage points (``+1.2 pp``), not in %."""
    from sandbox.reporting.plots import SHARES

    if metric in SHARES and isinstance(value, int | float | np.number) and math.isfinite(value):
        text = f"{abs(value) * 100:.3g} pp"
        return text if value == 0 else ("+" if value > 0 else "-") + text
    text = fmt(value, metric)
    return text if text.startswith(("-", "–")) or value == 0 else f"+{text}"


# --- the report ----------------------------------------------------------------------------


@dataclass
class ReportFigure:
    """A figure of the report: its title, the plain-language caption and the PNG."""

    title: str
    caption: str
    png: bytes
    anchor: str = ""


@dataclass
class ReportTable:
    """A table of the report, already formatted (strings), with a caption."""

    title: str
    caption: str
    table: pd.DataFrame
    anchor: str = ""


@dataclass
class ReportText:
    """A paragraph or a heading."""

    text: str
    heading: bool = False


Block = ReportFigure | ReportTable | ReportText


@dataclass
class Report:
    """What :func:`build_report` puts together.

    Attributes:
        experiment: the folder read.
        title: the report's title.
        meta: (label, value) pairs describing the experiment.
        headline: the raw numbers of the headline table (see :func:`headline_table`).
        go_live: the rules' dates (see :func:`go_live_table`).
        blocks: headings, tables and figures, in reading order.
        notes: warnings worth reading (failed runs, indices not computed...).
        findings: the plain-language sentences that open the report (see :mod:`sandbox.reporting.findings`).
    """

    experiment: Experiment
    title: str
    meta: list[tuple[str, str]]
    headline: pd.DataFrame
    go_live: pd.DataFrame
    blocks: list[Block] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    findings: list[str] = field(default_factory=list)

    @property
    def figures(self) -> list[ReportFigure]:
        """The figures, in order."""
        return [b for b in self.blocks if isinstance(b, ReportFigure)]

    @property
    def tables(self) -> list[ReportTable]:
        """The tables, in order (the headline table first)."""
        return [b for b in self.blocks if isinstance(b, ReportTable)]

    def to_html(self) -> str:
        """The report as one self-contained HTML page (no external references)."""
        return _render(self)

    def save(self, path: str | Path) -> Path:
        """Write the HTML to ``path`` (folders created as needed)."""
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(self.to_html(), encoding="utf-8")
        return path


def _png(fig: Any) -> bytes:
    """The figure as PNG bytes (no metadata), and the figure closed."""
    import matplotlib.pyplot as plt

    buffer = io.BytesIO()
    with warnings.catch_warnings():
        # Names in scripts the font lacks (a Chinese scenario name) draw as boxes; the HTML text has them right.
        warnings.filterwarnings("ignore", message="Glyph .* missing from font", category=UserWarning)
        fig.savefig(buffer, format="png", dpi=130, bbox_inches="tight", metadata={"Software": None},
                    facecolor="white")
    plt.close(fig)
    return buffer.getvalue()


class _Builder:
    """Collects the blocks of a report; every figure goes through :meth:`figure`."""

    def __init__(self) -> None:
        self.blocks: list[Block] = []

    def heading(self, text: str) -> None:
        self.blocks.append(ReportText(text, heading=True))

    def text(self, text: str) -> None:
        self.blocks.append(ReportText(text))

    def figure(self, title: str, fig_or_ax: Any, caption: str) -> None:
        from matplotlib.figure import Figure

        fig = fig_or_ax if isinstance(fig_or_ax, Figure) else fig_or_ax.figure
        anchor = f"fig{len([b for b in self.blocks if isinstance(b, ReportFigure)]) + 1}"
        self.blocks.append(ReportFigure(title, caption, _png(fig), anchor))

    def table(self, title: str, table: pd.DataFrame, caption: str) -> None:
        anchor = f"tab{len([b for b in self.blocks if isinstance(b, ReportTable)]) + 1}"
        self.blocks.append(ReportTable(title, caption, table, anchor))


def build_report(
    path: str | Path,
    outcomes: Sequence[str] | None = None,
    scenario: Scenario | str | Path | None = None,
    title: str | None = None,
) -> Report:
    """Read a folder and build its report (figures rendered, nothing written).

    Args:
        path: a ``sandbox run`` output folder or an experiment store.
        outcomes: for a sweep, the metrics whose response and sensitivity are
            shown (default: :data:`RESPONSE`); other kinds ignore it.
        scenario: for a single run, its scenario (for the rules' dates) when
            the folder does not record it.
        title: the report's title (default: from the folder and its scenarios).

    Raises:
        ReportError: the folder is none of the four kinds, holds no finished
            run, or ``outcomes`` names a metric the runs do not have.
    """
    from sandbox.reporting import plots

    experiment = load_experiment(path, scenario)
    if experiment.kind == "sweep":
        outcomes = list(outcomes) if outcomes else [m for m in RESPONSE if m in experiment.runs.columns]
        unknown = [m for m in outcomes if m not in experiment.runs.columns]
        if unknown:
            from sandbox.experiments.statistics import metric_columns

            allowed = metric_columns(experiment.runs, exclude=list(experiment.parameters))
            raise ReportError(f"outcome {unknown[0]!r}: not a metric of these runs; allowed: {', '.join(allowed)}")
    go_live = go_live_table(experiment)
    report = Report(
        experiment=experiment,
        title=title or _title(experiment),
        meta=_meta(experiment),
        headline=headline_table(experiment),
        go_live=go_live,
    )
    if experiment.failed:
        report.notes.append(f"{len(experiment.failed)} runs raised and are left out (records in "
                            f"{experiment.path / 'failed'}/); the figures and tables use the finished runs only.")
    if all(s is None for s in experiment.scenarios.values()):
        report.notes.append("The folder does not record its scenario, so rule go-live dates are not marked"
                            + (" (pass the scenario: sandbox report DIR --scenario FILE)." if experiment.kind == "run"
                               else "."))
    report.findings = report_findings(experiment, report.headline)
    b = _Builder()
    _headline_section(b, experiment, report.headline)
    if experiment.kind == "compare":
        _compare_section(b, experiment, report.headline, plots)
    _rules_section(b, go_live)
    _series_section(b, experiment, go_live, plots)
    _failures_section(b, experiment, go_live, plots)
    _losses_section(b, experiment, plots)
    if experiment.kind == "sweep":
        _sweep_section(b, experiment, list(outcomes or []), report.notes, plots)
    report.blocks = b.blocks
    return report


def write_report(
    path: str | Path,
    out: str | Path = "report.html",
    outcomes: Sequence[str] | None = None,
    scenario: Scenario | str | Path | None = None,
) -> Path:
    """Build the report of ``path`` (see :func:`build_report`) and write it to ``out``; returns ``out``."""
    return build_report(path, outcomes=outcomes, scenario=scenario).save(out)


def report_findings(experiment: Experiment, headline: pd.DataFrame) -> list[str]:
    """The sentences that open the report, from the headline numbers (see :mod:`sandbox.reporting.findings`)."""
    from sandbox.reporting import findings as fd

    if experiment.kind == "run":
        return fd.run_findings({**(experiment.summary or {}), **experiment.runs.iloc[0].to_dict()})
    if experiment.kind == "replicate":
        return fd.replicate_findings(headline, experiment.names[0])
    if experiment.kind == "compare":
        return fd.findings(headline)
    return fd.sweep_findings(headline, len(experiment.runs), list(experiment.parameters))


# --- sections ------------------------------------------------------------------------------


def _title(experiment: Experiment) -> str:
    names = experiment.names
    if experiment.kind == "run":
        return f"Run of {names[0]}"
    if experiment.kind == "replicate":
        return f"{names[0]}: {_runs_per_scenario(experiment)} replicate runs"
    if experiment.kind == "compare":
        return f"{' vs '.join(names)}: paired comparison"
    return f"{names[0]}: {experiment.design} sweep of {len(experiment.parameters)} parameters"


def _runs_per_scenario(experiment: Experiment) -> int:
    if "scenario" in experiment.runs.columns:
        return int(experiment.runs.groupby("scenario").size().max())
    if "point" in experiment.runs.columns:
        return int(experiment.runs.groupby("point").size().max())
    return len(experiment.runs)


def _months(experiment: Experiment) -> tuple[str, str, int]:
    months = sorted(experiment.monthly["month"].astype(str).unique())
    return months[0], months[-1], len(months)


def _meta(experiment: Experiment) -> list[tuple[str, str]]:
    first, last, n = _months(experiment)
    meta = [("what", {"run": "a single run", "replicate": "replicate runs of one scenario",
                      "compare": "scenarios compared on the same seeds (common random numbers)",
                      "sweep": "a parameter sweep"}[experiment.kind]),
            ("folder", str(experiment.path))]
    sources = {}
    for entry in (experiment.manifest or {}).get("scenarios") or []:
        sources[entry.get("name")] = entry.get("source")
    meta.append(("scenarios", "; ".join(f"{n} ({sources[n]})" if sources.get(n) else n for n in experiment.names)))
    meta.append(("months simulated", f"{first} to {last} ({n} months)"))
    if experiment.kind == "run":
        meta.append(("seed", str((experiment.summary or {}).get("seed"))))
    else:
        seeds = (experiment.manifest or {}).get("seeds") or {}
        meta.append(("runs", f"{len(experiment.runs)} finished"
                     + (f" ({_runs_per_scenario(experiment)} per scenario)" if experiment.kind == "compare" else "")
                     + (f", {len(experiment.failed)} failed" if experiment.failed else "")))
        meta.append(("experiment seed", str(seeds.get("root"))))
    if experiment.kind == "sweep":
        design = (experiment.manifest or {}).get("design") or {}
        points = 0 if experiment.points is None else len(experiment.points)
        meta.append(("design", f"{experiment.design}, {points} points x {design.get('runs', 1)} runs"))
        for p, (low, high) in experiment.parameters.items():
            meta.append((f"parameter {p}", f"{low:g} to {high:g}"))
    manifest = experiment.manifest or {}
    if manifest.get("sandbox_version"):
        meta.append(("sandbox version", str(manifest["sandbox_version"])))
    if manifest.get("finished") or manifest.get("started"):
        meta.append(("experiment ran", f"{manifest.get('started')} to {manifest.get('finished') or 'unfinished'}"))
    meta.append(("report made", datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")))
    return meta


def _headline_section(b: _Builder, experiment: Experiment, headline: pd.DataFrame) -> None:
    from sandbox.reporting.plots import label

    b.heading("Key outcomes")
    kind = experiment.kind
    if kind == "run":
        table = pd.DataFrame({"outcome": [label(m) for m in headline["metric"]],
                              "value": [fmt(v, m) for m, v in zip(headline["metric"], headline["value"], strict=True)]})
        b.table("Key outcomes of the run", table, "One run: each number is what this seed produced. Run a "
                "replicate set (sandbox replicate) to see how much they vary from seed to seed.")
        return
    if kind == "replicate":
        table = pd.DataFrame({
            "outcome": [label(m) for m in headline["metric"]],
            "mean": [fmt(v, m) for m, v in zip(headline["metric"], headline["mean"], strict=True)],
            "95% interval of the mean": [fmt_ci(lo, hi, m) for m, lo, hi in
                                         zip(headline["metric"], headline["ci_low"], headline["ci_high"], strict=True)],
            "sd across runs": [fmt(v, m) for m, v in zip(headline["metric"], headline["sd"], strict=True)],
            "runs": headline["n"].astype(int).astype(str),
        })
        b.table("Key outcomes, mean over runs", table,
                f"The mean of each outcome over {int(headline['n'].max())} runs that differ only in their seed, the "
                "95% interval for that mean (it narrows as runs are added), and the standard deviation: how much "
                "one run typically differs from another.")
        return
    if kind == "compare":
        names = experiment.names
        multi = len(names) > 2
        rows = []
        for row in headline.to_dict("records"):
            m = row["metric"]
            cells = {"outcome": label(m)}
            for name in names:
                interval = fmt_ci(row[f"ci_low_{name}"], row[f"ci_high_{name}"], m)
                # A header of its own: a scenario may be called "outcome" or "difference" too.
                cells[f"{name}: mean (95% interval)"] = f"{fmt(row[f'mean_{name}'], m)} ({interval})"
            if multi:
                cells["versus"] = row["versus"]
            cells["difference"] = fmt_diff(row["difference"], m)
            cells["95% interval of the difference"] = fmt_ci(row["ci_low"], row["ci_high"], m, change=True)
            share = row.get("share_better")
            cells["runs in which it did better"] = "–" if share is None or not math.isfinite(share) else f"{share:.0%}"
            rows.append(cells)
        ref, others = names[0], ", ".join(names[1:])
        b.table("Key outcomes, paired comparison", pd.DataFrame(rows),
                f"Each scenario's mean over the same {_runs_per_scenario(experiment)} seeds, with its 95% interval "
                f"in brackets. 'Difference' is {others} minus {ref}, averaged run by run over the same seeds (a share's "
                "change in percentage points, pp); its "
                "interval excludes zero when the difference is unlikely to be luck of the draw. The last column "
                "counts the runs in which the proposal did better than the reference (lower losses and failures, "
                "more credit), where 'better' has a direction.")
        return
    table = pd.DataFrame({
        "outcome": [label(m) for m in headline["metric"]],
        "mean over the design": [fmt(v, m) for m, v in zip(headline["metric"], headline["mean"], strict=True)],
        "95% interval": [fmt_ci(lo, hi, m) for m, lo, hi in
                         zip(headline["metric"], headline["ci_low"], headline["ci_high"], strict=True)],
        "lowest point": [fmt(v, m) for m, v in zip(headline["metric"], headline["point_min"], strict=True)],
        "highest point": [fmt(v, m) for m, v in zip(headline["metric"], headline["point_max"], strict=True)],
    })
    b.table("Key outcomes across the sweep", table,
            f"The mean of each outcome over all {len(experiment.runs)} runs of the design (so an average over the "
            "parameter ranges swept, not a forecast for any one setting), and the lowest and highest mean at a "
            "single design point: the spread that the swept parameters produce.")


def _compare_section(b: _Builder, experiment: Experiment, headline: pd.DataFrame, plots: Any) -> None:
    names = experiment.names
    metrics = list(pd.unique(headline["metric"]))
    ax = plots.comparison_intervals(headline, metrics=metrics)
    dropped = [plots.label(m) for m in metrics
               if not (headline.loc[headline["metric"] == m, f"mean_{names[0]}"].abs() > 0).all()]
    b.figure("Paired differences", ax,
             f"How much each outcome changes under {', '.join(names[1:])} compared with {names[0]}, in percent of "
             f"{names[0]}'s mean. Each dot is the average run-by-run difference on the same seeds; the bar is its "
             "95% interval. Blue: clearly better (the whole interval is on the better side of zero); vermillion: "
             "clearly worse; grey: no clear direction, or no better direction for that outcome."
             + (f" Not shown ({names[0]}'s mean is zero): {', '.join(dropped)}." if dropped else ""))


def _rules_section(b: _Builder, go_live: pd.DataFrame) -> None:
    b.heading("Rules in force")
    if go_live.empty:
        b.text("No rule dates are known for this folder.")
        return
    table = pd.DataFrame({
        "rule": go_live["rule"],
        "scenario": go_live["scenario"].fillna("all scenarios"),
        "values": go_live["values"].fillna(""),
        "goes live": go_live["start"],
        "lifted": go_live["until"].fillna("–"),
        "in this report": go_live["status"],
    })
    b.table("Rules, their values and dates", table, "Each rule of each scenario with its values (a rate cap of "
            "36% against one of 24%, say) and when it takes effect; a rule that every scenario has with the same "
            "values and dates is listed once, for all scenarios. Rules that go live during the run are marked on "
            "the time charts by a dotted vertical line.")


def _when(go_live: pd.DataFrame) -> str:
    """A sentence naming the go-live dates marked on time charts."""
    live = go_live[go_live["status"] == "goes live during the run"]
    if live.empty:
        return " No rule goes live during the months shown (all apply from the start or after the end)."
    items = [r["rule"] + ("" if pd.isna(r["scenario"]) else f" ({r['scenario']})") + f" in {r['start']}"
             for r in live.to_dict("records")]
    return " Dotted vertical lines: rules going live (" + "; ".join(items) + ")."


def _spread(experiment: Experiment) -> str:
    n = len(experiment.runs)
    if experiment.kind == "run":
        return "One run, so one line."
    if experiment.kind == "sweep":
        return (f"The line is the median month by month over all {n} runs of the design, the shaded band holds "
                "90% of them (5th to 95th percentile): it spans both the parameter ranges and the seeds.")
    per = _runs_per_scenario(experiment)
    return (f"The line is the median month by month over {per} runs"
            + (" of each scenario" if experiment.kind == "compare" else "")
            + ", the shaded band holds 90% of runs (5th to 95th percentile): a month's value in a new run would "
            "usually fall inside it.")


def _series_section(b: _Builder, experiment: Experiment, go_live: pd.DataFrame, plots: Any) -> None:
    b.heading("The market over time")
    monthly = experiment.monthly
    by = "scenario" if experiment.kind == "compare" else None
    spread, when = _spread(experiment), _when(go_live)
    kinds = [c for c in ("alive_intermediary", "alive_pool", "alive_fraud") if c in monthly.columns]
    if experiment.kind in ("run", "replicate") and kinds:
        keys = [c for c in ("run",) if c in monthly.columns]
        long = monthly.melt(id_vars=[*keys, "month"], value_vars=kinds, var_name="kind", value_name="alive")
        long["kind"] = long["kind"].str.removeprefix("alive_")
        ax = plots.fan_chart(long, "alive", by="kind", go_live=go_live, title="Platforms alive, by business model")
        ax.set_ylabel("platforms alive")
        b.figure("Platforms alive", ax, "Platforms operating each month by business model: intermediaries "
                 "(matching lenders and borrowers), pools (taking deposits into a pool) and frauds (schemes that "
                 f"never lend). {spread}{when}")
    else:
        ax = plots.fan_chart(monthly, "alive_total", by=by, go_live=go_live, title="Platforms alive")
        b.figure("Platforms alive", ax, f"Platforms operating each month. {spread}{when}")
    ax = plots.fan_chart(monthly, "loan_balance", by=by, go_live=go_live, title="Loan balance")
    b.figure("Loan balance", ax, "Loans outstanding to borrowers through platforms, in yuan: how much credit "
             f"the market carries. {spread}{when}")
    ax = plots.fan_chart(monthly, "cumulative_investor_loss", by=by, go_live=go_live,
                         title="Cumulative investor losses")
    b.figure("Cumulative investor losses", ax, "Money investors have lost so far (in yuan) through platform "
             f"failures, frauds and defaults passed on to them. A steep rise is a failure wave. {spread}{when}")


def _failures_section(b: _Builder, experiment: Experiment, go_live: pd.DataFrame, plots: Any) -> None:
    b.heading("Failures")
    monthly, runs = experiment.monthly, experiment.runs
    by = "scenario" if experiment.kind == "compare" else None
    spread, when = _spread(experiment), _when(go_live)
    ax = plots.failures_by_cause(runs, by=by)
    what = "in the run" if experiment.kind == "run" else "per run, averaged over runs, with 95% intervals"
    b.figure("Failures by cause", ax, f"Platform failures {what}, by cause: insolvency (losses ate the "
             "capital), illiquidity run (investors withdrew faster than loans repaid), fraud (a scheme collapsed "
             "or was caught), credit contagion (losses on claims on failed platforms or guarantors), regulatory "
             "(closed by the regulator) and orderly exit (wound down without default).")
    fig = plots.failures_over_time(monthly, by=by, go_live=go_live)
    b.figure("Failures by cause over time", fig, "Failures so far, cause by cause; each panel has its own "
             f"scale, so compare heights within a panel. {spread}{when}")
    ax = plots.fan_chart(monthly, "failures_total", by=by, go_live=go_live, title="Failures per month")
    b.figure("Failures per month", ax, f"Platforms failing each month, all causes together. Peaks are failure "
             f"waves; the table below lists the largest. {spread}{when}")
    per_run = 5 if experiment.kind == "run" else 1
    waves = largest_waves(monthly, per_run=per_run)
    keys = [c for c in ("scenario", "point", "run") if c in waves.columns and experiment.kind != "run"]
    shown = waves[[*keys, "from", "to", "failures", "alive_before", "share", "causes"]].copy()
    shown["share"] = [f"{s:.1%}" for s in shown["share"]]
    shown = shown.rename(columns={"alive_before": "alive before", "share": "share of those alive"})
    caption = (f"The {WAVE_WINDOW} consecutive months with the most failures as a share of the platforms alive "
               "before them" + (" (the largest waves of this run that do not overlap)." if experiment.kind == "run"
                                else "; one wave per run, the runs with the largest waves first."))
    if shown.empty:
        b.text("No platform failed: there is no failure wave to list.")
    else:
        b.table("Largest failure waves", shown, caption)
    if experiment.kind == "run" and experiment.failures is not None:
        cascades = largest_cascades(experiment.failures)
        if cascades.empty:
            b.text("No failure was traced to an earlier one: there were no cascades.")
        else:
            b.table("Largest cascades", cascades.rename(columns={"root_cause": "root cause"}),
                    "Failures traced back to a common first failure (the root) through contagion channels, "
                    "largest first; 'channels' counts how the later failures were triggered.")
        if experiment.counterfactuals is not None and not experiment.counterfactuals.empty:
            cf = experiment.counterfactuals.rename(columns={
                "failures_without": "failures without it", "failures_avoided": "avoided",
                "failures_added": "added"})
            b.table("Contagion channels switched off", cf,
                    "The same seed run again with one contagion channel switched off: how many of this run's "
                    f"failures disappear ('avoided') and how many new ones happen instead ('added'). {ADDED}")


def _losses_section(b: _Builder, experiment: Experiment, plots: Any) -> None:
    b.heading("Losses across investors")
    if experiment.kind == "run" and experiment.investors is not None:
        ax = plots.loss_distribution(experiment.investors)
        summary = experiment.runs.iloc[0]
        for x, column in plots.SUMMARY_THRESHOLDS.items():
            if column in summary:
                ax.plot([x], [summary[column]], "o", color="#000000", markersize=4)
        b.figure("Losses across investors", ax,
                 "Among investors who put money in, the share who lost more than a given part of it: read across "
                 "from a loss on the horizontal axis (say 50%) to the share of investors who lost more than that. "
                 "Dots: the summary's shares losing anything, over 10% and over 50%. A curve that falls steeply "
                 "means losses are concentrated on few investors.")
        return
    by = "scenario" if experiment.kind == "compare" else None
    ax = plots.loss_distribution(experiment.runs, by=by)
    b.figure("Losses across investors", ax,
             "Among investors who put money in, the share who lost anything, more than 10% and more than 50% of "
             "what they put in. The line joins the medians over runs, the bars hold 90% of runs. "
             "Experiment stores keep these three shares per run, not every investor; a single run's report draws "
             "the full curve.")


def _sweep_section(b: _Builder, experiment: Experiment, outcomes: list[str], notes: list[str], plots: Any) -> None:
    from sandbox.experiments.results import ExperimentError
    from sandbox.experiments.sensitivity import sensitivity

    b.heading("Response to the swept parameters")
    parameters = list(experiment.parameters)
    fig = plots.sweep_response(experiment.runs, parameters, outcomes)
    b.figure("Response to each parameter", fig,
             "Each dot is one run; the dark line joins the medians in bins of the parameter. A clear slope means "
             "the outcome responds to that parameter across the ranges swept (other parameters vary at the same "
             "time, so the scatter around the line includes their effect and the seeds').")
    if experiment.design not in ("sobol", "morris"):
        b.text(f"Sensitivity indices need a sobol or morris design; this sweep is {experiment.design}. Run "
               "sandbox sweep --design sobol (or morris) to get them.")
        return
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            method: Literal["sobol", "morris"] = "sobol" if experiment.design == "sobol" else "morris"
            indices = sensitivity(sweep_result(experiment), outcomes, method=method)
    except (ExperimentError, ValueError, ZeroDivisionError) as err:
        notes.append(f"Sensitivity indices not computed: {str(err).splitlines()[0]}")
        b.text(f"Sensitivity indices could not be computed: {str(err).splitlines()[0]}")
        return
    fig = plots.sensitivity_bars(indices, outcomes)
    if experiment.design == "sobol":
        caption = ("Sobol' indices (SALib): the share of an outcome's variance due to each parameter alone "
                   "(first-order) and with its interactions (total), with 95% intervals. Near 0: the parameter "
                   "hardly matters over its range; total well above first-order: it matters through "
                   "interactions. Small designs give wide intervals and can give values below 0 or above 1.")
    else:
        caption = ("Morris elementary effects (SALib): mu* is the mean absolute change in the outcome when the "
                   "parameter moves one step across its range (with a 95% interval), sigma how much that change "
                   "varies with the other parameters (non-linearity or interactions). Both are in the outcome's "
                   "units.")
    b.figure("Sensitivity indices", fig, caption)
    shown = indices.copy()
    for column in shown.columns[2:]:
        shown[column] = [f"{v:.3g}" if math.isfinite(v) else "–" for v in shown[column]]
    b.table("Sensitivity indices", shown, "The numbers behind the bars.")


# --- HTML ------------------------------------------------------------------------------------

CSS = """
:root { color-scheme: light; }
body { font-family: system-ui, -apple-system, "Segoe UI", Roboto, "DejaVu Sans", Arial, sans-serif;
       max-width: 62rem; margin: 2rem auto; padding: 0 1.2rem; color: #1a1a1a; line-height: 1.45; }
h1 { font-size: 1.6rem; margin-bottom: .3rem; }
h2 { font-size: 1.25rem; margin-top: 2.2rem; border-bottom: 2px solid #0072B2; padding-bottom: .2rem; }
h3 { font-size: 1rem; margin: 1.2rem 0 .4rem; }
table { border-collapse: collapse; font-size: .88rem; margin: .4rem 0 .3rem; }
th, td { padding: .28rem .6rem; border-bottom: 1px solid #ddd; text-align: left; vertical-align: top; }
th { background: #f1f4f8; font-weight: 600; }
th.num, td.num { text-align: right; }
table.meta td, table.meta th { text-align: left; border: none; padding: .1rem .8rem .1rem 0; background: none; }
figure { margin: 1.4rem 0 1.8rem; }
figure img { max-width: 100%; height: auto; display: block; }
figcaption, .caption { font-size: .9rem; color: #333; max-width: 48rem; margin-top: .3rem; }
#summary .findings { font-size: 1.02rem; padding-left: 1.2rem; }
#summary .findings li { margin: .25rem 0; }
.notes { background: #fff6e0; border-left: 4px solid #E69F00; padding: .5rem .8rem; }
nav ol { columns: 2; font-size: .9rem; }
footer { margin-top: 3rem; font-size: .8rem; color: #666; }
@media print {
  @page { size: A4; margin: 14mm; }
  body { max-width: none; margin: 0; padding: 0; font-size: 10pt; }
  nav { display: none; }
  h2 { break-after: avoid; page-break-after: avoid; }
  h3 { break-after: avoid; page-break-after: avoid; }
  figure, table, .block { break-inside: avoid; page-break-inside: avoid; }
  th { background: none; border-bottom: 1.5px solid #000; }
  a { color: inherit; text-decoration: none; }
}
"""


def _html_table(table: pd.DataFrame, css_class: str = "") -> str:
    """An HTML table; columns of numbers (and number ranges) are right-aligned, text columns left."""
    # Plain lists, not itertuples: columns are named after scenarios, which may be any text.
    rows = [["" if v is None else str(v) for v in row] for row in table.astype(object).to_numpy().tolist()]
    numeric = [all(NUMBER.fullmatch(row[j]) for row in rows) for j in range(len(table.columns))]
    align = [' class="num"' if n and j else "" for j, n in enumerate(numeric)]
    head = "".join(f"<th{a}>{html.escape(str(c))}</th>" for a, c in zip(align, table.columns, strict=True))
    body = "".join("<tr>" + "".join(f"<td{a}>{html.escape(v)}</td>" for a, v in zip(align, row, strict=True))
                   + "</tr>" for row in rows)
    cls = f' class="{css_class}"' if css_class else ""
    return f"<table{cls}><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def _render(report: Report) -> str:
    # The summary opens the body: the title, then the findings in plain language.
    findings = "".join(f"<li>{html.escape(s)}</li>" for s in report.findings)
    parts = [f'<section id="summary"><h1>{html.escape(report.title)}</h1>'
             f'<h2>Findings</h2><ul class="findings">{findings}</ul></section>']
    parts.append('<table class="meta"><tbody>' + "".join(
        f"<tr><th>{html.escape(k)}</th><td>{html.escape(v)}</td></tr>" for k, v in report.meta) + "</tbody></table>")
    if report.notes:
        parts.append('<div class="notes">' + "".join(f"<p>{html.escape(n)}</p>" for n in report.notes) + "</div>")
    contents = [f'<li><a href="#{b.anchor}">{html.escape(b.title)}</a></li>' for b in report.blocks
                if isinstance(b, ReportFigure | ReportTable)]
    parts.append(f"<nav><h3>Contents</h3><ol>{''.join(contents)}</ol></nav>")
    for block in report.blocks:
        if isinstance(block, ReportText):
            parts.append(f"<h2>{html.escape(block.text)}</h2>" if block.heading else
                         f"<p class=\"caption\">{html.escape(block.text)}</p>")
        elif isinstance(block, ReportTable):
            parts.append(f'<div class="block" id="{block.anchor}"><h3>{html.escape(block.title)}</h3>'
                         f"{_html_table(block.table)}<p class=\"caption\">{html.escape(block.caption)}</p></div>")
        else:
            data = base64.b64encode(block.png).decode("ascii")
            parts.append(f'<figure id="{block.anchor}"><h3>{html.escape(block.title)}</h3>'
                         f'<img alt="{html.escape(block.title)}" src="data:image/png;base64,{data}">'
                         f"<figcaption>{html.escape(block.caption)}</figcaption></figure>")
    parts.append("<footer>Made by sandbox report. Figures: medians with 90% bands across runs; intervals are 95% "
                 "t-intervals of means. Colours: Okabe–Ito palette.</footer>")
    return ("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
            "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
            f"<title>{html.escape(report.title)}</title><style>{CSS}</style></head><body>"
            + "\n".join(parts) + "</body></html>\n")


__all__ = [
    "HEADLINE",
    "KINDS",
    "RESPONSE",
    "Experiment",
    "Report",
    "ReportError",
    "ReportFigure",
    "ReportTable",
    "build_report",
    "detect_kind",
    "fmt",
    "go_live_table",
    "headline_table",
    "largest_cascades",
    "largest_waves",
    "load_experiment",
    "report_findings",
    "sweep_result",
    "write_report",
]
