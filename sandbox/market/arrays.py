"""Small array helpers shared by the vectorized populations and the model."""

from __future__ import annotations

from typing import NamedTuple

import numpy as np


def sum_by(index: np.ndarray, weights: np.ndarray, size: int) -> np.ndarray:
    """Sum ``weights`` into ``size`` bins by ``index``; always float64.

    ``np.bincount`` returns integers when its input is empty, even with
    weights, which then breaks in-place float arithmetic.
    """
    return np.bincount(index, weights=weights, minlength=size).astype(np.float64, copy=False)


def sampled(count: int, resolution: float) -> int:
    """How many people represent ``count`` real ones at ``resolution`` (simulated per real
    person): ``count x resolution`` rounded, at least one. Each then stands for
    ``count / sampled`` real people, so totals are exact whatever the rounding."""
    return max(1, round(count * resolution))


# numpy reduces along a short last axis one row at a time; for the few holding
# or loan slots per agent, a pass per column is several times faster.


def row_sum(a: np.ndarray) -> np.ndarray:
    """``a.sum(axis=1)`` for a 2-D array with few columns."""
    if a.shape[1] == 1:
        return a[:, 0].copy()
    out = a[:, 0] + a[:, 1]  # the first two in one pass, no copy of the first column first
    for k in range(2, a.shape[1]):
        out += a[:, k]
    return out


#: Dummy bins the empty id (-1) is spread over in :func:`shifted_counts`, and the length
#: of the pattern that spreads them (a small array reused chunk by chunk, kept in cache).
EMPTY_BINS = 16
_SPREAD_CHUNK = 1 << 16


def shifted_counts(ids: np.ndarray, weights: np.ndarray, size: int, buffer: list) -> np.ndarray:
    """Sum ``weights`` into ``size`` bins by ``ids`` (intp), where -1 means "none".

    The ids go into a buffer kept between calls (allocating a fresh array of this
    size each month is what costs), with each -1 turned into one of
    :data:`EMPTY_BINS` dummy bins past ``size``, taken in turn along the array.
    ``bincount`` adds element by element, so a long run of empty slots in a single
    bin is a chain of additions each waiting for the last; spread over several bins
    they overlap (the count over millions of holdings takes about half the time).
    Every real bin gets the same additions in the same order, so its sum is
    bit-identical whatever the empty slots hold. Read as unsigned, -1 is the largest
    integer, so one ``minimum`` with the dummy bin maps it there and leaves every
    id below ``size`` as it is.
    """
    flat = ids.ravel()
    if not buffer or buffer[0].shape != flat.shape or buffer[1][0] != size:
        dummy = (size + np.arange(_SPREAD_CHUNK) % EMPTY_BINS).astype(np.uint64)
        buffer[:] = [np.empty(flat.shape, dtype=np.intp), dummy]
    shifted, dummy = buffer[0].view(np.uint64), buffer[1]
    unsigned = flat.astype(np.intp, copy=False).view(np.uint64)
    for start in range(0, flat.size, _SPREAD_CHUNK):
        stop = min(start + _SPREAD_CHUNK, flat.size)
        np.minimum(unsigned[start:stop], dummy[: stop - start], out=shifted[start:stop])
    return sum_by(buffer[0], weights.ravel(), size + EMPTY_BINS)[:size]


def _row_ends(flat: np.ndarray, width: int) -> np.ndarray:
    """Where each row's indices end in ascending indices ``flat`` into a raveled ``(rows, width)`` array."""
    rows = int(flat[-1]) // width + 1 if flat.size else 0
    return np.searchsorted(flat, np.arange(1, rows + 1) * width)


def flat_columns(flat: np.ndarray, width: int) -> np.ndarray:
    """``flat % width`` for ascending non-negative indices into a raveled ``(rows, width)`` array.

    Ascending indices come row by row, so each index's column is the index less its
    row's start, found by one ``searchsorted`` per row: a subtraction per element
    instead of numpy's 64-bit integer remainder (about three times slower, over
    millions of holdings a month).
    """
    column = flat.copy()
    start = 0
    for r, end in enumerate(_row_ends(flat, width).tolist()):
        column[start:end] -= r * width
        start = end
    return column


def split_flat(flat: np.ndarray, width: int) -> tuple[np.ndarray, np.ndarray]:
    """``np.divmod(flat, width)`` for ascending non-negative ``flat`` (see :func:`flat_columns`)."""
    ends = _row_ends(flat, width)
    row = np.repeat(np.arange(ends.size, dtype=flat.dtype), np.diff(ends, prepend=0))
    return row, flat_columns(flat, width)


def row_any(a: np.ndarray) -> np.ndarray:
    """``a.any(axis=1)`` for a 2-D boolean array with few columns."""
    if a.shape[1] == 1:
        return a[:, 0].copy()
    out = a[:, 0] | a[:, 1]
    for k in range(2, a.shape[1]):
        out |= a[:, k]
    return out


class GuideTable(NamedTuple):
    """What :func:`guide_table` builds: over the positive weights only, their
    cumulative shares, the guide, and the rows they are at in ``weights``."""

    cdf: np.ndarray
    guide: np.ndarray
    rows: np.ndarray


def guide_table(weights: np.ndarray, density: int = 4) -> GuideTable:
    """A table for drawing indices in proportion to ``weights`` by inverse CDF.

    Chen and Asau's guide table: ``guide[b]`` is the first index whose
    cumulative share exceeds ``b / T`` (``T = density`` times the number of
    positive weights), so a draw starts there and steps forward at most a few
    places. Exact. Zero weights are left out first: a draw would otherwise
    step over a run of them one at a time (failed platforms in a row).

    The guide is built by counting, for each bucket, the indices whose
    cumulative share lies below it (a ``bincount`` and a ``cumsum``: several
    times faster than a ``searchsorted`` of every bucket). Shares are scaled up
    by a hair first, so rounding can only make a guide entry smaller: a draw
    then takes one step more, never a wrong index.
    """
    rows = np.flatnonzero(weights > 0)
    if rows.size == 0:
        raise ValueError("guide_table needs at least one positive weight")
    cdf = np.cumsum(weights[rows], dtype=np.float64)
    cdf /= cdf[-1]
    cdf[-1] = np.inf  # every draw stops at the last weight at the latest
    steps = density * rows.size
    bucket = np.ceil(cdf[:-1] * (steps * (1 + 1e-12))).astype(np.intp)  # first bucket start >= each share
    np.minimum(bucket, steps, out=bucket)
    guide = np.cumsum(np.bincount(bucket, minlength=steps + 1)[:steps])
    return GuideTable(cdf, guide, rows)


def guide_sample(table: GuideTable, size: int | tuple[int, ...], rng: np.random.Generator) -> np.ndarray:
    """Indices drawn from a :func:`guide_table`, one uniform each."""
    return guide_pick(table, rng.random(size))


def stratified(rng: np.random.Generator, size: int | tuple[int, int]) -> np.ndarray:
    """Uniforms in [0, 1), one in each of ``k`` equal strata in random order (along the last
    axis of ``size``, ``k`` its length).

    Drawn through :func:`guide_pick`, each index gets within one of its expected
    number of draws: a sampled population spreads over platforms as the many
    people it stands for would, not in lumps (stratified sampling).
    """
    shape = (1, size) if isinstance(size, int) else size
    k = shape[-1]
    order = rng.permuted(np.broadcast_to(np.arange(k), shape), axis=-1)
    u = (order + rng.random(shape)) / max(k, 1)
    return u.reshape(size)


def guide_pick(table: GuideTable, u: np.ndarray) -> np.ndarray:
    """Map uniforms ``u`` in [0, 1) to indices of a :func:`guide_table`'s weights: the
    first index whose cumulative share exceeds ``u``."""
    cdf, guide, rows = table
    flat_u = u.ravel()
    # float64 -> int32 is vectorized in numpy, float64 -> int64 is not (10x slower here).
    idx = guide[(flat_u * guide.size).astype(np.int32)]
    behind = np.flatnonzero(cdf[idx] <= flat_u)
    while behind.size:  # a few passes, over fewer draws each time
        idx[behind] += 1
        behind = behind[cdf[idx[behind]] <= flat_u[behind]]
    return rows[idx].reshape(u.shape)


def uniform32(rng: np.random.Generator, n: int) -> np.ndarray:
    """``n`` uniforms in [0, 1) as float32, with 24 random bits each.

    Two per 64-bit draw of the bit generator: about twice as fast as
    ``rng.random(n, dtype=np.float32)``, which draws 32 bits at a time.
    """
    bits = rng.bit_generator.random_raw((n + 1) // 2).view(np.uint32)[:n]
    np.right_shift(bits, np.uint32(8), out=bits)  # in place: the raw draws are ours
    out = bits.astype(np.float32)
    out *= np.float32(2.0**-24)
    return out


def standard_normal(rng: np.random.Generator, shape: int | tuple[int, ...]) -> np.ndarray:
    """Standard normal draws as float32, by the Box-Muller transform.

    Exact up to float32 rounding (the largest draw is about 5.8), and about
    three times as fast as ``rng.standard_normal(dtype=np.float32)``: numpy's
    float32 ``log``, ``sin`` and ``cos`` are vectorized, its ziggurat is not.
    """
    n = int(np.prod(shape))
    half = (n + 1) // 2
    u = uniform32(rng, 2 * half)
    radius = np.negative(u[:half], out=u[:half])  # in place: the uniforms are ours
    np.log1p(radius, out=radius)  # 1 - u is in (0, 1]
    radius *= -2.0
    np.sqrt(radius, out=radius)
    angle = u[half:]
    angle *= np.float32(2 * np.pi)
    out = np.empty(2 * half, dtype=np.float32)
    np.cos(angle, out=out[:half])
    np.sin(angle, out=out[half:])
    out[:half] *= radius
    out[half:] *= radius
    return out[:n].reshape(shape)


def entry_months(rng: np.random.Generator, n: int, active_at_start: float, adoption_months: int) -> np.ndarray:
    """Each agent's month of entry, sorted (int32).

    A share ``active_at_start`` is there from month 0; the others enter in a
    month drawn uniformly from 1 to ``adoption_months``. Sorted, so the agents
    in the market in any month are a prefix of the population. A population
    draws every other trait independently of entry, so sorting leaves its law
    unchanged.
    """
    joins_later = rng.random(n) >= active_at_start
    return np.sort(np.where(joins_later, rng.integers(1, adoption_months + 1, n), 0).astype(np.int32))


def count_at_most(sorted_values: np.ndarray, value: int) -> int:
    """How many of ``sorted_values`` (ascending) are at most ``value``.

    ``value`` is cast to the array's dtype first: numpy would otherwise convert the
    whole int32 array to int64 to compare it with a Python int (a full pass over
    millions of entry months, several times a month at national scale).
    """
    return int(np.searchsorted(sorted_values, sorted_values.dtype.type(value), side="right"))


def bernoulli_indices(rng: np.random.Generator, n: int, p: float) -> np.ndarray:
    """Sorted indices in ``range(n)``, each chosen independently with probability ``p``.

    Drawn as the geometric gaps between one chosen index and the next, so the
    cost follows the number chosen (about ``n * p``), not ``n``. Exact up to
    float32 rounding, like :func:`standard_normal`.
    """
    if p >= 1:
        return np.arange(n)
    if p <= 0 or n == 0:
        return np.zeros(0, dtype=np.intp)
    scale = np.float32(1.0 / np.log1p(-p))
    chunks, start = [], 0
    while start < n:
        k = int((n - start) * p + 6 * np.sqrt((n - start) * p) + 16)  # nearly always enough in one go
        gaps = np.negative(uniform32(rng, k))
        np.log1p(gaps, out=gaps)
        gaps *= scale  # failures before the next success: floor(log(1 - u) / log(1 - p))
        np.minimum(gaps, np.float32(n), out=gaps)  # so the cast below cannot overflow
        index = np.cumsum(gaps.astype(np.int32) + 1, dtype=np.intp)
        index += start - 1
        chunks.append(index[: np.searchsorted(index, n)])
        start = int(index[-1]) + 1
    return chunks[0] if len(chunks) == 1 else np.concatenate(chunks)


def pair(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Two arrays of one shape as one complex64 array: ``a`` real, ``b`` imaginary (float32).

    Gathering both with one ``np.take`` of the pair is about twice as fast as
    gathering each: numpy moves an 8-byte item for the cost of a 4-byte one.
    """
    out = np.empty(np.shape(a), dtype=np.complex64)
    out.real = a
    out.imag = b
    return out


def column_max(a: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per column of a 2-D array with few rows: the first row holding the largest value, and that value.

    ``a.argmax(axis=0)`` would copy the array to reduce along its last axis.
    """
    best = a[0].copy()
    row = np.zeros(a.shape[1], dtype=np.intp)
    for k in range(1, a.shape[0]):
        better = a[k] > best  # strictly: ties keep the earlier row
        np.copyto(best, a[k], where=better)
        np.copyto(row, k, where=better)
    return row, best


def first_index(a: np.ndarray, value: np.ndarray | int | bool) -> np.ndarray:
    """Per column of a 2-D array with few rows, the first row where ``a`` equals ``value`` (0 if none)."""
    out = np.zeros(a.shape[1], dtype=np.intp)
    for k in range(a.shape[0] - 1, -1, -1):  # the last write, from the first match, wins
        np.copyto(out, k, where=a[k] == value)
    return out
