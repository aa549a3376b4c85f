"""The scenario schema's single sources: the typed regime, the horizon bound, the channel list.

Issue 13: a reader (and a type checker) follows a parameter from the YAML into
the model; the 1-600 horizon is one constant that the schema, the API, the
experiment runner and the command line all enforce; the counterfactual channels
are the switches of ``channels:``. All checks are validation only (no runs).
"""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

import sandbox
from sandbox import Rule, ScenarioError, register, scenario_from_dict
from sandbox.api import CHANNELS
from sandbox.common.horizon import MAX_MONTHS, MIN_MONTHS
from sandbox.config.scenario import RegimeEntry, Scenario, scenario_model
from sandbox.market.params import ChannelParams, InvestorParams, MarketParams
from sandbox.rules import registry
from sandbox.rules.rate_cap import RateCap

ROOT = Path(__file__).resolve().parent.parent


def test_the_regime_is_a_typed_list_of_entries_each_holding_its_rule():
    scenario = sandbox.load_scenario(ROOT / "scenarios/china_2015_2020.yaml")
    assert scenario.regime, "the China scenario has a regime"
    assert all(isinstance(entry, RegimeEntry) for entry in scenario.regime)
    assert [entry.dated_rule for entry in scenario.regime] == scenario.rules
    for entry, rule in zip(scenario.regime, scenario.rules, strict=True):
        assert entry.rule_name == rule.name and registry.get(entry.rule_name) is type(rule)
    caps = [entry.dated_rule for entry in scenario.regime if entry.rule_name == "rate_cap"]
    assert caps and all(isinstance(cap, RateCap) for cap in caps)


def test_sections_are_the_market_parameter_classes_and_the_schema_is_a_scenario():
    scenario = scenario_from_dict({"market": {"investors": {"literacy_mean": "60%"}}})
    assert isinstance(scenario, Scenario) and issubclass(scenario_model(), Scenario)
    assert type(scenario.market) is MarketParams and type(scenario.market.investors) is InvestorParams
    assert scenario.market.investors.literacy_mean == 0.6
    # The declared type a reader follows is the one the registry-built schema refines.
    assert Scenario.model_fields["regime"].annotation == list[RegimeEntry]


def _redefine(level: float) -> type[Rule]:
    """A notebook cell that defines (and registers) the same rule again, with another default."""

    @register
    class Redefined(Rule):
        name = "test_redefined_rule"
        level_default: float = level

    return Redefined


def test_a_rule_defined_again_under_its_name_is_the_one_validated():
    try:
        _redefine(0.1)
        first = scenario_from_dict({"regime": [{"test_redefined_rule": {"from": "2014-03"}}]})
        second_class = _redefine(0.7)
        second = scenario_from_dict({"regime": [{"test_redefined_rule": {"from": "2014-03"}}]})
    finally:
        registry.unregister("test_redefined_rule")
    assert first.rules[0].level_default == 0.1
    assert type(second.rules[0]) is second_class and second.rules[0].level_default == 0.7


def test_a_rule_named_like_an_entry_attribute_is_refused_clearly():
    @register
    class Clash(Rule):
        name = "dated_rule"

    try:
        with pytest.raises(ValueError, match="may not be named 'dated_rule'"):
            scenario_model()
    finally:
        registry.unregister("dated_rule")
    assert scenario_from_dict({}).regime == []  # the registry without it works again


def test_one_horizon_bound_in_the_schema_api_runner_and_cli():
    assert scenario_from_dict({"months": MAX_MONTHS}).months == MAX_MONTHS
    assert scenario_from_dict({"months": MIN_MONTHS}).months == MIN_MONTHS
    allowed = f"allowed: {MIN_MONTHS} to {MAX_MONTHS}"
    for too_long in (MIN_MONTHS - 1, MAX_MONTHS + 1):
        with pytest.raises(ScenarioError, match="months"):
            scenario_from_dict({"months": too_long})
        scenario = scenario_from_dict({"months": 2})
        with pytest.raises(ValueError, match=allowed):
            sandbox.run(scenario, seed=1, months=too_long)
        from sandbox import experiments

        with pytest.raises(experiments.ExperimentError, match=allowed):
            experiments.replicate(scenario, runs=1, seed=1, months=too_long)
    from sandbox.cli.main import app

    result = CliRunner().invoke(app, ["run", str(ROOT / "scenarios/baseline.yaml"), "--months", str(MAX_MONTHS + 1)])
    assert result.exit_code == 2 and f"found {MAX_MONTHS + 1}; {allowed}" in result.output


def test_the_counterfactual_channels_are_the_channel_switches():
    assert tuple(ChannelParams.model_fields) == CHANNELS
    defaults = ChannelParams()
    assert all(getattr(defaults, channel) is True for channel in CHANNELS)
    scenario = scenario_from_dict({})
    for channel in CHANNELS:  # each can be switched off, as the counterfactual runs do
        assert getattr(scenario.with_updates({f"channels.{channel}": False}).channels, channel) is False
