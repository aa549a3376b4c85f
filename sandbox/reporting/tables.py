"""What a report computes and how it writes numbers: headline table, waves, cascades, rule dates.

These work on an :class:`~sandbox.reporting.load.Experiment` and return plain tables, so
they can be checked (and used in a notebook) without building a report.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from sandbox.api import ATTRIBUTED_AS, WHY_AVOIDED_DIFFERS, attributed_failures
from sandbox.market.platforms import CAUSES
from sandbox.reporting.load import Experiment, ReportError

#: The outcomes of the headline table, in order (those a folder lacks are left out).
HEADLINE = (
    "investor_loss_total",
    "investor_loss_share",
    "investors_with_loss_share",
    "investors_losing_over_50pct",
    "platform_failures",
    "contagion_share",
    "largest_wave_share",
    "largest_cascade",
    "fraud_loss_total",
    "recovery_rate",
    "credit_supplied_total",
    "credit_excluded_total",
    "borrower_default_rate",
    # Products beyond P2P lending: shown when the runs have them (a products: section)
    "mmf_assets_peak",
    "mmf_max_monthly_outflow_share",
    "mmf_fire_sale_loss",
    "client_funds_lost",
    "misselling_harm",
)
#: Outcomes whose response to a sweep's parameters is drawn by default.
RESPONSE = ("investor_loss_total", "platform_failures", "contagion_share", "credit_supplied_total")
WAVE_WINDOW = 3


#: What the 'added' column of a counterfactual table means, in one line (report and CLI).
ADDED = (
    "'Added' counts failures that occur only when the channel is off: with one channel gone, the run "
    "takes another path (path dependence), and platforms that survived before can fail."
)


#: What a single run's 'avoided' and 'added' are, in one line (report and CLI).
ONE_SEED = (
    "'Avoided' and 'added' are one seed's figures; a replicate with --counterfactuals gives their mean "
    "and 95% interval over seeds."
)


def channels_table(experiment: Experiment) -> pd.DataFrame:
    """Per contagion channel: failures attributed to it first, then failures avoided and added with it off.

    A single run gives its counts (one seed); a replicate or a comparison run with
    counterfactuals gives each figure's mean over runs with its 95% interval
    (:func:`~sandbox.experiments.statistics.channel_table`; ``net change`` is the
    paired difference, seed by seed). Empty when the folder has no counterfactuals.
    """
    if experiment.kind == "sweep":  # counts pooled over different parameter values would mean nothing
        return pd.DataFrame()
    if experiment.kind == "run":
        cf = experiment.counterfactuals
        if cf is None or cf.empty:  # no reruns: the attributed failures alone, if the log is there
            if experiment.failures is None:
                return pd.DataFrame()
            cf = pd.DataFrame({"channel": list(ATTRIBUTED_AS), "attributed_as": list(ATTRIBUTED_AS.values())})
        cf = cf.copy()
        if "failures_attributed" not in cf and experiment.failures is not None:  # saved before attribution was shown
            cf["failures_attributed"] = cf["channel"].map(attributed_failures(experiment.failures))
        columns = {
            "channel": "channel",
            "attributed_as": "attributed as",
            "failures_attributed": "attributed",
            "failures_avoided": "avoided with it off",
            "failures_added": "added with it off",
            "failures_without": "failures without it",
        }
        return cf[[c for c in columns if c in cf]].rename(columns=columns)
    from sandbox.experiments.statistics import channel_table

    by = "scenario" if experiment.kind == "compare" else None
    table = channel_table(experiment.runs, by=by)
    if table.empty:
        return table
    out = table[[c for c in (by, "channel") if c is not None]].copy()
    for figure, label in (
        ("attributed", "attributed"),
        ("avoided", "avoided with it off"),
        ("added", "added with it off"),
        ("net", "net change (paired)"),
    ):
        means = table[f"{figure}_mean"]
        lows = table[f"{figure}_ci_low"] if figure == "net" else table[f"{figure}_ci_low"].clip(lower=0.0)
        intervals = (
            fmt_ci(lo, hi, change=figure == "net") for lo, hi in zip(lows, table[f"{figure}_ci_high"], strict=True)
        )  # counts are never < 0; a net change can be
        shown = (fmt_diff(m) if figure == "net" else fmt(m) for m in means)
        out[label] = [f"{m} ({ci})" for m, ci in zip(shown, intervals, strict=True)]
    out["runs"] = table["n"]
    return out


def go_live_table(experiment: Experiment) -> pd.DataFrame:
    """Every rule entry's dates and values: ``rule``, ``start``, ``until``, ``values``, ``scenario``, ``status``.

    ``values`` is the entry's parameters in words and units (``apr 24%``). A rule
    entry that every scenario shares (same dates, same values) has ``scenario`` ``None``.
    ``status`` says whether it applies from the first month, goes live inside
    the horizon simulated, or only after it.
    """
    from sandbox.reporting.regime import go_live_dates

    parts = [go_live_dates(s, name) for name, s in experiment.scenarios.items() if s is not None]
    columns = ["rule", "start", "until", "values", "scenario", "status"]
    if not parts:
        return pd.DataFrame(columns=columns)
    table = pd.concat(parts, ignore_index=True)
    table["until"] = table["until"].astype(object).where(table["until"].notna(), None)
    known = sum(s is not None for s in experiment.scenarios.values())
    entry = ["rule", "start", "until", "values"]
    counts = table.groupby(entry, dropna=False)["scenario"].transform("size")
    table["scenario"] = table["scenario"].astype(object).where(counts < known, None)
    table = table.drop_duplicates([*entry, "scenario"]).reset_index(drop=True)
    months = sorted(experiment.monthly["month"].astype(str).unique())
    first, last = (months[0], months[-1]) if months else ("", "")

    def status(start: str) -> str:
        if start <= first:
            return "in force from the first month"
        if start <= last:
            return "goes live during the run"
        return "after the horizon simulated"

    table["status"] = [status(str(s)) for s in table["start"]]
    return table.sort_values(["start", "rule"], kind="stable").reset_index(drop=True)[columns]


def headline_metrics(runs: pd.DataFrame, metrics: Sequence[str] = HEADLINE) -> list[str]:
    """The metrics of ``metrics`` that ``runs`` has."""
    return [m for m in metrics if m in runs.columns]


def headline_table(experiment: Experiment, metrics: Sequence[str] = HEADLINE) -> pd.DataFrame:
    """The numbers of the headline table.

    Returns:
        run: ``metric``, ``value``.
        replicate: ``metric``, ``mean``, ``sd``, ``ci_low``, ``ci_high``, ``n``
            (see :func:`sandbox.experiments.describe_runs`).
        compare: :func:`sandbox.experiments.comparison_table` rows (``mean_<name>``,
            ``difference``, ``ci_low``, ``ci_high``, ``share_better``...), plus
            ``ci_low_<name>`` and ``ci_high_<name>``, the interval of each mean.
        sweep: ``describe_runs`` over every run, plus ``point_min`` and
            ``point_max``, the lowest and highest point means.
    """
    from sandbox.experiments.statistics import comparison_table, describe_runs

    runs = experiment.runs
    metrics = headline_metrics(runs, metrics)
    if experiment.kind == "run":
        return pd.DataFrame({"metric": metrics, "value": [float(runs[m].iloc[0]) for m in metrics]})
    if experiment.kind == "replicate":
        return describe_runs(runs, metrics)
    if experiment.kind == "compare":
        table = comparison_table(runs, experiment.names, metrics)
        for name in experiment.names:
            described = describe_runs(runs[runs["scenario"] == name], metrics).set_index("metric")
            table[f"ci_low_{name}"] = table["metric"].map(described["ci_low"])
            table[f"ci_high_{name}"] = table["metric"].map(described["ci_high"])
        return table
    table = describe_runs(runs, metrics)
    point_means = runs.groupby("point")[metrics].mean()
    table["point_min"] = table["metric"].map(point_means.min())
    table["point_max"] = table["metric"].map(point_means.max())
    return table


def largest_waves(
    monthly_long: pd.DataFrame, window: int = WAVE_WINDOW, top: int = 5, per_run: int = 1
) -> pd.DataFrame:
    """The largest failure waves: most failures in ``window`` consecutive months, as a share of platforms alive.

    The share is the one of :func:`sandbox.market.results.largest_wave_share`, so a
    run's largest wave here equals its ``largest_wave_share``.

    Args:
        monthly_long: monthly series (one or many runs) with ``failures_total``,
            ``alive_total`` and ``failures_<cause>``.
        window: months in a wave.
        top: rows to return.
        per_run: waves kept per run (non-overlapping), before the ``top`` overall.

    Returns:
        The run's labels, ``from``, ``to`` (``YYYY-MM``), ``failures``,
        ``alive_before``, ``share`` and ``causes`` (the main causes in words),
        largest share first.
    """
    keys = [c for c in ("scenario", "point", "run") if c in monthly_long.columns]
    groups = monthly_long.groupby(keys, sort=False) if keys else [((), monthly_long)]
    rows = []
    for labels, run in groups:
        run = run.sort_values("month")
        fails = run["failures_total"].to_numpy(dtype=float)
        alive = run["alive_total"].to_numpy(dtype=float)
        if fails.size == 0:
            continue
        start = np.r_[alive[0] + fails[0], alive[:-1]]
        shares = np.array([fails[t : t + window].sum() / max(start[t], 1.0) for t in range(fails.size)])
        months = run["month"].astype(str).to_numpy()
        taken: list[int] = []
        for t in np.argsort(-shares, kind="stable"):
            if len(taken) >= per_run or shares[t] <= 0:
                break
            if any(abs(int(t) - u) < window for u in taken):
                continue
            taken.append(int(t))
            end = min(int(t) + window, fails.size) - 1
            causes = {
                c: int(run[f"failures_{c}"].to_numpy()[t : end + 1].sum())
                for c in CAUSES
                if f"failures_{c}" in run.columns
            }
            words = ", ".join(
                f"{c.replace('_', ' ')} {k}" for c, k in sorted(causes.items(), key=lambda kv: -kv[1]) if k > 0
            )
            label_values = dict(zip(keys, labels if isinstance(labels, tuple) else (labels,), strict=True))
            rows.append(
                {
                    **label_values,
                    "from": months[t],
                    "to": months[end],
                    "failures": int(fails[t : end + 1].sum()),
                    "alive_before": int(start[t]),
                    "share": float(shares[t]),
                    "causes": words,
                }
            )
    columns = [*keys, "from", "to", "failures", "alive_before", "share", "causes"]
    table = pd.DataFrame(rows, columns=columns)
    return table.sort_values("share", ascending=False, kind="stable").head(top).reset_index(drop=True)


def largest_cascades(failures: pd.DataFrame, top: int = 5) -> pd.DataFrame:
    """A run's largest cascades (failures traced back to one root), with more than one failure.

    Returns:
        ``root``, ``failures``, ``from``, ``to``, ``root_cause`` and
        ``channels`` (how the failures after the root came about).
    """
    columns = ["root", "failures", "from", "to", "root_cause", "channels"]
    if failures is None or failures.empty:
        return pd.DataFrame(columns=columns)
    rows = []
    for root, group in failures.groupby("root", sort=False):
        if len(group) < 2:
            continue
        head = group[group["depth"] == 0]
        cause = str(head["cause"].iloc[0]) if len(head) else "(outside the platform book)"
        channels = group.loc[group["depth"] > 0, "channel"].dropna().value_counts()
        rows.append(
            {
                "root": root,
                "failures": len(group),
                "from": str(group["month"].min()),
                "to": str(group["month"].max()),
                "root_cause": cause.replace("_", " "),
                "channels": ", ".join(f"{c.replace('_', ' ')} {k}" for c, k in channels.items()),
            }
        )
    table = pd.DataFrame(rows, columns=columns)
    return (
        table.sort_values(["failures", "from"], ascending=[False, True], kind="stable").head(top).reset_index(drop=True)
    )


def sweep_result(experiment: Experiment) -> Any:
    """A :class:`sandbox.experiments.SweepResult` of a sweep store (for :func:`sandbox.experiments.sensitivity`).

    The design's unrounded samples are drawn again from the stored seed, as
    the sweep drew them; if they no longer match the stored values, the
    stored values are used.
    """
    from sandbox.experiments.design import DESIGNS, design_seed, sample_design
    from sandbox.experiments.results import SweepResult

    if experiment.points is None:
        raise ReportError(f"{experiment.path}: not a sweep")
    values = experiment.points.drop(columns="point").to_numpy(dtype=float)
    samples = values
    design = (experiment.manifest or {}).get("design") or {}
    root = ((experiment.manifest or {}).get("seeds") or {}).get("root")
    if root is not None and experiment.design in DESIGNS:
        try:
            drawn = sample_design(
                experiment.parameters, experiment.design, int(design["points"]), design_seed(int(root))
            )
            if drawn.shape == values.shape and np.allclose(
                np.where(values == np.round(values), np.round(drawn), drawn), values
            ):
                samples = drawn
        except Exception:  # fall back to the stored values
            samples = values
    scenario = experiment.names[0] if experiment.names else "scenario"
    return SweepResult(
        parameters=experiment.parameters,
        design=str(experiment.design),
        samples=samples,
        points=experiment.points,
        runs=experiment.runs,
        monthly=experiment.monthly,
        runs_per_point=int(design.get("runs", 1)),
        scenario_name=scenario,
        seed=int(root) if root is not None else 0,
        out=experiment.path,
    )


# --- formatting ----------------------------------------------------------------------------


def fmt(value: Any, metric: str = "") -> str:
    """A number for a table: shares in percent, large values with K/M/billion, three significant figures."""
    from sandbox.reporting.plots import SHARES, human

    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return "–"
    if isinstance(value, int | np.integer) and not isinstance(value, bool):
        return _suffixes(human(float(value))) if abs(int(value)) >= 10_000 else f"{int(value):d}"
    value = float(value)
    if metric in SHARES:
        return f"{value:.1%}"
    return _suffixes(human(value))


def _suffixes(text: str) -> str:
    """The report's thousands and billions: 20K, 1.5 billion (axis ticks keep the short k and B)."""
    return text.replace("k", "K").replace("B", " billion").replace("T", " trillion")


def fmt_ci(low: float, high: float, metric: str = "", change: bool = False) -> str:
    """``low to high``, or a dash when the interval is undefined (fewer than two runs).

    ``change``: the bounds are changes (signed; a share's in percentage points).
    """
    if not (math.isfinite(low) and math.isfinite(high)):
        return "–"
    if change:
        return f"{fmt_diff(low, metric)} to {fmt_diff(high, metric)}"
    return f"{fmt(low, metric)} to {fmt(high, metric)}"


def fmt_diff(value: float, metric: str = "") -> str:
    """A difference with its sign; a change of a share is in percentage points (``+1.2 pp``), not in %."""
    from sandbox.reporting.plots import SHARES

    if metric in SHARES and isinstance(value, int | float | np.number) and math.isfinite(value):
        text = f"{abs(value) * 100:.3g} pp"
        return text if value == 0 else ("+" if value > 0 else "-") + text
    text = fmt(value, metric)
    return text if text.startswith(("-", "–")) or value == 0 else f"+{text}"


__all__ = [
    "ADDED",
    "HEADLINE",
    "ONE_SEED",
    "RESPONSE",
    "WAVE_WINDOW",
    "WHY_AVOIDED_DIFFERS",
    "channels_table",
    "fmt",
    "fmt_ci",
    "fmt_diff",
    "go_live_table",
    "headline_metrics",
    "headline_table",
    "largest_cascades",
    "largest_waves",
    "sweep_result",
]
