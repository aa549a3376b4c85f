"""The credit market on a freshly built small market: caps refuse, limits cut, cash is conserved."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from conftest import small_market

import sandbox
from sandbox import SandboxModel
from sandbox.market.credit import clear_credit, lendable
from sandbox.market.policy import Policy


def month_of_credit(**policy):
    model = SandboxModel(small_market(), seed=4)
    pol = Policy(model.book.capacity + 1)
    for key, value in policy.items():
        if isinstance(getattr(pol, key), np.ndarray):
            getattr(pol, key)[:] = value  # a per-platform requirement, the same for all
        else:
            setattr(pol, key, value)
    book = model.book
    before = book.cash[: book.n].copy(), book.loans[: book.n].copy()
    credit = clear_credit(
        book,
        model.borrowers,
        pol,
        model.config.market.platforms,
        model.behaviour,
        np.random.default_rng(0),
        model.month,
        stress=True,
    )
    return model, before, credit


def test_lent_money_leaves_cash_for_loans_and_stays_within_lendable_cash():
    model, (cash, loans), credit = month_of_credit()
    book = model.book
    assert credit.new > 0 and credit.excluded_cap == 0
    out = cash - book.cash[: book.n]
    np.testing.assert_allclose(book.loans[: book.n] - loans, out)
    assert out.sum() == pytest.approx(credit.new)
    model2 = SandboxModel(small_market(), seed=4)
    assert (out <= lendable(model2.book, model2.config.market.platforms, model2.behaviour.platforms) + 1e-6).all()


def test_a_zero_rate_cap_refuses_every_request_and_counts_it_as_excluded():
    model, (cash, _), credit = month_of_credit(rate_cap=0.0)
    assert credit.new == 0 and credit.excluded_cap > 0
    np.testing.assert_array_equal(model.book.cash[: model.book.n], cash)


def test_borrower_limits_cut_loans_and_count_the_excess():
    _, _, free = month_of_credit()
    _, _, limited = month_of_credit(limit_individual_platform=1000.0, limit_company_platform=1000.0)
    assert limited.excluded_limit > 0 == free.excluded_limit
    assert limited.new < free.new


def two_borrowers(informal_rate: float = 0.36, informal_access: float = 0.5):
    """A fresh small market where only borrowers 0 and 1 ask, for their typical loan
    (no size noise): 0 would pay up to 90% APR, 1 at most 1%, below any platform's price."""
    scenario = small_market(
        market__borrowers__need_rate=0.0,
        behaviour__borrowers={
            "loan_size_sigma": 0.0,
            "informal_rate": informal_rate,
            "informal_access": informal_access,
        },
    )
    model = SandboxModel(scenario, seed=4)
    b = model.borrowers
    b.refinance[:2] = True  # they ask this month; nobody else does (need_rate 0)
    b.max_rate[:2] = (0.9, 0.01)
    b.pd[:2] = 0.05
    return model


def clear(model, rate_cap: float, seed: int = 0):
    pol = Policy(model.book.capacity + 1)
    pol.rate_cap[:] = rate_cap
    m = model
    return clear_credit(
        m.book, m.borrowers, pol, m.config.market.platforms, m.behaviour, np.random.default_rng(seed), m.month, True
    )


def test_a_cap_excludes_only_the_borrower_who_would_have_taken_the_loan():
    """The cap (1%) is below every price: borrower 0 would have paid it and is excluded;
    borrower 1 finds the price too dear with or without a cap, so it is not counted."""
    model = two_borrowers()
    credit = clear(model, rate_cap=0.01)
    demand = model.borrowers.demand
    assert credit.new == 0
    assert credit.excluded_cap == pytest.approx(demand[0])  # not demand[0] + demand[1]
    # Without the cap, borrower 0 takes the loan and borrower 1 still declines.
    free = clear(two_borrowers(), rate_cap=np.inf)
    assert free.excluded_cap == 0 and free.new == pytest.approx(demand[0])


def test_excluded_borrowers_borrow_informally_as_the_behaviour_says():
    demand0 = two_borrowers().borrowers.demand[0]
    half = clear(two_borrowers(informal_access=0.5), rate_cap=0.01)
    assert half.informal == pytest.approx(0.5 * demand0) and half.gone_without == pytest.approx(0.5 * demand0)
    most = clear(two_borrowers(informal_access=0.8), rate_cap=0.01)
    assert most.informal == pytest.approx(0.8 * demand0)
    # An informal lender dearer than what borrower 0 would pay (90%): it goes without.
    dear = clear(two_borrowers(informal_rate=1.2), rate_cap=0.01)
    assert dear.informal == 0 and dear.gone_without == pytest.approx(demand0)


def test_with_ample_cash_all_credit_excluded_by_a_cap_comes_back_when_it_is_lifted():
    """Same state and draws, one month, with and without a 30% cap: when no platform's cash
    binds, lifting the cap adds exactly the credit counted as excluded by it."""
    capped_model, free_model = SandboxModel(small_market(), seed=4), SandboxModel(small_market(), seed=4)
    for model in (capped_model, free_model):
        model.book.cash[: model.book.n] += 1e9  # far more than is asked for
    capped, free = clear(capped_model, rate_cap=0.30), clear(free_model, rate_cap=np.inf)
    assert free.new == pytest.approx(free.sought)  # no rationing by cash
    assert capped.excluded_cap > 0
    assert free.new - capped.new == pytest.approx(capped.excluded_cap)


def test_credit_excluded_by_a_cap_comes_back_as_supply_when_the_cap_is_lifted():
    """Paired runs (same seed) with a 36% cap in the last month only, so the paths agree up
    to that month's credit market. Of the credit counted as excluded, the share lent when the
    cap is lifted is close to the share of requests that cash does not ration. Before
    exclusion counted only borrowers who would take the loan, this share was about 0.05 here
    (and 0.16 / 2.30 on china_2015_2020). Measured over ten blocks of 16 seeds (0-159): share
    0.70-0.96, and within 0.23 of one minus rationing by cash (0.73-0.95)."""
    back = excluded = lent = sought = 0.0
    for seed in range(16):
        free = sandbox.run(small_market(months=12), seed=seed).monthly.iloc[-1]
        cap = [{"rate_cap": {"from": "2016-12", "apr": 0.36}}]
        capped = sandbox.run(small_market(cap, months=12), seed=seed).monthly.iloc[-1]
        back += free["new_credit"] - capped["new_credit"]
        excluded += capped["credit_excluded_cap"]
        lent, sought = lent + free["new_credit"], sought + free["credit_sought"]
    assert excluded > 0
    share, unrationed = back / excluded, lent / sought
    assert 0.6 <= share <= 1.05
    assert abs(share - unrationed) <= 0.3


def test_informal_loans_stay_outside_the_platform_market():
    """Same seed, a 24% cap, informal lenders found by 20% or 80% of excluded borrowers:
    informal credit scales with access, and nothing else in the market changes."""
    cap = [{"rate_cap": {"from": "2016-01", "apr": 0.24}}]
    runs = [
        sandbox.run(small_market(cap, months=6, behaviour__borrowers={"informal_access": a}), seed=2)
        for a in (0.2, 0.8)
    ]
    few, many = (r.monthly for r in runs)
    assert few["credit_excluded_cap"].sum() > 0
    np.testing.assert_allclose(many["credit_informal"], 4 * few["credit_informal"])
    mine = ["credit_informal", "credit_gone_without"]
    pd.testing.assert_frame_equal(few.drop(columns=mine), many.drop(columns=mine))
    assert runs[0].summary["credit_gone_without"] > runs[1].summary["credit_gone_without"]
