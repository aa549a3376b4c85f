"""Many runs: replicates, paired comparisons and sweeps on common random numbers.

:mod:`~sandbox.experiments.runner` designs and runs experiments,
:mod:`~sandbox.experiments.store` keeps finished runs resumable on disk, and
:mod:`~sandbox.experiments.executors` runs them serially, on local processes or on Dask.
"""

from sandbox.experiments.runner import *  # noqa: F403 - the public verbs live in runner
from sandbox.experiments.runner import __all__, run_chunk  # noqa: F401 - run_chunk: for workers
