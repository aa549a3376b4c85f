"""What an experiment gives back: its results, its failed runs, and its errors.

:func:`~sandbox.experiments.runner.replicate`, :func:`~sandbox.experiments.runner.compare`
and :func:`~sandbox.experiments.runner.sweep` return a :class:`ReplicateResult`, a
:class:`CompareResult` and a :class:`SweepResult`; runs that raised come back as
:class:`RunFailure` records inside :class:`ExperimentFailures`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from sandbox.experiments.statistics import channel_table, describe_runs


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

    def channels(self) -> pd.DataFrame:
        """Per contagion channel, failures attributed, avoided and added over runs (see :func:`channel_table`);
        empty unless run with counterfactuals."""
        return channel_table(self.runs)


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

    def channels(self) -> pd.DataFrame:
        """Per scenario and contagion channel, failures attributed, avoided and added over runs
        (see :func:`channel_table`); empty unless run with counterfactuals."""
        return channel_table(self.runs, by="scenario")


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


__all__ = [
    "CompareResult",
    "ExperimentError",
    "ExperimentFailures",
    "ReplicateResult",
    "RunFailure",
    "SweepResult",
]
