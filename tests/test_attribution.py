"""Failure attribution on a hand-built book: which failure triggered which, through which channel."""

from __future__ import annotations

import numpy as np

from sandbox.market.attribution import attribute_failures
from sandbox.market.exposures import guarantor_code
from sandbox.market.platforms import CREDIT_CONTAGION, FRAUD_CAUSE, ILLIQUIDITY_RUN, INSOLVENCY, PlatformBook


def book_of(n: int) -> PlatformBook:
    book = PlatformBook(capacity=8)
    book.add(n)
    book.exposure_source[:n] = -1
    book.contagion_source[:n] = -1
    return book


def cluster_of(rows: np.ndarray) -> np.ndarray:
    return np.asarray(rows) % 2  # even rows look alike, odd rows look alike


def test_a_run_is_pinned_on_the_largest_recent_look_alike_failure():
    book = book_of(6)
    book.claims_at_failure[:6] = [900, 100, 50, 0, 0, 0]
    # Month 10: platform 0 failed in month 5 (too long ago), 1 and 2 recently.
    failures = [(5, 0, INSOLVENCY), (9, 1, FRAUD_CAUSE), (10, 2, INSOLVENCY)]
    got = attribute_failures(book, failures, 10, np.array([4, 5]), ILLIQUIDITY_RUN, cluster_of)
    assert got[4] == ("platform 2", "sentiment")  # its look-alike, though 1 was larger
    assert got[5] == ("platform 1", "sentiment")


def test_credit_contagion_names_the_costlier_channel():
    book = book_of(4)
    book.exposure_loss[2], book.exposure_source[2] = 80.0, guarantor_code(0)
    book.contagion_loss[2] = 20.0
    book.contagion_loss[3], book.contagion_source[3] = 50.0, 1
    got = attribute_failures(book, [(3, 1, INSOLVENCY)], 4, np.array([2, 3]), CREDIT_CONTAGION, cluster_of)
    assert got == {2: ("guarantor 0", "exposure"), 3: ("platform 1", "borrowers")}


def test_a_first_failure_starts_a_cascade():
    book = book_of(2)
    assert attribute_failures(book, [], 0, np.array([0]), INSOLVENCY, cluster_of) == {0: (None, None)}
