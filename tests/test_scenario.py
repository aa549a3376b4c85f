"""Scenario files: strict loading, every problem reported at once, extends, dated values."""

from __future__ import annotations

import textwrap

import pytest
from conftest import ROOT

from sandbox import Rule, ScenarioError, load_scenario, register, scenario_from_dict
from sandbox.common.dates import DatedValues
from sandbox.rules import registry


def write(tmp_path, name, text):
    path = tmp_path / name
    path.write_text(textwrap.dedent(text))
    return path


def problems(path) -> list[str]:
    with pytest.raises(ScenarioError) as info:
        load_scenario(path)
    return info.value.problems


def test_all_problems_reported_at_once_with_file_line_path_found_and_allowed(tmp_path):
    path = write(
        tmp_path,
        "bad.yaml",
        """\
        name: bad
        months: 700
        market:
          investors:
            count: 100
            literacy_mean: 1.5
          borowers:
            count: 10
        regime:
          - rate_cap: {from: 2014-01, multiple: -1}
          - rate_cap: {from: 2014-01, mutliple: 3}
          - disclosur: {from: 2014-01}
        """,
    )
    found = problems(path)
    text = "\n".join(found)
    assert len(found) >= 5
    assert f"{path}:2: months: found 700; allowed:" in text
    assert f"{path}:6: market.investors.literacy_mean: found 1.5" in text
    assert "market.borowers: unknown key 'borowers'; did you mean 'borrowers'?" in text
    assert "regime[0].rate_cap.multiple: found -1" in text
    assert "regime[1].rate_cap.mutliple: unknown key 'mutliple'; did you mean 'multiple'?" in text
    assert "regime[2].disclosur: unknown key 'disclosur'; did you mean 'disclosure'?" in text


def test_dates_out_of_order_rule_after_horizon_and_wrong_types(tmp_path):
    path = write(
        tmp_path,
        "dates.yaml",
        """\
        start: 2016-01
        months: 12
        environment:
          benchmark_rate:
            values: {2016-06: 0.04, 2016-01: 0.05}
          shocks:
            - {month: 2016-02, kind: credit, size: lots}
        regime:
          - custody: {from: 2018-01}
          - disclosure: {from: 2016-05, until: 2016-03}
        """,
    )
    text = "\n".join(problems(path))
    assert "dates out of order" in text and "benchmark_rate" in text
    assert "environment.shocks[0].size: found 'lots'" in text
    assert "until 2016-03 is not after from 2016-05" in text


def test_rule_effective_after_the_horizon_is_refused(tmp_path):
    path = write(
        tmp_path,
        "late.yaml",
        """\
        start: 2016-01
        months: 12
        regime:
          - custody: {from: 2018-01}
        """,
    )
    text = "\n".join(problems(path))
    assert "custody" in text and "after the horizon" in text


def test_strict_yaml_duplicate_keys_and_no_implicit_booleans(tmp_path):
    dup = write(tmp_path, "dup.yaml", "name: a\nmonths: 12\nmonths: 24\n")
    assert "duplicate key 'months'" in problems(dup)[0]
    no = write(tmp_path, "no.yaml", "name: NO\n")
    assert load_scenario(no).name == "NO"


def test_nothing_is_evaluated(tmp_path):
    evil = write(tmp_path, "evil.yaml", "name: !!python/object/apply:os.system ['echo hacked']\n")
    assert "not allowed" in problems(evil)[0]


def test_extends_overrides_only_what_differs(tmp_path):
    base = load_scenario(ROOT / "scenarios/baseline.yaml")
    child = write(
        tmp_path,
        "child.yaml",
        f"""\
        extends: {ROOT / "scenarios/baseline.yaml"}
        name: child
        market:
          investors:
            literacy_mean: 0.7
        regime:
          - rate_cap: {{from: 2015-01, multiple: 4}}
          - inspections: remove
          - custody: {{from: 2015-01}}
        """,
    )
    s = load_scenario(child)
    assert s.market.investors.literacy_mean == 0.7
    assert s.market.investors.count == base.market.investors.count
    assert s.market.platforms == base.market.platforms
    names = [r.name for r in s.rules]
    assert sorted(names) == ["custody", "rate_cap", "rate_cap"]
    inherited, cap = (r for r in s.rules if r.name == "rate_cap")
    # The baseline's 36% cap stays in force until the child's cap supersedes it.
    assert (inherited.start, inherited.until, inherited.apr) == ("2014-01", "2015-01", 0.36)
    assert cap.multiple == 4 and cap.apr is None and cap.until is None


def test_extends_cycle_is_refused(tmp_path):
    write(tmp_path, "a.yaml", "extends: b.yaml\n")
    b = write(tmp_path, "b.yaml", "extends: a.yaml\n")
    assert "cycle" in problems(b)[0]


def test_dated_values_in_force_from_their_month():
    values = DatedValues(values={"2016-08": 0.24, "2020-08": 0.154})
    start = "2016-01"
    assert values.at(0, start) == 0.24  # before the first date the first value applies
    assert values.at(7, start) == 0.24
    assert values.at(54, start) == 0.24
    assert values.at(55, start) == 0.154


def test_with_updates_sets_paths_and_revalidates():
    s = load_scenario(ROOT / "scenarios/rate_cap_4x.yaml")
    t = s.with_updates({"regime.rate_cap.multiple": 3, "market.investors.literacy_mean": 0.6})
    inherited, cap = (r for r in t.rules if r.name == "rate_cap")
    assert cap.multiple == 3 and inherited.apr == 0.36 and inherited.multiple is None
    assert t.market.investors.literacy_mean == 0.6
    assert t.fingerprint() != s.fingerprint()
    with pytest.raises(ScenarioError, match="literacy_mean"):
        s.with_updates({"market.investors.literacy_mean": 2.0})


def test_a_user_rule_registers_and_is_usable_by_name():
    @register
    class ShoutingWarnings(Rule):
        name = "shouting_warnings"
        loudness: float = 0.5

        def apply(self, policy, model):  # noqa: ARG002 - Rule.apply's signature
            policy.publish_warnings = True

    try:
        s = scenario_from_dict({"regime": [{"shouting_warnings": {"from": "2014-03", "loudness": 0.9}}]})
        assert s.rules[0].loudness == 0.9
        with pytest.raises(ScenarioError, match="loudness"):
            scenario_from_dict({"regime": [{"shouting_warnings": {"from": "2014-03", "loudness": "x"}}]})
    finally:
        registry.unregister("shouting_warnings")


def test_a_rule_parameter_can_change_on_dates():
    """OpenFisca-style dated values: each in force from its month until the next."""
    import sandbox
    from sandbox import SandboxModel

    s = scenario_from_dict(
        {
            "start": "2016-01",
            "months": 12,
            "regime": [{"rate_cap": {"from": "2016-01", "apr": {"values": {"2016-01": 0.36, "2016-07": 0.24}}}}],
        }
    )
    model = SandboxModel(s, seed=1)
    cap = s.rules[0]
    for _ in range(7):
        model.step()
        assert cap.cap(model) == (0.36 if model.month < 6 else 0.24)
    with pytest.raises(sandbox.ScenarioError, match="dates out of order"):
        scenario_from_dict(
            {"regime": [{"rate_cap": {"from": "2014-01", "apr": {"values": {"2016-07": 0.2, "2016-01": 0.3}}}}]}
        )
