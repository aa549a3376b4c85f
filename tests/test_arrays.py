"""The array helpers the populations are built on: exact sampling, normal draws, row scans."""

import os
import subprocess
import sys

import numpy as np
import pytest
from scipy import stats

from sandbox.market.arrays import (
    bernoulli_indices,
    column_max,
    count_at_most,
    first_index,
    flat_columns,
    guide_pick,
    guide_sample,
    guide_table,
    pair,
    shifted_counts,
    split_flat,
    standard_normal,
    uniform32,
)


def test_guide_table_draws_are_the_inverse_cdf():
    """Each uniform maps to the first index whose cumulative share exceeds it, zero weights never drawn."""
    rng = np.random.default_rng(4)
    weights = np.r_[0.0, rng.lognormal(0, 2, 300), 0.0, 0.0, rng.lognormal(0, 2, 50), 0.0]
    weights[rng.random(weights.size) < 0.3] = 0.0
    u = rng.random((20_000, 5))
    idx = guide_pick(guide_table(weights), u)
    cdf = np.cumsum(weights) / weights.sum()
    np.testing.assert_array_equal(idx, np.searchsorted(cdf, u, side="right"))
    assert idx.shape == u.shape and (weights[idx] > 0).all()


def test_guide_table_is_exact_where_shares_fall_on_bucket_edges():
    """Equal weights put every cumulative share exactly on a bucket edge, where rounding
    in the table's construction would show: uniforms on and next to the edges still
    map to the first index whose share exceeds them."""
    weights = np.ones(250)
    table = guide_table(weights)
    edges = np.arange(table[1].size) / table[1].size
    u = np.concatenate([edges, np.nextafter(edges, 1.0), np.nextafter(edges, 0.0)[1:]])
    cdf = np.cumsum(weights) / weights.sum()
    np.testing.assert_array_equal(guide_pick(table, u), np.searchsorted(cdf, u, side="right"))


def test_guide_table_frequencies_match_the_weights():
    weights = np.array([0.0, 3.0, 0.0, 1.0, 6.0, 0.0])
    draws = guide_sample(guide_table(weights), 400_000, np.random.default_rng(5))
    share = np.bincount(draws, minlength=weights.size) / draws.size
    np.testing.assert_allclose(share, weights / weights.sum(), atol=0.003)


def test_guide_table_needs_a_positive_weight():
    with pytest.raises(ValueError, match="positive weight"):
        guide_table(np.zeros(4))


def test_standard_normal_is_standard_normal():
    z = standard_normal(np.random.default_rng(6), (300_001,))
    assert z.dtype == np.float32 and z.shape == (300_001,)
    assert abs(z.mean()) < 0.01 and abs(z.std() - 1) < 0.01
    assert stats.kstest(z, "norm").pvalue > 0.01
    assert standard_normal(np.random.default_rng(6), (3, 4)).shape == (3, 4)


def test_uniform32_is_uniform_on_the_unit_interval():
    u = uniform32(np.random.default_rng(8), 200_001)
    assert u.dtype == np.float32 and u.shape == (200_001,)
    assert u.min() >= 0.0 and u.max() < 1.0
    assert stats.kstest(u, "uniform").pvalue > 0.01


@pytest.mark.parametrize(("n", "p"), [(1000, 0.3), (200, 0.9), (50_000, 0.002)])
def test_bernoulli_indices_choose_each_index_independently_with_probability_p(n, p):
    rng = np.random.default_rng(9)
    draws = [bernoulli_indices(rng, n, p) for _ in range(2000)]
    for d in draws[:50]:
        assert d.dtype == np.intp and (np.diff(d) > 0).all() and (d.size == 0 or (d[0] >= 0 and d[-1] < n))
    counts = np.array([d.size for d in draws])
    # The number chosen is binomial(n, p); each index is chosen with probability p.
    assert abs(counts.mean() - n * p) < 4 * np.sqrt(n * p * (1 - p) / counts.size)
    assert counts.var() == pytest.approx(n * p * (1 - p), rel=0.15)
    hits = np.bincount(np.concatenate(draws), minlength=n) / len(draws)
    assert abs(hits[: n // 2].mean() - hits[n // 2 :].mean()) < 6 * np.sqrt(p * (1 - p) / (len(draws) * n / 2))


def test_bernoulli_indices_at_the_ends():
    rng = np.random.default_rng(10)
    np.testing.assert_array_equal(bernoulli_indices(rng, 5, 1.0), np.arange(5))
    assert bernoulli_indices(rng, 5, 0.0).size == 0 and bernoulli_indices(rng, 0, 0.5).size == 0


def test_first_index_is_the_first_matching_row():
    rng = np.random.default_rng(11)
    a = rng.integers(0, 3, (4, 1000))
    found = (a == 2).any(axis=0)
    np.testing.assert_array_equal(first_index(a, 2)[found], (a == 2).argmax(axis=0)[found])
    assert (first_index(a, 2)[~found] == 0).all()


def test_column_max_is_the_first_largest_row():
    rng = np.random.default_rng(12)
    a = rng.integers(0, 4, (5, 1000)).astype(np.float32)  # many ties
    a[:, :10] = -np.inf
    row, best = column_max(a)
    np.testing.assert_array_equal(best, a.max(axis=0))
    np.testing.assert_array_equal(row, a.argmax(axis=0))  # argmax also returns the first of tied rows


def test_pair_holds_two_float32_arrays():
    a, b = np.arange(3.0), -np.arange(3.0)
    p = pair(a, b)
    assert p.dtype == np.complex64
    np.testing.assert_array_equal(p.real, a)
    np.testing.assert_array_equal(p.imag, b)


def test_first_index_of_a_transposed_array_is_the_first_matching_column():
    """As the borrowers use it on their (borrower, slot) arrays."""
    a = np.random.default_rng(7).random((1000, 4)) < 0.3
    rows = a.any(axis=1)
    np.testing.assert_array_equal(first_index(a.T, True)[rows], a.argmax(axis=1)[rows])
    assert (first_index(a.T, True)[~rows] == 0).all()


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="glibc's allocator")
@pytest.mark.parametrize(("setting", "expected"), [("1", "True"), ("0", "False")])
def test_keep_freed_memory_can_be_switched_off(setting, expected):
    code = "import sandbox.market.memory as m; print(m.keep_freed_memory())"
    env = dict(os.environ, SANDBOX_KEEP_FREED_MEMORY=setting)
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True)
    assert out.stdout.strip() == expected


def test_count_at_most_counts_entered_prefix():
    """Entry months are sorted: the count at a month is searchsorted's, at every month and past the end."""
    months = np.array([0, 0, 0, 2, 5, 5, 9], dtype=np.int32)
    for month in range(-1, 12):
        assert count_at_most(months, month) == int(np.sum(months <= month))
    assert count_at_most(np.zeros(0, dtype=np.int32), 3) == 0


def test_shifted_counts_sums_each_id_in_order_and_ignores_empty_slots():
    """Sums per id are bit-identical to a sequential sum in array order; -1 (empty) counts nowhere,
    whatever the empty slots hold, also when the array is longer than one spreading chunk."""
    rng = np.random.default_rng(3)
    size = 7
    ids = rng.integers(-1, size, (3, 50_000))
    ids[:, 20_000:45_000] = -1  # a long run of empty slots
    weights = rng.lognormal(0, 3, ids.shape)
    buffer: list = []
    got = shifted_counts(ids, weights, size, buffer)
    flat_ids, flat_w = ids.ravel(), weights.ravel()
    for row in range(size):
        total = 0.0
        for w in flat_w[flat_ids == row]:
            total += w  # the order bincount adds in
        assert got[row] == total
    assert got.shape == (size,)
    again = shifted_counts(ids[:, :10], weights[:, :10], size + 2, buffer)  # the buffer adapts
    assert np.array_equal(again, np.bincount(ids[:, :10].ravel() + 1, weights[:, :10].ravel(), size + 3)[1:])


@pytest.mark.parametrize("width", [1, 4, 1000])
def test_split_flat_is_divmod_for_ascending_indices(width):
    """Row and column of ascending flat indices, as np.divmod gives them, including rows with no index."""
    rng = np.random.default_rng(2)
    flat = np.flatnonzero(rng.random(5 * width) < 0.3)
    flat = flat[(flat // width) != 2]  # a row with nothing in it
    row, column = split_flat(flat, width)
    assert np.array_equal(row, flat // width) and np.array_equal(column, flat % width)
    assert np.array_equal(flat_columns(flat, width), flat % width)
    assert split_flat(np.zeros(0, dtype=np.intp), width)[0].size == 0
