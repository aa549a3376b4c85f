"""The ``sandbox`` command line (Typer).

Heavy libraries are imported inside commands so that ``sandbox --help`` stays
fast. Every expected failure (bad file, bad value) prints one line naming the
problem and exits non-zero; no traceback.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from sandbox.cli.common import Months, Resolution, Seed, check_options, fail, load

app = typer.Typer(
    name="sandbox",
    help="A regulatory sandbox simulator for online lending: run scenarios, compare regimes, test rules.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,  # plain one-line usage errors, not boxes
)


def _show_version(value: bool) -> None:
    """Print the installed version and stop (the ``--version`` option)."""
    if value:
        from importlib.metadata import version

        typer.echo(f"sandbox {version('sandbox')}")
        raise typer.Exit()


@app.callback()
def _options(
    version: Annotated[  # noqa: ARG001 - handled by its callback
        bool, typer.Option("--version", callback=_show_version, is_eager=True, help="Show the version and exit.")
    ] = False,
) -> None:
    """Options that come before the command."""


@app.command()
def run(
    scenario: Annotated[Path, typer.Argument(help="Scenario file (YAML).")],
    out: Annotated[Path, typer.Option("--out", "-o", help="Output folder (new or empty, see --overwrite).")] = Path(
        "out"
    ),
    seed: Seed = None,
    months: Months = None,
    resolution: Resolution = None,
    progress: Annotated[bool, typer.Option(help="Progress bar (default: on a terminal).")] = sys.stderr.isatty(),
    counterfactuals: Annotated[
        bool,
        typer.Option(
            help="Rerun with each contagion channel off (4 more runs): failures avoided and added on this seed, "
            "beside the failures attributed to each channel."
        ),
    ] = True,
    overwrite: Annotated[
        bool,
        typer.Option(
            "--overwrite", help="Replace an earlier run's --out folder wholly (default: refuse a non-empty folder)."
        ),
    ] = False,
    accounting: Annotated[
        str, typer.Option(help="When the accounts do not add up (NaN, or beyond rounding): error (stop) or warn.")
    ] = "error",
) -> None:
    """Run one scenario and write monthly.csv, platforms.csv, failures.csv (with cascades),
    investors, counterfactuals.csv, scenario.json and summary.json."""
    from sandbox.market.accounting import ACCOUNTING_MODES

    check_options(seed, months)
    if accounting not in ACCOUNTING_MODES:
        fail(f"--accounting: found {accounting!r}; allowed: {', '.join(ACCOUNTING_MODES)}")
    spec = load(scenario, resolution)
    from sandbox.market.results import OutputFolder, OutputFolderError

    try:  # before simulating: a folder that cannot be written fails now, not after the run
        folder = OutputFolder.reserve(out, overwrite=overwrite)
    except OutputFolderError as err:
        fail(f"--out {err}")
    with folder:  # removes the staging folder if the run fails
        result = _simulate(
            spec, seed=seed, months=months, progress=progress, counterfactuals=counterfactuals, accounting=accounting
        )
        try:
            result.save(folder)
        except OSError as err:
            fail(f"--out {out}: cannot write results: {err.strerror or err}")
    _print_summary(result.summary, out, result.counterfactuals, result.failures)


def _simulate(spec, accounting: str, **options):  # -> RunResult
    """Run ``spec``; a broken account is one error line (or, in warn mode, one warning line each)."""
    import warnings

    from sandbox.api import run as run_scenario
    from sandbox.market.accounting import AccountingError, AccountingWarning

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", AccountingWarning)
        try:
            result = run_scenario(spec, accounting=accounting, **options)
        except AccountingError as err:
            fail(f"{spec.name}: {err}; --accounting warn runs on regardless")
        except Exception as err:  # a model whose accounts broke (warn mode) may fail later on bad numbers
            broken = [w for w in caught if issubclass(w.category, AccountingWarning)]
            if not broken:
                raise
            fail(
                f"{spec.name}: the run failed after its accounts broke ({broken[0].message}): "
                f"{type(err).__name__}: {err}"
            )
    for w in caught:
        if issubclass(w.category, AccountingWarning):
            typer.secho(f"warning: {spec.name}: {w.message}", fg=typer.colors.YELLOW, err=True)
        else:  # not ours: show it as Python would have
            warnings.showwarning(w.message, w.category, w.filename, w.lineno)
    return result


def _print_summary(summary: dict, out: Path, counterfactuals=None, failures=None) -> None:
    """The run's findings in plain language, its outcomes with units, and the failures by contagion channel:
    attributed first (from ``failures``, or the counterfactuals table), then, with counterfactuals, the
    failures avoided and added with each channel off (one seed's figures)."""
    from rich.console import Console
    from rich.table import Table
    from rich.text import Text

    from sandbox.reporting.findings import amount, run_findings

    for sentence in run_findings(summary):
        typer.echo(sentence)
    # The scenario's name is user text: Text(...) keeps rich from reading "[...]" in it as markup.
    table = Table(title=Text(f"{summary['scenario']} (seed {summary['seed']}, {summary['months']} months)"))
    table.add_column("outcome")
    table.add_column("value", justify="right")
    table.add_column("unit")
    yuan = lambda key: amount(float(summary[key]), "yuan", with_unit=False)  # noqa: E731
    rows = [
        ("investor loss", yuan("investor_loss_total"), "yuan"),
        ("investor loss, share of peak money in", f"{summary['investor_loss_share']:.1%}", "% of peak money in"),
        ("investors with a loss", f"{summary['investors_with_loss_share']:.1%}", "% of investors"),
        ("investors losing over half", f"{summary['investors_losing_over_50pct']:.1%}", "% of investors"),
        ("platform failures", str(summary["platform_failures"]), "platforms"),
        *((f"  {cause}", str(k), "platforms") for cause, k in summary["failures_by_cause"].items()),
        ("contagion share", f"{summary['contagion_share']:.1%}", "% of failures"),
        ("largest 3-month wave", f"{summary['largest_wave_share']:.1%}", "% of platforms alive"),
        ("largest cascade", str(summary["largest_cascade"]), "platforms"),
        ("credit supplied", yuan("credit_supplied_total"), "yuan"),
        ("credit excluded", yuan("credit_excluded_total"), "yuan"),
        ("  by the cap, borrowed informally", yuan("credit_informal"), "yuan"),
        ("  by the cap, gone without", yuan("credit_gone_without"), "yuan"),
        ("accounting max error", f"{summary['accounting_max_abs_error']:.2g}", "yuan"),
    ]
    for name, value, unit in rows:
        table.add_row(name, value, unit)
    console = Console(stderr=False)
    console.print(table)
    _print_channels(console, summary, counterfactuals, failures)
    console.print(Text(f"results written to {out}/"))


def _print_channels(console, summary: dict, counterfactuals=None, failures=None) -> None:
    """Failures by contagion channel: attributed (the primary figure), then avoided and added with it off."""
    from rich.table import Table

    from sandbox.api import ATTRIBUTED_AS, CHANNELS, WHY_AVOIDED_DIFFERS, attributed_failures
    from sandbox.reporting.report import ADDED, ONE_SEED

    has_cf = counterfactuals is not None and not counterfactuals.empty
    if has_cf and "failures_attributed" in counterfactuals:
        attributed = dict(zip(counterfactuals["channel"], counterfactuals["failures_attributed"], strict=True))
    elif failures is not None:
        attributed = attributed_failures(failures)
    else:
        return
    title = f"Failures by contagion channel (seed {summary['seed']}; platforms)"
    cf = Table(title=title)
    cf.add_column("channel", no_wrap=True)
    cf.add_column("attributed as", no_wrap=True)
    cf.add_column("attributed", justify="right")
    if has_cf:
        cf.caption = "avoided, added, without it: the same seed rerun with the channel off"
        for column in ("avoided", "added", "without it"):
            cf.add_column(column, justify="right")
    by_channel = counterfactuals.set_index("channel") if has_cf else None
    for channel in CHANNELS:
        cells = [channel, ATTRIBUTED_AS[channel], str(int(attributed.get(channel, 0)))]
        if by_channel is not None:
            row = by_channel.loc[channel]
            cells += [str(row["failures_avoided"]), str(row["failures_added"]), str(row["failures_without"])]
        cf.add_row(*cells)
    console.print(cf)
    typer.echo(
        "Attributed: this run's failures that came through the channel (the 'channel' of failures.csv; "
        "each failure counted once)."
    )
    if has_cf:
        typer.echo(ONE_SEED)
        typer.echo(WHY_AVOIDED_DIFFERS)
        typer.echo(ADDED)


@app.command()
def validate(files: Annotated[list[Path], typer.Argument(help="Scenario or firm files to check.")]) -> None:
    """Check scenario files and firm files (told apart by their keys) without running them; report every problem."""
    from sandbox.config.scenario import ScenarioError, load_scenario
    from sandbox.pilot.firm import is_firm_file, load_firm

    bad = 0
    for path in files:
        try:
            if is_firm_file(path):
                load_firm(path)
                typer.echo(f"ok: {path} (firm file)")
            else:
                load_scenario(path)
                typer.echo(f"ok: {path}")
        except ScenarioError as err:
            bad += 1
            for problem in err.problems:
                typer.secho(f"error: {problem}", fg=typer.colors.RED, err=True)
    if bad:
        raise typer.Exit(2)


@app.command()
def rules(
    as_json: Annotated[bool, typer.Option("--json", help="Machine-readable output.")] = False,
) -> None:
    """List every rule with its parameters, units, ranges and defaults (the text of docs/rules.md)."""
    from sandbox.reporting.docs import rules_markdown
    from sandbox.rules import registry

    if as_json:
        from sandbox.common.outputs import dumps

        data = {name: cls.model_json_schema() for name, cls in registry.all_rules().items()}
        typer.echo(dumps(data))  # strict JSON, as every other output
    else:
        typer.echo(rules_markdown(), nl=False)


# Commands defined in their own modules (each imports its heavy libraries inside the command).
from sandbox.cli.calibrate import register as _register_calibrate  # noqa: E402
from sandbox.cli.dashboard import register as _register_dashboard  # noqa: E402
from sandbox.cli.experiments import register as _register_experiments  # noqa: E402
from sandbox.cli.pilot import register as _register_pilot  # noqa: E402
from sandbox.cli.report import register as _register_report  # noqa: E402

_register_experiments(app)
_register_report(app)
_register_dashboard(app)
_register_pilot(app)
_register_calibrate(app)


def main() -> None:  # pragma: no cover - console entry point
    app()


if __name__ == "__main__":  # pragma: no cover
    main()
