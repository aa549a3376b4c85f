"""The report of a calibration folder (``sandbox calibrate``'s output): figures and tables.

    >>> from sandbox.reporting import calibration
    >>> calibration.marginals_figure(pd.read_csv("out/posterior.csv"))   # in a notebook

:func:`is_calibration` tells a calibration folder (``posterior.csv`` and ``populations.csv``)
from the other kinds; :func:`calibration_blocks` reads it and returns the report's title,
facts, findings and blocks, which :func:`~sandbox.reporting.report.build_report` puts into
its :class:`~sandbox.reporting.report.Report`. The figures are functions of the tables, so
notebooks can draw them too. ``docs/calibration.md`` explains how to read them.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from itertools import combinations
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from sandbox.reporting.load import ReportError
from sandbox.reporting.sections import Block, Builder

#: Okabe-Ito colours, as the other figures.
BLUE, ORANGE, VERMILLION, GREY = "#0072B2", "#E69F00", "#D55E00", "#7F7F7F"


def is_calibration(path: str | Path) -> bool:
    """Whether ``path`` is a calibration folder: it holds ``posterior.csv`` and ``populations.csv``."""
    path = Path(path)
    return (path / "posterior.csv").is_file() and (path / "populations.csv").is_file()


@dataclass
class CalibrationPages:
    """What the report of a calibration shows (see :func:`calibration_blocks`)."""

    title: str
    meta: list[tuple[str, str]]
    findings: list[str]
    blocks: list[Block] = field(default_factory=list)


def _weighted_quantile(values: np.ndarray, weights: np.ndarray, q: float) -> float:
    order = np.argsort(values)
    cumulative = np.cumsum(weights[order]) / weights.sum()
    return float(values[order][min(int(np.searchsorted(cumulative, q)), len(values) - 1)])


def parameter_table(posterior: pd.DataFrame) -> pd.DataFrame:
    """Each parameter's weighted posterior median and 90% interval."""
    w = posterior["weight"].to_numpy(dtype=float)
    rows = []
    for p in [c for c in posterior.columns if c != "weight"]:
        v = posterior[p].to_numpy(dtype=float)
        rows.append(
            {
                "parameter": p,
                "median": f"{_weighted_quantile(v, w, 0.5):.4g}",
                "90% interval": f"{_weighted_quantile(v, w, 0.05):.4g} to {_weighted_quantile(v, w, 0.95):.4g}",
            }
        )
    return pd.DataFrame(rows)


def marginals_figure(posterior: pd.DataFrame) -> Figure:
    """One weighted histogram per parameter (the posterior marginals)."""
    names = [c for c in posterior.columns if c != "weight"]
    fig = Figure(figsize=(3.2 * len(names), 2.6))
    for i, p in enumerate(names):
        ax = fig.add_subplot(1, len(names), i + 1)
        ax.hist(posterior[p], bins=20, weights=posterior["weight"], color=BLUE, alpha=0.8)
        ax.set_title(p, fontsize=8)
        ax.set_yticks([])
    return fig


def pairs_figure(posterior: pd.DataFrame) -> Figure:
    """Each pair of parameters: the particles, sized by weight (shows correlations, ridges)."""
    names = [c for c in posterior.columns if c != "weight"]
    pairs = list(combinations(names, 2))
    fig = Figure(figsize=(3.2 * max(len(pairs), 1), 3.0))
    size = 400 * posterior["weight"] / posterior["weight"].max()
    for i, (a, b) in enumerate(pairs):
        ax = fig.add_subplot(1, len(pairs), i + 1)
        ax.scatter(posterior[a], posterior[b], s=size, color=BLUE, alpha=0.5, linewidths=0)
        ax.set_xlabel(a, fontsize=8)
        ax.set_ylabel(b, fontsize=8)
    return fig


def bands_figure(fit: pd.DataFrame) -> Figure:
    """Per series: the 90% posterior predictive band and median against the data."""
    series = list(dict.fromkeys(fit["series"]))
    fig = Figure(figsize=(7.5, 2.4 * len(series)))
    for i, name in enumerate(series):
        rows = fit[fit["series"] == name]
        x = pd.to_datetime(rows["month"])
        ax = fig.add_subplot(len(series), 1, i + 1)
        ax.fill_between(x, rows["simulated_p5"], rows["simulated_p95"], color=BLUE, alpha=0.25, label="90% band")
        ax.plot(x, rows["simulated_median"], color=BLUE, label="model median")
        ax.plot(x, rows["observed"], "o", color=VERMILLION, markersize=3, label="data")
        ax.set_title(name, fontsize=9)
        if i == 0:
            ax.legend(fontsize=7, frameon=False)
    fig.tight_layout()
    return fig


def populations_figure(populations: pd.DataFrame) -> Figure:
    """Epsilon, acceptance rate and effective sample size by population."""
    fig = Figure(figsize=(9.0, 2.6))
    for i, (column, label, colour) in enumerate(
        [("epsilon", "epsilon", BLUE), ("acceptance_rate", "acceptance rate", ORANGE), ("ess", "ESS", GREY)]
    ):
        ax = fig.add_subplot(1, 3, i + 1)
        ax.plot(populations["population"], populations[column], "o-", color=colour)
        ax.set_title(label, fontsize=9)
        ax.set_xlabel("population", fontsize=8)
    fig.tight_layout()
    return fig


def _goodness(path: Path) -> dict[str, Any]:
    file = path / "goodness.json"
    return json.loads(file.read_text()) if file.is_file() else {}


def calibration_blocks(path: str | Path) -> CalibrationPages:
    """Read a calibration folder and build its report's pages.

    Raises:
        ReportError: ``posterior.csv`` or ``populations.csv`` is unreadable or empty.
    """
    path = Path(path)
    try:
        posterior = pd.read_csv(path / "posterior.csv")
        populations = pd.read_csv(path / "populations.csv")
    except (OSError, ValueError) as err:
        raise ReportError(f"{path}: cannot read the calibration: {err}") from None
    if posterior.empty or populations.empty or "weight" not in posterior.columns:
        raise ReportError(f"{path}: posterior.csv or populations.csv is empty or lacks 'weight'")
    fit = pd.read_csv(path / "fit.csv") if (path / "fit.csv").is_file() else None
    goodness = _goodness(path)
    last = populations.iloc[-1]
    meta = [
        ("folder", str(path)),
        ("parameters", ", ".join(c for c in posterior.columns if c != "weight")),
        ("populations", f"{len(populations)} of {int(last['particles'])} particles"),
        ("model runs", f"{int(populations['samples'].sum())}"),
    ]
    findings = [
        f"After {len(populations)} populations the tolerance is {last['epsilon']:.3g}, with "
        f"{last['acceptance_rate']:.0%} of proposals accepted and an effective sample size of "
        f"{last['ess']:.0f} of {int(last['particles'])} particles."
    ]
    if goodness:
        findings.append(
            f"{goodness['moment_coverage_ratio']:.0%} of the {goodness['posterior_predictive_runs']} posterior "
            "predictive runs put every target inside the data's band (the moment coverage ratio)."
        )
        verdict = "closer to" if goodness["model_beats_benchmark"] else "no closer to"
        findings.append(
            f"The model's median is {verdict} the data than a logistic growth-and-decay curve fitted to each "
            f"series ({goodness['model_distance']:.3g} against {goodness['benchmark_distance']:.3g}, in units of "
            "each target's scale)."
        )
    b = Builder()
    b.heading("Posterior")
    b.table("Parameters", parameter_table(posterior), "Weighted posterior median and 90% interval of each parameter.")
    b.figure("Posterior marginals", marginals_figure(posterior), "Weighted histograms of the last population.")
    if len(posterior.columns) > 2:
        b.figure(
            "Pairs", pairs_figure(posterior), "Each pair of parameters; dot size is weight. A ridge means a trade-off."
        )
    if fit is not None:
        b.heading("Fit")
        b.figure(
            "Posterior predictive bands",
            bands_figure(fit),
            "The model's 90% posterior predictive band and median, with the data as dots.",
        )
    if goodness:
        targets = pd.DataFrame(goodness["targets"])[["key", "coverage", "p_value"]]
        b.table(
            "Coverage and p-values by target",
            targets.assign(coverage=targets["coverage"].map("{:.0%}".format), p_value=targets["p_value"].round(2)),
            "Share of runs inside the data's band, and the share at or above the data (near 0 or 1: a miss).",
        )
    b.heading("Convergence")
    b.figure(
        "Epsilon, acceptance and ESS",
        populations_figure(populations),
        "By population. The distance's scales are refitted each population, so epsilon may rise; "
        "a falling acceptance rate and a stable ESS show the posterior settling.",
    )
    return CalibrationPages(f"Calibration in {path.name}", meta, findings, b.blocks)
