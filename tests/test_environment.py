"""The environment on its own: dated rates, shocks, sentiment, look-alike fear.

Each test builds an :class:`Environment` from a small scenario's parameters and
checks the numbers MODEL.md documents (drop per failure, fear per cluster,
recovery, shock windows).
"""

from __future__ import annotations

import numpy as np
import pytest
from conftest import small_market

from sandbox.market.environment import Environment


def environment(clusters: int = 4, **env) -> Environment:
    scenario = small_market(market__exposures={"custodians": 2}, **{f"environment__{k}": v for k, v in env.items()})
    return Environment(scenario.environment, scenario.start, clusters)


SENTIMENT = {
    "norm": 0.8,
    "recovery": 0.1,
    "failure_impact": 1.5,
    "failure_floor": 0.002,
    "cluster_fear": 0.01,
    "fear_decay": 0.2,
    "market_fear": 0.03,
    "warning_impact": 0.01,
    "disclosure_dampening": 0.7,
}


def test_a_failure_lowers_sentiment_by_its_share_and_raises_fear_in_its_cluster_only():
    env = environment(sentiment=SENTIMENT)
    assert env.sentiment == 0.8
    # One failure holding 10% of the market, in cluster 2, with no disclosure:
    # sentiment drops 0.002 + 1.5 * 0.1 = 0.152; look-alikes fear 0.01 * (1 + 10 * 0.1) = 0.02.
    env.record_failures(np.array([2]), np.array([0.1]), disclosure=0.0)
    assert env.sentiment == pytest.approx(0.8 - 0.152)
    np.testing.assert_allclose(env.fear, [0, 0, 0.02, 0])


def test_disclosure_dampens_what_a_failure_says_about_others():
    opaque, clear = environment(sentiment=SENTIMENT), environment(sentiment=SENTIMENT)
    opaque.record_failures(np.array([1]), np.array([0.1]), disclosure=0.0)
    clear.record_failures(np.array([1]), np.array([0.1]), disclosure=1.0)
    # Full disclosure removes 70% of the impact, on sentiment and on fear alike.
    assert 0.8 - clear.sentiment == pytest.approx(0.3 * (0.8 - opaque.sentiment))
    assert clear.fear[1] == pytest.approx(0.3 * opaque.fear[1])


def test_two_failures_in_one_cluster_add_up_and_sentiment_stops_at_zero():
    env = environment(sentiment=SENTIMENT)
    env.record_failures(np.array([3, 3]), np.array([0.0, 0.0]), disclosure=0.0)
    assert env.fear[3] == pytest.approx(0.02) and env.sentiment == pytest.approx(0.8 - 0.004)
    env.record_failures(np.array([0]), np.array([1.0]), disclosure=0.0)  # the whole market fails
    assert env.sentiment == 0.0


def test_sentiment_recovers_toward_its_norm_and_fear_decays():
    env = environment(sentiment=SENTIMENT)
    env.sentiment = 0.4
    env.fear[:] = [0.1, 0.0, 0.05, 0.0]
    env.recover()
    assert env.sentiment == pytest.approx(0.4 + 0.1 * (0.8 - 0.4))
    np.testing.assert_allclose(env.fear, [0.08, 0.0, 0.04, 0.0])


def test_confidence_and_prior_risk_follow_sentiment():
    env = environment(sentiment=SENTIMENT)
    assert env.confidence() == 1.0
    env.sentiment = 0.4
    assert env.confidence() == pytest.approx(0.5)
    env.fear[1] = 0.02
    # 0.5% base, plus fear of the cluster, plus 3% at zero sentiment scaled by (1 - sentiment).
    np.testing.assert_allclose(env.prior_risk(), 0.005 + np.array([0, 0.02, 0, 0]) + 0.03 * 0.6)


def test_public_warnings_move_sentiment_and_fear_at_half_a_failures_cluster_weight():
    env = environment(sentiment=SENTIMENT)
    env.record_warnings(np.array([0, 0, 3]))
    assert env.sentiment == pytest.approx(0.8 - 3 * 0.01)
    np.testing.assert_allclose(env.fear, [0.01, 0, 0, 0.005])


def test_shocks_apply_in_their_window():
    env = environment(
        macro={"amplitude": 0.0},
        benchmark_rate={"values": {"2016-01": 0.05, "2016-04": 0.03}},
        shocks=[
            {"month": "2016-03", "kind": "credit", "size": 2.0, "duration": 2},
            {"month": "2016-02", "kind": "funding", "size": 0.7, "duration": 3},
            {"month": "2016-03", "kind": "funding", "size": 0.7, "duration": 1},
            {"month": "2016-02", "kind": "sentiment", "size": 0.3, "duration": 5},
            {"month": "2016-05", "kind": "bank_failure", "size": 0.5, "bank": 1},
        ],
    )
    seen = []
    for month in range(6):
        env.begin_month(month)
        seen.append(
            (
                env.benchmark_rate,
                env.hazard_multiplier,
                env.funding_cut,
                round(env.sentiment, 9),
                [s.bank for s in env.bank_failures(month)],
            )
        )
    assert seen == [
        (0.05, 1.0, 0.0, 0.8, []),
        (0.05, 1.0, 0.7, 0.5, []),  # a sentiment shock hits once, in its first month
        (0.05, 3.0, 1.0, 0.5, []),  # credit: hazards x (1 + 2); two funding cuts stop at 100%
        (0.03, 3.0, 0.7, 0.5, []),
        (0.03, 1.0, 0.0, 0.5, [1]),  # a bank fails in its month (2016-05) only
        (0.03, 1.0, 0.0, 0.5, []),
    ]


def test_the_macro_cycle_multiplies_default_hazards():
    env = environment(macro={"amplitude": 0.2, "period_months": 12, "phase_months": 0})
    env.begin_month(3)  # a quarter of the cycle: the peak
    assert env.hazard_multiplier == pytest.approx(1.2)
    env.begin_month(9)
    assert env.hazard_multiplier == pytest.approx(0.8)


def test_a_platforms_failure_reaches_the_environment_in_its_own_cluster():
    """Step 8 in the model: a failed intermediary in region 1 (cluster 2) holding a sixth
    of the market lowers sentiment by floor + impact / 6, dampened by disclosure."""
    from sandbox import SandboxModel
    from sandbox.market.platforms import INSOLVENCY

    scenario = small_market(
        market__platforms={
            "initial": 6,
            "entry_per_month": 0,
            "regions": 2,
            "mix": {"intermediary": 1.0, "pool": 0.0, "fraud": 0.0},
        },
        environment__sentiment=SENTIMENT,
    )
    model = SandboxModel(scenario, seed=1)
    book, env = model.book, model.environment
    book.region[:6] = [0, 0, 1, 1, 1, 1]
    book.units[:6] = 1000.0
    book.disclosure[:6] = 0.5
    model.fail(np.array([3]), INSOLVENCY, orderly=False)
    model.contagion()
    drop = (0.002 + 1.5 / 6) * (1 - 0.7 * 0.5)
    assert env.sentiment == pytest.approx(0.8 - drop)
    np.testing.assert_allclose(env.fear, 0.01 * (1 + 10 / 6) * (1 - 0.7 * 0.5) * (np.arange(4) == 2))
