"""Honest counterfactuals (issue 14, item 11): attributed failures first, avoided over seeds with intervals.

A failure attributed to a channel came through it; a failure 'avoided' with the
channel off may simply not happen on the other path the market takes. These
tests check that the attributed count is the failure log's, that the avoided
count of an experiment is a mean with a paired interval over seeds, and that
the command line and the HTML report say why the two differ.
"""

from __future__ import annotations

import html
from pathlib import Path

import matplotlib
import numpy as np
import pandas as pd
import pytest
import typer
from typer.testing import CliRunner

matplotlib.use("Agg")

import sandbox
from sandbox.api import ATTRIBUTED_AS, CHANNELS, WHY_AVOIDED_DIFFERS, attributed_failures
from sandbox.experiments.statistics import channel_table, describe_runs
from sandbox.reporting.tables import ONE_SEED

ROOT = Path(__file__).resolve().parents[1]
#: guarantee_network run for a year (a fraction of a second): sentiment and exposure failures both occur.
SMALL = f"extends: {ROOT / 'scenarios' / 'guarantee_network.yaml'}\nname: small_guarantees\n"


@pytest.fixture(scope="module")
def scenario_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("cf") / "small.yaml"
    path.write_text(SMALL)
    return path


@pytest.fixture(scope="module")
def app() -> typer.Typer:
    from sandbox.cli.main import app as main_app  # every command registered

    return main_app


def test_every_switch_names_the_channel_attribution_gives() -> None:
    assert set(ATTRIBUTED_AS) == set(CHANNELS)
    # The channels sandbox.market.attribution names for a failure.
    assert set(ATTRIBUTED_AS.values()) == {"sentiment", "exposure", "borrowers"}


def test_attributed_count_per_channel_is_the_failure_logs(scenario_file: Path, tmp_path: Path) -> None:
    result = sandbox.run(scenario_file, seed=3, months=12, counterfactuals=True)
    result.save(tmp_path / "run")
    log = pd.read_csv(tmp_path / "run" / "failures.csv")
    in_log = log["channel"].value_counts()
    table = result.counterfactuals.set_index("channel")
    for channel in CHANNELS:
        expected = int(in_log.get(ATTRIBUTED_AS[channel], 0))
        assert table.loc[channel, "failures_attributed"] == expected, channel
        assert result.summary["failures_attributed"][channel] == expected
    assert attributed_failures(log) == result.summary["failures_attributed"]
    assert (table["failures_attributed"] > 0).sum() >= 2  # the check above is not of zeros only
    # Attributed comes first among the figures (the primary figure); avoided and added are kept.
    columns = list(result.counterfactuals.columns)
    assert columns.index("failures_attributed") < columns.index("failures_avoided") < columns.index("failures_added")
    assert result.summary["failures_added"] == dict(table["failures_added"].astype(int))


def _runs(failures: np.ndarray, avoided: np.ndarray, added: np.ndarray) -> pd.DataFrame:
    """A runs table of one channel (``runs``) as experiments flatten it from run summaries."""
    return pd.DataFrame(
        {
            "run": np.arange(failures.size),
            "seed": np.arange(failures.size) + 100,
            "platform_failures": failures,
            "failures_attributed_runs": np.full(failures.size, 2.0),
            "failures_avoided_runs": avoided,
            "failures_added_runs": added,
        }
    )


def test_channel_table_has_means_and_intervals_and_pairs_by_seed() -> None:
    """Avoided and added swing with each seed's path, but by the same amount: the net change
    (avoided minus added, seed by seed) is exactly 3, so its paired interval has no width,
    while an unpaired interval from the two means would be wide."""
    rng = np.random.default_rng(0)
    swing = rng.integers(0, 40, size=8).astype(float)
    runs = _runs(swing + 50, avoided=swing + 5, added=swing + 2)
    table = channel_table(runs)
    assert list(table["channel"]) == ["runs"]
    row = table.iloc[0]
    for figure in ("attributed", "avoided", "added", "net"):
        assert {f"{figure}_mean", f"{figure}_ci_low", f"{figure}_ci_high"} <= set(table.columns)
    described = describe_runs(runs, ["failures_avoided_runs"]).iloc[0]
    assert row["avoided_mean"] == pytest.approx(described["mean"])
    assert (row["avoided_ci_low"], row["avoided_ci_high"]) == pytest.approx((described["ci_low"], described["ci_high"]))
    assert row["avoided_ci_high"] - row["avoided_ci_low"] > 10  # the seeds' paths differ a lot
    assert row["net_mean"] == pytest.approx(3.0)
    assert row["net_ci_low"] == pytest.approx(3.0) and row["net_ci_high"] == pytest.approx(3.0)
    assert row["n"] == 8


def test_channel_interval_narrows_with_runs() -> None:
    rng = np.random.default_rng(1)
    avoided, added = rng.poisson(30, size=64).astype(float), rng.poisson(10, size=64).astype(float)
    widths = []
    for n in (4, 16, 64):
        row = channel_table(_runs(avoided[:n] + 40, avoided[:n], added[:n])).iloc[0]
        widths.append((row["avoided_ci_high"] - row["avoided_ci_low"], row["net_ci_high"] - row["net_ci_low"]))
    assert widths[0][0] > widths[1][0] > widths[2][0]
    assert widths[0][1] > widths[1][1] > widths[2][1]


def test_compare_channel_table_is_per_scenario() -> None:
    one = _runs(np.full(3, 10.0), np.array([1.0, 2.0, 3.0]), np.zeros(3))
    two = _runs(np.full(3, 10.0), np.array([5.0, 5.0, 5.0]), np.ones(3))
    runs = pd.concat([one.assign(scenario="a"), two.assign(scenario="b")], ignore_index=True)
    table = channel_table(runs, by="scenario").set_index("scenario")
    assert table.loc["a", "avoided_mean"] == pytest.approx(2.0) and table.loc["b", "net_mean"] == pytest.approx(4.0)
    assert channel_table(runs.drop(columns=["failures_avoided_runs"])).empty  # no counterfactuals, no table


def test_cli_run_shows_attributed_first_and_says_why_avoided_differs(
    scenario_file: Path, tmp_path: Path, app: typer.Typer
) -> None:
    result = CliRunner().invoke(
        app, ["run", str(scenario_file), "--seed", "3", "--months", "12", "--out", str(tmp_path / "run")]
    )
    assert result.exit_code == 0, result.output
    out = result.stdout
    header = next(line for line in out.splitlines() if "attributed" in line and "avoided" in line)
    assert header.index("attributed") < header.index("avoided")
    assert ONE_SEED in out and WHY_AVOIDED_DIFFERS in out
    # The single run's report says it too, under the channels table.
    report = tmp_path / "run.html"
    done = CliRunner().invoke(app, ["report", str(tmp_path / "run"), "-o", str(report)])
    assert done.exit_code == 0, done.output
    text = report.read_text()
    assert html.escape(WHY_AVOIDED_DIFFERS) in text and html.escape(ONE_SEED) in text
    matplotlib.pyplot.close("all")


def test_replicate_reports_avoided_as_mean_with_interval(scenario_file: Path, tmp_path: Path, app: typer.Typer) -> None:
    out = tmp_path / "rep"
    args = ["replicate", str(scenario_file), "-n", "3", "--seed", "2", "--months", "6", "--workers", "1"]
    result = CliRunner().invoke(app, [*args, "--no-progress", "--counterfactuals", "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert WHY_AVOIDED_DIFFERS in result.stdout
    channels = pd.read_csv(out / "channels.csv")
    runs = pd.read_csv(out / "runs.csv")
    assert list(channels["channel"]) == list(CHANNELS)
    for row in channels.to_dict("records"):
        values = runs[f"failures_avoided_{row['channel']}"]
        assert row["avoided_mean"] == pytest.approx(values.mean())
        assert row["avoided_ci_low"] <= row["avoided_mean"] <= row["avoided_ci_high"]
        assert row["n"] == 3
        assert row["attributed_mean"] == pytest.approx(runs[f"failures_attributed_{row['channel']}"].mean())
    report = tmp_path / "rep.html"
    done = CliRunner().invoke(app, ["report", str(out), "-o", str(report)])
    assert done.exit_code == 0, done.output
    text = report.read_text()
    assert html.escape(WHY_AVOIDED_DIFFERS) in text and "net change (paired)" in text
    matplotlib.pyplot.close("all")
