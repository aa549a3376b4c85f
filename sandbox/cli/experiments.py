"""The experiment commands of the ``sandbox`` command line: ``replicate``, ``compare``, ``sweep``.

``register(app)`` adds them to the main Typer app. Each writes a results store
(one file per run, resumable: the same command with the same ``--out`` skips
finished runs, and a larger ``--runs`` extends it) and a CSV beside it, then
prints a short table. Bad input prints one line and exits 2; runs that raised
are listed and exit 1 once everything else is written.
"""

from __future__ import annotations

import math
import re
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from sandbox.cli.common import Resolution, fail, load
from sandbox.common.horizon import MAX_MONTHS, MIN_MONTHS

if TYPE_CHECKING:
    from sandbox.experiments.execution import Execution

# The metrics shown in the tables at the end, with short labels (the CSVs have them all).
SHOWN = {
    "investor_loss_total": "investor loss",
    "investor_loss_share": "loss, share of peak",
    "investors_losing_over_50pct": "investors losing >50%",
    "platform_failures": "platform failures",
    "contagion_share": "contagion share",
    "largest_wave_share": "largest 3-month wave",
    "credit_supplied_total": "credit supplied",
    "credit_excluded_total": "credit excluded",
}
#: The compare table's unit words (a change of a share is in percentage points).
COMPARE_UNITS = {"yuan": "yuan", "platforms": "platforms", "share": "%"}
#: The unit words of levels (means, lowest and highest runs) in the replicate and sweep tables.
LEVEL_UNITS = {"yuan": "yuan", "platforms": "platforms", "share": "%"}
SHARES = {"investor_loss_share", "investors_losing_over_50pct", "contagion_share", "largest_wave_share"}
PARAM = re.compile(r"^\s*([A-Za-z_][\w.]*)\s*=\s*([^:]+):([^:]+)$")

Runs = Annotated[int, typer.Option("--runs", "-n", help="Runs (per scenario, per point).", min=1)]
Seed = Annotated[
    int | None,
    typer.Option(help="Experiment seed; run i uses its i-th child seed (default: the store's, else drawn).", min=0),
]
Out = Annotated[Path, typer.Option("--out", "-o", help="Experiment folder (results store; resumable).")]
Months = Annotated[
    int | None, typer.Option(help="Horizon in months (default: the scenario's).", min=MIN_MONTHS, max=MAX_MONTHS)
]
Workers = Annotated[
    int | None, typer.Option(help="Worker processes (default: one per core; 1: serial, in this process).", min=1)
]
Scheduler = Annotated[
    str | None,
    typer.Option(help="Dask: 'local' starts a LocalCluster; tcp://host:8786 uses a running one."),
]
Progress = Annotated[bool, typer.Option(help="Progress bar (default: on a terminal).")]
Counterfactuals = Annotated[
    bool,
    typer.Option(
        help="Also rerun each run with each contagion channel off (5x cost); adds failures_attributed_, "
        "failures_avoided_ and failures_added_<channel>, and channels.csv (means, 95% intervals)."
    ),
]
ON_TERMINAL = sys.stderr.isatty()


def register(app: typer.Typer) -> None:
    """Add the ``replicate``, ``compare`` and ``sweep`` commands to ``app``."""
    app.command("replicate")(replicate)
    app.command("compare")(compare)
    app.command("sweep")(sweep)


def replicate(
    scenario: Annotated[Path, typer.Argument(help="Scenario file (YAML).")],
    out: Out,
    runs: Runs = 10,
    seed: Seed = None,
    months: Months = None,
    resolution: Resolution = None,
    workers: Workers = None,
    scheduler: Scheduler = None,
    progress: Progress = ON_TERMINAL,
    counterfactuals: Counterfactuals = False,
) -> None:
    """Run a scenario N times on spawned seeds; write the store and runs.csv (run, seed, metrics)."""
    from sandbox import experiments

    spec = load(scenario, resolution)
    execution = _execution(out, workers, scheduler, progress, counterfactuals)
    result, failures = _call(experiments.replicate, execution, spec, runs=runs, seed=seed, months=months)
    _write_csv(result.runs, out / "runs.csv")
    _print_replicate(result, spec.name, f"{spec.name}: {len(result.runs)} runs, seed {result.seed}")
    written = _channels(result, out, by=None)
    _done(out, "runs.csv" + written, failures)


def compare(
    scenarios: Annotated[list[Path], typer.Argument(help="Scenario files: the reference first, then proposals.")],
    out: Out,
    runs: Runs = 10,
    seed: Seed = None,
    months: Months = None,
    resolution: Resolution = None,
    workers: Workers = None,
    scheduler: Scheduler = None,
    progress: Progress = ON_TERMINAL,
    counterfactuals: Counterfactuals = False,
) -> None:
    """Run scenarios on the same seeds; write comparison.csv (paired differences, 95% CIs) and runs.csv."""
    from sandbox import experiments

    if len(scenarios) < 2:
        fail(f"compare: found {len(scenarios)} scenario; allowed: 2 or more (the first is the reference)")
    specs = [load(path, resolution) for path in scenarios]
    execution = _execution(out, workers, scheduler, progress, counterfactuals)
    result, failures = _call(experiments.compare, execution, specs, runs=runs, seed=seed, months=months)
    comparison = result.comparison
    if len(result.names) == 2:
        # One proposal: the 'versus' column says nothing.
        comparison = comparison.drop(columns="versus")
    _write_csv(comparison, out / "comparison.csv")
    _write_csv(result.runs, out / "runs.csv")
    _print_compare(result)
    written = _channels(result, out, by="scenario")
    _done(out, "comparison.csv, runs.csv" + written, failures)


def sweep(
    scenario: Annotated[Path, typer.Argument(help="Scenario file (YAML).")],
    out: Out,
    param: Annotated[
        list[str],
        typer.Option("--param", "-p", help="PATH=LOW:HIGH, a dotted scenario path and its range (repeatable)."),
    ],
    design: Annotated[str, typer.Option(help="grid, lhs, sobol or morris.")] = "lhs",
    points: Annotated[
        int, typer.Option(help="Points per axis (grid), points (lhs), base samples (sobol), trajectories (morris).")
    ] = 10,
    runs: Annotated[
        int, typer.Option("--runs", "-n", help="Replicates per point (same seeds at every point).", min=1)
    ] = 1,
    seed: Seed = None,
    months: Months = None,
    resolution: Resolution = None,
    workers: Workers = None,
    scheduler: Scheduler = None,
    progress: Progress = ON_TERMINAL,
    counterfactuals: Counterfactuals = False,
) -> None:
    """Vary parameters over a design; write sweep.csv (parameter values, run, seed, metrics)."""
    from sandbox import experiments

    parameters = parse_params(param)
    if design not in experiments.DESIGNS:
        fail(f"--design: found {design!r}; allowed: {', '.join(experiments.DESIGNS)}")
    spec = load(scenario, resolution)
    execution = _execution(out, workers, scheduler, progress, counterfactuals)
    result, failures = _call(
        experiments.sweep,
        execution,
        spec,
        parameters,
        design=design,
        points=points,
        runs=runs,
        seed=seed,
        months=months,
    )
    _write_csv(result.runs, out / "sweep.csv")
    _print_sweep(result)
    _done(out, "sweep.csv", failures)


def parse_params(items: list[str]) -> dict[str, tuple[float, float]]:
    """``["regime.rate_cap.apr=0.12:0.36"]`` to ``{"regime.rate_cap.apr": (0.12, 0.36)}``; bad syntax exits 2."""
    parameters: dict[str, tuple[float, float]] = {}
    for item in items:
        match = PARAM.match(item)
        if not match:
            fail(f"--param {item!r}: allowed: PATH=LOW:HIGH, e.g. regime.rate_cap.apr=0.12:0.36")
        path, low_text, high_text = match.groups()
        try:
            low, high = float(low_text), float(high_text)
        except ValueError:
            fail(f"--param {item!r}: LOW and HIGH must be numbers")
        if not (math.isfinite(low) and math.isfinite(high)) or low >= high:
            fail(f"--param {item!r}: LOW {low:g} is not below HIGH {high:g}")
        if path in parameters:
            fail(f"--param {path}: given twice")
        parameters[path] = (low, high)
    return parameters


def _execution(
    out: Path, workers: int | None, scheduler: str | None, progress: bool, counterfactuals: bool
) -> Execution:
    """The execution options every experiment command shares, as one :class:`Execution`."""
    from sandbox.experiments.execution import Execution

    return Execution(workers=workers, scheduler=scheduler, out=out, progress=progress, counterfactuals=counterfactuals)


def _call(fn: Callable[..., Any], execution: Execution, *args: Any, **kwargs: Any) -> tuple[Any, list[Any]]:
    """Run an experiment; bad input exits 2, failed runs come back with the rest of the result."""
    from sandbox.config.scenario import ScenarioError
    from sandbox.experiments.results import ExperimentError, ExperimentFailures
    from sandbox.experiments.store import StoreError

    try:
        return fn(*args, execution=execution, **kwargs), []
    except ExperimentFailures as err:
        return err.result, err.failures
    except (ExperimentError, StoreError, ScenarioError) as err:
        fail(str(err).splitlines()[0])
    except ValueError as err:  # bad --workers / --scheduler values from the executors
        fail(str(err).splitlines()[0])
    except OSError as err:
        fail(f"--out {execution.out}: {err.strerror or err}")


def _write_csv(table: Any, path: Path) -> None:
    """Write a results table, formula-like text cells neutralised (scenario names come from users)."""
    from sandbox.common.outputs import write_csv

    try:
        write_csv(table, path)
    except OSError as err:
        fail(f"{path}: cannot write: {err.strerror or err}")


def _done(out: Path, written: str, failures: list[Any]) -> None:
    typer.echo(f"results written to {out}/ ({written}, store in runs/)")
    if failures:
        typer.secho(f"error: {len(failures)} runs failed (details in {out}/failed/):", fg=typer.colors.RED, err=True)
        for failure in failures[:10]:
            typer.echo(f"  {failure}", err=True)
        if len(failures) > 10:
            typer.echo(f"  ... and {len(failures) - 10} more", err=True)
        raise typer.Exit(1)


def _fmt(value: float | None, metric: str = "") -> str:
    """Compact numbers: shares in percent, large values with k/M/B, three significant figures."""
    if value is None or not math.isfinite(value):
        return "-"
    if metric in SHARES:
        return f"{value:.1%}"
    for scale, suffix in ((1e9, "B"), (1e6, "M"), (1e3, "k")):
        if abs(value) >= scale:
            return f"{value / scale:.3g}{suffix}"
    return f"{value:.3g}"


def _console() -> Any:
    from rich.console import Console

    # Piped or captured output has no width to respect: don't squeeze the table into 80 columns.
    return Console() if sys.stdout.isatty() else Console(width=120)


def _unit(metric: str) -> str:
    """A metric's unit as :mod:`sandbox.reporting.findings` speaks of it: yuan, platforms or share."""
    from sandbox.reporting.findings import OUTCOMES

    return OUTCOMES[metric].unit if metric in OUTCOMES else ("share" if metric in SHARES else "platforms")


def _level(value: float | None, metric: str) -> str:
    """A level in its unit, without the unit's word (it is in the metric's column): 1.5 billion, 12%, 58."""
    from sandbox.reporting.findings import amount

    if value is None or not math.isfinite(value):
        return "-"
    return amount(value, _unit(metric), with_unit=False)  # type: ignore[arg-type]


def _label(metric: str) -> str:
    """``investor loss (yuan)``: the table's label with the unit of its levels."""
    return f"{SHOWN[metric]} ({LEVEL_UNITS[_unit(metric)]})"


def _print_findings(sentences: list[str]) -> None:
    for sentence in sentences:
        typer.echo(sentence)
    typer.echo("")


def _print_replicate(result: Any, name: str, title: str) -> None:
    """The findings in plain language, then mean, sd and 95% interval of each metric, with units."""
    from rich.table import Table
    from rich.text import Text

    from sandbox.reporting.findings import OUTCOMES, replicate_findings

    described = result.describe([m for m in dict.fromkeys([*SHOWN, *OUTCOMES]) if m in result.runs.columns])
    _print_findings(replicate_findings(described, name))
    # The title holds the scenario's name, a user's text: Text(...) keeps rich from reading "[...]" as markup.
    table = Table(title=Text(title))
    table.add_column("metric (unit)", no_wrap=True)
    table.add_column("mean", justify="right", no_wrap=True)
    table.add_column("sd", justify="right", no_wrap=True)
    table.add_column("95% CI of the mean", justify="right", no_wrap=True)
    for row in described[described["metric"].isin(list(SHOWN))].itertuples():
        m = row.metric
        table.add_row(
            _label(m),
            _level(row.mean, m),
            _level(row.sd, m),
            f"{_level(max(row.ci_low, 0.0), m)} to {_level(row.ci_high, m)}",
        )  # levels are never < 0
    _console().print(table)


def _print_compare(result: Any) -> None:
    """The findings in plain language, then the table of means and paired differences, with units."""
    from rich.table import Table
    from rich.text import Text

    from sandbox.reporting.findings import OUTCOMES, amount, change

    for sentence in findings_of(result.comparison):
        typer.echo(sentence)
    typer.echo("")
    # Scenario names are user text: Text(...) keeps rich from reading "[...]" in them as markup.
    pairs = result.runs["run"].nunique()
    # A caption, not "(%; changes in pp)" in each label: the labels stay on one line within 120 columns.
    table = Table(title=Text(f"paired comparison, {pairs} run{'s' if pairs != 1 else ''} each, seed {result.seed}"))
    table.caption = "shares (%) change in percentage points (pp)"
    table.add_column("metric (unit)", no_wrap=True)
    for name in result.names:
        table.add_column(Text(f"mean {name}"), justify="right", min_width=11)  # "2.9 billion" on one line
    if len(result.names) > 2:
        table.add_column("versus")
    table.add_column("difference", justify="right")
    table.add_column("95% CI of the difference", justify="right", min_width=16)
    table.add_column("better in (runs)", justify="right")
    rows = result.comparison[result.comparison["metric"].isin(list(SHOWN))]
    for row in rows.to_dict("records"):
        m = row["metric"]
        unit = OUTCOMES[m].unit if m in OUTCOMES else ("share" if m in SHARES else "platforms")
        share = "-" if not math.isfinite(row["share_better"]) else f"{row['share_better']:.0%}"
        pp = unit == "share"  # the unit is in the metric's column; "pp" stays, lest it be read as "%"
        table.add_row(
            f"{SHOWN[m]} ({COMPARE_UNITS[unit]})",
            *(amount(row[f"mean_{name}"], unit, with_unit=False) for name in result.names),
            *([Text(str(row["versus"]))] if len(result.names) > 2 else []),
            change(row["difference"], unit, with_unit=pp),
            f"{change(row['ci_low'], unit, with_unit=False)} to {change(row['ci_high'], unit, with_unit=pp)}",
            share,
        )
    _console().print(table)


def _channels(result: Any, out: Path, by: str | None) -> str:
    """With counterfactuals: write channels.csv and print, per channel, the failures attributed to it
    (first: the primary figure), then those avoided and added with it off, as means over runs with 95%
    intervals (paired by seed). Returns the written file's mention for the closing line ("" if none)."""
    from rich.table import Table
    from rich.text import Text

    from sandbox.api import WHY_AVOIDED_DIFFERS
    from sandbox.reporting.findings import change

    table = result.channels()
    if table.empty:
        return ""
    _write_csv(table, out / "channels.csv")
    shown = Table(title=f"failures by contagion channel (platforms), mean over {int(table['n'].max())} runs")
    shown.caption = (
        "95% intervals in brackets. avoided, added: each run rerun on its own seed with the channel off; "
        "net change: failures with the channel minus without, paired by seed"
    )
    if by is not None:
        shown.add_column(by)
    shown.add_column("channel")
    figures = {
        "attributed": "attributed",
        "avoided": "avoided",
        "added": "added",
        "net": "net change",
    }
    for label in figures.values():
        shown.add_column(label, justify="right")
    for row in table.to_dict("records"):
        cells = [Text(str(row[by]))] if by is not None else []
        cells.append(str(row["channel"]))
        for figure in figures:
            mean, low, high = (row[f"{figure}_{k}"] for k in ("mean", "ci_low", "ci_high"))
            if figure == "net":
                text = change(mean, "platforms", with_unit=False)
                interval = (
                    f"{change(low, 'platforms', with_unit=False)} to {change(high, 'platforms', with_unit=False)}"
                )
            else:
                text, interval = _fmt(mean), f"{_fmt(max(low, 0.0))} to {_fmt(high)}"  # counts are never < 0
            cells.append(f"{text} ({interval})" if math.isfinite(low) else text)
        shown.add_row(*cells)
    _console().print(shown)
    typer.echo(WHY_AVOIDED_DIFFERS)
    return " and channels.csv"


def findings_of(comparison: Any) -> list[str]:
    """The plain-language findings that open ``sandbox compare`` (:func:`sandbox.reporting.findings.findings`)."""
    from sandbox.reporting.findings import findings

    return findings(comparison)


def _print_sweep(result: Any) -> None:
    """The findings in plain language, then each metric's lowest, mean and highest run, with units."""
    from rich.table import Table
    from rich.text import Text

    from sandbox.experiments.statistics import describe_runs
    from sandbox.reporting.findings import sweep_findings

    points = len(result.points)
    title = f"{result.design} sweep: {points} points x {result.runs_per_point} runs, seed {result.seed}"
    shown = [m for m in SHOWN if m in result.runs.columns]
    if len(result.runs) and shown:
        headline = describe_runs(result.runs, shown)
        point_means = result.runs.groupby("point")[shown].mean()
        headline["point_min"] = headline["metric"].map(point_means.min())
        headline["point_max"] = headline["metric"].map(point_means.max())
        _print_findings(sweep_findings(headline, len(result.runs), list(result.parameters)))
    table = Table(title=title)
    table.add_column("parameter or metric (unit)", no_wrap=True)
    table.add_column("lowest", justify="right", no_wrap=True)
    table.add_column("mean", justify="right", no_wrap=True)
    table.add_column("highest", justify="right", no_wrap=True)
    for path, (low, high) in result.parameters.items():
        table.add_row(Text(f"{path} (swept)"), _fmt(low), "", _fmt(high))
    if len(result.runs) and shown:
        described = headline.set_index("metric")
        for m in shown:
            column = result.runs[m]
            table.add_row(
                _label(m), _level(column.min(), m), _level(described.loc[m, "mean"], m), _level(column.max(), m)
            )
    _console().print(table)
