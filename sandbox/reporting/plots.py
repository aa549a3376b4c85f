"""Plots of runs and experiments, in one colour-blind-safe style (matplotlib).

Every function takes tidy DataFrames (as :mod:`sandbox.experiments` and
:class:`sandbox.market.results.RunResult` give them), draws on ``ax`` if given or on a
new figure, and returns the Axes (one panel) or the Figure (several panels):

    >>> import sandbox
    >>> from sandbox import experiments
    >>> from sandbox.reporting import plots
    >>> cmp = experiments.compare(["scenarios/baseline.yaml", "scenarios/rate_cap_24.yaml"], runs=10, seed=1)
    >>> rules = plots.go_live_dates(sandbox.load_scenario("scenarios/rate_cap_24.yaml"), "rate_cap_24")
    >>> plots.fan_chart(cmp.monthly, "alive_total", by="scenario", go_live=rules)
    >>> plots.comparison_intervals(cmp.comparison)

Colours follow the Okabe-Ito palette (distinguishable with the common forms
of colour blindness); groups also differ by line style, so that figures stay
readable when printed in grey.
"""

from __future__ import annotations

import functools
import math
import textwrap
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

import matplotlib as mpl
import matplotlib.dates as mdates
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from cycler import cycler
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.ticker import FuncFormatter
from scipy import stats

from sandbox.market.platforms import CAUSES
from sandbox.reporting.regime import go_live_dates, human, rule_values

#: The Okabe-Ito palette, in the order groups (scenarios, kinds) take it.
OKABE_ITO: dict[str, str] = {
    "blue": "#0072B2",
    "vermillion": "#D55E00",
    "bluish_green": "#009E73",
    "orange": "#E69F00",
    "reddish_purple": "#CC79A7",
    "sky_blue": "#56B4E9",
    "yellow": "#F0E442",
    "black": "#000000",
}
PALETTE: list[str] = list(OKABE_ITO.values())
LINESTYLES: list[Any] = ["-", "--", ":", "-.", (0, (5, 1, 1, 1)), (0, (1, 3))]
GREY = "#7F7F7F"

#: One colour per failure cause, the same in every figure.
CAUSE_COLORS: dict[str, str] = {
    "insolvency": OKABE_ITO["blue"],
    "illiquidity_run": OKABE_ITO["orange"],
    "fraud": OKABE_ITO["vermillion"],
    "credit_contagion": OKABE_ITO["reddish_purple"],
    "regulatory": OKABE_ITO["bluish_green"],
    "orderly_exit": OKABE_ITO["sky_blue"],
    "converted": OKABE_ITO["yellow"],
}
KIND_COLORS: dict[str, str] = {
    "intermediary": OKABE_ITO["blue"],
    "pool": OKABE_ITO["orange"],
    "fraud": OKABE_ITO["vermillion"],
}

#: Readable names for monthly variables and summary metrics (axis labels, table rows).
LABELS: dict[str, str] = {
    "alive_total": "platforms alive",
    "alive_intermediary": "intermediaries alive",
    "alive_pool": "pools alive",
    "alive_fraud": "frauds alive",
    "failures_total": "platform failures in the month",
    "loan_balance": "loan balance (yuan)",
    "investor_money": "investor money in (yuan)",
    "cumulative_investor_loss": "cumulative investor loss (yuan)",
    "new_credit": "new credit (yuan)",
    "sentiment": "investor sentiment",
    "investor_loss_total": "investor loss (yuan)",
    "investor_loss_share": "investor loss, share of peak money in",
    "investors_with_loss_share": "investors with a loss",
    "investors_losing_over_10pct": "investors losing over 10%",
    "investors_losing_over_50pct": "investors losing over half",
    "platform_failures": "platform failures (platforms)",
    "contagion_share": "failures by contagion (share)",
    "largest_wave_share": "largest 3-month failure wave (share alive)",
    "largest_cascade": "largest cascade (failures)",
    "credit_supplied_total": "credit supplied (yuan)",
    "credit_excluded_total": "credit excluded by rules (yuan)",
    "credit_informal": "excluded credit borrowed informally (yuan)",
    "credit_gone_without": "excluded credit gone without (yuan)",
    "borrower_default_rate": "borrower default rate (annual)",
    "fraud_loss_total": "investor loss to fraud (yuan)",
    "recovery_rate": "recovery rate",
    **{f"failures_{c}": f"failures: {c.replace('_', ' ')}" for c in CAUSES},
    # Products beyond P2P lending (a scenario's products: section)
    "mmf_assets": "money-market fund assets (yuan)",
    "mmf_assets_peak": "money-market fund peak assets (yuan)",
    "mmf_outflow_share": "fund outflow in the month (share of assets)",
    "mmf_max_monthly_outflow_share": "fund's largest monthly outflow (share of assets)",
    "mmf_fire_sale_loss": "fund fire-sale losses (yuan)",
    "client_funds_lost": "payment client funds lost (yuan)",
    "payment_client_funds": "payment institutions' client funds (yuan)",
    "payment_central_deposit": "client funds deposited centrally (yuan)",
    "misselling_harm": "online insurance mis-selling harm (yuan)",
    "households_harmed": "households harmed by online insurance (persons)",
}
#: Metrics that are shares (shown in percent).
SHARES: frozenset[str] = frozenset(
    {
        "investor_loss_share",
        "investors_with_loss_share",
        "investors_losing_over_10pct",
        "investors_losing_over_50pct",
        "contagion_share",
        "largest_wave_share",
        "recovery_rate",
        "borrower_default_rate",
        "overindebted_share",
        "loss_gini",
        "mmf_outflow_share",
        "mmf_max_monthly_outflow_share",
    }
)

#: Matplotlib settings of every figure drawn here (see :func:`use_style`).
STYLE: dict[str, Any] = {
    "axes.prop_cycle": cycler(color=PALETTE),
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.grid": True,
    "axes.grid.axis": "y",
    "axes.axisbelow": True,
    "grid.color": "#DDDDDD",
    "grid.linewidth": 0.6,
    "axes.titlesize": 10,
    "axes.titleweight": "bold",
    "axes.labelsize": 9,
    "xtick.labelsize": 8,
    "ytick.labelsize": 8,
    "legend.fontsize": 8,
    "legend.frameon": False,
    "lines.linewidth": 1.8,
    "figure.dpi": 100,
    "savefig.dpi": 130,
    "savefig.bbox": "tight",
    "font.family": "DejaVu Sans",
}
BAND = (0.05, 0.95)
WIDE = (7.5, 3.2)


def use_style() -> None:
    """Apply :data:`STYLE` to every later matplotlib figure (e.g. at the top of a notebook)."""
    rc: Any = mpl.rcParams  # typed with literal keys; STYLE's keys are plain strings
    rc.update(STYLE)


def label(name: str) -> str:
    """A readable name for a monthly variable or a summary metric."""
    return LABELS.get(name, name.replace("_", " "))


def text_label(name: Any) -> str:
    """A user's name (scenario, rule) as matplotlib text that shows exactly as written.

    Names are labels, not markup: ``$`` would start mathtext (and an unbalanced
    one fails at drawing), and a legend skips labels that start with ``_``.
    """
    text = str(name).replace("$", r"\$")
    return f" {text}" if text.startswith("_") else text


def color_for(i: int) -> str:
    """The ``i``-th group colour (cycling through the palette)."""
    return PALETTE[i % len(PALETTE)]


def linestyle_for(i: int) -> Any:
    """The ``i``-th group line style."""
    return LINESTYLES[i % len(LINESTYLES)]


def months_to_dates(months: Iterable[Any]) -> pd.DatetimeIndex:
    """``YYYY-MM`` labels as the first day of each month."""
    return pd.DatetimeIndex(pd.to_datetime(pd.Series(list(months), dtype=str), format="%Y-%m"))


def _go_live_table(go_live: pd.DataFrame | Mapping[str, str] | None) -> pd.DataFrame:
    if go_live is None:
        return pd.DataFrame(columns=["rule", "start", "scenario"])
    if isinstance(go_live, Mapping):
        return go_live_dates(go_live)
    table = go_live.copy()
    if "scenario" not in table.columns:
        table["scenario"] = None
    return table


def mark_go_live(
    ax: Axes, go_live: pd.DataFrame | Mapping[str, str] | None, first: Any = None, last: Any = None, labels: bool = True
) -> list[str]:
    """Draw a dotted vertical line at each rule's go-live month (inside ``first``..``last``).

    Rules in force from the first month plotted are not marked (they apply
    throughout). Returns the ``YYYY-MM`` dates marked.
    """
    table = _go_live_table(go_live)
    if table.empty:
        return []
    lo, hi = (pd.Timestamp(x) if x is not None else None for x in (first, last))
    marked = []
    for start, group in table.groupby("start", sort=True):
        when = pd.Timestamp(months_to_dates([start])[0])
        if (lo is not None and when <= lo) or (hi is not None and when > hi):
            continue
        names = []
        for row in group.to_dict("records"):
            scenario = row["scenario"]
            names.append(str(row["rule"]) if pd.isna(scenario) or not scenario else f"{row['rule']} ({scenario})")
        ax.axvline(when, color="#444444", linestyle=":", linewidth=1.0, zorder=1)
        if labels:
            text = text_label(f"{start}: {', '.join(dict.fromkeys(names))}")
            ax.annotate(
                text,
                xy=(when, 1.0),
                xycoords=("data", "axes fraction"),
                xytext=(2, -2),
                textcoords="offset points",
                rotation=90,
                va="top",
                ha="left",
                fontsize=6.5,
                color="#444444",
                bbox={"boxstyle": "square,pad=0.1", "facecolor": "white", "edgecolor": "none", "alpha": 0.8},
            )
        marked.append(str(start))
    return marked


def styled[**P, R](fn: Callable[P, R]) -> Callable[P, R]:
    """Run a plotting function with :data:`STYLE` applied (every artist it makes gets the style).

    Only the keys of :data:`STYLE` are set and restored afterwards: unlike
    ``plt.rc_context``, this leaves alone what pyplot changes meanwhile (the
    inline backend of a notebook turns interactive mode on with the first
    figure; restoring it would stop later figures from showing).
    """

    @functools.wraps(fn)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        rc: Any = mpl.rcParams
        saved = {key: rc[key] for key in STYLE}
        rc.update(STYLE)
        try:
            return fn(*args, **kwargs)
        finally:
            rc.update(saved)

    return wrapper


def _new_axes(ax: Axes | None, figsize: tuple[float, float] = WIDE) -> Axes:
    """``ax``, or the Axes of a new pyplot figure (shown inline in notebooks; close it when done)."""
    if ax is not None:
        return ax
    fig = plt.figure(figsize=figsize, layout="constrained")
    return fig.add_subplot()


def _new_figure(
    rows: int,
    cols: int,
    panel: tuple[float, float] = (3.0, 2.3),
    sharex: Any = False,
    sharey: Any = False,
    fig: Figure | None = None,
) -> tuple[Figure, np.ndarray]:
    """A new pyplot figure of ``rows`` x ``cols`` panels (at most 10 inches wide), or those panels
    on ``fig`` (a figure outside pyplot, as a web page draws: nothing to close)."""
    size = (min(panel[0] * cols, 10.0), panel[1] * rows)
    if fig is None:
        fig = plt.figure(figsize=size, layout="constrained")
    else:
        fig.set_size_inches(size)
        fig.set_layout_engine("constrained")
    axes = fig.subplots(rows, cols, squeeze=False, sharex=sharex, sharey=sharey)
    return fig, axes


def _groups(data: pd.DataFrame, by: str | None) -> list[tuple[Any, pd.DataFrame]]:
    if by is None:
        return [(None, data)]
    return [(name, data[data[by] == name]) for name in pd.unique(data[by])]


def _date_axis(ax: Axes) -> None:
    locator = mdates.AutoDateLocator(minticks=3, maxticks=8)
    ax.xaxis.set_major_locator(locator)
    ax.xaxis.set_major_formatter(mdates.ConciseDateFormatter(locator))


@styled
def fan_chart(
    monthly_long: pd.DataFrame,
    variable: str,
    ax: Axes | None = None,
    by: str | None = None,
    go_live: pd.DataFrame | Mapping[str, str] | None = None,
    band: tuple[float, float] = BAND,
    title: str | None = None,
    legend: bool = True,
    color: str | None = None,
    label_go_live: bool = True,
) -> Axes:
    """The median of ``variable`` across runs, month by month, and a shaded band (5th to 95th percentile).

    Args:
        monthly_long: one row per run and month: ``month`` (``YYYY-MM``),
            ``variable`` and, if given, ``by``; any other columns are ignored.
            A single run draws a line without a band.
        variable: the column to plot.
        ax: draw here (default: a new figure).
        by: a column whose groups (scenarios, kinds...) get a fan each.
        go_live: rule dates to mark (see :func:`go_live_dates` or a ``{rule: "YYYY-MM"}`` mapping).
        band: the quantiles bounding the band.
        title: the panel's title (default: the variable's name).
        legend: show a legend when there are groups.
        color: the colour of the single fan (without ``by``).
        label_go_live: write the rules' names beside the go-live lines (off for small panels).

    Returns:
        The Axes.
    """
    ax = _new_axes(ax)
    line_color = color
    first = last = None
    for i, (name, group) in enumerate(_groups(monthly_long, by)):
        by_month = group.groupby("month", sort=True)[variable]
        q = by_month.quantile([band[0], 0.5, band[1]]).unstack()
        x = months_to_dates(q.index)
        color, style = color_for(i), linestyle_for(i)
        if by == "kind" and name in KIND_COLORS:
            color = KIND_COLORS[name]
        if by is None and line_color is not None:
            color = line_color
        if by_month.size().max() > 1:
            ax.fill_between(x, q[band[0]], q[band[1]], color=color, alpha=0.2, linewidth=0)
        ax.plot(x, q[0.5], color=color, linestyle=style, label=None if name is None else text_label(name))
        first = x.min() if first is None else min(first, x.min())
        last = x.max() if last is None else max(last, x.max())
    mark_go_live(ax, go_live, first, last, labels=label_go_live)
    _date_axis(ax)
    ax.yaxis.set_major_formatter(FuncFormatter(human))
    _from_zero(ax)
    ax.set_ylabel(label(variable))
    ax.set_title(title if title is not None else label(variable)[:1].upper() + label(variable)[1:], loc="left")
    if by is not None and legend:
        ax.legend(loc="best")
    return ax


def _from_zero(ax: Axes) -> None:
    """Rescale the y axis to everything drawn so far and start it at 0 when no value is negative.

    The y limits are then fixed: draw more on the Axes and call ``ax.autoscale()`` to rescale.
    """
    ax.set_autoscaley_on(True)
    ax.relim()
    ax.autoscale_view(scalex=False)
    if np.isfinite(ax.dataLim.y0) and ax.dataLim.y0 >= 0:
        ax.set_ylim(bottom=0.0)


def _run_columns(monthly_long: pd.DataFrame) -> list[str]:
    """The columns that tell runs apart in a long monthly table."""
    return [c for c in ("scenario", "point", "run") if c in monthly_long.columns]


def cumulative(monthly_long: pd.DataFrame, columns: Sequence[str]) -> pd.DataFrame:
    """A copy with ``cumulative_<column>`` added: running totals within each run (in month order)."""
    out = monthly_long.sort_values([*_run_columns(monthly_long), "month"], kind="stable").copy()
    keys = _run_columns(out)
    for column in columns:
        if keys:
            out[f"cumulative_{column}"] = out.groupby(keys, sort=False)[column].cumsum()
        else:
            out[f"cumulative_{column}"] = out[column].cumsum()
    return out


@styled
def failures_over_time(
    monthly_long: pd.DataFrame,
    by: str | None = None,
    go_live: pd.DataFrame | Mapping[str, str] | None = None,
    causes: Sequence[str] = CAUSES,
) -> Figure:
    """Cumulative platform failures by cause: one small panel per cause, each a fan chart.

    Args:
        monthly_long: one row per run and month with ``failures_<cause>`` columns.
        by: a column whose groups get a fan each (e.g. ``scenario``).
        go_live: rule dates to mark.
        causes: which causes (default: all six).

    Returns:
        The Figure (each panel has its own y scale).
    """
    causes = [c for c in causes if f"failures_{c}" in monthly_long.columns]
    data = cumulative(monthly_long, [f"failures_{c}" for c in causes])
    cols = min(3, max(len(causes), 1))
    rows = math.ceil(len(causes) / cols) if causes else 1
    fig, axes = _new_figure(rows, cols, panel=(3.2, 2.2))
    for k, ax in enumerate(axes.flat):
        if k >= len(causes):
            ax.set_visible(False)
            continue
        cause = causes[k]
        fan_chart(
            data,
            f"cumulative_failures_{cause}",
            ax=ax,
            by=by,
            go_live=go_live,
            title=cause.replace("_", " "),
            legend=by is not None and k == 0,
            color=CAUSE_COLORS.get(cause),
            label_go_live=False,
        )
        ax.set_ylabel("failures so far" if k % cols == 0 else "")
        ax.title.set_fontsize(9)
    return fig


@styled
def jurisdiction_panels(by_jurisdiction: pd.DataFrame, columns: Sequence[str], fig: Figure | None = None) -> Figure:
    """Small multiples: one panel per jurisdiction, each with ``columns`` (failures cumulated).

    Args:
        by_jurisdiction: ``monthly_by_jurisdiction.csv`` of a run (``month``, ``jurisdiction``, ...).
        columns: series to draw; ``failures_*`` and ``relocations_*`` are drawn as running totals.
        fig: an empty figure to draw on (the dashboard's, outside pyplot); ``None``: a new pyplot figure.

    Returns:
        The Figure: panels share both axes, so jurisdictions compare at a glance.
    """
    names = list(pd.unique(by_jurisdiction["jurisdiction"]))
    cols = min(4, max(len(names), 1))
    rows = math.ceil(len(names) / cols)
    fig, axes = _new_figure(rows, cols, panel=(min(10.0 / cols, 4.0), 2.0), sharex=True, sharey=True, fig=fig)
    for k, ax in enumerate(axes.flat):
        if k >= len(names):
            ax.set_visible(False)
            continue
        data = by_jurisdiction[by_jurisdiction["jurisdiction"] == names[k]]
        dates = months_to_dates(data["month"])
        for i, column in enumerate(columns):
            values = data[column].to_numpy(dtype=float)
            name = label(column)
            if column.startswith(("failures_", "relocations_")):  # monthly counts, drawn as running totals
                values = np.cumsum(values)
                name = f"{name.removesuffix(' in the month')} so far"
            ax.plot(dates, values, color=color_for(i), linestyle=linestyle_for(i), label=name)
        ax.set_title(str(names[k]), fontsize=9)
        _date_axis(ax)
        if k == 0:
            ax.legend(fontsize=7)
    return fig


@styled
def failures_by_cause(
    runs: pd.DataFrame,
    ax: Axes | None = None,
    by: str | None = None,
    causes: Sequence[str] = CAUSES,
) -> Axes:
    """Platform failures per run by cause: the mean over runs, with a 95% interval when there are several.

    Args:
        runs: one row per run with ``failures_<cause>`` columns (a runs table
            of :mod:`sandbox.experiments`, or a one-row table of a run's flat summary).
        ax: draw here (default: a new figure).
        by: a column whose groups (e.g. ``scenario``) get a bar each per cause.
        causes: which causes.

    Returns:
        The Axes.
    """
    ax = _new_axes(ax)
    causes = [c for c in causes if f"failures_{c}" in runs.columns]
    groups = _groups(runs, by)
    width = 0.8 / max(len(groups), 1)
    x = np.arange(len(causes))
    for i, (name, group) in enumerate(groups):
        means, halves = [], []
        for cause in causes:
            values = group[f"failures_{cause}"].to_numpy(dtype=float)
            values = values[np.isfinite(values)]
            means.append(values.mean() if values.size else math.nan)
            halves.append(_half_width(values))
        offset = (i - (len(groups) - 1) / 2) * width
        colors = [CAUSE_COLORS.get(c, PALETTE[0]) for c in causes] if by is None else color_for(i)
        yerr = None if all(math.isnan(h) for h in halves) else np.nan_to_num(halves)
        ax.bar(
            x + offset,
            means,
            width=width * 0.95,
            color=colors,
            yerr=yerr,
            capsize=3,
            error_kw={"elinewidth": 1, "ecolor": "#333333"},
            label=None if name is None else text_label(name),
            hatch=None if i == 0 else ["", "//", "..", "xx", "\\\\", "oo"][i % 6],
            edgecolor="white",
        )
    ax.set_xticks(x, [c.replace("_", "\n") for c in causes])
    ax.set_ylabel("failures per run" if len(runs) > 1 else "failures")
    ax.set_title("Platform failures by cause", loc="left")
    ax.yaxis.set_major_formatter(FuncFormatter(human))
    if by is not None:
        ax.legend(loc="best")
    return ax


def _half_width(values: np.ndarray, confidence: float = 0.95) -> float:
    """Half the width of the t-interval of the mean (NaN for fewer than two values)."""
    n = values.size
    if n < 2:
        return math.nan
    return float(stats.t.ppf((1 + confidence) / 2, n - 1) * values.std(ddof=1) / math.sqrt(n))


#: Loss thresholds (share of money invested) that the run summaries record.
SUMMARY_THRESHOLDS: dict[float, str] = {
    0.0: "investors_with_loss_share",
    0.10: "investors_losing_over_10pct",
    0.50: "investors_losing_over_50pct",
}


def loss_exceedance(investors: pd.DataFrame, grid: np.ndarray | None = None) -> pd.DataFrame:
    """Share of investors who lost more than ``x`` of what they invested, for each ``x``.

    Args:
        investors: one row per investor with ``invested`` and ``lost``
            (investors who never invested are left out), or a run's percentile
            summary (``percentile``, ``lost_share_of_invested``).
        grid: the thresholds ``x`` (default: 0 to 1 in steps of 0.01).

    Returns:
        ``threshold`` and ``share_of_investors``.
    """
    grid = np.linspace(0.0, 1.0, 101) if grid is None else np.asarray(grid, dtype=float)
    if "lost_share_of_invested" in investors.columns:
        p = investors["percentile"].to_numpy(dtype=float) / 100.0
        v = investors["lost_share_of_invested"].to_numpy(dtype=float)
        share = np.array([1.0 - p[v <= x].max(initial=0.0) for x in grid])
    else:
        took_part = investors["invested"].to_numpy(dtype=float) > 0
        lost = investors["lost"].to_numpy(dtype=float)[took_part]
        invested = investors["invested"].to_numpy(dtype=float)[took_part]
        share = np.array([(lost > x * invested).mean() if lost.size else 0.0 for x in grid])
    return pd.DataFrame({"threshold": grid, "share_of_investors": share})


@styled
def loss_distribution(
    data: pd.DataFrame,
    ax: Axes | None = None,
    by: str | None = None,
    band: tuple[float, float] = BAND,
) -> Axes:
    """How losses spread across investors: the share who lost more than x% of what they invested.

    Args:
        data: either one row per investor (``invested``, ``lost``: a run's
            ``investors`` table, or a percentile summary of it), drawn as a
            full curve; or a runs table (``investors_with_loss_share``,
            ``investors_losing_over_10pct``, ``investors_losing_over_50pct``),
            drawn at 0%, 10% and 50% as the median across runs with a band.
        ax: draw here (default: a new figure).
        by: a column whose groups get a curve each.
        band: the quantiles bounding the band (runs tables).

    Returns:
        The Axes.
    """
    ax = _new_axes(ax)
    per_investor = "lost" in data.columns
    groups = _groups(data, by)
    for i, (name, group) in enumerate(groups):
        color, style = color_for(i), linestyle_for(i)
        text = None if name is None else text_label(name)
        if per_investor:
            curve = loss_exceedance(group)
            ax.step(
                curve["threshold"], curve["share_of_investors"], where="post", color=color, linestyle=style, label=text
            )
        else:
            xs = [x for x, col in SUMMARY_THRESHOLDS.items() if col in group.columns]
            values = [group[SUMMARY_THRESHOLDS[x]].to_numpy(dtype=float) for x in xs]
            mid = [np.nanmedian(v) for v in values]
            lo = [np.nanquantile(v, band[0]) for v in values]
            hi = [np.nanquantile(v, band[1]) for v in values]
            if len(group) > 1:
                shift = (i - (len(groups) - 1) / 2) * 0.006  # side by side, so the bars do not hide each other
                ax.errorbar(
                    np.add(xs, shift),
                    mid,
                    yerr=[np.subtract(mid, lo), np.subtract(hi, mid)],
                    color=color,
                    linestyle=style,
                    marker="o",
                    capsize=3,
                    label=text,
                )
            else:
                ax.plot(xs, mid, color=color, linestyle=style, marker="o", label=text)
    if not per_investor:
        ax.set_xticks(list(SUMMARY_THRESHOLDS))
    ax.xaxis.set_major_formatter(FuncFormatter(_percent))
    ax.yaxis.set_major_formatter(FuncFormatter(_percent))
    ax.set_xlim(-0.02, 1.0 if per_investor else 0.55)
    _from_zero(ax)
    ax.set_xlabel("loss as a share of the money the investor put in")
    ax.set_ylabel("investors losing more")
    ax.set_title("Losses across investors", loc="left")
    if by is not None:
        ax.legend(loc="best")
    return ax


def _reference_and_proposal(comparison: pd.DataFrame) -> tuple[str, list[str]]:
    means = [c.removeprefix("mean_") for c in comparison.columns if c.startswith("mean_")]
    if "versus" in comparison.columns:
        return means[0], list(pd.unique(comparison["versus"]))
    return means[0], means[1:2]


@styled
def comparison_intervals(
    comparison_df: pd.DataFrame,
    ax: Axes | None = None,
    metrics: Sequence[str] | None = None,
    relative: bool = True,
) -> Axes:
    """Paired differences (proposal minus reference) with their 95% intervals, one row per metric.

    Args:
        comparison_df: :func:`sandbox.experiments.comparison_table` output or
            ``comparison.csv`` (``metric``, ``mean_<name>`` with the reference
            first, optional ``versus``, ``difference``, ``ci_low``, ``ci_high``, ``better``).
        ax: draw here (default: a new figure).
        metrics: which metrics, in this order (default: all rows).
        relative: show differences in percent of the reference mean (metrics
            whose reference mean is 0 are left out); else in the metric's units.

    Returns:
        The Axes. Blue: the interval lies on the better side of zero;
        vermillion: on the worse side; grey: no clear direction.
    """
    reference, proposals = _reference_and_proposal(comparison_df)
    table = comparison_df
    if metrics is not None:
        table = table[table["metric"].isin(list(metrics))]
        order = {m: i for i, m in enumerate(metrics)}
        table = table.sort_values("metric", key=lambda c: c.map(order), kind="stable")
    rows = len(table["metric"].unique())
    ax = _new_axes(ax, figsize=(7.5, 0.35 * rows * max(len(proposals), 1) + 1.2))
    names = list(pd.unique(table["metric"]))
    step = 0.7 / max(len(proposals), 1)
    for j, proposal in enumerate(proposals):
        part = table if "versus" not in table.columns else table[table["versus"] == proposal]
        # Rows as mappings: the columns are named after scenarios (any text), never attribute names.
        for row in part.to_dict("records"):
            scale = 1.0
            if relative:
                ref = row[f"mean_{reference}"]
                if not ref or not math.isfinite(ref):
                    continue
                scale = 100.0 / abs(ref)
            diff, low, high = row["difference"] * scale, row["ci_low"] * scale, row["ci_high"] * scale
            y = names.index(row["metric"]) + (j - (len(proposals) - 1) / 2) * step
            color = _verdict_color(low, high, row.get("better", ""))
            marker = ["o", "s", "D", "^", "v", "P"][j % 6]
            xerr = None if not (math.isfinite(low) and math.isfinite(high)) else [[diff - low], [high - diff]]
            ax.errorbar(diff, y, xerr=xerr, fmt=marker, color=color, capsize=3, markersize=5)
    ax.axvline(0, color="#333333", linewidth=0.8)
    ax.set_yticks(range(len(names)), [label(m) for m in names])
    ax.invert_yaxis()
    ax.grid(axis="x", color="#DDDDDD", linewidth=0.6)
    ax.grid(axis="y", visible=False)
    unit = f"% of {reference}'s mean" if relative else "metric units"
    who = proposals[0] if len(proposals) == 1 else "each proposal"
    ax.set_xlabel(text_label(f"{who} minus {reference} ({unit}), mean of paired runs with 95% interval"))
    if relative:
        ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:+.0f}%"))
    ax.set_title("Paired differences", loc="left")
    if len(proposals) > 1:
        handles = [
            Line2D(
                [], [], marker=["o", "s", "D", "^", "v", "P"][j % 6], color="#333333", linestyle="", label=text_label(p)
            )
            for j, p in enumerate(proposals)
        ]
        ax.legend(handles=handles, loc="best")
    return ax


def _verdict_color(low: float, high: float, better: Any) -> str:
    if better not in ("lower", "higher") or not (math.isfinite(low) and math.isfinite(high)):
        return GREY
    if (better == "lower" and high < 0) or (better == "higher" and low > 0):
        return OKABE_ITO["blue"]
    if (better == "lower" and low > 0) or (better == "higher" and high < 0):
        return OKABE_ITO["vermillion"]
    return GREY


@styled
def sweep_response(
    runs: pd.DataFrame,
    parameters: Sequence[str],
    outputs: Sequence[str],
    bins: int = 6,
) -> Figure:
    """Each output against each swept parameter: every run as a dot, and the median in bins of the parameter.

    Args:
        runs: a sweep's runs table (parameter columns, ``point``, ``run``, metrics).
        parameters: the swept parameters (columns).
        outputs: the metrics to show (columns).
        bins: bins of equal counts along each parameter for the median line.

    Returns:
        The Figure: one row of panels per output, one column per parameter
        (with a single parameter, the outputs' panels side by side, two a row).
    """
    if len(parameters) == 1:
        cols = min(2, len(outputs))
        fig, axes = _new_figure(math.ceil(len(outputs) / cols), cols, panel=(3.8, 2.4))
        panels = [(k // cols, k % cols, output, parameters[0]) for k, output in enumerate(outputs)]
        for ax in axes.flat[len(outputs) :]:
            ax.set_visible(False)
    else:
        fig, axes = _new_figure(len(outputs), len(parameters), panel=(3.3, 2.4), sharey="row")
        panels = [
            (r, c, output, parameter) for r, output in enumerate(outputs) for c, parameter in enumerate(parameters)
        ]
    for r, c, output, parameter in panels:
        ax = axes[r, c]
        x = runs[parameter].to_numpy(dtype=float)
        y = runs[output].to_numpy(dtype=float)
        ok = np.isfinite(x) & np.isfinite(y)
        ax.scatter(x[ok], y[ok], s=10, color=OKABE_ITO["sky_blue"], alpha=0.7, linewidths=0)
        mids, meds = _binned_medians(x[ok], y[ok], bins)
        if len(mids) > 1:
            ax.plot(mids, meds, color=OKABE_ITO["blue"], marker="o", markersize=3)
        ax.yaxis.set_major_formatter(FuncFormatter(_share if output in SHARES else human))
        ax.xaxis.set_major_formatter(FuncFormatter(human))
        if len(parameters) == 1 or r == len(outputs) - 1:
            ax.set_xlabel(parameter, fontsize=8)
        if c == 0 or len(parameters) == 1:
            ax.set_ylabel(_wrap(label(output)), fontsize=8)
    return fig


def _binned_medians(x: np.ndarray, y: np.ndarray, bins: int) -> tuple[np.ndarray, np.ndarray]:
    """Medians of ``x`` and ``y`` in bins of ``x``.

    One bin per distinct value when there are few (a grid), else ``bins`` bins
    of about equal counts (at least 4 runs each).
    """
    values = np.unique(x)
    if values.size <= bins:
        return values, np.array([np.median(y[x == v]) for v in values])
    bins = min(bins, x.size // 4)
    if bins < 2:
        return np.array([]), np.array([])
    order = np.argsort(x, kind="stable")
    parts = np.array_split(order, bins)
    return np.array([np.median(x[p]) for p in parts]), np.array([np.median(y[p]) for p in parts])


def _share(x: float, pos: int | None = None) -> str:  # noqa: ARG001 - matplotlib FuncFormatter passes pos
    return f"{x:.0%}"


def _percent(x: float, pos: int | None = None) -> str:  # noqa: ARG001 - matplotlib FuncFormatter passes pos
    return f"{100 * x:.3g}%"


def _wrap(text: str, width: int = 24) -> str:
    """Break ``text`` into lines of about ``width`` characters, at spaces or after dots (dotted paths)."""
    if " " in text or "." not in text:
        return "\n".join(textwrap.wrap(text, width))
    lines = [""]
    for part in text.split("."):
        piece = part if lines == [""] else f".{part}"
        if lines[-1] and len(lines[-1]) + len(piece) > width:
            lines.append(piece)
        else:
            lines[-1] += piece
    return "\n".join(lines)


@styled
def sensitivity_bars(indices: pd.DataFrame, outputs: Sequence[str] | None = None) -> Figure:
    """Sensitivity indices per parameter, one panel per output.

    Args:
        indices: :func:`sandbox.experiments.sensitivity` output: ``output``,
            ``parameter`` and either Sobol' ``S1``, ``S1_conf``, ``ST``,
            ``ST_conf`` (bars: first-order and total index with 95% intervals)
            or Morris ``mu_star``, ``mu_star_conf``, ``sigma`` (bars: mean
            absolute elementary effect with its interval, and its spread).
        outputs: which outputs (default: all, in order).

    Returns:
        The Figure.
    """
    outputs = list(outputs) if outputs is not None else list(pd.unique(indices["output"]))
    sobol = "S1" in indices.columns
    pairs = (
        (("S1", "S1_conf", "first-order (alone)"), ("ST", "ST_conf", "total (with interactions)"))
        if sobol
        else (("mu_star", "mu_star_conf", "mean |effect| (mu*)"), ("sigma", None, "spread of effects (sigma)"))
    )
    cols = min(2, len(outputs)) or 1
    rows = math.ceil(len(outputs) / cols) or 1
    n_params = indices["parameter"].nunique()
    fig, axes = _new_figure(rows, cols, panel=(4.2, 0.45 * n_params + 1.3))
    for k, ax in enumerate(axes.flat):
        if k >= len(outputs):
            ax.set_visible(False)
            continue
        part = indices[indices["output"] == outputs[k]]
        y = np.arange(len(part))
        for j, (col, conf, text) in enumerate(pairs):
            values = part[col].to_numpy(dtype=float)
            err = part[conf].to_numpy(dtype=float) if conf else None
            ax.barh(
                y + (j - 0.5) * 0.38,
                values,
                height=0.36,
                xerr=err,
                capsize=2,
                color=[OKABE_ITO["blue"], OKABE_ITO["orange"]][j],
                hatch=["", "//"][j],
                edgecolor="white",
                error_kw={"elinewidth": 0.8, "ecolor": "#333333"},
                label=text,
            )
        ax.set_yticks(y, [_wrap(p, 26) for p in part["parameter"]], fontsize=7.5)
        ax.invert_yaxis()
        ax.axvline(0, color="#333333", linewidth=0.8)
        ax.grid(axis="x", color="#DDDDDD", linewidth=0.6)
        ax.grid(axis="y", visible=False)
        ax.set_title(_wrap(label(outputs[k]), 40), loc="left", fontsize=9)
        if not sobol:
            ax.xaxis.set_major_formatter(FuncFormatter(human))
        if k == 0:
            ax.legend(loc="best", fontsize=7)
    return fig


__all__ = [
    "CAUSE_COLORS",
    "LABELS",
    "OKABE_ITO",
    "PALETTE",
    "STYLE",
    "comparison_intervals",
    "cumulative",
    "failures_by_cause",
    "failures_over_time",
    "fan_chart",
    "go_live_dates",
    "human",
    "label",
    "loss_distribution",
    "loss_exceedance",
    "mark_go_live",
    "months_to_dates",
    "rule_values",
    "sensitivity_bars",
    "styled",
    "sweep_response",
    "text_label",
    "use_style",
]
