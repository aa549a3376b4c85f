"""Tests for sandbox.config.yamlio: strict YAML loading and readable validation errors."""

from __future__ import annotations

import textwrap
from pathlib import Path
from typing import Annotated, Literal

import pytest
import yaml
from pydantic import AfterValidator, BaseModel, ConfigDict, Field, ValidationError, field_validator

import sandbox.config.yamlio
from sandbox.config.yamlio import (
    ScenarioError,
    StrictLoader,
    format_validation_error,
    line_locator,
    load_yaml,
    path_str,
)

# --------------------------------------------------------------------------
# Every test runs on both loaders: libyaml's events (when installed) and pure Python
# --------------------------------------------------------------------------


@pytest.fixture(autouse=True, params=["libyaml", "python"])
def yaml_loader(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """The same strict rules, messages and lines whichever scanner reads the file."""
    if request.param == "python":
        monkeypatch.setattr(sandbox.config.yamlio, "_CStrictLoader", None)
    elif sandbox.config.yamlio._CStrictLoader is None:
        pytest.skip("PyYAML built without libyaml")
    return request.param


def test_files_are_scanned_by_libyaml_when_it_is_installed(yaml_loader: str) -> None:
    # PyYAML's pure-Python scanner took 1.5 s for a file of 30,000 keys; libyaml's, 0.4 s.
    loader = sandbox.config.yamlio._strict_loader("a: 1\n", "f.yaml")
    assert isinstance(loader, yaml._yaml.CParser) == (yaml_loader == "libyaml")
    node = loader.get_single_node()
    assert node.value[0][0].start_mark.name == "f.yaml"
    assert loader.construct_document(node) == {"a": 1}


# --------------------------------------------------------------------------
# A small scenario-like model set
# --------------------------------------------------------------------------


class Investors(BaseModel):
    model_config = ConfigDict(extra="forbid")
    count: int = Field(ge=1)
    literacy_mean: float = Field(ge=0, le=1)


class Platforms(BaseModel):
    model_config = ConfigDict(extra="forbid")
    count: int = Field(ge=1)
    fee: float = 0.01


class Borrowers(BaseModel):
    model_config = ConfigDict(extra="forbid")
    count: int = Field(ge=1)


class Market(BaseModel):
    model_config = ConfigDict(extra="forbid")
    investors: Investors
    platforms: Platforms
    borrowers: Borrowers | None = None


class RateCap(BaseModel):
    model_config = ConfigDict(extra="forbid")
    multiple: float = Field(ge=0)
    start: str = Field(alias="from")


class Disclosure(BaseModel):
    model_config = ConfigDict(extra="forbid")
    level: Literal["basic", "full"]
    note: str = ""

    @field_validator("note")
    @classmethod
    def _short_note(cls, value: str) -> str:
        if len(value) > 10:
            raise ValueError("note must be at most 10 characters")
        return value


class RegimeEntry(BaseModel):
    model_config = ConfigDict(extra="forbid")
    rate_cap: RateCap | None = None
    disclosure: Disclosure | None = None


class Scenario(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str
    months: int = Field(ge=1, le=600)
    market: Market
    regime: list[RegimeEntry]


GOOD = """\
name: baseline
months: 120
market:
  investors:
    count: 100
    literacy_mean: 0.5
  platforms:
    count: 3
regime:
  - rate_cap:
      multiple: 1.5
      from: 2016-08
  - disclosure:
      level: full
  - rate_cap:
      multiple: 2
      from: 2016-08-01
"""


def write(tmp_path: Path, text: str, name: str = "baseline.yaml") -> Path:
    path = tmp_path / name
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


def problems_for(tmp_path: Path, text: str, name: str = "baseline.yaml") -> list[str]:
    """Load + validate text as a Scenario and return the formatted messages."""
    path = write(tmp_path, text, name)
    data, lines = load_yaml(path)
    with pytest.raises(ValidationError) as info:
        Scenario.model_validate(data)
    return format_validation_error(info.value, model=Scenario, locate=line_locator(name, lines))


# --------------------------------------------------------------------------
# Strict loader
# --------------------------------------------------------------------------


def test_good_file_loads_and_validates(tmp_path: Path) -> None:
    data, _ = load_yaml(write(tmp_path, GOOD))
    scenario = Scenario.model_validate(data)
    assert scenario.regime[0].rate_cap is not None
    assert scenario.regime[0].rate_cap.start == "2016-08"
    assert scenario.regime[2].rate_cap is not None
    assert scenario.regime[2].rate_cap.start == "2016-08-01"


def test_duplicate_key_refused_with_both_lines(tmp_path: Path) -> None:
    path = write(tmp_path, GOOD + "months: 60\n")
    with pytest.raises(ScenarioError) as info:
        load_yaml(path)
    assert str(info.value) == f"{path}:18: duplicate key 'months' (first at line 2)"


def test_duplicate_nested_key_refused(tmp_path: Path) -> None:
    text = """\
    market:
      investors:
        count: 1
        count: 2
    """
    path = write(tmp_path, text)
    with pytest.raises(ScenarioError, match=r":4: duplicate key 'count' \(first at line 3\)"):
        load_yaml(path)


def test_yaml12_booleans(tmp_path: Path) -> None:
    text = "flags: [NO, no, off, Off, yes, YES, on, y, n, true, True, TRUE, false, FALSE]\n"
    data, _ = load_yaml(write(tmp_path, text))
    assert data["flags"] == [
        "NO", "no", "off", "Off", "yes", "YES", "on", "y", "n",
        True, True, True, False, False,
    ]  # fmt: skip
    assert all(type(v) is bool for v in data["flags"][9:])


def test_dates_stay_strings(tmp_path: Path) -> None:
    text = "a: 2016-08\nb: 2016-08-01\nc: 2016-08-01 10:30:00\n"
    data, _ = load_yaml(write(tmp_path, text))
    assert data == {"a": "2016-08", "b": "2016-08-01", "c": "2016-08-01 10:30:00"}


def test_other_scalars_still_typed(tmp_path: Path) -> None:
    data, _ = load_yaml(write(tmp_path, "i: 3\nf: 0.5\nn: ~\ne:\ns: '3'\n"))
    assert data == {"i": 3, "f": 0.5, "n": None, "e": None, "s": "3"}


def test_global_safe_loader_not_changed(tmp_path: Path) -> None:
    load_yaml(write(tmp_path, "a: NO\n"))
    assert yaml.safe_load("a: NO\nd: 2016-08-01") == {"a": False, "d": __import__("datetime").date(2016, 8, 1)}
    assert yaml.load("a: NO", Loader=StrictLoader) == {"a": "NO"}


@pytest.mark.parametrize(
    "value",
    ["!!python/object:os.system {}", "!!python/name:os.system", "!!python/object/apply:os.system ['echo hi']"],
)
def test_python_tags_refused(tmp_path: Path, value: str) -> None:
    path = write(tmp_path, f"name: x\ncmd: {value}\n")
    with pytest.raises(ScenarioError) as info:
        load_yaml(path)
    message = str(info.value)
    assert message.startswith(f"{path}:2: YAML tag '!!python/")
    assert "\n" not in message


@pytest.mark.parametrize("value", ["!custom thing", "!!timestamp 2016-08-01", "!!binary aGVsbG8=", "!!set {a}"])
def test_non_plain_tags_refused(tmp_path: Path, value: str) -> None:
    with pytest.raises(ScenarioError, match=r"baseline\.yaml:1: YAML tag '!"):
        load_yaml(write(tmp_path, f"x: {value}\n"))


def test_aliases_refused_anchors_ignored(tmp_path: Path) -> None:
    path = write(tmp_path, "a: &cap {multiple: 1}\nb: *cap\n")
    with pytest.raises(ScenarioError) as info:
        load_yaml(path)
    assert str(info.value).startswith(f"{path}:2: YAML aliases (*cap) are not allowed")

    data, _ = load_yaml(write(tmp_path, "a: &cap {multiple: 1}\n", "anchor.yaml"))
    assert data == {"a": {"multiple": 1}}


def test_billion_laughs_refused(tmp_path: Path) -> None:
    text = 'a: &a ["lol","lol"]\nb: &b [*a,*a]\nc: &c [*b,*b]\n'
    with pytest.raises(ScenarioError, match="aliases"):
        load_yaml(write(tmp_path, text))


def test_merge_key_is_just_a_key(tmp_path: Path) -> None:
    data, _ = load_yaml(write(tmp_path, "a:\n  <<: {b: 1}\n"))
    assert data == {"a": {"<<": {"b": 1}}}


def test_line_map(tmp_path: Path) -> None:
    _, lines = load_yaml(write(tmp_path, GOOD))
    assert lines[()] == 1
    assert lines[("name",)] == 1
    assert lines[("months",)] == 2
    assert lines[("market",)] == 3
    assert lines[("market", "investors", "literacy_mean")] == 6
    assert lines[("market", "platforms", "count")] == 8
    assert lines[("regime",)] == 9
    assert lines[("regime", 0)] == 10
    assert lines[("regime", 0, "rate_cap")] == 10
    assert lines[("regime", 0, "rate_cap", "from")] == 12
    assert lines[("regime", 1)] == 13
    assert lines[("regime", 1, "disclosure", "level")] == 14
    assert lines[("regime", 2, "rate_cap", "multiple")] == 16


def test_line_map_block_list_items(tmp_path: Path) -> None:
    text = "xs:\n  - 1\n  -\n    - a\n    - b\n"
    data, lines = load_yaml(write(tmp_path, text))
    assert data == {"xs": [1, ["a", "b"]]}
    assert lines[("xs", 0)] == 2
    assert lines[("xs", 1)] == 4  # the item's content starts on the line after the bare dash
    assert lines[("xs", 1, 1)] == 5


def test_missing_file(tmp_path: Path) -> None:
    path = tmp_path / "nope.yaml"
    with pytest.raises(ScenarioError) as info:
        load_yaml(path)
    assert str(info.value) == f"scenario file not found: {path}"
    assert info.value.problems == [f"scenario file not found: {path}"]


def test_directory(tmp_path: Path) -> None:
    with pytest.raises(ScenarioError, match="is a directory"):
        load_yaml(tmp_path)


def test_not_utf8(tmp_path: Path) -> None:
    path = tmp_path / "bin.yaml"
    path.write_bytes(b"a: \xff\xfe\n")
    with pytest.raises(ScenarioError, match="not UTF-8"):
        load_yaml(path)


@pytest.mark.parametrize(
    ("text", "line"),
    [
        ("name: x\nmonths: [1, 2\nmarket: 3\n", 3),
        ("name: x\n  months: 2\n", 2),
        ("name: x\n\tmonths: 2\n", 2),
        ("name: 'x\n", 2),
        ("name: x\n---\nname: y\n", 2),
        ("name: x\nbell: \x07\n", 2),
    ],
)
def test_syntax_error_is_one_line_naming_file(tmp_path: Path, text: str, line: int) -> None:
    path = tmp_path / "broken.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ScenarioError) as info:
        load_yaml(path)
    message = str(info.value)
    assert message.startswith(f"{path}:{line}: invalid YAML: ")
    assert "\n" not in message
    assert len(info.value.problems) == 1


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("", "file is empty"),
        ("# only a comment\n", "file is empty"),
        ("- a\n- b\n", ":1: the top level must be a mapping of 'key: value' fields, found a list"),
        ("just text\n", "found text"),
    ],
)
def test_empty_or_non_mapping_top_level(tmp_path: Path, text: str, expected: str) -> None:
    with pytest.raises(ScenarioError, match=expected.replace("(", r"\(").replace(")", r"\)")):
        load_yaml(write(tmp_path, text))


def test_scenario_error_api() -> None:
    err = ScenarioError(["a.yaml:1: one", "a.yaml:2: two"])
    assert isinstance(err, ValueError)
    assert err.problems == ["a.yaml:1: one", "a.yaml:2: two"]
    assert str(err) == "a.yaml:1: one\na.yaml:2: two"
    assert ScenarioError("single").problems == ["single"]


# --------------------------------------------------------------------------
# Error formatting
# --------------------------------------------------------------------------


def test_path_str() -> None:
    assert path_str(("regime", 2, "rate_cap", "multiple")) == "regime[2].rate_cap.multiple"
    assert path_str(("market", "investors")) == "market.investors"
    assert path_str(()) == ""
    assert path_str(("cohorts", "new borrowers")) == "cohorts['new borrowers']"


def test_all_errors_reported_at_once(tmp_path: Path) -> None:
    text = (
        GOOD.replace("months: 120", "months: 0")
        .replace("count: 3", "count: abc")
        .replace("multiple: 2\n", "multiple: -1\n")
    )
    messages = problems_for(tmp_path, text)
    assert messages == [
        "baseline.yaml:2: months: found 0; allowed: a number >= 1",
        "baseline.yaml:8: market.platforms.count: found 'abc' (text); allowed: a whole number",
        "baseline.yaml:16: regime[2].rate_cap.multiple: found -1; allowed: a number >= 0",
    ]


def test_out_of_range_upper_bound(tmp_path: Path) -> None:
    messages = problems_for(tmp_path, GOOD.replace("literacy_mean: 0.5", "literacy_mean: 1.5"))
    assert messages == [
        "baseline.yaml:6: market.investors.literacy_mean: found 1.5; allowed: a number <= 1; did you mean 0.015 (1.5%)?"
    ]
    messages = problems_for(tmp_path, GOOD.replace("literacy_mean: 0.5", "literacy_mean: 101"))
    assert messages == ["baseline.yaml:6: market.investors.literacy_mean: found 101; allowed: a number <= 1"]


def test_wrong_type_for_float(tmp_path: Path) -> None:
    messages = problems_for(tmp_path, GOOD.replace("literacy_mean: 0.5", "literacy_mean: abc"))
    assert messages == ["baseline.yaml:6: market.investors.literacy_mean: found 'abc' (text); allowed: a number"]


def test_wrong_container_type(tmp_path: Path) -> None:
    messages = problems_for(tmp_path, GOOD.replace("  platforms:\n    count: 3\n", "  platforms: [1, 2]\n"))
    assert messages == [
        "baseline.yaml:7: market.platforms: found [1, 2] (a list); allowed: a mapping of 'key: value' fields"
    ]


def test_missing_value_placed_at_nearest_parent(tmp_path: Path) -> None:
    messages = problems_for(tmp_path, GOOD.replace("    count: 100\n", ""))
    assert messages == ["baseline.yaml:4: market.investors.count: required value missing"]


def test_missing_top_level_field(tmp_path: Path) -> None:
    messages = problems_for(tmp_path, GOOD.replace("name: baseline\n", "# no name\n"))
    assert messages == ["baseline.yaml:2: name: required value missing"]


def test_missing_aliased_field_uses_alias(tmp_path: Path) -> None:
    messages = problems_for(tmp_path, GOOD.replace("      from: 2016-08-01\n", ""))
    assert messages == ["baseline.yaml:15: regime[2].rate_cap.from: required value missing"]


def test_did_you_mean_nested(tmp_path: Path) -> None:
    text = GOOD.replace("  investors:", "  investrs:").replace("multiple: 1.5", "mutliple: 1.5")
    messages = problems_for(tmp_path, text)
    assert (
        "baseline.yaml:4: market.investrs: unknown key 'investrs'; did you mean 'investors'? "
        "(allowed: borrowers, investors, platforms)"
    ) in messages
    assert (
        "baseline.yaml:11: regime[0].rate_cap.mutliple: unknown key 'mutliple'; did you mean 'multiple'? "
        "(allowed: from, multiple)"
    ) in messages
    # ...and the consequences are reported too, in the same call.
    assert "baseline.yaml:3: market.investors: required value missing" in messages
    assert "baseline.yaml:10: regime[0].rate_cap.multiple: required value missing" in messages
    assert len(messages) == 4


def test_did_you_mean_alias(tmp_path: Path) -> None:
    messages = problems_for(tmp_path, GOOD.replace("from: 2016-08\n", "frm: 2016-08\n"))
    assert (
        "baseline.yaml:12: regime[0].rate_cap.frm: unknown key 'frm'; did you mean 'from'? (allowed: from, multiple)"
    ) in messages


def test_unknown_key_without_close_match(tmp_path: Path) -> None:
    messages = problems_for(tmp_path, GOOD + "zzz: 1\n")
    assert messages == ["baseline.yaml:18: zzz: unknown key 'zzz' (allowed: market, months, name, regime)"]


def test_literal_error_lists_choices(tmp_path: Path) -> None:
    messages = problems_for(tmp_path, GOOD.replace("level: full", "level: foo"))
    assert messages == ["baseline.yaml:14: regime[1].disclosure.level: found 'foo'; allowed: one of 'basic', 'full'"]


def test_custom_validator_message(tmp_path: Path) -> None:
    messages = problems_for(tmp_path, GOOD.replace("level: full", "level: full\n      note: far too long a note"))
    assert messages == [
        "baseline.yaml:15: regime[1].disclosure.note: found 'far too long a note'; note must be at most 10 characters"
    ]


def test_long_values_truncated(tmp_path: Path) -> None:
    messages = problems_for(tmp_path, GOOD.replace("count: 3", "count: " + "x" * 200))
    (message,) = messages
    found = message.split("found ", 1)[1].split(" (text)")[0]
    assert len(found) <= 40
    assert found.endswith("...")


def test_yaml_no_is_not_false_for_validation(tmp_path: Path) -> None:
    # `name: NO` (Norway!) stays the string the user wrote.
    data, _ = load_yaml(write(tmp_path, GOOD.replace("name: baseline", "name: NO")))
    assert Scenario.model_validate(data).name == "NO"


def test_union_labels_and_validator_names_stripped() -> None:
    class A(BaseModel):
        model_config = ConfigDict(extra="forbid")
        kind: Literal["a"]
        alpha: int

    class B(BaseModel):
        model_config = ConfigDict(extra="forbid")
        kind: Literal["b"]
        beta: int

    class Top(BaseModel):
        model_config = ConfigDict(extra="forbid")
        tagged: Annotated[A | B, Field(discriminator="kind")]
        either: int | Annotated[list[int], AfterValidator(lambda v: v)]
        by_key: dict[str, RateCap]

    with pytest.raises(ValidationError) as info:
        Top.model_validate(
            {"tagged": {"kind": "b", "bta": 1}, "either": ["x"], "by_key": {"early": {"from": "2016", "multple": 1}}}
        )
    messages = format_validation_error(info.value, model=Top, locate=lambda _loc: ("t.yaml", None))
    assert messages == [
        "t.yaml: tagged.beta: required value missing",
        "t.yaml: tagged.bta: unknown key 'bta'; did you mean 'beta'? (allowed: beta, kind)",
        "t.yaml: either: found ['x'] (a list); allowed: a whole number",
        "t.yaml: either[0]: found 'x' (text); allowed: a whole number",
        "t.yaml: by_key.early.multiple: required value missing",
        "t.yaml: by_key.early.multple: unknown key 'multple'; did you mean 'multiple'? (allowed: from, multiple)",
    ]


def test_locate_across_files() -> None:
    """The caller decides which file each path comes from."""
    with pytest.raises(ValidationError) as info:
        Scenario.model_validate(
            {
                "name": "x",
                "months": 700,
                "market": {"investors": {"count": 0, "literacy_mean": 0}, "platforms": {"count": 1}},
                "regime": [],
            }
        )

    def locate(loc: tuple) -> tuple[str, int | None]:
        if loc[:1] == ("market",):
            return "market.yaml", {("market",): 1, ("market", "investors", "count"): 3}.get(loc)
        return "main.yaml", {("months",): 2}.get(loc)

    assert format_validation_error(info.value, model=Scenario, locate=locate) == [
        "main.yaml:2: months: found 700; allowed: a number <= 600",
        "market.yaml:3: market.investors.count: found 0; allowed: a number >= 1",
    ]
