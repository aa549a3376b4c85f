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
            seed) and report the failures that disappear (``result.counterfactuals``,
            ``summary["failures_avoided"]``). Costs four more runs.
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
        result.summary["failures_avoided"] = dict(
            zip(result.counterfactuals["channel"], result.counterfactuals["failures_avoided"], strict=True)
        )
    return result


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

    ``failures_avoided`` counts platforms that fail with the channel and not
    without it; ``failures_added`` the reverse. A market is path-dependent, so
    switching a channel off also moves other failures in time or prevents and
    causes some through other channels: read the two counts together.
    """
    base = _identity(result.platforms)
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
                "failures": len(base),
                "failures_without": len(other_failed),
                "failures_avoided": len(base - other_failed),
                "failures_added": len(other_failed - base),
            }
        )
    return pd.DataFrame(rows)
