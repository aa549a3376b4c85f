"""The assessment: eligibility, the test and its stresses, the verdict (and its search for conditions), the card.

:func:`assess` runs the steps of :mod:`sandbox.pilot` in order for one firm
and one regime, and gathers everything into a :class:`~sandbox.pilot.card.PilotReport`.
"""

from __future__ import annotations

import datetime as _dt
from collections.abc import Callable
from typing import cast

import numpy as np

from sandbox.config.scenario import Scenario, ScenarioError
from sandbox.market.platforms import KINDS
from sandbox.pilot.card import PilotReport
from sandbox.pilot.conditions import search_conditions
from sandbox.pilot.eligibility import PilotRequirements, check_eligibility
from sandbox.pilot.firm import KIND_OF, FirmFile
from sandbox.pilot.simulation import (
    CREDIT_SHOCK,
    FUNDING_STOP,
    NOT_SIMULATED,
    VARIANTS,
    extend_runs,
    horizon,
    simulate,
    stress_month,
)
from sandbox.pilot.verdict import (
    VERDICT_TEXT,
    judge,
    reserve_sentence,
    result_checks,
    runs_sentence,
    summarize,
    undecided,
)


def assess(
    firm: FirmFile,
    scenario: Scenario,
    runs: int = 20,
    seed: int | None = None,
    progress: Callable[[], None] | None = None,
    search_progress: Callable[[], None] | None = None,
    requirements: PilotRequirements | None = None,
) -> PilotReport:
    """Eligibility, test, stresses and verdict for ``firm`` in the sandbox of ``scenario``.

    A failure rate is within its limit only when its upper 95% bound is. When
    the firm meets every admission condition and a variant's failure rate is
    within its limit but the bound is not, that variant is run on more of the
    same seeds until the bound decides (:func:`~sandbox.pilot.verdict.undecided`);
    the card says how many runs the verdict rests on. When a test check still
    fails, :func:`search_conditions` looks for concrete conditions of admission.
    ``progress`` is called after each of the first ``runs`` runs of every
    variant, ``search_progress`` after each run beyond them (more runs and the
    search: their number depends on what the runs show). ``requirements`` replaces the sandbox's
    requirements read from the regime (e.g. to try another failure limit).
    """
    if runs < 1:
        raise ValueError(f"runs: found {runs}; allowed: a whole number >= 1")
    if seed is None:
        entropy = np.random.SeedSequence().entropy  # an int when drawn from the OS
        seed = int(cast(int, entropy) % (2**63))
    req = requirements if requirements is not None else PilotRequirements.from_scenario(scenario)
    if firm.customers.region >= scenario.market.platforms.regions:
        raise ScenarioError(
            f"{firm.source or firm.name}: customers.region: found {firm.customers.region}; allowed: 0 to "
            f"{scenario.market.platforms.regions - 1} (regions of the regime's market)"
        )
    conditions = check_eligibility(firm, req)
    results = simulate(firm, scenario, req, runs=runs, seed=seed, progress=progress)
    pct = req.reserve_percentile
    summary = {v: {k: summarize(rs, firm.compensation_reserve, pct) for k, rs in results[v].items()} for v in VARIANTS}
    # A refused applicant is refused whatever its runs show: more runs only for an eligible firm.
    while all(c.met for c in conditions) and (more := undecided(summary, req)):
        extend_runs(results, firm, scenario, req, seed, more, search_progress)
        for v in more:
            summary[v] = {k: summarize(rs, firm.compensation_reserve, pct) for k, rs in results[v].items()}
    checks = result_checks(firm, req, summary)
    search = None
    if all(c.met for c in conditions) and not all(c.met for c in checks):
        failing = [c for c in checks if not c.met]
        search = search_conditions(firm, scenario, req, failing, summary, runs, seed, search_progress)
    verdict, text, reasons, remedies = judge(conditions, checks, summary, search, firm.compensation_reserve, req)
    rests_on = runs_sentence(summary, runs)
    text = f"{text} {rests_on}"
    test = summary["test"]["sandbox"]
    duration = min(firm.test.duration_months, req.max_duration)
    data = {
        "verdict": verdict,
        "verdict_text": VERDICT_TEXT[verdict],
        "verdict_summary": text,
        "reasons": reasons,
        "conditions_of_admission": [r.to_dict() for r in remedies],
        "condition_search": search.to_dict() if search is not None else None,
        "conditions": [c.to_dict() for c in conditions],
        "test_checks": [c.to_dict() for c in checks],
        "failure_probability": test["failure_probability"],
        "failure_probability_upper95": test["failure_probability_ci95"][1],
        "verdict_runs": {v: summary[v]["sandbox"]["runs"] for v in VARIANTS},
        "verdict_runs_summary": rests_on,
        "expected_investor_loss": test["expected_investor_loss"],
        "tail_investor_loss": test["tail_investor_loss"],
        "compensation_reserve": firm.compensation_reserve,
        "reserve_covers_losses": bool(checks[2].met and checks[3].met),
        "reserve_summary": reserve_sentence(firm.compensation_reserve, summary, req.reserve_percentile),
        "caps_breached": bool(not checks[4].met),
        "customers_harmed": test["customers_harmed_mean"],
        "exit_recovery": test["exit_recovery"],
        "firm": {
            "name": firm.name,
            "file": firm.source,
            "description": firm.description,
            "product": firm.product.type,
            "funding_model": firm.funding_model,
            "platform_kind": KINDS[KIND_OF[firm.funding_model]],
            "annual_yield": firm.investor_terms.annual_yield,
            "capital": firm.capital,
            "custody": firm.custody.arrangement,
            "disclosure_quality": firm.disclosure_quality,
            "max_customers": firm.customers.max_customers,
            "max_investment_per_customer": firm.investor_terms.max_investment_per_customer,
            "target_customers": firm.customers.growth_plan.target_customers,
            "exit_plan_months": firm.exit_plan.wind_down_months if firm.exit_plan else None,
        },
        "declared": {
            "innovation": firm.product.innovation,
            "consumer_benefit": firm.product.consumer_benefit,
            "note": "declared by the firm; shown, not scored",
            "not_simulated": NOT_SIMULATED,
        },
        "regime": {
            "name": scenario.name,
            "file": scenario.source,
            "requirements": req.model_dump(mode="json"),
        },
        "test": {
            "start": req.test_start,
            "duration_months": duration,
            "stress_month": stress_month(req, duration),
            "months_simulated": horizon(scenario, req, firm),
            "runs": runs,
            "seed": seed,
            "stresses": {
                "credit_shock": CREDIT_SHOCK,
                "funding_stop": FUNDING_STOP,
                "neighbour_failure": "largest honest look-alike fails, disorderly",
            },
        },
        "results": summary,
        "generated": _dt.datetime.now().isoformat(timespec="seconds"),
    }
    return PilotReport(data=data, results=results)
