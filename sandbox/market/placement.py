"""How a simulated investor who stands for many people spreads its new money.

At resolution 1 each simulated investor is one person, who puts a month's new
money on the one platform it likes best (:meth:`InvestorPopulation._place`).
At a lower resolution each simulated investor stands for ``weight`` people who
act alike but read each platform's risk with their own noise, so they would not
all pick the same platform: the group's money goes to each option in the share
of its people for whom that option is the best. Placing it all on the group's
single favourite would make small platforms' funding a lottery over one or two
simulated investors, and results would change with the resolution
(docs/model.md, section 2.8).

The share is the choice probability of a random-utility model: a person's score
for an option is its expected score (yield less risk aversion times perceived
risk, :meth:`InvestorPopulation._score` without the private noise) plus noise of
standard deviation ``sigma``; with Gumbel noise of the same variance the
probabilities are a softmax with scale ``sigma * sqrt(6) / pi`` (McFadden's
logit). The group holds at most ``K`` platforms (its slots), so only its best
new candidates that fit its free slots are options; shares under
``behaviour.investors.spread_floor`` are dropped (nobody places dust) and the
rest renormalised.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

#: Standard deviation of a standard Gumbel variable over its scale: a logit with scale
#: ``sigma / GUMBEL_SD`` has the noise variance of a normal one with sd ``sigma``.
GUMBEL_SD = np.pi / np.sqrt(6.0)


@dataclass(frozen=True, eq=False)
class GroupOptions:
    """What the placing groups may choose from this month (arrays over ``m`` placers).

    Scores are expected scores (``-inf``: an option the group cannot take);
    ``sd`` is the standard deviation of one person's score for that option.
    """

    held_platform: np.ndarray  # (K, m) platform row of each holding slot
    held: np.ndarray  # (K, m) scores of the holdings (-inf: empty slot or closed platform)
    held_sd: np.ndarray  # (K, m)
    candidate: np.ndarray  # (C, m) candidate platform rows (any value where not a candidate)
    cand: np.ndarray  # (C, m) scores of the candidates (-inf: not an option)
    cand_sd: np.ndarray  # (C, m)
    vacant: np.ndarray  # (K, m) bool: the slot is empty


@dataclass(frozen=True, eq=False)
class Spread:
    """Each group's placements: one entry per (placer, slot) that receives money."""

    placer: np.ndarray  # index into the placers (0 .. m-1)
    slot: np.ndarray  # holding slot (0 .. K-1)
    platform: np.ndarray  # platform row
    share: np.ndarray  # share of the placer's new money
    new: np.ndarray  # bool: a platform the group did not hold


def spread(options: GroupOptions, floor: float) -> Spread:
    """Split each group's new money over its options by their choice probabilities.

    Args:
        options: the holdings and candidates of every placer, with scores.
        floor: shares below this are dropped and the rest renormalised.

    Returns:
        The placements, as shares of each placer's new money.
    """
    o = options
    K, m = o.held.shape
    cand = _distinct(o.cand, o.candidate)
    free = o.vacant.sum(axis=0)
    # Only the best `free` candidates can be taken: the group has that many empty slots.
    rank = _rank_desc(cand)
    cand = np.where(rank < free[None, :], cand, -np.inf)
    score = np.concatenate([o.held, cand])
    sd = np.concatenate([o.held_sd, o.cand_sd])
    finite = np.isfinite(score)
    best = np.max(score, axis=0, initial=-np.inf)
    has = np.isfinite(best)
    # One logit scale per group: the mean sd of its options' scores.
    n_opt = np.maximum(finite.sum(axis=0), 1)
    scale = np.where(finite, sd, 0.0).sum(axis=0) / n_opt / GUMBEL_SD
    scale = np.maximum(scale, np.finfo(np.float32).tiny)
    z = np.where(finite & has[None, :], (score - np.where(has, best, 0.0)[None, :]) / scale[None, :], -np.inf)
    weight = np.exp(z)
    share = _normalise(weight)
    share = _normalise(np.where(share >= floor, share, 0.0))
    # Slots: a holding keeps its own; the r-th best new candidate takes the r-th empty slot.
    empty_slots = np.argsort(~o.vacant, axis=0, kind="stable")  # empty slots first, in order
    cand_slot = np.take_along_axis(empty_slots, np.minimum(rank, K - 1), axis=0)
    slot = np.concatenate([np.broadcast_to(np.arange(K)[:, None], (K, m)), cand_slot])
    platform = np.concatenate([o.held_platform, o.candidate])
    row, placer = np.nonzero(share > 0)
    return Spread(
        placer=placer,
        slot=slot[row, placer],
        platform=platform[row, placer],
        share=share[row, placer],
        new=row >= K,
    )


def _distinct(score: np.ndarray, platform: np.ndarray) -> np.ndarray:
    """Scores with every repeat of a platform in a column after its first set to ``-inf``."""
    out = score.copy()
    for k in range(1, platform.shape[0]):
        for j in range(k):
            np.copyto(out[k], -np.inf, where=platform[k] == platform[j])
    return out


def _rank_desc(score: np.ndarray) -> np.ndarray:
    """Each entry's rank within its column, best first (0); ties by row order."""
    order = np.argsort(-score, axis=0, kind="stable")
    rank = np.empty_like(order)
    np.put_along_axis(rank, order, np.arange(score.shape[0])[:, None], axis=0)
    return rank


def _normalise(weight: np.ndarray) -> np.ndarray:
    """Columns scaled to sum to 1 (a column of zeros stays zeros)."""
    total = weight.sum(axis=0)
    return np.divide(weight, total[None, :], out=np.zeros_like(weight), where=total[None, :] > 0)
