"""The recorder on a small hand-built market: one monthly row from the month's counters and book.

The model is a stand-in holding only what the recorder reads: a book of four
platforms (two intermediaries, a pool, a fraud), a few borrowers with chosen
loans, investors with chosen losses, two regulators and a ledger.
"""

from __future__ import annotations

import math
from types import SimpleNamespace

import numpy as np
import pytest

from sandbox.market.accounting import Ledger
from sandbox.market.credit import CreditMonth
from sandbox.market.platforms import (
    ACTIVE,
    CAUSES,
    FRAUD,
    FRAUD_CAUSE,
    ILLIQUIDITY_RUN,
    INSOLVENCY,
    INTERMEDIARY,
    POOL,
    RESOLVING,
    PlatformBook,
)
from sandbox.market.recorder import Recorder, larger


class StandInInvestors:
    """Investors with chosen losses; settling the horizon books one more loss."""

    def __init__(self) -> None:
        self.lost = np.array([0.0, 250.0, 50.0])
        self.weight = 1.0

    def platform_results(self, size: int) -> tuple[np.ndarray, np.ndarray]:
        return np.full(size, 7.0), np.zeros(size)

    def settle_at_horizon(self, _unit_value: np.ndarray) -> None:
        self.lost = np.array([10.0, 250.0, 50.0])  # a write-down still held counts at its end value


def stand_in_model() -> SimpleNamespace:
    book = PlatformBook(capacity=8)
    rows = book.add(4)
    book.kind[rows] = [INTERMEDIARY, INTERMEDIARY, POOL, FRAUD]
    book.status[rows] = [ACTIVE, ACTIVE, ACTIVE, RESOLVING]  # the fraud has failed
    book.units[rows] = [1000.0, 3000.0, 2000.0, 5000.0]
    book.unit_value[rows] = 1.0
    book.loans[rows] = [500.0, 700.0, 800.0, 900.0]
    book.promised_yield[rows] = [0.08, 0.08, 0.12, 0.20]
    # Borrowers: 0 owes two platforms more than it can carry; 1 owes one platform more than it
    # can carry; 2 owes two platforms within its capacity; 3 owes nothing.
    borrowers = SimpleNamespace(
        platform=np.array([[0, 1], [2, -1], [0, 2], [-1, -1]]),
        principal=np.array([[600.0, 600.0], [900.0, 0.0], [100.0, 100.0], [0.0, 0.0]]),
        capacity=np.array([1000.0, 500.0, 1000.0, 1000.0]),
        weight=1.0,
    )
    borrowers.debt = lambda: borrowers.principal.sum(axis=1)
    regulators = [
        SimpleNamespace(inspections=2, actions={"warning": 1, "fine": 2}, public_warnings=1),
        SimpleNamespace(inspections=3, actions={"warning": 4}, public_warnings=0),
    ]
    model = SimpleNamespace(
        month=0,
        book=book,
        borrowers=borrowers,
        investors=StandInInvestors(),
        environment=SimpleNamespace(sentiment=0.9, benchmark_rate=0.04, hazard_multiplier=1.1),
        regulators=regulators,
        ledger=Ledger(capital_in=10_000.0, diverted=123.0),
    )
    model.month_label = lambda: f"2016-{model.month + 1:02d}"
    return model


def test_the_monthly_row_sums_new_failures_by_cause():
    model = stand_in_model()
    rec = Recorder(model)
    rec.record_failures(np.array([0, 1]), INSOLVENCY)
    rec.record_failures(np.array([3]), FRAUD_CAUSE)
    model.book.orderly[2] = True  # wound down in good order: WDZJ counts it closed, not a problem
    rec.record_failures(np.array([2]), INSOLVENCY)
    rec.end_month(0.0, 1.0)
    row = rec.rows[0]
    assert row["failures_insolvency"] == 3 and row["failures_fraud"] == 1
    assert (row["new_problem"], row["new_closed"]) == (3, 1)
    assert all(row[f"failures_{c}"] == 0 for c in CAUSES if c not in ("insolvency", "fraud"))
    assert row["failures_total"] == 4
    assert rec.failures == [(0, 0, INSOLVENCY), (0, 1, INSOLVENCY), (0, 3, FRAUD_CAUSE), (0, 2, INSOLVENCY)]
    # The counters start again each month; the failure log does not.
    model.month = 1
    rec.record_failures(np.array([1]), ILLIQUIDITY_RUN)
    rec.end_month(0.0, 1.0)
    assert rec.rows[1]["failures_total"] == 1 and rec.rows[1]["failures_illiquidity_run"] == 1
    assert rec.rows[1]["failures_insolvency"] == 0
    assert len(rec.failures) == 5 and rec.failures[-1] == (1, 1, ILLIQUIDITY_RUN)


def test_the_monthly_row_reads_the_market_from_live_platforms_only():
    model = stand_in_model()
    rec = Recorder(model)
    rec.end_month(0.0, 1.0)
    row = rec.rows[0]
    assert row["month"] == "2016-01"
    assert (row["alive_intermediary"], row["alive_pool"], row["alive_fraud"], row["alive_total"]) == (2, 1, 0, 3)
    assert row["investor_money"] == 6000.0  # the failed fraud's 5,000 are not counted
    assert row["loan_balance"] == 2000.0
    # Yield weighted by claims (+1 yuan each, so an empty market still averages).
    assert row["avg_yield"] == pytest.approx((0.08 * 1001 + 0.08 * 3001 + 0.12 * 2001) / 6003)
    assert (row["inspections"], row["enforcement_actions"], row["public_warnings"]) == (5, 7, 1)
    assert row["cumulative_investor_loss"] == 300.0 and row["diverted_cumulative"] == 123.0
    assert (row["sentiment"], row["benchmark_rate"], row["macro"]) == (0.9, 0.04, 1.1)


def test_credit_and_defaults_become_rates():
    rec = Recorder(stand_in_model())
    rec.add_credit(CreditMonth(1000.0, 200.0, 50.0, 1000.0 * 0.2, informal=80.0, sought=1500.0))
    rec.add_credit(CreditMonth(3000.0, 0.0, 0.0, 3000.0 * 0.3, sought=3000.0))
    rec.add_defaults(3, 60)
    rec.count("run_requests", 7)
    rec.count("entries", 2)
    rec.end_month(0.0, 1.0)
    row = rec.rows[0]
    assert row["new_credit"] == 4000.0
    assert (row["credit_excluded_cap"], row["credit_excluded_limit"]) == (200.0, 50.0)
    assert (row["credit_informal"], row["credit_gone_without"], row["credit_sought"]) == (80.0, 120.0, 4500.0)
    assert row["avg_apr"] == pytest.approx(0.275)  # weighted by the amount lent
    assert row["default_rate"] == pytest.approx(3 / 60)
    assert (row["run_requests"], row["entries"]) == (7, 2)
    rec.end_month(0.0, 1.0)
    assert math.isnan(rec.rows[1]["avg_apr"]) and rec.rows[1]["default_rate"] == 0.0  # nothing lent or due


def test_overindebted_share_counts_borrowers_over_capacity_on_two_platforms():
    rec = Recorder(stand_in_model())
    # Three borrowers owe something; only borrower 0 owes two platforms and more than it can carry.
    assert rec._overindebted_share() == pytest.approx(1 / 3)


def test_loss_columns_count_the_investors_losses_and_the_last_month_takes_the_horizons_settlement():
    model = stand_in_model()
    rec = Recorder(model)
    rec.count("new_losers", 2)  # the wind-downs' count is not what the column reports
    rec.end_month(0.0, 1.0)
    model.investors.lost = np.array([0.0, 0.0, 50.0])  # a later gain can cover an earlier loss
    rec.end_month(0.0, 1.0)
    assert [r["investors_with_loss"] for r in rec.rows] == [2, 1]
    assert [r["cumulative_investor_loss"] for r in rec.rows] == [300.0, 50.0]
    assert model.book.investor_loss[: model.book.n].tolist() == [7.0] * 4  # per platform, from the investors
    rec.settle_last_month()
    assert rec.rows[-1]["investors_with_loss"] == 3 and rec.rows[-1]["cumulative_investor_loss"] == 310.0
    assert rec.rows[0]["investors_with_loss"] == 2  # earlier months unchanged


def test_the_largest_accounting_error_is_kept_and_a_nan_sticks():
    model = stand_in_model()
    rec = Recorder(model)
    rec.end_month(5.0, 1000.0)  # relative to the larger of the market and the capital paid in
    rec.end_month(2.0, 1.0e6)
    assert rec.max_error == 5.0 and rec.max_rel_error == pytest.approx(5.0 / 10_000.0)
    assert rec.rows[1]["accounting_error"] == 2.0
    rec.end_month(math.nan, 1.0)
    rec.end_month(1.0, 1.0)
    assert math.isnan(rec.max_error) and math.isnan(rec.max_rel_error)
    assert math.isnan(larger(1.0, math.nan)) and larger(1.0, 2.0) == 2.0
