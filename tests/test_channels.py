"""Each contagion and failure channel of MODEL.md, shown on a small hand-built market."""

from __future__ import annotations

import numpy as np
import pytest
from conftest import small_market

from sandbox import SandboxModel
from sandbox.market.platforms import (
    CAUSES,
    FRAUD,
    ILLIQUIDITY_RUN,
    INTERMEDIARY,
    POOL,
    REGULATORY,
)

ONLY_POOLS = {"intermediary": 0.0, "pool": 1.0, "fraud": 0.0}
ONLY_FRAUD = {"intermediary": 0.0, "pool": 0.0, "fraud": 1.0}


def step(model: SandboxModel, months: int) -> None:
    for _ in range(months):
        model.step()


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_solvent_pool_fails_from_a_run(seed):
    """A pool with positive equity fails when a panic makes investors withdraw more than its cash.

    The pool lends long (12-month loans) against claims payable on demand. A
    sentiment crash (and the look-alike fear it brings) makes investors ask for
    their money; fire sales cover part; the rest is a run.
    """
    scenario = small_market(
        market__platforms__mix=ONLY_POOLS,
        market__platforms__initial=3,
        market__borrowers__term_months=[12],
        market__borrowers__term_weights=[1.0],
        market__investors__tolerance_median=0.02,
        environment__shocks=[{"month": "2016-09", "kind": "sentiment", "size": 0.8}],
        environment__sentiment={"market_fear": 0.3},
        behaviour__sentiment={"half_life_months": 34.0},  # slow recovery: 2% of the gap a month
    )
    model = SandboxModel(scenario, seed=seed)
    step(model, 8)
    book = model.book
    assert (book.equity()[book.alive()] > 0).all(), "pools must be solvent before the panic"
    step(model, 8)
    causes = book.fail_cause[: book.n]
    assert (causes == ILLIQUIDITY_RUN).any()
    run_victims = np.flatnonzero(causes == ILLIQUIDITY_RUN)
    # A run failure is, by definition, a failure of a platform that was still solvent.
    assert (book.claims_at_failure[run_victims] > 0).all()


@pytest.mark.parametrize("seed", [0, 1, 2, 3])
def test_fraud_collapses_when_inflows_dry_up(seed):
    """A Ponzi pays old investors from new money; a sudden stop of new money brings it down.

    The fraud never absconds here (abscond hazards set to zero), so it fails only
    when withdrawals exceed its cash. With new money still arriving (investors
    keep joining) it lasts the two years; after a funding stop it collapses within a
    year (within 11 months in 400 runs; within 9 in nine runs out of ten).
    """

    def failure_month(stop: bool) -> int:
        shock = [{"month": "2016-07", "kind": "funding", "size": 1.0, "duration": 18}] if stop else []
        scenario = small_market(
            environment__shocks=shock,
            market__platforms__mix=ONLY_FRAUD,
            market__platforms__initial=1,
            market__platforms__abscond_hazard=0.0,
            market__platforms__abscond_on_inspection=0.0,
            market__platforms__abscond_on_outflow=0.0,
            market__platforms__fraud_lending=0.0,  # a pure Ponzi: no loan book to fall back on
            market__investors={"count": 3000, "active_at_start": 0.1, "adoption_months": 48},
        )
        model = SandboxModel(scenario, seed=seed)
        step(model, 24)
        assert model.book.fail_cause[0] in (-1, CAUSES.index("fraud"))
        return int(model.book.fail_month[0]) if model.book.fail_month[0] >= 0 else 99

    stop = small_market().month("2016-07")
    stopped, steady = failure_month(True), failure_month(False)
    assert stop < stopped <= stop + 12
    assert steady == 99, "with new money still arriving the Ponzi keeps paying for two years"


def test_borrower_who_relies_on_rollover_comes_under_stress_when_its_platform_fails():
    """A rollover borrower whose lender fails must refinance; with no other lender it
    comes under stress (higher default hazard on all its loans). Borrowers who do
    not roll over, or did not borrow from the failed platform, do not."""
    scenario = small_market(
        market__platforms__mix={"intermediary": 1.0, "pool": 0.0, "fraud": 0.0},
        market__platforms__initial=2,
        market__borrowers={"count": 6000, "active_at_start": 1.0, "rollover_share": 0.5, "need_rate": 0.5},
    )
    model = SandboxModel(scenario, seed=5)
    step(model, 6)
    b = model.borrowers
    on_a = (b.platform == 0).any(axis=1)
    exposed = on_a & b.rollover
    assert exposed.sum() > 20
    model.book.status[1] = 1  # the other platform is suspended: nobody can refinance
    model.fail(np.array([0]), REGULATORY, orderly=True)
    step(model, 2)
    stressed = b.stressed_until >= model.month
    assert stressed[exposed].mean() > 0.9
    assert not stressed[on_a & ~b.rollover].any()


@pytest.mark.parametrize("seed", [6, 7, 8])
def test_credit_contagion_raises_defaults_on_other_platforms(seed):
    """Same seed, same market: when rollover borrowers lose their lender and cannot
    refinance, losses on the *other* platform's loans rise, compared with a run
    where nobody fails. The other platform has stopped lending in both runs."""

    def loss_on_survivor(fail_first: bool) -> float:
        scenario = small_market(
            market__platforms__mix={"intermediary": 1.0, "pool": 0.0, "fraud": 0.0},
            market__platforms__initial=2,
            market__platforms__unviable_months=120,  # the survivor stays, whatever its margins
            market__investors={"count": 20000, "active_at_start": 1.0, "wealth_median": 20000},
            market__borrowers={
                "count": 3000,
                "active_at_start": 1.0,
                "rollover_share": 1.0,
                "need_rate": 0.6,
                "max_loans": 2,
                "contagion_multiplier": 10.0,
                "term_months": [12],
                "term_weights": [1.0],
            },
        )
        model = SandboxModel(scenario, seed=seed)
        step(model, 4)
        model.book.status[1] = 1  # suspended: no new loans
        if fail_first:
            model.fail(np.array([0]), REGULATORY, orderly=True)
        before = model.book.default_loss[1]
        step(model, 6)
        return float(model.book.default_loss[1] - before)

    assert loss_on_survivor(True) > 1.5 * loss_on_survivor(False)


def _perceived_jump(disclosure: float) -> tuple[float, float]:
    """Rise in perceived risk of a look-alike and of an unlike platform after one pool fails."""
    scenario = small_market(
        market__platforms__initial=40,
        market__platforms__regions=2,
        market__platforms__disclosure=disclosure,
        market__platforms__mix={"intermediary": 0.5, "pool": 0.5, "fraud": 0.0},
    )
    model = SandboxModel(scenario, seed=7)
    step(model, 3)
    book = model.book
    clusters = model.cluster_of(np.arange(book.n))
    alive = book.alive()
    victim = np.flatnonzero(alive & (book.kind[: book.n] == POOL))[0]
    look_alike = alive & (clusters == clusters[victim])
    look_alike[victim] = False
    unlike = alive & (clusters != clusters[victim])
    before = model.perceived_risk()[:, : book.n].mean(axis=0)
    model.fail(np.array([victim]), REGULATORY, orderly=False)
    model.contagion()
    after = model.perceived_risk()[:, : book.n].mean(axis=0)
    jump = after - before
    return float(jump[look_alike].mean()), float(jump[unlike].mean())


def test_failure_hits_confidence_in_look_alikes_most_and_less_under_disclosure():
    """Information contagion: investors cannot see business models, so a failure
    raises the perceived risk of platforms that look like it (same region, same
    promise of guaranteed yields) most; with full disclosure they can tell
    healthy platforms apart and the jump is smaller."""
    alike_opaque, unlike_opaque = _perceived_jump(disclosure=0.0)
    alike_clear, _ = _perceived_jump(disclosure=1.0)
    assert alike_opaque > 2 * unlike_opaque > 0
    assert alike_clear < 0.5 * alike_opaque


@pytest.mark.parametrize("kind", [POOL, INTERMEDIARY])
def test_orderly_wind_down_recovers_more_than_disorderly_failure(kind):
    """Same market, same seed, the same platform fails: an orderly wind-down (longer
    collection, borrowers keep paying, smaller discount on the rest) returns more
    of investors' claims than a disorderly collapse."""
    mix = {"intermediary": 0.5, "pool": 0.5, "fraud": 0.0}

    def recovery(orderly: bool) -> float:
        model = SandboxModel(small_market(market__platforms__mix=mix, market__platforms__initial=8), seed=8)
        step(model, 8)
        book = model.book
        candidates = book.alive() & (book.kind[: book.n] == kind)
        # The platform with the largest loan book: how its loans are collected matters most.
        victim = int(np.argmax(np.where(candidates, book.loans[: book.n], -1.0)))
        assert candidates[victim]
        model.fail(np.array([victim]), REGULATORY, orderly=orderly)
        assert book.fail_month[victim] == model.month
        step(model, 16)
        model.finish()
        return float(book.recovered[victim] / book.claims_at_failure[victim])

    orderly, disorderly = recovery(True), recovery(False)
    assert 0 <= disorderly < orderly <= 1.0 + 1e-9
    assert orderly - disorderly > 0.1


def test_fraud_diverts_and_shows_no_losses():
    """A fraud diverts a share of inflows and discloses no overdue loans, so investors see it as healthy."""
    model = SandboxModel(small_market(market__platforms__mix=ONLY_FRAUD, market__platforms__initial=2), seed=9)
    step(model, 4)
    assert (model.book.diverted[:2] > 0).all()
    seen = model.perceived_risk()[:, :2].mean(axis=0)
    assert (seen < 0.6 * model.true_risk()[:2]).all()
    assert (model.book.kind[:2] == FRAUD).all()
