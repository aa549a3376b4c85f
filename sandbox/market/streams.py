"""The model's random streams: one per process and one per population."""

from __future__ import annotations

from dataclasses import dataclass, fields

import numpy as np


@dataclass
class Streams:
    """Independent random streams, so that a regime change in one process does not
    shift the draws of another (common random numbers across regimes).

    Each population is drawn from its own stream, so changing one population's
    size (say ``market.investors.count``) leaves the others' draws unchanged.
    """

    investor_population: np.random.Generator
    entry: np.random.Generator
    reentry: np.random.Generator
    screening: np.random.Generator
    investors: np.random.Generator
    borrowers: np.random.Generator
    platforms: np.random.Generator
    regulator: np.random.Generator
    borrower_population: np.random.Generator
    initial_platforms: np.random.Generator
    campaign: np.random.Generator  # platforms' choices under a deadline, and the checks for illegal operation
    liquidity: np.random.Generator  # intermediaries' liquidity promise at entry, their transfer-market sales
    jurisdictions: np.random.Generator  # homes and residences, entry across jurisdictions, platforms' moves
    products: np.random.Generator  # households of the products section, payment institutions, insurance sales

    @classmethod
    def from_seed(cls, seed: int) -> Streams:
        """One child of ``SeedSequence(seed)`` per stream, in field order. A new stream is
        added at the end, so the streams before it keep their draws."""
        children = np.random.SeedSequence(seed).spawn(len(fields(cls)))
        return cls(*(np.random.default_rng(c) for c in children))
