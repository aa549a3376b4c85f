"""The environment on its own: dated rates, shocks, sentiment, look-alike fear.

Each test builds an :class:`Environment` from a small scenario's parameters and
checks the numbers docs/model.md documents (news as shares of a cluster's and
the market's platforms and money, fear per cluster, the half-life of recovery,
shock windows).
"""

from __future__ import annotations

import numpy as np
import pytest
from conftest import small_market

from sandbox.market.environment import Environment


def environment(clusters: int = 4, behaviour: dict | None = None, **env) -> Environment:
    scenario = small_market(market__exposures={"custodians": 2}, **{f"environment__{k}": v for k, v in env.items()})
    b = scenario.behaviour.sentiment.model_copy(update=BEHAVIOUR | (behaviour or {}))
    return Environment(scenario.environment, scenario.start, clusters, b)


SENTIMENT = {"norm": 0.8, "failure_impact": 1.5, "fear_decay": 0.2, "market_fear": 0.03, "disclosure_dampening": 0.7}
BEHAVIOUR = {
    "failure_news": 0.5,
    "lookalike_fear": 0.5,
    "size_fear": 0.5,
    "warning_news": 0.3,
    "warning_fear": 0.5,
    "warned_risk": 0.01,
    "national_weight": 0.3,
    "half_life_months": 6.6,
}


def census(env: Environment, platforms: list[int], claims: list[float]) -> None:
    """Give ``env`` a census of ``platforms`` per cluster holding ``claims`` yuan per cluster."""
    clusters = np.repeat(np.arange(len(platforms)), platforms)
    each = np.repeat(np.array(claims) / np.maximum(platforms, 1), platforms)
    env.census(clusters, each)


def test_a_failure_lowers_sentiment_by_its_shares_most_in_its_cluster_and_raises_fear_there_only():
    env = environment(sentiment=SENTIMENT)
    census(env, [10, 10, 10, 10], [100.0, 100.0, 100.0, 100.0])
    assert env.sentiment == 0.8
    # One of cluster 2's ten platforms fails, holding 10 of its 100 yuan, with no disclosure.
    env.record_failures(np.array([2]), np.array([10.0]), disclosure=0.0)
    # Its cluster: a tenth of its platforms and money; nationally a fortieth of each.
    local, national = 0.1, 0.025
    news = (0.5 + 1.5) * np.array([0.3 * national] * 2 + [0.7 * local + 0.3 * national] + [0.3 * national])
    np.testing.assert_allclose(env.mood, 0.8 * np.exp(-news))
    # Look-alikes fear the cluster's failure rate: 0.5 x 10% of platforms + 0.5 x 10% of money.
    np.testing.assert_allclose(env.fear, [0, 0, 0.1, 0])


def test_a_market_twice_the_size_at_the_same_shares_hears_the_same_news():
    """The defect: a fixed drop per failure made a larger market panic faster."""
    small, large = environment(sentiment=SENTIMENT), environment(sentiment=SENTIMENT)
    census(small, [10, 5, 20, 5], [100.0, 50.0, 300.0, 20.0])
    census(large, [20, 10, 40, 10], [200.0, 100.0, 600.0, 40.0])
    small.record_failures(np.array([0, 2, 2]), np.array([5.0, 10.0, 20.0]), disclosure=0.2)
    large.record_failures(np.array([0, 0, 2, 2, 2, 2]), np.array([5.0, 5.0, 10.0, 10.0, 20.0, 20.0]), disclosure=0.2)
    small.record_warnings(np.array([1, 3, 3]))
    large.record_warnings(np.array([1, 1, 3, 3, 3, 3]))
    np.testing.assert_allclose(large.mood, small.mood)
    np.testing.assert_allclose(large.fear, small.fear)
    assert small.sentiment < 0.8


def test_disclosure_dampens_what_a_failure_says_about_others():
    opaque, clear = environment(sentiment=SENTIMENT), environment(sentiment=SENTIMENT)
    for env in (opaque, clear):
        census(env, [10, 10, 10, 10], [100.0] * 4)
    opaque.record_failures(np.array([1]), np.array([10.0]), disclosure=0.0)
    clear.record_failures(np.array([1]), np.array([10.0]), disclosure=1.0)
    # Full disclosure removes 70% of the impact, on log sentiment and on fear alike.
    np.testing.assert_allclose(np.log(clear.mood / 0.8), 0.3 * np.log(opaque.mood / 0.8))
    assert clear.fear[1] == pytest.approx(0.3 * opaque.fear[1])


def test_the_whole_market_failing_lowers_sentiment_a_lot_but_not_to_zero():
    env = environment(sentiment=SENTIMENT)
    census(env, [2, 2, 2, 2], [10.0] * 4)
    env.record_failures(np.repeat(np.arange(4), 2), np.full(8, 5.0), disclosure=0.0)
    np.testing.assert_allclose(env.mood, 0.8 * np.exp(-2.0))
    # Shares stop at 1: a failure list longer than the census says no more than all of it.
    env.record_failures(np.zeros(50, dtype=np.intp), np.full(50, 100.0), disclosure=0.0)
    assert env.mood[0] == pytest.approx(0.8 * np.exp(-4.0)) and env.mood[0] > 0


def test_a_warning_list_naming_nearly_every_platform_is_news_not_a_collapse():
    env = environment(sentiment=SENTIMENT)
    census(env, [50, 50, 50, 50], [100.0] * 4)
    named = np.repeat(np.arange(4), 45)  # 90% of each cluster
    env.record_warnings(named)
    # Log sentiment falls by warning_news x 90%, once; fear by warning_fear x lookalike_fear x 90%.
    np.testing.assert_allclose(env.mood, 0.8 * np.exp(-0.3 * 0.9))
    np.testing.assert_allclose(env.fear, 0.5 * 0.5 * 0.9)
    # The named platforms look riskier; the rest keep the cluster's prior.
    prior = env.prior_of(np.array([0, 0]), np.array([True, False]))
    assert prior[0] - prior[1] == pytest.approx(0.01)
    assert env.confidence() == pytest.approx(np.exp(-0.27))


def test_sentiment_recovers_toward_its_norm_with_its_half_life_and_fear_decays():
    env = environment(sentiment=SENTIMENT, behaviour={"half_life_months": 4.0})
    env.mood[:] = [0.4, 0.8, 0.6, 0.0]
    env.fear[:] = [0.1, 0.0, 0.05, 0.0]
    for _ in range(4):
        env.recover()
    np.testing.assert_allclose(env.mood, [0.6, 0.8, 0.7, 0.4])  # half of each gap, in four months
    np.testing.assert_allclose(env.fear, np.array([0.1, 0.0, 0.05, 0.0]) * 0.8**4)


def test_confidence_and_prior_risk_follow_each_clusters_sentiment():
    env = environment(sentiment=SENTIMENT)
    census(env, [1, 1, 1, 1], [0.0] * 4)
    assert env.confidence() == 1.0
    env.mood[:] = [0.4, 0.8, 0.8, 0.8]
    assert env.confidence() == pytest.approx(0.875)  # national: the clusters weighted by platforms
    # Each platform row reads its cluster; rows past the platforms (the empty slot) the nation.
    np.testing.assert_allclose(env.confidence_by_row(np.array([0, 1, 0]), 5), [0.5, 1.0, 0.5, 0.875, 0.875])
    env.fear[1] = 0.02
    # 0.5% base, plus fear of the cluster, plus 3% at zero sentiment scaled by (1 - sentiment).
    np.testing.assert_allclose(
        env.prior_risk(), 0.005 + np.array([0, 0.02, 0, 0]) + 0.03 * (1 - np.array([0.4, 0.8, 0.8, 0.8]))
    )


def test_national_weight_spreads_a_clusters_news_to_the_others():
    apart = environment(sentiment=SENTIMENT, behaviour={"national_weight": 0.0})
    shared = environment(sentiment=SENTIMENT, behaviour={"national_weight": 1.0})
    for env in (apart, shared):
        census(env, [10, 10, 10, 10], [100.0] * 4)
        env.record_failures(np.array([0]), np.array([10.0]), disclosure=0.0)
    np.testing.assert_allclose(apart.mood[1:], 0.8)  # no spillover: only cluster 0 heard
    np.testing.assert_allclose(shared.mood, shared.mood[0])  # all national: every cluster heard the same
    assert apart.mood[0] < shared.mood[0] < 0.8
    # Fear stays with look-alikes either way.
    np.testing.assert_allclose(shared.fear, apart.fear)
    assert shared.fear[1:].sum() == 0


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
    """Step 8 in the model: a failed intermediary in region 1 (cluster 2) holding a sixth of the
    market's money and one of its six platforms (one of four in its cluster) lowers sentiment by
    its shares, dampened by disclosure, and raises fear in cluster 2 only."""
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
        behaviour__sentiment=BEHAVIOUR,
    )
    model = SandboxModel(scenario, seed=1)
    book, env = model.book, model.environment
    book.region[:6] = [0, 0, 1, 1, 1, 1]
    book.guaranteed[:6] = False  # pure-matching intermediaries: clusters 0 and 2
    book.units[:6] = 1000.0
    book.disclosure[:6] = 0.5
    model.fail(np.array([3]), INSOLVENCY, orderly=False)
    model.contagion()
    opacity = 1 - 0.7 * 0.5
    local = 0.7 * 0.25 + 0.3 / 6  # a quarter of cluster 2's platforms and money; a sixth nationally
    np.testing.assert_allclose(env.mood[2], 0.8 * np.exp(-opacity * 2.0 * local))
    np.testing.assert_allclose(env.mood[[0, 1, 3]], 0.8 * np.exp(-opacity * 2.0 * 0.3 / 6))
    np.testing.assert_allclose(env.fear, opacity * 1.0 * 0.25 * (np.arange(4) == 2))
