"""The sections of a report, in reading order, and the blocks they are made of.

Each ``*_section`` function adds headings, tables and figures to a :class:`Builder`;
:func:`~sandbox.reporting.report.build_report` calls them in order. To add a section,
write a function here and call it from ``build_report``.
"""

from __future__ import annotations

import io
import math
import warnings
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Literal

import pandas as pd

from sandbox.reporting.load import Experiment
from sandbox.reporting.tables import (
    ADDED,
    ONE_SEED,
    WAVE_WINDOW,
    WHY_AVOIDED_DIFFERS,
    channels_table,
    fmt,
    fmt_ci,
    fmt_diff,
    largest_cascades,
    largest_waves,
    sweep_result,
)

# --- blocks --------------------------------------------------------------------------------


@dataclass
class ReportFigure:
    """A figure of the report: its title, the plain-language caption and the PNG."""

    title: str
    caption: str
    png: bytes
    anchor: str = ""


@dataclass
class ReportTable:
    """A table of the report, already formatted (strings), with a caption."""

    title: str
    caption: str
    table: pd.DataFrame
    anchor: str = ""


@dataclass
class ReportText:
    """A paragraph or a heading."""

    text: str
    heading: bool = False


Block = ReportFigure | ReportTable | ReportText


def _png(fig: Any) -> bytes:
    """The figure as PNG bytes (no metadata), and the figure closed."""
    import matplotlib.pyplot as plt

    buffer = io.BytesIO()
    with warnings.catch_warnings():
        # Names in scripts the font lacks (a Chinese scenario name) draw as boxes; the HTML text has them right.
        warnings.filterwarnings("ignore", message="Glyph .* missing from font", category=UserWarning)
        fig.savefig(buffer, format="png", dpi=130, bbox_inches="tight", metadata={"Software": None}, facecolor="white")
    plt.close(fig)
    return buffer.getvalue()


class Builder:
    """Collects the blocks of a report; every figure goes through :meth:`figure`."""

    def __init__(self) -> None:
        self.blocks: list[Block] = []

    def heading(self, text: str) -> None:
        self.blocks.append(ReportText(text, heading=True))

    def text(self, text: str) -> None:
        self.blocks.append(ReportText(text))

    def figure(self, title: str, fig_or_ax: Any, caption: str) -> None:
        from matplotlib.figure import Figure

        fig = fig_or_ax if isinstance(fig_or_ax, Figure) else fig_or_ax.figure
        anchor = f"fig{len([b for b in self.blocks if isinstance(b, ReportFigure)]) + 1}"
        self.blocks.append(ReportFigure(title, caption, _png(fig), anchor))

    def table(self, title: str, table: pd.DataFrame, caption: str) -> None:
        anchor = f"tab{len([b for b in self.blocks if isinstance(b, ReportTable)]) + 1}"
        self.blocks.append(ReportTable(title, caption, table, anchor))


# --- sections ------------------------------------------------------------------------------


def report_title(experiment: Experiment) -> str:
    names = experiment.names
    if experiment.kind == "run":
        return f"Run of {names[0]}"
    if experiment.kind == "replicate":
        return f"{names[0]}: {_runs_per_scenario(experiment)} replicate runs"
    if experiment.kind == "compare":
        return f"{' vs '.join(names)}: paired comparison"
    return f"{names[0]}: {experiment.design} sweep of {len(experiment.parameters)} parameters"


def _runs_per_scenario(experiment: Experiment) -> int:
    if "scenario" in experiment.runs.columns:
        return int(experiment.runs.groupby("scenario").size().max())
    if "point" in experiment.runs.columns:
        return int(experiment.runs.groupby("point").size().max())
    return len(experiment.runs)


def _months(experiment: Experiment) -> tuple[str, str, int]:
    months = sorted(experiment.monthly["month"].astype(str).unique())
    return months[0], months[-1], len(months)


def report_meta(experiment: Experiment) -> list[tuple[str, str]]:
    first, last, n = _months(experiment)
    meta = [
        (
            "what",
            {
                "run": "a single run",
                "replicate": "replicate runs of one scenario",
                "compare": "scenarios compared on the same seeds (common random numbers)",
                "sweep": "a parameter sweep",
            }[experiment.kind],
        ),
        ("folder", str(experiment.path)),
    ]
    sources = {}
    for entry in (experiment.manifest or {}).get("scenarios") or []:
        sources[entry.get("name")] = entry.get("source")
    meta.append(("scenarios", "; ".join(f"{n} ({sources[n]})" if sources.get(n) else n for n in experiment.names)))
    meta.append(("months simulated", f"{first} to {last} ({n} months)"))
    if experiment.kind == "run":
        meta.append(("seed", str((experiment.summary or {}).get("seed"))))
    else:
        seeds = (experiment.manifest or {}).get("seeds") or {}
        meta.append(
            (
                "runs",
                f"{len(experiment.runs)} finished"
                + (f" ({_runs_per_scenario(experiment)} per scenario)" if experiment.kind == "compare" else "")
                + (f", {len(experiment.failed)} failed" if experiment.failed else ""),
            )
        )
        meta.append(("experiment seed", str(seeds.get("root"))))
    if experiment.kind == "sweep":
        design = (experiment.manifest or {}).get("design") or {}
        points = 0 if experiment.points is None else len(experiment.points)
        meta.append(("design", f"{experiment.design}, {points} points x {design.get('runs', 1)} runs"))
        for p, (low, high) in experiment.parameters.items():
            meta.append((f"parameter {p}", f"{low:g} to {high:g}"))
    manifest = experiment.manifest or {}
    if manifest.get("sandbox_version"):
        meta.append(("sandbox version", str(manifest["sandbox_version"])))
    if manifest.get("finished") or manifest.get("started"):
        meta.append(("experiment ran", f"{manifest.get('started')} to {manifest.get('finished') or 'unfinished'}"))
    meta.append(("report made", datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")))
    return meta


def headline_section(b: Builder, experiment: Experiment, headline: pd.DataFrame) -> None:
    from sandbox.reporting.plots import label

    b.heading("Key outcomes")
    kind = experiment.kind
    if kind == "run":
        table = pd.DataFrame(
            {
                "outcome": [label(m) for m in headline["metric"]],
                "value": [fmt(v, m) for m, v in zip(headline["metric"], headline["value"], strict=True)],
            }
        )
        b.table(
            "Key outcomes of the run",
            table,
            "One run: each number is what this seed produced. Run a "
            "replicate set (sandbox replicate) to see how much they vary from seed to seed.",
        )
        return
    if kind == "replicate":
        table = pd.DataFrame(
            {
                "outcome": [label(m) for m in headline["metric"]],
                "mean": [fmt(v, m) for m, v in zip(headline["metric"], headline["mean"], strict=True)],
                "95% interval of the mean": [
                    fmt_ci(lo, hi, m)
                    for m, lo, hi in zip(headline["metric"], headline["ci_low"], headline["ci_high"], strict=True)
                ],
                "sd across runs": [fmt(v, m) for m, v in zip(headline["metric"], headline["sd"], strict=True)],
                "runs": headline["n"].astype(int).astype(str),
            }
        )
        b.table(
            "Key outcomes, mean over runs",
            table,
            f"The mean of each outcome over {int(headline['n'].max())} runs that differ only in their seed, the "
            "95% interval for that mean (it narrows as runs are added), and the standard deviation: how much "
            "one run typically differs from another.",
        )
        return
    if kind == "compare":
        names = experiment.names
        multi = len(names) > 2
        rows = []
        for row in headline.to_dict("records"):
            m = row["metric"]
            cells = {"outcome": label(m)}
            for name in names:
                interval = fmt_ci(row[f"ci_low_{name}"], row[f"ci_high_{name}"], m)
                # A header of its own: a scenario may be called "outcome" or "difference" too.
                cells[f"{name}: mean (95% interval)"] = f"{fmt(row[f'mean_{name}'], m)} ({interval})"
            if multi:
                cells["versus"] = row["versus"]
            cells["difference"] = fmt_diff(row["difference"], m)
            cells["95% interval of the difference"] = fmt_ci(row["ci_low"], row["ci_high"], m, change=True)
            share = row.get("share_better")
            cells["runs in which it did better"] = "–" if share is None or not math.isfinite(share) else f"{share:.0%}"
            rows.append(cells)
        ref, others = names[0], ", ".join(names[1:])
        b.table(
            "Key outcomes, paired comparison",
            pd.DataFrame(rows),
            f"Each scenario's mean over the same {_runs_per_scenario(experiment)} seeds, with its 95% interval "
            f"in brackets. 'Difference' is {others} minus {ref}, averaged run by run over the same seeds "
            "(a share's change in percentage points, pp); its "
            "interval excludes zero when the difference is unlikely to be luck of the draw. The last column "
            "counts the runs in which the proposal did better than the reference (lower losses and failures, "
            "more credit), where 'better' has a direction.",
        )
        return
    table = pd.DataFrame(
        {
            "outcome": [label(m) for m in headline["metric"]],
            "mean over the design": [fmt(v, m) for m, v in zip(headline["metric"], headline["mean"], strict=True)],
            "95% interval": [
                fmt_ci(lo, hi, m)
                for m, lo, hi in zip(headline["metric"], headline["ci_low"], headline["ci_high"], strict=True)
            ],
            "lowest point": [fmt(v, m) for m, v in zip(headline["metric"], headline["point_min"], strict=True)],
            "highest point": [fmt(v, m) for m, v in zip(headline["metric"], headline["point_max"], strict=True)],
        }
    )
    b.table(
        "Key outcomes across the sweep",
        table,
        f"The mean of each outcome over all {len(experiment.runs)} runs of the design (so an average over the "
        "parameter ranges swept, not a forecast for any one setting), and the lowest and highest mean at a "
        "single design point: the spread that the swept parameters produce.",
    )


def compare_section(b: Builder, experiment: Experiment, headline: pd.DataFrame, plots: Any) -> None:
    names = experiment.names
    metrics = list(pd.unique(headline["metric"]))
    ax = plots.comparison_intervals(headline, metrics=metrics)
    dropped = [
        plots.label(m)
        for m in metrics
        if not (headline.loc[headline["metric"] == m, f"mean_{names[0]}"].abs() > 0).all()
    ]
    b.figure(
        "Paired differences",
        ax,
        f"How much each outcome changes under {', '.join(names[1:])} compared with {names[0]}, in percent of "
        f"{names[0]}'s mean. Each dot is the average run-by-run difference on the same seeds; the bar is its "
        "95% interval. Blue: clearly better (the whole interval is on the better side of zero); vermillion: "
        "clearly worse; grey: no clear direction, or no better direction for that outcome."
        + (f" Not shown ({names[0]}'s mean is zero): {', '.join(dropped)}." if dropped else ""),
    )


def rules_section(b: Builder, go_live: pd.DataFrame) -> None:
    b.heading("Rules in force")
    if go_live.empty:
        b.text("No rule dates are known for this folder.")
        return
    table = pd.DataFrame(
        {
            "rule": go_live["rule"],
            "scenario": go_live["scenario"].fillna("all scenarios"),
            "values": go_live["values"].fillna(""),
            "goes live": go_live["start"],
            "lifted": go_live["until"].fillna("–"),
            "in this report": go_live["status"],
        }
    )
    b.table(
        "Rules, their values and dates",
        table,
        "Each rule of each scenario with its values (a rate cap of "
        "36% against one of 24%, say) and when it takes effect; a rule that every scenario has with the same "
        "values and dates is listed once, for all scenarios. Rules that go live during the run are marked on "
        "the time charts by a dotted vertical line.",
    )


def _when(go_live: pd.DataFrame) -> str:
    """A sentence naming the go-live dates marked on time charts."""
    live = go_live[go_live["status"] == "goes live during the run"]
    if live.empty:
        return " No rule goes live during the months shown (all apply from the start or after the end)."
    items = [
        r["rule"] + ("" if pd.isna(r["scenario"]) else f" ({r['scenario']})") + f" in {r['start']}"
        for r in live.to_dict("records")
    ]
    return " Dotted vertical lines: rules going live (" + "; ".join(items) + ")."


def _spread(experiment: Experiment) -> str:
    n = len(experiment.runs)
    if experiment.kind == "run":
        return "One run, so one line."
    if experiment.kind == "sweep":
        return (
            f"The line is the median month by month over all {n} runs of the design, the shaded band holds "
            "90% of them (5th to 95th percentile): it spans both the parameter ranges and the seeds."
        )
    per = _runs_per_scenario(experiment)
    return (
        f"The line is the median month by month over {per} runs"
        + (" of each scenario" if experiment.kind == "compare" else "")
        + ", the shaded band holds 90% of runs (5th to 95th percentile): a month's value in a new run would "
        "usually fall inside it."
    )


def series_section(b: Builder, experiment: Experiment, go_live: pd.DataFrame, plots: Any) -> None:
    b.heading("The market over time")
    monthly = experiment.monthly
    by = "scenario" if experiment.kind == "compare" else None
    spread, when = _spread(experiment), _when(go_live)
    kinds = [c for c in ("alive_intermediary", "alive_pool", "alive_fraud") if c in monthly.columns]
    if experiment.kind in ("run", "replicate") and kinds:
        keys = [c for c in ("run",) if c in monthly.columns]
        long = monthly.melt(id_vars=[*keys, "month"], value_vars=kinds, var_name="kind", value_name="alive")
        long["kind"] = long["kind"].str.removeprefix("alive_")
        ax = plots.fan_chart(long, "alive", by="kind", go_live=go_live, title="Platforms alive, by business model")
        ax.set_ylabel("platforms alive")
        b.figure(
            "Platforms alive",
            ax,
            "Platforms operating each month by business model: intermediaries "
            "(matching lenders and borrowers), pools (taking deposits into a pool) and frauds (schemes that "
            f"never lend). {spread}{when}",
        )
    else:
        ax = plots.fan_chart(monthly, "alive_total", by=by, go_live=go_live, title="Platforms alive")
        b.figure("Platforms alive", ax, f"Platforms operating each month. {spread}{when}")
    ax = plots.fan_chart(monthly, "loan_balance", by=by, go_live=go_live, title="Loan balance")
    b.figure(
        "Loan balance",
        ax,
        "Loans outstanding to borrowers through platforms, in yuan: how much credit "
        f"the market carries. {spread}{when}",
    )
    ax = plots.fan_chart(
        monthly, "cumulative_investor_loss", by=by, go_live=go_live, title="Cumulative investor losses"
    )
    b.figure(
        "Cumulative investor losses",
        ax,
        "Money investors have lost so far (in yuan) through platform "
        f"failures, frauds and defaults passed on to them. A steep rise is a failure wave. {spread}{when}",
    )


def failures_section(b: Builder, experiment: Experiment, go_live: pd.DataFrame, plots: Any) -> None:
    b.heading("Failures")
    monthly, runs = experiment.monthly, experiment.runs
    by = "scenario" if experiment.kind == "compare" else None
    spread, when = _spread(experiment), _when(go_live)
    ax = plots.failures_by_cause(runs, by=by)
    what = "in the run" if experiment.kind == "run" else "per run, averaged over runs, with 95% intervals"
    b.figure(
        "Failures by cause",
        ax,
        f"Platform failures {what}, by cause: insolvency (losses ate the "
        "capital), illiquidity run (investors withdrew faster than loans repaid), fraud (a scheme collapsed "
        "or was caught), credit contagion (losses on claims on failed platforms or guarantors), regulatory "
        "(closed by the regulator) and orderly exit (wound down without default).",
    )
    fig = plots.failures_over_time(monthly, by=by, go_live=go_live)
    b.figure(
        "Failures by cause over time",
        fig,
        "Failures so far, cause by cause; each panel has its own "
        f"scale, so compare heights within a panel. {spread}{when}",
    )
    ax = plots.fan_chart(monthly, "failures_total", by=by, go_live=go_live, title="Failures per month")
    b.figure(
        "Failures per month",
        ax,
        f"Platforms failing each month, all causes together. Peaks are failure "
        f"waves; the table below lists the largest. {spread}{when}",
    )
    per_run = 5 if experiment.kind == "run" else 1
    waves = largest_waves(monthly, per_run=per_run)
    keys = [c for c in ("scenario", "point", "run") if c in waves.columns and experiment.kind != "run"]
    shown = waves[[*keys, "from", "to", "failures", "alive_before", "share", "causes"]].copy()
    shown["share"] = [f"{s:.1%}" for s in shown["share"]]
    shown = shown.rename(columns={"alive_before": "alive before", "share": "share of those alive"})
    caption = (
        f"The {WAVE_WINDOW} consecutive months with the most failures as a share of the platforms alive "
        "before them"
        + (
            " (the largest waves of this run that do not overlap)."
            if experiment.kind == "run"
            else "; one wave per run, the runs with the largest waves first."
        )
    )
    if shown.empty:
        b.text("No platform failed: there is no failure wave to list.")
    else:
        b.table("Largest failure waves", shown, caption)
    if experiment.kind == "run" and experiment.failures is not None:
        cascades = largest_cascades(experiment.failures)
        if cascades.empty:
            b.text("No failure was traced to an earlier one: there were no cascades.")
        else:
            b.table(
                "Largest cascades",
                cascades.rename(columns={"root_cause": "root cause"}),
                "Failures traced back to a common first failure (the root) through contagion channels, "
                "largest first; 'channels' counts how the later failures were triggered.",
            )
    channels = channels_table(experiment)
    if not channels.empty:
        b.table("Failures by contagion channel", channels, _channels_caption(experiment, channels))


def _channels_caption(experiment: Experiment, channels: pd.DataFrame) -> str:
    """What the contagion channels table shows: attributed failures first, then what the reruns found."""
    attributed = "runs and information both act through sentiment"
    if "avoided with it off" not in channels:  # a single run without counterfactuals
        return (
            f"This run's failures that came through each contagion channel (the 'channel' of failures.csv; "
            f"{attributed}). Run with counterfactuals to see, besides, the failures avoided with each "
            "channel switched off."
        )
    if experiment.kind == "run":
        how = (
            "'Attributed' counts this run's failures that came through the channel (the 'channel' of "
            f"failures.csv; {attributed}). Then the same seed run again with the channel switched off: how many "
            "of this run's failures disappear ('avoided') and how many new ones happen instead ('added'). "
            f"{ONE_SEED}"
        )
    else:
        how = (
            f"Per run, 'attributed' counts the failures that came through the channel ({attributed}); each run "
            "is then rerun on its own seed with the channel switched off, giving the failures 'avoided' and "
            "'added'. Means over runs with 95% intervals; 'net change' is failures with the channel minus "
            "failures without it, paired by seed."
        )
    return f"{how} {WHY_AVOIDED_DIFFERS} {ADDED}"


def losses_section(b: Builder, experiment: Experiment, plots: Any) -> None:
    b.heading("Losses across investors")
    if experiment.kind == "run" and experiment.investors is not None:
        ax = plots.loss_distribution(experiment.investors)
        summary = experiment.runs.iloc[0]
        for x, column in plots.SUMMARY_THRESHOLDS.items():
            if column in summary:
                ax.plot([x], [summary[column]], "o", color="#000000", markersize=4)
        b.figure(
            "Losses across investors",
            ax,
            "Among investors who put money in, the share who lost more than a given part of it: read across "
            "from a loss on the horizontal axis (say 50%) to the share of investors who lost more than that. "
            "Dots: the summary's shares losing anything, over 10% and over 50%. A curve that falls steeply "
            "means losses are concentrated on few investors.",
        )
        return
    by = "scenario" if experiment.kind == "compare" else None
    ax = plots.loss_distribution(experiment.runs, by=by)
    b.figure(
        "Losses across investors",
        ax,
        "Among investors who put money in, the share who lost anything, more than 10% and more than 50% of "
        "what they put in. The line joins the medians over runs, the bars hold 90% of runs. "
        "Experiment stores keep these three shares per run, not every investor; a single run's report draws "
        "the full curve.",
    )


def jurisdictions_section(b: Builder, experiment: Experiment, plots: Any) -> None:
    """A single run with jurisdictions: small multiples by jurisdiction, and the moves between them."""
    places = experiment.by_jurisdiction
    if experiment.kind != "run" or places is None or places.empty:
        return
    b.heading("By jurisdiction")
    b.figure(
        "Operating platforms and failures by jurisdiction",
        plots.jurisdiction_panels(places, ["alive_total", "failures_total"]),
        "One panel per jurisdiction, on the same scales: platforms operating there at each month's end "
        "(homed there: a platform that moves counts where it moved to), and failures so far of platforms "
        "homed there when they failed.",
    )
    b.figure(
        "Investor losses by jurisdiction",
        plots.jurisdiction_panels(places, ["cumulative_resident_loss", "cumulative_holding_loss"]),
        "One panel per jurisdiction, in yuan: losses so far of investors living there (wherever the platform "
        "was), and losses so far on platforms homed there (whoever invested).",
    )
    b.figure(
        "Loan balance by jurisdiction",
        plots.jurisdiction_panels(places, ["loan_balance"]),
        "One panel per jurisdiction: loans outstanding on the platforms homed there (yuan).",
    )
    moves = ["relocations_in", "relocations_out", "controllers_returned"]
    totals = places.groupby("jurisdiction", sort=False)[moves].sum()
    b.table(
        "Moves and returning controllers",
        totals.reset_index(),
        "Platforms that moved their home in and out of each jurisdiction over the run (relocations.csv "
        "lists each move with its reason), and controllers of failed frauds who set up again there.",
    )


def sweep_section(b: Builder, experiment: Experiment, outcomes: list[str], notes: list[str], plots: Any) -> None:
    from sandbox.experiments.results import ExperimentError
    from sandbox.experiments.sensitivity import sensitivity

    b.heading("Response to the swept parameters")
    parameters = list(experiment.parameters)
    fig = plots.sweep_response(experiment.runs, parameters, outcomes)
    b.figure(
        "Response to each parameter",
        fig,
        "Each dot is one run; the dark line joins the medians in bins of the parameter. A clear slope means "
        "the outcome responds to that parameter across the ranges swept (other parameters vary at the same "
        "time, so the scatter around the line includes their effect and the seeds').",
    )
    if experiment.design not in ("sobol", "morris"):
        b.text(
            f"Sensitivity indices need a sobol or morris design; this sweep is {experiment.design}. Run "
            "sandbox sweep --design sobol (or morris) to get them."
        )
        return
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            method: Literal["sobol", "morris"] = "sobol" if experiment.design == "sobol" else "morris"
            indices = sensitivity(sweep_result(experiment), outcomes, method=method)
    except (ExperimentError, ValueError, ZeroDivisionError) as err:
        notes.append(f"Sensitivity indices not computed: {str(err).splitlines()[0]}")
        b.text(f"Sensitivity indices could not be computed: {str(err).splitlines()[0]}")
        return
    fig = plots.sensitivity_bars(indices, outcomes)
    if experiment.design == "sobol":
        caption = (
            "Sobol' indices (SALib): the share of an outcome's variance due to each parameter alone "
            "(first-order) and with its interactions (total), with 95% intervals. Near 0: the parameter "
            "hardly matters over its range; total well above first-order: it matters through "
            "interactions. Small designs give wide intervals and can give values below 0 or above 1."
        )
    else:
        caption = (
            "Morris elementary effects (SALib): mu* is the mean absolute change in the outcome when the "
            "parameter moves one step across its range (with a 95% interval), sigma how much that change "
            "varies with the other parameters (non-linearity or interactions). Both are in the outcome's "
            "units."
        )
    b.figure("Sensitivity indices", fig, caption)
    shown = indices.copy()
    for column in shown.columns[2:]:
        shown[column] = [f"{v:.3g}" if math.isfinite(v) else "–" for v in shown[column]]
    b.table("Sensitivity indices", shown, "The numbers behind the bars.")


__all__ = [
    "Block",
    "Builder",
    "ReportFigure",
    "ReportTable",
    "ReportText",
    "compare_section",
    "failures_section",
    "headline_section",
    "losses_section",
    "report_meta",
    "report_title",
    "rules_section",
    "series_section",
    "sweep_section",
]


#: The products' monthly series a report draws, when the run has them: (column, title, what it shows).
PRODUCT_SERIES = (
    ("mmf_assets", "Money-market fund assets", "The online money-market fund's assets, in yuan."),
    (
        "mmf_outflow_share",
        "Money-market fund outflow",
        "Redemptions paid in the month as a share of the fund's assets: a spike is a run. Beyond its "
        "buffer and maturing paper the fund sells securities at a discount (fire sales).",
    ),
    (
        "client_funds_lost",
        "Payment client funds lost",
        "Client money (households' and P2P platforms') lost so far at payment institutions that failed: the "
        "part not deposited centrally that the institution lost beyond its capital, in yuan.",
    ),
    (
        "misselling_harm",
        "Online insurance harm",
        "Harm to households so far from insurance sold online: claims unlicensed sellers did not pay, and "
        "premiums on products unsuited to the buyer, in yuan.",
    ),
)


def products_section(b: Builder, experiment: Experiment, go_live: pd.DataFrame, plots: Any) -> None:
    """The money-market fund, payment institutions and online insurance, for runs with a products: section."""
    monthly = experiment.monthly
    series = [s for s in PRODUCT_SERIES if s[0] in monthly.columns]
    if not series:
        return
    b.heading("Money-market fund, payment institutions and online insurance")
    by = "scenario" if experiment.kind == "compare" else None
    spread, when = _spread(experiment), _when(go_live)
    for column, title, caption in series:
        ax = plots.fan_chart(monthly, column, by=by, go_live=go_live, title=title)
        b.figure(title, ax, f"{caption} {spread}{when}")
