"""Hostile scenario files: non-finite numbers, strict types, file types, line numbers through extends."""

from __future__ import annotations

import math
import os
import textwrap
import types
from pathlib import Path
from typing import Any, Union, get_args, get_origin

import pytest
from pydantic import BaseModel

import sandbox
from sandbox import ScenarioError, load_scenario, scenario_from_dict
from sandbox.config.scenario import ScenarioBase
from sandbox.rules import registry


def write(folder: Path, name: str, text: str) -> Path:
    path = folder / name
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


def problems(path: Path) -> list[str]:
    with pytest.raises(ScenarioError) as info:
        load_scenario(path)
    return info.value.problems


# --------------------------------------------------------------------------
# Item 2: every numeric field refuses NaN and infinity, plain or dated
# --------------------------------------------------------------------------


def _is_numeric(annotation: Any) -> bool:
    if get_origin(annotation) in (Union, types.UnionType) or hasattr(annotation, "__metadata__"):
        return any(_is_numeric(a) for a in get_args(annotation))
    if get_origin(annotation) is list:
        return _is_numeric(get_args(annotation)[0])
    return annotation in (int, float)


def _numeric_paths(model: type[BaseModel], prefix: tuple[str, ...] = ()) -> list[tuple[str, ...]]:
    """Every numeric field of the schema, by the key a user writes, walking nested sections."""
    out: list[tuple[str, ...]] = []
    for name, field in model.model_fields.items():
        key = field.alias or name
        inner = [a for a in (get_args(field.annotation) or (field.annotation,)) if a is not type(None)]
        section = next((a for a in inner if isinstance(a, type) and issubclass(a, BaseModel)), None)
        if section is not None and not _is_numeric(field.annotation) and section.__name__ != "DatedValues":
            out += _numeric_paths(section, (*prefix, key))
        elif _is_numeric(field.annotation):
            out.append((*prefix, key))
            if "DatedValues" in repr(field.annotation):
                DATED.add((*prefix, key))
    return out


DATED: set[tuple[str, ...]] = set()


SECTION_FIELDS = [p for p in _numeric_paths(ScenarioBase) if "shocks" not in p and "ties" not in p]
RULE_FIELDS = [(name, p[0]) for name, cls in registry.all_rules().items() for p in _numeric_paths(cls)]

RULE_REQUIRED = {"rate_cap": {"apr": 0.3}}


def _set(data: dict[str, Any], path: tuple[str, ...], value: Any) -> None:
    for key in path[:-1]:
        data = data.setdefault(key, {})
    data[path[-1]] = value


def _list_field(path: tuple[str, ...]) -> bool:
    return path[-1] in ("term_months", "term_weights")


def test_the_sweep_covers_the_fields_named_in_the_issue() -> None:
    names = {p[-1] for p in SECTION_FIELDS} | {f for _, f in RULE_FIELDS}
    assert {
        "entry_per_month",
        "term_weights",
        "capital_median",
        "pd_concentration",
        "guarantor_capital",
        "demand_median",
        "benchmark_rate",
        "apr",
        "capital",
    } <= names
    assert len(SECTION_FIELDS) > 80 and len(RULE_FIELDS) > 30


@pytest.mark.parametrize("bad", [math.nan, math.inf, -math.inf], ids=["nan", "inf", "-inf"])
@pytest.mark.parametrize("path", SECTION_FIELDS, ids=".".join)
def test_section_field_refuses_non_finite(path: tuple[str, ...], bad: float) -> None:
    for value in ([bad], {"values": {"2016-01": 0.1, "2016-06": bad}}, bad):
        if isinstance(value, list) != _list_field(path) or (isinstance(value, dict) and path not in DATED):
            continue
        data: dict[str, Any] = {"start": "2016-01", "months": 12}
        _set(data, path, value)
        with pytest.raises(ScenarioError) as info:
            scenario_from_dict(data)
        text = str(info.value)
        assert ".".join(path) in text.replace("[0]", "").replace("'", ""), text
        assert "finite" in text or "whole number" in text, text


@pytest.mark.parametrize("bad", [math.nan, math.inf], ids=["nan", "inf"])
@pytest.mark.parametrize(("rule", "field"), RULE_FIELDS, ids=lambda x: str(x))
def test_rule_field_refuses_non_finite(rule: str, field: str, bad: float) -> None:
    params = {"from": "2016-01", **RULE_REQUIRED.get(rule, {})}
    if field in ("apr", "multiple"):
        params = {"from": "2016-01"}
    for value in (bad, {"values": {"2016-01": 0.1, "2016-06": bad}}):
        if isinstance(value, dict) and (field,) not in DATED:
            continue
        data = {"start": "2016-01", "months": 12, "regime": [{rule: {**params, field: value}}]}
        with pytest.raises(ScenarioError) as info:
            scenario_from_dict(data)
        text = str(info.value)
        assert f"regime[0].{rule}.{field}" in text, text


def test_nan_in_a_file_is_refused_with_file_line_and_field(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "nan.yaml",
        """\
        months: 12
        start: 2016-01
        market:
          borrowers:
            term_months: [3, 6]
            term_weights: [.nan, 0.5]
        environment:
          benchmark_rate: {values: {2016-01: .nan}}
        regime:
          - rate_cap: {from: 2016-01, apr: .nan}
          - sandbox_pilot: {from: 2016-01, capital: .inf}
        """,
    )
    text = "\n".join(problems(path))
    assert f"{path}:6: market.borrowers.term_weights[0]: found nan" in text
    assert f"{path}:8: environment.benchmark_rate.values['2016-01']: found nan" in text
    assert f"{path}:10: regime[0].rate_cap.apr: found nan" in text
    assert f"{path}:11: regime[1].sandbox_pilot.capital: found inf" in text


# --------------------------------------------------------------------------
# Item 7: extends reads only regular files of bounded size; linear error reporting
# --------------------------------------------------------------------------


def _extends(tmp_path: Path, target: str) -> list[str]:
    return problems(write(tmp_path, "child.yaml", f"extends: {target}\nname: child\n"))


def test_extends_a_fifo_is_refused_without_blocking(tmp_path: Path) -> None:
    os.mkfifo(tmp_path / "pipe.yaml")
    found = _extends(tmp_path, "pipe.yaml")
    assert len(found) == 1 and "pipe.yaml: is a named pipe (FIFO), not a regular file" in found[0]


def test_extends_dev_zero_is_refused(tmp_path: Path) -> None:
    found = _extends(tmp_path, "/dev/zero")
    assert found == ["/dev/zero: is a character device, not a regular file; allowed: a YAML file"]


def test_extends_a_symlink_loop_is_refused(tmp_path: Path) -> None:
    (tmp_path / "a.yaml").symlink_to(tmp_path / "b.yaml")
    (tmp_path / "b.yaml").symlink_to(tmp_path / "a.yaml")
    found = _extends(tmp_path, "a.yaml")
    assert len(found) == 1 and "a.yaml" in found[0] and "\n" not in found[0]


def test_extends_a_directory_is_refused(tmp_path: Path) -> None:
    (tmp_path / "folder").mkdir()
    found = _extends(tmp_path, "folder")
    assert found == [f"scenario path is a directory, not a file: {tmp_path / 'folder'}"]


def test_extends_a_file_over_the_size_limit_is_refused(tmp_path: Path) -> None:
    big = tmp_path / "big.yaml"
    big.write_bytes(b"# " + b"x" * (sandbox.config.yamlio.MAX_FILE_BYTES) + b"\n")
    found = _extends(tmp_path, "big.yaml")
    assert found == [f"{big}: file is larger than 4 MB; allowed: a scenario file up to that size"]


def test_thirty_thousand_unknown_keys_are_each_reported_once() -> None:
    data = {"market": {f"k{i}": 1 for i in range(30_000)}}
    with pytest.raises(ScenarioError) as info:
        scenario_from_dict(data)
    found = info.value.problems
    assert len(found) == 30_000 == len(set(found))
    assert found[0].startswith("<scenario>: market.k0: unknown key 'k0'")


# --------------------------------------------------------------------------
# Item 10: lines through extends, strict types, same-date rules, percentages, bank
# --------------------------------------------------------------------------

BASE = """\
name: base
start: 2016-01
months: 24
market:
  investors: {count: 2000}
regime:
  - rate_cap: {from: 2016-01, apr: 0.36}
  - inspections: {from: 2016-01, capacity: 2}
"""


def test_lines_through_extends_name_the_file_and_line_where_the_key_is_written(tmp_path: Path) -> None:
    write(tmp_path, "base.yaml", BASE)
    child = write(
        tmp_path,
        "child.yaml",
        """\
        extends: base.yaml
        name: child
        market:
          investors: {cuont: 5}
        regime:
          - custody: {from: 2016-03, grace_month: 2}
          - disclosure: {from: 2019-01}
        """,
    )
    found = problems(child)
    assert f"{child}:4: market.investors.cuont: unknown key 'cuont'; did you mean 'count'?" in found[0]
    # The child's own regime index and line, although the merged regime holds the parent's first.
    assert any(p.startswith(f"{child}:6: regime[0].custody.grace_month: unknown key") for p in found), found


def test_cross_field_errors_point_at_the_field(tmp_path: Path) -> None:
    write(tmp_path, "base.yaml", BASE)
    child = write(
        tmp_path,
        "child.yaml",
        """\
        extends: base.yaml
        name: child
        regime:
          - custody: {from: 2016-03}
          - disclosure: {from: 2019-01}
        environment:
          shocks:
            - {month: 2016-05, kind: bank_failure, bank: 0, size: 0.5}
        """,
    )
    found = problems(child)
    assert f"{child}:5: regime[1].disclosure.from: found 2019-01, after the horizon" in "\n".join(found)
    assert (
        f"{child}:8: environment.shocks[0].bank: a bank_failure shock needs "
        "market.exposures.custodians >= 1 (found 0 custodian banks)"
    ) in found


def test_bank_gets_a_real_range(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "bank.yaml",
        """\
        start: 2016-01
        months: 12
        market:
          exposures: {custodians: 3}
        environment:
          shocks:
            - {month: 2016-05, kind: bank_failure, bank: 3, size: 0.5}
        """,
    )
    assert problems(path) == [
        f"{path}:7: environment.shocks[0].bank: found 3; allowed: 0 to 2 (market.exposures.custodians is 3)"
    ]


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ("market: {investors: {count: true}}", "market.investors.count: found true; allowed: a whole number"),
        ("channels: {runs: no}", "channels.runs: found 'no' (text); allowed: true or false"),
        ("channels: {runs: 1}", "channels.runs: found 1 (a number); allowed: true or false"),
        ("market: {investors: {literacy_mean: true}}", "market.investors.literacy_mean: found true; allowed: a number"),
        ("market: {investors: {count: '500'}}", "market.investors.count: found '500' (text); allowed: a whole number"),
    ],
)
def test_strict_types(tmp_path: Path, line: str, message: str) -> None:
    path = write(tmp_path, "strict.yaml", f"months: 12\n{line}\n")
    assert problems(path) == [f"{path}:2: {message}"]


def test_a_rule_given_twice_with_the_same_date_is_refused(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "twice.yaml",
        """\
        start: 2016-01
        months: 12
        regime:
          - rate_cap: {from: 2016-03, apr: 0.3}
          - rate_cap:
              from: 2016-03
              apr: 0.2
        """,
    )
    found = problems(path)
    assert found == [
        f"{path}:6: regime[1].rate_cap.from: found 2016-03 again: an earlier rate_cap entry starts "
        "the same month; allowed: one entry of a rule per date (merge their fields, or change a date)"
    ]


def test_a_same_date_rule_through_extends_names_no_index_of_the_merged_regime(tmp_path: Path) -> None:
    # The merged regime holds the parent's entries first; its indexes match no file.
    write(tmp_path, "base.yaml", BASE)
    path = write(
        tmp_path,
        "child.yaml",
        """\
        extends: base.yaml
        regime:
          - rate_cap: {from: 2016-08, apr: 0.2}
          - rate_cap: {from: 2016-08, apr: 0.3}
        """,
    )
    assert problems(path) == [
        f"{path}:4: regime[1].rate_cap.from: found 2016-08 again: an earlier rate_cap entry "
        "starts the same month; allowed: one entry of a rule per date (merge their fields, "
        "or change a date)"
    ]


@pytest.mark.parametrize("key", ["source", "sorce"])
def test_the_loaded_from_file_is_not_a_key_a_file_can_set_or_be_told_to_use(tmp_path: Path, key: str) -> None:
    path = write(tmp_path, "src.yaml", f"months: 12\n{key}: other.yaml\n")
    [found] = problems(path)
    assert found.startswith(
        f"{path}:2: {key}: unknown key '{key}' (allowed: behaviour, calibration, channels, description,"
    )
    assert "did you mean" not in found and "source" not in found.split("(allowed:")[1]
    assert load_scenario(write(tmp_path, "ok.yaml", "months: 12\n")).source == str(tmp_path / "ok.yaml")


@pytest.mark.parametrize(
    ("field", "value", "hint"),
    [
        ("regime: [{rate_cap: {from: 2016-01, apr: X}}]", 24, "did you mean 0.24 (24%)?"),
        ("regime: [{rate_cap: {from: 2016-01, apr: {values: {2016-01: X}}}}]", 36, "did you mean 0.36 (36%)?"),
        ("market: {investors: {literacy_mean: X}}", 40, "did you mean 0.4 (40%)?"),
        ("market: {platforms: {custody_share: X}}", 100, "did you mean 1 (100%)?"),
        ("environment: {benchmark_rate: X}", 4.35, "did you mean 0.0435 (4.35%)?"),
    ],
)
def test_percent_numbers_get_a_hint(tmp_path: Path, field: str, value: float, hint: str) -> None:
    path = write(tmp_path, "pct.yaml", f"start: 2016-01\nmonths: 12\n{field.replace('X', str(value))}\n")
    found = problems(path)
    assert len(found) == 1 and found[0].endswith(hint), found


def test_percent_text_is_read_as_a_fraction(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "pct.yaml",
        """\
        start: 2016-01
        months: 12
        market: {investors: {literacy_mean: 40%}}
        environment: {benchmark_rate: {values: {2016-01: 4.35%}}}
        regime:
          - rate_cap: {from: 2016-01, apr: 24%}
        """,
    )
    scenario = load_scenario(path)
    assert scenario.market.investors.literacy_mean == pytest.approx(0.4)
    assert scenario.environment.benchmark_rate.values["2016-01"] == pytest.approx(0.0435)
    assert scenario.rules[0].apr == pytest.approx(0.24)


def test_a_wrong_dated_value_gets_one_message(tmp_path: Path) -> None:
    path = write(tmp_path, "one.yaml", "months: 12\nregime: [{rate_cap: {from: 2014-01, apr: lots}}]\n")
    assert problems(path) == [f"{path}:2: regime[0].rate_cap.apr: found 'lots' (text); allowed: a number"]


def test_a_missing_parent_names_the_child_file_and_line(tmp_path: Path) -> None:
    child = write(tmp_path, "child.yaml", "name: child\nextends: nothere.yaml\n")
    (message,) = problems(child)
    assert message.startswith(f"{child}:2: extends: file not found: nothere.yaml"), message


def test_a_percentage_over_100_is_echoed_as_written_without_a_misleading_hint(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "s.yaml",
        """\
        name: s
        regime:
          - rate_cap: {from: 2015-01, apr: 2400%}
        """,
    )
    (message,) = problems(path)
    assert "'2400%'" in message and "did you mean" not in message, message


def test_override_problems_name_the_override_not_the_file() -> None:
    scenario = load_scenario("scenarios/baseline.yaml")
    with pytest.raises(ScenarioError) as info:
        scenario.with_updates({"market.investors.literacy_mean": 7})
    (message,) = info.value.problems
    assert message.startswith("scenarios/baseline.yaml with market.investors.literacy_mean=7: "), message
    assert scenario.with_updates({"market.investors.literacy_mean": 0.3}).source == "scenarios/baseline.yaml"
