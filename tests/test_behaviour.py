"""The ``behaviour:`` section: validated like the rest, read by the market, and the
only home of behavioural numbers (no unexplained literal left in the market code)."""

from __future__ import annotations

import ast
from pathlib import Path

import numpy as np
import pytest
from conftest import ROOT, small_market

from sandbox import ScenarioError
from sandbox.market.environment import Environment
from sandbox.market.model import SandboxModel
from sandbox.market.params import BehaviourParams
from sandbox.market.platforms import FRAUD_CAUSE

MARKET = ROOT / "sandbox" / "market"

# Float literals the market code may still hold, each for a reason that is not behaviour.
# Everywhere: 0 and 1 (identities, clips to [0, 1], unit values at entry), 12 (months
# a year: annual rates to monthly ones), and tolerances below 1e-6 (epsilon guards).
ALLOWED_EVERYWHERE = {0.0, 1.0, 12.0}
TOLERANCE = 1e-6
# Module by module: (module, value) -> why it is not behaviour.
ALLOWED_HERE = {
    ("investors.py", 0.5): "the midpoint of a literacy band, (b + 0.5) / bands",
    ("model.py", 0.99): "a guard: a month's pass-through never takes a unit value to 0",
    ("placement.py", 6.0): "sqrt(6) / pi, the sd of a standard Gumbel variable (a mathematical constant)",
}
# Not scanned: params.py holds the defaults themselves; arrays.py and memory.py are
# numerical helpers (random bits to floats, Box-Muller, malloc settings) with no
# behaviour; results.py turns a finished run into tables. product_params.py holds the
# products section's defaults, as params.py holds the others (docs/model.md section 7 lists them).
NOT_SCANNED = {"params.py", "product_params.py", "arrays.py", "memory.py", "results.py"}


def float_literals(path: Path) -> list[tuple[int, float]]:
    """(line, value) of every float literal in a module (a unary minus is part of the value)."""
    tree = ast.parse(path.read_text(), filename=str(path))
    return [
        (node.lineno, node.value)
        for node in ast.walk(tree)
        if isinstance(node, ast.Constant) and type(node.value) is float
    ]


def test_the_market_code_holds_no_unexplained_number():
    unexplained = []
    for path in sorted(MARKET.glob("*.py")):
        if path.name in NOT_SCANNED:
            continue
        for line, value in float_literals(path):
            if value in ALLOWED_EVERYWHERE or abs(value) < TOLERANCE or (path.name, value) in ALLOWED_HERE:
                continue
            unexplained.append(f"{path.name}:{line}: {value!r}")
    assert not unexplained, "behavioural numbers belong in behaviour: (sandbox/market/params.py): " + ", ".join(
        unexplained
    )


def test_the_scan_finds_a_hidden_constant(tmp_path):
    # The guard is real: a hazard written into code is found, a tolerance is not.
    module = tmp_path / "m.py"
    module.write_text("def hazard(x):\n    return 0.03 * x + 1e-9 + 1.0\n")
    found = [v for _, v in float_literals(module) if v not in ALLOWED_EVERYWHERE and abs(v) >= TOLERANCE]
    assert found == [0.03]


def test_the_section_has_named_fields_with_descriptions_and_ranges():
    leaves = []
    for group_name, group in BehaviourParams.model_fields.items():
        for name, info in group.annotation.model_fields.items():  # type: ignore[union-attr]
            leaves.append((f"{group_name}.{name}", info))
    assert len(leaves) >= 12
    for path, info in leaves:
        assert info.description, f"behaviour.{path} has no description"


@pytest.mark.parametrize(
    ("path", "value", "said"),
    [
        ("behaviour__investors__herding_flight", float("nan"), "a finite number"),
        ("behaviour__platforms__custody_blocks", 1.5, "<= 1"),
        ("behaviour__regulator__rough_noise", -0.1, ">= 0"),
        ("behaviour__sentiment__base_prior", float("inf"), "a finite number"),
        ("behaviour__platforms__base_risk", {"intermediary": 0.002, "pool": 0.006}, "fraud"),
    ],
)
def test_a_bad_value_is_refused_naming_the_field(path, value, said):
    with pytest.raises(ScenarioError) as caught:
        small_market(**{path: value})
    message = str(caught.value)
    assert path.replace("__", ".") in message and said in message


def test_defaults_are_the_values_the_model_was_built_with():
    # Seeded results stay as they were only if every default is the constant it replaced.
    b = BehaviourParams()
    assert b.platforms.base_risk.by_kind().tolist() == [0.002, 0.006, 0.03]
    assert b.platforms.negative_equity_risk.by_kind().tolist() == [0.0, 0.5, 0.05]
    p, i, s, r = b.platforms, b.investors, b.sentiment, b.regulator
    assert (p.outflow_allowance, p.outflow_risk, p.overdue_risk, p.custody_blocks) == (0.02, 0.5, 0.05, 0.8)
    assert (p.overdue_weight, p.inflow_weight, p.complaints_memory, p.compliance) == (0.2, 0.3, 0.7, 0.3)
    assert (p.fraud_idle_diversion, p.fraud_cash_lending, p.intermediary_buffer, p.pool_idle_limit) == (
        0.5,
        0.5,
        0.02,
        2.0,
    )
    assert (p.unviable_equity, p.disclosure_spread, p.fraud_visibility, p.min_yield) == (0.5, 0.1, 2.0, 0.01)
    assert p.incumbent_age_max == 36
    assert (i.apparent_risk, i.signal_noise_floor, i.risk_aversion_sigma, i.herding_sd) == (0.004, 0.002, 0.3, 0.1)
    assert (i.herding_flight, i.visibility_ramp_months, i.consumption_slack) == (0.2, 12.0, 1.1)
    assert (i.liquidity_share, i.top_up_share, i.min_top_up) == (0.5, 0.1, 100.0)
    assert (b.borrowers.capacity_multiple, b.borrowers.loan_size_sigma) == (1.5, 0.3)
    assert (s.base_prior, s.warning_fear) == (0.005, 0.5)  # news in shares replaced the rest (test_environment)
    assert (r.premium_unit, r.complaints_weight, r.growth_weight, r.overdue_weight) == (0.02, 10.0, 2.0, 20.0)
    assert (r.warning_premium, r.warning_overdue, r.warning_no_custody) == (2.0, 0.25, 0.5)
    assert (r.warning_noise, r.rough_noise) == (0.3, 2.0)


def test_a_scenario_that_spells_out_the_defaults_runs_exactly_as_one_without():
    plain = small_market(months=6)
    spelled = small_market(months=6, behaviour=BehaviourParams().model_dump())
    a, b = SandboxModel(plain, seed=2), SandboxModel(spelled, seed=2)
    a.run()
    b.run()
    assert a.result().monthly.equals(b.result().monthly)


def test_each_owner_reads_its_part_of_the_section():
    scenario = small_market(behaviour__investors__herding_sd=0.05, behaviour__borrowers__capacity_multiple=3.0)
    model = SandboxModel(scenario, seed=1)
    b = scenario.behaviour
    assert model.investors.behaviour == b.investors and model.borrowers.behaviour == b.borrowers
    assert model.environment.behaviour == b.sentiment
    assert all(r.behaviour == b.regulator for r in model.regulators)
    np.testing.assert_allclose(model.borrowers.capacity, 3.0 * model.borrowers.demand)


def stressed_month(herding_flight: float, seed: int = 7) -> int:
    """Run requests in a small market whose platforms all lost a fifth of their money last
    month, with investors' herding flight factor set to ``herding_flight`` that month."""
    scenario = small_market()
    model = SandboxModel(scenario, seed=seed)
    for _ in range(4):
        model.step()
    model.behaviour = scenario.with_updates({"behaviour.investors.herding_flight": herding_flight}).behaviour
    book = model.book
    n = book.n
    book.inflow[:n] = 0.0
    book.outflow[:n] = 0.2 * book.claims()
    return int(model.investor_decisions().w_run.sum())


def test_a_larger_herding_flight_factor_raises_run_requests_in_a_stressed_market():
    # Paired: the same seed, the same four months, the same draws; only the factor differs.
    calm, herd = stressed_month(0.0), stressed_month(2.0)
    assert herd > calm
    assert stressed_month(0.2) == stressed_month(0.2)


def test_sentiment_behaviour_moves_the_prior_and_warning_fear():
    scenario = small_market()
    base = Environment(scenario.environment, scenario.start, 4)
    shifted = Environment(
        scenario.environment, scenario.start, 4, scenario.behaviour.sentiment.model_copy(update={"base_prior": 0.02})
    )
    np.testing.assert_allclose(shifted.prior_risk() - base.prior_risk(), 0.015)
    loud = Environment(
        scenario.environment, scenario.start, 4, scenario.behaviour.sentiment.model_copy(update={"warning_fear": 2.0})
    )
    for env in (base, loud):
        env.record_warnings(np.array([1]))
    assert loud.fear[1] == pytest.approx(4 * base.fear[1]) and loud.fear[0] == base.fear[0] == 0


def test_custody_blocks_what_an_absconding_fraud_takes():
    # A fraud with bank custody absconds: it takes cash x (1 - custody_blocks).
    taken = {}
    for blocks in (0.0, 0.8):
        scenario = small_market(behaviour__platforms__custody_blocks=blocks)
        model = SandboxModel(scenario, seed=5)
        book = model.book
        book.custody[0] = True
        cash = float(book.cash[0])
        before = float(book.diverted[0])
        model.fail(np.array([0]), FRAUD_CAUSE, orderly=False, absconded=np.array([True]))
        taken[blocks] = (float(book.diverted[0]) - before) / cash
    assert taken[0.0] == pytest.approx(1.0) and taken[0.8] == pytest.approx(0.2)


def test_the_model_docs_list_every_behaviour_field_with_its_default():
    text = (ROOT / "docs" / "model.md").read_text()
    b = BehaviourParams()
    for group in BehaviourParams.model_fields:
        section = getattr(b, group)
        for name in type(section).model_fields:
            value = getattr(section, name)
            shown = " / ".join(f"{v:g}" for v in value.by_kind()) if hasattr(value, "by_kind") else f"{value:g}"
            assert f"| `{group}.{name}` | {shown} |" in text, f"docs/model.md: no row for behaviour.{group}.{name}"
