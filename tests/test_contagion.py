"""Tests for sandbox.contagion against published examples and model properties."""

from __future__ import annotations

from fractions import Fraction

import numpy as np
import pytest

from sandbox.contagion import (
    debtrank,
    eisenberg_noe,
    furfine,
    gai_kapadia,
    linear_debtrank,
    rogers_veraart,
)

# --------------------------------------------------------------------------
# Shared examples
# --------------------------------------------------------------------------

# Example of R package `systemicrisk` (Gandy & Veraart), help pages of
# default_clearing / default_cascade (R/lib_Network_Evaluations.R, CRAN mirror
# github.com/cran/systemicrisk). In R:
#   ea <- c(1/2,5/8,3/4); el <- c(3/2,1/2,1/2); x <- 0.5
#   L <- matrix(c(0,x,1-x,1-x,0,x,x,1-x,0), nrow=3)
# R fills column-wise; with x = 0.5 every off-diagonal entry is 0.5.
SR_L = np.array([[0.0, 0.5, 0.5], [0.5, 0.0, 0.5], [0.5, 0.5, 0.0]])
SR_EA = np.array([1 / 2, 5 / 8, 3 / 4])
SR_EL = np.array([3 / 2, 1 / 2, 1 / 2])

# Exercise 2 of Paolo Barucca's "Big Data Finance" course code
# (github.com/paolobarucca/eisenbergnoe, Exercise2.m with eisenbergnoe.m):
# a 3-bank ring hit by a uniform 10 % shock to outside assets. eisenbergnoe.m
# pays outside creditors first (equity = Ae - Le + A*r - l), i.e. our
# "external_senior" convention.
BARUCCA_L = np.array([[0.0, 4.0, 0.0], [0.0, 0.0, 3.0], [2.0, 0.0, 0.0]])
BARUCCA_EA = 0.9 * np.array([20.0, 20.0, 10.0])
BARUCCA_EL = np.array([17.0, 18.0, 8.0])

# Example in the help page of NetworkRiskMeasures::debt_rank (Cinelli,
# github.com/carloscinelli/NetworkRiskMeasures, R/DebtRank.R):
#   assets_matrix <- matrix(c(0, 10, 3, 1, 0, 2, 0, 3, 0), ncol = 3)
# filled column-wise; A -> B means A has an asset on B, our exposures[a, b].
NRM_A = np.array([[0.0, 1.0, 0.0], [10.0, 0.0, 3.0], [3.0, 2.0, 0.0]])
NRM_BUFFER = np.array([2.0, 5.0, 2.0])
NRM_WEIGHTS = np.array([10.0, 100.0, 30.0])


def random_system(rng: np.random.Generator, n: int, density: float = 0.4) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Random liabilities, outside assets and outside liabilities, some banks fragile."""
    liab = rng.exponential(1.0, (n, n)) * (rng.random((n, n)) < density)
    np.fill_diagonal(liab, 0.0)
    ext_assets = rng.exponential(0.6, n) * (rng.random(n) < 0.8)
    ext_liab = rng.exponential(0.5, n) * (rng.random(n) < 0.7)
    return liab, ext_assets, ext_liab


def picard(pi: np.ndarray, cap: np.ndarray, net: np.ndarray, iterations: int = 50_000) -> np.ndarray:
    """Clearing by plain fixed-point iteration from full payment (an independent method)."""
    q = cap.copy()
    for _ in range(iterations):
        new = np.minimum(cap, np.maximum(0.0, net + pi.T @ q))
        if np.array_equal(new, q):
            break
        q = new
    return q


def relative(liab: np.ndarray, total: np.ndarray) -> np.ndarray:
    """Row-normalise liabilities by the given totals (zero rows stay zero)."""
    return np.divide(liab, total[:, None], out=np.zeros_like(liab), where=total[:, None] > 0)


# --------------------------------------------------------------------------
# Eisenberg-Noe
# --------------------------------------------------------------------------


def test_en_systemicrisk_example_pro_rata() -> None:
    # systemicrisk documents: $defaultind 1 1 0, $clearingvec 1.473214 1.419643 1.500000
    # (its clearing vector includes the pro-rata payment to outside creditors).
    r = eisenberg_noe(SR_L, SR_EA, SR_EL)
    np.testing.assert_allclose(r.payments, [1.473214, 1.419643, 1.5], atol=5e-7)
    assert r.defaulted.tolist() == [True, True, False]
    # Closed form: p1 = 1.375 / (14/15), p2 = 1.125 + p1 / 5.
    p1 = 1.375 * 15 / 14
    np.testing.assert_allclose(r.payments[:2], [p1, 1.125 + p1 / 5], rtol=1e-14)
    # Bank 0 defaults on fundamentals, bank 1 only once bank 0 pays less.
    assert r.default_order.tolist() == [1, 2, -1]
    assert r.rounds == 2


def test_en_barucca_example_external_senior() -> None:
    # Hand solution of Barucca's Exercise 2 (eisenbergnoe.m converges to it):
    # interbank payments (3, 3, 2), equity Ae - Le + A r - l = (-1, 0, 2).
    r = eisenberg_noe(BARUCCA_L, BARUCCA_EA, BARUCCA_EL, seniority="external_senior")
    np.testing.assert_allclose(r.interbank_payments.sum(axis=1), [3.0, 3.0, 2.0], rtol=1e-14)
    np.testing.assert_allclose(r.external_payments, BARUCCA_EL)  # senior: paid in full
    np.testing.assert_allclose(r.equity, [-1.0, 0.0, 2.0], atol=1e-14)
    assert r.defaulted.tolist() == [True, False, False]


def test_en_barucca_example_pro_rata_differs() -> None:
    # Same system with outside creditors ranking pari passu: bank 0 has 18 + 2 = 20
    # against 21 owed and pays all 20 pro rata, so its interbank creditor gets more
    # (20 * 4/21 instead of 3) and its outside creditors less.
    r = eisenberg_noe(BARUCCA_L, BARUCCA_EA, BARUCCA_EL, seniority="pro_rata")
    assert r.payments[0] == pytest.approx(20.0)
    assert r.interbank_payments[0, 1] == pytest.approx(20.0 * 4 / 21)
    assert r.external_payments[0] == pytest.approx(20.0 * 17 / 21)
    assert r.defaulted.tolist() == [True, False, False]


def test_en_no_defaults_pays_in_full() -> None:
    liab = np.array([[0.0, 1.0], [2.0, 0.0]])
    r = eisenberg_noe(liab, [5.0, 5.0], [1.0, 1.0])
    np.testing.assert_array_equal(r.payments, [2.0, 3.0])
    np.testing.assert_array_equal(r.equity, [5 + 2 - 2, 5 + 1 - 3])
    assert r.rounds == 0
    assert not r.defaulted.any()
    assert (r.default_order == -1).all()


def test_en_no_interbank_links_nothing_spreads() -> None:
    r = eisenberg_noe(np.zeros((3, 3)), [1.0, 0.0, 2.0], [2.0, 1.0, 1.0])
    np.testing.assert_array_equal(r.payments, [1.0, 0.0, 1.0])
    assert r.defaulted.tolist() == [True, True, False]
    assert r.default_order.tolist() == [1, 1, -1]
    np.testing.assert_array_equal(r.interbank_payments, 0.0)


@pytest.mark.parametrize("seed", range(25))
def test_en_pro_rata_fixed_point_and_greatest(seed: int) -> None:
    rng = np.random.default_rng(seed)
    liab, e, b = random_system(rng, 8)
    r = eisenberg_noe(liab, e, b)
    pbar = liab.sum(axis=1) + b
    pi = relative(liab, pbar)
    p = r.payments
    np.testing.assert_allclose(p, np.minimum(pbar, e + pi.T @ p), rtol=0, atol=1e-12)
    np.testing.assert_allclose(p, picard(pi, pbar, e), rtol=0, atol=1e-9)
    # Conservation: what banks pay = what banks receive + what leaves the system.
    assert p.sum() == pytest.approx(r.received.sum() + r.external_payments.sum(), abs=1e-12)
    np.testing.assert_allclose(r.interbank_payments.sum(axis=0), r.received)
    np.testing.assert_array_equal(r.defaulted, p < pbar)
    # Defaulters pay out everything they have: equity == payments - obligations.
    np.testing.assert_allclose(r.equity[r.defaulted], (p - pbar)[r.defaulted], atol=1e-12)
    assert (r.equity[~r.defaulted] >= -1e-12).all()
    assert r.rounds <= len(p)


@pytest.mark.parametrize("seed", range(25))
def test_en_external_senior_fixed_point_and_greatest(seed: int) -> None:
    rng = np.random.default_rng(100 + seed)
    liab, e, b = random_system(rng, 8)
    r = eisenberg_noe(liab, e, b, seniority="external_senior")
    owed = liab.sum(axis=1)
    pi = relative(liab, owed)
    q = r.interbank_payments.sum(axis=1)
    np.testing.assert_allclose(q, np.minimum(owed, np.maximum(0.0, e - b + pi.T @ q)), atol=1e-12)
    np.testing.assert_allclose(q, picard(pi, owed, e - b), atol=1e-9)
    # Outside creditors first: paid min(b, everything the bank has).
    np.testing.assert_allclose(r.external_payments, np.minimum(b, e + r.received), atol=1e-12)
    assert r.payments.sum() == pytest.approx(r.received.sum() + r.external_payments.sum(), abs=1e-12)
    np.testing.assert_array_equal(r.defaulted, r.payments < r.obligations - 1e-12)


def test_en_external_senior_cycle_with_broke_bank() -> None:
    # Two banks owe each other 1. Bank 0's outside creditors (b - e = 0.5) absorb
    # everything it receives; bank 1 then only passes on its own 0.2.
    # Fixed point by hand: q0 = max(0, -0.5 + q1) = 0, q1 = min(1, 0.2 + q0) = 0.2.
    liab = np.array([[0.0, 1.0], [1.0, 0.0]])
    r = eisenberg_noe(liab, [0.0, 0.2], [0.5, 0.0], seniority="external_senior")
    np.testing.assert_allclose(r.interbank_payments.sum(axis=1), [0.0, 0.2], atol=1e-15)
    np.testing.assert_allclose(r.external_payments, [0.2, 0.0], atol=1e-15)
    assert r.defaulted.tolist() == [True, True]


def test_en_seniority_changes_who_bears_losses() -> None:
    liab, e, b = random_system(np.random.default_rng(7), 10)
    pro = eisenberg_noe(liab, e, b, "pro_rata")
    senior = eisenberg_noe(liab, e, b, "external_senior")
    # Outside creditors are never worse off when senior.
    assert senior.external_payments.sum() >= pro.external_payments.sum() - 1e-12
    # Banks' own liabilities and assets do not depend on seniority.
    np.testing.assert_array_equal(pro.obligations, senior.obligations)


# --------------------------------------------------------------------------
# Rogers-Veraart
# --------------------------------------------------------------------------


def test_rv_systemicrisk_example_with_default_costs() -> None:
    # systemicrisk: default_clearing(L, ea, el, alpha=0.5, beta=0.7)
    # $defaultind 1 1 1, $clearingvec 0.5020200 0.5147049 0.5653806
    r = rogers_veraart(SR_L, SR_EA, 0.5, 0.7, SR_EL)
    np.testing.assert_allclose(r.payments, [0.5020200, 0.5147049, 0.5653806], atol=5e-8)
    assert r.defaulted.all()
    # All banks default, so p = alpha e + beta Pi^T p exactly.
    pi = relative(SR_L, SR_L.sum(axis=1) + SR_EL)
    np.testing.assert_allclose(r.payments, 0.5 * SR_EA + 0.7 * pi.T @ r.payments, atol=1e-14)


def test_rv_default_costs_can_cause_more_defaults() -> None:
    # Bank 2 survives without default costs but not with them (same example).
    assert rogers_veraart(SR_L, SR_EA, 1, 1, SR_EL).defaulted.tolist() == [True, True, False]
    assert rogers_veraart(SR_L, SR_EA, 0.5, 0.7, SR_EL).defaulted.tolist() == [True, True, True]


@pytest.mark.parametrize("seed", range(20))
def test_rv_alpha_beta_one_is_eisenberg_noe(seed: int) -> None:
    liab, e, b = random_system(np.random.default_rng(200 + seed), 9)
    en = eisenberg_noe(liab, e, b)
    rv = rogers_veraart(liab, e, 1.0, 1.0, b)
    np.testing.assert_array_equal(rv.payments, en.payments)
    np.testing.assert_array_equal(rv.interbank_payments, en.interbank_payments)
    np.testing.assert_array_equal(rv.default_order, en.default_order)
    assert rv.rounds == en.rounds


@pytest.mark.parametrize("seed", range(20))
def test_rv_clearing_condition(seed: int) -> None:
    rng = np.random.default_rng(300 + seed)
    liab, e, b = random_system(rng, 9)
    alpha, beta = rng.uniform(0.3, 1.0, 2)
    r = rogers_veraart(liab, e, alpha, beta, b)
    pbar = liab.sum(axis=1) + b
    pi = relative(liab, pbar)
    inflow = pi.T @ r.payments
    solvent = e + inflow >= pbar
    expected = np.where(solvent, pbar, alpha * e + beta * inflow)
    np.testing.assert_allclose(r.payments, expected, atol=1e-12)
    np.testing.assert_array_equal(r.defaulted, ~solvent)
    # Default costs only ever lower payments.
    assert (r.payments <= eisenberg_noe(liab, e, b).payments + 1e-12).all()


# --------------------------------------------------------------------------
# DebtRank
# --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("shocked", "h", "r"),
    [
        # Hand propagation of the NetworkRiskMeasures example (impact W = exposure / buffer):
        # a's default wipes out b (10/5) and c (3/2): everyone else defaults.
        (0, [1.0, 1.0, 1.0], (100 + 30) / 140),
        # b's default costs a 1/2 and c 2/2; b is already inactive when a and c pass it on.
        (1, [0.5, 1.0, 1.0], (10 * 0.5 + 30) / 140),
    ],
)
def test_debtrank_networkriskmeasures_example(shocked: int, h: list[float], r: float) -> None:
    res = debtrank(NRM_A, NRM_BUFFER, [shocked], value=NRM_WEIGHTS)
    np.testing.assert_allclose(res.h, h)
    assert pytest.approx(r) == res.R
    assert res.rounds == 2


def test_debtrank_caps_impact_at_one() -> None:
    # Shock c: c -> b (0.6) -> a (0.5 * 0.6 = 0.3) -> b again, but b is inactive, and
    # a's impact on b is min(1, 10/5) * 0.3 = 0.3 (Battiston's W = min(1, A/E)): b ends at 0.9.
    # NetworkRiskMeasures leaves the ratio uncapped (2 * 0.3), giving b = 1 instead.
    res = debtrank(NRM_A, NRM_BUFFER, [2], value=NRM_WEIGHTS)
    np.testing.assert_allclose(res.h, [0.3, 0.9, 1.0])
    assert pytest.approx((10 * 0.3 + 100 * 0.9) / 140) == res.R
    assert res.rounds == 3


def test_debtrank_each_node_propagates_once() -> None:
    # Cycle 0 <-> 1: 0 lent 1 to 1, 1 lent 1 to 0; equity 2 each, 50 % shock to 0.
    # t=2: h1 = 0.5 * 0.5 = 0.25; t=3: h0 += 0.5 * 0.25 (0 is already inactive: no further steps).
    a = np.array([[0.0, 1.0], [1.0, 0.0]])
    res = debtrank(a, [2.0, 2.0], [0], psi=0.5)
    np.testing.assert_allclose(res.h, [0.625, 0.25])
    assert res.rounds == 2
    # Default weights: shares of total lending (1/2 each); R excludes the initial 0.5.
    assert pytest.approx(0.5 * 0.125 + 0.5 * 0.25) == res.R


@pytest.mark.parametrize("seed", range(10))
def test_debtrank_bounds_and_monotone(seed: int) -> None:
    rng = np.random.default_rng(400 + seed)
    n = 12
    a = rng.exponential(1.0, (n, n)) * (rng.random((n, n)) < 0.3)
    np.fill_diagonal(a, 0.0)
    eq = rng.uniform(0.5, 3.0, n)
    h0 = rng.uniform(0, 0.3, n) * (rng.random(n) < 0.3)
    for res in (debtrank(a, eq, initial_h=h0), linear_debtrank(a, eq, initial_h=h0)):
        assert ((res.h >= 0) & (res.h <= 1)).all()
        assert (res.h >= h0).all()
        assert 0 <= res.R <= 1
        assert res.value.sum() == pytest.approx(1.0)
    # Linear DebtRank passes on every increment, so it never reports less distress.
    assert (linear_debtrank(a, eq, initial_h=h0).h >= debtrank(a, eq, initial_h=h0).h - 1e-12).all()


def test_debtrank_no_links_nothing_spreads() -> None:
    for fn in (debtrank, linear_debtrank):
        res = fn(np.zeros((4, 4)), np.ones(4), [0, 2], psi=0.7)
        np.testing.assert_array_equal(res.h, [0.7, 0.0, 0.7, 0.0])
        assert res.R == 0.0


def test_linear_debtrank_stable_steady_state() -> None:
    # Bardoscia et al. (2015): when the spectral radius of Lambda is < 1 and no bank
    # saturates, h(inf) = (I - Lambda)^-1 h(1).
    a = np.array([[0.0, 1.0, 0.5], [0.8, 0.0, 0.4], [0.3, 0.6, 0.0]])
    eq = np.array([4.0, 3.0, 5.0])
    lam = a / eq[:, None]
    assert max(abs(np.linalg.eigvals(lam))) < 1
    h1 = np.array([0.2, 0.0, 0.0])
    res = linear_debtrank(a, eq, initial_h=h1)
    np.testing.assert_allclose(res.h, np.linalg.solve(np.eye(3) - lam, h1), atol=1e-11)
    # The original DebtRank stops after one pass and so underestimates on cycles.
    assert (debtrank(a, eq, initial_h=h1).h < res.h - 1e-3).any()


def test_linear_and_original_debtrank_agree_on_a_tree() -> None:
    # Star: 1, 2, 3 lent to 0; 4 lent to 1. Each node is hit once, impacts < 1.
    a = np.zeros((5, 5))
    a[1, 0], a[2, 0], a[3, 0], a[4, 1] = 1.0, 2.0, 0.5, 3.0
    eq = np.array([1.0, 2.0, 4.0, 1.0, 6.0])
    lin = linear_debtrank(a, eq, [0], psi=0.8)
    org = debtrank(a, eq, [0], psi=0.8)
    np.testing.assert_allclose(lin.h, org.h)
    np.testing.assert_allclose(lin.h, [0.8, 0.4, 0.4, 0.4, 0.2])


def test_linear_debtrank_recovery() -> None:
    a = np.array([[0.0, 1.0], [0.0, 0.0]])
    assert linear_debtrank(a, [2.0, 1.0], [1], recovery=1.0).h[0] == 0.0
    assert linear_debtrank(a, [2.0, 1.0], [1], recovery=0.5).h[0] == pytest.approx(0.25)


def test_debtrank_zero_equity_bank() -> None:
    # Impact exposure / equity is infinite. Original DebtRank caps it at 1, so the
    # lender inherits the borrower's distress; linear DebtRank wipes it out.
    a = np.array([[0.0, 0.1], [0.0, 0.0]])
    assert debtrank(a, [0.0, 1.0], [1], psi=0.01).h[0] == 0.01
    assert linear_debtrank(a, [0.0, 1.0], [1], psi=0.01).h[0] == 1.0
    # No exposure, no impact, even with zero equity.
    assert debtrank(a.T, [1.0, 0.0], [1], psi=0.5).h[0] == 0.0


# --------------------------------------------------------------------------
# Furfine
# --------------------------------------------------------------------------


def test_furfine_systemicrisk_cascade_example() -> None:
    # systemicrisk::default_cascade on the example network: net worth
    # colSums(L) + ea - rowSums(L) - el = (-1, 0.125, 0.25). Bank 0 is insolvent;
    # its creditors each lose 0.5 > net worth, so all three default in one round.
    net_worth = SR_L.sum(axis=0) + SR_EA - SR_L.sum(axis=1) - SR_EL
    np.testing.assert_allclose(net_worth, [-1.0, 0.125, 0.25])
    r = furfine(SR_L.T, np.maximum(net_worth, 0.0), net_worth < 0)
    assert r.failed.all()
    assert r.round_failed.tolist() == [0, 1, 1]
    assert r.rounds == 1
    # With 80 % recovery (lgd 0.2) the loss of 0.1 is absorbed by both.
    r = furfine(SR_L.T, np.maximum(net_worth, 0.0), net_worth < 0, lgd=0.2)
    assert r.failed.tolist() == [True, False, False]
    np.testing.assert_allclose(r.losses, [0.0, 0.1, 0.1])


def test_furfine_chain_rounds_and_cumulative_losses() -> None:
    # 0 fails; 1 lent 5 to 0 (capital 4) -> fails in round 1; 2 lent 3 to 0 and
    # 3 to 1 (capital 5): 3 < 5 after round 1, 6 >= 5 after round 2.
    ex = np.zeros((4, 4))
    ex[1, 0], ex[2, 0], ex[2, 1], ex[3, 2] = 5.0, 3.0, 3.0, 1.0
    r = furfine(ex, [10.0, 4.0, 5.0, 2.0], [0])
    assert r.round_failed.tolist() == [0, 1, 2, -1]
    assert r.rounds == 2
    np.testing.assert_array_equal(r.losses, [0.0, 5.0, 6.0, 1.0])


@pytest.mark.parametrize(("capital", "fails"), [(3.0, True), (3.0000001, False), (2.9999999, True)])
def test_furfine_boundary_loss_equal_to_capital_fails(capital: float, fails: bool) -> None:
    ex = np.array([[0.0, 0.0], [3.0, 0.0]])  # bank 1 lent 3 to bank 0
    assert furfine(ex, [1.0, capital], [0]).failed[1] == fails


def test_furfine_no_links_nothing_spreads() -> None:
    # Zero capital, but no loss: a bank needs an actual loss to fail.
    r = furfine(np.zeros((3, 3)), np.zeros(3), [1])
    assert r.failed.tolist() == [False, True, False]
    assert r.rounds == 0


# --------------------------------------------------------------------------
# Gai-Kapadia
# --------------------------------------------------------------------------


def test_gai_kapadia_boundary_loss_equal_to_buffer_defaults() -> None:
    # Complete network (z = n - 1 -> link probability 1): every bank has 5 equal loans.
    # The trigger's default costs each creditor 1/5 of 20 % = exactly 4 %, its whole buffer.
    r = gai_kapadia(6, 5, capital_ratio=0.04, interbank_share=0.2, draws=3, seed=1)
    assert r.n_defaults.tolist() == [6, 6, 6]
    assert r.probability == 1.0 and r.extent == 1.0
    # A hair more capital and the loss is absorbed: only the trigger defaults.
    r = gai_kapadia(6, 5, capital_ratio="0.0400001", interbank_share=0.2, draws=3, seed=1)
    assert r.n_defaults.tolist() == [1, 1, 1]
    r = gai_kapadia(6, 5, capital_ratio=Fraction(1, 25), interbank_share="1/5", draws=2, seed=1)
    assert r.n_defaults.tolist() == [6, 6]


def test_gai_kapadia_boundary_is_exact_where_floats_are_not() -> None:
    # 3 loans of 30 %: one lost costs 0.3 / 3, which in floating point is
    # 0.09999999999999999 < 0.1, but exactly equals the 10 % buffer.
    assert 0.3 / 3 < 0.1
    r = gai_kapadia(4, 3, capital_ratio=0.1, interbank_share=0.3, draws=2, seed=0)
    assert r.n_defaults.tolist() == [4, 4]
    r = gai_kapadia(4, 3, capital_ratio=0.1000001, interbank_share=0.3, draws=2, seed=0)
    assert r.n_defaults.tolist() == [1, 1]


def test_gai_kapadia_robust_yet_fragile() -> None:
    # Gai & Kapadia (2010), Fig. 1 (n = 1000, 4 % capital, 20 % interbank assets):
    # no contagion below z = 1, frequent and near-total contagion for z around 2-8,
    # then contagion becomes rare as z grows although it stays near-total when it
    # happens. Smaller n here to stay fast.
    n, draws = 500, 100
    low = gai_kapadia(n, 0.5, draws=draws, seed=11)
    mid = gai_kapadia(n, 4.0, draws=draws, seed=12)
    edge = gai_kapadia(n, 8.0, draws=draws, seed=13)
    high = gai_kapadia(n, 14.0, draws=draws, seed=14)
    assert low.probability <= 0.03
    assert mid.probability >= 0.7 and mid.extent >= 0.9
    assert 0 < edge.probability < mid.probability and edge.extent >= 0.95
    assert high.probability <= 0.03
    # Extent is conditional on contagion and so measured in shares of all banks.
    assert mid.extent == pytest.approx(mid.n_defaults[mid.contagion].mean() / n)
    assert ((mid.n_defaults >= 25) == mid.contagion).all()  # 5 % of 500


def test_gai_kapadia_reproducible_and_draw_by_draw() -> None:
    a = gai_kapadia(200, 3.0, draws=20, seed=5)
    b = gai_kapadia(200, 3.0, draws=20, seed=5)
    c = gai_kapadia(200, 3.0, draws=10, seed=5)
    np.testing.assert_array_equal(a.n_defaults, b.n_defaults)
    np.testing.assert_array_equal(a.n_defaults[:10], c.n_defaults)
    assert not np.array_equal(a.n_defaults, gai_kapadia(200, 3.0, draws=20, seed=6).n_defaults)


def test_gai_kapadia_no_interbank_assets_nothing_spreads() -> None:
    r = gai_kapadia(50, 10, interbank_share=0, draws=5, seed=0)
    assert r.n_defaults.tolist() == [1] * 5
    assert r.probability == 0.0 and np.isnan(r.extent)


# --------------------------------------------------------------------------
# Input validation
# --------------------------------------------------------------------------

GOOD_L = np.array([[0.0, 1.0], [1.0, 0.0]])


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"liabilities": np.ones((2, 3))}, "liabilities must be a square"),
        ({"liabilities": [[0.0, -1.0], [1.0, 0.0]]}, "liabilities must be non-negative"),
        ({"liabilities": [[0.0, np.nan], [1.0, 0.0]]}, "liabilities must not contain NaN"),
        ({"liabilities": [[1.0, 1.0], [1.0, 0.0]]}, "liabilities must have a zero diagonal"),
        ({"external_assets": [1.0]}, "external_assets must have shape"),
        ({"external_assets": [1.0, np.inf]}, "external_assets must not contain NaN"),
        ({"external_liabilities": [1.0, -2.0]}, "external_liabilities must be non-negative"),
        ({"seniority": "junior"}, "seniority must be"),
    ],
)
def test_eisenberg_noe_validation(kwargs: dict, match: str) -> None:
    args = {"liabilities": GOOD_L, "external_assets": [1.0, 1.0]} | kwargs
    with pytest.raises(ValueError, match=match):
        eisenberg_noe(**args)


@pytest.mark.parametrize(("alpha", "beta", "match"), [(1.1, 1, "alpha"), (1, -0.1, "beta"), (np.nan, 1, "alpha")])
def test_rogers_veraart_validation(alpha: float, beta: float, match: str) -> None:
    with pytest.raises(ValueError, match=match):
        rogers_veraart(GOOD_L, [1.0, 1.0], alpha, beta)


@pytest.mark.parametrize("fn", [debtrank, linear_debtrank])
def test_debtrank_validation(fn) -> None:
    with pytest.raises(ValueError, match="equity must be non-negative"):
        fn(GOOD_L, [-1.0, 1.0], [0])
    with pytest.raises(ValueError, match="psi"):
        fn(GOOD_L, [1.0, 1.0], [0], psi=2.0)
    with pytest.raises(ValueError, match="shocked has indices"):
        fn(GOOD_L, [1.0, 1.0], [5])
    with pytest.raises(ValueError, match="exactly one"):
        fn(GOOD_L, [1.0, 1.0])
    with pytest.raises(ValueError, match="initial_h"):
        fn(GOOD_L, [1.0, 1.0], initial_h=[0.5, 1.5])
    with pytest.raises(ValueError, match="exposures must be a square"):
        fn(np.ones(3), [1.0, 1.0, 1.0], [0])


def test_linear_debtrank_recovery_validation() -> None:
    with pytest.raises(ValueError, match="recovery"):
        linear_debtrank(GOOD_L, [1.0, 1.0], [0], recovery=1.5)


def test_furfine_validation() -> None:
    with pytest.raises(ValueError, match="lgd"):
        furfine(GOOD_L, [1.0, 1.0], [0], lgd=1.2)
    with pytest.raises(ValueError, match="capital must have shape"):
        furfine(GOOD_L, [1.0], [0])
    with pytest.raises(ValueError, match="initial_failures"):
        furfine(GOOD_L, [1.0, 1.0], [0.5])


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"n": 1}, "n must be"),
        ({"z": 0}, "z must be"),
        ({"z": 50}, "z must be"),
        ({"capital_ratio": -0.1}, "capital_ratio"),
        ({"interbank_share": 1.5}, "interbank_share"),
        ({"interbank_share": "abc"}, "interbank_share"),
        ({"draws": 0}, "draws"),
        ({"contagion_threshold": 0}, "contagion_threshold"),
    ],
)
def test_gai_kapadia_validation(kwargs: dict, match: str) -> None:
    args = {"n": 20, "z": 3.0, "draws": 2} | kwargs
    with pytest.raises(ValueError, match=match):
        gai_kapadia(**args)
