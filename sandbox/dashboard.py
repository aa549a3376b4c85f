"""An interactive dashboard on Mesa's Solara visualization (``sandbox dashboard``).

Three parts:

- :func:`build_scenario`: a base scenario with the dashboard's controls applied
  to its regime (rate cap, disclosure, custody, licensing screening,
  inspections, investor education);
- :class:`DashboardModel`: a thin :class:`~sandbox.market.model.SandboxModel` whose
  ``__init__`` takes those controls as keyword arguments (Mesa's
  ``ModelController`` creates the model again with the control values on
  *Reset*) and keeps a Mesa ``DataCollector`` for the charts;
- :func:`DashboardPage`: Mesa's run controls, one labelled input per rule
  and charts against dates; with a ``jurisdictions:`` section, small multiples
  by jurisdiction (the report's :func:`~sandbox.reporting.plots.jurisdiction_panels`
  on the run's ``monthly_by_jurisdiction`` so far); with a ``products:``
  section, the money-market fund's assets and the client funds lost.
  :func:`Page` is the Solara page, served by ``sandbox dashboard``. It reads the
  scenario file from ``$SANDBOX_DASHBOARD_SCENARIO`` and the seed from
  ``$SANDBOX_DASHBOARD_SEED``.

A control left at the value the scenario implies leaves the scenario's rule as
it is (dates included). A changed control replaces every entry of its rule by
one entry in force from the scenario's first month, keeping the scenario's
other parameters of that rule (for example ``min_capital`` of licensing); a
control set to 0 (or unchecked) removes the rule.
"""

from __future__ import annotations

import html
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import matplotlib.dates as mdates
import mesa
import numpy as np
import pandas as pd
import solara
from matplotlib.figure import Figure
from mesa.visualization.solara_viz import ModelController
from mesa.visualization.utils import update_counter

from sandbox.common.dates import DatedValues, month_index, value_at
from sandbox.config.scenario import Scenario, load_scenario, scenario_from_dict
from sandbox.market.model import SandboxModel
from sandbox.market.platforms import CAUSES, FRAUD, INTERMEDIARY, KINDS, POOL
from sandbox.reporting import plots

SCENARIO_ENV = "SANDBOX_DASHBOARD_SCENARIO"
SEED_ENV = "SANDBOX_DASHBOARD_SEED"

# parameters of the scenario's rule that a changed control does not carry over
_DROP = {"rate_cap": {"apr", "multiple"}}

KIND_COLORS = {"intermediary": "tab:blue", "pool": "tab:orange", "fraud": "tab:red"}
ALIVE = {"intermediaries": "tab:blue", "pools": "tab:orange", "frauds": "tab:red"}
CAUSE_COLORS = dict(
    zip(
        (c.replace("_", " ") for c in CAUSES),
        ("tab:brown", "tab:orange", "tab:red", "tab:purple", "tab:green", "tab:gray", "tab:cyan"),
        strict=True,
    )
)
SENTIMENT = "sentiment"
LOSS = "investor loss (million yuan)"
MMF_ASSETS = "money-market fund assets (billion yuan)"
CLIENT_FUNDS_LOST = "client funds lost (million yuan)"
#: The small multiples by jurisdiction: title, columns of ``monthly_by_jurisdiction``, unit, yuan per unit.
PLACE_CHARTS: tuple[tuple[str, tuple[str, ...], str, float], ...] = (
    ("Operating platforms and failures by jurisdiction", ("alive_total", "failures_total"), "platforms", 1.0),
    (
        "Investor losses by jurisdiction (of residents; on platforms homed there)",
        ("cumulative_resident_loss", "cumulative_holding_loss"),
        "million yuan",
        1e6,
    ),
)
FIGSIZE = (6.4, 3.6)
PLAY_INTERVAL_MS = 150  # pause between months when playing


# --------------------------------------------------------------- scenario
def _first(scenario: Scenario, rule: str):
    """The scenario's first rule named ``rule`` (a rule object), or None."""
    return next((r for r in scenario.rules if r.name == rule), None)


@dataclass(frozen=True)
class _ScenarioMonth:
    """One month of a scenario, read as a rule reads the market (before any model exists).

    It offers the read-only members of :class:`sandbox.market.interface.Market`
    that a rule's value of the month needs (``month``, ``month_index``,
    ``value_now``, ``benchmark_rate``), so the dashboard asks the rule for its
    value instead of recomputing it.
    """

    scenario: Scenario
    month: int

    def month_index(self, label: str) -> int:
        """Index of month ``label`` counted from the scenario's start."""
        return month_index(label, self.scenario.start)

    def value_now(self, value: float | DatedValues) -> float:
        """A plain or dated parameter's value in this month."""
        return value_at(value, self.month, self.scenario.start)

    @property
    def benchmark_rate(self) -> float:
        """The scenario's benchmark lending rate in this month."""
        return self.value_now(self.scenario.environment.benchmark_rate)


def controls_from_scenario(scenario: Scenario) -> dict[str, Any]:
    """The control values that stand for the scenario's own regime (0 / False: rule absent).

    A rate cap given as a multiple of the benchmark, or as dated values, shows
    as the APR the rule sets in the month it starts (the rule is asked, see
    :meth:`~sandbox.rules.rate_cap.RateCap.cap`).
    """
    cap = _first(scenario, "rate_cap")
    rate_cap = 0
    if cap is not None:
        month = _ScenarioMonth(scenario, max(0, month_index(cap.start, scenario.start)))
        rate_cap = round(100 * cap.cap(month))
    disclosure = _first(scenario, "disclosure")
    licensing = _first(scenario, "licensing")
    inspections = _first(scenario, "inspections")
    education = _first(scenario, "investor_education")
    return {
        "rate_cap": int(rate_cap),
        "disclosure_level": float(disclosure.level) if disclosure else 0.0,
        "custody": _first(scenario, "custody") is not None,
        "screening_accuracy": float(licensing.screening_accuracy) if licensing else 0.0,
        "inspection_capacity": int(inspections.capacity) if inspections else 0,
        "education_intensity": float(education.intensity) if education else 0.0,
    }


def build_scenario(
    base: Scenario,
    *,
    rate_cap: float | None = None,
    disclosure_level: float | None = None,
    custody: bool | None = None,
    screening_accuracy: float | None = None,
    inspection_capacity: int | None = None,
    education_intensity: float | None = None,
) -> Scenario:
    """``base`` with the given controls applied to its regime (``None``: leave that rule as it is).

    Args:
        rate_cap: borrower APR cap in percent a year; 0 removes the cap.
        disclosure_level: required disclosure quality, 0 to 1; 0 removes the rule.
        custody: bank custody of client funds required (True) or not (False).
        screening_accuracy: licensing with this chance of catching a fraud; 0 removes licensing.
        inspection_capacity: inspections a month; 0 removes inspections.
        education_intensity: share of the literacy gap closed a month; 0 removes education.

    Raises:
        ScenarioError: if a value is out of its rule's range.
    """
    wanted = {
        "rate_cap": None if rate_cap is None else ({"apr": rate_cap / 100} if rate_cap > 0 else False),
        "disclosure": None
        if disclosure_level is None
        else ({"level": disclosure_level} if disclosure_level > 0 else False),
        "custody": None if custody is None else ({} if custody else False),
        "licensing": None
        if screening_accuracy is None
        else ({"screening_accuracy": screening_accuracy} if screening_accuracy > 0 else False),
        "inspections": None
        if inspection_capacity is None
        else ({"capacity": int(inspection_capacity)} if inspection_capacity > 0 else False),
        "investor_education": None
        if education_intensity is None
        else ({"intensity": education_intensity} if education_intensity > 0 else False),
    }
    data = base.to_dict()
    regime = data.get("regime", [])
    for rule, params in wanted.items():
        if params is None:
            continue
        old = next((e[rule] for e in regime if rule in e), {})
        regime = [e for e in regime if rule not in e]
        if params is not False:
            kept = {k: v for k, v in old.items() if k not in {"from", "until", *_DROP.get(rule, ())}}
            regime.append({rule: {**kept, "from": base.start, **params}})
    data["regime"] = regime
    return scenario_from_dict(data, source=base.source)


def base_scenario() -> Scenario:
    """The dashboard's base scenario: ``$SANDBOX_DASHBOARD_SCENARIO``, or the schema's defaults."""
    path = os.environ.get(SCENARIO_ENV)
    if path:
        return load_scenario(Path(path))
    return scenario_from_dict({"name": "default"})


def default_seed() -> int:
    return int(os.environ.get(SEED_ENV, "1"))


# ------------------------------------------------------------------ model
def _alive(kind: int):
    return lambda m: int((m.book.alive() & (m.book.kind[: m.book.n] == kind)).sum())


def _failed(cause: int):
    return lambda m: sum(1 for f in m.recorder.failures if f[2] == cause)


REPORTERS = {
    "intermediaries": _alive(INTERMEDIARY),
    "pools": _alive(POOL),
    "frauds": _alive(FRAUD),
    **{name: _failed(i) for i, name in enumerate(CAUSE_COLORS)},
    SENTIMENT: lambda m: float(m.environment.sentiment),
    LOSS: lambda m: float(m.investors.lost.sum()) / 1e6,
}


def _fund_assets(model: SandboxModel) -> float:
    fund = model.products.fund if model.products is not None else None
    return fund.assets / 1e9 if fund is not None else 0.0


def _client_funds_lost(model: SandboxModel) -> float:
    products = model.products
    return (products.lost_households + products.lost_platforms) / 1e6 if products is not None else 0.0


def reporters(model: SandboxModel) -> dict[str, Any]:
    """:data:`REPORTERS`, and with a ``products:`` section the fund's assets and the client funds lost
    (each only if the section has that product)."""
    out: dict[str, Any] = dict(REPORTERS)
    products = model.products
    if products is not None and products.fund is not None:
        out[MMF_ASSETS] = _fund_assets
    if products is not None and products.payments is not None:
        out[CLIENT_FUNDS_LOST] = _client_funds_lost
    return out


class DashboardModel(SandboxModel):
    """A :class:`SandboxModel` built from the dashboard's controls (keyword arguments only).

    The base scenario is the class attribute ``base`` (see :func:`model_class`);
    without one, the dashboard's :func:`base_scenario`. Each control left at
    ``None`` or at the value the base scenario implies leaves its rule as in
    the scenario. ``step`` stops at the horizon (``running`` turns False) and
    settles the wind-downs still running, so every loss is booked.
    """

    base: Scenario | None = None

    def __init__(
        self,
        rate_cap: float | None = None,
        disclosure_level: float | None = None,
        custody: bool | None = None,
        screening_accuracy: float | None = None,
        inspection_capacity: int | None = None,
        education_intensity: float | None = None,
        seed: int | None = 1,
    ) -> None:
        base = self.base if self.base is not None else base_scenario()
        given = {
            "rate_cap": rate_cap,
            "disclosure_level": disclosure_level,
            "custody": custody,
            "screening_accuracy": screening_accuracy,
            "inspection_capacity": inspection_capacity,
            "education_intensity": education_intensity,
        }
        implied = controls_from_scenario(base)
        given = {k: round(v, 6) if isinstance(v, float) else v for k, v in given.items()}  # slider float noise
        changed = {k: v for k, v in given.items() if v is not None and v != implied[k]}
        super().__init__(build_scenario(base, **changed), seed=seed)
        self.controls = {**implied, **changed}
        self.changed = changed
        self.datacollector = mesa.DataCollector(model_reporters=reporters(self))
        self.datacollector.collect(self)

    def step(self) -> None:
        if self.month >= self.months:
            self.running = False
            return
        super().step()
        if self.month >= self.months:
            self.finish()
            self.running = False
        self.datacollector.collect(self)


def model_class(base: Scenario) -> type[DashboardModel]:
    """A :class:`DashboardModel` subclass bound to ``base`` (what Reset re-instantiates)."""
    return type("DashboardModel", (DashboardModel,), {"base": base, "__module__": __name__})


@dataclass(frozen=True)
class Control:
    """One rule control of the side bar: a slider (or a switch when ``kind`` is "switch")."""

    label: str
    kind: str  # "int", "float" or "switch"
    min: float = 0
    max: float = 1
    step: float = 1
    shown: str = "{:g}"  # how the value reads next to the label; 0 reads "off"

    def reading(self, value: float | bool) -> str:
        """The value as the label shows it, in the control's units ("off" for 0)."""
        if self.kind == "switch":
            return "on" if value else "off"
        return self.shown.format(round(float(value), 6)) if value else "off"


def controls(base: Scenario) -> dict[str, Control]:
    """The side bar's rule controls, with ranges wide enough for the base scenario's values."""
    v = controls_from_scenario(base)
    return {
        "rate_cap": Control("Rate cap, APR", "int", max=max(60, v["rate_cap"]), shown="{:g}%"),
        "disclosure_level": Control("Disclosure level", "float", step=0.05),
        "custody": Control("Bank custody required", "switch"),
        "screening_accuracy": Control("Licensing screening", "float", step=0.05, shown="{:.0%} of frauds caught"),
        "inspection_capacity": Control(
            "Inspections a month", "int", max=max(50, v["inspection_capacity"]), shown="{:g}"
        ),
        "education_intensity": Control(
            "Investor education",
            "float",
            max=max(0.1, v["education_intensity"]),
            step=0.005,
            shown="{:.1%} of the literacy gap a month",
        ),
    }


def model_params(base: Scenario, seed: int = 1) -> dict[str, Any]:
    """The model's keyword arguments for Reset: each control at the value the base scenario implies."""
    return {**controls_from_scenario(base), "seed": seed}


# ------------------------------------------------------------- components
def month_starts(model: SandboxModel) -> pd.DatetimeIndex:
    """First day of each month from the scenario's start: row ``k`` of the charts (``k`` months simulated)."""
    return pd.period_range(model.config.start, periods=model.months + 1, freq="M").to_timestamp()


def series_figure(
    model: DashboardModel, colors: dict[str, str], title: str, ylabel: str, top: float | None = None
) -> Figure:
    """A line chart of collected series against dates, over the whole horizon from the start.

    The y axis starts at 0 and reaches ``top`` (or a little above the largest
    value, at least 1), so month 0 is a point on a readable scale, not a flat
    line in a -0.05 to 0.05 band.
    """
    data = model.datacollector.get_model_vars_dataframe()
    dates = month_starts(model)
    fig = Figure(figsize=FIGSIZE)
    ax = fig.subplots()
    for name, color in colors.items():
        marker = "o" if len(data) == 1 else None  # month 0: one point, visible
        ax.plot(dates[: len(data)], data[name].to_numpy(), color=color, label=name, marker=marker)
    highest = float(np.nanmax(data[list(colors)].to_numpy())) if len(data) else 0.0
    ax.set_ylim(0.0, top if top is not None else max(1.0, 1.1 * highest))
    ax.set_xlim(dates[0], dates[-1])
    locator = mdates.AutoDateLocator(maxticks=8)
    ax.xaxis.set_major_locator(locator)
    ax.xaxis.set_major_formatter(mdates.ConciseDateFormatter(locator))
    ax.set_title(title)
    ax.set_ylabel(ylabel)
    if len(colors) > 1:
        ax.legend(loc="best", fontsize="small")
    return fig


@solara.component
def SeriesChart(model: DashboardModel, colors: dict[str, str], title: str, ylabel: str, top: float | None = None):
    """:func:`series_figure`, redrawn at every step."""
    update_counter.get()
    solara.FigureMatplotlib(series_figure(model, colors, title, ylabel, top), format="png", bbox_inches="tight")


def by_jurisdiction(model: SandboxModel, columns: tuple[str, ...] = ()) -> pd.DataFrame:
    """The run's ``monthly_by_jurisdiction`` table so far (what the report draws); before the first
    month, one row per jurisdiction at the start with ``columns`` empty (NaN)."""
    places = model.jurisdictions
    assert places is not None, "a scenario without jurisdictions has no table by jurisdiction"
    if places.rows:
        return places.tables()["monthly_by_jurisdiction"]
    return pd.DataFrame({"month": model.config.start, "jurisdiction": places.names} | dict.fromkeys(columns, np.nan))


def jurisdiction_figure(model: SandboxModel, title: str, columns: tuple[str, ...], unit: str, scale: float) -> Figure:
    """Small multiples by jurisdiction (:func:`~sandbox.reporting.plots.jurisdiction_panels`), one
    panel per jurisdiction on shared scales, over the whole horizon from the start, values over ``scale``."""
    data = by_jurisdiction(model, columns)
    data = data.assign(**{c: data[c] / scale for c in columns})
    fig = plots.jurisdiction_panels(data, list(columns), fig=Figure())
    dates = month_starts(model)
    first = fig.axes[0]  # the axes are shared: one setting holds for every panel
    first.set_xlim(dates[0], dates[-1])
    highest = float(np.nanmax(data[list(columns)].to_numpy())) if data[list(columns)].notna().any().any() else 0.0
    first.set_ylim(0.0, max(1.0, 1.1 * highest))
    fig.suptitle(title, fontsize=10)
    fig.supylabel(unit, fontsize=9)
    return fig


@solara.component
def JurisdictionPanels(model: DashboardModel, title: str, columns: tuple[str, ...], unit: str, scale: float):
    """:func:`jurisdiction_figure`, redrawn at every step."""
    update_counter.get()
    solara.FigureMatplotlib(jurisdiction_figure(model, title, columns, unit, scale), format="png", bbox_inches="tight")


def _money(x: float) -> str:
    return f"{x / 1e6:,.2f} million yuan"


@solara.component
def Readout(model: DashboardModel):
    """Where the run stands, and the regime of this run."""
    update_counter.get()
    alive = int(model.book.alive().sum())
    failed = len(model.recorder.failures)
    last = model.month_label(model.month - 1) if model.month else "not started"
    done = " (finished)" if not model.running else ""
    c = model.controls
    regime = ", ".join(
        [
            f"rate cap {_off(c['rate_cap'], '{:g}%')}",
            f"disclosure {_off(c['disclosure_level'], '{:g}')}",
            f"custody {'on' if c['custody'] else 'off'}",
            f"licensing screening {_off(c['screening_accuracy'], '{:g}')}",
            f"inspections {_off(c['inspection_capacity'], '{:g} a month')}",
            f"education {_off(c['education_intensity'], '{:g}')}",
        ]
    )
    changed = ", ".join(model.changed) or "none"
    rows = [
        f"month <b data-testid='month'>{model.month}</b> of {model.months}{done} (last simulated: {last})",
        f"platforms alive <b>{alive}</b>; failures so far <b>{failed}</b>",
        f"sentiment <b>{model.environment.sentiment:.3f}</b>; "
        f"cumulative investor loss <b>{_money(float(model.investors.lost.sum()))}</b>",
        *_product_rows(model),
        f"regime of this run: {html.escape(regime)}",
        f"controls changed from the scenario: {html.escape(changed)}",
    ]
    items = "".join(f"<li>{r}</li>" for r in rows)
    solara.HTML(
        tag="div",
        unsafe_innerHTML=(
            f"<p><b>{html.escape(model.config.name)}</b>, seed {model.seed}</p><ul>{items}</ul>"
            "<p style='color:#666'>Set the controls (0 or unchecked switches a rule off), press Reset to "
            "start a run under them, then Step or play.</p>"
        ),
        style={"font-size": "0.9em", "padding": "0.5em"},
        classes=["sandbox-readout"],
    )


def _product_rows(model: DashboardModel) -> list[str]:
    """The readout's lines on the products (none without a ``products:`` section)."""
    products = model.products
    if products is None:
        return []
    parts = []
    if products.fund is not None:
        parts.append(f"money-market fund assets <b>{_fund_assets(model):,.2f} billion yuan</b>")
    if products.payments is not None:
        parts.append(f"client funds lost <b>{_money(products.lost_households + products.lost_platforms)}</b>")
    return ["; ".join(parts)] if parts else []


def _off(value: float, fmt: str) -> str:
    return fmt.format(value) if value else "off"


@solara.component
def PlatformView(model: DashboardModel):
    """Every platform: size (investor claims, log scale) against health (equity over claims).

    Failed platforms are grey, at their claims when they failed; their height is
    minus the share of those claims investors lost (0 while the wind-down runs).
    """
    update_counter.get()
    book = model.book
    n = book.n
    kind = book.kind[:n]
    alive = book.alive()
    claims = book.claims()
    equity = book.equity()
    health = np.clip(np.divide(equity, claims, out=np.ones(n), where=claims > 1.0), -1.0, 1.0)
    at_failure = book.claims_at_failure[:n]
    lost = np.divide(book.investor_loss[:n], at_failure, out=np.zeros(n), where=at_failure > 0)
    fig = Figure(figsize=FIGSIZE)
    ax = fig.subplots()
    dead = ~alive
    ax.scatter(
        np.maximum(at_failure[dead], 1e3),
        -np.clip(lost[dead], 0, 1),
        s=12,
        c="lightgray",
        label=f"failed ({int(dead.sum())})",
    )
    for code, name in enumerate(KINDS):
        sel = alive & (kind == code)
        ax.scatter(
            np.maximum(claims[sel], 1e3),
            health[sel],
            s=16,
            c=KIND_COLORS[name],
            alpha=0.75,
            label=f"{name} ({int(sel.sum())})",
        )
    ax.set_xscale("log")
    ax.set_ylim(-1.08, 1.08)
    ax.axhline(0.0, color="black", lw=0.6)
    ax.set_xlabel("investor claims, yuan (log)")
    ax.set_ylabel("equity / claims (clipped to ±1)")
    ax.set_title(f"Platforms, month {model.month}")
    ax.legend(loc="lower right", fontsize="small")
    solara.FigureMatplotlib(fig, format="png", bbox_inches="tight")


@solara.component
def Charts(model: DashboardModel):
    """The readout and the charts, two to a row on a wide screen (images in this order:
    platforms, alive by type, failures by cause, sentiment, loss; then, if the scenario has them,
    the fund's assets, the client funds lost, and the small multiples by jurisdiction, full width)."""
    collected = model.datacollector.model_reporters
    with solara.ColumnsResponsive(12, large=6):
        Readout(model)
        PlatformView(model)
        SeriesChart(model, ALIVE, "Platforms alive by type", "platforms")
        SeriesChart(model, CAUSE_COLORS, "Failures by cause (cumulative)", "failures")
        SeriesChart(model, {SENTIMENT: "tab:blue"}, "Market sentiment", "sentiment, 0 to 1", top=1.0)
        SeriesChart(model, {LOSS: "tab:red"}, "Cumulative investor loss", "million yuan")
        if MMF_ASSETS in collected:
            SeriesChart(model, {MMF_ASSETS: "tab:green"}, "Money-market fund assets", "billion yuan")
        if CLIENT_FUNDS_LOST in collected:
            SeriesChart(model, {CLIENT_FUNDS_LOST: "tab:purple"}, "Client funds lost (cumulative)", "million yuan")
    if model.jurisdictions is not None:
        with solara.Column(classes=["sandbox-jurisdictions"]):
            for title, columns, unit, scale in PLACE_CHARTS:
                JurisdictionPanels(model, title, columns, unit, scale)


@solara.component
def RuleControls(specs: dict[str, Control], params: solara.Reactive[dict[str, Any]]):
    """One input per rule; each label shows its current value, so nothing needs dragging to be read."""
    for name, control in specs.items():
        value = params.value[name]

        def set_value(new: float | bool, name: str = name) -> None:
            params.set({**params.value, name: new})

        if control.kind == "switch":
            solara.Checkbox(label=control.label, value=bool(value), on_value=set_value)
            continue
        label = f"{control.label}: {control.reading(value)}"
        slider = solara.SliderInt if control.kind == "int" else solara.SliderFloat
        kind = int if control.kind == "int" else float
        slider(
            label,
            value=kind(value),
            min=kind(control.min),
            max=kind(control.max),
            step=kind(control.step),
            on_value=set_value,
            thumb_label=False,
        )


@solara.component
def DashboardPage(base: Scenario, seed: int = 1):
    """The dashboard for ``base``: Reset/play/Step, the rule controls, the readout and charts.

    Built from Mesa's own :func:`ModelController` (which re-creates the model
    with the controls' values on Reset) rather than ``SolaraViz``, whose
    technical controls (play interval, render interval, threads) and page tabs
    mean nothing to a policy officer.
    """
    cls = solara.use_memo(lambda: model_class(base), [])
    first = solara.use_memo(lambda: cls(seed=seed), [])
    model = solara.use_reactive(first)
    params = solara.use_reactive(solara.use_memo(lambda: model_params(base, seed), []))
    play_interval = solara.use_reactive(PLAY_INTERVAL_MS)
    render_interval = solara.use_reactive(1)
    use_threads = solara.use_reactive(False)
    with solara.AppBar():
        solara.AppBarTitle(f"sandbox dashboard: {base.name}")
    with solara.Sidebar(), solara.Column():
        with solara.Card("Run"):
            ModelController(
                model,
                model_parameters=params,
                play_interval=play_interval,
                render_interval=render_interval,
                use_threads=use_threads,
            )
        with solara.Card("Rules (press Reset to apply)"):
            RuleControls(controls(base), params)
    Charts(model.value)


def page_for(base: Scenario, seed: int = 1):
    """The dashboard for ``base`` (in a notebook: display the returned element)."""
    return DashboardPage(base, seed)


@solara.component
def Page():
    """The page ``sandbox dashboard`` serves: one model per browser session."""
    base, seed = solara.use_memo(lambda: (base_scenario(), default_seed()), [])
    return DashboardPage(base, seed)
