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

How the runs execute is one :class:`~sandbox.experiments.execution.Execution` for all
three verbs: ``execution=Execution(workers=4, out="out/reps")``, or its fields as keywords
(``workers=4, out="out/reps"``). Runs execute through :mod:`sandbox.experiments.executors`
(serial, loky processes or Dask) and, with ``out``, each finished run is written to a
results store (:mod:`sandbox.experiments.store`) at once; calling again with the same
``out`` resumes, and calling with more ``runs`` extends the store (the stored runs are
reused: run ``i`` keeps child seed ``i``). Fewer runs than stored are refused.

Seeds and sweep designs are in :mod:`~sandbox.experiments.design`, result types in
:mod:`~sandbox.experiments.results`, the statistics of runs tables in
:mod:`~sandbox.experiments.statistics`, and sensitivity indices in
:mod:`~sandbox.experiments.sensitivity`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import pandas as pd

from sandbox.common.horizon import horizon_problem
from sandbox.config.scenario import Scenario, load_scenario, scenario_schema_version
from sandbox.experiments.design import (
    DESIGNS,
    Design,
    check_parameters,
    child_seeds,
    design_seed,
    root_seed,
    sample_design,
    with_values,
)
from sandbox.experiments.execution import Execution, RunSpec, execute, tables
from sandbox.experiments.results import (
    CompareResult,
    ExperimentError,
    ExperimentFailures,
    ReplicateResult,
    RunFailure,
    SweepResult,
)
from sandbox.experiments.statistics import comparison_table
from sandbox.experiments.store import CODE_VERSION, scenario_files


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


def _out_path(execution: Execution) -> Path | None:
    return Path(execution.out) if execution.out is not None else None


# --- replicate ---------------------------------------------------------------------------


def replicate(
    scenario: Scenario | str | Path,
    runs: int = 10,
    seed: int | None = None,
    months: int | None = None,
    *,
    execution: Execution | None = None,
    **options: Any,
) -> ReplicateResult:
    """Run one scenario ``runs`` times with seeds spawned from ``seed``.

    Args:
        scenario: a :class:`Scenario` or the path of a scenario file.
        runs: how many runs.
        seed: the experiment's seed (``None``: the store's when resuming, else drawn).
        months: horizon; defaults to the scenario's.
        execution: how the runs execute and where they are kept (workers,
            scheduler, ``out``, progress, chunk size, counterfactuals): see
            :class:`~sandbox.experiments.execution.Execution`.
        **options: :class:`~sandbox.experiments.execution.Execution`'s fields as
            keywords, a shortcut (``workers=1, out="out/reps"``); they override
            ``execution``'s.

    Returns:
        The runs table and the monthly series of all runs.

    Raises:
        ExperimentFailures: some runs raised (after all others finished and were
            written); its ``result`` holds the rest.
        StoreMismatch: ``out`` holds a different experiment, or more runs than ``runs``.
        StoreCorrupt: ``out`` has a damaged manifest, or a run file edited or copied in.
        ExperimentError: bad sizes.
    """
    execution = Execution.of(execution, options, "replicate")
    scenario = _as_scenario(scenario)
    _check_sizes(runs, months)
    seed = root_seed(seed, execution.out)
    seeds = child_seeds(seed, runs)
    data, fingerprint = scenario.to_dict(), scenario.fingerprint()
    specs = [
        RunSpec(f"r{i:06d}", data, fingerprint, s, months, {"run": i}, execution.counterfactuals)
        for i, s in enumerate(seeds)
    ]
    design = {"runs": runs, **({"counterfactuals": True} if execution.counterfactuals else {})}
    manifest = _manifest("replicate", [scenario], [scenario.name], design, seed, seeds, months)
    results, failures = execute(specs, manifest, execution, f"replicate {scenario.name}")
    table, monthly = tables(specs, results, ["run"])
    result = ReplicateResult(table, monthly, seed=seed, out=_out_path(execution))
    return _finish(result, failures, len(specs))


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
    *,
    execution: Execution | None = None,
    **options: Any,
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
        execution: how the runs execute and where they are kept, as for :func:`replicate`.
        **options: :class:`~sandbox.experiments.execution.Execution`'s fields as keywords.

    Returns:
        The runs (with a ``scenario`` column), the monthly series and the
        comparison table (see :func:`comparison_table`).

    Raises:
        ExperimentFailures, StoreMismatch, StoreCorrupt, ExperimentError: as for :func:`replicate`.
    """
    execution = Execution.of(execution, options, "compare")
    loaded = [_as_scenario(s) for s in scenarios]
    if len(loaded) < 2:
        raise ExperimentError(f"scenarios: found {len(loaded)}; allowed: 2 or more (the first is the reference)")
    _check_sizes(runs, months)
    names = unique_names(loaded)
    seed = root_seed(seed, execution.out)
    seeds = child_seeds(seed, runs)
    data = [(s.to_dict(), s.fingerprint()) for s in loaded]
    # Run by run, all scenarios together: an interrupted experiment leaves complete pairs.
    specs = [
        RunSpec(
            f"s{i}-r{r:06d}",
            data[i][0],
            data[i][1],
            s,
            months,
            {"scenario": names[i], "run": r},
            execution.counterfactuals,
        )
        for r, s in enumerate(seeds)
        for i in range(len(loaded))
    ]
    extra = {"counterfactuals": True} if execution.counterfactuals else {}
    design = {"runs": runs, "scenarios": len(loaded), **extra}
    manifest = _manifest("compare", loaded, names, design, seed, seeds, months)
    results, failures = execute(specs, manifest, execution, f"compare {' vs '.join(names)}")
    table, monthly = tables(specs, results, ["scenario", "run"])
    if len(table):
        # Scenario-major order reads better than the execution order.
        order = {name: i for i, name in enumerate(names)}
        table = table.sort_values(["scenario", "run"], key=lambda c: c.map(order) if c.name == "scenario" else c)
        table = table.reset_index(drop=True)
        monthly = monthly.sort_values(
            ["scenario", "run"], key=lambda c: c.map(order) if c.name == "scenario" else c, kind="stable"
        ).reset_index(drop=True)
    result = CompareResult(table, monthly, comparison_table(table, names), names, seed=seed, out=_out_path(execution))
    return _finish(result, failures, len(specs))


# --- sweep -------------------------------------------------------------------------------


def sweep(
    scenario: Scenario | str | Path,
    parameters: Mapping[str, Sequence[float]],
    design: Design = "lhs",
    points: int = 10,
    runs: int = 1,
    seed: int | None = None,
    months: int | None = None,
    *,
    execution: Execution | None = None,
    **options: Any,
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
        execution: how the runs execute and where they are kept, as for :func:`replicate`.
        **options: :class:`~sandbox.experiments.execution.Execution`'s fields as keywords.

    Returns:
        The design, the runs (parameter values, run, seed, metrics) and the monthly series.

    Raises:
        ExperimentError: bad parameters (unknown path, low >= high), design or sizes.
        ExperimentFailures, StoreMismatch, StoreCorrupt: as for :func:`replicate`.
    """
    execution = Execution.of(execution, options, "sweep")
    scenario = _as_scenario(scenario)
    _check_sizes(runs, months)
    if design not in DESIGNS:
        raise ExperimentError(f"design: found {design!r}; allowed: {', '.join(DESIGNS)}")
    if points < (2 if design == "grid" else 1):
        raise ExperimentError(f"points: found {points}; allowed: {2 if design == 'grid' else 1} or more")
    bounds, integer = check_parameters(scenario, parameters)
    seed = root_seed(seed, execution.out)
    samples = sample_design(bounds, design, points, design_seed(seed))
    names = list(bounds)
    values = [
        {p: int(round(x)) if integer[p] else float(x) for p, x in zip(names, row, strict=True)} for row in samples
    ]
    seeds = child_seeds(seed, runs)
    specs = []
    for p, point_values in enumerate(values):
        try:
            point = with_values(scenario, point_values)
        except ExperimentError as err:
            raise ExperimentError(f"point {p}: {err}") from None
        data, fingerprint = point.to_dict(), point.fingerprint()
        for r, s in enumerate(seeds):
            labels = {"point": p, **point_values, "run": r}
            specs.append(RunSpec(f"p{p:06d}-r{r:06d}", data, fingerprint, s, months, labels, execution.counterfactuals))
    design_record = {
        "design": design,
        "points": points,
        "runs": runs,
        **({"counterfactuals": True} if execution.counterfactuals else {}),
        "parameters": {p: list(b) for p, b in bounds.items()},
        "values": values,
    }
    manifest = _manifest("sweep", [scenario], [scenario.name], design_record, seed, seeds, months)
    # The design as sampled (integer parameters unrounded), for SALib's analyses of a stored sweep.
    manifest["design_samples"] = samples.tolist()
    results, failures = execute(specs, manifest, execution, f"sweep {scenario.name} ({design})")
    table, monthly = tables(specs, results, ["point", "run"])
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
        out=_out_path(execution),
    )
    return _finish(result, failures, len(specs))


__all__ = ["DESIGNS", "Design", "compare", "replicate", "sample_design", "sweep", "unique_names"]
