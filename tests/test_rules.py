"""Each rule does what it exists to do: paired runs, the same seeds with and without it.

Every test compares a market under a regime with the same market without the
rule (common random numbers: same investors, borrowers, entrants and shocks),
over several seeds, and checks the direction the rule exists to produce.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from conftest import small_market

import sandbox
from sandbox import SandboxModel

SEEDS = (1, 2, 3, 4)


def market(regime: list[dict[str, Any]], **sections: Any) -> sandbox.Scenario:
    """Three years of a small market with entry, frauds, pools and intermediaries."""
    base: dict[str, Any] = dict(
        months=36,
        market__platforms={
            "initial": 40,
            "entry_per_month": 2,
            "capital_median": 1.0e5,
            "controller_reentry": 0.05,
            "mix": {"intermediary": 0.5, "pool": 0.3, "fraud": 0.2},
        },
        market__investors={
            "count": 8000,
            "active_at_start": 0.5,
            "adoption_months": 24,
            "wealth_median": 15000,
            "wealth_sigma": 1.2,
        },
        market__borrowers={"count": 4000, "active_at_start": 0.5, "adoption_months": 24},
    )
    base.update(sections)
    return small_market(regime=regime, **base)


def paired(
    rule: list[dict[str, Any]], control: list[dict[str, Any]] | None = None, seeds=SEEDS, **sections: Any
) -> tuple[list[dict], list[dict]]:
    """Summaries without and with the rule, seed by seed."""
    control = control or []
    without = [sandbox.run(market(control, **sections), seed=s).summary for s in seeds]
    with_rule = [sandbox.run(market(control + rule, **sections), seed=s).summary for s in seeds]
    return without, with_rule


def total(summaries: list[dict], key: str) -> float:
    return float(sum(s[key] or 0.0 for s in summaries))


def wins(before: list[dict], after: list[dict], key: str, lower: bool = True) -> int:
    """Seeds in which the rule moved ``key`` the expected way."""
    return sum((a[key] < b[key]) if lower else (a[key] > b[key]) for b, a in zip(before, after, strict=True))


def test_rate_cap_lowers_defaults_and_raises_excluded_credit():
    """Platforms refuse borrowers whose risk-based APR is above the cap: the riskiest
    lose access, so the default rate falls and excluded credit rises."""
    before, after = paired([{"rate_cap": {"from": "2016-01", "apr": 0.2}}])
    assert wins(before, after, "borrower_default_rate") == len(SEEDS)
    assert total(after, "credit_excluded_cap") > 0 == total(before, "credit_excluded_cap")


def test_rate_cap_as_multiple_of_benchmark_follows_the_benchmark():
    """4x a benchmark of 4.35% caps APR at 17.4%: no loan above it is made."""
    scenario = market(
        [{"rate_cap": {"from": "2016-01", "multiple": 4}}],
        environment={"benchmark_rate": 0.0435, "macro": {"amplitude": 0}},
    )
    model = SandboxModel(scenario, seed=1)
    for _ in range(6):
        model.step()
    rates = model.borrowers.rate[model.borrowers.platform >= 0]
    assert rates.size > 0 and rates.max() <= 4 * 0.0435 + 1e-6


def test_custody_lowers_money_lost_to_fraud():
    """A custodian bank blocks most diversion and most of what an absconding
    controller could take, so frauds leave more behind for investors. Which frauds
    investors find differs between paired runs, so the totals are over 24 seeds. Since
    wind-downs pay investors month by month (money that is reinvested, some of it in
    frauds), custody wins in fewer seeds: over 40 seeds diversion 0.70x, fraud losses
    0.75x, 30 wins (seeds 1-12 alone: diversion 0.81x, 7 wins)."""
    seeds = tuple(range(1, 25))
    before, after = paired([{"custody": {"from": "2016-01"}}], seeds=seeds)
    assert total(after, "diverted_total") < 0.8 * total(before, "diverted_total")
    assert total(after, "fraud_loss_total") < 0.9 * total(before, "fraud_loss_total")
    assert wins(before, after, "fraud_loss_total") >= 15


def test_licensing_with_screening_lets_fewer_frauds_in():
    """Screening catches most fraudulent applicants, and incumbents that cannot register exit."""
    before, after = paired([{"licensing": {"from": "2016-01", "screening_accuracy": 0.9}}])
    assert wins(before, after, "fraud_entries") == len(SEEDS)
    assert total(after, "fraud_entries") < 0.6 * total(before, "fraud_entries")
    assert total(after, "refused_entries") > 0


def test_disclosure_lowers_run_failures_after_a_confidence_shock():
    """After a confidence shock, investors who can see each platform's condition run
    on fewer healthy platforms, and fraud losses fall.

    Measured over 48 seeds on 2026-11-27, after sentiment became per look-alike
    cluster and news a share (issue 14 item 3): run failures fall by about 6.5%
    (before that change, about 15%), and fraud losses fall in 48 of 48 seeds. On
    these 24 seeds the fall is 7.5%; the bound asks for 3%. Disclosure that helps
    investors tell weak platforms from sound ones (issue 14 item 9) should widen it."""
    shock = [{"month": "2016-09", "kind": "sentiment", "size": 0.5}]
    seeds = tuple(range(1, 25))
    before, after = paired([{"disclosure": {"from": "2016-01", "level": 0.9}}], seeds=seeds, environment__shocks=shock)
    runs = lambda ss: sum(s["failures_by_cause"]["illiquidity_run"] for s in ss)  # noqa: E731
    assert runs(after) < 0.97 * runs(before)
    assert wins(before, after, "fraud_loss_total") >= len(seeds) - 2


def test_borrower_limits_lower_multi_platform_over_indebtedness():
    """Caps per platform and across platforms stop borrowers piling up debt on several platforms."""
    rule = [{"borrower_limits": {"from": "2016-01", "individual_per_platform": 20000, "individual_total": 40000}}]
    before, after = paired(rule)
    assert wins(before, after, "overindebted_share") == len(SEEDS)
    assert total(after, "credit_excluded_limit") > 0


def test_pool_ban_removes_pools_and_their_runs():
    """Pools convert to intermediaries, or after the grace period wind down or are caught."""
    before, after = paired([{"pool_ban": {"from": "2016-01", "grace_months": 6}}])
    assert wins(before, after, "contagion_share") >= len(SEEDS) - 1
    model = SandboxModel(market([{"pool_ban": {"from": "2016-01", "grace_months": 6}}]), seed=1)
    model.run()
    book = model.book
    assert not (book.alive() & (book.kind[: book.n] == 1)).any()


def test_inspections_find_frauds_and_lower_their_losses():
    """Risk-based inspections find frauds (revoked with orderly wind-down) before they collapse."""
    before, after = paired([{"inspections": {"from": "2016-01", "capacity": 4}}])
    assert total(after, "enforcement_actions") > 0 == total(before, "enforcement_actions")
    assert total(after, "fraud_loss_total") < total(before, "fraud_loss_total")
    assert all(s["fraud_detection_months"] is not None for s in after)


def test_enforcement_ladder_climbs_one_rung_per_finding():
    """Warning, rectification (deadline), fine, suspension, revocation."""
    model = SandboxModel(
        market([{"inspections": {"from": "2016-01", "capacity": 0, "fine": 1000}}, {"custody": {"from": "2016-01"}}]),
        seed=1,
    )
    model.step()
    book, regulator = model.book, model.regulators[0]
    row = int(np.flatnonzero(book.alive() & (book.kind[: book.n] == 0) & ~book.custody[: book.n])[0])
    cash = book.cash[row]
    for rung in range(1, 5):
        regulator.climb(row, model.policy)
        assert book.rung[row] == rung
    assert book.fines[row] == pytest.approx(min(1000.0, cash))
    assert book.status[row] == 1  # suspended
    regulator.climb(row, model.policy)
    assert book.fail_cause[row] == 4 and book.orderly[row]  # revoked, orderly wind-down


def test_blacklist_stops_fraud_controllers_coming_back():
    before, after = paired([{"blacklist": {"from": "2016-01"}}])
    assert wins(before, after, "fraud_entries") == len(SEEDS)


def test_early_warning_targets_inspections_at_frauds():
    """With the same inspection capacity, scoring on all signals finds more frauds.

    Measured over 40 seeds on 2026-11-27 (after issue 14 item 3 changed sentiment):
    18% more frauds detected; on 6 seeds the figure was 8%, too few seeds to show
    it, so the test takes 16 (18.5% on these; the bound asks for 5%)."""
    control = [{"inspections": {"from": "2016-01", "capacity": 2}}]
    seeds = tuple(range(1, 17))
    before, after = paired([{"early_warning": {"from": "2016-01"}}], control=control, seeds=seeds)
    assert total(after, "frauds_detected") > 1.05 * total(before, "frauds_detected")


def test_early_warning_without_information_sharing_is_noisier():
    """Local regulators that do not share data see less, so their scores are noisier."""

    def noise(sharing: bool) -> float:
        model = SandboxModel(
            market(
                [{"early_warning": {"from": "2016-01", "information_sharing": sharing}}],
                regulator={"local_regulators": 4},
            ),
            seed=1,
        )
        model.step()
        rng = np.random.default_rng(0)
        draws = [model.regulators[0].risk_scores(model.policy, rng) for _ in range(50)]
        return float(np.std(draws, axis=0).mean())

    assert noise(False) > 1.5 * noise(True)


def test_investor_education_lowers_losses():
    """Literate investors read signals better and distrust yields far above the market's."""
    before, after = paired([{"investor_education": {"from": "2016-01", "intensity": 0.1}}])
    assert wins(before, after, "investor_loss_total") == len(SEEDS)


def test_investor_protection_caps_concentration_of_losses():
    """An exposure cap per platform spreads money, so the worst losses are smaller."""
    before, after = paired([{"investor_protection": {"from": "2016-01", "max_per_platform": 5000}}])
    assert wins(before, after, "loss_p99") == len(SEEDS)


def test_resolution_raises_recovery():
    """Orderly wind-downs collect longer and harder, so fewer borrowers walk away. Which
    platforms fail differs between the paired runs, so some seeds go the other way.
    Since collections reach investors month by month and strategic default follows
    collection effort (market/collections.py), the margin is smaller: over 40 seeds 27
    wins, recovery up 13% (seeds 1-24: 14 wins, up 10%); before, 38-40 wins of 48."""
    seeds = tuple(range(1, 25))
    before, after = paired([{"resolution": {"from": "2016-01", "orderly_share": 1.0}}], seeds=seeds)
    assert wins(before, after, "recovery_rate", lower=False) >= 13
    assert total(after, "recovery_rate") > 1.05 * total(before, "recovery_rate")


def test_exit_campaign_winds_down_with_higher_recovery_than_disorderly_collapse():
    """No new business from 2017-01 and operating illegal after 12 months: platforms wind
    down or convert, regulators (10 checks a month) catch the rest, so none is left two
    years on, and investors recover more of their claims than in failures without it."""
    rule = [{"exit_campaign": {"from": "2017-01", "months": 12}}]
    before, after = paired(rule)
    assert wins(before, after, "recovery_rate", lower=False) == len(SEEDS)
    result = sandbox.run(market(rule), seed=1)
    assert result.monthly["alive_total"].iloc[-1] == 0
    assert result.monthly["entries"].iloc[12:].sum() == 0


def test_sandbox_pilot_enforces_customer_and_exposure_caps_during_the_test():
    rule = [
        {
            "sandbox_pilot": {
                "from": "2016-03",
                "cohort": 3,
                "max_customers": 40,
                "max_exposure_per_customer": 2000,
                "duration": 12,
                "capital": 50000,
            }
        }
    ]
    model = SandboxModel(market(rule), seed=1)
    inv = model.investors
    units_before: dict[int, np.ndarray] = {}  # per pilot: units each investor held on it last month
    for _ in range(14):
        value_before = model.book.unit_value.copy()  # placements this month buy at these values
        model.step()
        pilots = np.flatnonzero(model.book.pilot[: model.book.n])
        if model.month <= 2:
            continue
        assert pilots.size == 3
        if model.month < 2 + 12:
            for row in pilots:
                held = inv.platform == row
                assert held.any(axis=0).sum() <= 40  # holdings are (slot, investor)
                # The cap binds on what is placed: a top-up brings a holding to at most
                # 2,000 yuan at the month's unit value; returns may lift it above later.
                units = np.where(held, inv.units, 0.0).sum(axis=0)
                bound = np.maximum(units_before.get(row, 0.0) * value_before[row], 2000.0)
                assert (units * value_before[row] <= bound * (1 + 1e-9)).all()
                units_before[row] = units
    assert model.book.customers[pilots].max() > 0


def test_rules_compose():
    """Two rules in force at once both bind: the cap and the limits."""
    rule = [
        {"rate_cap": {"from": "2016-01", "apr": 0.2}},
        {"borrower_limits": {"from": "2016-01", "individual_per_platform": 20000, "individual_total": 40000}},
    ]
    result = sandbox.run(market(rule), seed=1)
    assert result.summary["credit_excluded_cap"] > 0 and result.summary["credit_excluded_limit"] > 0


def test_grace_period_exempts_incumbents_not_entrants():
    rule = {"custody": {"from": "2016-01", "grace_months": 24}}
    model = SandboxModel(market([rule]), seed=2)
    for _ in range(6):
        model.step()
    bound = model.rules[0].bound(model)
    book = model.book
    assert not bound[book.entry_month[: book.n] < 0].any()
    assert bound[book.entry_month[: book.n] >= 0].all()
