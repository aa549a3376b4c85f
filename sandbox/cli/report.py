"""The ``sandbox report`` command: one self-contained HTML report of a run or an experiment folder.

``register(app)`` adds it to the main Typer app. Heavy libraries (pandas,
matplotlib) are imported inside the command so that ``sandbox --help`` stays fast.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from sandbox.cli.common import fail, load


def register(app: typer.Typer) -> None:
    """Add the ``report`` command to ``app``."""
    app.command("report")(report)


def report(
    experiment_dir: Annotated[
        Path, typer.Argument(help="A 'sandbox run' output folder, or a replicate, compare or sweep folder.")
    ],
    out: Annotated[Path, typer.Option("--out", "-o", help="The HTML file to write.")] = Path("report.html"),
    outcome: Annotated[
        list[str] | None,
        typer.Option("--outcome", help="Sweeps: a metric whose response and sensitivity to show (repeatable)."),
    ] = None,
    scenario: Annotated[
        Path | None,
        typer.Option(help="Single runs: the scenario file that was run, to mark its rules' go-live dates."),
    ] = None,
) -> None:
    """Write one self-contained HTML report (tables, figures, plain-language captions) of EXPERIMENT_DIR."""
    from sandbox.reporting.report import ReportError, build_report

    spec = None
    if scenario is not None:
        spec = load(scenario)
    try:
        result = build_report(experiment_dir, outcomes=outcome or None, scenario=spec)
    except ReportError as err:
        fail(str(err).splitlines()[0])
    try:
        result.save(out)
    except OSError as err:
        fail(f"--out {out}: cannot write: {err.strerror or err}")
    typer.echo(f"report written to {out} ({len(result.figures)} figures, {len(result.tables)} tables)")
    for note in result.notes:
        typer.echo(f"note: {note}", err=True)
