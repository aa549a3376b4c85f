"""The ``jurisdictions:`` section: several regulators, each with its own share of the market and regime.

``jurisdictions:`` maps a jurisdiction's name to its entry, so every error
names it (``jurisdictions.Beijing.regime[0].rate_cap.apr``). Each entry gives
its shares of the initial platforms, the investors and the borrowers (each
kind's shares add up to 1 over the jurisdictions), its regulator's standing
resources (default: the top-level ``regulator:``) and its own dated ``regime:``,
which binds only platforms homed there. The top-level ``regime:`` binds
everywhere. :func:`jurisdiction_problems` holds the cross-field checks; the
market's side is :mod:`sandbox.market.jurisdictions`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from pydantic import Field

from sandbox.common.dates import month_index, month_label
from sandbox.market.params import RegulatorParams, Section

if TYPE_CHECKING:
    from sandbox.config.scenario import Scenario
    from sandbox.rules.base import Rule

#: Rules a jurisdiction's own regime may hold: those whose requirements the market reads
#: per platform, at entry, or in the jurisdiction's own regulator. The others (borrower
#: limits, investor caps and education, resolution, disclosure audits, pilots) set
#: national requirements and belong in the top-level regime.
LOCAL_RULES = frozenset(
    {
        "blacklist",
        "cross_border_access",
        "custody",
        "early_warning",
        "exit_campaign",
        "information_sharing",
        "inspections",
        "licensing",
        "pool_ban",
        "rate_cap",
    }
)
#: Rules that mean something only between jurisdictions.
BETWEEN_RULES = frozenset({"cross_border_access", "information_sharing"})
#: How far a kind's shares may miss 1.
SHARE_TOLERANCE = 1e-6


class JurisdictionBase(Section):
    """One jurisdiction: its shares of the market, its regulator; ``regime`` is added per registry."""

    platforms: float = Field(ge=0, le=1, description="share of the initial platforms homed here")
    investors: float = Field(ge=0, le=1, description="share of investors resident here")
    borrowers: float = Field(ge=0, le=1, description="share of borrowers resident here")
    regulator: RegulatorParams | None = Field(
        None, description="this jurisdiction's regulator (default: the top-level regulator:)"
    )

    @property
    def rules(self) -> list[Rule]:
        """This jurisdiction's own regime as rule objects, in file order."""
        return [entry.dated_rule for entry in getattr(self, "regime", [])]


def jurisdiction_problems(scenario: Scenario) -> list[tuple[tuple, str]]:
    """Shares that do not add up, rules out of place, partners that do not exist, dates after the horizon."""
    problems: list[tuple[tuple, str]] = []
    places = scenario.jurisdictions or {}
    if not places:
        for k, entry in enumerate(scenario.regime):
            if entry.rule_name in BETWEEN_RULES:
                problems.append(
                    (("regime", k, entry.rule_name), "needs a jurisdictions: section (there is one jurisdiction)")
                )
        return problems
    for kind in ("platforms", "investors", "borrowers"):
        total = sum(getattr(j, kind) for j in places.values())
        if abs(total - 1.0) > SHARE_TOLERANCE:
            shares = ", ".join(f"{name} {getattr(j, kind):g}" for name, j in places.items())
            problems.append((("jurisdictions",), f"{kind} shares add up to {total:g} ({shares}); allowed: 1"))
    for name, place in places.items():
        for i, entry in enumerate(getattr(place, "regime", [])):
            where: tuple = ("jurisdictions", name, "regime", i, entry.rule_name)
            problems.extend(_entry_problems(scenario, name, where, entry.rule_name, entry.dated_rule))
    for k, entry in enumerate(scenario.regime):
        top: tuple = ("regime", k, entry.rule_name)
        problems.extend(_partner_problems(scenario, "", top, entry.dated_rule))
    return problems


def _entry_problems(scenario: Scenario, name: str, where: tuple, rule_name: str, rule: Any) -> list[tuple[tuple, str]]:
    problems: list[tuple[tuple, str]] = []
    if rule_name not in LOCAL_RULES:
        problems.append(
            (
                where,
                f"jurisdiction {name}: {rule_name} sets national requirements; allowed here: "
                f"{', '.join(sorted(LOCAL_RULES))} (put {rule_name} in the top-level regime)",
            )
        )
    if month_index(rule.start, scenario.start) >= scenario.months:
        last = month_label(scenario.months - 1, scenario.start)
        problems.append(
            ((*where, "from"), f"jurisdiction {name}: found {rule.start}, after the horizon (last month {last})")
        )
    problems.extend(_partner_problems(scenario, name, where, rule))
    return problems


def _partner_problems(scenario: Scenario, name: str, where: tuple, rule: Any) -> list[tuple[tuple, str]]:
    partners = getattr(rule, "partners", None) or []
    places = scenario.jurisdictions or {}
    who = f"jurisdiction {name}: " if name else ""
    return [
        ((*where, "with"), f"{who}found {p!r}, not a jurisdiction; allowed: {', '.join(places)}")
        for p in partners
        if p not in places or p == name
    ]
