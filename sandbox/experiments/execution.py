"""How an experiment's runs are executed: the options, what a worker receives and returns, the loop.

:class:`Execution` gathers the options that say how runs execute and where they are
kept, once, for :func:`~sandbox.experiments.runner.replicate`,
:func:`~sandbox.experiments.runner.compare` and :func:`~sandbox.experiments.runner.sweep`
(the command line builds one per command). :func:`execute` sends :class:`RunSpec`
chunks to a backend (:mod:`sandbox.experiments.executors`), writes each finished run to
the store (:mod:`sandbox.experiments.store`) and collects failures without stopping.
"""

from __future__ import annotations

import math
import traceback as tb
from collections.abc import Mapping, Sequence
from concurrent.futures import Executor
from dataclasses import dataclass, fields, replace
from pathlib import Path
from typing import Any

import pandas as pd

from sandbox.api import run as run_scenario
from sandbox.config.scenario import Scenario, scenario_from_dict
from sandbox.experiments.executors import chunk, open_backend, run_chunks
from sandbox.experiments.results import RunFailure
from sandbox.experiments.store import CODE_VERSION, RunStore

# Summary entries that are not outcomes (the seed goes in its own column; the
# scenario's name in ``compare``'s ``scenario`` column).
NOT_METRICS = ("scenario", "seed")


@dataclass(frozen=True)
class Execution:
    """How an experiment's runs execute and where they are kept: the same for every experiment.

    Pass one to :func:`~sandbox.experiments.runner.replicate`, ``compare`` or ``sweep``
    as ``execution=``; or, as a shortcut, give its fields as keywords
    (``replicate(s, workers=1, progress=False)``), which override those of ``execution``.
    None of these options changes a run's draws: results are identical bit for bit
    whatever the workers, scheduler or chunks.

    Attributes:
        workers: processes (``None``: one per core; ``1``: serial, in this process).
        scheduler: ``None`` (local), ``"local"`` (a Dask LocalCluster), a Dask
            scheduler address, or an executor or ``distributed.Client`` you own.
        out: a results store folder: each run is written as it finishes, and a
            second call with the same folder resumes (with more runs, extends it).
        progress: show a progress bar (runs done, failed, ETA).
        chunk_size: runs sent to a worker at once (default: sized to the workers).
        counterfactuals: also rerun each run with each contagion channel off, adding
            ``failures_avoided_<channel>`` columns (about five times the cost; recorded
            in the store's design, so a store is resumed with the same choice).
    """

    workers: int | None = None
    scheduler: str | Executor | Any | None = None
    out: str | Path | None = None
    progress: bool = True
    chunk_size: int | None = None
    counterfactuals: bool = False

    @classmethod
    def of(cls, execution: Execution | None, options: Mapping[str, Any], caller: str) -> Execution:
        """``execution`` (default: the defaults) with the keyword shortcuts ``options`` applied.

        Raises:
            TypeError: an option that is not a field, named as Python names a bad keyword.
        """
        known = {f.name for f in fields(cls)}
        unknown = [name for name in options if name not in known]
        if unknown:
            raise TypeError(
                f"{caller}() got an unexpected keyword argument {unknown[0]!r} "
                f"(execution options: {', '.join(sorted(known))})"
            )
        return replace(execution or cls(), **options)


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


def _simulate(
    scenario: Scenario, seed: int, months: int | None, counterfactuals: bool = False
) -> tuple[dict[str, Any], pd.DataFrame]:
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


def execute(
    specs: list[RunSpec], manifest: dict[str, Any], execution: Execution, desc: str
) -> tuple[dict[str, tuple[pd.DataFrame, pd.DataFrame]], list[RunFailure]]:
    """Run the runs not already in the store; every run's summary row and monthly series, and the failures.

    Args:
        specs: every run of the experiment, in order.
        manifest: the experiment's identity, for the store (see :mod:`sandbox.experiments.store`).
        execution: where the runs go (workers, scheduler, chunks) and where they are kept (``out``).
        desc: the progress bar's label.
    """
    from tqdm.auto import tqdm

    out = execution.out
    store = RunStore.open(out, manifest) if out is not None else None
    keys = {spec.key for spec in specs}
    done = store.finished() & keys if store else set()
    todo = [spec for spec in specs if spec.key not in done]
    by_key = {spec.key: spec for spec in specs}
    results: dict[str, tuple[pd.DataFrame, pd.DataFrame]] = {}
    failures: dict[str, RunFailure] = {}
    bar = tqdm(
        total=len(specs), initial=len(done), disable=not execution.progress, unit="run", desc=desc, dynamic_ncols=True
    )
    bar.set_postfix(failed=0)

    def record_failure(outcome: RunOutcome) -> None:
        spec = by_key[outcome.key]
        failure = RunFailure(spec.key, spec.labels, spec.seed, outcome.error or "", outcome.traceback)
        if store:
            store.write_failure(
                spec.key,
                {
                    "key": spec.key,
                    **failure.labels,
                    "seed": spec.seed,
                    "error": failure.error,
                    "traceback": failure.traceback,
                },
            )
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
            with open_backend(execution.workers, execution.scheduler) as backend:
                chunks = chunk(todo, backend.workers, execution.chunk_size)
                run_chunks(backend, run_chunk, chunks, on_result, on_error)
    finally:
        bar.close()
    if store:
        for key in done:
            results[key] = store.read_run(key)
        store.close(ran=len(todo), failed=len(failures))
    return results, [failures[s.key] for s in specs if s.key in failures]


def tables(
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


__all__ = ["Execution", "RunOutcome", "RunSpec", "execute", "flatten_summary", "run_chunk", "tables"]
