"""The array helpers the populations are built on: exact sampling, normal draws, row scans."""

import os
import subprocess
import sys

import numpy as np
import pytest
from scipy import stats

from sandbox.arrays import first_true, guide_pick, guide_sample, guide_table, standard_normal


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


def test_first_true_is_the_first_true_column():
    a = np.random.default_rng(7).random((1000, 4)) < 0.3
    rows = a.any(axis=1)
    np.testing.assert_array_equal(first_true(a)[rows], a.argmax(axis=1)[rows])
    assert (first_true(a)[~rows] == 0).all()


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="glibc's allocator")
@pytest.mark.parametrize(("setting", "expected"), [("1", "True"), ("0", "False")])
def test_keep_freed_memory_can_be_switched_off(setting, expected):
    code = "import sandbox.memory as m; print(m.keep_freed_memory())"
    env = dict(os.environ, SANDBOX_KEEP_FREED_MEMORY=setting)
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True)
    assert out.stdout.strip() == expected
