"""Observed data for calibration, read from the project's ``data/`` folder (training window: to 2017-12).

>>> from sandbox import data
>>> data.describe()                                  # the catalogue: series, units, vintages, sources
>>> data.series("WDZJ operating platforms (month-end)")  # every figure, one row each, vintages apart
>>> data.monthly_events()                            # new problem and closed platforms, 2014-01..2017-06

This layer sits above ``config`` and below ``api``/``experiments``; it imports
only :mod:`sandbox.common`. ``docs/data.md`` documents the data and every choice.
"""

from sandbox.data.china_p2p import (
    CAUSES,
    VINTAGES,
    cause_shares,
    data_dir,
    describe,
    monthly_events,
    problem_platforms,
    series,
    vintages,
)
from sandbox.data.periods import TRAINING_END, DataError

__all__ = [
    "CAUSES",
    "TRAINING_END",
    "VINTAGES",
    "DataError",
    "cause_shares",
    "data_dir",
    "describe",
    "monthly_events",
    "problem_platforms",
    "series",
    "vintages",
]
