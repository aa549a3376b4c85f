"""Small array helpers shared by the vectorized populations and the model."""

from __future__ import annotations

import numpy as np


def sum_by(index: np.ndarray, weights: np.ndarray, size: int) -> np.ndarray:
    """Sum ``weights`` into ``size`` bins by ``index``; always float64.

    ``np.bincount`` returns integers when its input is empty, even with
    weights, which then breaks in-place float arithmetic.
    """
    return np.bincount(index, weights=weights, minlength=size).astype(np.float64, copy=False)
