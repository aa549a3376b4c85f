"""Admission: what the sandbox requires of an applicant, and the checkable conditions a firm file meets or not.

Where the requirements live (one source of truth): the regime file's
``sandbox_pilot`` entry gives the test start (``from``), the longest test
(``duration``) and the caps (``max_customers``, ``max_exposure_per_customer``);
that rule puts its pilots under custody and full disclosure, so custody and
disclosure 1.0 (every item of :data:`~sandbox.pilot.firm.DISCLOSURE_ITEMS`)
are required. The conditions the rule does not carry are the standing
conditions, the defaults of :class:`PilotRequirements` (:data:`STANDING`);
should the ``sandbox_pilot`` rule gain a field of the same name, the regime's
value is used instead.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from sandbox.config.scenario import Scenario, ScenarioError
from sandbox.pilot.firm import DISCLOSURE_ITEMS, FirmFile
from sandbox.pilot.words import yuan
from sandbox.rules.sandbox_pilot import SandboxPilot


class PilotRequirements(BaseModel):
    """What the sandbox requires of an applicant, and the thresholds of its test.

    Build it with :meth:`from_scenario`: caps, duration and test start come from
    the regime's ``sandbox_pilot`` entry; the rest are standing conditions
    (these defaults) unless that rule carries a field of the same name.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    regime: str = Field(description="the regime's name")
    test_start: str = Field(description="month tests start, YYYY-MM (sandbox_pilot: from)")
    max_duration: int = Field(ge=1, description="longest test, months (sandbox_pilot: duration)")
    max_customers: int = Field(ge=1, description="customers one pilot may serve (sandbox_pilot: max_customers)")
    max_exposure_per_customer: float = Field(
        gt=0, description="yuan one customer may hold (sandbox_pilot: max_exposure_per_customer)"
    )
    custody_required: bool = Field(True, description="client money with a bank or trust custodian")
    min_disclosure: float = Field(1.0, ge=0, le=1, description="share of the disclosure items to publish")
    licence_required: bool = Field(True, description="licensed, or partnered with a licensed institution")
    exit_plan_required: bool = Field(True, description="an orderly wind-down plan")
    min_reserve_share: float = Field(
        0.10, ge=0, le=1, description="compensation reserve, share of the most the firm may hold"
    )
    max_failure_probability: float = Field(
        0.10, ge=0, le=1, description="test: failure probability above this is a risk"
    )
    max_stress_failure_probability: float = Field(
        0.30, ge=0, le=1, description="stress: failure probability above this is a risk"
    )
    reserve_percentile: float = Field(
        95.0, ge=50, le=100, description="the reserve must cover this percentile of losses"
    )
    from_rule: tuple[str, ...] = Field((), description="fields taken from the regime's sandbox_pilot entry")

    @classmethod
    def from_scenario(cls, scenario: Scenario) -> PilotRequirements:
        """The requirements of ``scenario``'s sandbox (its first ``sandbox_pilot`` entry)."""
        rule = next((r for r in scenario.rules if isinstance(r, SandboxPilot)), None)
        if rule is None:
            raise ScenarioError(
                f"{scenario.source or scenario.name}: regime: no sandbox_pilot entry; allowed: a regime with a "
                "sandbox_pilot entry giving the sandbox's caps, duration and start (see scenarios/sandbox_regime.yaml)"
            )
        values: dict[str, Any] = {
            "regime": scenario.name,
            "test_start": rule.start,
            "max_duration": rule.duration,
            "max_customers": rule.max_customers,
            "max_exposure_per_customer": rule.max_exposure_per_customer,
        }
        taken = list(values)[1:]
        for name in STANDING:
            if name in type(rule).model_fields:
                values[name] = getattr(rule, name)
                taken.append(name)
        return cls(**values, from_rule=tuple(taken))

    @property
    def max_exposure(self) -> float:
        """The most investors' money a pilot may hold: customers times per-customer cap."""
        return self.max_customers * self.max_exposure_per_customer


#: The standing conditions: fields of :class:`PilotRequirements` with defaults here,
#: overridden by a ``sandbox_pilot`` field of the same name if the rule has one.
STANDING: tuple[str, ...] = (
    "custody_required",
    "min_disclosure",
    "licence_required",
    "exit_plan_required",
    "min_reserve_share",
    "max_failure_probability",
    "max_stress_failure_probability",
    "reserve_percentile",
)


@dataclass
class Condition:
    """One admission condition or test check: met or not, why, and the number behind it."""

    name: str
    met: bool
    reason: str
    value: Any = None
    threshold: Any = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "met": bool(self.met),
            "reason": self.reason,
            "value": self.value,
            "threshold": self.threshold,
        }


def check_eligibility(firm: FirmFile, req: PilotRequirements) -> list[Condition]:
    """The sandbox's checkable admission conditions, each met or not with its reason.

    Every condition is hard: one not met means refusal.
    """
    out: list[Condition] = []
    lic = firm.licence
    if lic.status == "licensed" and lic.licence:
        out.append(
            Condition("licensed_or_partnered", True, f"licensed: {lic.licence}", lic.status, "licensed or partnered")
        )
    elif lic.status == "partnered" and lic.partner:
        out.append(
            Condition(
                "licensed_or_partnered",
                True,
                f"partnered with a licensed institution: {lic.partner}",
                lic.status,
                "licensed or partnered",
            )
        )
    else:
        why = {"licensed": "no licence named", "partnered": "no partner named"}.get(
            lic.status, "neither licensed nor partnered"
        )
        out.append(
            Condition(
                "licensed_or_partnered",
                not req.licence_required,
                f"{why}; the sandbox requires a licence or a licensed partner"
                if req.licence_required
                else f"{why} (not required by this sandbox)",
                lic.status,
                "licensed or partnered" if req.licence_required else "not required",
            )
        )

    held = firm.custody.arrangement != "none"
    who = f" ({firm.custody.custodian})" if firm.custody.custodian else ""
    out.append(
        Condition(
            "custody",
            held or not req.custody_required,
            f"client money held by a {firm.custody.arrangement} custodian{who}"
            if held
            else "client money held by the firm itself; the sandbox requires a custodian"
            if req.custody_required
            else "client money held by the firm itself (not required by this sandbox)",
            firm.custody.arrangement,
            "bank or trust" if req.custody_required else "not required",
        )
    )

    k, cap = firm.customers.max_customers, req.max_customers
    out.append(
        Condition(
            "customer_cap",
            k <= cap,
            f"plans at most {k:,} customers in the test, within the sandbox's {cap:,}"
            if k <= cap
            else f"plans {k:,} customers in the test, above the sandbox's cap of {cap:,}",
            k,
            cap,
        )
    )

    e, ecap = firm.investor_terms.max_investment_per_customer, req.max_exposure_per_customer
    out.append(
        Condition(
            "exposure_cap",
            e <= ecap,
            f"takes at most {yuan(e)} per customer, within the sandbox's {yuan(ecap)}"
            if e <= ecap
            else f"takes up to {yuan(e)} per customer, above the sandbox's cap of {yuan(ecap)}",
            e,
            ecap,
        )
    )

    q, qmin = firm.disclosure_quality, req.min_disclosure
    missing = [i for i in DISCLOSURE_ITEMS if i not in firm.disclosure.publishes]
    out.append(
        Condition(
            "disclosure",
            q >= qmin - 1e-9,
            f"publishes {len(DISCLOSURE_ITEMS) - len(missing)} of {len(DISCLOSURE_ITEMS)} disclosure items "
            f"({q:.0%}; required {qmin:.0%})" + (f"; missing: {', '.join(missing)}" if missing else ""),
            round(q, 4),
            qmin,
        )
    )

    limit = min(firm.customers.max_customers, req.max_customers) * min(
        firm.investor_terms.max_investment_per_customer, req.max_exposure_per_customer
    )
    need = req.min_reserve_share * limit
    r = firm.compensation_reserve
    out.append(
        Condition(
            "compensation_reserve",
            r >= need,
            f"reserve of {yuan(r)} {'covers' if r >= need else 'is below'} the required {req.min_reserve_share:.0%} "
            f"of the most it may hold in the test ({yuan(limit)}): {yuan(need)}",
            r,
            need,
        )
    )

    plan = firm.exit_plan
    if plan is not None:
        servicer = f", backup servicer {plan.backup_servicer}" if plan.backup_servicer else ""
        out.append(
            Condition(
                "exit_plan",
                True,
                f"orderly wind-down over {plan.wind_down_months} months{servicer}",
                plan.wind_down_months,
                "a plan",
            )
        )
    else:
        out.append(
            Condition(
                "exit_plan",
                not req.exit_plan_required,
                "no exit plan; the sandbox requires an orderly wind-down plan"
                if req.exit_plan_required
                else "no exit plan (not required by this sandbox)",
                None,
                "a plan" if req.exit_plan_required else "not required",
            )
        )

    d, dmax = firm.test.duration_months, req.max_duration
    out.append(
        Condition(
            "test_duration",
            d <= dmax,
            f"asks for a {d}-month test, within the sandbox's {dmax} months"
            if d <= dmax
            else f"asks for a {d}-month test, longer than the sandbox's {dmax} months",
            d,
            dmax,
        )
    )
    return out
