"""Issue 12 item 5: verified conditions of admission, refusal when none exists, sentences from their
numbers, finite firm files, `validate` on firm files, and the pilot's default output folder."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml
from conftest import ROOT
from typer.testing import CliRunner

from sandbox.cli import app
from sandbox.config.scenario import ScenarioError, load_scenario
from sandbox.pilot import conditions, simulation
from sandbox.pilot.assessment import assess
from sandbox.pilot.conditions import with_changes
from sandbox.pilot.eligibility import PilotRequirements
from sandbox.pilot.firm import FirmFile, load_firm
from sandbox.pilot.simulation import VARIANTS, child_seeds, firm_rule, horizon, run_once, variants
from sandbox.pilot.verdict import (
    allowed_failures,
    failure_upper_bound,
    reserve_sentence,
    result_checks,
    runs_to_show,
    summarize,
    undecided,
    verification_runs,
)

REGIME = ROOT / "scenarios/sandbox_regime.yaml"
GOOD = ROOT / "scenarios/firms/steady_lending.yaml"
BAD = ROOT / "scenarios/firms/golden_harvest.yaml"
#: Looser limits than the sandbox's 10% / 30%, so that 9 runs can show them (35 for 10%): fast tests.
LIMITS = {"max_failure_probability": 0.3, "max_stress_failure_probability": 0.6}


@pytest.fixture(scope="module")
def small_regime(tmp_path_factory):
    """The sandbox regime with a smaller market (quicker runs)."""
    path = tmp_path_factory.mktemp("regime") / "small.yaml"
    path.write_text(
        f"extends: {REGIME}\nname: small_regime\nmarket:\n  platforms:\n    initial: 40\n"
        "  investors:\n    count: 2500\n  borrowers:\n    count: 1200\n"
    )
    return load_scenario(path)


def risky_firm(**changes) -> FirmFile:
    """Steady Lending turned into a thinly capitalised guaranteed-yield pool with a 6-month test."""
    data = yaml.safe_load(GOOD.read_text())
    data.update(funding_model="guaranteed", capital=5_000, test={"duration_months": 6})
    data["investor_terms"]["annual_yield"] = 0.4
    data["exit_plan"]["wind_down_months"] = 3
    data.update(changes)
    firm = FirmFile.model_validate(data)
    firm.source = "risky.yaml"
    return firm


@pytest.fixture(scope="module")
def risky(small_regime):
    req = PilotRequirements.from_scenario(small_regime).model_copy(update=LIMITS)
    firm = risky_firm()
    return firm, req, assess(firm, small_regime, runs=6, seed=3, requirements=req)


# ------------------------------------------------------------------ verified conditions


def test_a_firm_failing_too_often_gets_conditions_verified_within_the_limit(risky, small_regime, tmp_path):
    firm, req, report = risky
    data = report.data
    assert all(c["met"] for c in data["conditions"])
    assert data["failure_probability"] > req.max_failure_probability  # it fails too often as it stands
    assert data["verdict"] == "admit_with_conditions"
    assert data["conditions_of_admission"], data["verdict_summary"]
    for condition in data["conditions_of_admission"]:
        assert condition["verified"] is True
        assert condition["runs"] == verification_runs(0.3, 6) == 9
        assert condition["failure_probability_upper95"] <= req.max_failure_probability
        assert condition["changes"], condition
        # Re-run the condition independently on the same seeds: the card's numbers are what happens.
        changed = with_changes(firm, condition["changes"])
        spec, extra = variants(small_regime, req, firm)["test"]
        months = horizon(small_regime, req, firm)
        rule = firm_rule(changed, req)
        runs = [run_once(spec, [rule, *extra], s, months) for s in child_seeds(3, condition["runs"])]
        failures = sum(r["failed"] for r in runs)
        assert failures / len(runs) == condition["failure_probability"]
        assert failure_upper_bound(failures, len(runs)) == condition["failure_probability_upper95"]
        # The words state the same numbers.
        assert f"tested on {condition['runs']} runs: failed in {failures}" in condition["text"]
        assert f"upper 95% bound {condition['failure_probability_upper95']:.1%}" in condition["text"]
    # ... and the written card says so, in strict JSON.
    json_path, _ = report.write(tmp_path / "card")
    card = json.loads(json_path.read_text(), parse_constant=lambda c: pytest.fail(f"non-strict JSON: {c}"))
    assert [c["verified"] for c in card["conditions_of_admission"]] == [True] * len(data["conditions_of_admission"])


def test_the_capital_top_up_is_the_smallest_that_passed_and_the_cap_the_largest(risky):
    _, _, report = risky
    tried = report.data["condition_search"]["tried"]
    for condition in report.data["conditions_of_admission"]:
        lever = "customer_cap" if condition["lever"] == "customer_cap" else "capital_top_up"
        passed = [t["value"] for t in tried if t["lever"] == lever and t["passed"]]
        failed = [t["value"] for t in tried if t["lever"] == lever and not t["passed"]]
        if lever == "capital_top_up":
            top_up = condition["changes"]["capital"] - condition["before"]["capital"]
            assert top_up == min(passed) and all(f < top_up for f in failed)
        else:
            assert condition["changes"]["customers.max_customers"] == max(passed)


def test_a_hopeless_firm_is_refused(small_regime, monkeypatch):
    """Whatever the cap or the capital, this firm fails every run: no condition exists, so it is refused."""
    real = simulation.run_once

    def always_fails(*args, **kwargs):
        return {**real(*args, **kwargs), "failed": True}

    # Both the test's runs and the search's candidates (conditions imports run_once by name).
    monkeypatch.setattr(simulation, "run_once", always_fails)
    monkeypatch.setattr(conditions, "run_once", always_fails)
    req = PilotRequirements.from_scenario(small_regime).model_copy(update=LIMITS)
    data = assess(risky_firm(), small_regime, runs=2, seed=3, requirements=req).data
    assert all(c["met"] for c in data["conditions"])
    assert data["verdict"] == "refuse"
    assert data["conditions_of_admission"] == []
    tried = data["condition_search"]["tried"]
    assert {t["lever"] for t in tried} == {"customer_cap", "capital_top_up"}
    assert not any(t["passed"] for t in tried)
    assert "no customer cap, capital top-up or compensation reserve tried" in data["verdict_summary"]


def test_a_limit_no_run_count_can_show_refuses(small_regime):
    req = PilotRequirements.from_scenario(small_regime).model_copy(update={"max_failure_probability": 0.0})
    data = assess(risky_firm(), small_regime, runs=3, seed=3, requirements=req).data
    assert data["failure_probability"] > 0
    assert data["verdict"] == "refuse" and data["conditions_of_admission"] == []


def test_verification_runs_are_enough_to_show_the_limit():
    assert verification_runs(0.1, 20) == 35  # the sandbox's 10%: 0 failures in 34 runs is not enough
    assert failure_upper_bound(0, 35) <= 0.1 < failure_upper_bound(0, 34)
    assert allowed_failures(35, 0.1) == 0 and allowed_failures(34, 0.1) == -1


# ------------------------------------------------------------------ one standard: the upper 95% bound


def _never_failed(runs: int) -> dict:
    run = {
        "failed": False,
        "failed_or_exited": False,
        "exited_at_review": False,
        "triggered_exit": False,
        "cause": None,
        "investor_loss": 0.0,
        "claims_at_failure": 0.0,
        "recovered": 0.0,
        "customers_harmed": 0,
        "largest_customer_loss": 0.0,
        "customers_exposed": 10,
        "peak_claims": 1.0,
        "max_exposure": 1.0,
        "customer_cap_breached": False,
        "exposure_cap_breached": False,
        "value_per_yuan": None,
    }
    one = summarize([run] * runs, 1_000_000, 95)
    return {v: {"sandbox": one, "uncapped": one} for v in VARIANTS}


def test_a_rate_within_the_limit_on_too_few_runs_is_not_a_met_check(small_regime):
    """0 failures in 1 run is a 0% rate with a 95% interval of 0-79%: not within a 10% limit, not an admission."""
    req = PilotRequirements.from_scenario(small_regime)  # the sandbox's own 10% and 30%
    checks = {c.name: c for c in result_checks(risky_firm(), req, _never_failed(1))}
    assert not checks["failure_probability"].met and not checks["stress_failure_probability"].met
    assert "as a rate, but its upper bound is above it" in checks["failure_probability"].reason
    assert checks["failure_probability"].value == pytest.approx(failure_upper_bound(0, 1), abs=1e-4)
    # The runs that can decide, as for a condition of admission: 35 for 10%, 9 for 30%.
    assert undecided(_never_failed(1), req) == {
        "test": 35,
        "credit_shock": 9,
        "neighbour_failure": 9,
        "funding_stop": 9,
    }
    assert runs_to_show(0, 20, 0.1) == verification_runs(0.1, 20) == 35
    assert runs_to_show(0, 1, 0.0) is None  # a zero limit cannot be shown: no more runs, the check fails
    checks35 = {c.name: c for c in result_checks(risky_firm(), req, _never_failed(35))}
    assert checks35["failure_probability"].met and checks35["stress_failure_probability"].met


def test_one_run_asked_cannot_admit_on_an_interval_above_the_limit(small_regime, tmp_path):
    """`--runs 1`: the verdict rests on the runs the bound needs, and an admitted firm's bound is within the limit."""
    req = PilotRequirements.from_scenario(small_regime).model_copy(update=LIMITS)
    report = assess(load_firm(GOOD), small_regime, runs=1, seed=5, requirements=req)
    data = report.data
    assert data["test"]["runs"] == 1
    assert data["verdict_runs"]["test"] >= verification_runs(0.3, 1) == 9
    assert all(data["verdict_runs"][v] >= 3 for v in VARIANTS[1:])  # 0 in 3 runs: upper bound 56% <= 60%
    assert data["verdict"] == "admit", data["verdict_summary"]
    card = json.loads(report.write(tmp_path)[0].read_text())
    assert card["failure_probability_upper95"] <= req.max_failure_probability
    for v in VARIANTS:
        limit = req.max_failure_probability if v == "test" else req.max_stress_failure_probability
        assert card["results"][v]["sandbox"]["failure_probability_ci95"][1] <= limit
    assert f"The verdict rests on {card['verdict_runs']['test']} runs of the test" in card["verdict_summary"]
    assert "1 run was asked for" in card["verdict_summary"]
    assert "runs" in card["verdict_runs_summary"] and card["verdict_runs_summary"] in card["verdict_summary"]


# ------------------------------------------------------------------ sentences from their numbers


def _summary(test_tail: float, stress_tail: float) -> dict:
    base = {"tail_investor_loss": 0.0, "failure_probability": 0.0}
    out = {v: {"sandbox": dict(base), "uncapped": dict(base)} for v in VARIANTS}
    out["test"]["sandbox"]["tail_investor_loss"] = test_tail
    out["credit_shock"]["sandbox"]["tail_investor_loss"] = stress_tail
    return out


@pytest.mark.parametrize(
    ("test_tail", "stress_tail", "reserve", "expected"),
    [
        (
            0.0,
            500_000.0,
            50_000,
            "covers the 95th-percentile investor loss in the test (0 yuan) but not the loss "
            "under the worst stress (macro credit shock: 500,000 yuan)",
        ),
        (0.0, 0.0, 50_000, "covers the 95th-percentile investor loss in the test (0 yuan) and under the worst stress"),
        (
            80_000.0,
            10_000.0,
            50_000,
            "does not cover the 95th-percentile investor loss in the test (80,000 yuan) "
            "but covers the loss under the worst stress",
        ),
        (80_000.0, 90_000.0, 50_000, "covers neither the 95th-percentile investor loss in the test (80,000 yuan)"),
    ],
)
def test_the_reserve_sentence_follows_each_number(test_tail, stress_tail, reserve, expected):
    """The golden_harvest case: a test tail loss of 0 is covered, whatever the stresses show."""
    assert expected in reserve_sentence(reserve, _summary(test_tail, stress_tail), 95)


def test_golden_harvest_card_says_what_its_numbers_say(tmp_path):
    result = CliRunner().invoke(
        app, ["pilot", str(BAD), "--regime", str(REGIME), "--runs", "3", "--seed", "4", "--out", str(tmp_path)]
    )
    assert result.exit_code == 0, result.output
    card = json.loads((tmp_path / "report_card.json").read_text())
    reserve = card["compensation_reserve"]
    test = card["results"]["test"]["sandbox"]
    tail = test["tail_investor_loss"]
    claim = f"the 95th-percentile investor loss in the test ({tail:,.0f} yuan)"
    sentence = card["reserve_summary"]
    assert claim in sentence and claim in card["verdict_summary"] and sentence in result.output
    covered = reserve >= tail
    assert (f"covers {claim}" in sentence and "neither" not in sentence) == covered
    assert (f"does not cover {claim}" in sentence or f"neither {claim}" in sentence) == (not covered)
    assert f"failed in {test['failure_probability']:.0%}" in card["verdict_summary"]


# ------------------------------------------------------------------ firm files


@pytest.mark.parametrize(
    ("old", "new", "field", "found"),
    [
        ("compensation_reserve: 700000", "compensation_reserve: .inf", "compensation_reserve", "found inf"),
        ("capital: 3000000", "capital: .nan", "capital", "found nan"),
        (
            "  max_investment_per_customer: 20000",
            "  max_investment_per_customer: -.inf",
            "investor_terms.max_investment_per_customer",
            "found -inf",
        ),
        ("  wind_down_trigger: 0.5", "  wind_down_trigger: .nan", "risk_controls.wind_down_trigger", "found nan"),
        ("  max_customers: 300", "  max_customers: .inf", "customers.max_customers", "found inf"),
        ("term_months: [3, 6, 12]", "term_months: [3, -6, 12]", "borrower_terms.term_months[1]", "found -6"),
        ("term_months: [3, 6, 12]", "term_months: [3, 6, 0]", "borrower_terms.term_months[2]", "found 0"),
    ],
)
def test_non_finite_numbers_and_negative_terms_are_refused_with_file_line_and_field(tmp_path, old, new, field, found):
    text = GOOD.read_text()
    assert old in text
    path = tmp_path / "firm.yaml"
    path.write_text(text.replace(old, new))
    line = next(i for i, row in enumerate(path.read_text().splitlines(), 1) if new.strip() in row)
    with pytest.raises(ScenarioError) as err:
        load_firm(path)
    assert any(p.startswith(f"{path}:{line}: {field}: {found}") for p in err.value.problems), err.value.problems
    result = CliRunner().invoke(app, ["pilot", str(path), "--regime", str(REGIME), "--runs", "1"])
    assert result.exit_code == 2 and "Traceback" not in result.output
    assert f"{path}:{line}: {field}: {found}" in result.output


def test_validate_accepts_firm_files_and_reports_their_errors(tmp_path):
    ok = CliRunner().invoke(app, ["validate", str(GOOD), str(BAD), str(REGIME)])
    assert ok.exit_code == 0, ok.output
    assert f"ok: {GOOD} (firm file)" in ok.output and f"ok: {REGIME}" in ok.output
    bad = tmp_path / "firm.yaml"
    bad.write_text(GOOD.read_text().replace("capital: 3000000", "capital: .inf").replace("custody:\n", "custdy:\n"))
    result = CliRunner().invoke(app, ["validate", str(GOOD), str(bad)])
    assert result.exit_code == 2
    assert f"ok: {GOOD} (firm file)" in result.output
    assert f"{bad}:39: capital: found inf" in result.output
    assert "did you mean 'custody'" in result.output


def test_pilot_without_out_writes_to_the_default_folder_and_says_where(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(app, ["pilot", str(BAD), "--regime", str(REGIME), "--runs", "1", "--seed", "2"])
    assert result.exit_code == 0, result.output
    folder = Path("out/pilot/golden_harvest_wealth")
    assert json.loads((folder / "report_card.json").read_text())["verdict"] == "refuse"
    assert (folder / "report_card.html").is_file()
    assert f"report card written to {folder / 'report_card.html'}" in result.output
    assert pilot_default("../../etc/passwd!") == Path("out/pilot/etc_passwd")


def pilot_default(name: str) -> Path:
    from sandbox.cli.pilot import default_out

    return default_out(name)
