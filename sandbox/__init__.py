"""sandbox: a regulatory sandbox simulator for online lending.

    >>> import sandbox
    >>> scenario = sandbox.load_scenario("scenarios/baseline.yaml")
    >>> result = sandbox.run(scenario, seed=1)
    >>> result.summary["investor_loss_total"]
"""

__version__ = "0.1.0"

from sandbox.api import run
from sandbox.model import SandboxModel
from sandbox.platforms import Platform
from sandbox.results import RunResult
from sandbox.rules import Policy, Rule, register
from sandbox.scenario import Scenario, ScenarioError, load_scenario, scenario_from_dict

__all__ = [
    "Platform",
    "Policy",
    "Rule",
    "RunResult",
    "SandboxModel",
    "Scenario",
    "ScenarioError",
    "load_scenario",
    "register",
    "run",
    "scenario_from_dict",
]
