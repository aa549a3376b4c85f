"""Interbank contagion models: clearing, distress propagation and default cascades.

Conventions shared by every function in this module (n banks, indices 0..n-1):

* ``liabilities[i, j]`` is what bank i owes bank j (clearing models).
* ``exposures[i, j]`` is what bank i has lent to bank j: an asset of i and a
  liability of j, so distress at j hurts i (DebtRank, Furfine).
  For the same network, ``exposures == liabilities.T``.
* Failure boundary (Furfine, Gai-Kapadia): a bank fails when its loss is
  greater than *or equal to* its capital, i.e. when its net worth is no longer
  strictly positive. This is Gai and Kapadia's (2010, eq. 2.1) solvency
  condition, ``(1 - phi) A_IB + (1 - q) A_M - L_IB - D > 0``, read literally:
  a bank whose loss exactly equals its buffer has zero net worth and is not
  solvent. Gai-Kapadia applies the rule in exact rational arithmetic.

Models:

* :func:`eisenberg_noe` - Eisenberg & Noe (2001) clearing vector by the
  fictitious default algorithm, with outside creditors paid pro rata or first.
* :func:`rogers_veraart` - Rogers & Veraart (2013) clearing with default costs
  (Greatest Clearing Vector Algorithm).
* :func:`debtrank` - Battiston et al. (2012) DebtRank.
* :func:`linear_debtrank` - Bardoscia et al. (2015) linear DebtRank.
* :func:`furfine` - Furfine (2003) sequential default cascade.
* :func:`gai_kapadia` - Gai & Kapadia (2010) random-network experiment.
"""

from __future__ import annotations

import math
import numbers
from dataclasses import dataclass
from fractions import Fraction
from typing import Literal

import numpy as np
from numpy.typing import ArrayLike, NDArray

__all__ = [
    "CascadeResult",
    "ClearingResult",
    "DebtRankResult",
    "GaiKapadiaResult",
    "debtrank",
    "eisenberg_noe",
    "furfine",
    "gai_kapadia",
    "linear_debtrank",
    "rogers_veraart",
]

Seniority = Literal["pro_rata", "external_senior"]

# Safety cap on clearing iterations. Pro-rata clearing needs at most n; only
# the map steps taken with senior outside creditors (see _greatest_clearing)
# can need more.
_MAX_CLEARING_STEPS = 1_000_000


# --------------------------------------------------------------------------
# Result types
# --------------------------------------------------------------------------


@dataclass(frozen=True)
class ClearingResult:
    """Outcome of a clearing model (Eisenberg-Noe or Rogers-Veraart).

    Attributes:
        payments: Total payment ``p*`` of each bank at the clearing point,
            interbank plus outside creditors (``interbank_payments.sum(1) +
            external_payments`` up to rounding).
        interbank_payments: ``interbank_payments[i, j]`` is what bank i
            actually pays bank j.
        external_payments: What each bank actually pays its outside creditors.
        obligations: Nominal total obligation ``p_bar`` of each bank
            (interbank plus outside creditors).
        received: Interbank payments each bank receives,
            ``interbank_payments.sum(axis=0)``.
        equity: Net worth at face value of obligations,
            ``external_assets + received - obligations``. Not clipped: it is
            negative exactly for banks that cannot meet their obligations,
            and then equals minus the shortfall owed to creditors before
            default costs. Default costs (Rogers-Veraart) reduce what creditors
            get, not this book value.
        shareholder_equity: ``max(equity, 0)``, what owners keep (limited
            liability).
        defaulted: Whether the bank cannot pay its obligations in full,
            ``payments < obligations``.
        rounds: Number of fictitious-default rounds, i.e. default sets fixed
            and solved for after the first guess "everybody pays in full";
            0 when nobody defaults.
        default_order: Round (1-based) in which each bank was first found in
            default; round 1 holds the fundamental defaults (banks that fail
            even when everybody else pays in full). -1 if it never defaults.
    """

    payments: NDArray[np.float64]
    interbank_payments: NDArray[np.float64]
    external_payments: NDArray[np.float64]
    obligations: NDArray[np.float64]
    received: NDArray[np.float64]
    equity: NDArray[np.float64]
    shareholder_equity: NDArray[np.float64]
    defaulted: NDArray[np.bool_]
    rounds: int
    default_order: NDArray[np.int64]


@dataclass(frozen=True)
class DebtRankResult:
    """Outcome of a DebtRank run.

    Attributes:
        h: Final relative equity loss of each bank, in [0, 1]; 1 means the
            whole equity is lost (default).
        h_initial: Relative equity loss imposed by the initial shock.
        R: DebtRank, ``value @ (h - h_initial)``: value-weighted equity loss
            caused by propagation, excluding the initial shock itself.
        value: Relative economic value weights used for ``R`` (sum to 1).
        defaulted: ``h >= 1``.
        rounds: Number of propagation steps performed.
    """

    h: NDArray[np.float64]
    h_initial: NDArray[np.float64]
    R: float
    value: NDArray[np.float64]
    defaulted: NDArray[np.bool_]
    rounds: int


@dataclass(frozen=True)
class CascadeResult:
    """Outcome of a sequential default cascade (Furfine).

    Attributes:
        failed: Whether each bank failed (initially or by contagion).
        round_failed: Round in which each bank failed: 0 for the initial
            failures, k for the k-th contagion round, -1 if it survived.
        rounds: Number of contagion rounds in which at least one bank failed.
        losses: Cumulative credit losses of each bank from failed borrowers.
    """

    failed: NDArray[np.bool_]
    round_failed: NDArray[np.int64]
    rounds: int
    losses: NDArray[np.float64]


@dataclass(frozen=True)
class GaiKapadiaResult:
    """Outcome of a Gai-Kapadia Monte Carlo experiment.

    Attributes:
        probability: Share of draws in which contagion occurred.
        extent: Mean share of banks that defaulted (trigger included), over
            the draws with contagion; NaN if there was none.
        n_defaults: Number of defaulted banks in each draw, trigger included.
        contagion: Whether each draw counts as contagion.
        n: Number of banks.
        z: Average degree used.
        draws: Number of draws.
    """

    probability: float
    extent: float
    n_defaults: NDArray[np.int64]
    contagion: NDArray[np.bool_]
    n: int
    z: float
    draws: int


# --------------------------------------------------------------------------
# Input validation
# --------------------------------------------------------------------------


def _matrix(x: ArrayLike, name: str) -> NDArray[np.float64]:
    """Return ``x`` as a finite, non-negative, square float matrix."""
    m = np.array(x, dtype=float)
    if m.ndim != 2 or m.shape[0] != m.shape[1]:
        raise ValueError(f"{name} must be a square matrix, got shape {m.shape}")
    if not np.all(np.isfinite(m)):
        raise ValueError(f"{name} must not contain NaN or inf")
    if np.any(m < 0):
        raise ValueError(f"{name} must be non-negative")
    if np.any(np.diag(m) != 0):
        raise ValueError(f"{name} must have a zero diagonal")
    return m


def _vector(x: ArrayLike | None, n: int, name: str) -> NDArray[np.float64]:
    """Return ``x`` (zeros if None) as a finite, non-negative vector of length n."""
    v = np.zeros(n) if x is None else np.array(x, dtype=float)
    if v.shape != (n,):
        raise ValueError(f"{name} must have shape ({n},), got {v.shape}")
    if not np.all(np.isfinite(v)):
        raise ValueError(f"{name} must not contain NaN or inf")
    if np.any(v < 0):
        raise ValueError(f"{name} must be non-negative")
    return v


def _unit_interval(x: float, name: str) -> float:
    """Check that ``x`` is a finite number in [0, 1]."""
    if not isinstance(x, numbers.Real) or isinstance(x, bool):
        raise ValueError(f"{name} must be a number in [0, 1], got {x!r}")
    if not 0 <= x <= 1:  # also rejects NaN
        raise ValueError(f"{name} must be in [0, 1], got {x!r}")
    return float(x)


def _node_mask(nodes: ArrayLike, n: int, name: str) -> NDArray[np.bool_]:
    """Turn a boolean mask or a list of indices into a boolean mask."""
    a = np.asarray(nodes)
    if a.dtype == bool:
        if a.shape != (n,):
            raise ValueError(f"{name} as a mask must have shape ({n},), got {a.shape}")
        return a.copy()
    if a.size == 0:
        return np.zeros(n, dtype=bool)
    if not np.issubdtype(a.dtype, np.integer) or a.ndim != 1:
        raise ValueError(f"{name} must be a boolean mask or a 1-d list of indices")
    if np.any((a < 0) | (a >= n)):
        raise ValueError(f"{name} has indices outside 0..{n - 1}")
    mask = np.zeros(n, dtype=bool)
    mask[a] = True
    return mask


# --------------------------------------------------------------------------
# Clearing: Eisenberg-Noe and Rogers-Veraart
# --------------------------------------------------------------------------


def _relative(liab: NDArray[np.float64], total: NDArray[np.float64]) -> NDArray[np.float64]:
    """Relative liabilities ``liab[i, j] / total[i]``; rows with zero total are 0."""
    safe = np.where(total > 0, total, 1.0)
    return np.where(total[:, None] > 0, liab / safe[:, None], 0.0)


def _greatest_clearing(
    pi: NDArray[np.float64],
    obligations: NDArray[np.float64],
    net: NDArray[np.float64],
    alpha: float,
    beta: float,
) -> tuple[NDArray[np.float64], int, NDArray[np.int64]]:
    """Greatest clearing vector by fictitious default (EN 2001; RV 2013 GA).

    Solves ``q_i = obligations_i`` if bank i is solvent
    (``net_i + (pi.T @ q)_i >= obligations_i``) and otherwise
    ``q_i = max(0, alpha * net_i + beta * (pi.T @ q)_i)``.

    Each round fixes, from the current payments, the set of defaulters and,
    among them, those left with less than nothing; it then solves the linear
    system for the other defaulters' payments exactly. Starting from full
    payment the iterates never go below the greatest clearing vector (EN
    Lemma 4, RV Theorem 3.7): the default set only grows, and the process stops
    at the greatest clearing vector after at most n rounds when ``net >= 0``.

    ``net`` is negative only when outside creditors are senior. A linear solve
    can then be singular, or give a defaulter a negative payment, or step back
    up: the default sets are not the final ones yet. The clearing map is then
    applied instead (it never undershoots either) until the sets change, and
    the next round solves again. These map steps are not counted as rounds.

    Returns:
        Payments ``q``, number of rounds, and the round in which each bank was
        first in the default set (-1 if never).
    """
    n = len(obligations)
    q = obligations.copy()
    order = np.full(n, -1, dtype=np.int64)
    nobody = np.zeros(n, dtype=bool)
    solved: tuple[NDArray[np.bool_], NDArray[np.bool_]] | None
    failed: tuple[NDArray[np.bool_], NDArray[np.bool_]] | None
    solved = (nobody, nobody)  # sets behind the current q (full payment: no defaulters)
    failed = None  # sets whose linear solve was rejected
    tiny = 1e-12 * max(1.0, float(obligations.max(initial=0.0)))
    rounds = 0
    for _ in range(_MAX_CLEARING_STEPS):
        inflow = pi.T @ q
        value = alpha * net + beta * inflow  # what a defaulter can pay
        defaulted = net + inflow < obligations
        # Defaulters with less than nothing pay 0, now and at every smaller q.
        broke = defaulted & ((value < 0) | (obligations == 0))
        sets = (defaulted, broke)
        if _same(sets, solved):
            return q, rounds, order
        new = np.where(defaulted, 0.0, obligations)
        d = np.flatnonzero(defaulted & ~broke)
        q_d = None if _same(sets, failed) else _solve_defaulters(pi, new, net, d, alpha, beta)
        if q_d is not None and np.all(q_d >= -tiny) and np.all(q_d <= q[d] + tiny):
            rounds += 1
            order[defaulted & (order < 0)] = rounds
            new[d] = np.clip(q_d, 0.0, q[d])
            solved, failed = sets, None
        else:
            new[d] = np.maximum(0.0, value[d])  # one step of the clearing map
            solved, failed = None, sets
        q = new
    raise RuntimeError(f"clearing did not converge in {_MAX_CLEARING_STEPS} steps")


def _same(
    a: tuple[NDArray[np.bool_], NDArray[np.bool_]] | None,
    b: tuple[NDArray[np.bool_], NDArray[np.bool_]] | None,
) -> bool:
    """Whether two (defaulted, broke) set pairs are equal."""
    return a is not None and b is not None and all(map(np.array_equal, a, b))


def _solve_defaulters(
    pi: NDArray[np.float64],
    payments: NDArray[np.float64],
    net: NDArray[np.float64],
    d: NDArray[np.int64],
    alpha: float,
    beta: float,
) -> NDArray[np.float64] | None:
    """Payments of defaulters ``d`` if everyone else pays ``payments``; None if singular.

    Solves ``(I - beta * pi_dd.T) q_d = alpha * net_d + beta * (pi.T @ payments)_d``.
    """
    a = np.eye(len(d)) - beta * pi[np.ix_(d, d)].T
    b = alpha * net[d] + beta * (pi.T @ payments)[d]
    try:
        return np.linalg.solve(a, b)
    except np.linalg.LinAlgError:
        return None


def _check_square_inputs(
    liabilities: ArrayLike,
    external_assets: ArrayLike,
    external_liabilities: ArrayLike | None,
) -> tuple[NDArray[np.float64], NDArray[np.float64], NDArray[np.float64]]:
    """Validate the three balance-sheet inputs of the clearing models."""
    liab = _matrix(liabilities, "liabilities")
    n = liab.shape[0]
    e = _vector(external_assets, n, "external_assets")
    b = _vector(external_liabilities, n, "external_liabilities")
    return liab, e, b


def _clearing_result(
    payments: NDArray[np.float64],
    payments_interbank: NDArray[np.float64],
    external_payments: NDArray[np.float64],
    obligations: NDArray[np.float64],
    external_assets: NDArray[np.float64],
    rounds: int,
    order: NDArray[np.int64],
) -> ClearingResult:
    """Assemble a :class:`ClearingResult` from the clearing payments."""
    received = payments_interbank.sum(axis=0)
    equity = external_assets + received - obligations
    return ClearingResult(
        payments=payments,
        interbank_payments=payments_interbank,
        external_payments=external_payments,
        obligations=obligations,
        received=received,
        equity=equity,
        shareholder_equity=np.maximum(equity, 0.0),
        defaulted=order >= 0,
        rounds=rounds,
        default_order=order,
    )


def eisenberg_noe(
    liabilities: ArrayLike,
    external_assets: ArrayLike,
    external_liabilities: ArrayLike | None = None,
    seniority: Seniority = "pro_rata",
) -> ClearingResult:
    """Eisenberg-Noe (2001) clearing vector by the fictitious default algorithm.

    Let ``L = liabilities`` (``L[i, j]`` = what i owes j), ``e`` the outside
    assets and ``b`` what each bank owes outside creditors.

    * ``"pro_rata"``: outside creditors rank equally with interbank creditors.
      The total obligation is ``p_bar_i = sum_j L[i, j] + b_i`` and each
      creditor gets the share ``L[i, j] / p_bar_i`` (outside: ``b_i / p_bar_i``)
      of what i pays. The clearing vector solves
      ``p = min(p_bar, e + Pi.T @ p)``.
    * ``"external_senior"``: outside creditors are paid first from everything
      the bank has (outside assets plus interbank receipts); only the rest goes
      to interbank creditors, pro rata. With ``l_i = sum_j L[i, j]`` and
      ``Pi = L / l`` the interbank payments solve
      ``q = min(l, max(0, e - b + Pi.T @ q))``.

    The greatest clearing vector is computed with the fictitious default
    algorithm: start from full payment, fix the set of defaulters, solve their
    payments exactly with ``numpy.linalg.solve``, and repeat until the default
    set stops changing (at most n rounds with pro-rata seniority).

    Args:
        liabilities: n x n nominal interbank liabilities, zero diagonal.
        external_assets: Outside assets of each bank.
        external_liabilities: Obligations to outside creditors (default 0).
        seniority: ``"pro_rata"`` or ``"external_senior"``.

    Returns:
        A :class:`ClearingResult`; ``payments`` are total payments (interbank
        plus outside creditors).

    Raises:
        ValueError: On malformed inputs or an unknown ``seniority``.
    """
    if seniority not in ("pro_rata", "external_senior"):
        raise ValueError(f"seniority must be 'pro_rata' or 'external_senior', got {seniority!r}")
    liab, e, b = _check_square_inputs(liabilities, external_assets, external_liabilities)
    interbank = liab.sum(axis=1)
    obligations = interbank + b
    if seniority == "pro_rata":
        pi = _relative(liab, obligations)
        p, rounds, order = _greatest_clearing(pi, obligations, e, 1.0, 1.0)
        matrix = pi * p[:, None]
        paid_out = np.where(obligations > 0, p * b / np.where(obligations > 0, obligations, 1), 0)
        total = p
    else:
        pi = _relative(liab, interbank)
        q, rounds, order = _greatest_clearing(pi, interbank, e - b, 1.0, 1.0)
        matrix = pi * q[:, None]
        # Outside creditors take first call on all resources.
        paid_out = np.minimum(b, e + matrix.sum(axis=0))
        total = q + paid_out
    return _clearing_result(total, matrix, paid_out, obligations, e, rounds, order)


def rogers_veraart(
    liabilities: ArrayLike,
    external_assets: ArrayLike,
    alpha: float,
    beta: float,
    external_liabilities: ArrayLike | None = None,
) -> ClearingResult:
    """Rogers-Veraart (2013) clearing vector with default costs.

    A solvent bank (``e_i + (Pi.T @ p)_i >= p_bar_i``, assets at full value)
    pays ``p_bar_i``; a defaulting bank realises only ``alpha`` of its outside
    assets and ``beta`` of its interbank receipts and pays
    ``alpha * e_i + beta * (Pi.T @ p)_i``. Outside creditors are paid pro rata
    (``p_bar_i = sum_j L[i, j] + b_i``, ``Pi = L / p_bar``), as in
    Eisenberg-Noe's ``"pro_rata"`` convention.

    The greatest clearing vector is found with Rogers and Veraart's Greatest
    Clearing Vector Algorithm (their Definition 3.6): start with full payment,
    fix the defaulters, solve ``(I - beta Pi_DD.T) p_D = alpha e_D + beta
    Pi_SD.T p_bar_S`` exactly, and repeat until the default set is unchanged.
    With ``alpha = beta = 1`` this is exactly :func:`eisenberg_noe`.

    Args:
        liabilities: n x n nominal interbank liabilities, zero diagonal.
        external_assets: Outside assets of each bank.
        alpha: Fraction of outside assets a defaulting bank realises, in [0, 1].
        beta: Fraction of interbank receipts a defaulting bank realises, in [0, 1].
        external_liabilities: Obligations to outside creditors (default 0).

    Returns:
        A :class:`ClearingResult`; ``equity`` is book net worth before default
        costs (see :class:`ClearingResult`).

    Raises:
        ValueError: On malformed inputs or ``alpha``/``beta`` outside [0, 1].
    """
    alpha = _unit_interval(alpha, "alpha")
    beta = _unit_interval(beta, "beta")
    liab, e, b = _check_square_inputs(liabilities, external_assets, external_liabilities)
    obligations = liab.sum(axis=1) + b
    pi = _relative(liab, obligations)
    p, rounds, order = _greatest_clearing(pi, obligations, e, alpha, beta)
    paid_out = np.where(obligations > 0, p * b / np.where(obligations > 0, obligations, 1), 0)
    return _clearing_result(p, pi * p[:, None], paid_out, obligations, e, rounds, order)


# --------------------------------------------------------------------------
# DebtRank
# --------------------------------------------------------------------------


def _debtrank_inputs(
    exposures: ArrayLike,
    equity: ArrayLike,
    shocked: ArrayLike | None,
    psi: float,
    initial_h: ArrayLike | None,
    value: ArrayLike | None,
) -> tuple[NDArray[np.float64], NDArray[np.float64], NDArray[np.float64], NDArray[np.float64]]:
    """Validate DebtRank inputs; return exposures, equity, h(1) and weights."""
    a = _matrix(exposures, "exposures")
    n = a.shape[0]
    eq = _vector(equity, n, "equity")
    if (shocked is None) == (initial_h is None):
        raise ValueError("give exactly one of shocked (with psi) or initial_h")
    if shocked is not None:
        psi = _unit_interval(psi, "psi")
        h0 = np.where(_node_mask(shocked, n, "shocked"), psi, 0.0)
    else:
        h0 = _vector(initial_h, n, "initial_h")
        if np.any(h0 > 1):
            raise ValueError("initial_h must be in [0, 1]")
    # Default weights: each bank's share of total interbank lending.
    v = a.sum(axis=1) if value is None else _vector(value, n, "value")
    total = v.sum()
    v = v / total if total > 0 else np.full(n, 1.0 / n)
    return a, eq, h0, v


def _leverage(a: NDArray[np.float64], equity: NDArray[np.float64]) -> NDArray[np.float64]:
    """``a[i, j] / equity[i]``; a bank with zero equity is wiped out by any loss."""
    with np.errstate(divide="ignore", invalid="ignore"):
        lev = a / equity[:, None]
    return np.where(a > 0, lev, 0.0)  # 0/0 -> 0, x/0 -> inf


def debtrank(
    exposures: ArrayLike,
    equity: ArrayLike,
    shocked: ArrayLike | None = None,
    psi: float = 1.0,
    *,
    initial_h: ArrayLike | None = None,
    value: ArrayLike | None = None,
) -> DebtRankResult:
    """Original DebtRank (Battiston et al. 2012, Sci. Rep. 2:541).

    ``exposures[i, j]`` is what i has lent to j, so a loss at j hurts i. The
    impact of j on i is ``W[i, j] = min(1, exposures[i, j] / equity[i])``
    (the paper's ``W_ji``). Each bank is undistressed, distressed or inactive.
    At every step

        ``h_i(t) = min(1, h_i(t-1) + sum_{j distressed at t-1} W[i, j] h_j(t-1))``

    then banks distressed at t-1 become inactive and banks with ``h > 0`` that
    were undistressed become distressed. A bank therefore propagates its
    distress only once, in the step after it first becomes distressed; the run
    ends when no bank is distressed.

    DebtRank is ``R = sum_i value_i (h_i(T) - h_i(1))``, the value-weighted
    loss caused by propagation alone. By default ``value`` is each bank's share
    of total interbank lending (``exposures.sum(axis=1)``), standing in for the
    paper's relative economic value; pass ``value`` to use e.g. total assets.

    Args:
        exposures: n x n matrix, ``exposures[i, j]`` = amount i lent to j.
        equity: Equity (capital) of each bank, non-negative.
        shocked: Initially distressed banks (indices or boolean mask); each
            gets ``h = psi``. Give either this or ``initial_h``.
        psi: Initial relative equity loss of the shocked banks, in [0, 1].
        initial_h: Initial relative equity loss of every bank, in [0, 1].
        value: Economic-value weights (normalised to sum to 1).

    Returns:
        A :class:`DebtRankResult`.

    Raises:
        ValueError: On malformed inputs.
    """
    a, eq, h, v = _debtrank_inputs(exposures, equity, shocked, psi, initial_h, value)
    w = np.minimum(1.0, _leverage(a, eq))
    h_initial = h.copy()
    distressed = h > 0
    inactive = np.zeros_like(distressed)
    rounds = 0
    while distressed.any():
        rounds += 1
        h = np.minimum(1.0, h + w[:, distressed] @ h[distressed])
        inactive |= distressed
        distressed = (h > 0) & ~inactive
    return DebtRankResult(
        h=h,
        h_initial=h_initial,
        R=float(v @ (h - h_initial)),
        value=v,
        defaulted=h >= 1.0,
        rounds=rounds,
    )


def linear_debtrank(
    exposures: ArrayLike,
    equity: ArrayLike,
    shocked: ArrayLike | None = None,
    psi: float = 1.0,
    *,
    initial_h: ArrayLike | None = None,
    recovery: float = 0.0,
    value: ArrayLike | None = None,
    tol: float = 1e-12,
    max_rounds: int = 100_000,
) -> DebtRankResult:
    """Linear DebtRank (Bardoscia et al. 2015, PLoS ONE 10(6): e0130406).

    Every *increment* of distress is passed on, not just the first one:

        ``h_i(t+1) = min(1, h_i(t) + sum_j Lambda[i, j] (h_j(t) - h_j(t-1)))``

    with ``h(0) = 0``, ``h(1)`` the initial shock and the interbank leverage
    matrix ``Lambda[i, j] = (1 - recovery) * exposures[i, j] / equity[i]``
    (not capped at 1). ``recovery`` is the fraction of a lost claim that is
    recovered (0: a unit loss of the borrower's equity is a unit loss for the
    lender, as in the paper). The run stops when the largest increment is at
    most ``tol``. When the spectral radius of ``Lambda`` is below 1 and no bank
    saturates, ``h(inf) = inv(I - Lambda) @ h(1)``.

    Args:
        exposures: n x n matrix, ``exposures[i, j]`` = amount i lent to j.
        equity: Equity (capital) of each bank, non-negative.
        shocked: Initially shocked banks (indices or boolean mask), ``h = psi``.
        psi: Initial relative equity loss of the shocked banks, in [0, 1].
        initial_h: Alternatively, initial relative equity loss of every bank.
        recovery: Recovery rate on interbank claims, in [0, 1].
        value: Economic-value weights for ``R`` (see :func:`debtrank`).
        tol: Convergence tolerance on the increments.
        max_rounds: Safety cap on the number of steps.

    Returns:
        A :class:`DebtRankResult` (``R`` excludes the initial shock).

    Raises:
        ValueError: On malformed inputs.
        RuntimeError: If it has not converged within ``max_rounds``.
    """
    recovery = _unit_interval(recovery, "recovery")
    if not tol > 0:
        raise ValueError(f"tol must be positive, got {tol!r}")
    a, eq, h, v = _debtrank_inputs(exposures, equity, shocked, psi, initial_h, value)
    lam = (1.0 - recovery) * _leverage(a, eq)
    h_initial = h.copy()
    step = h.copy()  # h(1) - h(0)
    rounds = 0
    while step.max(initial=0.0) > tol:
        if rounds >= max_rounds:
            raise RuntimeError(f"linear DebtRank did not converge in {max_rounds} rounds")
        rounds += 1
        pushed = lam[:, step > 0] @ step[step > 0]  # skip idle columns: 0 * inf is NaN
        new = np.minimum(1.0, h + pushed)
        step, h = new - h, new
    return DebtRankResult(
        h=h,
        h_initial=h_initial,
        R=float(v @ (h - h_initial)),
        value=v,
        defaulted=h >= 1.0,
        rounds=rounds,
    )


# --------------------------------------------------------------------------
# Furfine
# --------------------------------------------------------------------------


def furfine(
    exposures: ArrayLike,
    capital: ArrayLike,
    initial_failures: ArrayLike,
    lgd: float = 1.0,
) -> CascadeResult:
    """Furfine (2003) sequential default cascade.

    ``exposures[i, j]`` is what i has lent to j. When j fails, each creditor i
    loses ``lgd * exposures[i, j]``. Losses accumulate over rounds, and a bank
    fails in the round in which its cumulative loss is positive and greater
    than or equal to its capital (net worth no longer positive; see the module
    docstring), so a bank with zero capital fails on its first loss but not
    without one. Comparison is in floating point on the given numbers.

    Args:
        exposures: n x n matrix, ``exposures[i, j]`` = amount i lent to j.
        capital: Capital of each bank, non-negative.
        initial_failures: Banks failing in round 0 (indices or boolean mask).
        lgd: Loss given default, in [0, 1].

    Returns:
        A :class:`CascadeResult`.

    Raises:
        ValueError: On malformed inputs.
    """
    lgd = _unit_interval(lgd, "lgd")
    a = _matrix(exposures, "exposures")
    n = a.shape[0]
    cap = _vector(capital, n, "capital")
    failed = _node_mask(initial_failures, n, "initial_failures")
    round_failed = np.where(failed, 0, -1).astype(np.int64)
    losses = np.zeros(n)
    newly = failed.copy()
    rounds = 0
    while newly.any():
        losses += lgd * a[:, newly].sum(axis=1)
        # A bank needs an actual loss to fail, even with zero capital.
        newly = ~failed & (losses > 0) & (losses >= cap)
        if newly.any():
            rounds += 1
            failed |= newly
            round_failed[newly] = rounds
    return CascadeResult(failed=failed, round_failed=round_failed, rounds=rounds, losses=losses)


# --------------------------------------------------------------------------
# Gai-Kapadia
# --------------------------------------------------------------------------


def _exact(x: float | int | Fraction | str, name: str) -> Fraction:
    """Exact rational value of a parameter; a float means its decimal repr.

    ``0.04`` is read as 4/100, not as the binary float nearest to it, so that
    "loss equals buffer" is decided on the numbers the user wrote.
    """
    if isinstance(x, bool):
        raise ValueError(f"{name} must be a number, got {x!r}")
    try:
        r = Fraction(repr(x)) if isinstance(x, float) else Fraction(x)
    except (TypeError, ValueError):
        raise ValueError(f"{name} must be a finite number, got {x!r}") from None
    return r


def _critical_losses(k: NDArray[np.int64], ratio: Fraction | None) -> NDArray[np.int64]:
    """Fewest defaulted borrowers that make each bank fail, exactly.

    A bank with ``k`` equal interbank loans losing ``m`` of them loses
    ``m / k * interbank_share`` of its assets; it fails when that is at least
    ``capital_ratio``, i.e. when ``m >= ratio * k`` with
    ``ratio = capital_ratio / interbank_share``. ``ratio=None`` means no
    interbank assets (never fails).
    """
    never = np.iinfo(np.int64).max
    if ratio is None:
        return np.full(len(k), never, dtype=np.int64)
    # ceil(ratio * k) is 0 with zero capital: a bank then fails on its first loss.
    crit = {kk: max(math.ceil(ratio * kk), 1) for kk in np.unique(k).tolist()}
    return np.array([crit[kk] if kk > 0 else never for kk in k.tolist()], dtype=np.int64)


def _gk_draw(
    rng: np.random.Generator,
    n: int,
    p: float,
    ratio: Fraction | None,
) -> int:
    """One Gai-Kapadia draw: random network, random trigger, cascade size."""
    lends = rng.random((n, n)) < p  # lends[i, j]: i has lent to j
    np.fill_diagonal(lends, False)
    k = lends.sum(axis=1)  # number of borrowers = number of equal interbank loans
    critical = _critical_losses(k, ratio)
    failed = np.zeros(n, dtype=bool)
    newly = np.zeros(n, dtype=bool)
    newly[rng.integers(n)] = True
    lost = np.zeros(n, dtype=np.int64)  # defaulted borrowers per bank, an exact count
    while newly.any():
        failed |= newly
        lost += lends[:, newly].sum(axis=1)
        newly = ~failed & (lost >= critical)
    return int(failed.sum())


def gai_kapadia(
    n: int,
    z: float,
    capital_ratio: float | Fraction | str = 0.04,
    interbank_share: float | Fraction | str = 0.2,
    draws: int = 1000,
    seed: int | None = 0,
    contagion_threshold: float | Fraction | str = 0.05,
) -> GaiKapadiaResult:
    """Gai & Kapadia (2010, Proc. R. Soc. A 466:2401) contagion experiment.

    In each draw: a directed Erdos-Renyi network on ``n`` banks where each of
    the ``n (n - 1)`` possible loans exists independently with probability
    ``z / (n - 1)`` (so ``z`` is the average in- and out-degree). Every bank
    has the same total assets; a bank with ``k >= 1`` borrowers holds
    ``interbank_share`` of its assets in ``k`` equal interbank loans (a bank
    with no borrowers holds none); interbank liabilities follow from the
    network; capital is ``capital_ratio`` of total assets; the rest is funded
    by deposits. One bank chosen uniformly at random defaults; defaulted loans
    recover nothing (and there are no fire sales, q = 0), and losses propagate
    until no more banks fail.

    Failure rule, exact: bank i with ``k_i`` loans of which ``m_i`` have
    defaulted stays solvent only if ``(1 - m_i/k_i) A_IB + A_M - L_IB - D > 0``
    (Gai and Kapadia's eq. 2.1 with q = 0), i.e. only if its loss
    ``m_i/k_i * interbank_share`` is strictly below ``capital_ratio``. A loss
    exactly equal to the buffer wipes out the net worth and the bank defaults.
    The test ``m_i * interbank_share >= capital_ratio * k_i`` is done in exact
    rational arithmetic, reading float parameters by their decimal repr
    (``0.04`` is exactly 1/25), so with the paper's 4 % and 20 % a bank with
    five loans fails on its first loss, whatever floating point would say.

    Contagion is counted when at least ``contagion_threshold`` of the banks,
    trigger included, default (the paper uses 5 %).

    Each draw uses its own generator spawned from
    ``numpy.random.SeedSequence(seed)``, so draw d is the same whatever the
    number of draws.

    Args:
        n: Number of banks, at least 2.
        z: Average degree, ``0 < z <= n - 1``.
        capital_ratio: Capital buffer as a share of total assets, in [0, 1].
        interbank_share: Interbank assets as a share of total assets, in [0, 1].
        draws: Number of Monte Carlo draws, at least 1.
        seed: Seed for ``numpy.random.SeedSequence``; None draws fresh entropy.
        contagion_threshold: Share of banks that must default, in (0, 1].

    Returns:
        A :class:`GaiKapadiaResult`.

    Raises:
        ValueError: On parameters out of range.
    """
    if not isinstance(n, (int, np.integer)) or isinstance(n, bool) or n < 2:
        raise ValueError(f"n must be an integer >= 2, got {n!r}")
    if not isinstance(draws, (int, np.integer)) or isinstance(draws, bool) or draws < 1:
        raise ValueError(f"draws must be an integer >= 1, got {draws!r}")
    if not isinstance(z, numbers.Real) or isinstance(z, bool) or not 0 < z <= n - 1:
        raise ValueError(f"z must be in (0, n - 1] = (0, {n - 1}], got {z!r}")
    capital = _exact(capital_ratio, "capital_ratio")
    share = _exact(interbank_share, "interbank_share")
    threshold = _exact(contagion_threshold, "contagion_threshold")
    if not 0 <= capital <= 1:
        raise ValueError(f"capital_ratio must be in [0, 1], got {capital_ratio!r}")
    if not 0 <= share <= 1:
        raise ValueError(f"interbank_share must be in [0, 1], got {interbank_share!r}")
    if not 0 < threshold <= 1:
        raise ValueError(f"contagion_threshold must be in (0, 1], got {contagion_threshold!r}")

    ratio = capital / share if share > 0 else None
    p = float(z) / (n - 1)
    children = np.random.SeedSequence(seed).spawn(draws)
    n_defaults = np.array(
        [_gk_draw(np.random.default_rng(child), n, p, ratio) for child in children],
        dtype=np.int64,
    )
    # Integer comparison: defaults / n >= threshold, exactly.
    contagion = n_defaults * threshold.denominator >= threshold.numerator * n
    extent = float(n_defaults[contagion].mean() / n) if contagion.any() else math.nan
    return GaiKapadiaResult(
        probability=float(contagion.mean()),
        extent=extent,
        n_defaults=n_defaults,
        contagion=contagion,
        n=int(n),
        z=float(z),
        draws=int(draws),
    )
