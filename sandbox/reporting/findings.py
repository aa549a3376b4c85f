"""Findings in plain language: a few sentences generated from the numbers of a run or an experiment.

    >>> from sandbox.reporting.findings import findings
    >>> findings(result.comparison)          # a compare's comparison table
    ['Under rate_cap_24, compared with baseline on the same 20 seeds, platform failures fall by 7.6 platforms ...']

Both ``sandbox compare`` (terminal) and ``sandbox report`` (HTML) open with
these sentences. Each names the direction of a change, its size in units
(yuan, platforms, percentage points for shares), its 95% interval, and says
plainly when a change is not detectable: an interval that contains 0 "does not
change detectably".
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

import pandas as pd

Unit = Literal["yuan", "platforms", "share"]
MINUS = "\u2212"  # a real minus sign: easier to read than a hyphen in running text
MAX_PROPOSALS = 5  # sentences about proposals; the rest are left to the table


@dataclass(frozen=True)
class Outcome:
    """How a metric is spoken of: its subject in a sentence, whether that is plural, and its unit."""

    subject: str
    plural: bool
    unit: Unit


#: The metrics that findings speak of (others are left to the tables).
OUTCOMES: dict[str, Outcome] = {
    "platform_failures": Outcome("platform failures", True, "platforms"),
    "investor_loss_total": Outcome("investor losses", True, "yuan"),
    "credit_supplied_total": Outcome("credit supplied", False, "yuan"),
    "credit_excluded_total": Outcome("credit excluded by the rules", False, "yuan"),
    "investors_losing_over_50pct": Outcome("the share of investors losing over half of their money", False, "share"),
    "investors_with_loss_share": Outcome("the share of investors with a loss", False, "share"),
    "investor_loss_share": Outcome("losses as a share of the peak money invested", True, "share"),
    "contagion_share": Outcome("the share of failures caused by contagion", False, "share"),
    "largest_wave_share": Outcome("the largest 3-month failure wave (share of platforms alive)", False, "share"),
    "largest_cascade": Outcome("the largest cascade", False, "platforms"),
    "fraud_loss_total": Outcome("losses to fraud", True, "yuan"),
    "borrower_default_rate": Outcome("the borrower default rate", False, "share"),
}
#: The sentences of a comparison: the headline (per proposal), then the investors' side, then contagion and credit.
HEADLINE = ("platform_failures", "investor_loss_total", "credit_supplied_total")
INVESTORS = ("investors_losing_over_50pct", "investor_loss_share")
SPREAD = ("contagion_share", "largest_wave_share", "credit_excluded_total")


# --- numbers in words ------------------------------------------------------------------------


def significant(value: float, digits: int | None = None) -> str:
    """``value`` to ``digits`` significant figures, never in exponent form, no trailing zeros.

    The default is 2 figures below 10 and 3 from 10 up (7.6, 12.5, 165, 1,230).
    """
    if value == 0 or not math.isfinite(value):
        return "0" if value == 0 else "–"
    if digits is None:
        digits = 2 if abs(value) < 10 else 3
    places = max(digits - 1 - math.floor(math.log10(abs(value))), 0)
    text = f"{round(value, places):,.{places}f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


def signed(text: str, value: float) -> str:
    """``text`` (a magnitude) with the sign of ``value``: + or a true minus sign."""
    if value > 0:
        return f"+{text}"
    return f"{MINUS}{text}" if value < 0 else text


def yuan(value: float, sign: bool = False) -> str:
    """An amount in yuan with K/M/billion/trillion: 1.5 billion yuan, 820K yuan, 640 yuan."""
    return f"{scaled(value, sign)} yuan"


def scaled(value: float, sign: bool = False) -> str:
    """A large number with K, M, billion or trillion (no unit): 2.9 trillion, 1.5 billion, 820K, 640."""
    size = abs(value)
    for scale, suffix in ((1e12, " trillion"), (1e9, " billion"), (1e6, "M"), (1e3, "K")):
        if size >= scale * 0.9995:  # so that 999,999 reads 1M, not 1,000K
            text = significant(size / scale) + suffix
            break
    else:
        text = significant(size)
    return signed(text, value) if sign else (f"{MINUS}{text}" if value < 0 else text)


def amount(value: float, unit: Unit, sign: bool = False, with_unit: bool = True) -> str:
    """``value`` in its unit: yuan with K/M/billion, platforms, or a share in percent (``%``).

    Args:
        value: the number (a share as a fraction: 0.12 is 12%).
        unit: ``yuan``, ``platforms`` or ``share``.
        sign: write + for positive values.
        with_unit: append the unit's word (yuan, platforms).
    """
    if not math.isfinite(value):
        return "–"
    if unit == "share":
        text = significant(abs(value) * 100) + "%"
    elif unit == "yuan":
        text = scaled(abs(value))
        text += " yuan" if with_unit else ""
    else:
        text = significant(abs(value))
        text += (" platform" if abs(value) == 1 else " platforms") if with_unit else ""
    return signed(text, value) if sign else (f"{MINUS}{text}" if value < 0 else text)


def change(value: float, unit: Unit, sign: bool = True, with_unit: bool = True) -> str:
    """A change in its unit: shares change in percentage points (``+1.2 pp``), never in ``%``."""
    if unit != "share":
        return amount(value, unit, sign=sign, with_unit=with_unit)
    if not math.isfinite(value):
        return "–"
    text = significant(abs(value) * 100) + (" pp" if with_unit else "")
    return signed(text, value) if sign else (f"{MINUS}{text}" if value < 0 else text)


def interval(low: float, high: float, unit: Unit) -> str:
    """``95% interval −12 to −2.6 platforms`` (changes), or a note when there is none."""
    if not (math.isfinite(low) and math.isfinite(high)):
        return "no interval: fewer than two runs"
    return f"95% interval {change(low, unit, with_unit=False)} to {change(high, unit)}"


# --- comparisons -------------------------------------------------------------------------------


def _verb(outcome: Outcome, difference: float) -> str:
    rise, fall, stay = ("rise", "fall", "do not change") if outcome.plural else ("rises", "falls", "does not change")
    return rise if difference > 0 else fall if difference < 0 else stay


def change_clause(metric: str, row: Mapping[str, Any], reference_mean: float | None = None) -> str:
    """One clause on one metric of a comparison row: direction, size in units, uncertainty.

    Args:
        metric: the metric (a key of :data:`OUTCOMES`).
        row: ``difference``, ``ci_low`` and ``ci_high`` (proposal minus reference).
        reference_mean: the reference's mean, for the change in percent (not for shares).

    Returns:
        e.g. "platform failures fall by 7.6 platforms (−4.6%; 95% interval −12 to −2.6 platforms)", or
        "investor losses do not change detectably (+820K yuan; 95% interval −1.5M to +3.1M yuan)".
    """
    outcome = OUTCOMES[metric]
    diff, low, high = (float(row[k]) for k in ("difference", "ci_low", "ci_high"))
    bounds = interval(low, high, outcome.unit)
    if not math.isfinite(diff):
        return f"{outcome.subject}: no difference could be computed"
    if diff == 0 and low == 0 and high == 0:
        return f"{outcome.subject} {_verb(outcome, 0.0)} in any run"
    if diff == 0:  # with no interval (one pair of runs): never "do not change by 0 platforms"
        return f"{outcome.subject} {_verb(outcome, 0.0)} ({bounds})"
    if math.isfinite(low) and math.isfinite(high) and low <= 0 <= high:
        return f"{outcome.subject} {_verb(outcome, 0.0)} detectably ({change(diff, outcome.unit)}; {bounds})"
    parts = []
    if outcome.unit != "share" and reference_mean is not None and math.isfinite(reference_mean) and reference_mean:
        parts.append(signed(significant(abs(diff / reference_mean) * 100) + "%", diff))
    parts.append(bounds)
    size = change(diff, outcome.unit, sign=False).lstrip(MINUS)
    return f"{outcome.subject} {_verb(outcome, diff)} by {size} ({'; '.join(parts)})"


def _names(comparison: pd.DataFrame) -> tuple[str, list[str]]:
    """The reference and the proposals of a comparison table (``mean_<name>`` columns, reference first)."""
    means = [str(c).removeprefix("mean_") for c in comparison.columns if str(c).startswith("mean_")]
    if "versus" in comparison.columns:
        return means[0], [str(v) for v in pd.unique(comparison["versus"])]
    return means[0], means[1:2]


def _rows(comparison: pd.DataFrame, proposal: str) -> dict[str, dict[str, Any]]:
    part = comparison if "versus" not in comparison.columns else comparison[comparison["versus"] == proposal]
    return {str(r["metric"]): r for r in part.to_dict("records")}


def _sentence(clauses: Sequence[str], opening: str = "") -> str:
    """Clauses joined by semicolons into one sentence, its first letter in capitals."""
    text = opening + "; ".join(clauses)
    return text[:1].upper() + text[1:] + "."


def _clauses(rows: Mapping[str, Mapping[str, Any]], metrics: Sequence[str], reference: str) -> list[str]:
    return [change_clause(m, rows[m], rows[m].get(f"mean_{reference}")) for m in metrics if m in rows]


def findings(comparison: pd.DataFrame) -> list[str]:
    """Three to six sentences on a comparison, proposal against reference, from its numbers alone.

    Args:
        comparison: :func:`sandbox.experiments.comparison_table` output (or
            ``comparison.csv``): ``metric``, ``mean_<name>`` per scenario with
            the reference first, ``versus`` when there are several proposals,
            ``difference``, ``ci_low``, ``ci_high`` and ``n`` (pairs of runs).

    Returns:
        The sentences: the headline outcomes of each proposal (failures,
        investor losses, credit supplied); with one proposal, the investors'
        side and contagion too; last, how to read the intervals.
    """
    if comparison.empty:
        return ["There are no finished runs to compare yet."]
    reference, proposals = _names(comparison)
    pairs = int(pd.to_numeric(comparison.get("n", pd.Series([0])), errors="coerce").fillna(0).max())
    sentences = []
    for i, proposal in enumerate(proposals[:MAX_PROPOSALS]):
        rows = _rows(comparison, proposal)
        where = (f" on the same {pairs} seeds" if pairs > 1 else " on the same seed") if i == 0 and pairs else ""
        clauses = _clauses(rows, HEADLINE, reference) or ["no headline outcome was recorded"]
        sentences.append(_sentence(clauses, f"Under {proposal}, compared with {reference}{where}, "))
    if len(proposals) > MAX_PROPOSALS:
        sentences.append(f"{len(proposals) - MAX_PROPOSALS} more proposals are compared in the table below.")
    if len(proposals) == 1:
        rows = _rows(comparison, proposals[0])
        for group, opening in ((INVESTORS, ""), (SPREAD, "")):
            clauses = _clauses(rows, group, reference)
            if clauses:
                sentences.append(_sentence(clauses, opening))
    sentences.append(
        "Changes are the proposal minus the reference, averaged run by run over the same seeds; "
        "shares change in percentage points (pp). 'Does not change detectably' means the 95% "
        "interval includes zero: the difference could be the luck of the draw."
    )
    return sentences


# --- a replicate set, a run, a sweep ---------------------------------------------------------------


def level_clause(metric: str, mean: float, low: float = math.nan, high: float = math.nan) -> str:
    """``platform failures average 12 platforms (95% interval 11 to 14)``: a level, not a change.

    Every outcome here is a count, an amount or a share, never below 0, so an
    interval's lower end is cut at 0: a t-interval over a few runs can reach
    below it ("losses average 7.3% (95% interval −0.8% to 15%)"), which reads as
    nonsense and says nothing the cut interval does not.
    """
    outcome = OUTCOMES[metric]
    verb = "average" if outcome.plural else "averages"
    text = f"{outcome.subject} {verb} {amount(mean, outcome.unit)}"
    low = max(low, 0.0) if math.isfinite(low) else low
    if math.isfinite(low) and math.isfinite(high):
        text += f" (95% interval {amount(low, outcome.unit, with_unit=False)} to {amount(high, outcome.unit)})"
    return text


def replicate_findings(described: pd.DataFrame, name: str) -> list[str]:
    """Sentences on a replicate set from :func:`sandbox.experiments.describe_runs` (``metric``, ``mean``...)."""
    rows = {str(r["metric"]): r for r in described.to_dict("records")}
    runs = int(max((r.get("n", 0) for r in rows.values()), default=0))

    def clauses(metrics: Sequence[str]) -> list[str]:
        return [level_clause(m, r["mean"], r["ci_low"], r["ci_high"]) for m in metrics if (r := rows.get(m))]

    sentences = [
        _sentence(
            clauses(HEADLINE) or ["no headline outcome was recorded"],
            f"Over {runs} runs of {name} that differ only in their seed, ",
        )
    ]
    for group, opening in ((INVESTORS, ""), (SPREAD, "")):
        if found := clauses(group):
            sentences.append(_sentence(found, opening))
    spread = [
        f"{amount(r['sd'], OUTCOMES[m].unit)} in {OUTCOMES[m].subject}"
        for m in HEADLINE[:2]
        if (r := rows.get(m)) and "sd" in r
    ]
    if spread:
        sentences.append(
            f"One run typically differs from another by {' and '.join(spread)} (standard deviation across runs)."
        )
    sentences.append(
        "The intervals are 95% intervals of the mean over the runs: they narrow as runs are added, "
        "while the run-to-run spread does not."
    )
    return sentences


def run_findings(summary: Mapping[str, Any]) -> list[str]:
    """Sentences on a single run from its summary (``summary.json`` or the flat summary metrics)."""
    name, seed = summary.get("scenario", "the scenario"), summary.get("seed")

    def value(metric: str) -> str:
        return amount(float(summary[metric]), OUTCOMES[metric].unit)

    first = []
    if "platform_failures" in summary:
        first.append(f"{value('platform_failures')} failed")
    if "investor_loss_total" in summary:
        first.append(f"investors lost {value('investor_loss_total')}")
    if "credit_supplied_total" in summary:
        first.append(f"platforms supplied {value('credit_supplied_total')} of credit")
    sentences = [
        _sentence(
            first or ["no headline outcome was recorded"],
            f"In this run of {name}{f' (seed {seed})' if seed is not None else ''}, ",
        )
    ]
    investors = [
        f"{value(m)} of investors {what}"
        for m, what in (("investors_with_loss_share", "lost money"), ("investors_losing_over_50pct", "lost over half"))
        if m in summary
    ]
    if investors:
        sentences.append(_sentence(investors))
    spread = []
    if "contagion_share" in summary:
        spread.append(f"contagion caused {value('contagion_share')} of the failures")
    if "largest_cascade" in summary:
        spread.append(f"the largest cascade took {value('largest_cascade')}")
    if spread:
        sentences.append(_sentence(spread))
    sentences.append(
        "One run is one possible path: run sandbox replicate to see how much these numbers vary from seed to seed."
    )
    return sentences


def sweep_findings(headline: pd.DataFrame, runs: int, parameters: Sequence[str]) -> list[str]:
    """Sentences on a sweep from its headline (``metric``, ``mean``, ``point_min``, ``point_max``)."""
    rows = {str(r["metric"]): r for r in headline.to_dict("records")}
    clauses = []
    for m in HEADLINE:
        if (r := rows.get(m)) is not None:
            unit = OUTCOMES[m].unit
            # The lowest and highest of the design points' averages, wherever they fall in the ranges:
            # "at the lowest design point" would be read as "at the lowest parameter values".
            clauses.append(
                f"{level_clause(m, r['mean'])} (the design points average from "
                f"{amount(r['point_min'], unit, with_unit=False)} to {amount(r['point_max'], unit)})"
            )
    swept = ", ".join(parameters) or "no parameter"
    return [
        _sentence(clauses or ["no headline outcome was recorded"], f"Over {runs} runs across the ranges of {swept}, "),
        "A wide span between the design points means the outcome responds to the swept parameters; "
        "the response and sensitivity figures of sandbox report show to which.",
        "These are averages over the parameter ranges, not a forecast for any one setting.",
    ]


__all__ = [
    "OUTCOMES",
    "Outcome",
    "amount",
    "change",
    "change_clause",
    "findings",
    "level_clause",
    "replicate_findings",
    "run_findings",
    "sweep_findings",
    "yuan",
]
