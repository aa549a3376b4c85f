"""Small array helpers shared by the vectorized populations and the model."""

from __future__ import annotations

import numpy as np


def sum_by(index: np.ndarray, weights: np.ndarray, size: int) -> np.ndarray:
    """Sum ``weights`` into ``size`` bins by ``index``; always float64.

    ``np.bincount`` returns integers when its input is empty, even with
    weights, which then breaks in-place float arithmetic.
    """
    return np.bincount(index, weights=weights, minlength=size).astype(np.float64, copy=False)


# numpy reduces along a short last axis one row at a time; for the few holding
# or loan slots per agent, a pass per column is several times faster.


def row_sum(a: np.ndarray) -> np.ndarray:
    """``a.sum(axis=1)`` for a 2-D array with few columns."""
    out = a[:, 0].copy()
    for k in range(1, a.shape[1]):
        out += a[:, k]
    return out


def first_true(a: np.ndarray) -> np.ndarray:
    """``a.argmax(axis=1)`` for a 2-D boolean array with few columns (0 where none is true)."""
    out = np.zeros(a.shape[0], dtype=np.intp)
    for k in range(a.shape[1] - 1, -1, -1):
        out[a[:, k]] = k
    return out


def shifted_counts(ids: np.ndarray, weights: np.ndarray, size: int, buffer: list) -> np.ndarray:
    """Sum ``weights`` by ``ids`` where -1 means "none": ids are shifted by one into a
    buffer kept between calls (allocating a fresh array of this size each month is
    what costs), so one pass needs no mask."""
    flat = ids.ravel()
    if not buffer or buffer[0].shape != flat.shape:
        buffer[:] = [np.empty_like(flat)]
    np.add(flat, 1, out=buffer[0])
    return sum_by(buffer[0], weights.ravel(), size + 1)[1:]


def row_any(a: np.ndarray) -> np.ndarray:
    """``a.any(axis=1)`` for a 2-D boolean array with few columns."""
    out = a[:, 0].copy()
    for k in range(1, a.shape[1]):
        out |= a[:, k]
    return out


def alias_table(weights: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Walker's alias table for sampling indices in proportion to ``weights``.

    Building costs O(n) once; each draw then costs two random numbers and two
    lookups, instead of a binary search over the cumulative weights.
    """
    n = weights.size
    prob = weights * (n / weights.sum())
    alias = np.arange(n)
    small = [i for i in range(n) if prob[i] < 1.0]
    large = [i for i in range(n) if prob[i] >= 1.0]
    while small and large:
        s, g = small.pop(), large.pop()
        alias[s] = g
        prob[g] -= 1.0 - prob[s]
        (small if prob[g] < 1.0 else large).append(g)
    for i in small + large:  # leftovers are 1 up to rounding
        prob[i] = 1.0
    return prob, alias


def alias_sample(table: tuple[np.ndarray, np.ndarray], size: int | tuple[int, ...],
                 rng: np.random.Generator) -> np.ndarray:
    """Indices drawn from an :func:`alias_table`."""
    return alias_pick(table, rng.random(size))


def alias_pick(table: tuple[np.ndarray, np.ndarray], u: np.ndarray) -> np.ndarray:
    """Map uniforms ``u`` in [0, 1) to indices of an :func:`alias_table`: one uniform
    a draw (its integer part picks a column, its fraction decides column or alias)."""
    prob, alias = table
    scaled = u * prob.size
    idx = np.minimum(scaled.astype(np.intp), prob.size - 1)
    return np.where(scaled - idx < prob[idx], idx, alias[idx])
