"""Dated overrides in ``extends``: a child's rule supersedes the parent's from its date, never before.

OpenFisca semantics: a dated value is in force from its date; what the parent
scenario had before that date stays in force. ``- rule: remove`` drops an
inherited rule; ``remove`` followed by new entries replaces it entirely.
"""

from __future__ import annotations

import textwrap
from pathlib import Path

import pandas as pd
import pytest
from conftest import ROOT

import sandbox
from sandbox import ScenarioError, load_scenario

SMALL = """\
name: parent
start: 2014-01
months: 14
market:
  platforms: {initial: 20, entry_per_month: {values: {2014-01: 2, 2014-07: 1}}}
  investors: {count: 2000, active_at_start: 0.6}
  borrowers: {count: 1000, active_at_start: 0.6}
regime:
  - rate_cap: {from: 2014-01, apr: 0.36}
  - inspections: {from: 2014-01, capacity: 2, targeting: random}
"""


def write(folder: Path, name: str, text: str) -> Path:
    path = folder / name
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


def monthly(scenario: sandbox.Scenario, seed: int = 7) -> pd.DataFrame:
    return sandbox.run(scenario, seed=seed).monthly


def rate_caps(scenario: sandbox.Scenario) -> list[tuple[str, str | None, float | None, float | None]]:
    return [(r.start, r.until, r.apr, r.multiple) for r in scenario.rules if r.name == "rate_cap"]


def test_child_changing_a_later_rule_runs_exactly_as_the_parent_before_its_date(tmp_path: Path) -> None:
    parent = write(tmp_path, "parent.yaml", SMALL)
    child = write(
        tmp_path,
        "child.yaml",
        """\
        extends: parent.yaml
        name: child
        regime:
          - rate_cap: {from: 2014-09, apr: 0.12}
        """,
    )
    before, after = monthly(load_scenario(parent)), monthly(load_scenario(child))
    cut = 8  # 2014-09 is month 8 from 2014-01
    pd.testing.assert_frame_equal(before.iloc[:cut], after.iloc[:cut])
    # From its date the lower cap binds: more credit is refused by the cap than under 36%.
    assert after["credit_excluded_cap"].iloc[cut:].sum() > before["credit_excluded_cap"].iloc[cut:].sum()


def test_rate_cap_24_keeps_the_baselines_cap_before_its_own_date() -> None:
    base, cap24 = load_scenario(ROOT / "scenarios/baseline.yaml"), load_scenario(ROOT / "scenarios/rate_cap_24.yaml")
    assert rate_caps(base) == [("2014-01", None, 0.36, None)]
    assert rate_caps(cap24) == [("2014-01", "2015-01", 0.36, None), ("2015-01", None, 0.24, None)]
    # The shipped scenarios that change a rule keep the baseline's rule until their date.
    cap4x = load_scenario(ROOT / "scenarios/rate_cap_4x.yaml")
    assert rate_caps(cap4x) == [("2014-01", "2015-01", 0.36, None), ("2015-01", None, None, 4.0)]
    interim = load_scenario(ROOT / "scenarios/interim_measures_2016.yaml")
    inspections = [(r.start, r.until, r.capacity) for r in interim.rules if r.name == "inspections"]
    assert inspections == [("2014-01", "2016-08", 25), ("2016-08", None, 125)]
    laissez = load_scenario(ROOT / "scenarios/laissez_faire.yaml")
    assert laissez.rules == []


def test_rate_cap_24_in_2014_runs_as_the_baseline(tmp_path: Path) -> None:
    """Credit excluded by the cap in 2014 equals the baseline's with the same seed (was 0)."""
    shrink = {
        "months": 14,
        "market.resolution": 1.0,
        "market.platforms.entry_per_month": 2,
        "market.investors.count": 2000,
        "market.borrowers.count": 1000,
        "market.platforms.initial": 20,
    }
    base = load_scenario(ROOT / "scenarios/baseline.yaml").with_updates(shrink)
    cap24 = load_scenario(ROOT / "scenarios/rate_cap_24.yaml").with_updates(shrink)
    before, after = monthly(base), monthly(cap24)
    assert before["credit_excluded_cap"].iloc[:12].sum() > 0
    pd.testing.assert_frame_equal(before.iloc[:12], after.iloc[:12])


def test_remove_drops_an_inherited_rule_and_remove_then_new_entry_replaces_it(tmp_path: Path) -> None:
    write(tmp_path, "parent.yaml", SMALL)
    removed = load_scenario(
        write(
            tmp_path,
            "removed.yaml",
            """\
        extends: parent.yaml
        regime:
          - rate_cap: remove
        """,
        )
    )
    assert rate_caps(removed) == [] and [r.name for r in removed.rules] == ["inspections"]
    replaced = load_scenario(
        write(
            tmp_path,
            "replaced.yaml",
            """\
        extends: parent.yaml
        regime:
          - rate_cap: remove
          - rate_cap: {from: 2014-06, apr: 0.2}
        """,
        )
    )
    assert rate_caps(replaced) == [("2014-06", None, 0.2, None)]  # no 36% cap before 2014-06
    superseded = load_scenario(
        write(
            tmp_path,
            "superseded.yaml",
            """\
        extends: parent.yaml
        regime:
          - rate_cap: {from: 2014-06, apr: 0.2}
        """,
        )
    )
    assert rate_caps(superseded) == [("2014-01", "2014-06", 0.36, None), ("2014-06", None, 0.2, None)]


def test_a_child_dated_at_or_before_the_parents_date_replaces_it(tmp_path: Path) -> None:
    write(tmp_path, "parent.yaml", SMALL)
    child = load_scenario(
        write(
            tmp_path,
            "child.yaml",
            """\
        extends: parent.yaml
        regime:
          - rate_cap: {from: 2014-01, apr: 0.3}
        """,
        )
    )
    assert rate_caps(child) == [("2014-01", None, 0.3, None)]


def test_a_parent_entry_already_lifted_before_the_childs_date_is_kept_as_is(tmp_path: Path) -> None:
    write(tmp_path, "parent.yaml", SMALL.replace("apr: 0.36}", "apr: 0.36, until: 2014-04}"))
    child = load_scenario(
        write(
            tmp_path,
            "child.yaml",
            """\
        extends: parent.yaml
        regime:
          - rate_cap: {from: 2014-06, apr: 0.2}
        """,
        )
    )
    assert rate_caps(child) == [("2014-01", "2014-04", 0.36, None), ("2014-06", None, 0.2, None)]


def test_dated_values_supersede_the_parents_from_their_first_date(tmp_path: Path) -> None:
    write(tmp_path, "parent.yaml", SMALL)
    child = load_scenario(
        write(
            tmp_path,
            "child.yaml",
            """\
        extends: parent.yaml
        market:
          platforms:
            entry_per_month: {values: {2014-10: 5}}
        environment:
          benchmark_rate: {values: {2014-06: 0.05}}
        """,
        )
    )
    assert child.market.platforms.entry_per_month.values == {"2014-01": 2, "2014-07": 1, "2014-10": 5}
    # A plain parent number stays in force from the start until the child's first date.
    assert child.environment.benchmark_rate.values == {"2014-01": 0.0435, "2014-06": 0.05}


def test_removing_a_rule_the_parent_lacks_is_refused_at_its_line(tmp_path: Path) -> None:
    write(tmp_path, "parent.yaml", SMALL)
    path = write(
        tmp_path,
        "child.yaml",
        """\
        extends: parent.yaml
        regime:
          - custody: remove
        """,
    )
    with pytest.raises(ScenarioError) as info:
        load_scenario(path)
    assert (
        str(info.value) == f"{path}:3: regime[0].custody: remove: the scenario extended has no rule 'custody' to remove"
    )
