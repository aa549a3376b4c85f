"""Calibration: fit a scenario's parameters to observed data by ABC-SMC (pyabc).

    >>> from sandbox.experiments import calibration
    >>> observed = calibration.read_observed("targets.csv")          # month, series, value[, sd]
    >>> fitted = calibration.calibrate(
    ...     scenario, observed, {"market.investors.wealth_median": (5e3, 5e4)},
    ...     particles=200, populations=8, seed=1, workers=2, db="out/calibration.db")
    >>> fitted.posterior                                            # one row per particle, and weight

The method (``docs/calibration.md``): uniform priors on dotted scenario paths (``sweep``'s
notation), pyabc's ABC-SMC with its adaptive p-norm distance over one statistic per observed
(month, series) point, and pyabc's SQLite history, so that an interrupted calibration resumes.
Goodness of fit and the output files are in :mod:`sandbox.experiments.fit`.

Only data up to 2017-12 (:data:`sandbox.data.TRAINING_END`) may be fitted: later years are
held back to test the model, so observed rows dated later are refused, never dropped.
"""

from __future__ import annotations

import hashlib
import json
import logging
import math
import re
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from sandbox.common.dates import month_index, month_label
from sandbox.config.scenario import Scenario
from sandbox.data import TRAINING_END, DataError, monthly_events, series
from sandbox.experiments.design import check_parameters, with_values
from sandbox.experiments.executors import default_workers
from sandbox.experiments.results import ExperimentError

if TYPE_CHECKING:
    import pyabc

log = logging.getLogger(__name__)

#: Columns of an observed-data CSV; ``sd`` is optional.
REQUIRED = ("month", "series", "value")
#: Named statistics: ``SERIES:year`` is the calendar year's sum of a monthly column, dated
#: at the year's last month (``YYYY-12``), e.g. ``failures_total:year``.
STATISTICS = ("year",)
#: Built-in target sets (``--data NAME``), from :mod:`sandbox.data`.
BUILTIN = ("china_2014_2017",)
MONTH = re.compile(r"^\d{4}-(0[1-9]|1[0-2])$")
#: Files of a calibration folder.
MANIFEST = "calibration.json"


class CalibrationError(ExperimentError):
    """Bad observed data, priors or folder: a one-line message naming what is wrong."""


# --- observed data ------------------------------------------------------------------------


def read_observed(source: str | Path) -> pd.DataFrame:
    """Observed targets from a CSV file, or a built-in set by name (:data:`BUILTIN`).

    Returns:
        ``month`` (YYYY-MM), ``series``, ``value``, ``sd`` (NaN where not given), one row a target.

    Raises:
        CalibrationError: a missing column, a bad or late month, a non-finite value or sd,
            or a (month, series) given twice; the message names the line.
    """
    if str(source) in BUILTIN:
        return builtin_targets(str(source))
    path = Path(source)
    try:
        # As text: a bad cell is reported as written; empty cells stay empty.
        table = pd.read_csv(path, dtype=str, keep_default_na=False, skipinitialspace=True)
    except FileNotFoundError:
        raise CalibrationError(f"data {path}: file not found; allowed: a CSV file or {', '.join(BUILTIN)}") from None
    except (OSError, ValueError, pd.errors.ParserError) as err:
        raise CalibrationError(f"data {path}: cannot read as CSV: {str(err).splitlines()[0]}") from None
    return check_observed(table, str(path))


def check_observed(table: pd.DataFrame, label: str = "data") -> pd.DataFrame:
    """Validate an observed table (see :func:`read_observed`); line numbers count the CSV header."""
    missing = [c for c in REQUIRED if c not in table.columns]
    if missing:
        raise CalibrationError(
            f"{label}: missing column {', '.join(missing)}; required: month, series, value (sd optional)"
        )
    if table.empty:
        raise CalibrationError(f"{label}: no rows; allowed: at least one target")
    out = pd.DataFrame({"month": table["month"].astype(str).str.strip(), "series": table["series"].astype(str)})
    out["series"] = out["series"].str.strip()
    out["value"] = pd.to_numeric(table["value"], errors="coerce")
    out["sd"] = pd.to_numeric(table["sd"], errors="coerce") if "sd" in table.columns else math.nan
    for i, row in enumerate(out.itertuples(index=False)):
        where = f"{label} line {i + 2}"
        if not MONTH.match(row.month):
            raise CalibrationError(f"{where}: month {row.month!r}; allowed: YYYY-MM, e.g. 2016-06")
        if row.month > TRAINING_END:
            raise CalibrationError(
                f"{where}: month {row.month} is after {TRAINING_END}; data after {TRAINING_END} is "
                "held back to test the model and may not be fitted"
            )
        if not math.isfinite(row.value):
            raise CalibrationError(f"{where}: value {_cell(table, 'value', i)}; allowed: a finite number")
        if _cell(table, "sd", i) not in ("", "nan") and not (row.sd > 0 and math.isfinite(row.sd)):
            raise CalibrationError(f"{where}: sd {_cell(table, 'sd', i)}; allowed: a positive number, or empty")
        base, _, statistic = row.series.partition(":")
        if not base or (statistic and statistic not in STATISTICS):
            raise CalibrationError(
                f"{where}: series {row.series!r}; allowed: a column of monthly.csv, or COLUMN:{'|'.join(STATISTICS)}"
            )
        if statistic == "year" and not row.month.endswith("-12"):
            raise CalibrationError(f"{where}: {row.series} is a year's sum, dated YYYY-12; found {row.month}")
    twice = out.duplicated(["month", "series"])
    if twice.any():
        i = int(np.flatnonzero(twice)[0])
        raise CalibrationError(f"{label} line {i + 2}: {out['series'].iloc[i]} at {out['month'].iloc[i]} given twice")
    return out.reset_index(drop=True)


def _cell(table: pd.DataFrame, column: str, i: int) -> str:
    """A cell as written ('' where the column is absent or the cell empty)."""
    return str(table[column].iloc[i]).strip() if column in table.columns else ""


def builtin_targets(name: str) -> pd.DataFrame:
    """A built-in target set from :mod:`sandbox.data`.

    ``china_2014_2017``: WDZJ's new problem and new closed platforms a month, 2014-01..2017-06
    (counted from the 2017 list: the only complete monthly counts; README note 3), as the
    monthly columns ``new_problem`` and ``new_closed``, with a Poisson counting sd
    (sqrt of the count, at least 1); and operating platforms at each month-end reported,
    ``alive_total``, one vintage only (``as reported``: the most month-ends, 2013-12..2017-12),
    with an sd of 10% of the value, set by hand from the gap between vintages (end-2015:
    2,595 against 3,433); and the outstanding loan balance in yuan at the month-ends
    reported, ``loan_balance``, one vintage (``as reported``), with the same relative sd.
    """
    if name != "china_2014_2017":
        raise CalibrationError(f"data {name!r}: not a built-in set; allowed: {', '.join(BUILTIN)}")
    try:
        events = monthly_events("2014-01", "2017-06")
        operating = series("WDZJ operating platforms (month-end)", "as reported")
    except DataError as err:
        raise CalibrationError(f"data {name}: {err}") from None
    rows = []
    for column, target in (("problem", "new_problem"), ("closed", "new_closed")):
        for month, count in zip(events["month"], events[column], strict=True):
            rows.append((month, target, float(count), math.sqrt(max(float(count), 1.0))))
    operating = operating.dropna(subset=["month", "value"]).drop_duplicates("month")
    operating = operating[(operating["month"] >= "2014-01") & (operating["month"] <= TRAINING_END)]
    rows += [
        (m, "alive_total", float(v), OPERATING_SD * float(v))
        for m, v in zip(operating["month"], operating["value"], strict=True)
    ]
    # The loan balance (yuan) at the month-ends reported, one vintage, with the same
    # relative sd: the market's size in money, which the platform counts do not give.
    balance = series("WDZJ outstanding loan balance", "as reported").dropna(subset=["month", "value"])
    balance = balance.drop_duplicates("month")
    balance = balance[(balance["month"] >= "2014-01") & (balance["month"] <= TRAINING_END)]
    rows += [
        (m, "loan_balance", float(v), OPERATING_SD * float(v))
        for m, v in zip(balance["month"], balance["value"], strict=True)
    ]
    return check_observed(pd.DataFrame(rows, columns=["month", "series", "value", "sd"]), name)


#: Relative sd of WDZJ's operating-platform counts: set by hand from the vintages' disagreement.
OPERATING_SD = 0.10


# --- the simulated statistics ---------------------------------------------------------------


def target_key(series_name: str, month: str) -> str:
    """The statistic's name in pyabc's dictionaries: ``series@month``."""
    return f"{series_name}@{month}"


@dataclass(frozen=True)
class Target:
    """One observed point: which monthly column, over which months (one, or a year's twelve)."""

    key: str
    column: str
    months: tuple[str, ...]


def targets_of(observed: pd.DataFrame) -> tuple[Target, ...]:
    """The targets of an observed table, in its order."""
    out = []
    for month, name in zip(observed["month"], observed["series"], strict=True):
        column, _, statistic = name.partition(":")
        months = tuple(f"{month[:4]}-{m:02d}" for m in range(1, 13)) if statistic == "year" else (month,)
        out.append(Target(target_key(name, month), column, months))
    return tuple(out)


def observed_statistics(observed: pd.DataFrame) -> dict[str, float]:
    """The observed values keyed as the simulator keys its statistics."""
    return {
        target_key(s, m): float(v)
        for s, m, v in zip(observed["series"], observed["month"], observed["value"], strict=True)
    }


def statistics(monthly: pd.DataFrame, targets: tuple[Target, ...]) -> dict[str, float]:
    """The simulated value of each target from a run's ``monthly`` table (a year's sum for ``:year``)."""
    table = monthly.set_index("month")
    return {
        t.key: float(table.loc[list(t.months), t.column].sum())
        if len(t.months) > 1
        else float(table.at[t.months[0], t.column])
        for t in targets
    }


@dataclass
class Simulator:
    """pyabc's model: parameters -> scenario -> run -> the targets' simulated values.

    Each call seeds its run from the calibration seed, a call counter and the parameter
    values (a :class:`numpy.random.SeedSequence`), never from a global random state, so a
    call is reproducible from what pyabc records. The counter is per process: two calls
    with equal parameters in one process still get different seeds.

    Attributes:
        scenario: the scenario fitted (resolution already applied).
        targets: what to read from each run.
        seed: the calibration's seed.
        integer: which parameters are integer fields (rounded before use).
        months: the horizon run (to the last target month).
    """

    scenario: Scenario
    targets: tuple[Target, ...]
    seed: int
    integer: dict[str, bool]
    months: int
    calls: int = field(default=0)

    def scenario_at(self, parameters: Mapping[str, float]) -> Scenario:
        """The scenario with ``parameters`` set (integer fields rounded)."""
        values = {p: round(float(v)) if self.integer.get(p) else float(v) for p, v in parameters.items()}
        return with_values(self.scenario, values)

    def run_seed(self, parameters: Mapping[str, float]) -> int:
        """This call's run seed (53 bits), from the seed, the counter and the parameter values."""
        words = np.array([float(parameters[p]) for p in sorted(parameters)], dtype=np.float64).view(np.uint32)
        sequence = np.random.SeedSequence([self.seed, self.calls, *words.tolist()])
        self.calls += 1
        return int(sequence.generate_state(1, dtype=np.uint64)[0] >> 11)

    def simulate(self, parameters: Mapping[str, float], seed: int) -> dict[str, float]:
        """Run at ``parameters`` with ``seed`` and return the targets' values."""
        from sandbox.api import run

        result = run(self.scenario_at(parameters), seed=seed, months=self.months)
        return statistics(result.monthly, self.targets)

    def __call__(self, parameters: Mapping[str, float]) -> dict[str, float]:
        """pyabc's model call: one run at ``parameters``."""
        return self.simulate(dict(parameters), self.run_seed(parameters))


# --- priors, distance, sampler --------------------------------------------------------------


def uniform_priors(bounds: Mapping[str, tuple[float, float]]) -> pyabc.Distribution:
    """pyabc's prior from ``{path: (low, high)}``: independent uniforms.

    This is the one place priors become pyabc's; a ``calibration:`` section of a scenario
    (issue 15) would be read into the same dictionary and passed here.
    """
    import pyabc

    return pyabc.Distribution(**{p: pyabc.RV("uniform", low, high - low) for p, (low, high) in bounds.items()})


#: Populations before which the distance's scales are refitted; from then on they stay
#: fixed, so epsilon is comparable between the last populations (the stability test).
REFIT_POPULATIONS = 3


def distance(observed: pd.DataFrame) -> pyabc.AdaptivePNormDistance:
    """pyabc's adaptive Euclidean distance with each series weighted equally.

    Each statistic is divided by its spread across the population's simulations (median
    absolute deviation; Prangle 2017), so counts and yuan are comparable; a series with
    ``n`` points gets the fixed factor ``1/sqrt(n)``, so each series adds its mean squared
    scaled residual, whatever its number of months. The scales are refitted before each
    of the first :data:`REFIT_POPULATIONS` populations, while the posterior moves most,
    then kept, so later epsilons measure the same distance and can show convergence.
    """
    import pyabc

    counts = observed["series"].value_counts()
    weights = {
        target_key(s, m): 1.0 / math.sqrt(counts[s]) for s, m in zip(observed["series"], observed["month"], strict=True)
    }
    refit = set(range(REFIT_POPULATIONS))  # before populations 0, 1 and 2
    return pyabc.AdaptivePNormDistance(p=2, fixed_weights=weights, fit_scale_ixs=refit)


@contextmanager
def open_sampler(workers: int | None, scheduler: str | None) -> Iterator[pyabc.sampler.Sampler]:
    """pyabc's sampler: one process (``workers=1``), local processes, or Dask (``scheduler``).

    ``scheduler``: ``"local"`` starts a Dask ``LocalCluster`` for the call; an address
    (``tcp://host:8786``) uses a running one.
    """
    from pyabc import sampler

    if scheduler is None:
        n = workers or default_workers()
        yield sampler.SingleCoreSampler() if n == 1 else sampler.MulticoreEvalParallelSampler(n_procs=n)
        return
    if not (scheduler == "local" or "://" in scheduler):
        raise CalibrationError(f"scheduler: found {scheduler!r}; allowed: 'local' or an address like tcp://host:8786")
    from distributed import Client, LocalCluster

    cluster = None
    if scheduler == "local":
        cluster = LocalCluster(
            n_workers=workers or default_workers(),
            threads_per_worker=1,
            dashboard_address=None,
            silence_logs=logging.ERROR,
        )
    try:
        client = Client(cluster if cluster is not None else scheduler, timeout="10s")
    except OSError as err:
        raise CalibrationError(f"scheduler: cannot connect to {scheduler}: {err}") from None
    try:
        yield sampler.DaskDistributedSampler(dask_client=client)
    finally:
        client.close()
        if cluster is not None:
            cluster.close()


# --- the calibration ------------------------------------------------------------------------


@dataclass
class Calibration:
    """A finished (or extended) calibration, as read back from its history.

    Attributes:
        scenario: the scenario fitted (resolution applied).
        observed: the targets (:func:`read_observed`).
        bounds: the uniform priors, ``{path: (low, high)}``.
        simulator: the model pyabc called (for posterior predictive runs).
        posterior: the last population: one row per particle, one column per parameter, ``weight``.
        populations: ``population``, ``epsilon``, ``acceptance_rate``, ``ess``, ``particles``, ``samples``.
        db: the SQLite history.
        run_id: the ABC-SMC run in the history.
        resumed: whether this call continued an earlier one.
        resolution: the ``market.resolution`` given to :func:`calibrate`, if any.
    """

    scenario: Scenario
    observed: pd.DataFrame
    bounds: dict[str, tuple[float, float]]
    simulator: Simulator
    posterior: pd.DataFrame
    populations: pd.DataFrame
    db: Path
    run_id: int
    resumed: bool
    resolution: float | None = None

    @property
    def parameters(self) -> list[str]:
        """The fitted paths, in the priors' order."""
        return list(self.bounds)


def with_resolution(scenario: Scenario, resolution: float | None) -> Scenario:
    """``scenario`` with ``market.resolution`` set (unchanged for ``None``)."""
    return scenario if resolution is None else with_values(scenario, {"market.resolution": float(resolution)})


def check_targets(scenario: Scenario, observed: pd.DataFrame, columns: list[str]) -> int:
    """Check every target against the model's columns and the scenario's window.

    Returns:
        The months to run: to the last month any target needs.

    Raises:
        CalibrationError: a series the model does not produce, or a month outside the run.
    """
    last = -1
    for target in targets_of(observed):
        if target.column not in columns:
            raise CalibrationError(
                f"series {target.column!r}: not a column of monthly.csv; allowed: "
                + ", ".join(c for c in columns if c != "month")
            )
        for month in (target.months[0], target.months[-1]):
            index = month_index(month, scenario.start)
            if not 0 <= index < scenario.months:
                raise CalibrationError(
                    f"{target.key}: {month} is outside the scenario's months "
                    f"{scenario.start}..{month_label(scenario.months - 1, scenario.start)}"
                )
            last = max(last, index)
    return last + 1


def targets_for(scenario: Scenario, source: str) -> tuple[pd.DataFrame, int]:
    """The observed targets of ``source`` (:func:`read_observed`) to fit ``scenario`` to, and how
    many of a built-in set fall outside its months and are left out (:func:`within_run`)."""
    observed = read_observed(source)
    return within_run(scenario, observed) if source in BUILTIN else (observed, 0)


def model_columns(scenario: Scenario, seed: int) -> list[str]:
    """The columns of ``monthly.csv`` that ``scenario`` records (one month is run to see them)."""
    from sandbox.api import run

    return list(run(scenario, seed=seed, months=1).monthly.columns)


def within_run(scenario: Scenario, observed: pd.DataFrame) -> tuple[pd.DataFrame, int]:
    """The targets dated within ``scenario``'s months, and how many were left out.

    For a built-in target set, which spans more years than a scenario may
    (``china_2014_2017`` against a scenario that starts in 2015-01); a file of
    the user's own is checked whole instead (:func:`check_targets`).
    """
    index = observed["month"].map(lambda m: month_index(m, scenario.start))
    inside = (index >= 0) & (index < scenario.months)
    return observed[inside].reset_index(drop=True), int((~inside).sum())


def _digest(value: Any) -> str:
    return hashlib.sha256(json.dumps(value, sort_keys=True, default=str).encode()).hexdigest()[:16]


def _inputs(
    scenario: Scenario, observed: pd.DataFrame, bounds: Mapping[str, tuple[float, float]], particles: int, seed: int
) -> dict[str, Any]:
    """What makes two calibrations the same (the number of populations may grow)."""
    return {
        "scenario": _digest(scenario.to_dict()),
        "scenario_source": str(scenario.source) if scenario.source else None,
        "observed": _digest(observed.astype(str).values.tolist()),
        "priors": {p: list(b) for p, b in bounds.items()},
        "particles": particles,
        "seed": seed,
    }


def _open_manifest(db: Path, inputs: dict[str, Any]) -> int | None:
    """The stored run id if ``db``'s folder holds this calibration; None if it holds none.

    Raises:
        CalibrationError: the folder holds a different calibration, or other files.
    """
    manifest = db.parent / MANIFEST
    if manifest.exists():
        stored = json.loads(manifest.read_text())
        differ = [k for k in inputs if k != "scenario_source" and stored.get("inputs", {}).get(k) != inputs[k]]
        if differ:
            raise CalibrationError(
                f"{db.parent}: holds a calibration with other {', '.join(differ)}; use a new --out folder"
            )
        if db.exists():
            return int(stored["run_id"])
        return None
    if db.parent.exists() and any(db.parent.iterdir()):
        raise CalibrationError(f"{db.parent}: not empty and not a calibration folder; use a new or empty --out folder")
    return None


def calibrate(
    scenario: Scenario,
    observed: pd.DataFrame,
    priors: Mapping[str, tuple[float, float]],
    *,
    particles: int,
    populations: int,
    seed: int,
    workers: int | None,
    db: str | Path,
    scheduler: str | None = None,
    resolution: float | None = None,
) -> Calibration:
    """Fit ``priors``' parameters of ``scenario`` to ``observed`` by ABC-SMC; resumable.

    A second call with the same inputs and ``db`` continues the stored run: it adds the
    populations still missing (``populations`` counts them all), so an interrupted
    calibration loses at most the population it was sampling.

    Seeds: each model call's run is seeded from ``seed``, a counter and the parameters
    (:class:`Simulator`). pyabc draws its proposals from numpy's global random state; it is
    seeded from ``seed`` and the population resumed from, so with ``workers=1`` a calibration
    is reproducible. pyabc's multi-process and Dask samplers reseed each worker from the
    operating system, so with more workers the particles differ from run to run (the
    posterior does not, beyond Monte Carlo error).

    Args:
        scenario: the scenario to fit.
        observed: targets (:func:`read_observed`).
        priors: ``{dotted path: (low, high)}``, uniform priors.
        particles: particles per population.
        populations: populations in all (including any already stored).
        seed: the calibration seed.
        workers: processes (``None``: one per core; 1: this process), or Dask's workers with ``"local"``.
        db: the SQLite file of pyabc's history; ``calibration.json`` is written beside it.
        scheduler: ``None`` (local processes), ``"local"`` or a Dask scheduler address.
        resolution: sets ``market.resolution`` (simulated persons per real person).

    Raises:
        CalibrationError: bad priors or targets, or a folder holding something else.
    """
    import pyabc

    if particles < 2 or populations < 1:
        raise CalibrationError(
            f"particles {particles}, populations {populations}; allowed: particles >= 2, populations >= 1"
        )
    scenario = with_resolution(scenario, resolution)
    try:
        bounds, integer = check_parameters(scenario, priors)
    except CalibrationError:
        raise
    except ExperimentError as err:
        raise CalibrationError(str(err)) from None
    months = check_targets(scenario, observed, model_columns(scenario, seed))
    db = Path(db)
    inputs = _inputs(scenario, observed, bounds, particles, seed)
    run_id = _open_manifest(db, inputs)
    db.parent.mkdir(parents=True, exist_ok=True)
    simulator = Simulator(scenario, targets_of(observed), seed, integer, months)
    url = f"sqlite:///{db.resolve()}"
    with open_sampler(workers, scheduler) as sampler:
        abc = pyabc.ABCSMC(
            simulator, uniform_priors(bounds), distance(observed), population_size=particles, sampler=sampler
        )
        if run_id is None:
            history = abc.new(url, observed_statistics(observed))
            run_id = int(history.id)
            (db.parent / MANIFEST).write_text(json.dumps({"inputs": inputs, "run_id": run_id}, indent=2) + "\n")
            resumed = False
        else:
            history = abc.load(url, run_id)
            resumed = True
        done = int(history.max_t) + 1
        if done < populations:
            # pyabc's own draws (proposals, the population's resampling) use numpy's global state.
            np.random.seed(np.random.SeedSequence([seed, done]).generate_state(1)[0])
            log.info("calibration: populations %d to %d of %d", done + 1, populations, populations)
            history = abc.run(max_nr_populations=populations - done)
    return Calibration(
        scenario=scenario,
        observed=observed,
        bounds=dict(bounds),
        simulator=simulator,
        posterior=posterior_table(history, list(bounds)),
        populations=populations_table(history),
        db=db,
        run_id=run_id,
        resumed=resumed,
        resolution=resolution,
    )


def posterior_table(history: pyabc.History, parameters: list[str], t: int | None = None) -> pd.DataFrame:
    """Population ``t`` (default: the last): one row per particle, the parameters and ``weight``."""
    frame, weights = history.get_distribution(t=t)
    table = frame.reset_index(drop=True)[parameters]
    table["weight"] = np.asarray(weights, dtype=float)
    return table


def effective_sample_size(weights: np.ndarray) -> float:
    """Kish's effective sample size of normalised-or-not weights: ``(sum w)^2 / sum w^2``."""
    w = np.asarray(weights, dtype=float)
    return float(w.sum() ** 2 / (w**2).sum()) if w.size and (w**2).sum() > 0 else 0.0


def populations_table(history: pyabc.History) -> pd.DataFrame:
    """One row per population: epsilon, acceptance rate, ESS, particles, samples (model calls)."""
    table = history.get_all_populations()
    table = table[table["t"] >= 0]
    rows = []
    for t, epsilon, samples, particles in zip(
        table["t"], table["epsilon"], table["samples"], table["particles"], strict=True
    ):
        _, weights = history.get_distribution(t=int(t))
        rows.append(
            {
                "population": int(t),
                "epsilon": float(epsilon),
                "acceptance_rate": float(particles) / float(samples) if samples else math.nan,
                "ess": effective_sample_size(weights),
                "particles": int(particles),
                "samples": int(samples),
            }
        )
    return pd.DataFrame(rows, columns=["population", "epsilon", "acceptance_rate", "ess", "particles", "samples"])
