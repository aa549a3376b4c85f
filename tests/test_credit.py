"""The credit market on a freshly built small market: caps refuse, limits cut, cash is conserved."""

from __future__ import annotations

import numpy as np
import pytest
from conftest import small_market

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
