"""Reports: one self-contained HTML file per run, replicate set, comparison and sweep, true to the data."""

from __future__ import annotations

import base64
import html
import json
import re
from pathlib import Path

import matplotlib
import numpy as np
import pandas as pd
import pytest
import typer
from typer.testing import CliRunner

matplotlib.use("Agg")

import sandbox
from sandbox import experiments as ex
from sandbox.cli.experiments import register as register_experiments
from sandbox.cli.report import register as register_report
from sandbox.reporting import plots
from sandbox.reporting.findings import findings
from sandbox.reporting.report import (
    ADDED,
    ONE_SEED,
    WHY_AVOIDED_DIFFERS,
    build_report,
    fmt,
    fmt_diff,
    largest_waves,
    load_experiment,
    sweep_result,
)

ROOT = Path(__file__).resolve().parents[1]
SMALL = "market:\n  investors: {count: 1500}\n  borrowers: {count: 800}\n  platforms: {initial: 30}\n"
MONTHS = 15  # 2014-01 to 2015-03: rate_cap_24's cap goes live inside, in 2015-01
GO_LIVE = "2015-01"
# Figures per kind: 3 series + 3 failure figures + losses; compare adds the paired differences;
# a sobol sweep adds the response and the sensitivity indices.
FIGURES = {"run": 7, "replicate": 7, "compare": 8, "sweep": 9}


@pytest.fixture(scope="module")
def app() -> typer.Typer:
    app = typer.Typer()
    register_experiments(app)
    register_report(app)
    return app


@pytest.fixture(scope="module")
def folders(tmp_path_factory: pytest.TempPathFactory, app: typer.Typer) -> dict[str, Path]:
    """One folder of each kind, tiny: the experiments through the CLI (so runs.csv etc. exist)."""
    tmp = tmp_path_factory.mktemp("report")
    base, cap = tmp / "small.yaml", tmp / "small_cap.yaml"
    base.write_text(f"extends: {ROOT / 'scenarios' / 'baseline.yaml'}\nname: small\n{SMALL}")
    cap.write_text(f"extends: {ROOT / 'scenarios' / 'rate_cap_24.yaml'}\nname: small_cap24\n{SMALL}")
    common = ["--seed", "3", "--months", str(MONTHS), "--workers", "1", "--no-progress"]
    commands = {
        "replicate": ["replicate", str(base), "-n", "4"],
        "compare": ["compare", str(base), str(cap), "-n", "4"],
        "sweep": [
            "sweep",
            str(base),
            "-p",
            "regime.rate_cap.apr=0.2:0.36",
            "-p",
            "market.investors.literacy_mean=0.2:0.8",
            "--design",
            "sobol",
            "--points",
            "4",
        ],
    }
    out = {"scenario": cap}
    runner = CliRunner()
    for kind, args in commands.items():
        out[kind] = tmp / kind
        result = runner.invoke(app, [*args, "--out", str(out[kind]), *common])
        assert result.exit_code == 0, result.output
        (tmp / f"{kind}.stdout").write_text(result.stdout)
    out["run"] = tmp / "run"
    sandbox.run(sandbox.load_scenario(cap), seed=5, months=MONTHS, counterfactuals=True).save(out["run"])
    return out


@pytest.fixture(scope="module")
def reports(folders: dict[str, Path]) -> dict[str, tuple[str, object]]:
    """Each kind's Report object and the HTML it writes."""
    out = {}
    for kind in FIGURES:
        report = build_report(folders[kind], scenario=folders["scenario"] if kind == "run" else None)
        target = report.save(folders[kind].parent / f"{kind}.html")
        out[kind] = (target.read_text(), report)
        matplotlib.pyplot.close("all")
    return out


def test_cli_writes_the_report(folders: dict[str, Path], reports: dict, app: typer.Typer) -> None:
    target = folders["run"].parent / "cli" / "run.html"
    result = CliRunner().invoke(
        app, ["report", str(folders["run"]), "-o", str(target), "--scenario", str(folders["scenario"])]
    )
    assert result.exit_code == 0, result.output
    assert result.output.startswith(f"report written to {target} ({FIGURES['run']} figures")
    strip = re.compile(r"report made</th><td>[^<]*")
    assert strip.sub("", target.read_text()) == strip.sub("", reports["run"][0])


@pytest.mark.parametrize("kind", list(FIGURES))
def test_report_is_self_contained(kind: str, reports: dict) -> None:
    text, report = reports[kind]
    assert report.experiment.kind == kind
    assert not re.search(r"https?://", text), "no external references"
    sources = re.findall(r'(?:src|href)="([^"]*)"', text)
    assert all(s.startswith(("data:image/png;base64,", "#")) for s in sources)
    images = re.findall(r'src="data:image/png;base64,([^"]+)"', text)
    assert len(images) == text.count("<figure") == len(report.figures) == FIGURES[kind]
    assert all(base64.b64decode(i).startswith(b"\x89PNG") for i in images)
    assert "@media print" in text
    assert text.count("<figcaption>") == FIGURES[kind]


def test_replicate_headline_equals_runs_csv(folders: dict, reports: dict) -> None:
    text, report = reports["replicate"]
    runs = pd.read_csv(folders["replicate"] / "runs.csv")
    headline = report.headline.set_index("metric")
    assert len(headline) >= 10
    for metric, row in headline.iterrows():
        assert row["mean"] == pytest.approx(runs[metric].mean(), rel=1e-12), metric
        assert row["n"] == len(runs)
        assert f">{fmt(row['mean'], metric)}<" in text
    # The store read back is the runs table the CLI wrote.
    loaded = load_experiment(folders["replicate"]).runs
    pd.testing.assert_frame_equal(loaded[runs.columns].reset_index(drop=True), runs, check_dtype=False)


def test_compare_headline_equals_comparison_csv(folders: dict, reports: dict) -> None:
    text, report = reports["compare"]
    comparison = pd.read_csv(folders["compare"] / "comparison.csv").set_index("metric")
    runs = pd.read_csv(folders["compare"] / "runs.csv")
    headline = report.headline.set_index("metric")
    for metric, row in headline.iterrows():
        for column in ("difference", "ci_low", "ci_high", "mean_small", "mean_small_cap24"):
            assert row[column] == pytest.approx(comparison.loc[metric, column], rel=1e-9, abs=1e-12), (metric, column)
        means = runs.groupby("scenario")[metric].mean()
        assert row["mean_small_cap24"] == pytest.approx(means["small_cap24"])
        assert f">{fmt_diff(row['difference'], metric)}<" in text
        if metric in plots.SHARES:  # a change of a share is in percentage points
            assert fmt_diff(row["difference"], metric).endswith(" pp")
    # The cap's go-live date: in the rules table and marked on the time charts.
    live = report.go_live[report.go_live["status"] == "goes live during the run"]
    assert list(live["start"]) == [GO_LIVE] and list(live["scenario"]) == ["small_cap24"]
    assert GO_LIVE in text and "rate_cap (small_cap24) in 2015-01" in text


def test_figures_match_the_data(folders: dict) -> None:
    experiment = load_experiment(folders["compare"])
    go_live = plots.go_live_dates(experiment.scenarios["small_cap24"], "small_cap24")
    ax = plots.fan_chart(experiment.monthly, "loan_balance", by="scenario", go_live=go_live)
    medians = experiment.monthly.groupby(["scenario", "month"])["loan_balance"].median()
    lines = {line.get_label(): line for line in ax.get_lines() if not line.get_label().startswith("_")}
    assert set(lines) == {"small", "small_cap24"}
    for name, line in lines.items():
        np.testing.assert_allclose(line.get_ydata(), medians[name].to_numpy())
    marked = [t.get_text() for t in ax.texts]
    assert marked == ["2015-01: rate_cap (small_cap24)"]  # inspections and the 36% cap apply from the start
    ax = plots.failures_by_cause(experiment.runs, by="scenario")
    heights = [p.get_height() for p in ax.patches]
    expected = [
        experiment.runs.loc[experiment.runs["scenario"] == s, f"failures_{c}"].mean()
        for s in experiment.names
        for c in sandbox.market.platforms.CAUSES
    ]
    np.testing.assert_allclose(heights, expected)
    matplotlib.pyplot.close("all")


def test_run_report(folders: dict, reports: dict) -> None:
    text, report = reports["run"]
    summary = json.loads((folders["run"] / "summary.json").read_text())
    headline = report.headline.set_index("metric")["value"]
    assert headline["investor_loss_total"] == pytest.approx(summary["investor_loss_total"])
    assert headline["platform_failures"] == summary["platform_failures"]
    monthly = pd.read_csv(folders["run"] / "monthly.csv", dtype={"month": str})
    waves = largest_waves(monthly, per_run=5)
    assert waves["share"].max() == pytest.approx(summary["largest_wave_share"])
    investors = pd.read_parquet(folders["run"] / "investors.parquet")
    curve = plots.loss_exceedance(investors, grid=np.array([0.0, 0.1, 0.5]))["share_of_investors"]
    np.testing.assert_allclose(
        curve,
        [
            summary["investors_with_loss_share"],
            summary["investors_losing_over_10pct"],
            summary["investors_losing_over_50pct"],
        ],
    )
    assert GO_LIVE in text and "Failures by contagion channel" in text
    # A run folder records its scenario (scenario.json), so the dates are there without --scenario.
    assert GO_LIVE in set(build_report(folders["run"]).go_live["start"])
    # Without it there are no dates to mark, and the report says so.
    (folders["run"] / "scenario.json").rename(folders["run"] / "scenario.json.bak")
    try:
        bare = build_report(folders["run"])
    finally:
        (folders["run"] / "scenario.json.bak").rename(folders["run"] / "scenario.json")
    assert bare.go_live.empty and any("--scenario" in n for n in bare.notes)
    matplotlib.pyplot.close("all")


def test_sweep_report(folders: dict, reports: dict) -> None:
    text, report = reports["sweep"]
    runs = pd.read_csv(folders["sweep"] / "sweep.csv")
    headline = report.headline.set_index("metric")
    for metric, row in headline.iterrows():
        assert row["mean"] == pytest.approx(runs[metric].mean(), rel=1e-12)
        assert row["point_max"] == pytest.approx(runs.groupby("point")[metric].mean().max())
    assert [f.title for f in report.figures][-2:] == ["Response to each parameter", "Sensitivity indices"]
    assert "Sobol" in text


def test_morris_sweep_from_python_matches_sensitivity(tmp_path: Path) -> None:
    """A store written by the Python API: the report's indices are the experiment's own."""
    scenario = sandbox.load_scenario(ROOT / "scenarios" / "baseline.yaml").with_updates(
        {
            "market.resolution": 1.0,
            "market.platforms.entry_per_month": 2,
            "market.investors.count": 1500,
            "market.borrowers.count": 800,
            "market.platforms.initial": 30,
        }
    )
    parameters = {"regime.rate_cap.apr": (0.2, 0.36), "market.platforms.initial": (20, 40)}
    result = ex.sweep(
        scenario,
        parameters,
        design="morris",
        points=3,
        seed=2,
        months=12,
        workers=1,
        out=tmp_path / "morris",
        progress=False,
    )
    rebuilt = sweep_result(load_experiment(tmp_path / "morris"))
    np.testing.assert_array_equal(rebuilt.samples, result.samples)
    outputs = ["investor_loss_total", "platform_failures"]
    expected = ex.sensitivity(result, outputs)
    report = build_report(tmp_path / "morris", outcomes=outputs)
    assert len(report.figures) == FIGURES["sweep"]
    shown = report.tables[-1].table
    assert list(shown["mu_star"]) == [f"{v:.3g}" for v in expected["mu_star"]]
    matplotlib.pyplot.close("all")


def test_not_an_experiment_exits_2(tmp_path: Path, app: typer.Typer) -> None:
    runner = CliRunner()
    (tmp_path / "other").mkdir()
    (tmp_path / "other" / "manifest.json").write_text('{"kind": "pilot"}')
    for folder in (tmp_path, tmp_path / "other", tmp_path / "missing"):
        result = runner.invoke(app, ["report", str(folder), "-o", str(tmp_path / "r.html")])
        assert result.exit_code == 2
        assert result.output.count("\n") == 1 and result.output.startswith("error: ")
    assert not (tmp_path / "r.html").exists()


# --- findings, names, units --------------------------------------------------------------------


@pytest.mark.parametrize("kind", list(FIGURES))
def test_report_opens_with_findings(kind: str, reports: dict) -> None:
    text, report = reports[kind]
    body = text[text.index("<body>") + len("<body>") :]
    assert body.startswith('<section id="summary">')
    summary = body[: body.index("</section>")]
    assert 3 <= len(report.findings) <= 6
    for sentence in report.findings:
        assert f"<li>{html.escape(sentence)}</li>" in summary
    if kind == "compare":
        assert report.findings == findings(report.headline)
        assert report.findings[0].startswith("Under small_cap24, compared with small on the same 4 seeds, ")
        assert "platforms" in summary and "yuan" in summary


def test_cli_compare_opens_with_findings(folders: dict) -> None:
    output = (folders["compare"].parent / "compare.stdout").read_text()
    comparison = pd.read_csv(folders["compare"] / "comparison.csv")
    sentences = findings(comparison)
    assert output.startswith("\n".join(sentences) + "\n")
    table = output[len("\n".join(sentences)) :]
    assert "investor loss (yuan)" in table and "platform failures (platforms)" in table and " pp" in table


def test_rule_table_shows_values_per_scenario(reports: dict) -> None:
    _, report = reports["compare"]
    rules = next(t for t in report.tables if t.title.startswith("Rules")).table
    caps = rules[rules["rule"] == "rate_cap"]
    by_scenario = {name: list(part["values"]) for name, part in caps.groupby("scenario")}
    # The 36% cap of the parent stays in force until the proposal's 24% cap supersedes it.
    assert by_scenario == {"small": ["apr 36%"], "small_cap24": ["apr 36%", "apr 24%"]}
    assert list(caps.loc[caps["scenario"] == "small_cap24", "goes live"]) == ["2014-01", GO_LIVE]


def test_counterfactual_table_says_what_added_means(reports: dict, folders: dict) -> None:
    text, _ = reports["run"]
    assert html.escape(ADDED) in text and "only when the channel is off" in ADDED
    # Issue 14: why 'avoided' differs from 'attributed', and that a single run's 'avoided' is one seed's.
    assert html.escape(WHY_AVOIDED_DIFFERS) in text and html.escape(ONE_SEED) in text
    # Attributed failures come first (the primary figure), avoided after.
    table = next(t for t in reports["run"][1].tables if t.title == "Failures by contagion channel").table
    columns = list(table.columns)
    assert columns.index("attributed") < columns.index("avoided with it off")
    failures = pd.read_csv(folders["run"] / "failures.csv")
    expected = [int((failures["channel"] == channel).sum()) for channel in table["attributed as"]]
    assert list(table["attributed"]) == expected


NAMES = [
    "base-line",
    "rate cap 24",
    "<script>alert(1)</script>",
    "count",
    "index",
    "9lives",
    "quo\"te's",
    "税率上限 ü",
    "$x$ [bold]y[/]",
    "_hidden",
    "outcome",
    "mean",
]


def test_scenario_names_are_labels(tmp_path: Path, app: typer.Typer) -> None:
    """Names that are no Python identifiers, pandas attributes, HTML, markup or mathtext: escaped, never parsed."""
    files = []
    for i, name in enumerate(NAMES):
        files.append(tmp_path / f"s{i:02d}.yaml")
        files[-1].write_text(
            f"extends: {ROOT / 'scenarios' / 'baseline.yaml'}\nname: {json.dumps(name)}\n"
            "market:\n  investors: {count: 400}\n  borrowers: {count: 200}\n"
            "  platforms: {initial: 8}\n"
        )
    out = tmp_path / "names"
    result = CliRunner().invoke(
        app,
        [
            "compare",
            *map(str, files),
            "-n",
            "2",
            "--months",
            "4",
            "--seed",
            "1",
            "--workers",
            "1",
            "--no-progress",
            "--out",
            str(out),
        ],
    )
    assert result.exit_code == 0, result.output
    assert result.output.startswith("Under rate cap 24, compared with base-line on the same 2 seeds, ")
    result = CliRunner().invoke(app, ["report", str(out), "-o", str(tmp_path / "r.html")])
    assert result.exit_code == 0, result.output
    text = (tmp_path / "r.html").read_text()
    assert "<script>" not in text
    for name in NAMES:
        assert f"{html.escape(name)}: mean (95% interval)" in text, name
    matplotlib.pyplot.close("all")


def test_cli_run_summary_has_units_and_says_what_added_means(folders: dict, capsys: pytest.CaptureFixture) -> None:
    from sandbox.cli.main import _print_summary

    summary = json.loads((folders["run"] / "summary.json").read_text())
    counterfactuals = pd.read_csv(folders["run"] / "counterfactuals.csv")
    _print_summary(summary, folders["run"], counterfactuals)
    output = capsys.readouterr().out
    assert output.startswith(f"In this run of small_cap24 (seed 5), {summary['platform_failures']} platform")
    assert "unit" in output and "yuan" in output and "% of investors" in output and "platforms" in output
    assert ADDED in output and WHY_AVOIDED_DIFFERS in output and ONE_SEED in output
    # Without reruns, the attributed failures are still shown, from the failure log; no 'avoided' claim.
    failures = pd.read_csv(folders["run"] / "failures.csv")
    _print_summary(summary, folders["run"], None, failures)
    output = capsys.readouterr().out
    assert "Failures by contagion channel" in output and "attributed" in output and "avoided" not in output
