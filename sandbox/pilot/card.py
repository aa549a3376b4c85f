"""The report card: the assessment as JSON (``report_card.json``) and a one-page HTML page with a chart.

Everything the page shows is in :attr:`PilotReport.data` (the JSON); the page
is made from it, so the two never disagree.
"""

from __future__ import annotations

import base64
import html
import io
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from sandbox.common.outputs import write_json
from sandbox.pilot.simulation import CREDIT_SHOCK, FUNDING_STOP, TITLES, VARIANTS
from sandbox.pilot.words import runs_of


@dataclass
class PilotReport:
    """The report card: everything in ``data`` (the JSON), and the HTML page made from it."""

    data: dict[str, Any]
    results: dict[str, dict[str, list[dict[str, Any]]]] = field(repr=False, default_factory=dict)

    @property
    def verdict(self) -> str:
        return self.data["verdict"]

    def write(self, out: str | Path) -> tuple[Path, Path]:
        """Write ``report_card.json`` and ``report_card.html`` into ``out``."""
        out = Path(out)
        out.mkdir(parents=True, exist_ok=True)
        j = out / "report_card.json"
        h = out / "report_card.html"
        write_json(self.data, j)
        h.write_text(render_html(self.data, chart_png(self.data, self.results)))
        return j, h


def chart_png(data: dict[str, Any], results: dict[str, dict[str, list[dict[str, Any]]]]) -> str | None:
    """A small two-panel PNG (base64): customers through the test, and losses by condition, capped vs not."""
    if not results:
        return None
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, (a, b) = plt.subplots(1, 2, figsize=(7.2, 2.1), dpi=110)
    colors = {"sandbox": "#1f6f8b", "uncapped": "#c8553d"}
    labels = {"sandbox": "with the sandbox's caps", "uncapped": "without caps"}
    for key in ("sandbox", "uncapped"):
        series = [r["customers"] for r in results["test"][key]]
        width = max((len(s) for s in series), default=0)
        if width == 0:
            continue
        arr = np.array([s + [s[-1] if s else 0] * (width - len(s)) for s in series], dtype=float)
        x = np.arange(1, width + 1)
        a.plot(x, np.median(arr, axis=0), color=colors[key], label=labels[key])
        a.fill_between(x, np.percentile(arr, 5, axis=0), np.percentile(arr, 95, axis=0), color=colors[key], alpha=0.15)
    cap = data["regime"]["requirements"]["max_customers"]
    a.axhline(min(cap, data["firm"]["max_customers"]), color="#555", lw=0.8, ls="--")
    a.set_title("customers during the test (median, 5-95%)", fontsize=8)
    a.set_xlabel("month of the test", fontsize=7)
    a.tick_params(labelsize=7)
    a.legend(fontsize=6, frameon=False)
    x = np.arange(len(VARIANTS))
    for i, key in enumerate(("sandbox", "uncapped")):
        s = data["results"]
        mean = [s[v][key]["expected_investor_loss"] for v in VARIANTS]
        tail = [s[v][key]["tail_investor_loss"] for v in VARIANTS]
        b.bar(x + (i - 0.5) * 0.38, mean, 0.38, color=colors[key], label=labels[key])
        b.scatter(x + (i - 0.5) * 0.38, tail, marker="_", s=80, color="black", zorder=3)
    b.axhline(data["compensation_reserve"], color="#2a9d8f", lw=1, ls=":", label="compensation reserve")
    b.set_xticks(x, [TITLES[v].replace(" ", "\n", 1) for v in VARIANTS], fontsize=6)
    b.set_title("investor loss, yuan (bar: mean; tick: 95th pct)", fontsize=8)
    b.tick_params(labelsize=7)
    b.legend(fontsize=6, frameon=False)
    fig.tight_layout()
    buf = io.BytesIO()
    fig.savefig(buf, format="png")
    plt.close(fig)
    return base64.b64encode(buf.getvalue()).decode()


_CSS = """
@page { size: A4; margin: 12mm; }
body { font: 10.5px/1.35 -apple-system, "Segoe UI", Helvetica, Arial, sans-serif; color: #222;
  max-width: 190mm; margin: 0 auto; }
h1 { font-size: 17px; margin: 0 0 2px; } h2 { font-size: 12px; margin: 10px 0 3px; border-bottom: 1px solid #ccc; }
.sub { color: #555; margin: 0 0 6px; }
.verdict { padding: 6px 10px; border-radius: 4px; margin: 6px 0; border: 2px solid; }
.admit { border-color: #2a9d8f; background: #e9f6f4; }
.admit_with_conditions { border-color: #e9a23b; background: #fdf4e6; }
.refuse { border-color: #c8553d; background: #fbeceb; }
.verdict b { font-size: 14px; } .verdict ul { margin: 3px 0 0 16px; padding: 0; } .verdict p { margin: 3px 0; }
table { border-collapse: collapse; width: 100%; } th, td { padding: 1.5px 5px; text-align: left; vertical-align: top; }
th { background: #f2f2f2; font-weight: 600; } tr + tr td { border-top: 1px solid #eee; }
td.n { text-align: right; white-space: nowrap; }
.ok { color: #1b7f5b; font-weight: 700; } .no { color: #b3261e; font-weight: 700; }
.cols { display: flex; gap: 10px; } .cols > div { flex: 1; }
.note { color: #555; font-size: 9px; } img { width: 100%; }
@media print {
  body { font-size: 8.6px; max-width: none; } h1 { font-size: 15px; } h2 { font-size: 10.5px; margin: 6px 0 2px; }
  .verdict b { font-size: 12px; } .note { font-size: 7.6px; } th, td { padding: 0.5px 4px; }
  img { width: 82%; display: block; margin: 0 auto; } .verdict, table, img { break-inside: avoid; }
  * { -webkit-print-color-adjust: exact; print-color-adjust: exact; }
}
"""


def _e(x: Any) -> str:
    return html.escape(str(x))


def _money(x: float | None) -> str:
    return "-" if x is None else f"{x:,.0f}"


def _value(x: float | None) -> str:
    return "-" if x is None else f"{x:.3f}"


def _pct(x: float | None) -> str:
    return "-" if x is None else f"{x:.0%}"


def _mark(met: bool) -> str:
    return '<span class="ok">met</span>' if met else '<span class="no">not met</span>'


def render_html(data: dict[str, Any], png: str | None = None) -> str:
    """The one-page report card (self-contained: inline CSS and chart)."""
    f, t, req = data["firm"], data["test"], data["regime"]["requirements"]
    s = data["results"]
    verdict = data["verdict"]
    cond_rows = "".join(
        f"<tr><td>{_e(c['name'].replace('_', ' '))}</td><td>{_mark(c['met'])}</td><td>{_e(c['reason'])}</td></tr>"
        for c in data["conditions"]
    )
    check_rows = "".join(
        f"<tr><td>{_e(c['name'].replace('_', ' '))}</td><td>{_mark(c['met'])}</td><td>{_e(c['reason'])}</td></tr>"
        for c in data["test_checks"]
    )
    test = s["test"]
    rows = [
        (
            "failure probability in the test",
            _pct(test["sandbox"]["failure_probability"]),
            _pct(test["uncapped"]["failure_probability"]),
        ),
        (
            "expected investor loss, yuan",
            _money(test["sandbox"]["expected_investor_loss"]),
            _money(test["uncapped"]["expected_investor_loss"]),
        ),
        (
            "investor loss, 95th percentile, yuan",
            _money(test["sandbox"]["tail_investor_loss"]),
            _money(test["uncapped"]["tail_investor_loss"]),
        ),
        (
            "customers exposed (peak, mean)",
            _money(test["sandbox"]["customers_exposed_mean"]),
            _money(test["uncapped"]["customers_exposed_mean"]),
        ),
        (
            "customers harmed (mean / worst run)",
            f"{test['sandbox']['customers_harmed_mean']:,.1f} / {test['sandbox']['customers_harmed_max']:,}",
            f"{test['uncapped']['customers_harmed_mean']:,.1f} / {test['uncapped']['customers_harmed_max']:,}",
        ),
        (
            "investors' money at peak (mean), yuan",
            _money(test["sandbox"]["peak_money_mean"]),
            _money(test["uncapped"]["peak_money_mean"]),
        ),
        (
            "largest holding of one customer (with interest), yuan",
            _money(test["sandbox"]["max_exposure_per_customer"]),
            _money(test["uncapped"]["max_exposure_per_customer"]),
        ),
        (
            "largest loss of one customer, yuan",
            _money(test["sandbox"]["largest_customer_loss"]),
            _money(test["uncapped"]["largest_customer_loss"]),
        ),
        (
            "runs where the reserve covers the loss",
            _pct(test["sandbox"]["reserve_coverage_share"]),
            _pct(test["uncapped"]["reserve_coverage_share"]),
        ),
        ("runs with caps exceeded", str(test["sandbox"]["caps_breached_runs"]), "no caps"),
        (
            "wind-down recovers (share of claims at failure)",
            _pct(test["sandbox"]["exit_recovery"]),
            _pct(test["uncapped"]["exit_recovery"]),
        ),
        (
            "value of 1 yuan placed at launch, end (5th pct; matched)",
            _value(test["sandbox"]["value_per_yuan_p5"]),
            _value(test["uncapped"]["value_per_yuan_p5"]),
        ),
        ("exits at the end-of-test review", _pct(test["sandbox"]["exit_at_review_probability"]), "no review"),
    ]
    result_rows = "".join(f"<tr><td>{_e(a)}</td><td class='n'>{b}</td><td class='n'>{c}</td></tr>" for a, b, c in rows)
    stress_rows = "".join(
        "<tr><td>{}</td>{}</tr>".format(
            _e(TITLES[v]),
            "".join(
                f"<td class='n'>{_pct(s[v][k]['failure_probability'])}</td>"
                f"<td class='n'>{_money(s[v][k]['expected_investor_loss'])}</td>"
                f"<td class='n'>{_money(s[v][k]['tail_investor_loss'])}</td>"
                f"<td class='n'>{s[v][k]['customers_harmed_mean']:,.1f}</td>"
                for k in ("sandbox", "uncapped")
            )
            + f"<td class='n'>{'yes' if s[v]['sandbox']['reserve_covers_tail'] else 'no'}</td>",
        )
        for v in VARIANTS
    )
    # A refusal's reasons are the conditions table, an admission's the checks table: only
    # an admission with conditions lists its reasons (the checks not met) here.
    reasons = "".join(f"<li>{_e(r)}</li>" for r in data["reasons"])
    reasons_html = f"<ul>{reasons}</ul>" if verdict == "admit_with_conditions" else ""
    remedies = "".join(
        f"<li>{_e(r['text'])}{' (verified)' if r['verified'] else ''}</li>" for r in data["conditions_of_admission"]
    )
    remedies_html = (
        f"<div><b style='font-size:11px'>Conditions of admission (any one suffices)</b><ul>{remedies}</ul></div>"
        if remedies
        else ""
    )
    chart = f"<img alt='chart' src='data:image/png;base64,{png}'>" if png else ""
    d = data["declared"]
    counts = sorted({s[v]["sandbox"]["runs"] for v in VARIANTS[1:]})
    stress_runs = (
        f"{runs_of(counts[0])} each"
        if len(counts) == 1
        else ", ".join(f"{TITLES[v]}: {runs_of(s[v]['sandbox']['runs'])}" for v in VARIANTS[1:])
    )
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Sandbox report card: {_e(f["name"])}</title>
<style>{_CSS}</style></head><body>
<h1>Sandbox report card: {_e(f["name"])}</h1>
<p class="sub">{_e(f["product"].replace("_", " "))}, {_e(f["funding_model"])} funding (simulated as
a{"n" if f["platform_kind"][0] == "i" else ""} {_e(f["platform_kind"])}); yield {f["annual_yield"]:.1%}; capital
{_money(f["capital"])} yuan; reserve {_money(data["compensation_reserve"])} yuan. Regime
<b>{_e(data["regime"]["name"])}</b>: caps {req["max_customers"]:,} customers,
{_money(req["max_exposure_per_customer"])} yuan each,
tests of up to {req["max_duration"]} months from {_e(req["test_start"])}.</p>
<div class="verdict {verdict}"><b>Verdict: {_e(data["verdict_text"])}</b><p>{_e(data["verdict_summary"])}</p>
{reasons_html}{remedies_html}</div>
<h2>Admission conditions</h2>
<table><tr><th style="width:22%">condition</th><th style="width:9%"></th><th>reason</th></tr>{cond_rows}</table>
<p class="note">Declared by the firm, shown but not scored. Innovation: {_e(d["innovation"] or "-")}.
Consumer benefit: {_e(d["consumer_benefit"] or "-")}.</p>
<h2>Test results: {runs_of(s["test"]["sandbox"]["runs"])} of {t["duration_months"]} months from {_e(t["start"])}
(seed {t["seed"]})</h2>
<div class="cols"><div>
<table><tr><th></th><th class="n">with the sandbox's caps</th><th class="n">without caps</th></tr>{result_rows}</table>
</div><div>
<table><tr><th style="width:34%">check</th><th style="width:12%"></th><th>reason</th></tr>{check_rows}</table>
</div></div>
<h2>Stress results (from {_e(t["stress_month"])}; same seeds; {_e(stress_runs)})</h2>
<table><tr><th rowspan="2">condition</th><th colspan="4" style="text-align:center">with the sandbox's caps</th>
<th colspan="4" style="text-align:center">without caps</th><th rowspan="2" class="n">reserve covers 95th pct</th></tr>
<tr><th class="n">fails</th><th class="n">mean loss</th><th class="n">95th pct loss</th><th class="n">harmed</th>
<th class="n">fails</th><th class="n">mean loss</th><th class="n">95th pct loss</th><th class="n">harmed</th></tr>
{stress_rows}</table>
{chart}
<p class="note">Method: the firm is one platform in the regime's simulated market ({_e(data["regime"]["name"])}),
entering at the start of the test, run on seeds spawned from {t["seed"]} ({_e(data["verdict_runs_summary"])}); each
run is repeated under a credit shock (borrowers' default hazard x{1 + CREDIT_SHOCK["size"]:g} for
{CREDIT_SHOCK["duration"]} months), the disorderly failure of its largest look-alike, and a stop of
{FUNDING_STOP["size"]:.0%} of new money for {FUNDING_STOP["duration"]} months, and without the sandbox's caps (as if
authorised in full), all on the same seeds. Fails: failure during the test. Losses: investors' claims at a failure
during the test or at the end-of-test review, less what the wind-down paid (investors in a matched firm also bear its
borrowers' defaults through the value of their holdings). Harmed: customers holding the firm when it failed, when
investors lost. {_e(d["not_simulated"][0].upper() + d["not_simulated"][1:])}.
Generated {_e(data["generated"])} by <code>sandbox pilot</code>.</p>
</body></html>
"""
