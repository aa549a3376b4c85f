"""The ``sandbox pilot`` command: would a firm be admitted to the sandbox, and how would it fare?

``register(app)`` adds it to the main Typer app. It checks the firm file
against the sandbox's conditions, runs the firm in the regime's market (and
under three stresses, with and without the sandbox's caps, on the same seeds),
prints the verdict and a short table, and writes ``report_card.json`` and
``report_card.html`` into ``--out`` (default ``out/pilot/<firm name>``),
saying where. A failure rate within its limit on too few runs for its upper
95% bound to show it is run on more of the same seeds before the verdict. A
bad firm or regime file prints one line per problem (file, line, field) and
exits 2.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path
from typing import Annotated, NoReturn

import typer

from sandbox.cli.common import fail, load


def _problems(path: Path, problems: list[str]) -> NoReturn:
    if len(problems) == 1:
        fail(problems[0])
    typer.secho(f"error: {path}: {len(problems)} problems", fg=typer.colors.RED, err=True)
    for problem in problems:
        typer.echo(f"  {problem}", err=True)
    raise typer.Exit(2)


def register(app: typer.Typer) -> None:
    """Add the ``pilot`` command to ``app``."""
    app.command("pilot")(pilot)


def pilot(
    firm: Annotated[Path, typer.Argument(help="The firm's application (YAML).")],
    regime: Annotated[Path, typer.Option(help="The sandbox regime: a scenario with a sandbox_pilot entry.")],
    runs: Annotated[
        int, typer.Option("--runs", "-n", help="Runs per condition (test and each stress).", min=1, max=1000)
    ] = 20,
    seed: Annotated[
        int | None, typer.Option(help="Seed: run i uses its i-th child seed (default: drawn, and recorded).", min=0)
    ] = None,
    out: Annotated[
        Path | None,
        typer.Option(
            "--out", "-o", help="Folder for report_card.html and report_card.json (default: out/pilot/<firm name>)."
        ),
    ] = None,
    progress: Annotated[bool, typer.Option(help="Progress bar (default: on a terminal).")] = sys.stderr.isatty(),
) -> None:
    """Check a firm against the sandbox's conditions, test it in the market and under stress, and give a verdict."""
    from sandbox.config.scenario import ScenarioError
    from sandbox.pilot.assessment import assess
    from sandbox.pilot.firm import load_firm
    from sandbox.pilot.simulation import VARIANTS, simulations

    try:
        application = load_firm(firm)
    except ScenarioError as err:
        _problems(firm, err.problems)
    scenario = load(regime)
    if out is None:
        out = default_out(application.name)
    if out.exists() and not out.is_dir():
        fail(f"--out {out}: exists and is not a folder")
    try:  # before simulating, so that an unwritable folder does not cost the runs
        out.mkdir(parents=True, exist_ok=True)
    except OSError as err:
        fail(f"--out {out}: cannot create the folder: {err.strerror or err}")

    from tqdm.auto import tqdm

    bar = tqdm(total=simulations(runs), desc=application.name, unit="run", disable=not progress, leave=False)
    # More runs where a failure rate's bound cannot yet decide, and the search for conditions, make
    # as many runs as the results need: a bar without a total.
    search_bar = tqdm(desc="more runs, conditions", unit="run", disable=not progress, leave=False, delay=0.5)
    try:
        report = assess(
            application, scenario, runs=runs, seed=seed, progress=bar.update, search_progress=search_bar.update
        )
    except ScenarioError as err:
        _problems(regime, err.problems)
    finally:
        bar.close()
        search_bar.close()
    _print(report.data, VARIANTS)
    try:
        paths = report.write(out)
    except OSError as err:
        fail(f"--out {out}: cannot write the report card: {err.strerror or err}")
    typer.echo(f"report card written to {paths[1]} and {paths[0].name}")


def default_out(firm_name: str) -> Path:
    """``out/pilot/<firm name>``: the name in lower case, anything but letters and digits as ``_``."""
    slug = re.sub(r"[^0-9a-z]+", "_", firm_name.lower()).strip("_") or "firm"
    return Path("out") / "pilot" / slug


SHORT = {
    "test": "test",
    "credit_shock": "credit shock",
    "neighbour_failure": "neighbour fails",
    "funding_stop": "funding stop",
}


def _runs_title(runs: dict[str, int]) -> str:
    """``20 runs each``, ``1 run each``, or each condition's count when the verdict needed more of some."""
    from sandbox.pilot.words import runs_of

    counts = set(runs.values())
    if len(counts) == 1:
        return f"{runs_of(counts.pop())} each"
    test, *stresses = runs.values()
    if len(set(stresses)) == 1:
        return f"{runs_of(test)} of the test, {stresses[0]} of each stress"
    return "runs: " + ", ".join(f"{SHORT[v]} {n}" for v, n in runs.items())


def _print(data: dict, variants: tuple[str, ...]) -> None:
    from rich.console import Console
    from rich.table import Table
    from rich.text import Text

    console = Console(stderr=False, highlight=False)
    colour = {"admit": "green", "admit_with_conditions": "yellow", "refuse": "red"}[data["verdict"]]
    # The firm's name is a user's text: appended as Text, so "[/bold]" in it is printed, not read as markup.
    console.print(Text(f"Verdict: {data['verdict_text']}", style=f"bold {colour}") + Text(f" ({data['firm']['name']})"))
    console.print(data["verdict_summary"], markup=False, soft_wrap=True)
    if data["verdict"] != "refuse":  # a refusal's reasons are the conditions not met, listed below
        for reason in data["reasons"]:
            console.print(f"  - {reason}", markup=False, soft_wrap=True)
    for remedy in data["conditions_of_admission"]:
        mark = "verified" if remedy["verified"] else "NOT verified"
        console.print(f"  condition ({mark}): {remedy['text']}", markup=False, soft_wrap=True)
    console.print("Admission conditions")
    for c in data["conditions"]:
        console.print(
            f"  {'met    ' if c['met'] else 'NOT MET'}  {c['name']}: {c['reason']}", markup=False, soft_wrap=True
        )

    t = data["test"]
    results = Table(title=f"Results: {_runs_title(data['verdict_runs'])}, seed {t['seed']}", title_justify="left")
    # Units in a caption: in the headers they would push the table past 80 columns.
    results.caption = "fails: % of runs; losses in yuan; exposed and harmed: customers (persons), mean per run"
    results.caption_justify = "left"
    for name in ("condition", "caps", "fails", "mean loss", "p95 loss", "exposed", "harmed"):
        results.add_column(name, justify="left" if name in ("condition", "caps") else "right", no_wrap=True)
    for v in variants:
        for key, label in (("sandbox", "sandbox"), ("uncapped", "none")):
            r = data["results"][v][key]
            results.add_row(
                SHORT[v] if key == "sandbox" else "",
                label,
                f"{r['failure_probability']:.0%}",
                f"{r['expected_investor_loss']:,.0f}",
                f"{r['tail_investor_loss']:,.0f}",
                f"{r['customers_exposed_mean']:,.0f}",
                f"{r['customers_harmed_mean']:,.1f}",
                end_section=key == "uncapped",
            )
    console.print(results)
    console.print(data["reserve_summary"], markup=False, soft_wrap=True)
