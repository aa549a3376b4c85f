"""Many runs: replicates, paired comparisons and sweeps on common random numbers.

    >>> from sandbox.experiments import Execution, compare, replicate, sensitivity, sweep, to_ema

One module per concept, from the bottom up:

- :mod:`~sandbox.experiments.statistics`: means, intervals and paired differences of runs tables;
- :mod:`~sandbox.experiments.results`: what an experiment returns, and its errors;
- :mod:`~sandbox.experiments.store`: finished runs kept resumable on disk;
- :mod:`~sandbox.experiments.design`: the runs' seeds and a sweep's points;
- :mod:`~sandbox.experiments.executors`: serial, local processes or Dask;
- :mod:`~sandbox.experiments.execution`: the :class:`Execution` options and the run loop;
- :mod:`~sandbox.experiments.runner`: ``replicate``, ``compare`` and ``sweep``;
- :mod:`~sandbox.experiments.sensitivity`: SALib's indices and EMA Workbench's format.
"""

from sandbox.experiments.design import DESIGNS, Design, check_parameters, child_seeds, sample_design
from sandbox.experiments.execution import Execution, flatten_summary, run_chunk
from sandbox.experiments.results import (
    CompareResult,
    ExperimentError,
    ExperimentFailures,
    ReplicateResult,
    RunFailure,
    SweepResult,
)
from sandbox.experiments.runner import compare, replicate, sweep, unique_names
from sandbox.experiments.sensitivity import DEFAULT_OUTPUTS, sensitivity, to_ema
from sandbox.experiments.statistics import (
    BETTER,
    channel_table,
    comparison_table,
    describe_runs,
    metric_columns,
    paired_difference,
)

__all__ = [
    "BETTER",
    "DEFAULT_OUTPUTS",
    "DESIGNS",
    "CompareResult",
    "Design",
    "Execution",
    "ExperimentError",
    "ExperimentFailures",
    "ReplicateResult",
    "RunFailure",
    "SweepResult",
    "channel_table",
    "check_parameters",
    "child_seeds",
    "compare",
    "comparison_table",
    "describe_runs",
    "flatten_summary",
    "metric_columns",
    "paired_difference",
    "replicate",
    "run_chunk",
    "sample_design",
    "sensitivity",
    "sweep",
    "to_ema",
    "unique_names",
]
