"""Conditions of admission: found by search, verified by simulation.

When the firm meets every admission condition but a test check fails,
:func:`search_conditions` looks for a customer cap, a capital top-up or a
compensation reserve under which every failing check is met, re-running the
firm on the same seeds as its test.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from sandbox.config.scenario import Scenario
from sandbox.pilot.eligibility import Condition, PilotRequirements
from sandbox.pilot.firm import FirmFile
from sandbox.pilot.simulation import TITLES, VARIANTS, child_seeds, firm_rule, horizon, run_once, variants
from sandbox.pilot.verdict import (
    MAX_VERIFY_RUNS,
    allowed_failures,
    failure_upper_bound,
    summarize,
    verification_runs,
)
from sandbox.pilot.words import runs_of, yuan

#: Bisection steps per lever once its most conservative value passes (the search stays cheap).
SEARCH_STEPS = 3
#: The most conservative customer cap tried, as a share of the firm's cap in the test.
MIN_CAP_SHARE = 1 / 16
#: Capital top-ups and reserves are rounded up to these steps, yuan.
TOP_UP_STEP = 10_000
RESERVE_STEP = 1_000
#: The checks that a failure probability decides (the rest are reserve and caps checks).
FAILURE_CHECKS = ("failure_probability", "stress_failure_probability")
STRESS_CHECKS = ("stress_failure_probability", "reserve_covers_stress_losses")


def _ceil_to(x: float, step: int) -> int:
    return int(math.ceil(x / step - 1e-9) * step)


@dataclass
class AdmissionCondition:
    """A concrete condition of admission and what the firm did under it in simulated tests.

    ``changes`` maps the firm file's field to the value the condition requires
    (``customers.max_customers``, ``capital``, ``compensation_reserve``);
    ``results`` holds the summary of the capped runs under the condition for
    each variant re-tested, on the same seeds as the test (common random numbers).
    """

    lever: str
    changes: dict[str, float]
    before: dict[str, float]
    results: dict[str, dict[str, Any]]
    limits: dict[str, float]
    verified: bool = True

    def _failure(self, variant: str) -> tuple[int, int, float, float]:
        r = self.results[variant]
        k = round(r["failure_probability"] * r["runs"])
        return k, r["runs"], r["failure_probability"], failure_upper_bound(k, r["runs"])

    @property
    def text(self) -> str:
        """The condition and its tested result, in words generated from the numbers."""
        parts = []
        for key, value in self.changes.items():
            was = self.before[key]
            if key == "customers.max_customers":
                parts.append(f"serve at most {value:,.0f} customers in the test (instead of {was:,.0f})")
            elif key == "capital":
                parts.append(f"add {yuan(value - was)} of capital ({yuan(value)} in all)")
            else:
                parts.append(f"raise the compensation reserve to {yuan(value)} (from {yuan(was)})")
        k, n, p, hi = self._failure("test")
        tested = (
            f"tested on {runs_of(n)}: failed in {k} ({p:.0%}; upper 95% bound {hi:.1%}, "
            f"limit {self.limits['test']:.0%})"
        )
        for v in VARIANTS[1:]:
            if v in self.results:
                ks, ns, ps, his = self._failure(v)
                tested += f"; {TITLES[v]}: {ps:.0%} (upper bound {his:.1%}, limit {self.limits[v]:.0%})"
        tail = max(r["tail_investor_loss"] for r in self.results.values())
        tested += f"; 95th-percentile investor loss at most {yuan(tail)}"
        return f"{' and '.join(parts)}; {tested}"

    def to_dict(self) -> dict[str, Any]:
        k, n, p, hi = self._failure("test")
        return {
            "lever": self.lever,
            "text": self.text,
            "changes": dict(self.changes),
            "before": dict(self.before),
            "verified": bool(self.verified),
            "runs": n,
            "failure_probability": p,
            "failure_probability_upper95": hi,
            "limit": self.limits["test"],
            "variants_tested": list(self.results),
            "by_variant": {
                v: {
                    "failure_probability": r["failure_probability"],
                    "failure_probability_upper95": self._failure(v)[3],
                    "limit": self.limits[v],
                    "tail_investor_loss": r["tail_investor_loss"],
                }
                for v, r in self.results.items()
            },
        }

    def __str__(self) -> str:
        return self.text


@dataclass
class ConditionSearch:
    """What the search tried, and the conditions it verified."""

    runs: int
    variants: tuple[str, ...]
    conditions: list[AdmissionCondition] = field(default_factory=list)
    tried: list[dict[str, Any]] = field(default_factory=list)

    def tried_sentence(self) -> str:
        """What was tried, in one sentence from the probes' values."""
        caps = [t["value"] for t in self.tried if t["lever"] == "customer_cap"]
        tops = [t["value"] for t in self.tried if t["lever"] == "capital_top_up"]
        parts = []
        if caps:
            parts.append(f"customer caps down to {min(caps):,.0f}")
        if tops:
            parts.append(f"capital top-ups up to {yuan(max(tops))}")
        if not parts:
            return f"No lever could be tried (a limit needs more than {MAX_VERIFY_RUNS} runs to show)."
        return f"Tried {' and '.join(parts)}, each on up to {runs_of(self.runs)} of the same seeds."

    def to_dict(self) -> dict[str, Any]:
        return {"runs": self.runs, "variants": list(self.variants), "tried": self.tried}


def with_changes(firm: FirmFile, changes: dict[str, float]) -> FirmFile:
    """A copy of ``firm`` with dotted fields changed (the search's candidates)."""
    out = firm
    for key, value in changes.items():
        if key == "customers.max_customers":
            out = out.model_copy(update={"customers": out.customers.model_copy(update={"max_customers": int(value)})})
        else:
            out = out.model_copy(update={key: value})
    return out


def search_conditions(
    firm: FirmFile,
    scenario: Scenario,
    req: PilotRequirements,
    failing: list[Condition],
    summary: dict[str, dict[str, dict[str, Any]]],
    runs: int,
    seed: int,
    progress: Callable[[], None] | None = None,
) -> ConditionSearch:
    """Find concrete conditions under which every failing test check is met, by simulated tests.

    Levers, each searched on its own: the compensation reserve alone (when
    only reserve checks fail: the reserve does not change the simulation), the
    largest customer cap, and the smallest capital top-up. A lever is first
    tried at its most conservative value (a sixteenth of the customer cap;
    capital topped up by the most investors' money the firm may hold in the
    test); if that fails, the lever cannot help. Otherwise a few bisection
    steps look for the least restrictive value that passes (assuming a tighter
    cap or more capital does not make failure likelier). Every candidate is run
    on the same seeds as the test (its first ``runs`` child seeds, and more:
    see :func:`verification_runs`); a candidate passes when, in each variant
    whose check failed, the upper 95% bound of the failure probability is
    within the sandbox's limit and no cap is exceeded. The reserve each
    condition needs is the largest tail loss of its runs. A candidate is
    dropped at its first run past the failures its limit allows, which keeps
    the search cheap.
    """
    names = {c.name for c in failing}
    needed = VARIANTS if names & set(STRESS_CHECKS) else ("test",)
    limits = {v: req.max_failure_probability if v == "test" else req.max_stress_failure_probability for v in VARIANTS}
    n = verification_runs(min(limits[v] for v in needed), runs)
    search = ConditionSearch(runs=n, variants=needed)
    if failure_upper_bound(0, n) > min(limits[v] for v in needed) or "caps_held" in names:
        return search  # the limit cannot be shown in MAX_VERIFY_RUNS runs, or the caps do not hold
    seeds = child_seeds(seed, n)
    specs = variants(scenario, req, firm)
    months = horizon(scenario, req, firm)
    kmax = {v: allowed_failures(n, limits[v]) for v in needed}

    # Seed by seed across the variants, the likeliest to fail first: a candidate that
    # cannot pass is dropped at its first failure too many, usually within a few runs.
    order = sorted(needed, key=lambda v: -summary[v]["sandbox"]["failure_probability"])

    def probe(candidate: FirmFile) -> dict[str, dict[str, Any]] | None:
        rule = firm_rule(candidate, req, capped=True)
        done: dict[str, list[dict[str, Any]]] = {v: [] for v in order}
        for s in seeds:
            for v in order:
                spec, extra = specs[v]
                run = run_once(spec, [rule, *extra], s, months)
                done[v].append(run)
                if progress is not None:
                    progress()
                too_many = sum(r["failed"] for r in done[v]) > kmax[v]
                if too_many or run["customer_cap_breached"] or run["exposure_cap_breached"]:
                    return None
        return {v: summarize(done[v], candidate.compensation_reserve, req.reserve_percentile) for v in needed}

    def attempt(lever: str, value: float, changes: dict[str, float]) -> AdmissionCondition | None:
        results = probe(with_changes(firm, changes))
        search.tried.append({"lever": lever, "value": value, "passed": results is not None})
        if results is None:
            return None
        tail = max(r["tail_investor_loss"] for r in results.values())
        if tail > firm.compensation_reserve:
            changes = {**changes, "compensation_reserve": float(_ceil_to(tail, RESERVE_STEP))}
        before = {k: _field(firm, k) for k in changes}
        return AdmissionCondition(lever, changes, before, results, {v: limits[v] for v in VARIANTS})

    if not names & set(FAILURE_CHECKS):
        found = attempt("compensation_reserve", firm.compensation_reserve, {})
        if found is not None:
            found.lever = "compensation_reserve"
            search.conditions.append(found)
            return search
    cap = min(firm.customers.max_customers, req.max_customers)
    for found in (
        _bisect(attempt, "customer_cap", cap, max(1, math.ceil(cap * MIN_CAP_SHARE)), _cap_between, _cap_changes),
        _bisect(
            attempt,
            "capital_top_up",
            0,
            _ceil_to(_max_exposure(firm, req), TOP_UP_STEP),
            _top_up_between,
            lambda top_up: {"capital": float(firm.capital + top_up)},
        ),
    ):
        if found is not None:
            search.conditions.append(found)
    return search


def _field(firm: FirmFile, key: str) -> float:
    if key == "customers.max_customers":
        return float(firm.customers.max_customers)
    return float(getattr(firm, key))


def _max_exposure(firm: FirmFile, req: PilotRequirements) -> float:
    """The most investors' money the firm may hold in its test, under its own and the sandbox's caps."""
    return min(firm.customers.max_customers, req.max_customers) * min(
        firm.investor_terms.max_investment_per_customer, req.max_exposure_per_customer
    )


def _cap_changes(cap: float) -> dict[str, float]:
    return {"customers.max_customers": float(cap)}


def _cap_between(failing: float, passing: float) -> float | None:
    """A customer cap between a failing (larger) and a passing one: their geometric mean, or None if adjacent."""
    mid = round(math.sqrt(failing * passing))
    return mid if passing < mid < failing else None


def _top_up_between(failing: float, passing: float) -> float | None:
    """A capital top-up between a failing (smaller) and a passing one, rounded up to the step."""
    mid = _ceil_to((failing + passing) / 2, TOP_UP_STEP)
    return mid if failing < mid < passing else None


def _bisect(
    attempt: Callable[[str, float, dict[str, float]], AdmissionCondition | None],
    lever: str,
    start: float,
    extreme: float,
    between: Callable[[float, float], float | None],
    changes: Callable[[float], dict[str, float]],
) -> AdmissionCondition | None:
    """The least restrictive passing value of one lever, from ``start`` (known to fail) to ``extreme``."""
    if extreme == start:
        return None
    best = attempt(lever, extreme, changes(extreme))
    if best is None:
        return None
    failing, passing = start, extreme
    for _ in range(SEARCH_STEPS):
        mid = between(failing, passing)
        if mid is None:
            break
        found = attempt(lever, mid, changes(mid))
        if found is None:
            failing = mid
        else:
            passing, best = mid, found
    return best
