"""The verdict: the firm's results over runs, the test checks, and admit, admit with conditions or refuse.

Refuse if an admission condition is not met; admit if every test check is
met; if the test shows risk (failure probability above a limit, stress
failures, a reserve short of tail losses), admit with the concrete conditions
:func:`sandbox.pilot.conditions.search_conditions` finds and verifies by
simulation, or refuse if it finds none.

A failure probability is within a limit when the upper end of its 95% Wilson
interval is (:func:`failure_upper_bound`): the same standard for a plain
admission and for every condition of admission.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

import numpy as np

from sandbox.market.platforms import CAUSES
from sandbox.pilot.eligibility import Condition, PilotRequirements
from sandbox.pilot.firm import FirmFile
from sandbox.pilot.simulation import TITLES, VARIANTS
from sandbox.pilot.words import runs_of, yuan

if TYPE_CHECKING:
    from sandbox.pilot.conditions import AdmissionCondition, ConditionSearch

#: Most runs a failure limit is tested on; a limit that needs more cannot be shown.
MAX_VERIFY_RUNS = 200


def wilson_interval(k: int, n: int, z: float = 1.96) -> tuple[float, float]:
    """Two-sided 95% Wilson interval of a probability seen ``k`` times in ``n`` runs ((0, 1) for no runs)."""
    if n == 0:
        return (0.0, 1.0)
    p = k / n
    d = 1 + z * z / n
    c = (p + z * z / (2 * n)) / d
    h = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / d
    return (max(0.0, c - h), min(1.0, c + h))


def summarize(results: list[dict[str, Any]], reserve: float, percentile: float) -> dict[str, Any]:
    """The firm's results over runs: failure probability, losses, harm, reserve coverage, caps, exit recovery."""
    n = len(results)
    failed = np.array([r["failed"] for r in results])
    counted = np.array([r["failed_or_exited"] for r in results])
    loss = np.array([r["investor_loss"] for r in results])
    harmed = np.array([r["customers_harmed"] for r in results])
    exposed = np.array([r["customers_exposed"] for r in results])
    claims = np.array([r["claims_at_failure"] for r in results])
    recovered = np.array([r["recovered"] for r in results])
    values = [r["value_per_yuan"] for r in results if r["value_per_yuan"] is not None]
    tail = float(np.percentile(loss, percentile)) if n else 0.0
    lo, hi = wilson_interval(int(failed.sum()), n)
    return {
        "runs": n,
        "failures": int(failed.sum()),
        "failure_probability": float(failed.mean()) if n else 0.0,
        "failure_probability_ci95": [lo, hi],
        "exit_at_review_probability": float(np.mean([r["exited_at_review"] for r in results])) if n else 0.0,
        "triggered_exit_probability": float(np.mean([r["triggered_exit"] for r in results])) if n else 0.0,
        "expected_investor_loss": float(loss.mean()) if n else 0.0,
        "tail_investor_loss": tail,
        "tail_percentile": percentile,
        "max_investor_loss": float(loss.max()) if n else 0.0,
        "largest_customer_loss": float(max(r["largest_customer_loss"] for r in results)) if n else 0.0,
        "customers_harmed_mean": float(harmed.mean()) if n else 0.0,
        "customers_harmed_max": int(harmed.max()) if n else 0,
        "customers_exposed_mean": float(exposed.mean()) if n else 0.0,
        "customers_exposed_max": int(exposed.max()) if n else 0,
        "peak_money_mean": float(np.mean([r["peak_claims"] for r in results])) if n else 0.0,
        "max_exposure_per_customer": float(max(r["max_exposure"] for r in results)) if n else 0.0,
        "reserve_coverage_share": float((loss <= reserve).mean()) if n else 1.0,
        "reserve_covers_tail": bool(reserve >= tail),
        "caps_breached_runs": int(sum(r["customer_cap_breached"] or r["exposure_cap_breached"] for r in results)),
        "exit_recovery": float(recovered[counted].sum() / claims[counted].sum()) if claims[counted].sum() > 0 else None,
        "value_per_yuan_p5": float(np.percentile(values, 5)) if values else None,
        "causes": {
            c: int(sum(r["cause"] == c for r in results)) for c in CAUSES if any(r["cause"] == c for r in results)
        },
    }


def failure_upper_bound(failures: int, runs: int) -> float:
    """Upper end of the two-sided 95% Wilson interval of a failure probability (as the card reports it)."""
    return wilson_interval(failures, runs)[1]


def allowed_failures(runs: int, limit: float) -> int:
    """Most failures in ``runs`` whose upper 95% bound is within ``limit`` (-1: not even zero is)."""
    k = -1
    while k + 1 <= runs and failure_upper_bound(k + 1, runs) <= limit:
        k += 1
    return k


def verification_runs(limit: float, runs: int) -> int:
    """Runs a condition is tested on: at least ``runs``, and enough that zero failures show ``limit`` is met.

    With a 10% limit that is 35 runs: below that, even a firm that never fails
    has an upper 95% bound above 10%.
    """
    n = max(runs, 1)
    while n < MAX_VERIFY_RUNS and failure_upper_bound(0, n) > limit:
        n += 1
    return n


def runs_to_show(failures: int, runs: int, limit: float) -> int | None:
    """Fewest runs, at least ``runs``, in which ``failures`` failures have an upper 95% bound within ``limit``.

    None if that takes more than :data:`MAX_VERIFY_RUNS`. With no failures it
    is :func:`verification_runs`: 35 runs for a 10% limit.
    """
    n = max(runs, 1)
    while failure_upper_bound(failures, n) > limit:
        n += 1
        if n > MAX_VERIFY_RUNS:
            return None
    return n


def failure_limit(req: PilotRequirements, variant: str) -> float:
    """The sandbox's failure limit for ``variant``: the test's, or the stresses'."""
    return req.max_failure_probability if variant == "test" else req.max_stress_failure_probability


def undecided(summary: dict[str, dict[str, dict[str, Any]]], req: PilotRequirements) -> dict[str, int]:
    """Variants whose failure rate is within its limit but whose upper 95% bound is not, with the runs to decide.

    A firm is within a limit only when the upper bound is (the standard of a
    condition of admission too); a point estimate within the limit on too few
    runs is not evidence enough either way, so these variants are run on more of
    the same seeds before the verdict. A variant that would need more than
    :data:`MAX_VERIFY_RUNS` is left out: its check fails.
    """
    out = {}
    for v in VARIANTS:
        r = summary[v]["sandbox"]
        limit = failure_limit(req, v)
        k, n = r["failures"], r["runs"]
        if r["failure_probability"] <= limit < failure_upper_bound(k, n):
            need = runs_to_show(k, n, limit)
            if need is not None:
                out[v] = need
    return out


def runs_sentence(summary: dict[str, dict[str, dict[str, Any]]], asked: int) -> str:
    """How many runs the verdict rests on, and why more than ``asked`` when it was extended."""
    n = {v: summary[v]["sandbox"]["runs"] for v in VARIANTS}
    stresses = sorted({n[v] for v in VARIANTS[1:]})
    each = (
        f"{runs_of(stresses[0])} of each stress"
        if len(stresses) == 1
        else (", ".join(f"{runs_of(n[v])} of the {TITLES[v]}" for v in VARIANTS[1:]))
    )
    head = f"The verdict rests on {runs_of(n['test'])} of the test and {each}"
    if all(k == asked for k in n.values()):
        return f"{head}."
    return (
        f"{head}: {runs_of(asked)} {'was' if asked == 1 else 'were'} asked for, but where the failure rate was "
        "within its limit and its upper 95% bound was not, the same seeds were extended until the bound could decide."
    )


# ---------------------------------------------------------------------------

VERDICT_TEXT = {
    "admit": "Admit",
    "admit_with_conditions": "Admit with conditions",
    "refuse": "Refuse",
}


def result_checks(
    firm: FirmFile, req: PilotRequirements, summary: dict[str, dict[str, dict[str, Any]]]
) -> list[Condition]:
    """What the test says, as checks with reasons (their failure makes conditions of admission)."""
    r = firm.compensation_reserve
    test = summary["test"]["sandbox"]
    out = []
    # Within a limit means the upper 95% bound is within it, as for a condition of admission.
    p, pmax = test["failure_probability"], req.max_failure_probability
    lo, hi = test["failure_probability_ci95"]
    out.append(
        Condition(
            "failure_probability",
            hi <= pmax,
            f"failed in {p:.0%} of {test['runs']} test {'run' if test['runs'] == 1 else 'runs'} "
            f"(95% CI {lo:.0%} to {hi:.1%}); " + _against(p, hi, pmax),
            round(hi, 4),
            pmax,
        )
    )
    stresses = VARIANTS[1:]
    upper = {v: summary[v]["sandbox"]["failure_probability_ci95"][1] for v in stresses}
    worst = max(stresses, key=lambda v: (upper[v], summary[v]["sandbox"]["failure_probability"]))
    w = summary[worst]["sandbox"]
    ps, psmax = w["failure_probability"], req.max_stress_failure_probability
    hs = w["failure_probability_ci95"][1]
    out.append(
        Condition(
            "stress_failure_probability",
            all(upper[v] <= psmax for v in stresses),
            f"worst stress ({TITLES[worst]}): failed in {ps:.0%} of {runs_of(w['runs'])} "
            f"(upper 95% bound {hs:.1%}); " + _against(ps, hs, psmax),
            round(hs, 4),
            psmax,
        )
    )
    pct = req.reserve_percentile
    t = test["tail_investor_loss"]
    out.append(
        Condition(
            "reserve_covers_test_losses",
            r >= t,
            f"reserve {yuan(r)} {'covers' if r >= t else 'does not cover'} the {pct:g}th-percentile investor loss "
            f"in the test ({yuan(t)})",
            round(t, 2),
            r,
        )
    )
    worst_loss = max(VARIANTS[1:], key=lambda v: summary[v]["sandbox"]["tail_investor_loss"])
    ts = summary[worst_loss]["sandbox"]["tail_investor_loss"]
    out.append(
        Condition(
            "reserve_covers_stress_losses",
            r >= ts,
            f"reserve {yuan(r)} {'covers' if r >= ts else 'does not cover'} the {pct:g}th-percentile investor loss "
            f"under the worst stress ({TITLES[worst_loss]}: {yuan(ts)})",
            round(ts, 2),
            r,
        )
    )
    breached = sum(summary[v]["sandbox"]["caps_breached_runs"] for v in VARIANTS)
    out.append(
        Condition(
            "caps_held",
            breached == 0,
            "customer and per-customer caps held in every capped run"
            if breached == 0
            else f"caps exceeded in {breached} capped runs",
            breached,
            0,
        )
    )
    return out


def _against(p: float, upper: float, limit: float) -> str:
    """Where a failure rate stands against the sandbox's limit, judged by its upper 95% bound."""
    if upper <= limit:
        return f"upper bound within the sandbox's {limit:.0%}"
    if p <= limit:
        return f"within the sandbox's {limit:.0%} as a rate, but its upper bound is above it"
    return f"above the sandbox's {limit:.0%}"


def reserve_sentence(reserve: float, summary: dict[str, dict[str, dict[str, Any]]], percentile: float) -> str:
    """Whether the reserve covers the tail loss in the test and under the worst stress, with both numbers.

    Each half of the sentence is decided by its own number, so the sentence
    never says the reserve falls short in the test when the test's tail loss
    is within it.
    """
    test_tail = summary["test"]["sandbox"]["tail_investor_loss"]
    worst = max(VARIANTS[1:], key=lambda v: summary[v]["sandbox"]["tail_investor_loss"])
    stress_tail = summary[worst]["sandbox"]["tail_investor_loss"]
    in_test = f"the {percentile:g}th-percentile investor loss in the test ({yuan(test_tail)})"
    in_stress = f"under the worst stress ({TITLES[worst]}: {yuan(stress_tail)})"
    covers_test, covers_stress = reserve >= test_tail, reserve >= stress_tail
    head = f"Its compensation reserve of {yuan(reserve)}"
    if covers_test and covers_stress:
        return f"{head} covers {in_test} and {in_stress}."
    if covers_test:
        return f"{head} covers {in_test} but not the loss {in_stress}."
    if covers_stress:
        return f"{head} does not cover {in_test} but covers the loss {in_stress}."
    return f"{head} covers neither {in_test} nor the loss {in_stress}."


def test_record(summary: dict[str, dict[str, dict[str, Any]]], req: PilotRequirements | None = None) -> str:
    """One sentence: how often the firm failed in its test, with and without caps, and under stress."""
    test, unc = summary["test"]["sandbox"], summary["test"]["uncapped"]
    worst = max(VARIANTS[1:], key=lambda v: summary[v]["sandbox"]["failure_probability"])
    lo, hi = test.get("failure_probability_ci95", (0.0, 1.0))
    limit = f"; limit {req.max_failure_probability:.0%}" if req is not None else ""
    return (
        f"In {runs_of(test['runs'])} of its test it failed in {test['failure_probability']:.0%} "
        f"(95% CI {lo:.0%} to {hi:.1%}{limit}; {unc['failure_probability']:.0%} without the sandbox's caps) "
        f"and in up to {summary[worst]['sandbox']['failure_probability']:.0%} under stress ({TITLES[worst]})."
    )


def judge(
    conditions: list[Condition],
    checks: list[Condition],
    summary: dict[str, dict[str, dict[str, Any]]],
    search: ConditionSearch | None = None,
    reserve: float | None = None,
    req: PilotRequirements | None = None,
) -> tuple[str, str, list[str], list[AdmissionCondition]]:
    """The verdict, a plain-language summary, its reasons, and the conditions of admission (if any).

    Refuse if any admission condition is not met. Admit if every test check is
    met too. Otherwise admit with conditions if ``search`` found at least one
    concrete condition verified by simulation (each one alone suffices), and
    refuse if it found none.
    """
    record = test_record(summary, req)
    if reserve is not None:
        record += " " + reserve_sentence(reserve, summary, req.reserve_percentile if req else 95.0)
    unmet = [c for c in conditions if not c.met]
    if unmet:
        names = ", ".join(c.name.replace("_", " ") for c in unmet)
        text = (
            f"Refused: the firm does not meet {len(unmet)} of the sandbox's {len(conditions)} admission "
            f"conditions ({names}). Each is required for admission; the firm may apply again once it meets "
            f"them. {record}"
        )
        return "refuse", text, [f"{c.name.replace('_', ' ')}: {c.reason}" for c in unmet], []
    failing = [c for c in checks if not c.met]
    if not failing:
        return (
            "admit",
            f"Admitted: the firm meets every admission condition and every test check. {record}",
            ["every admission condition is met", *[c.reason for c in checks]],
            [],
        )
    risks = ", ".join(c.name.replace("_", " ") for c in failing)
    found = [c for c in (search.conditions if search else []) if c.verified]
    if not found:
        tried = search.tried_sentence() if search else "No condition was searched for."
        text = (
            f"Refused: the firm meets every admission condition, but the test shows risk ({risks}) and no "
            f"customer cap, capital top-up or compensation reserve tried brings it within the sandbox's limits. "
            f"{tried} {record}"
        )
        return "refuse", text, [c.reason for c in failing], []
    assert search is not None  # found is not empty only with a search
    options = "this condition" if len(found) == 1 else f"any one of these {len(found)} conditions"
    text = (
        f"Admitted with conditions: the firm meets every admission condition, but the test shows risk "
        f"({risks}). {record} It may start its test on {options}, each tested on {runs_of(search.runs)} "
        "of the same seeds."
    )
    return "admit_with_conditions", text, [c.reason for c in failing], found
