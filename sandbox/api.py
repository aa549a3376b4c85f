"""The Python API for notebooks: load a scenario, run it, get tidy results."""

from __future__ import annotations

from pathlib import Path

from sandbox.model import SandboxModel
from sandbox.results import RunResult, collect
from sandbox.scenario import Scenario, load_scenario


def run(
    scenario: Scenario | str | Path,
    seed: int | None = None,
    months: int | None = None,
    progress: bool = False,
    model_class: type[SandboxModel] = SandboxModel,
) -> RunResult:
    """Run one scenario and return its tables and summary.

    Args:
        scenario: a :class:`Scenario` or the path of a scenario file.
        seed: fixes the run exactly; ``None`` draws one (see ``result.summary["seed"]``).
        months: horizon; defaults to the scenario's.
        progress: show a progress bar (a widget in notebooks).
        model_class: a :class:`SandboxModel` subclass to run instead.
    """
    if not isinstance(scenario, Scenario):
        scenario = load_scenario(scenario)
    if months is not None and not 1 <= months <= 600:
        raise ValueError(f"months: found {months}; allowed: 1 to 600")
    model = model_class(scenario, seed=seed, months=months)
    model.run(progress=progress)
    return collect(model)
