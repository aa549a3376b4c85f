"""Experiments: replicates, paired comparisons, parameter sweeps and sensitivity analysis.

    >>> from sandbox import experiments, load_scenario
    >>> base = load_scenario("scenarios/baseline.yaml")
    >>> reps = experiments.replicate(base, runs=20, seed=1, out="out/reps")
    >>> reps.runs.head()                                   # run, seed, summary metrics
    >>> tight = base.with_updates({"regime.rate_cap.apr": 0.24})
    >>> cmp = experiments.compare([base, tight], runs=20, seed=1)
    >>> cmp.comparison                                     # paired differences with 95% CIs
    >>> sw = experiments.sweep(base, {"regime.rate_cap.apr": (0.12, 0.36)}, design="sobol", points=64)
    >>> experiments.sensitivity(sw, ["investor_loss_total"], method="sobol")

Seeds: run ``i`` of an experiment with seed ``S`` uses the ``i``-th child of
``numpy.random.SeedSequence(S)``, whatever the backend or the number of
workers, so results are identical bit for bit across backends. ``compare``
gives every scenario the same seeds (common random numbers), and ``sweep``
gives every design point the same ``runs`` seeds, so that differences reflect
the scenario, not the luck of the draw.

Runs execute through :mod:`sandbox.experiments.executors` (serial, loky processes or Dask)
and, with ``out``, each finished run is written to a results store
(:mod:`sandbox.experiments.store`) at once; calling again with the same ``out`` resumes,
and calling with more ``runs`` extends the store (the stored runs are reused:
run ``i`` keeps child seed ``i``). Fewer runs than stored are refused.
"""

from __future__ import annotations

import itertools
import math
import traceback as tb
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import Executor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import numpy as np
import pandas as pd
from scipy import stats

from sandbox.api import run as run_scenario
from sandbox.experiments.executors import chunk, open_backend, run_chunks
from sandbox.common.horizon import horizon_problem
from sandbox.config.scenario import Scenario, ScenarioError, load_scenario, scenario_from_dict, scenario_schema_version
from sandbox.experiments.store import CODE_VERSION, RunStore, read_manifest, scenario_files

Design = Literal["grid", "lhs", "sobol", "morris"]
DESIGNS: tuple[str, ...] = ("grid", "lhs", "sobol", "morris")
MORRIS_LEVELS = 4
CONFIDENCE = 0.95

# Which way is better for each summary metric, for ``share_better`` in comparisons.
# Metrics left out (horizon, entries, inspections, enforcement actions, regulatory
# closures, orderly exits, peak money in, accounting errors) measure activity or
# effort: more is good or bad depending on what else happened.
BETTER: dict[str, Literal["lower", "higher"]] = {
    "investor_loss_total": "lower",
    "investor_loss_share": "lower",
    "investors_with_loss_share": "lower",
    "investors_losing_over_10pct": "lower",
    "investors_losing_over_50pct": "lower",
    "loss_gini": "lower",
    "loss_p99": "lower",
    "platform_failures": "lower",
    "failures_insolvency": "lower",
    "failures_illiquidity_run": "lower",
    "failures_fraud": "lower",
    "failures_credit_contagion": "lower",
    "largest_wave_share": "lower",
    "contagion_share": "lower",
    "fraud_loss_total": "lower",
    "diverted_total": "lower",
    "recovery_rate": "higher",
    "credit_supplied_total": "higher",
    "credit_excluded_total": "lower",
    "credit_excluded_cap": "lower",
    "credit_excluded_limit": "lower",
    "borrower_default_rate": "lower",
    "overindebted_share": "lower",
    "fraud_entries": "lower",
    "fraud_detection_months": "lower",
}

# Summary entries that are not outcomes (the seed goes in its own column; the
# scenario's name in ``compare``'s ``scenario`` column).
NOT_METRICS = ("scenario", "seed")
# Columns of the runs tables that identify a run rather than measure it.
LABELS = ("scenario", "point", "run", "seed", "months")
DEFAULT_OUTPUTS = ("investor_loss_total", "platform_failures", "contagion_share", "credit_supplied_total")


class ExperimentError(ValueError):
    """Bad input to an experiment (parameters, design, sizes); the message is one line."""


class ExperimentFailures(RuntimeError):  # noqa: N818 - reads as what happened
    """Some runs raised. Raised after every other run finished and was written.

    Attributes:
        failures: the failed runs.
        result: the experiment's result without them.
    """

    def __init__(self, failures: list[RunFailure], result: Any, total: int) -> None:
        """Build the one-line message listing the first few failures."""
        self.failures = failures
        self.result = result
        shown = "; ".join(str(f) for f in failures[:3])
        more = f"; and {len(failures) - 3} more" if len(failures) > 3 else ""
        where = f" (recorded in {result.out}/failed/)" if getattr(result, "out", None) else ""
        super().__init__(f"{len(failures)} of {total} runs failed{where}: {shown}{more}")


@dataclass
class RunFailure:
    """A run that raised.

    Attributes:
        key: the run's name in the store (``r000003``).
        labels: what identifies it (``{"run": 3}``, ``{"scenario": "b", "run": 3}``...).
        seed: its seed: ``sandbox.run(scenario, seed=seed)`` reproduces it.
        error: the exception type and message.
        traceback: the full traceback, as text.
    """

    key: str
    labels: dict[str, Any]
    seed: int
    error: str
    traceback: str = ""

    def __str__(self) -> str:
        where = ", ".join(f"{k} {v:.4g}" if isinstance(v, float) else f"{k} {v}" for k, v in self.labels.items())
        return f"{where} (seed {self.seed}): {self.error.splitlines()[0] if self.error else ''}"


@dataclass
class RunSpec:
    """One run to execute: what a worker receives (plain data, cheap to send)."""

    key: str
    scenario: dict[str, Any]
    fingerprint: str
    seed: int
    months: int | None
    labels: dict[str, Any]
    counterfactuals: bool = False
    code: str = CODE_VERSION


@dataclass
class RunOutcome:
    """What a worker sends back for one run: the summary and series, or the error."""

    key: str
    summary: dict[str, Any] | None = None
    monthly: pd.DataFrame | None = None
    error: str | None = None
    traceback: str = ""


@dataclass
class ReplicateResult:
    """Replicates of one scenario.

    Attributes:
        runs: one row per finished run: ``run``, ``seed``, then the summary metrics.
        monthly: the monthly series of every run, long form: ``run``, ``month``, variables.
        failures: runs that raised (empty unless returned through :class:`ExperimentFailures`).
        seed: the experiment's seed.
        out: the results store, if any.
    """

    runs: pd.DataFrame
    monthly: pd.DataFrame
    failures: list[RunFailure] = field(default_factory=list)
    seed: int = 0
    out: Path | None = None

    def describe(self, metrics: Sequence[str] | None = None) -> pd.DataFrame:
        """Mean, sd and 95% t-interval of the mean of each metric (see :func:`describe_runs`)."""
        return describe_runs(self.runs, metrics)


@dataclass
class CompareResult:
    """Scenarios run on the same seeds.

    Attributes:
        runs: one row per finished run: ``scenario``, ``run``, ``seed``, then the metrics.
        monthly: ``scenario``, ``run``, ``month``, variables.
        comparison: one row per metric and proposal (see :func:`comparison_table`).
        names: the scenarios' names, first the reference.
        failures: runs that raised.
        seed: the experiment's seed.
        out: the results store, if any.
    """

    runs: pd.DataFrame
    monthly: pd.DataFrame
    comparison: pd.DataFrame
    names: list[str]
    failures: list[RunFailure] = field(default_factory=list)
    seed: int = 0
    out: Path | None = None


@dataclass
class SweepResult:
    """A parameter sweep.

    Attributes:
        parameters: the swept dotted paths and their ``(low, high)`` bounds.
        design: ``grid``, ``lhs``, ``sobol`` or ``morris``.
        samples: the design as sampled, one row per point (integer parameters
            not yet rounded); what SALib's analyses expect.
        points: ``point`` and the parameter values each point ran with.
        runs: one row per finished run: ``point``, parameter values, ``run``, ``seed``, metrics.
        monthly: ``point``, ``run``, ``month``, variables.
        runs_per_point: replicates at each point (the same seeds at every point).
        scenario_name: the name of the swept scenario.
        failures: runs that raised.
        seed: the experiment's seed (also seeds the design).
        out: the results store, if any.
    """

    parameters: dict[str, tuple[float, float]]
    design: str
    samples: np.ndarray
    points: pd.DataFrame
    runs: pd.DataFrame
    monthly: pd.DataFrame
    runs_per_point: int
    scenario_name: str = "scenario"
    failures: list[RunFailure] = field(default_factory=list)
    seed: int = 0
    out: Path | None = None

    def problem(self) -> dict[str, Any]:
        """The SALib problem: names and bounds of the swept parameters."""
        return {
            "num_vars": len(self.parameters),
            "names": list(self.parameters),
            "bounds": [list(b) for b in self.parameters.values()],
        }

    def point_means(self, outputs: Sequence[str]) -> pd.DataFrame:
        """Mean of ``outputs`` over each point's replicates, one row per point (NaN where all failed)."""
        means = self.runs.groupby("point")[list(outputs)].mean()
        return self.points.join(means, on="point")


# --- seeds -------------------------------------------------------------------------------


def child_seeds(seed: int, n: int) -> list[int]:
    """``n`` independent integer seeds spawned from ``seed``.

    Child ``i`` is the same whatever ``n`` is, so runs keep their seeds when an
    experiment is extended. Seeds are below ``2**53``.
    """
    # 53 bits: exact as a double too, so a seed survives CSV readers (R, spreadsheets)
    # and pandas rows upcast to float; collisions stay negligible (~n**2 / 2**54).
    return [int(child.generate_state(1, dtype=np.uint64)[0] >> 11) for child in np.random.SeedSequence(seed).spawn(n)]


def _design_seed(seed: int) -> int:
    """A seed for sampling the design, from a stream apart from the runs' seeds."""
    return int(np.random.SeedSequence([seed, 0x5EED]).generate_state(1, dtype=np.uint32)[0])


def _root_seed(seed: int | None, out: str | Path | None) -> int:
    """The seed given; or, resuming a store, the store's; or a fresh one."""
    if seed is not None:
        if seed < 0:
            raise ExperimentError(f"seed: found {seed}; allowed: 0 or more")
        return int(seed)
    stored = read_manifest(out) if out is not None else None
    if stored and isinstance(stored.get("seeds"), dict) and "root" in stored["seeds"]:
        return int(stored["seeds"]["root"])
    # Fresh entropy, cut to 53 bits: exact as a double, like the children.
    return int(np.random.SeedSequence().generate_state(1, dtype=np.uint64)[0] >> 11)


# --- running -----------------------------------------------------------------------------


def flatten_summary(summary: Mapping[str, Any]) -> dict[str, Any]:
    """A run's summary as flat scalar columns.

    Nested counts become one column each (``failures_by_cause`` gives
    ``failures_fraud``, ...), ``None`` becomes NaN, and the scenario's name and
    the seed are left out (they have columns of their own).
    """
    flat: dict[str, Any] = {}
    for key, value in summary.items():
        if key in NOT_METRICS:
            continue
        if isinstance(value, Mapping):
            prefix = key.split("_by_")[0]
            for sub, v in value.items():
                flat[f"{prefix}_{sub}"] = v
        else:
            flat[key] = math.nan if value is None else value
    return flat


def _simulate(scenario: Scenario, seed: int, months: int | None,
              counterfactuals: bool = False) -> tuple[dict[str, Any], pd.DataFrame]:
    """Run one scenario; its flat summary and monthly series (with ``failures_avoided_<channel>``
    columns when ``counterfactuals``)."""
    result = run_scenario(scenario, seed=seed, months=months, counterfactuals=counterfactuals)
    return flatten_summary(result.summary), result.monthly


def run_chunk(specs: list[RunSpec]) -> list[RunOutcome]:
    """Run several runs in a worker; a run that raises is reported, and the others go on."""
    outcomes = []
    for spec in specs:
        try:
            if spec.code != CODE_VERSION:
                raise RuntimeError(
                    f"this worker runs other sandbox code ({CODE_VERSION}) than the caller ({spec.code}): "
                    "edited since the workers started? restart them (or the notebook kernel)"
                )
            scenario = scenario_from_dict(spec.scenario)
            if scenario.fingerprint() != spec.fingerprint:
                # E.g. a rule registered in the parent process but not imported in the worker.
                raise RuntimeError("the scenario changed on its way to the worker (a rule not registered there?)")
            extra = {"counterfactuals": True} if spec.counterfactuals else {}
            summary, monthly = _simulate(scenario, spec.seed, spec.months, **extra)
            outcomes.append(RunOutcome(spec.key, summary=summary, monthly=monthly))
        except Exception as exc:  # noqa: BLE001 - recorded as a failed run
            outcomes.append(RunOutcome(spec.key, error=f"{type(exc).__name__}: {exc}", traceback=tb.format_exc()))
    return outcomes


def _execute(
    specs: list[RunSpec],
    manifest: dict[str, Any],
    out: str | Path | None,
    workers: int | None,
    scheduler: str | Executor | Any | None,
    progress: bool,
    chunk_size: int | None,
    desc: str,
) -> tuple[dict[str, tuple[pd.DataFrame, pd.DataFrame]], list[RunFailure]]:
    """Run the runs not already in the store; every run's summary row and monthly series, and the failures."""
    from tqdm.auto import tqdm

    store = RunStore.open(out, manifest) if out is not None else None
    keys = {spec.key for spec in specs}
    done = store.finished() & keys if store else set()
    todo = [spec for spec in specs if spec.key not in done]
    by_key = {spec.key: spec for spec in specs}
    results: dict[str, tuple[pd.DataFrame, pd.DataFrame]] = {}
    failures: dict[str, RunFailure] = {}
    bar = tqdm(total=len(specs), initial=len(done), disable=not progress, unit="run", desc=desc, dynamic_ncols=True)
    bar.set_postfix(failed=0)

    def record_failure(outcome: RunOutcome) -> None:
        spec = by_key[outcome.key]
        failure = RunFailure(spec.key, spec.labels, spec.seed, outcome.error or "", outcome.traceback)
        if store:
            store.write_failure(spec.key, {"key": spec.key, **failure.labels, "seed": spec.seed,
                                           "error": failure.error, "traceback": failure.traceback})
        failures[spec.key] = failure

    def on_result(outcomes: list[RunOutcome]) -> None:
        finished = [(o.key, pd.DataFrame([o.summary]), o.monthly) for o in outcomes if o.error is None]
        if store and finished:
            store.write_runs(finished)  # one manifest update (checksums) per chunk
        for key, summary, monthly in finished:
            results[key] = (summary, monthly)
        for outcome in outcomes:
            if outcome.error is not None:
                record_failure(outcome)
        bar.update(len(outcomes))
        bar.set_postfix(failed=len(failures))

    def on_error(chunk_specs: list[RunSpec], exc: BaseException) -> None:
        text = "".join(tb.format_exception(exc))
        on_result([RunOutcome(spec.key, error=f"{type(exc).__name__}: {exc}", traceback=text) for spec in chunk_specs])

    try:
        if todo:
            with open_backend(workers, scheduler) as backend:
                run_chunks(backend, run_chunk, chunk(todo, backend.workers, chunk_size), on_result, on_error)
    finally:
        bar.close()
    if store:
        for key in done:
            results[key] = store.read_run(key)
        store.close(ran=len(todo), failed=len(failures))
    return results, [failures[s.key] for s in specs if s.key in failures]


def _tables(
    specs: list[RunSpec],
    results: Mapping[str, tuple[pd.DataFrame, pd.DataFrame]],
    monthly_labels: Sequence[str],
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The runs table (labels, seed, metrics) and the long monthly table, in the specs' order."""
    finished = [spec for spec in specs if spec.key in results]
    if not finished:
        return pd.DataFrame(columns=[*(specs[0].labels if specs else []), "seed"]), pd.DataFrame()
    labels = pd.DataFrame([{**spec.labels, "seed": spec.seed} for spec in finished])
    metrics = pd.concat([results[spec.key][0] for spec in finished], ignore_index=True)
    # A swept field that is also a summary entry (``months``) appears once, as a parameter.
    metrics = metrics.drop(columns=[c for c in metrics.columns if c in labels.columns])
    runs = pd.concat([labels, metrics], axis=1)
    parts = []
    for spec in finished:
        monthly = results[spec.key][1].copy()
        for i, name in enumerate(monthly_labels):
            monthly.insert(i, name, spec.labels[name])
        parts.append(monthly)
    return runs, pd.concat(parts, ignore_index=True)


def _manifest(
    kind: str,
    scenarios: Sequence[Scenario],
    names: Sequence[str],
    design: dict[str, Any],
    seed: int,
    seeds: list[int],
    months: int | None,
) -> dict[str, Any]:
    from sandbox import __version__

    return {
        "kind": kind,
        "sandbox_version": __version__,
        "sandbox_code": CODE_VERSION,
        "scenario_schema_version": scenario_schema_version(),
        "fingerprints": [s.fingerprint() for s in scenarios],
        "months": months,
        "design": design,
        "seeds": {"root": seed, "children": seeds},
        "scenarios": [
            {
                "name": name,
                "fingerprint": s.fingerprint(),
                "source": s.source,
                "files": scenario_files(s.source),
                "resolved": s.to_dict(),
            }
            for name, s in zip(names, scenarios, strict=True)
        ],
    }


def _finish(result: Any, failures: list[RunFailure], total: int) -> Any:
    result.failures = failures
    if failures:
        raise ExperimentFailures(failures, result, total)
    return result


def _as_scenario(scenario: Scenario | str | Path) -> Scenario:
    return scenario if isinstance(scenario, Scenario) else load_scenario(scenario)


def _check_sizes(runs: int, months: int | None) -> None:
    if runs < 1:
        raise ExperimentError(f"runs: found {runs}; allowed: 1 or more")
    if months is not None and (problem := horizon_problem(months)):
        raise ExperimentError(f"months: {problem}")


# --- replicate ---------------------------------------------------------------------------


def replicate(
    scenario: Scenario | str | Path,
    runs: int = 10,
    seed: int | None = None,
    months: int | None = None,
    workers: int | None = None,
    scheduler: str | Executor | Any | None = None,
    out: str | Path | None = None,
    progress: bool = True,
    chunk_size: int | None = None,
    counterfactuals: bool = False,
) -> ReplicateResult:
    """Run one scenario ``runs`` times with seeds spawned from ``seed``.

    Args:
        scenario: a :class:`Scenario` or the path of a scenario file.
        runs: how many runs.
        seed: the experiment's seed (``None``: the store's when resuming, else drawn).
        months: horizon; defaults to the scenario's.
        workers: processes (``None``: one per core; ``1``: serial, in this process).
        scheduler: ``None`` (local), ``"local"`` (a Dask LocalCluster), a Dask
            scheduler address, or an executor or ``distributed.Client`` you own.
        out: a results store folder: each run is written as it finishes, and a
            second call with the same folder resumes (with more ``runs``, extends it).
        progress: show a progress bar (runs done, failed, ETA).
        chunk_size: runs sent to a worker at once (default: sized to the workers).

    Returns:
        The runs table and the monthly series of all runs.

    Raises:
        ExperimentFailures: some runs raised (after all others finished and were
            written); its ``result`` holds the rest.
        StoreMismatch: ``out`` holds a different experiment, or more runs than ``runs``.
        StoreCorrupt: ``out`` has a damaged manifest, or a run file edited or copied in.
        ExperimentError: bad sizes.
    """
    scenario = _as_scenario(scenario)
    _check_sizes(runs, months)
    seed = _root_seed(seed, out)
    seeds = child_seeds(seed, runs)
    data, fingerprint = scenario.to_dict(), scenario.fingerprint()
    specs = [RunSpec(f"r{i:06d}", data, fingerprint, s, months, {"run": i}, counterfactuals)
             for i, s in enumerate(seeds)]
    design = {"runs": runs, **({"counterfactuals": True} if counterfactuals else {})}
    manifest = _manifest("replicate", [scenario], [scenario.name], design, seed, seeds, months)
    results, failures = _execute(
        specs, manifest, out, workers, scheduler, progress, chunk_size, f"replicate {scenario.name}"
    )
    table, monthly = _tables(specs, results, ["run"])
    result = ReplicateResult(table, monthly, seed=seed, out=Path(out) if out is not None else None)
    return _finish(result, failures, len(specs))


def describe_runs(runs: pd.DataFrame, metrics: Sequence[str] | None = None) -> pd.DataFrame:
    """Mean, standard deviation and 95% t-interval of the mean of each metric over runs.

    Args:
        runs: a runs table (one row per run).
        metrics: which columns (default: every numeric metric).
    """
    metrics = list(metrics) if metrics is not None else metric_columns(runs)
    rows = []
    for metric in metrics:
        x = runs[metric].to_numpy(dtype=float)
        x = x[np.isfinite(x)]
        n = x.size
        mean = float(x.mean()) if n else math.nan
        sd = float(x.std(ddof=1)) if n > 1 else math.nan
        half = float(stats.t.ppf((1 + CONFIDENCE) / 2, n - 1) * sd / math.sqrt(n)) if n > 1 else math.nan
        rows.append({"metric": metric, "mean": mean, "sd": sd, "ci_low": mean - half, "ci_high": mean + half, "n": n})
    return pd.DataFrame(rows)


def metric_columns(runs: pd.DataFrame, exclude: Sequence[str] = ()) -> list[str]:
    """The numeric outcome columns of a runs table (not labels, seeds, horizon or ``exclude``)."""
    skip = {*LABELS, *exclude}
    return [c for c in runs.columns if c not in skip and pd.api.types.is_numeric_dtype(runs[c])]


# --- compare -----------------------------------------------------------------------------


def unique_names(scenarios: Sequence[Scenario]) -> list[str]:
    """The scenarios' names, made unique (file name, then a number) where two share one."""
    names = [s.name for s in scenarios]
    if len(set(names)) < len(names):
        names = [Path(s.source).stem if s.source else s.name for s in scenarios]
    if len(set(names)) < len(names):
        names = [f"{name}_{i}" for i, name in enumerate(names)]
    return names


def compare(
    scenarios: Sequence[Scenario | str | Path],
    runs: int = 10,
    seed: int | None = None,
    months: int | None = None,
    workers: int | None = None,
    scheduler: str | Executor | Any | None = None,
    out: str | Path | None = None,
    progress: bool = True,
    chunk_size: int | None = None,
    counterfactuals: bool = False,
) -> CompareResult:
    """Run two or more scenarios on the same seeds and compare them run by run.

    Run ``i`` of every scenario uses the same seed (common random numbers), so
    the paired differences (each scenario minus the first) cancel most of the
    noise that independent seeds would leave.

    Args:
        scenarios: the reference first, then the proposals (scenarios or paths).
        runs: runs per scenario.
        seed: the experiment's seed (``None``: the store's when resuming, else drawn).
        months: horizon; defaults to each scenario's.
        workers: processes (``None``: one per core; ``1``: serial, in this process).
        scheduler: as for :func:`replicate`.
        out: a results store folder (resumable), as for :func:`replicate`.
        progress: show a progress bar.
        chunk_size: runs sent to a worker at once (default: sized to the workers).

    Returns:
        The runs (with a ``scenario`` column), the monthly series and the
        comparison table (see :func:`comparison_table`).

    Raises:
        ExperimentFailures, StoreMismatch, StoreCorrupt, ExperimentError: as for :func:`replicate`.
    """
    loaded = [_as_scenario(s) for s in scenarios]
    if len(loaded) < 2:
        raise ExperimentError(f"scenarios: found {len(loaded)}; allowed: 2 or more (the first is the reference)")
    _check_sizes(runs, months)
    names = unique_names(loaded)
    seed = _root_seed(seed, out)
    seeds = child_seeds(seed, runs)
    data = [(s.to_dict(), s.fingerprint()) for s in loaded]
    # Run by run, all scenarios together: an interrupted experiment leaves complete pairs.
    specs = [
        RunSpec(f"s{i}-r{r:06d}", data[i][0], data[i][1], s, months, {"scenario": names[i], "run": r},
                counterfactuals)
        for r, s in enumerate(seeds)
        for i in range(len(loaded))
    ]
    design = {"runs": runs, "scenarios": len(loaded), **({"counterfactuals": True} if counterfactuals else {})}
    manifest = _manifest("compare", loaded, names, design, seed, seeds, months)
    results, failures = _execute(
        specs, manifest, out, workers, scheduler, progress, chunk_size, f"compare {' vs '.join(names)}"
    )
    table, monthly = _tables(specs, results, ["scenario", "run"])
    if len(table):
        # Scenario-major order reads better than the execution order.
        order = {name: i for i, name in enumerate(names)}
        table = table.sort_values(["scenario", "run"], key=lambda c: c.map(order) if c.name == "scenario" else c)
        table = table.reset_index(drop=True)
        monthly = monthly.sort_values(["scenario", "run"], key=lambda c: c.map(order) if c.name == "scenario" else c,
                                      kind="stable").reset_index(drop=True)
    result = CompareResult(
        table, monthly, comparison_table(table, names), names, seed=seed, out=Path(out) if out is not None else None
    )
    return _finish(result, failures, len(specs))


def paired_difference(
    first: np.ndarray, second: np.ndarray, better: str | None = None, confidence: float = CONFIDENCE
) -> dict[str, float]:
    """The mean paired difference ``second - first`` with a t-interval, and who did better.

    Args:
        first: the reference's values, run by run.
        second: the proposal's values on the same runs (same seeds).
        better: ``"lower"`` or ``"higher"`` if that is better for this metric, else ``None``.
        confidence: of the interval.

    Returns:
        ``difference``, ``ci_low``, ``ci_high``, ``share_better`` and
        ``share_worse`` (shares of pairs in which the proposal did strictly
        better or worse; NaN without a direction) and ``n`` (pairs used: both
        values finite).
    """
    first, second = np.asarray(first, dtype=float), np.asarray(second, dtype=float)
    ok = np.isfinite(first) & np.isfinite(second)
    d = second[ok] - first[ok]
    n = d.size
    mean = float(d.mean()) if n else math.nan
    half = math.nan
    if n > 1:
        half = float(stats.t.ppf((1 + confidence) / 2, n - 1) * d.std(ddof=1) / math.sqrt(n))
    share_better = share_worse = math.nan
    if better in ("lower", "higher") and n:
        sign = -1.0 if better == "lower" else 1.0
        share_better = float(np.mean(sign * d > 0))
        share_worse = float(np.mean(sign * d < 0))
    return {
        "difference": mean,
        "ci_low": mean - half,
        "ci_high": mean + half,
        "share_better": share_better,
        "share_worse": share_worse,
        "n": n,
    }


def comparison_table(runs: pd.DataFrame, names: Sequence[str], metrics: Sequence[str] | None = None) -> pd.DataFrame:
    """Per metric: each scenario's mean and, for each proposal, the paired difference from the first.

    Args:
        runs: a runs table with ``scenario`` and ``run`` columns.
        names: the scenarios, the reference first.
        metrics: which metrics (default: every numeric one).

    Returns:
        One row per metric and proposal: ``metric``, ``mean_<name>`` for every
        scenario, ``versus`` (the proposal), ``difference`` (proposal minus
        reference, over runs finished under both), ``ci_low``, ``ci_high``
        (95% t-interval of the mean paired difference), ``share_better``,
        ``share_worse``, ``n`` (pairs), ``better`` (``lower``, ``higher`` or
        empty: see :data:`BETTER`).
    """
    metrics = list(metrics) if metrics is not None else metric_columns(runs)
    by_name = {name: runs[runs["scenario"] == name].set_index("run") for name in names}
    rows = []
    for other in names[1:]:
        for metric in metrics:
            a, b = by_name[names[0]][metric].align(by_name[other][metric], join="inner")
            means = {f"mean_{name}": float(by_name[name][metric].mean()) for name in names}
            better = BETTER.get(metric)
            stats_ = paired_difference(a.to_numpy(dtype=float), b.to_numpy(dtype=float), better)
            rows.append({"metric": metric, **means, "versus": other, **stats_, "better": better or ""})
    return pd.DataFrame(rows)


# --- sweep -------------------------------------------------------------------------------


def _current_value(data: Any, path: str) -> Any:
    """The value at a dotted path of ``Scenario.to_dict()`` (``regime.<rule>.x``: the first such rule)."""
    parts = path.split(".")
    if parts[0] == "regime" and len(parts) >= 3 and not parts[1].isdigit():
        entries = [e[parts[1]] for e in data.get("regime", []) if isinstance(e, dict) and parts[1] in e]
        return _current_value(entries[0], ".".join(parts[2:])) if entries else None
    node = data
    for key in parts:
        if isinstance(node, list) and key.isdigit() and int(key) < len(node):
            node = node[int(key)]
        elif isinstance(node, dict) and key in node:
            node = node[key]
        else:
            return None
    return node


def _with_values(scenario: Scenario, values: Mapping[str, Any]) -> Scenario:
    """``scenario.with_updates(values)``, every problem as a one-line :class:`ExperimentError`."""
    try:
        return scenario.with_updates(dict(values))
    except ScenarioError as err:
        raise ExperimentError(err.problems[0].replace("<scenario>: ", "")) from None
    except (KeyError, IndexError, TypeError, AttributeError, ValueError) as err:
        paths = ", ".join(values)
        raise ExperimentError(f"{paths}: not a field of the scenario ({type(err).__name__}: {err})") from None


def check_parameters(
    scenario: Scenario, parameters: Mapping[str, Sequence[float]]
) -> tuple[dict[str, tuple[float, float]], dict[str, bool]]:
    """Check swept parameters: known paths, numbers, LOW < HIGH, both ends valid.

    Returns:
        The bounds as floats, and which parameters are integer fields (their
        values are rounded).

    Raises:
        ExperimentError: the first problem found.
    """
    if not parameters:
        raise ExperimentError("parameters: none given; allowed: at least one dotted path with (low, high)")
    data = scenario.to_dict()
    bounds: dict[str, tuple[float, float]] = {}
    integer: dict[str, bool] = {}
    for path, pair in parameters.items():
        try:
            low, high = (float(x) for x in pair)
        except (TypeError, ValueError):
            raise ExperimentError(f"{path}: found {pair!r}; allowed: (low, high), two numbers") from None
        if not (math.isfinite(low) and math.isfinite(high)) or low >= high:
            raise ExperimentError(f"{path}: found low {low:g}, high {high:g}; allowed: low < high")
        current = _current_value(data, path)
        if isinstance(current, bool) or isinstance(current, str):
            raise ExperimentError(f"{path}: is {type(current).__name__}; allowed: a numeric field")
        integer[path] = isinstance(current, int)
        for end in (low, high):
            _with_values(scenario, {path: round(end) if integer[path] else end})
        bounds[path] = (low, high)
    return bounds, integer


def sample_design(
    parameters: Mapping[str, tuple[float, float]], design: str, points: int, seed: int
) -> np.ndarray:
    """The design's points, one row per point, one column per parameter.

    Args:
        parameters: dotted path to ``(low, high)``.
        design: ``grid`` (``points`` per axis: ``points ** d`` points),
            ``lhs`` (``points`` Latin hypercube points), ``sobol`` (SALib's
            Saltelli/Sobol' sample, ``points`` base samples, first and total
            order: ``points * (d + 2)`` points), ``morris`` (SALib's Morris
            sample, ``points`` trajectories: ``points * (d + 1)`` points).
        points: see ``design``.
        seed: seeds the random designs.
    """
    names = list(parameters)
    lows = np.array([parameters[p][0] for p in names])
    highs = np.array([parameters[p][1] for p in names])
    problem = {"num_vars": len(names), "names": names, "bounds": [list(parameters[p]) for p in names]}
    if design == "grid":
        axes = [np.linspace(lo, hi, points) for lo, hi in zip(lows, highs, strict=True)]
        return np.array(list(itertools.product(*axes)), dtype=float).reshape(-1, len(names))
    if design == "lhs":
        from scipy.stats import qmc

        unit = qmc.LatinHypercube(d=len(names), rng=np.random.default_rng(seed)).random(points)
        return qmc.scale(unit, lows, highs)
    if design == "sobol":
        import warnings

        from SALib.sample import sobol

        with warnings.catch_warnings():
            # SALib warns when N is not a power of 2; the sample is still valid.
            warnings.simplefilter("ignore", UserWarning)
            return sobol.sample(problem, points, calc_second_order=False, seed=seed)
    if design == "morris":
        from SALib.sample import morris

        return morris.sample(problem, points, num_levels=MORRIS_LEVELS, seed=seed)
    raise ExperimentError(f"design: found {design!r}; allowed: {', '.join(DESIGNS)}")


def sweep(
    scenario: Scenario | str | Path,
    parameters: Mapping[str, Sequence[float]],
    design: Design = "lhs",
    points: int = 10,
    runs: int = 1,
    seed: int | None = None,
    months: int | None = None,
    workers: int | None = None,
    scheduler: str | Executor | Any | None = None,
    out: str | Path | None = None,
    progress: bool = True,
    chunk_size: int | None = None,
    counterfactuals: bool = False,
) -> SweepResult:
    """Vary scenario parameters over a design and run ``runs`` replicates at each point.

    Args:
        scenario: the scenario to vary (or its path).
        parameters: dotted path (as for :meth:`Scenario.with_updates`) to
            ``(low, high)``, e.g. ``{"regime.rate_cap.apr": (0.12, 0.36)}``.
            Integer fields get rounded values.
        design: ``grid``, ``lhs``, ``sobol`` or ``morris`` (see :func:`sample_design`).
        points: points per axis (grid), points (lhs), base samples (sobol),
            trajectories (morris).
        runs: replicates per point; every point uses the same ``runs`` seeds.
        seed: the experiment's seed, which also seeds the design (``None``:
            the store's when resuming, else drawn).
        months: horizon; defaults to the scenario's.
        workers: processes (``None``: one per core; ``1``: serial, in this process).
        scheduler: as for :func:`replicate`.
        out: a results store folder (resumable), as for :func:`replicate`.
        progress: show a progress bar.
        chunk_size: runs sent to a worker at once (default: sized to the workers).

    Returns:
        The design, the runs (parameter values, run, seed, metrics) and the monthly series.

    Raises:
        ExperimentError: bad parameters (unknown path, low >= high), design or sizes.
        ExperimentFailures, StoreMismatch, StoreCorrupt: as for :func:`replicate`.
    """
    scenario = _as_scenario(scenario)
    _check_sizes(runs, months)
    if design not in DESIGNS:
        raise ExperimentError(f"design: found {design!r}; allowed: {', '.join(DESIGNS)}")
    if points < (2 if design == "grid" else 1):
        raise ExperimentError(f"points: found {points}; allowed: {2 if design == 'grid' else 1} or more")
    bounds, integer = check_parameters(scenario, parameters)
    seed = _root_seed(seed, out)
    samples = sample_design(bounds, design, points, _design_seed(seed))
    names = list(bounds)
    values = [
        {p: int(round(x)) if integer[p] else float(x) for p, x in zip(names, row, strict=True)} for row in samples
    ]
    seeds = child_seeds(seed, runs)
    specs = []
    for p, point_values in enumerate(values):
        try:
            point = _with_values(scenario, point_values)
        except ExperimentError as err:
            raise ExperimentError(f"point {p}: {err}") from None
        data, fingerprint = point.to_dict(), point.fingerprint()
        for r, s in enumerate(seeds):
            labels = {"point": p, **point_values, "run": r}
            specs.append(RunSpec(f"p{p:06d}-r{r:06d}", data, fingerprint, s, months, labels, counterfactuals))
    design_record = {
        "design": design,
        "points": points,
        "runs": runs,
        **({"counterfactuals": True} if counterfactuals else {}),
        "parameters": {p: list(b) for p, b in bounds.items()},
        "values": values,
    }
    manifest = _manifest("sweep", [scenario], [scenario.name], design_record, seed, seeds, months)
    # The design as sampled (integer parameters unrounded), for SALib's analyses of a stored sweep.
    manifest["design_samples"] = samples.tolist()
    results, failures = _execute(
        specs, manifest, out, workers, scheduler, progress, chunk_size, f"sweep {scenario.name} ({design})"
    )
    table, monthly = _tables(specs, results, ["point", "run"])
    result = SweepResult(
        parameters=bounds,
        design=design,
        samples=samples,
        points=pd.DataFrame([{"point": p, **v} for p, v in enumerate(values)]),
        runs=table,
        monthly=monthly,
        runs_per_point=runs,
        scenario_name=scenario.name,
        seed=seed,
        out=Path(out) if out is not None else None,
    )
    return _finish(result, failures, len(specs))


# --- sensitivity -------------------------------------------------------------------------


def sensitivity(
    result: SweepResult,
    outputs: str | Sequence[str] = DEFAULT_OUTPUTS,
    method: Literal["sobol", "morris"] | None = None,
) -> pd.DataFrame:
    """Sensitivity indices of ``outputs`` to the swept parameters (SALib).

    Each point's output is its mean over replicates.

    Args:
        result: a sweep with ``design="sobol"`` (for ``method="sobol"``) or
            ``design="morris"`` (for ``method="morris"``).
        outputs: metric names (columns of ``result.runs``).
        method: ``sobol`` (first-order and total indices) or ``morris``
            (elementary effects); default: the sweep's design.

    Returns:
        One row per output and parameter: ``output``, ``parameter`` and, for
        sobol, ``S1``, ``S1_conf``, ``ST``, ``ST_conf``; for morris, ``mu``,
        ``mu_star``, ``mu_star_conf``, ``sigma``.

    Raises:
        ExperimentError: method and design do not match, an unknown output, or
            a point with no finished run.
    """
    outputs = [outputs] if isinstance(outputs, str) else list(outputs)
    method = method or result.design  # type: ignore[assignment]
    if method not in ("sobol", "morris"):
        raise ExperimentError(f"method: found {method!r}; allowed: sobol, morris")
    if result.design != method:
        raise ExperimentError(f"method {method} needs a sweep with design='{method}'; this one is '{result.design}'")
    unknown = [o for o in outputs if o not in result.runs.columns]
    if unknown:
        allowed = ", ".join(metric_columns(result.runs, exclude=list(result.parameters)))
        raise ExperimentError(f"outputs: unknown {', '.join(unknown)}; allowed: {allowed}")
    means = result.point_means(outputs)
    problem = result.problem()
    analyze: Callable[[np.ndarray], dict[str, Any]]
    if method == "sobol":
        from SALib.analyze import sobol

        columns = ["S1", "S1_conf", "ST", "ST_conf"]

        def analyze(y: np.ndarray) -> dict[str, Any]:
            return sobol.analyze(problem, y, calc_second_order=False, seed=result.seed % 2**32)
    else:
        from SALib.analyze import morris

        columns = ["mu", "mu_star", "mu_star_conf", "sigma"]

        def analyze(y: np.ndarray) -> dict[str, Any]:
            return morris.analyze(problem, result.samples, y, num_levels=MORRIS_LEVELS, seed=result.seed % 2**32)

    rows = []
    for output in outputs:
        y = means[output].to_numpy(dtype=float)
        missing = np.flatnonzero(~np.isfinite(y))
        if missing.size:
            where = missing[:10].tolist()
            raise ExperimentError(f"{output}: no value at points {where} (their runs failed); rerun them first")
        indices = analyze(y)
        for i, name in enumerate(problem["names"]):
            rows.append({"output": output, "parameter": name, **{c: float(indices[c][i]) for c in columns}})
    return pd.DataFrame(rows, columns=["output", "parameter", *columns])


# --- interop -----------------------------------------------------------------------------


def to_ema(result: SweepResult, series: bool = False) -> tuple[pd.DataFrame, dict[str, np.ndarray]]:
    """A sweep in EMA Workbench's ``(experiments, outcomes)`` format, e.g. for its PRIM.

    One experiment per finished run (replicates are separate experiments of
    the same ``scenario``, the design point).

    Args:
        result: a sweep.
        series: also give each monthly variable ``v`` as ``monthly_v``, an
            ``(experiments, months)`` array, with ``TIME`` (month index).

    Returns:
        ``experiments``: the parameter values, then ``scenario`` (the point),
        ``policy`` and ``model`` as categories, as EMA Workbench builds them;
        ``outcomes``: metric name to an array with one value per experiment.
    """
    names = list(result.parameters)
    runs = result.runs.reset_index(drop=True)
    experiments = runs[names].copy()
    experiments["scenario"] = pd.Categorical(runs["point"])
    experiments["policy"] = pd.Categorical(["none"] * len(runs))
    experiments["model"] = pd.Categorical([result.scenario_name] * len(runs))
    outcomes = {m: runs[m].to_numpy(dtype=float) for m in metric_columns(runs, exclude=names)}
    if series and len(runs):
        monthly = result.monthly.set_index(["point", "run"])
        keys = list(zip(runs["point"], runs["run"], strict=True))
        lengths = monthly.groupby(level=[0, 1]).size()
        if lengths.nunique() != 1:
            raise ExperimentError("series: runs have different horizons; allowed: one horizon for all runs")
        months = int(lengths.iloc[0])
        variables = [c for c in monthly.columns if c != "month" and pd.api.types.is_numeric_dtype(monthly[c])]
        block = monthly.loc[keys, variables]
        for v in variables:
            # Prefixed: some monthly variables share a name with a summary metric.
            outcomes[f"monthly_{v}"] = block[v].to_numpy(dtype=float).reshape(len(runs), months)
        outcomes["TIME"] = np.tile(np.arange(months, dtype=float), (len(runs), 1))
    return experiments, outcomes


__all__ = [
    "BETTER",
    "CompareResult",
    "ExperimentError",
    "ExperimentFailures",
    "ReplicateResult",
    "RunFailure",
    "SweepResult",
    "check_parameters",
    "child_seeds",
    "compare",
    "comparison_table",
    "describe_runs",
    "flatten_summary",
    "metric_columns",
    "paired_difference",
    "replicate",
    "sample_design",
    "sensitivity",
    "sweep",
    "to_ema",
]
