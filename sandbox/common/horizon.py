"""The horizon: how many months one run may simulate.

One bound, used by the scenario schema, the Python API, the experiment runner
and the command line, so that all of them accept and refuse the same numbers.
This module imports nothing, so the command line can read it without loading
pydantic or the model.
"""

from __future__ import annotations

MIN_MONTHS = 1
"""Shortest horizon, in months."""

MAX_MONTHS = 600
"""Longest horizon, in months (50 years): longer than any market the model
describes, and a bound on the memory a run's monthly tables take."""


def horizon_problem(months: int) -> str | None:
    """What is wrong with ``months`` as a horizon (``"found 0; allowed: 1 to 600"``), or None."""
    if MIN_MONTHS <= months <= MAX_MONTHS:
        return None
    return f"found {months}; allowed: {MIN_MONTHS} to {MAX_MONTHS}"
