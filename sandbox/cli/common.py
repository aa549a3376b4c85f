"""What every command shares: one-line failures, loading a scenario, common options.

Each command group (:mod:`~sandbox.cli.experiments`, :mod:`~sandbox.cli.pilot`, ...)
imports from here, never from :mod:`~sandbox.cli.main`, so there is no import cycle.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated, NoReturn

import typer

from sandbox.common.horizon import MAX_MONTHS, MIN_MONTHS, horizon_problem

if TYPE_CHECKING:
    from sandbox.config.scenario import Scenario


def fail(message: str, code: int = 2) -> NoReturn:
    """Print ``message`` on stderr as an error and exit with ``code``."""
    typer.secho(f"error: {message}", fg=typer.colors.RED, err=True)
    raise typer.Exit(code)


def load(path: Path, resolution: float | None = None) -> Scenario:
    """Load and validate a scenario, turning every problem into a clean exit.

    ``resolution`` (``--resolution``) replaces the scenario's ``market.resolution``.
    """
    from sandbox.config.scenario import ScenarioError, load_scenario

    check_resolution(resolution)
    try:
        scenario = load_scenario(path)
        return scenario if resolution is None else scenario.with_updates({"market.resolution": resolution})
    except ScenarioError as err:
        if len(err.problems) == 1:
            fail(err.problems[0])
        typer.secho(f"error: {path}: {len(err.problems)} problems", fg=typer.colors.RED, err=True)
        for problem in err.problems:
            typer.echo(f"  {problem}", err=True)
        raise typer.Exit(2) from None


Seed = Annotated[int | None, typer.Option(help="Seed: fixes the run exactly (default: drawn, and recorded).")]
Months = Annotated[
    int | None, typer.Option(help=f"Horizon in months, {MIN_MONTHS} to {MAX_MONTHS} (default: the scenario's).")
]


Resolution = Annotated[
    float | None,
    typer.Option(
        help="Simulated investors and borrowers per real one, e.g. 0.002 (default: the scenario's "
        "market.resolution). Outputs stay in real persons and yuan."
    ),
]


def check_resolution(resolution: float | None) -> None:
    """``--resolution`` in range, or a one-line exit."""
    if resolution is not None and not 0 < resolution <= 1:
        fail(f"--resolution: found {resolution:g}; allowed: simulated persons per real one, above 0 and at most 1")


def check_options(seed: int | None = None, months: int | None = None) -> None:
    """Range checks with one-line messages (Typer's own are multi-line boxes)."""
    if seed is not None and seed < 0:
        fail(f"--seed: found {seed}; allowed: a whole number >= 0")
    if months is not None and (problem := horizon_problem(months)):
        fail(f"--months: {problem}")
