"""Entry on hand-built applicants: the screening rules, and draws that do not depend on the regime."""

from __future__ import annotations

import numpy as np
from conftest import small_market

from sandbox.market.entry import draw_applicants, screen
from sandbox.market.exposures import ExposureNetwork
from sandbox.market.params import PlatformBehaviour
from sandbox.market.platforms import FRAUD, INTERMEDIARY, POOL
from sandbox.market.policy import Policy

APPLICANTS = {
    "kind": np.array([INTERMEDIARY, POOL, FRAUD, FRAUD, INTERMEDIARY]),
    "capital": np.array([5e6, 5e6, 5e6, 5e6, 1e5]),
    "controller": np.array([-1, -1, -1, 7, -1]),
}


def admitted(**policy) -> list[int]:
    pol = Policy(8)
    for key, value in policy.items():
        setattr(pol, key, value)
    return np.flatnonzero(screen(APPLICANTS, pol, np.random.default_rng(0))).tolist()


def test_screening_applies_each_entry_rule():
    assert admitted() == [0, 1, 2, 3, 4]
    assert admitted(blacklist=True) == [0, 1, 2, 4]  # a returning controller is refused
    assert admitted(pool_ban_entry=True) == [0, 2, 3, 4]
    assert admitted(licensing=True, min_capital=1e6, screening_accuracy=1.0) == [0, 1]
    assert admitted(licensing=True, min_capital=0.0, screening_accuracy=0.0) == [0, 1, 2, 3, 4]


def test_screening_draws_the_same_whatever_the_regime():
    after = []
    for licensing in (False, True):
        rng = np.random.default_rng(3)
        pol = Policy(8)
        pol.licensing = licensing
        screen(APPLICANTS, pol, rng)
        after.append(rng.random())
    assert after[0] == after[1]


def test_applicants_follow_the_mix_and_a_given_kind():
    params = small_market(
        market__platforms={"mix": {"intermediary": 0.0, "pool": 1.0, "fraud": 0.0}, "custody_share": 1.0}
    ).market.platforms
    net = ExposureNetwork(small_market().market.exposures)
    behaviour = PlatformBehaviour()
    pools = draw_applicants(params, behaviour, net, 50, np.random.default_rng(1), params.mix)
    assert (pools["kind"] == POOL).all() and pools["custody"].all() and (pools["controller"] == -1).all()
    frauds = draw_applicants(params, behaviour, net, 5, np.random.default_rng(1), None, kind=FRAUD)
    assert (frauds["kind"] == FRAUD).all() and not frauds["custody"].any()  # a fraud never banks with a custodian
    assert set(pools) == set(frauds) and all(v.size == 5 for v in frauds.values())
