"""Calibration (issue 15): observed data at the edge, recovery of a known parameter, resume, outputs, CLI."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

import sandbox
from sandbox.cli import app
from sandbox.config.scenario import load_scenario
from sandbox.experiments import calibration, fit
from sandbox.reporting.report import build_report
from tests.conftest import small_market

WEALTH = "market.investors.wealth_median"
LITERACY = "market.investors.literacy_mean"
PRIORS = {WEALTH: (5000.0, 40000.0), LITERACY: (0.2, 0.8)}
TRUTH = 12000.0

SMALL_YAML = """\
name: small
start: 2016-01
months: 12
market:
  platforms: {initial: 6, entry_per_month: 0, capital_median: 1000000.0, capital_sigma: 0.0}
  investors: {count: 3000, active_at_start: 1.0, wealth_median: 20000}
  borrowers: {count: 2000, active_at_start: 1.0}
environment:
  macro: {amplitude: 0.0}
"""


def synthetic(seed: int = 101) -> pd.DataFrame:
    """Investors' money at four month-ends of a run at wealth_median = TRUTH: a well-identified target."""
    monthly = sandbox.run(small_market(months=12).with_updates({WEALTH: TRUTH}), seed=seed).monthly
    rows = [(m, "investor_money", v) for m, v in zip(monthly["month"], monthly["investor_money"], strict=True)]
    return calibration.check_observed(
        pd.DataFrame([r for r in rows if r[0][-2:] in ("03", "06", "09", "12")], columns=["month", "series", "value"])
    )


def interval(posterior: pd.DataFrame, parameter: str) -> tuple[float, float]:
    """The weighted 90% posterior interval."""
    values, weights = posterior[parameter].to_numpy(), posterior["weight"].to_numpy()
    order = np.argsort(values)
    cumulative = np.cumsum(weights[order]) / weights.sum()
    return float(values[order][np.searchsorted(cumulative, 0.05)]), float(
        values[order][np.searchsorted(cumulative, 0.95)]
    )


# --- observed data at the edge -------------------------------------------------------------


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "data.csv"
    path.write_text(text)
    return path


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            "month,series,value\n2018-01,alive_total,10\n",
            "line 2: month 2018-01 is after 2017-12; data after 2017-12 is held back",
        ),
        ("month,series,value\n2016-13,alive_total,10\n", "line 2: month '2016-13'; allowed: YYYY-MM"),
        ("month,series,value\n2016-01,alive_total,10\n2016-02,alive_total,nan\n", "line 3: value nan"),
        ("month,series,value\n2016-01,alive_total,inf\n", "line 2: value inf"),
        ("month,value\n2016-01,10\n", "missing column series; required: month, series, value"),
        ("month,series,value,sd\n2016-01,alive_total,10,-1\n", "line 2: sd -1"),
        ("month,series,value\n2016-01,alive_total,10\n2016-01,alive_total,11\n", "given twice"),
        ("month,series,value\n2016-06,failures_total:year,10\n", "dated YYYY-12"),
        ("month,series,value\n2016-06,failures_total:quarter,10\n", "allowed: a column of monthly.csv"),
    ],
)
def test_bad_data_is_refused_with_one_line(tmp_path: Path, text: str, message: str) -> None:
    with pytest.raises(calibration.CalibrationError) as err:
        calibration.read_observed(write(tmp_path, text))
    assert message in str(err.value)
    assert "\n" not in str(err.value)


def test_a_series_the_model_does_not_produce_is_refused(tmp_path: Path) -> None:
    observed = calibration.check_observed(
        pd.DataFrame({"month": ["2016-06"], "series": ["no_such_column"], "value": [1.0]})
    )
    with pytest.raises(calibration.CalibrationError, match="series 'no_such_column': not a column of monthly.csv"):
        calibration.calibrate(
            small_market(months=12),
            observed,
            PRIORS,
            particles=4,
            populations=1,
            seed=1,
            workers=1,
            db=tmp_path / "c.db",
        )
    late = calibration.check_observed(pd.DataFrame({"month": ["2017-06"], "series": ["alive_total"], "value": [1.0]}))
    with pytest.raises(calibration.CalibrationError, match="outside the scenario's months 2016-01..2016-12"):
        calibration.calibrate(
            small_market(months=12), late, PRIORS, particles=4, populations=1, seed=1, workers=1, db=tmp_path / "c.db"
        )


def test_builtin_china_set_uses_one_vintage_and_the_training_window() -> None:
    observed = calibration.read_observed("china_2014_2017")
    assert observed["month"].max() <= "2017-12"
    operating = observed[observed["series"] == "alive_total"]
    assert not operating["month"].duplicated().any()  # one vintage: one figure a month
    assert operating.set_index("month").at["2015-06", "value"] == 2028  # WDZJ as reported
    problem = observed[observed["series"] == "new_problem"]
    assert (problem["month"].min(), problem["month"].max(), len(problem)) == ("2014-01", "2017-06", 42)
    balance = observed[observed["series"] == "loan_balance"].set_index("month")["value"]
    assert balance["2014-12"] == 1.036e11 and balance["2017-12"] == pytest.approx(1.224587e12)  # yuan, as reported


def test_named_statistic_sums_a_year() -> None:
    monthly = pd.DataFrame({"month": [f"2016-{m:02d}" for m in range(1, 13)], "failures_total": range(12)})
    observed = calibration.check_observed(
        pd.DataFrame(
            {"month": ["2016-12", "2016-12"], "series": ["failures_total:year", "failures_total"], "value": [1, 1]}
        )
    )
    assert list(calibration.statistics(monthly, calibration.targets_of(observed)).values()) == [66.0, 11.0]


# --- the fit -------------------------------------------------------------------------------


def test_recovers_a_known_parameter(tmp_path: Path) -> None:
    """Data from the model at wealth_median = 12,000: the truth lies in the 90% posterior interval,
    and the interval is far narrower than the prior. Measured over data seeds 101-105 and
    calibration seeds 1-5: the truth was inside all five intervals (widths 3,000 to 5,500 yuan)."""
    fitted = calibration.calibrate(
        small_market(months=12),
        synthetic(),
        PRIORS,
        particles=20,
        populations=3,
        seed=1,
        workers=1,
        db=tmp_path / "c.db",
    )
    low, high = interval(fitted.posterior, WEALTH)
    assert low <= TRUTH <= high
    assert high - low < 0.25 * (PRIORS[WEALTH][1] - PRIORS[WEALTH][0])
    assert list(fitted.populations["population"]) == [0, 1, 2]
    assert fitted.posterior["weight"].sum() == pytest.approx(1.0)


def test_a_second_call_continues_the_stored_run(tmp_path: Path) -> None:
    observed, db = synthetic(), tmp_path / "c.db"
    first = calibration.calibrate(
        small_market(months=12), observed, PRIORS, particles=8, populations=1, seed=2, workers=1, db=db
    )
    assert not first.resumed and len(first.populations) == 1
    # As if interrupted after the first population: the same call asking for two goes on.
    second = calibration.calibrate(
        small_market(months=12), observed, PRIORS, particles=8, populations=2, seed=2, workers=1, db=db
    )
    assert second.resumed and second.run_id == first.run_id
    assert list(second.populations["population"]) == [0, 1]
    pd.testing.assert_frame_equal(second.populations.iloc[:1], first.populations)  # population 0 kept, not redone
    # A folder holding another calibration is refused, not mixed.
    with pytest.raises(calibration.CalibrationError, match="holds a calibration with other priors"):
        calibration.calibrate(
            small_market(months=12),
            observed,
            {WEALTH: (1.0, 2.0e5)},
            particles=8,
            populations=2,
            seed=2,
            workers=1,
            db=db,
        )


def test_goodness_of_fit_counts_bands_and_beats_nothing_by_construction() -> None:
    observed = calibration.check_observed(
        pd.DataFrame({"month": ["2016-01", "2016-02"], "series": ["x", "x"], "value": [10.0, 20.0], "sd": [1.0, 1.0]})
    )
    # Three runs: both inside the 2-sd bands; one inside, one outside; both outside.
    predictive = pd.DataFrame({"x@2016-01": [10.5, 11.0, 30.0], "x@2016-02": [19.0, 25.0, 30.0]})
    result = fit.goodness(observed, predictive)
    assert result.coverage_ratio == pytest.approx(1 / 3)
    assert list(result.per_target["coverage"]) == pytest.approx([2 / 3, 1 / 3])
    assert list(result.per_target["p_value"]) == pytest.approx([1.0, 2 / 3])


# --- the command ---------------------------------------------------------------------------


def test_cli_end_to_end(tmp_path: Path) -> None:
    (tmp_path / "small.yaml").write_text(SMALL_YAML)
    synthetic().to_csv(tmp_path / "data.csv", index=False, columns=["month", "series", "value"])
    out = tmp_path / "out"
    args = [
        "calibrate", str(tmp_path / "small.yaml"), "--data", str(tmp_path / "data.csv"),
        "-p", f"{WEALTH}=5000:40000", "-p", f"{LITERACY}=0.2:0.8", "--out", str(out),
        "--particles", "8", "--populations", "2", "--workers", "1", "--draws", "6",
    ]  # fmt: skip
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    assert "moment coverage ratio" in result.output and "logistic benchmark" in result.output
    posterior = pd.read_csv(out / "posterior.csv")
    assert list(posterior.columns) == [WEALTH, LITERACY, "weight"] and len(posterior) == 8
    assert list(pd.read_csv(out / "populations.csv").columns) == [
        "population", "epsilon", "acceptance_rate", "ess", "particles", "samples",
    ]  # fmt: skip
    table = pd.read_csv(out / "fit.csv")
    assert list(table.columns) == ["month", "series", "observed", "simulated_median", "simulated_p5", "simulated_p95"]
    assert (table["simulated_p5"] <= table["simulated_p95"]).all()
    goodness = json.loads((out / "goodness.json").read_text())
    assert {"moment_coverage_ratio", "model_distance", "benchmark_distance", "targets"} <= set(goodness)
    text = (out / "calibrated.yaml").read_text()
    assert text.startswith("# Calibrated by sandbox calibrate") and "extends: ../small.yaml" in text
    calibrated = load_scenario(out / "calibrated.yaml")  # a scenario that loads
    assert calibrated.market.investors.wealth_median == pytest.approx(fit.weighted_median(
        posterior[WEALTH].to_numpy(), posterior["weight"].to_numpy()
    ))  # fmt: skip
    # sandbox report renders the folder: marginals, pairs, bands against the data, convergence.
    report = build_report(out)
    assert [f.title for f in report.figures] == [
        "Posterior marginals", "Pairs", "Posterior predictive bands", "Epsilon, acceptance and ESS",
    ]  # fmt: skip
    assert any("moment coverage ratio" in finding for finding in report.findings)
    # The same command again resumes (nothing left to sample); other files in --out are refused.
    again = CliRunner().invoke(app, args)
    assert again.exit_code == 0 and "resumed" in again.output
    (tmp_path / "other").mkdir()
    (tmp_path / "other" / "notes.txt").write_text("x")
    refused = CliRunner().invoke(app, [*args[:-12], "--out", str(tmp_path / "other"), *args[-8:]])
    assert refused.exit_code == 2 and "not empty and not a calibration folder" in refused.output


def test_priors_and_data_can_come_from_the_scenarios_calibration_section(tmp_path: Path) -> None:
    synthetic().to_csv(tmp_path / "data.csv", index=False, columns=["month", "series", "value"])
    section = f"calibration:\n  data: {tmp_path / 'data.csv'}\n  priors:\n    {WEALTH}: [5000, 40000]\n"
    (tmp_path / "small.yaml").write_text(SMALL_YAML + section)
    out = tmp_path / "out"
    args = ["calibrate", str(tmp_path / "small.yaml"), "--out", str(out), "--particles", "6", "--populations", "1"]
    result = CliRunner().invoke(app, [*args, "--workers", "1", "--draws", "4"])
    assert result.exit_code == 0, result.output
    assert list(pd.read_csv(out / "posterior.csv").columns) == [WEALTH, "weight"]
    # --param adds to the section's priors.
    more = CliRunner().invoke(app, [*args[:2], "--out", str(tmp_path / "more"), *args[4:], "--workers", "1",
                                    "--draws", "4", "-p", f"{LITERACY}=0.2:0.8"])  # fmt: skip
    assert more.exit_code == 0, more.output
    assert list(pd.read_csv(tmp_path / "more" / "posterior.csv").columns) == [WEALTH, LITERACY, "weight"]


def test_a_calibration_section_is_validated_and_nothing_to_fit_is_refused(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text(SMALL_YAML + f"calibration:\n  priors:\n    {WEALTH}: [40000, 5000]\n")
    with pytest.raises(sandbox.ScenarioError, match="allowed: \\[low, high\\] with low < high"):
        load_scenario(bad)
    (tmp_path / "small.yaml").write_text(SMALL_YAML)
    result = CliRunner().invoke(app, ["calibrate", str(tmp_path / "small.yaml"), "--out", str(tmp_path / "o")])
    assert result.exit_code == 2 and "no parameters to fit" in result.output
    args = ["calibrate", str(tmp_path / "small.yaml"), "--out", str(tmp_path / "o"), "-p", f"{WEALTH}=5000:40000"]
    zero = CliRunner().invoke(app, [*args, "--data", "china_2014_2017", "--resolution", "0"])
    assert zero.exit_code == 2 and "--resolution: found 0; allowed" in zero.output


def test_holdout_scores_targets_the_fit_never_saw(tmp_path: Path) -> None:
    """Fit the first half-year of synthetic data, hold out the second: holdout.csv and .json."""
    (tmp_path / "small.yaml").write_text(SMALL_YAML)
    data = synthetic()
    data[data["month"] <= "2016-06"].to_csv(tmp_path / "fit.csv", index=False, columns=["month", "series", "value"])
    data[data["month"] > "2016-06"].to_csv(tmp_path / "later.csv", index=False, columns=["month", "series", "value"])
    out = tmp_path / "out"
    args = [
        "calibrate", str(tmp_path / "small.yaml"), "--data", str(tmp_path / "fit.csv"), "-p", f"{WEALTH}=5000:40000",
        "--out", str(out), "--particles", "10", "--populations", "2", "--workers", "1", "--draws", "6",
        "--holdout", str(tmp_path / "later.csv"),
    ]  # fmt: skip
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    assert "held out (2 targets): moment coverage ratio" in result.output
    table = pd.read_csv(out / "holdout.csv")
    assert table["month"].tolist() == ["2016-09", "2016-12"] and (table["simulated_p5"] <= table["observed"] * 2).all()
    scored = json.loads((out / "holdout.json").read_text())
    assert scored["posterior_predictive_runs"] == 6 and len(scored["targets"]) == 2
    # The wealth fitted on the first half predicts the second: the truth's money lies in the band.
    assert all(target["coverage"] > 0 for target in scored["targets"])


def test_the_distance_refits_its_scales_for_three_populations_then_keeps_them():
    """Epsilon must measure the same distance in the last populations, or it cannot show
    that the posterior is stable (issue 15, item 6): scales are refitted before
    populations 0-2 only."""
    observed = pd.DataFrame({"month": ["2015-01", "2015-02"], "series": ["alive_total"] * 2, "value": [1.0, 2.0]})
    refits = calibration.distance(observed).fit_scale_ixs
    assert [refits.act(t=t, total_sims=0) for t in range(6)] == [True, True, True, False, False, False]
