"""The four accounting identities on a small hand-built market, with known leaks.

Two platforms paid in 1,000 yuan of capital each; one investor put 500 yuan
into platform 0, which lent 300 to one borrower. Every stock then agrees with
the flows, so each identity's error is zero; a leak planted on one side of a
flow shows up in the identities that compare that side, by exactly its size.
"""

from __future__ import annotations

import math
import warnings
from types import SimpleNamespace

import numpy as np
import pytest
from conftest import small_market

from sandbox.market.accounting import (
    IDENTITIES,
    AccountingError,
    AccountingWarning,
    Ledger,
    enforce,
    tolerance,
    worst,
)
from sandbox.market.borrowers import BorrowerPopulation
from sandbox.market.investors import InvestorPopulation
from sandbox.market.platforms import PlatformBook


def balanced_market() -> SimpleNamespace:
    market = small_market(market__investors={"count": 1}, market__borrowers={"count": 1}).market
    investors = InvestorPopulation(market.investors, market.information, np.random.default_rng(0))
    borrowers = BorrowerPopulation(market.borrowers, np.random.default_rng(0))
    book = PlatformBook(capacity=4)
    rows = book.add(2)
    book.cash[rows] = book.equity_flow[rows] = 1000.0  # paid-in capital
    ledger = Ledger(capital_in=2000.0)
    # The investor puts 500 yuan into platform 0 at 1 yuan a unit.
    investors.platform[0, 0], investors.units[0, 0], investors.invested[0] = 0, 500.0, 500.0
    book.units[0] += 500.0
    book.cash[0] += 500.0
    # Platform 0 lends 300 to the borrower.
    borrowers.platform[0, 0], borrowers.principal[0, 0] = 0, 300.0
    borrowers.borrowed_total = 300.0
    book.cash[0] -= 300.0
    book.loans[0] += 300.0
    return SimpleNamespace(book=book, investors=investors, borrowers=borrowers, ledger=ledger)


def errors(model) -> dict[str, float]:
    return model.ledger.errors(model)


def test_a_balanced_market_has_no_error():
    model = balanced_market()
    assert errors(model) == dict.fromkeys(IDENTITIES, 0.0)
    assert model.ledger.check(model) == 0.0


def leak_cash(m):  # 7 yuan vanish from platform 1's cash, booked nowhere
    m.book.cash[1] -= 7.0


def leak_fine(m):  # a 9-yuan fine booked by the state but never taken from any platform
    m.ledger.fines += 9.0


def leak_units(m):  # 2 units appear on platform 0's books, worth 1.5 yuan each, held by nobody
    m.book.unit_value[0] = 1.5
    m.investors.units[0, 0] /= 1.5  # the investor's claim is unchanged: 500 yuan
    m.book.units[0] = m.investors.units[0, 0] + 2.0


def leak_loan(m):  # platform 1 books a 4-yuan loan no borrower owes
    m.book.loans[1] += 4.0


def leak_buyer(m):  # the outside buyer holds 11 yuan more loans than the borrowers owe it
    m.book.loans[m.book.buyer] += 11.0
    m.book.equity_flow[m.book.buyer] += 11.0


def leak_repayment(m):  # the borrower pays 5 yuan that no platform receives
    m.borrowers.paid_total += 5.0


@pytest.mark.parametrize(
    ("leak", "expected"),
    [
        (leak_cash, {"balance sheet": 7.0, "money": 7.0}),
        (leak_fine, {"money": 9.0}),
        (leak_units, {"balance sheet": 3.0, "investor claims": 3.0}),
        (leak_loan, {"balance sheet": 4.0, "loans": 4.0}),
        (leak_buyer, {"loans": 11.0}),
        (leak_repayment, {"money": 5.0}),
    ],
)
def test_a_leak_breaks_exactly_the_identities_that_see_it_by_its_size(leak, expected):
    model = balanced_market()
    leak(model)
    found = errors(model)
    assert found == pytest.approx({**dict.fromkeys(IDENTITIES, 0.0), **expected}, abs=1e-9)
    assert model.ledger.check(model) == pytest.approx(max(expected.values()))


def test_a_nan_anywhere_makes_its_identity_nan_and_the_worst():
    model = balanced_market()
    model.book.cash[1] = math.nan
    found = errors(model)
    assert math.isnan(found["balance sheet"]) and math.isnan(found["money"])
    assert found["loans"] == 0.0
    assert worst(found)[0] == "balance sheet" and math.isnan(model.ledger.check(model))


def test_tolerance_is_relative_with_a_floor_of_one_yuan():
    assert tolerance(1.0e9) == pytest.approx(100.0)
    assert tolerance(1000.0) == 1.0


def test_enforce_raises_on_the_first_broken_identity_beyond_tolerance():
    found = {"balance sheet": 0.5, "investor claims": 0.0, "loans": 150.0, "money": 200.0}
    enforce({**found, "loans": 90.0, "money": 0.0}, "2016-03", 1.0e9, "error", set())  # within 100 yuan
    with pytest.raises(AccountingError) as caught:
        enforce(found, "2016-03", 1.0e9, "error", set())
    e = caught.value
    assert (e.identity, e.month, e.error, e.allowed) == ("loans", "2016-03", 150.0, pytest.approx(100.0))
    assert "loans identity is off by 150.00 yuan" in str(e) and "2016-03" in str(e)


def test_enforce_in_warn_mode_warns_once_per_identity():
    warned: set[str] = set()
    found = {"balance sheet": math.nan, "investor claims": 0.0, "loans": 0.0, "money": 50.0}
    with pytest.warns(AccountingWarning) as first:
        enforce(found, "2016-03", 1000.0, "warn", warned)
    assert len(first) == 2 and warned == {"balance sheet", "money"}
    assert "NaN" in str(first[0].message)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # a second month with the same broken identities warns no more
        enforce(found, "2016-04", 1000.0, "warn", warned)
