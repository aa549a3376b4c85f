"""The statistics of experiments' runs tables: means with intervals, paired differences, who did better.

Pure functions of the tables (no runs are made here), so that reports, notebooks and
the command line compute the same numbers from a stored experiment.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Literal

import numpy as np
import pandas as pd
from scipy import stats

CONFIDENCE = 0.95

# Which way is better for each summary metric, for ``share_better`` in comparisons.
# Metrics left out (horizon, entries, inspections, enforcement actions, regulatory
# closures, orderly exits, peak money in, accounting errors) measure activity or
# effort: more is good or bad depending on what else happened.
BETTER: dict[str, Literal["lower", "higher"]] = {
    "investor_loss_total": "lower",
    "investor_loss_share": "lower",
    "investors_with_loss_share": "lower",
    "investors_losing_over_10pct": "lower",
    "investors_losing_over_50pct": "lower",
    "loss_gini": "lower",
    "loss_p99": "lower",
    "platform_failures": "lower",
    "failures_insolvency": "lower",
    "failures_illiquidity_run": "lower",
    "failures_fraud": "lower",
    "failures_credit_contagion": "lower",
    "largest_wave_share": "lower",
    "contagion_share": "lower",
    "fraud_loss_total": "lower",
    "diverted_total": "lower",
    "recovery_rate": "higher",
    "credit_supplied_total": "higher",
    "credit_excluded_total": "lower",
    "credit_excluded_cap": "lower",
    "credit_excluded_limit": "lower",
    "credit_informal": "lower",
    "credit_gone_without": "lower",
    "borrower_default_rate": "lower",
    "overindebted_share": "lower",
    "fraud_entries": "lower",
    "fraud_detection_months": "lower",
}


# Columns of the runs tables that identify a run rather than measure it.
LABELS = ("scenario", "point", "run", "seed", "months")


def describe_runs(runs: pd.DataFrame, metrics: Sequence[str] | None = None) -> pd.DataFrame:
    """Mean, standard deviation and 95% t-interval of the mean of each metric over runs.

    Args:
        runs: a runs table (one row per run).
        metrics: which columns (default: every numeric metric).
    """
    metrics = list(metrics) if metrics is not None else metric_columns(runs)
    rows = []
    for metric in metrics:
        x = runs[metric].to_numpy(dtype=float)
        x = x[np.isfinite(x)]
        n = x.size
        mean = float(x.mean()) if n else math.nan
        sd = float(x.std(ddof=1)) if n > 1 else math.nan
        half = float(stats.t.ppf((1 + CONFIDENCE) / 2, n - 1) * sd / math.sqrt(n)) if n > 1 else math.nan
        rows.append({"metric": metric, "mean": mean, "sd": sd, "ci_low": mean - half, "ci_high": mean + half, "n": n})
    return pd.DataFrame(rows)


def metric_columns(runs: pd.DataFrame, exclude: Sequence[str] = ()) -> list[str]:
    """The numeric outcome columns of a runs table (not labels, seeds, horizon or ``exclude``)."""
    skip = {*LABELS, *exclude}
    return [c for c in runs.columns if c not in skip and pd.api.types.is_numeric_dtype(runs[c])]


def paired_difference(
    first: np.ndarray, second: np.ndarray, better: str | None = None, confidence: float = CONFIDENCE
) -> dict[str, float]:
    """The mean paired difference ``second - first`` with a t-interval, and who did better.

    Args:
        first: the reference's values, run by run.
        second: the proposal's values on the same runs (same seeds).
        better: ``"lower"`` or ``"higher"`` if that is better for this metric, else ``None``.
        confidence: of the interval.

    Returns:
        ``difference``, ``ci_low``, ``ci_high``, ``share_better`` and
        ``share_worse`` (shares of pairs in which the proposal did strictly
        better or worse; NaN without a direction) and ``n`` (pairs used: both
        values finite).
    """
    first, second = np.asarray(first, dtype=float), np.asarray(second, dtype=float)
    ok = np.isfinite(first) & np.isfinite(second)
    d = second[ok] - first[ok]
    n = d.size
    mean = float(d.mean()) if n else math.nan
    half = math.nan
    if n > 1:
        half = float(stats.t.ppf((1 + confidence) / 2, n - 1) * d.std(ddof=1) / math.sqrt(n))
    share_better = share_worse = math.nan
    if better in ("lower", "higher") and n:
        sign = -1.0 if better == "lower" else 1.0
        share_better = float(np.mean(sign * d > 0))
        share_worse = float(np.mean(sign * d < 0))
    return {
        "difference": mean,
        "ci_low": mean - half,
        "ci_high": mean + half,
        "share_better": share_better,
        "share_worse": share_worse,
        "n": n,
    }


#: The per-channel figures of runs made with counterfactuals: the summary's
#: ``failures_<figure>`` dicts, flattened to ``failures_<figure>_<channel>`` columns.
CHANNEL_FIGURES = ("attributed", "avoided", "added")


def channel_table(runs: pd.DataFrame, by: str | None = None) -> pd.DataFrame:
    """Per contagion channel: failures attributed, avoided and added, as means over runs with 95% intervals.

    ``attributed`` (failures that came through the channel, each counted once)
    is the primary figure. ``avoided`` and ``added`` compare each run with the
    same seed rerun without the channel, so they are paired by seed; their
    means' intervals are t-intervals over the runs. ``net`` is the mean paired
    difference ``failures - failures without the channel`` (avoided minus
    added, seed by seed) with its paired t-interval.

    Args:
        runs: a runs table made with counterfactuals (``failures_avoided_<channel>`` columns).
        by: a column to split by (``"scenario"`` for a comparison), else every run together.

    Returns:
        One row per channel (and ``by`` value): ``channel``, then ``<figure>_mean``,
        ``<figure>_ci_low`` and ``<figure>_ci_high`` for each of attributed,
        avoided, added and net, and ``n`` (runs). Empty without counterfactual columns.
    """
    prefix = "failures_avoided_"
    channels = [c.removeprefix(prefix) for c in runs.columns if c.startswith(prefix)]
    groups = runs.groupby(by, sort=False) if by is not None else [(None, runs)]
    rows = []
    for key, part in groups:
        for channel in channels:
            row: dict[str, object] = {by: key} if by is not None else {}
            row["channel"] = channel
            for figure in CHANNEL_FIGURES:
                column = f"failures_{figure}_{channel}"
                values = part[column] if column in part else pd.Series(math.nan, index=part.index)
                described = describe_runs(pd.DataFrame({figure: values}), [figure]).iloc[0]
                row.update({f"{figure}_{k}": described[k] for k in ("mean", "ci_low", "ci_high")})
            added = part.get(f"failures_added_{channel}", pd.Series(math.nan, index=part.index))
            net = paired_difference(added.to_numpy(dtype=float), part[prefix + channel].to_numpy(dtype=float))
            row.update({"net_mean": net["difference"], "net_ci_low": net["ci_low"], "net_ci_high": net["ci_high"]})
            row["n"] = int(part[prefix + channel].notna().sum())
            rows.append(row)
    return pd.DataFrame(rows)


def comparison_table(runs: pd.DataFrame, names: Sequence[str], metrics: Sequence[str] | None = None) -> pd.DataFrame:
    """Per metric: each scenario's mean and, for each proposal, the paired difference from the first.

    Args:
        runs: a runs table with ``scenario`` and ``run`` columns.
        names: the scenarios, the reference first.
        metrics: which metrics (default: every numeric one).

    Returns:
        One row per metric and proposal: ``metric``, ``mean_<name>`` for every
        scenario, ``versus`` (the proposal), ``difference`` (proposal minus
        reference, over runs finished under both), ``ci_low``, ``ci_high``
        (95% t-interval of the mean paired difference), ``share_better``,
        ``share_worse``, ``n`` (pairs), ``better`` (``lower``, ``higher`` or
        empty: see :data:`BETTER`).
    """
    metrics = list(metrics) if metrics is not None else metric_columns(runs)
    by_name = {name: runs[runs["scenario"] == name].set_index("run") for name in names}
    rows = []
    for other in names[1:]:
        for metric in metrics:
            a, b = by_name[names[0]][metric].align(by_name[other][metric], join="inner")
            means = {f"mean_{name}": float(by_name[name][metric].mean()) for name in names}
            better = BETTER.get(metric)
            stats_ = paired_difference(a.to_numpy(dtype=float), b.to_numpy(dtype=float), better)
            rows.append({"metric": metric, **means, "versus": other, **stats_, "better": better or ""})
    return pd.DataFrame(rows)


__all__ = [
    "BETTER",
    "CHANNEL_FIGURES",
    "CONFIDENCE",
    "LABELS",
    "channel_table",
    "comparison_table",
    "describe_runs",
    "metric_columns",
    "paired_difference",
]
