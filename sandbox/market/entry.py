"""Entry: the platforms that apply to enter the market, and whom the regime lets in.

Applicants are drawn as arrays (one entry per applicant) from the scenario's
platform parameters; :func:`screen` applies the entry rules in force (blacklist,
licensing, the pool ban) to them. The model draws both every month (step 2) and
adds the admitted ones to its book; the initial platforms are drawn the same way.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from sandbox.market.platforms import FRAUD, POOL

if TYPE_CHECKING:
    from sandbox.market.exposures import ExposureNetwork
    from sandbox.market.params import KindShares, PlatformBehaviour, PlatformParams
    from sandbox.market.policy import Policy

#: Applicants as arrays, one entry per applicant (the keys of ``SandboxModel.add_platforms``).
Applicants = dict[str, np.ndarray]


def draw_applicants(
    params: PlatformParams,
    behaviour: PlatformBehaviour,
    exposures: ExposureNetwork,
    k: int,
    rng: np.random.Generator,
    mix: KindShares | None,
    kind: int | None = None,
) -> Applicants:
    """Draw ``k`` applicants: business model (from ``mix``, or all ``kind``), yield, capital,
    custody, disclosure, visibility, region and exposure ties.

    Draws come from ``rng`` in a fixed order whatever the regime, so entry keeps
    its common random numbers across regimes.
    """
    p, b = params, behaviour
    if kind is None:
        assert mix is not None, "draw_applicants needs a mix or a kind"
        shares = np.array([mix.intermediary, mix.pool, mix.fraud])
        kinds = rng.choice(3, size=k, p=shares / shares.sum())
    else:
        kinds = np.full(k, kind)
    y = np.array([p.promised_yield.intermediary, p.promised_yield.pool, p.promised_yield.fraud])
    return {
        "kind": kinds,
        "base_yield": np.clip(y[kinds] + rng.normal(0, p.yield_spread, k), b.min_yield, None),
        "capital": rng.lognormal(np.log(p.capital_median), p.capital_sigma, k),
        "custody": (rng.random(k) < p.custody_share) & (kinds != FRAUD),
        "disclosure": np.clip(p.disclosure + rng.normal(0, b.disclosure_spread, k), 0, 1),
        "visibility": rng.lognormal(0, p.visibility_sigma, k) * np.where(kinds == FRAUD, b.fraud_visibility, 1.0),
        "region": rng.integers(0, p.regions, k),
        "controller": np.full(k, -1),
        "age": np.zeros(k, dtype=np.int64),
        **dict(zip(("guarantor", "group", "custodian"), exposures.draw(k, rng), strict=True)),
    }


def screen(applicants: Applicants, policy: Policy, rng: np.random.Generator) -> np.ndarray:
    """Which applicants may enter under ``policy`` (all of them with no entry rule).

    A blacklist refuses returning controllers; licensing refuses capital below the
    minimum and catches a fraud with probability ``screening_accuracy``; a pool
    ban refuses pools.
    """
    k = applicants["kind"].size
    ok = np.ones(k, dtype=bool)
    draws = rng.random(k)  # drawn whatever the regime, to keep streams aligned
    if policy.blacklist:
        ok &= applicants["controller"] < 0
    if policy.licensing:
        ok &= applicants["capital"] >= policy.min_capital
        ok &= ~((applicants["kind"] == FRAUD) & (draws < policy.screening_accuracy))
    if policy.pool_ban_entry:
        ok &= applicants["kind"] != POOL
    return ok
