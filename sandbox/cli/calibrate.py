"""The ``sandbox calibrate`` command: fit a scenario's parameters to observed data (ABC-SMC, pyabc).

``register(app)`` adds it to the main Typer app. The work is in
:mod:`sandbox.experiments.calibration` (the fit) and :mod:`sandbox.experiments.fit`
(goodness of fit and the output files); this module parses, reports progress on
stderr and prints the summary. ``docs/calibration.md`` describes the method.
"""

from __future__ import annotations

import logging
import sys
from pathlib import Path
from typing import Annotated

import typer

from sandbox.cli.common import Resolution, check_resolution, fail, load
from sandbox.cli.experiments import parse_params


def register(app: typer.Typer) -> None:
    """Add the ``calibrate`` command to ``app``."""
    app.command("calibrate")(calibrate)


def calibrate(
    scenario: Annotated[Path, typer.Argument(help="Scenario file (YAML) to fit.")],
    out: Annotated[
        Path, typer.Option("--out", "-o", help="Calibration folder (resumable: the same command continues).")
    ],
    data: Annotated[
        str | None,
        typer.Option(
            help="Observed data: a CSV (month, series, value[, sd]) or a built-in set (china_2014_2017); "
            "default: the scenario's calibration.data."
        ),
    ] = None,
    param: Annotated[
        list[str] | None,
        typer.Option(
            "--param",
            "-p",
            help="PATH=LOW:HIGH, a dotted scenario path and its uniform prior (repeatable); added to, or "
            "replacing, the scenario's calibration.priors.",
        ),
    ] = None,
    particles: Annotated[int, typer.Option(help="Particles per population.", min=2)] = 100,
    populations: Annotated[
        int, typer.Option(help="Populations in all (more than stored extends a calibration).", min=1)
    ] = 8,
    seed: Annotated[
        int, typer.Option(help="Calibration seed (model runs; pyabc's draws with --workers 1).", min=0)
    ] = 1,
    workers: Annotated[
        int | None, typer.Option(help="Worker processes (default: one per core; 1: this process, reproducible).", min=1)
    ] = None,
    scheduler: Annotated[
        str | None, typer.Option(help="Dask: 'local' starts a LocalCluster; tcp://host:8786 uses a running one.")
    ] = None,
    resolution: Resolution = None,
    draws: Annotated[int, typer.Option(help="Posterior predictive runs for fit.csv and goodness.json.", min=2)] = 50,
    holdout: Annotated[
        str | None,
        typer.Option(
            help="Targets not fitted (a CSV or a built-in set, to 2017-12): how well the posterior predicts "
            "them goes to holdout.csv and holdout.json."
        ),
    ] = None,
) -> None:
    """Fit parameters by ABC-SMC; write posterior.csv, populations.csv, fit.csv, goodness.json, calibrated.yaml."""
    from sandbox.experiments import calibration, fit

    check_resolution(resolution)
    spec = load(scenario)
    section = spec.calibration
    written = {path: (low, high) for path, (low, high) in (section.priors if section else {}).items()}
    priors = {**written, **parse_params(param or [])}
    if not priors:
        fail("no parameters to fit: give --param PATH=LOW:HIGH, or priors in the scenario's calibration: section")
    data = data or (section.data if section else None)
    if data is None:
        fail("no observed data: give --data FILE|NAME, or data in the scenario's calibration: section")
    # Progress on stderr: pyabc logs each population (epsilon, acceptance, ESS) through its own
    # handler on the 'ABC' logger; ours says which populations run, and when one resumes.
    logging.getLogger("ABC").setLevel(logging.INFO)
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(message)s"))
    logger = logging.getLogger(calibration.__name__)
    logger.setLevel(logging.INFO)
    logger.addHandler(handler)
    try:
        observed, left_out = calibration.targets_for(spec, data)
        if left_out:
            typer.echo(f"note: {left_out} targets of {data} fall outside {spec.name}'s months: left out", err=True)
        fitted = calibration.calibrate(
            spec,
            observed,
            priors,
            particles=particles,
            populations=populations,
            seed=seed,
            workers=workers,
            db=out / "calibration.db",
            scheduler=scheduler,
            resolution=resolution,
        )
    except calibration.CalibrationError as err:
        fail(str(err))
    finally:
        logger.removeHandler(handler)
    if fitted.resumed:
        typer.echo(f"resumed the calibration in {out}", err=True)
    typer.echo(f"posterior predictive: {draws} runs", err=True)
    predictive = fit.posterior_predictive(fitted, draws, workers=workers, scheduler=scheduler)
    goodness = fit.write_outputs(fitted, out, data, predictive)
    typer.echo(fit.summary(fitted, goodness))
    if holdout is not None:
        _held_out(fitted, holdout, spec, out, draws, workers)
    typer.echo(f"written to {out}: posterior.csv, populations.csv, fit.csv, goodness.json, calibrated.yaml")


def _held_out(fitted, holdout: str, spec, out: Path, draws: int, workers: int | None) -> None:
    """Score the posterior on targets it was not fitted to; write holdout.csv and holdout.json."""
    from sandbox.common.outputs import dumps
    from sandbox.experiments import calibration, fit

    try:
        observed, _ = calibration.targets_for(spec, holdout)
        typer.echo(f"held out: {len(observed)} targets, {draws} posterior predictive runs", err=True)
        goodness, table = fit.held_out(fitted, observed, draws, workers=workers)
    except calibration.CalibrationError as err:
        fail(f"--holdout {holdout}: {err}")
    table.to_csv(out / "holdout.csv", index=False)
    (out / "holdout.json").write_text(dumps(goodness.to_dict()) + "\n")
    typer.echo(
        f"held out ({len(observed)} targets): moment coverage ratio {goodness.coverage_ratio:.2f}; "
        f"targets covered in >= half the runs: {int((goodness.per_target['coverage'] >= 0.5).sum())} of "
        f"{len(observed)}; distance to data {goodness.model_distance:.3g} (a logistic curve fitted to "
        f"the held-out data themselves: {goodness.benchmark_distance:.3g})"
    )
