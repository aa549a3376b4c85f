"""The Python API for notebooks: load a scenario, run it, get tidy results."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from sandbox.common.horizon import horizon_problem
from sandbox.config.scenario import Scenario, load_scenario
from sandbox.market.accounting import AccountingMode
from sandbox.market.model import SandboxModel
from sandbox.market.params import ChannelParams
from sandbox.market.results import RunResult, collect

#: Contagion channels that the counterfactual runs switch off one at a time: the
#: switches of ``channels:`` in a scenario file (:class:`~sandbox.market.params.ChannelParams`).
CHANNELS: tuple[str, ...] = tuple(ChannelParams.model_fields)

#: The ``channel`` of ``failures.csv`` (what :mod:`sandbox.market.attribution` names for each
#: failure) through which each switch acts. Runs and information share ``sentiment``: a run
#: needs both investors who run and news that frightens them, so either switch can stop it.
ATTRIBUTED_AS: dict[str, str] = {
    "runs": "sentiment",
    "credit_contagion": "borrowers",
    "information": "sentiment",
    "exposures": "exposure",
}

#: Why a channel's failures avoided differ from the failures attributed to it, in one line
#: (the command line and the reports print it under every counterfactual table).
WHY_AVOIDED_DIFFERS = (
    "Switching a channel off changes the whole path of the market, so 'avoided' also counts failures "
    "that happen later or through other channels; 'attributed' counts the failures that came through "
    "this channel."
)


def run(
    scenario: Scenario | str | Path,
    seed: int | None = None,
    months: int | None = None,
    progress: bool = False,
    model_class: type[SandboxModel] = SandboxModel,
    counterfactuals: bool = False,
    accounting: AccountingMode = "error",
) -> RunResult:
    """Run one scenario and return its tables and summary.

    Args:
        scenario: a :class:`Scenario` or the path of a scenario file.
        seed: fixes the run exactly; ``None`` draws one (see ``result.summary["seed"]``).
        months: horizon; defaults to the scenario's.
        progress: show a progress bar (a widget in notebooks).
        model_class: a :class:`SandboxModel` subclass to run instead.
        counterfactuals: also rerun with each contagion channel switched off (same
            seed) and report, per channel, the failures attributed to it in this run
            (the primary figure), then the failures that disappear and appear with it
            off (``result.counterfactuals``; ``summary["failures_attributed"]``,
            ``["failures_avoided"]`` and ``["failures_added"]``). Avoided and added are
            one seed's figures: :func:`sandbox.experiments.replicate` with
            ``counterfactuals`` gives their mean and interval over seeds. Costs four more runs.
        accounting: ``"error"`` stops the run with :class:`~sandbox.market.accounting.AccountingError`
            when an accounting identity breaks (NaN, or an error beyond tolerance);
            ``"warn"`` warns (:class:`~sandbox.market.accounting.AccountingWarning`) and goes on.
    """
    if not isinstance(scenario, Scenario):
        scenario = load_scenario(scenario)
    if months is not None and (problem := horizon_problem(months)):
        raise ValueError(f"months: {problem}")
    model = model_class(scenario, seed=seed, months=months, accounting=accounting)
    model.run(progress=progress)
    result = model.result()
    if counterfactuals:
        result.counterfactuals = _counterfactuals(scenario, model, result, model_class, progress)
        table = result.counterfactuals.set_index("channel")
        for figure in ("attributed", "avoided", "added"):
            result.summary[f"failures_{figure}"] = {c: int(v) for c, v in table[f"failures_{figure}"].items()}
    return result


def attributed_failures(failures: pd.DataFrame) -> dict[str, int]:
    """Per contagion switch, the failures whose attributed ``channel`` (``failures.csv``) is its channel.

    This is the primary figure of what a channel caused: each failure is counted
    once, where attribution traced it (see :data:`ATTRIBUTED_AS`).
    """
    counts = failures["channel"].value_counts() if "channel" in failures else pd.Series(dtype=int)
    return {channel: int(counts.get(ATTRIBUTED_AS[channel], 0)) for channel in CHANNELS}


def _identity(platforms: pd.DataFrame) -> set[tuple]:
    """Failed platforms by identity (entry month, model, yield, region): row numbers may
    differ between runs once re-entries differ, identities do not."""
    failed = platforms.dropna(subset=["failure_cause"])
    return set(
        zip(failed["entry_month"], failed["kind"], failed["promised_yield"].round(12), failed["region"], strict=True)
    )


def _counterfactuals(
    scenario: Scenario, model: SandboxModel, result: RunResult, model_class: type[SandboxModel], progress: bool = False
) -> pd.DataFrame:
    """Same seed, each channel off in turn: which failures disappear.

    ``failures_attributed`` counts this run's failures attributed to the channel
    (:func:`attributed_failures`); ``failures_avoided`` counts platforms that fail
    with the channel and not without it; ``failures_added`` the reverse. A market
    is path-dependent, so switching a channel off also moves other failures in
    time or prevents and causes some through other channels
    (:data:`WHY_AVOIDED_DIFFERS`): read the two counts together.
    """
    base = _identity(result.platforms)
    attributed = attributed_failures(result.failures)
    rows = []
    for channel in CHANNELS:
        variant = scenario.with_updates({f"channels.{channel}": False, "name": f"{scenario.name} without {channel}"})
        other = model_class(variant, seed=model.seed, months=model.months, accounting=model.accounting)
        other.run(progress=progress)  # four more full runs: show each one's progress too
        alt = collect(other)
        other_failed = _identity(alt.platforms)
        rows.append(
            {
                "channel": channel,
                "attributed_as": ATTRIBUTED_AS[channel],
                "failures_attributed": attributed[channel],
                "failures": len(base),
                "failures_without": len(other_failed),
                "failures_avoided": len(base - other_failed),
                "failures_added": len(other_failed - base),
            }
        )
    return pd.DataFrame(rows)
