"""Borrowers on small hand-built states: repayments, defaults, lost lenders, loan sales.

Each test builds a few borrowers with chosen loans (one slot each unless said)
on platform rows 0-2 (row 3 stands for the outside buyer) and reads one call.
"""

from __future__ import annotations

import numpy as np
import pytest
from conftest import small_market

from sandbox.market.borrowers import NONE, BorrowerPopulation

ROWS = 4  # platform rows 0-2 and the buyer's


def population(n: int, principal: float = 1200.0, rate: float = 0.12, months: int = 12, **params):
    """``n`` borrowers, each with one loan on platform 0 and nothing else, who never default
    (zero PD) unless a test says so, each able to carry 10,000 yuan."""
    market = small_market(market__borrowers={"count": n, "active_at_start": 1.0, "max_loans": 2, **params}).market
    pop = BorrowerPopulation(market.borrowers, np.random.default_rng(0))
    pop.monthly_pd[:] = 0.0
    pop.capacity[:] = 10_000.0
    pop.rollover[:] = False
    pop.platform[:, 0] = 0
    pop.principal[:, 0] = principal
    pop.rate[:, 0] = rate
    pop.remaining[:, 0] = months
    return pop


def repay(pop, month: int = 5, seed: int = 1, multiplier: float = 1.0, strategic=None):
    return pop.repay(month, np.random.default_rng(seed), multiplier, np.zeros(ROWS) if strategic is None else strategic)


def test_a_performing_loan_pays_a_months_interest_and_an_equal_instalment():
    pop = population(2)
    rep = repay(pop)
    assert rep.defaults == 0 and rep.performing == 2
    assert rep.interest.tolist() == pytest.approx([12.0, 12.0])  # 1,200 x 12% / 12
    assert rep.principal.tolist() == pytest.approx([100.0, 100.0])  # 1,200 / 12 months
    assert pop.principal[:, 0].tolist() == pytest.approx([1100.0, 1100.0])
    assert pop.remaining[:, 0].tolist() == [11, 11]


def test_the_last_instalment_clears_the_loan():
    pop = population(1, principal=300.0, months=1)
    rep = repay(pop)
    assert rep.principal.tolist() == pytest.approx([300.0])
    assert pop.principal[0, 0] == 0.0 and pop.platform[0, 0] == NONE


def test_a_rollover_borrower_must_refinance_when_its_loan_matures():
    pop = population(2, months=1)
    pop.rollover[:] = [True, False]
    repay(pop)
    assert pop.refinance.tolist() == [True, False]


def test_borrowers_over_capacity_default_more():
    # Same PD; half owe four times what they can carry, so their hazard is four times as high.
    n = 4000
    pop = population(n, loss_given_default=0.8)
    pop.monthly_pd[:] = 0.25
    pop.capacity[: n // 2] = 300.0  # owe 1,200: hazard 0.25 x 4 = 1, all default
    rep = repay(pop)
    defaulted = pop.platform[:, 0] == NONE
    assert defaulted[: n // 2].all()
    assert defaulted[n // 2 :].mean() == pytest.approx(0.25, abs=0.03)
    assert rep.defaults == int(defaulted.sum())
    # A default pays nothing this month; its loss and recovery split the principal.
    assert rep.loss.sum() == pytest.approx(0.8 * 1200.0 * rep.defaults)
    assert rep.recovery.sum() == pytest.approx(0.2 * 1200.0 * rep.defaults)
    assert rep.interest.sum() == pytest.approx(12.0 * (n - rep.defaults))


def test_the_macro_multiplier_and_a_lost_lender_raise_the_hazard():
    n = 4000
    pop = population(n, contagion_multiplier=4.0)
    pop.monthly_pd[:] = 0.05
    pop.stressed_until[: n // 2] = 5  # stressed through this month: hazard 0.05 x 2 x 4 = 0.4
    pop.stress_source[: n // 2] = 2
    rep = repay(pop, month=5, multiplier=2.0)
    defaulted = pop.platform[:, 0] == NONE
    assert defaulted[: n // 2].mean() == pytest.approx(0.4, abs=0.03)
    assert defaulted[n // 2 :].mean() == pytest.approx(0.1, abs=0.03)
    # Only the stressed borrowers' losses count as credit contagion, and they name their lost lender.
    stressed = rep.contagion_loss > 0
    assert rep.contagion_loss.sum() == pytest.approx(rep.loss[stressed].sum())
    assert stressed.sum() == defaulted[: n // 2].sum()
    assert (rep.source[stressed] == 2).all() and (rep.source[~stressed] == NONE).all()


def test_borrowers_of_a_failed_platform_stop_paying_it_strategically():
    pop = population(2000)
    pop.platform[1000:, 0] = 1
    strategic = np.zeros(ROWS)
    strategic[1] = 1.0  # a collapsed platform: every borrower walks away
    rep = repay(pop, strategic=strategic)
    assert (pop.platform[1000:, 0] == NONE).all()
    assert (pop.platform[:1000, 0] == 0).all()
    assert rep.defaults == 1000 and (rep.default_platform == 1).all()


def test_losing_a_lender_sends_only_rollover_borrowers_to_refinance():
    pop = population(4)
    pop.platform[:, 0] = [0, 1, 1, 2]
    pop.platform[3, 1] = 1  # borrower 3 also owes platform 1, in its second slot
    pop.rollover[:] = [True, True, False, True]
    failed = np.zeros(ROWS, dtype=bool)
    failed[1] = True
    assert pop.lose_lender(failed).tolist() == [1, 3]
    assert pop.refinance.tolist() == [False, True, False, True]
    assert pop.stress_source.tolist() == [NONE, 1, NONE, 1]


def test_a_full_transfer_moves_every_loan_of_the_marked_platforms_to_the_buyer():
    pop = population(3)
    pop.platform[:, 0] = [0, 1, 1]
    pop.principal[:, 0] = [100.0, 200.0, 300.0]
    mark = np.array([False, True, False, False])
    moved = pop.transfer(mark, np.ones(ROWS), 3, np.random.default_rng(0))
    assert moved.tolist() == [0.0, 500.0, 0.0, 0.0]
    assert pop.platform[:, 0].tolist() == [0, 3, 3]
    assert pop.principal_by_platform(ROWS).tolist() == [100.0, 0.0, 0.0, 500.0]


def test_new_loans_go_to_the_first_free_slot():
    pop = population(2)
    pop.book_loans(np.array([0, 1]), np.array([2, 1]), np.array([500.0, 700.0]), np.array([0.2, 0.3]), np.array([6, 3]))
    assert pop.platform.tolist() == [[0, 2], [0, 1]]
    assert pop.principal[:, 1].tolist() == [500.0, 700.0]
    assert pop.debt().tolist() == [1700.0, 1900.0]


def test_who_asks_for_credit():
    # Need rate 1: everyone in the market with a free slot asks; a borrower who must
    # refinance asks even with no free slot.
    pop = population(3, need_rate=1.0)
    pop.platform[2, 1] = 1  # borrower 2 has both slots taken
    pop.refinance[2] = True
    who, refinancing = pop.request(0, np.random.default_rng(0))
    assert who.tolist() == [0, 1, 2] and refinancing.tolist() == [False, False, True]
    pop.refinance[2] = False
    assert pop.request(0, np.random.default_rng(0))[0].tolist() == [0, 1]


def test_price_is_funding_cost_plus_a_premium_on_pd():
    pop = population(2, risk_premium=1.5)
    pop.pd[:] = [0.1, 0.2]
    apr = pop.price(np.array([0, 1]), np.array([0, 1]), np.array([0.12, 0.14, 0.0, 0.0]))
    assert apr == pytest.approx([0.12 + 0.15, 0.14 + 0.30])


@pytest.mark.parametrize(("terms", "weights"), [([3, 6, 12], [0.3, 0.4, 0.3]), ([1, 24, 36, 60], [0.5, 0.0, 0.2, 0.3])])
def test_loan_terms_are_numpys_choice_draw_for_draw(terms, weights):
    """draw_terms gives exactly rng.choice(terms, p=weights) from the same stream (a zero weight included),
    so seeded runs keep their draws."""
    pop = population(10, term_months=terms, term_weights=weights)
    got = pop.draw_terms(50_000, np.random.default_rng(8))
    want = np.random.default_rng(8).choice(np.asarray(terms, dtype=np.int16), size=50_000, p=pop._term_p)
    assert np.array_equal(got, want) and got.dtype == want.dtype
    assert pop.draw_terms(0, np.random.default_rng(8)).size == 0
