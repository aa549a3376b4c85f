"""Sandbox admission (`sandbox pilot`): eligibility, the test with and without caps, the verdict, the report card."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest
import typer
import yaml
from conftest import ROOT
from typer.testing import CliRunner

from sandbox.cli import pilot as cli_pilot
from sandbox.config.scenario import ScenarioError, load_scenario
from sandbox.market.model import SandboxModel
from sandbox.market.platforms import INSOLVENCY
from sandbox.pilot.assessment import assess
from sandbox.pilot.conditions import AdmissionCondition, ConditionSearch
from sandbox.pilot.eligibility import Condition, PilotRequirements, check_eligibility
from sandbox.pilot.firm import FirmFile, load_firm
from sandbox.pilot.simulation import VARIANTS, firm_rule, firm_state, horizon, stress_month, variants
from sandbox.pilot.verdict import judge

REGIME = ROOT / "scenarios/sandbox_regime.yaml"
GOOD = ROOT / "scenarios/firms/steady_lending.yaml"
BAD = ROOT / "scenarios/firms/golden_harvest.yaml"
CONDITIONS = [
    "licensed_or_partnered",
    "custody",
    "customer_cap",
    "exposure_cap",
    "disclosure",
    "compensation_reserve",
    "exit_plan",
    "test_duration",
]
RUNS = 4
#: Looser failure limits than the sandbox's 10% / 30%: 4 runs extended to 9 can show 30% (35 for 10%), fast tests.
LIMITS = {"max_failure_probability": 0.3, "max_stress_failure_probability": 0.6}


@pytest.fixture(scope="module")
def regime():
    return load_scenario(REGIME)


@pytest.fixture(scope="module")
def reports(regime):
    """Both shipped firms, assessed once for the module (4 seeds x 4 conditions x caps on/off, and more if needed)."""
    req = PilotRequirements.from_scenario(regime).model_copy(update=LIMITS)
    return {path.stem: assess(load_firm(path), regime, runs=RUNS, seed=11, requirements=req) for path in (GOOD, BAD)}


def _app() -> typer.Typer:
    app = typer.Typer(pretty_exceptions_enable=False, rich_markup_mode=None)
    app.command("noop")(lambda: None)  # a second command, so `pilot` stays a subcommand
    cli_pilot.register(app)
    return app


# ------------------------------------------------------------------ verdicts


def test_the_admitted_firm_meets_every_condition_and_the_test(reports):
    data = reports["steady_lending"].data
    assert [c["name"] for c in data["conditions"]] == CONDITIONS
    assert all(c["met"] for c in data["conditions"])
    assert all(c["met"] for c in data["test_checks"]), data["test_checks"]
    assert data["verdict"] == "admit"
    assert data["failure_probability"] == 0.0
    assert data["reserve_covers_losses"] is True
    assert data["conditions_of_admission"] == []
    # Admitted on its upper 95% bound, not its rate: 0 failures in 4 runs (bound 49%) were extended to 9 for 30%.
    assert data["failure_probability_upper95"] <= LIMITS["max_failure_probability"]
    assert data["verdict_runs"]["test"] == 9 and data["results"]["test"]["sandbox"]["runs"] == 9
    assert "The verdict rests on 9 runs of the test and 4 runs of each stress" in data["verdict_summary"]


def test_the_refused_firm_fails_the_conditions_it_states(reports):
    data = reports["golden_harvest"].data
    met = {c["name"]: c["met"] for c in data["conditions"]}
    assert met == {name: name == "test_duration" for name in CONDITIONS}
    assert data["verdict"] == "refuse"
    reasons = {c["name"]: c["reason"] for c in data["conditions"]}
    assert "neither licensed nor partnered" in reasons["licensed_or_partnered"]
    assert "3,000 customers" in reasons["customer_cap"] and "300" in reasons["customer_cap"]
    assert "100,000 yuan" in reasons["exposure_cap"] and "20,000 yuan" in reasons["exposure_cap"]
    assert "3 of 10" in reasons["disclosure"]
    assert "600,000 yuan" in reasons["compensation_reserve"]
    assert "no exit plan" in reasons["exit_plan"]
    assert len(data["reasons"]) == 7 and "7 of the sandbox's 8" in data["verdict_summary"]


@pytest.mark.parametrize(
    ("change", "condition"),
    [
        ({"licence": {"status": "partnered"}}, "licensed_or_partnered"),
        ({"custody": {"arrangement": "none"}}, "custody"),
        ({"customers.max_customers": 301}, "customer_cap"),
        ({"investor_terms.max_investment_per_customer": 20001}, "exposure_cap"),
        ({"disclosure.publishes": ["risk_warnings"]}, "disclosure"),
        ({"compensation_reserve": 599_999}, "compensation_reserve"),
        ({"exit_plan": None}, "exit_plan"),
        ({"test.duration_months": 13}, "test_duration"),
    ],
)
def test_each_condition_turns_on_its_own_number(regime, change, condition):
    data = yaml.safe_load(GOOD.read_text())
    for path, value in change.items():
        *parents, last = path.split(".")
        node = data
        for key in parents:
            node = node[key]
        node[last] = value
    firm = FirmFile.model_validate(data)
    req = PilotRequirements.from_scenario(regime)
    unmet = [c.name for c in check_eligibility(firm, req) if not c.met]
    assert unmet == [condition]


def test_requirements_come_from_the_regimes_sandbox_pilot_entry(regime):
    req = PilotRequirements.from_scenario(regime)
    assert (req.test_start, req.max_duration, req.max_customers, req.max_exposure_per_customer) == (
        "2016-07",
        12,
        300,
        20_000,
    )
    tighter = regime.with_updates({"regime.sandbox_pilot.max_customers": 200})
    firm = load_firm(GOOD)
    cap = next(c for c in check_eligibility(firm, PilotRequirements.from_scenario(tighter)) if c.name == "customer_cap")
    assert not cap.met and cap.threshold == 200
    with pytest.raises(ScenarioError, match="no sandbox_pilot entry"):
        PilotRequirements.from_scenario(load_scenario(ROOT / "scenarios/baseline.yaml"))


def test_a_risky_test_admits_with_conditions():
    conditions = [Condition(name, True, "ok") for name in CONDITIONS]
    checks = [
        Condition("failure_probability", True, "ok", 0.0, 0.1),
        Condition("stress_failure_probability", True, "ok", 0.0, 0.3),
        Condition("reserve_covers_test_losses", False, "short", 120_400.0, 50_000),
        Condition("reserve_covers_stress_losses", False, "short", 310_200.0, 50_000),
        Condition("caps_held", True, "ok", 0, 0),
    ]
    result = {"runs": 40, "failure_probability": 0.0, "tail_investor_loss": 310_200.0}
    summary = {v: {"sandbox": result, "uncapped": result} for v in VARIANTS}
    limits = dict.fromkeys(VARIANTS, 0.1)
    reserve = AdmissionCondition(
        "compensation_reserve",
        {"compensation_reserve": 311_000.0},
        {"compensation_reserve": 50_000.0},
        {v: result for v in VARIANTS},
        limits,
    )
    search = ConditionSearch(runs=40, variants=VARIANTS, conditions=[reserve])
    verdict, text, reasons, remedies = judge(conditions, checks, summary, search)
    assert verdict == "admit_with_conditions"
    assert reasons == ["short", "short"]
    assert remedies == [reserve]
    assert remedies[0].text.startswith("raise the compensation reserve to 311,000 yuan (from 50,000 yuan)")
    assert "upper 95% bound 8.8%" in remedies[0].text  # 0 failures in 40 runs
    assert "every admission condition" in text
    # Without a verified condition, a risky test is a refusal.
    assert judge(conditions, checks, summary)[0] == "refuse"
    assert judge(conditions, checks, summary, ConditionSearch(40, VARIANTS))[0] == "refuse"
    assert judge([*conditions[:-1], Condition("test_duration", False, "long")], checks, summary)[0] == ("refuse")


# ------------------------------------------------------------------ the test


def test_caps_are_never_breached_in_the_capped_runs(reports):
    for name, report in reports.items():
        firm = load_firm(GOOD if name == "steady_lending" else BAD)
        cap = min(firm.customers.max_customers, 300)
        for variant in VARIANTS:
            for run in report.results[variant]["sandbox"]:
                assert not run["customer_cap_breached"] and not run["exposure_cap_breached"]
                assert run["customers_exposed"] <= cap
                assert max(run["customers"]) <= cap
                # The cap binds when money is placed; a year's returns (under 15% for both) may lift a holding above it.
                assert run["max_exposure"] <= 20_000 * 1.15
                assert run["accounting_max_rel_error"] < 1e-9
            assert report.data["results"][variant]["sandbox"]["caps_breached_runs"] == 0


def test_caps_lower_customers_exposed_and_money_at_risk_on_paired_seeds(reports):
    results = reports["steady_lending"].results
    for variant in VARIANTS:
        capped, uncapped = results[variant]["sandbox"], results[variant]["uncapped"]
        assert len(capped) == len(uncapped) >= RUNS  # more seeds, when the verdict needed them, for both
        for c, u in zip(capped, uncapped, strict=True):  # same seed, with and without the caps
            assert c["customers_exposed"] <= u["customers_exposed"]
        assert np.mean([c["customers_exposed"] for c in capped]) < np.mean([u["customers_exposed"] for u in uncapped])
        assert np.mean([c["peak_claims"] for c in capped]) < np.mean([u["peak_claims"] for u in uncapped])
    # The refused firm would take 100,000 yuan from one customer without the caps: what one customer can lose.
    bad = reports["golden_harvest"].data["results"]
    for variant in VARIANTS:
        assert bad[variant]["sandbox"]["max_exposure_per_customer"] < 25_000
        assert bad[variant]["uncapped"]["max_exposure_per_customer"] > 25_000
        assert bad[variant]["sandbox"]["largest_customer_loss"] <= 20_000 * 1.15


def test_the_stresses_are_what_they_say(regime):
    firm = load_firm(BAD)
    req = PilotRequirements.from_scenario(regime)
    specs = variants(regime, req, firm)
    assert specs["credit_shock"][0].environment.shocks[-1].kind == "credit"
    assert specs["funding_stop"][0].environment.shocks[-1].kind == "funding"
    assert specs["credit_shock"][0].environment.shocks[-1].month == stress_month(req, 12) == "2016-10"
    # The neighbour's failure: the largest honest look-alike in the firm's region fails at the stress month.
    scenario, extra = specs["neighbour_failure"]
    model = SandboxModel(scenario, seed=3, months=horizon(regime, req, firm))
    model.rules = [*model.rules, firm_rule(firm, req), *extra]
    for _ in range(scenario.month("2016-10") + 1):
        model.step()
    state = firm_state(model)
    assert state.neighbour >= 0 and model.book.fail_month[state.neighbour] == scenario.month("2016-10")
    assert model.book.region[state.neighbour] == firm.customers.region
    assert model.cluster_of(np.array([state.neighbour]))[0] == model.cluster_of(np.array([state.row]))[0]


def test_the_exit_plan_makes_a_failure_orderly_over_its_months(regime):
    firm = load_firm(GOOD)
    req = PilotRequirements.from_scenario(regime)
    model = SandboxModel(regime, seed=2, months=30)
    model.rules = [*model.rules, firm_rule(firm, req)]
    for _ in range(regime.month("2016-07") + 3):
        model.step()
    row = firm_state(model).row
    holders = int((model.investors.platform == row).any(axis=0).sum())
    assert holders > 0
    model.fail(np.array([row]), INSOLVENCY, orderly=False)
    assert model.book.orderly[row]
    assert model.book.resolution_end[row] == model.month + firm.exit_plan.wind_down_months
    assert firm_state(model).holders_at_failure == holders


# ------------------------------------------------------------------ files and the command


def test_a_bad_firm_file_is_reported_with_file_line_field_and_a_suggestion(tmp_path):
    text = GOOD.read_text()
    text = text.replace("funding_model: matched", "funding_model: ponzi")
    text = text.replace("  annual_yield: 0.08 ", "  annual_yield: 1.5 ")
    text = text.replace("custody:\n  arrangement: bank", "custdy:\n  arrangement: bank")
    bad = tmp_path / "firm.yaml"
    bad.write_text(text)
    lines = text.splitlines()

    def line_of(prefix: str) -> int:
        return next(i for i, line in enumerate(lines, 1) if line.startswith(prefix))

    with pytest.raises(ScenarioError) as err:
        load_firm(bad)
    problems = err.value.problems
    assert (
        f"{bad}:{line_of('funding_model')}: funding_model: found 'ponzi'; allowed: one of 'matched', "
        "'pooled', 'guaranteed'" in problems
    )
    assert any(
        p.startswith(
            f"{bad}:{line_of('  annual_yield')}: investor_terms.annual_yield: found 1.5; allowed: a number <= 1"
        )
        for p in problems
    )
    assert any(
        p.startswith(f"{bad}:{line_of('custdy')}: custdy: unknown key 'custdy'; did you mean 'custody'?")
        for p in problems
    )
    assert any("custody: required value missing" in p for p in problems)

    result = CliRunner().invoke(_app(), ["pilot", str(bad), "--regime", str(REGIME)])
    assert result.exit_code == 2
    assert "Traceback" not in result.output
    assert f"{bad}:{line_of('funding_model')}: funding_model" in result.output
    missing = CliRunner().invoke(_app(), ["pilot", str(tmp_path / "nope.yaml"), "--regime", str(REGIME)])
    assert missing.exit_code == 2 and "firm file not found" in missing.output


def test_a_regime_without_a_sandbox_is_one_line(tmp_path):
    result = CliRunner().invoke(
        _app(), ["pilot", str(GOOD), "--regime", str(ROOT / "scenarios/baseline.yaml"), "--runs", "1"]
    )
    assert result.exit_code == 2
    assert "no sandbox_pilot entry" in result.output
    assert len([line for line in result.output.splitlines() if line.strip()]) == 1


def test_the_command_prints_the_verdict_and_writes_the_report_card(tmp_path):
    out = tmp_path / "card"
    result = CliRunner().invoke(
        _app(), ["pilot", str(BAD), "--regime", str(REGIME), "--runs", "1", "--seed", "5", "--out", str(out)]
    )
    assert result.exit_code == 0, result.output
    assert "Verdict: Refuse" in result.output and "NOT MET  custody" in result.output
    # A refused applicant is not run further: one run each, said in the singular (it said "1 runs each").
    assert "Results: 1 run each, seed 5" in result.output and "1 runs" not in result.output
    card = json.loads((out / "report_card.json").read_text())
    assert {
        "verdict",
        "conditions",
        "failure_probability",
        "expected_investor_loss",
        "reserve_covers_losses",
    } <= card.keys()
    assert card["verdict"] in ("admit", "admit_with_conditions", "refuse")
    assert all({"name", "met", "reason"} <= c.keys() for c in card["conditions"])
    assert isinstance(card["reserve_covers_losses"], bool)
    assert 0 <= card["failure_probability"] <= 1 and math.isfinite(card["expected_investor_loss"])
    assert card["test"]["seed"] == 5 and set(card["results"]) == set(VARIANTS)
    page = (out / "report_card.html").read_text()
    assert "Verdict: Refuse" in page and "Admission conditions" in page and "Stress results" in page
    assert "Test results: 1 run of 12 months" in page and "1 runs" not in page
    assert "data:image/png;base64," in page
    assert "<link" not in page and "<script" not in page and "http" not in page.split("<body>")[1]


def test_a_firm_name_with_brackets_is_printed_as_text_and_the_table_has_units(tmp_path):
    """The firm's name is user text: "[/bold]" in it crashed rich's markup parser with a traceback."""
    firm = tmp_path / "firm.yaml"
    firm.write_text(BAD.read_text().replace("name: Golden Harvest Wealth", 'name: "Acme [/bold] [red]x"'))
    result = CliRunner().invoke(
        _app(),
        ["pilot", str(firm), "--regime", str(REGIME), "--runs", "1", "--seed", "5", "--out", str(tmp_path / "c")],
    )
    assert result.exit_code == 0, result.output
    assert "Verdict: Refuse (Acme [/bold] [red]x)" in result.output
    assert "fails: % of runs; losses in yuan; exposed and harmed: customers (persons)" in " ".join(
        result.output.split()
    )


def test_the_shipped_firm_for_admission_with_conditions_meets_every_admission_condition():
    """thin_capital.yaml shows "admit with conditions": it must pass the checks and fail on its test alone.

    The full pilot (about 2 minutes) is left to README; here, the part that decides it cannot be refused outright.
    """
    firm = load_firm(ROOT / "scenarios/firms/thin_capital.yaml")
    req = PilotRequirements.from_scenario(load_scenario(REGIME))
    assert all(c.met for c in check_eligibility(firm, req))
    assert firm.funding_model == "guaranteed" and firm.capital == 20_000
