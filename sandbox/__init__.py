"""sandbox: a regulatory sandbox simulator for online lending.

    >>> import sandbox
    >>> scenario = sandbox.load_scenario("scenarios/baseline.yaml")
    >>> result = sandbox.run(scenario, seed=1)
    >>> result.summary["investor_loss_total"]

Names are imported on first use, so that ``sandbox --help`` stays fast.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

# public name -> module that defines it
_EXPORTS = {
    "run": "sandbox.api",
    "SandboxModel": "sandbox.market.model",
    "Platform": "sandbox.market.platforms",
    "RunResult": "sandbox.market.results",
    "Policy": "sandbox.rules",
    "Rule": "sandbox.rules",
    "register": "sandbox.rules",
    "Scenario": "sandbox.config.scenario",
    "ScenarioError": "sandbox.config.scenario",
    "load_scenario": "sandbox.config.scenario",
    "scenario_from_dict": "sandbox.config.scenario",
}

__all__ = sorted(_EXPORTS)

if TYPE_CHECKING:
    from sandbox.api import run
    from sandbox.config.scenario import Scenario, ScenarioError, load_scenario, scenario_from_dict
    from sandbox.market.model import SandboxModel
    from sandbox.market.platforms import Platform
    from sandbox.market.results import RunResult
    from sandbox.rules import Policy, Rule, register


def __getattr__(name: str) -> Any:
    if name in _EXPORTS:
        return getattr(importlib.import_module(_EXPORTS[name]), name)
    raise AttributeError(f"module 'sandbox' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted([*globals(), *_EXPORTS])
