"""What a sweep says about its parameters: SALib's sensitivity indices, and EMA Workbench's format.

>>> sw = experiments.sweep(base, {"regime.rate_cap.apr": (0.12, 0.36)}, design="sobol", points=64)
>>> experiments.sensitivity(sw, ["investor_loss_total"], method="sobol")
>>> experiments_table, outcomes = experiments.to_ema(sw)   # e.g. for EMA Workbench's PRIM
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, Literal

import numpy as np
import pandas as pd

from sandbox.experiments.design import MORRIS_LEVELS
from sandbox.experiments.results import ExperimentError, SweepResult
from sandbox.experiments.statistics import metric_columns

DEFAULT_OUTPUTS = ("investor_loss_total", "platform_failures", "contagion_share", "credit_supplied_total")


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


__all__ = ["DEFAULT_OUTPUTS", "sensitivity", "to_ema"]
