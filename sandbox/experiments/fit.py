"""Goodness of fit of a calibration, and its output files.

After :func:`~sandbox.experiments.calibration.calibrate`, :func:`posterior_predictive` runs the
model on draws from the posterior, and :func:`goodness` states the fit as calibrated ABM
studies state it (``docs/calibration.md``):

- the **moment coverage ratio**: the share of posterior predictive runs whose every target
  lies inside the data's band (value +/- 2 sd; without an sd, +/- :data:`TOLERANCE` of the
  larger of the value and the series' mean absolute value);
- **per-target coverage**: for each target, the share of runs inside its band;
- **posterior predictive p-values**: for each target, the share of runs at or above the data
  (ties count half); near 0 or 1 the model misses that point systematically;
- the **distance to a benchmark**: a logistic growth-and-decay curve fitted to each series by
  least squares (:func:`benchmark_curve`), against the posterior predictive median, both as
  the root mean squared residual in units of the series' scale.

:func:`write_outputs` writes ``posterior.csv``, ``populations.csv``, ``fit.csv``,
``goodness.json`` and ``calibrated.yaml`` into the calibration folder.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import math
import os
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import yaml

from sandbox.common.outputs import dumps
from sandbox.experiments.calibration import Calibration, check_targets, model_columns, target_key, targets_of
from sandbox.experiments.design import child_seeds
from sandbox.experiments.executors import open_backend

#: Without an sd, a target's band is +/- this share of the larger of its value and its
#: series' mean absolute value (so a month with 0 events still has a band).
TOLERANCE = 0.25
#: The band's half-width in sds, where the data give one.
BAND_SDS = 2.0
#: Posterior predictive runs by default.
DRAWS = 50


@dataclass
class Goodness:
    """The fit in numbers (see the module's docstring).

    Attributes:
        coverage_ratio: share of runs with every target inside its band.
        per_target: one row per target: ``key``, ``coverage``, ``p_value``, ``low``, ``high``.
        model_distance: the posterior predictive median's scaled RMS distance to the data.
        benchmark_distance: the logistic benchmark's, on the same scale.
        runs: posterior predictive runs used.
    """

    coverage_ratio: float
    per_target: pd.DataFrame
    model_distance: float
    benchmark_distance: float
    runs: int

    def to_dict(self) -> dict[str, Any]:
        """Plain data for ``goodness.json``."""
        return {
            "moment_coverage_ratio": self.coverage_ratio,
            "model_distance": self.model_distance,
            "benchmark_distance": self.benchmark_distance,
            "model_beats_benchmark": bool(self.model_distance < self.benchmark_distance),
            "posterior_predictive_runs": self.runs,
            "band": f"value +/- {BAND_SDS:g} sd; without sd, +/- {TOLERANCE:.0%} of max(|value|, series mean |value|)",
            "targets": self.per_target.to_dict(orient="records"),
        }


def _predict_one(calibration_simulator: Any, parameters: dict[str, float], seed: int) -> dict[str, float]:
    """One posterior predictive run (module level, so that worker processes can unpickle it)."""
    return calibration_simulator.simulate(parameters, seed)


def posterior_predictive(
    calibration: Calibration, draws: int = DRAWS, workers: int | None = 1, scheduler: str | None = None
) -> pd.DataFrame:
    """Run the model on ``draws`` particles drawn from the posterior by weight.

    The draws and the runs' seeds come from the calibration's seed (a numpy ``Generator``
    and :func:`~sandbox.experiments.design.child_seeds`), so they are the same on any backend.

    Returns:
        One row per run: ``draw``, the parameters, then one column per target key.
    """
    posterior, seed = calibration.posterior, calibration.simulator.seed
    rng = np.random.default_rng(np.random.SeedSequence([seed, 0xF17]))
    weights = posterior["weight"].to_numpy(dtype=float)
    rows = rng.choice(len(posterior), size=draws, p=weights / weights.sum())
    seeds = child_seeds(seed, draws)
    points = [{p: float(posterior[p].iloc[r]) for p in calibration.parameters} for r in rows]
    with open_backend(workers, scheduler) as backend:
        futures = [
            backend.executor.submit(_predict_one, calibration.simulator, point, s)
            for point, s in zip(points, seeds, strict=True)
        ]
        results = [f.result() for f in futures]
    table = pd.DataFrame(points)
    table.insert(0, "draw", range(draws))
    return pd.concat([table, pd.DataFrame(results)], axis=1)


def held_out(
    calibration: Calibration, observed: pd.DataFrame, draws: int = DRAWS, workers: int | None = 1
) -> tuple[Goodness, pd.DataFrame]:
    """How well the posterior predicts targets it was not fitted to (``--holdout``).

    Runs the posterior predictive (:func:`posterior_predictive`, same draws and seeds)
    on the held-out targets and scores them as :func:`goodness` does. Its logistic
    benchmark is fitted to the held-out data themselves, so it is a bar the model,
    which never saw them, is not expected to clear.

    Returns:
        The goodness of fit on the held-out targets, and ``fit.csv``'s table for them.
    """
    scenario = calibration.scenario
    months = check_targets(scenario, observed, model_columns(scenario, calibration.simulator.seed))
    simulator = dataclasses.replace(calibration.simulator, targets=targets_of(observed), months=months, calls=0)
    later = dataclasses.replace(calibration, observed=observed, simulator=simulator)
    predictive = posterior_predictive(later, draws, workers=workers)
    return goodness(observed, predictive), fit_table(observed, predictive)


def bands(observed: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """Each target's band (low, high): value +/- 2 sd, or +/- the relative tolerance."""
    value = observed["value"].to_numpy(dtype=float)
    scale = observed.groupby("series")["value"].transform(lambda v: v.abs().mean()).to_numpy(dtype=float)
    half = np.where(
        observed["sd"].notna().to_numpy(),
        BAND_SDS * observed["sd"].to_numpy(dtype=float),
        TOLERANCE * np.maximum(np.abs(value), scale),
    )
    return value - half, value + half


def series_scale(observed: pd.DataFrame) -> pd.Series:
    """Each target's scale for distances: its sd, else its series' mean absolute value (at least 1)."""
    mean_abs = observed.groupby("series")["value"].transform(lambda v: max(v.abs().mean(), 1.0))
    return observed["sd"].fillna(mean_abs)


def scaled_distance(observed: pd.DataFrame, fitted: np.ndarray) -> float:
    """Root mean squared residual in units of each target's scale, each series weighted equally."""
    residual = (observed["value"].to_numpy(dtype=float) - fitted) / series_scale(observed).to_numpy(dtype=float)
    per_series = pd.Series(residual**2).groupby(observed["series"].to_numpy()).mean()
    return float(math.sqrt(per_series.mean()))


def logistic_growth_decay(t: np.ndarray, level: float, rate: float, midpoint: float, decay: float) -> np.ndarray:
    """A logistic rise to ``level`` around ``midpoint``, then exponential decay after it."""
    return level / (1.0 + np.exp(-rate * (t - midpoint))) * np.exp(-decay * np.maximum(t - midpoint, 0.0))


def benchmark_curve(months: pd.Series, values: pd.Series) -> np.ndarray:
    """The benchmark's fitted values for one series: :func:`logistic_growth_decay` by least squares.

    Time is in months from the series' first. With fewer than five points, or if the fit
    fails, the benchmark is the series' mean (a flat line).
    """
    from scipy.optimize import curve_fit

    y = values.to_numpy(dtype=float)
    t = np.array([(int(m[:4]) - 2000) * 12 + int(m[5:7]) for m in months], dtype=float)
    t -= t.min()
    if len(y) < 5:
        return np.full_like(y, y.mean())
    span = max(t.max(), 1.0)
    p0 = [max(np.abs(y).max(), 1.0), 4.0 / span, t[int(np.argmax(y))], 0.0]
    limits = ([0.0, 0.0, -span, 0.0], [10 * max(np.abs(y).max(), 1.0), 10.0, 2 * span, 1.0])
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            params, _ = curve_fit(logistic_growth_decay, t, y, p0=p0, bounds=limits, maxfev=20000)
    except (RuntimeError, ValueError):
        return np.full_like(y, y.mean())
    return logistic_growth_decay(t, *params)


def benchmark_fit(observed: pd.DataFrame) -> np.ndarray:
    """The benchmark's fitted value of every target (each series fitted on its own)."""
    fitted = np.empty(len(observed))
    for _, rows in observed.groupby("series"):
        fitted[rows.index.to_numpy()] = benchmark_curve(rows["month"], rows["value"])
    return fitted


def goodness(observed: pd.DataFrame, predictive: pd.DataFrame) -> Goodness:
    """The moment coverage ratio, per-target coverage and p-values, and the benchmark comparison."""
    keys = [target_key(s, m) for s, m in zip(observed["series"], observed["month"], strict=True)]
    simulated = predictive[keys].to_numpy(dtype=float)  # runs x targets
    value = observed["value"].to_numpy(dtype=float)
    low, high = bands(observed)
    inside = (simulated >= low) & (simulated <= high)
    p_value = (simulated > value).mean(axis=0) + 0.5 * (simulated == value).mean(axis=0)
    per_target = pd.DataFrame(
        {
            "key": keys,
            "coverage": inside.mean(axis=0),
            "p_value": p_value,
            "low": low,
            "high": high,
        }
    )
    return Goodness(
        coverage_ratio=float(inside.all(axis=1).mean()),
        per_target=per_target,
        model_distance=scaled_distance(observed, np.nanmedian(simulated, axis=0)),
        benchmark_distance=scaled_distance(observed, benchmark_fit(observed)),
        runs=len(predictive),
    )


def fit_table(observed: pd.DataFrame, predictive: pd.DataFrame) -> pd.DataFrame:
    """``fit.csv``: month, series, observed, simulated median and the 90% posterior predictive band."""
    keys = [target_key(s, m) for s, m in zip(observed["series"], observed["month"], strict=True)]
    simulated = predictive[keys].to_numpy(dtype=float)
    return pd.DataFrame(
        {
            "month": observed["month"],
            "series": observed["series"],
            "observed": observed["value"],
            "simulated_median": np.nanmedian(simulated, axis=0),
            "simulated_p5": np.nanquantile(simulated, 0.05, axis=0),
            "simulated_p95": np.nanquantile(simulated, 0.95, axis=0),
        }
    )


def weighted_median(values: np.ndarray, weights: np.ndarray) -> float:
    """The smallest value at which the cumulative weight reaches half."""
    order = np.argsort(values)
    cumulative = np.cumsum(weights[order]) / weights.sum()
    return float(values[order][np.searchsorted(cumulative, 0.5)])


def posterior_medians(calibration: Calibration) -> dict[str, float]:
    """Each parameter's weighted posterior median (integer fields rounded)."""
    w = calibration.posterior["weight"].to_numpy(dtype=float)
    medians = {p: weighted_median(calibration.posterior[p].to_numpy(dtype=float), w) for p in calibration.parameters}
    return {p: round(v) if calibration.simulator.integer.get(p) else v for p, v in medians.items()}


def calibrated_yaml(calibration: Calibration, out: Path, header: str) -> str:
    """The text of ``calibrated.yaml``: the input scenario with each parameter at its posterior median.

    With a scenario file, it ``extends:`` that file (by a path relative to ``out``) and sets
    only the fitted paths; a ``regime.<rule>`` path brings the whole calibrated regime
    (regimes merge by date, not by field). Without a file, it is the whole scenario.
    """
    medians = posterior_medians(calibration)
    fitted = calibration.simulator.scenario_at(medians).to_dict()
    source = calibration.scenario.source
    if source and Path(source).is_file():
        data: dict[str, Any] = {"extends": os.path.relpath(Path(source).resolve(), out.resolve())}
        data["name"] = f"{calibration.scenario.name}_calibrated"
        for path, value in medians.items():
            parts = path.split(".")
            if parts[0] == "regime":
                data["regime"] = fitted["regime"]
                continue
            node = data
            for part in parts[:-1]:
                node = node.setdefault(part, {})
            node[parts[-1]] = value
        if calibration.resolution is not None and "market.resolution" not in medians:
            data.setdefault("market", {})["resolution"] = calibration.resolution
    else:
        data = fitted
        data["name"] = f"{calibration.scenario.name}_calibrated"
    comment = "".join(f"# {line}\n" if line else "#\n" for line in header.splitlines())
    return comment + yaml.safe_dump(data, sort_keys=False, allow_unicode=True)


def header_text(calibration: Calibration, data_label: str, fit: Goodness) -> str:
    """The comment at the top of ``calibrated.yaml``: date, data, populations, epsilon, ESS, fit."""
    last = calibration.populations.iloc[-1]
    lines = [
        f"Calibrated by sandbox calibrate on {dt.date.today().isoformat()} (ABC-SMC, pyabc).",
        f"Data: {data_label} ({len(calibration.observed)} targets, to {calibration.observed['month'].max()}).",
        f"Populations: {len(calibration.populations)} of {int(last['particles'])} particles; "
        f"final epsilon {last['epsilon']:.4g}; ESS {last['ess']:.1f}.",
        f"Fit: moment coverage ratio {fit.coverage_ratio:.2f}; distance {fit.model_distance:.3g} "
        f"(logistic benchmark {fit.benchmark_distance:.3g}).",
        "Each fitted parameter is its weighted posterior median (posterior.csv has the particles).",
    ]
    return "\n".join(lines)


def write_outputs(calibration: Calibration, out: str | Path, data_label: str, predictive: pd.DataFrame) -> Goodness:
    """Write the calibration folder's outputs and return the goodness of fit.

    Args:
        calibration: from :func:`~sandbox.experiments.calibration.calibrate`.
        out: the folder (it holds the history already).
        data_label: the data file or built-in set, for the header.
        predictive: :func:`posterior_predictive`'s table.
    """
    out = Path(out)
    fit = goodness(calibration.observed, predictive)
    calibration.posterior.to_csv(out / "posterior.csv", index=False)
    calibration.populations.to_csv(out / "populations.csv", index=False)
    fit_table(calibration.observed, predictive).to_csv(out / "fit.csv", index=False)
    (out / "goodness.json").write_text(dumps(fit.to_dict()) + "\n")
    (out / "calibrated.yaml").write_text(calibrated_yaml(calibration, out, header_text(calibration, data_label, fit)))
    return fit


def summary(calibration: Calibration, fit: Goodness) -> str:
    """A few lines for the end of ``sandbox calibrate``: the medians, the last population, the fit."""
    last = calibration.populations.iloc[-1]
    w = calibration.posterior["weight"].to_numpy(dtype=float)
    lines = [
        f"{len(calibration.populations)} populations; final epsilon {last['epsilon']:.4g}, "
        f"acceptance {last['acceptance_rate']:.2f}, ESS {last['ess']:.1f} of {int(last['particles'])}"
    ]
    for p in calibration.parameters:
        values = calibration.posterior[p].to_numpy(dtype=float)
        order = np.argsort(values)
        cumulative = np.cumsum(w[order]) / w.sum()
        low, high = (float(values[order][np.searchsorted(cumulative, q)]) for q in (0.05, 0.95))
        prior = calibration.bounds[p]
        lines.append(
            f"  {p}: median {weighted_median(values, w):.4g} "
            f"(90% {low:.4g} to {high:.4g}; prior {prior[0]:g} to {prior[1]:g})"
        )
    lines.append(
        f"moment coverage ratio {fit.coverage_ratio:.2f} over {fit.runs} posterior predictive runs; "
        f"targets covered in >= half the runs: {(fit.per_target['coverage'] >= 0.5).sum()} of {len(fit.per_target)}"
    )
    extreme = fit.per_target[(fit.per_target["p_value"] < 0.05) | (fit.per_target["p_value"] > 0.95)]
    lines.append(f"posterior predictive p-values outside 0.05..0.95: {len(extreme)} of {len(fit.per_target)} targets")
    verdict = "better than" if fit.model_distance < fit.benchmark_distance else "no better than"
    lines.append(
        f"distance to data {fit.model_distance:.3g}, {verdict} the logistic benchmark's {fit.benchmark_distance:.3g}"
    )
    return "\n".join(lines)


__all__ = [
    "DRAWS",
    "TOLERANCE",
    "Goodness",
    "benchmark_curve",
    "calibrated_yaml",
    "fit_table",
    "goodness",
    "posterior_medians",
    "posterior_predictive",
    "summary",
    "weighted_median",
    "write_outputs",
]
