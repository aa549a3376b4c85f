"""Collections of stopped platforms (issue 14, item 5): strategic default (逃废债), recoveries
over months, and the investor losses of orderly exits that follow from them.

Each run is a small hand-built market (tests/conftest.py): four months of business, then
every honest platform with loans is told to exit in an orderly way and winds down.
"""

from __future__ import annotations

from functools import cache

import numpy as np
import pytest
from conftest import small_market

from sandbox.market.collections import strategic_default
from sandbox.market.model import SandboxModel
from sandbox.market.params import CollectionBehaviour
from sandbox.market.platforms import ACTIVE, FRAUD, RESOLVING, PlatformBook
from sandbox.market.policy import Policy

SEEDS = range(6)
BEFORE, AFTER = 4, 14  # months of business before the exit order; months of wind-down observed
# Investors' fraud signals (growth and disclosure gap, issue 14 item 8) are off: they move
# money between the platforms before the exit, and in this small market one platform then
# held 51M yuan of claims on 1M of capital and lost 2.7M to ordinary defaults in one month
# (a few large loans), a loss these tests do not study. Measured over seeds 0-39: with the
# signals on, full effort lost money on 1 seed and reporting lowered recovery on 3; off, on none.
FIXTURE = {"behaviour__investors__growth_suspicion": 0.0, "behaviour__investors__gap_suspicion": 0.0}
VARIANTS = {
    "default": {},
    "full effort": {"behaviour__collections__orderly_effort": 1.0},
    "low effort": {"behaviour__collections__orderly_effort": 0.2},
    "reporting": {"regime": [{"blacklist": {"from": "2016-01"}}]},
    "no reporting": {"regime": [{"blacklist": {"from": "2016-01", "defaulter_reporting": 0.0}}]},
}


def exiting_market(seed: int, variant: str, exit_now: bool = True) -> tuple[SandboxModel, np.ndarray, list[float]]:
    """Run ``BEFORE`` months, order the honest platforms with loans to exit, run ``AFTER`` more.

    Returns the model, the exiting rows, and the yuan recovered by their investors each month after.
    """
    model = SandboxModel(small_market(months=BEFORE + AFTER, **FIXTURE, **VARIANTS[variant]), seed=seed)
    rows = honest_lenders_after(model, exit_now)
    book = model.book
    recovered = []
    for _ in range(AFTER):
        model.step()  # raises AccountingError if any identity breaks in any month
        recovered.append(float(book.recovered[rows].sum()))
    return model, rows, recovered


def honest_lenders_after(model: SandboxModel, exit_now: bool) -> np.ndarray:
    """Run ``BEFORE`` months; return the honest platforms with loans, ordered to exit if ``exit_now``."""
    for _ in range(BEFORE):
        model.step()
    book = model.book
    n = book.n
    rows = np.flatnonzero(book.alive() & (book.kind[:n] != FRAUD) & (book.loans[:n] > 0))
    if exit_now:
        model.order_exit(rows)
    return rows


@cache
def recovery_rate(seed: int, variant: str) -> float:
    """Share of the exiting platforms' claims at the exit order that their investors got back."""
    model, rows, _ = exiting_market(seed, variant)
    book = model.book
    assert (book.status[rows] != RESOLVING).all(), "every wind-down ends within the observed months"
    assert model.recorder.max_rel_error < 1e-9
    return float(book.recovered[rows].sum() / book.claims_at_failure[rows].sum())


def test_the_probability_follows_effort_reporting_and_resolution_support():
    book = PlatformBook(capacity=8)
    rows = book.add(4)
    book.status[rows] = [ACTIVE, ACTIVE, RESOLVING, RESOLVING]
    book.exiting[1] = True  # operating under an exit order
    book.orderly[2] = True  # rows 2 (orderly) and 3 (collapsed) wind down
    b = CollectionBehaviour(walk_away=0.3, orderly_effort=0.8, disorderly_effort=0.2, reporting_deterrence=0.5)
    policy = Policy(book.capacity + 1)
    p = strategic_default(book, policy, b)
    np.testing.assert_allclose(p[:4], [0.0, 0.3 * 0.2, 0.3 * 0.2, 0.3 * 0.8])
    assert p[book.buyer] == 0.0  # the debt buyer collects
    policy.defaulter_reporting = 1.0
    np.testing.assert_allclose(strategic_default(book, policy, b)[:4], [0.0, 0.03, 0.03, 0.12])
    policy.defaulter_reporting, policy.recovery_uplift = 0.0, 0.5
    np.testing.assert_allclose(strategic_default(book, policy, b)[:4], [0.0, 0.03, 0.03, 0.12])


def monthly_loss_rate(seed: int, exit_now: bool) -> float:
    """Principal lost on defaults in the month after the exit order, over the loans held at the order."""
    model = SandboxModel(small_market(months=BEFORE + 2), seed=seed)
    rows = honest_lenders_after(model, exit_now)
    book = model.book
    loans, lost = book.loans[rows].sum(), book.default_loss[rows].sum()
    model.step()
    return float((book.default_loss[rows].sum() - lost) / loans)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_borrowers_of_a_stopped_platform_repay_less_than_those_of_an_operating_one(seed):
    # Paired: the same seed and the same four months; only the exit order differs.
    stopped, operating = monthly_loss_rate(seed, True), monthly_loss_rate(seed, False)
    # Strategic default at an orderly exit adds 0.3 x (1 - 0.8) = 6% a month to ordinary
    # defaults of under 1%: measured ratios 4.4-20 on seeds 0-5.
    assert stopped > 3 * operating


def test_an_orderly_exit_loses_investors_money_because_borrowers_walk_away():
    full = [recovery_rate(s, "full effort") for s in SEEDS]
    default = [recovery_rate(s, "default") for s in SEEDS]
    # With full collection effort nobody walks away, and capital covers ordinary defaults.
    assert min(full) > 0.999
    # At the default effort investors lose money (measured mean loss 2.0% of claims, 1.3%-2.5%).
    assert np.mean(1 - np.array(default)) > 0.01


def test_low_collection_effort_loses_more():
    default = np.array([recovery_rate(s, "default") for s in SEEDS])
    low = np.array([recovery_rate(s, "low effort") for s in SEEDS])
    assert (low < default).all()
    assert np.mean(default - low) > 0.08  # measured 0.15 (0.11-0.19 a seed)


def test_defaulter_reporting_raises_recoveries():
    reported = np.array([recovery_rate(s, "reporting") for s in SEEDS])
    unreported = np.array([recovery_rate(s, "no reporting") for s in SEEDS])
    assert (reported >= unreported).all()
    assert np.mean(reported - unreported) > 0.01  # measured 0.017 (0.012-0.023 a seed; 0.024 over seeds 0-39)


def test_recoveries_arrive_over_several_months():
    model, rows, recovered = exiting_market(0, "default")
    paid = np.diff(np.r_[0.0, recovered])
    assert (paid >= 0).all()
    assert (paid > 0).sum() >= 6  # measured 11 months of payouts
    # The first month pays the cash on hand; collections follow month by month (measured:
    # a third of all recoveries comes after the first month).
    assert recovered[-1] - paid[0] > 0.2 * recovered[-1]
