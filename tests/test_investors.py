"""Investors on small hand-built states: who places where, how much, and who runs.

Each test builds a population of a few investors with chosen holdings and a
``MarketView`` of a few platforms (row ``P`` is the outside buyer's, which is
also the empty slot's row ``-1``), then reads the orders of one ``decide``.
Everyone reviews (attention 1) and nobody needs liquidity, so the orders follow
from the rules alone.
"""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
from conftest import small_market

from sandbox.market.investors import InvestorPopulation, MarketView, RiskSignals, perceive
from sandbox.market.params import InvestorBehaviour

P = 3  # platforms in every view; row P is the buyer's (the empty slot's -1)
BUDGET = 10_000.0


Holdings = dict[tuple[int, int], tuple[int, float]]


def population(n: int, holdings: Holdings | None = None, **params) -> InvestorPopulation:
    """``n`` investors, all in the market, each with ``BUDGET`` yuan, who never run by
    tolerance and weigh neither risk nor the crowd; ``holdings`` maps (slot, investor)
    to (platform row, units)."""
    market = small_market(
        market__investors={
            "count": n,
            "active_at_start": 1.0,
            "max_holdings": 2,
            "liquidity_rate": 0.0,
            "candidates": 3,
            **params,
        }
    ).market
    pop = InvestorPopulation(market.investors, market.information, np.random.default_rng(0))
    pop.budget[:] = BUDGET
    pop.tolerance[:] = 1.0
    pop.risk_aversion[:] = 0.0
    pop.herding[:] = 0.0
    for (slot, investor), (platform, units) in (holdings or {}).items():
        pop.platform[slot, investor] = platform
        pop.units[slot, investor] = units
    return pop


def view(bands: int = 5, **changes) -> MarketView:
    """Three live platforms, all open, worth 1 yuan a unit, promising 10%, seen as riskless."""
    size = P + 1
    alive = np.zeros(size, dtype=bool)
    alive[:P] = True
    base = MarketView(
        perception=(np.zeros((bands, size), np.float32), np.zeros((bands, size), np.float32)),
        unit_value=np.r_[np.ones(P), 0.0],
        promised_yield=np.r_[np.full(P, 0.10), 0.0],
        visibility=np.r_[np.ones(P), 0.0],
        open_rows=np.arange(P),
        alive=alive,
        flight=np.zeros(size),
        confidence=1.0,
        new_money=1.0,
        exposure_cap=np.inf,
        exposure_share_cap=np.inf,
        platform_exposure_cap=np.full(size, np.inf),
        customer_room=np.full(size, np.inf),
    )
    return dataclasses.replace(base, **changes)


def decide(pop: InvestorPopulation, market: MarketView, runs: bool = True):
    return pop.decide(month=0, rng=np.random.default_rng(1), view=market, attention=1.0, runs=runs)


def placements(orders) -> dict[int, tuple[int, float]]:
    """investor -> (platform, yuan placed)."""
    placed = zip(orders.p_investor, orders.p_platform, orders.p_amount, strict=True)
    return {int(i): (int(p), float(a)) for i, p, a in placed}


def test_an_investor_with_no_free_slot_cannot_join_a_new_platform():
    # Investor 0 fills both slots with platforms 0 and 1, which take no new money;
    # investor 1 holds platform 0 and has a free slot. Only platform 2 is open.
    pop = population(2, {(0, 0): (0, 1000.0), (1, 0): (1, 1000.0), (0, 1): (0, 1000.0)})
    orders = decide(pop, view(open_rows=np.array([2])))
    assert placements(orders) == {1: (2, BUDGET - 1000.0)}  # the whole gap to its budget
    assert orders.p_holding.tolist() == [1 * pop.n + 1]  # into investor 1's free slot (slot 1)
    assert orders.w_investor.size == 0  # nobody is above budget, afraid or in need


def test_a_full_investor_tops_up_a_holding_on_an_open_platform():
    pop = population(1, {(0, 0): (0, 1000.0), (1, 0): (1, 3000.0)})
    orders = decide(pop, view(open_rows=np.array([1, 2])))
    assert placements(orders) == {0: (1, BUDGET - 4000.0)}
    assert orders.p_holding.tolist() == [1 * pop.n + 0]  # slot 1 holds platform 1


def test_small_gaps_are_not_placed():
    # A gap below a tenth of the target stays uninvested: nobody reinvests every small shortfall.
    pop = population(1, {(0, 0): (0, 0.95 * BUDGET)})
    assert decide(pop, view()).p_investor.size == 0


@pytest.mark.parametrize(
    ("changes", "held", "expected"),
    [
        ({"exposure_cap": 2000.0}, 0.0, 2000.0),  # most yuan on one platform
        ({"exposure_cap": 2000.0}, 1500.0, 500.0),  # a holding tops up only to the cap
        ({"exposure_share_cap": 0.05}, 0.0, 0.05 * BUDGET),  # most share of the budget
        ({"platform_exposure_cap": np.r_[700.0, 700.0, 700.0, np.inf]}, 0.0, 700.0),  # a pilot's cap
        ({"exposure_cap": 2000.0, "exposure_share_cap": 0.05}, 0.0, 500.0),  # the tighter cap binds
    ],
)
def test_exposure_caps_bind(changes, held, expected):
    # One open platform, so the choice is fixed; the cap sets the amount.
    pop = population(1, {(0, 0): (0, held)} if held else None)
    orders = decide(pop, view(open_rows=np.array([0]), **changes))
    assert placements(orders) == {0: (0, pytest.approx(expected))}


def test_a_platform_without_customer_room_takes_money_only_from_its_customers():
    pop = population(2, {(0, 0): (0, 1000.0)})
    orders = decide(pop, view(open_rows=np.array([0]), customer_room=np.r_[0.0, np.inf, np.inf, np.inf]))
    assert placements(orders) == {0: (0, BUDGET - 1000.0)}


def test_a_funding_stop_cuts_the_top_up():
    pop = population(1)
    orders = decide(pop, view(open_rows=np.array([0]), new_money=0.25))
    assert placements(orders) == {0: (0, pytest.approx(0.25 * BUDGET))}


def test_money_above_110_percent_of_the_target_comes_out_pro_rata():
    pop = population(1, {(0, 0): (0, 9000.0), (1, 0): (1, 3000.0)})
    orders = decide(pop, view(confidence=0.5))  # target 5,000: 12,000 held, 5,500 may stay
    share = (12_000 - 1.1 * 5000) / 12_000
    assert sorted(orders.w_platform.tolist()) == [0, 1]
    assert np.allclose(np.sort(orders.w_units), np.sort([9000 * share, 3000 * share]))
    assert not orders.w_run.any()


def _risky(mean_0: float, flight_0: float = 0.0, bands: int = 5) -> MarketView:
    mean = np.zeros((bands, P + 1), np.float32)
    mean[:, 0] = mean_0
    flight = np.zeros(P + 1)
    flight[0] = flight_0
    return view(perception=(mean, np.zeros_like(mean)), flight=flight, open_rows=np.array([1]))


def test_an_investor_runs_when_perceived_risk_exceeds_its_tolerance():
    pop = population(2, {(0, 0): (0, 4000.0), (0, 1): (0, 4000.0)})
    pop.tolerance[:] = [0.03, 0.08]
    orders = decide(pop, _risky(0.05))
    assert orders.w_investor.tolist() == [0]
    assert orders.w_run.tolist() == [True]
    assert orders.w_units.tolist() == [4000.0]  # the whole holding
    assert 0 not in orders.p_investor  # a runner places nothing this month
    assert decide(pop, _risky(0.05), runs=False).w_investor.size == 0  # the run channel off


def test_herding_adds_the_crowds_flight_to_perceived_risk():
    # Perceived 2% plus the flight's 2% for a full herder: over a 3% tolerance.
    pop = population(2, {(0, 0): (0, 4000.0), (0, 1): (0, 4000.0)})
    pop.tolerance[:] = 0.03
    pop.herding[:] = [1.0, 0.0]
    orders = decide(pop, _risky(0.02, flight_0=0.02))
    assert orders.w_investor.tolist() == [0]
    assert orders.w_run.all()


def test_a_dead_platform_is_not_run_on():
    pop = population(1, {(0, 0): (0, 4000.0)})
    pop.tolerance[:] = 0.01
    market = _risky(0.05)
    alive = market.alive.copy()
    alive[0] = False
    assert decide(pop, dataclasses.replace(market, alive=alive)).w_investor.size == 0


def signals(**changes) -> RiskSignals:
    info = small_market().market.information
    base = RiskSignals(
        info=info,
        true_risk=np.array([0.002, 0.05]),
        fraud=np.array([False, False]),
        disclosure=np.array([0.5, 0.5]),
        disclosure_required=np.zeros(2),
        audited=np.zeros(2, dtype=bool),
        prior=np.array([0.01, 0.01]),
        promised_yield=np.array([0.10, 0.10]),
        alive=np.ones(2, dtype=bool),
        rows=4,
    )
    return dataclasses.replace(base, **changes)


def test_perception_sees_riskier_platforms_as_riskier_and_pads_spare_rows_with_zero():
    seen = perceive(signals())
    assert seen.mean.shape == seen.noise.shape == (5, 4)
    assert seen.mean.dtype == np.float32
    assert (seen.mean[:, 1] > seen.mean[:, 0]).all()
    assert not seen.mean[:, 2:].any() and not seen.noise[:, 2:].any()


def test_full_disclosure_shows_the_true_risk_and_no_disclosure_leans_on_the_prior():
    full = perceive(signals(disclosure=np.ones(2)))
    # Signal noise is then the 0.002 floor: precision weight 0.01^2 / (0.01^2 + 0.002^2).
    w = 0.01**2 / (0.01**2 + 0.002**2)
    assert full.mean[:, 1] == pytest.approx(w * 0.05 + (1 - w) * 0.01, rel=1e-6)
    none = perceive(signals(disclosure=np.zeros(2)))
    # Literate investors read the signal better, so they sit closer to the true risk.
    assert (np.diff(none.mean[:, 1]) > 0).all()
    assert none.mean[-1, 1] < full.mean[-1, 1]


def test_required_disclosure_sharpens_the_signal_and_a_shortfall_is_a_warning():
    """A platform is read as precisely as the rules require it to disclose; what it really
    discloses short of that (0.5 of 1 here) is a gap that literate investors read as risk."""
    required = perceive(signals(disclosure_required=np.ones(2)))
    full = perceive(signals(disclosure=np.ones(2)))
    assert np.array_equal(required.noise, full.noise)
    literacy = (np.arange(5) + 0.5) / 5
    gap = InvestorBehaviour().gap_suspicion * 0.5 * literacy
    assert required.mean[:, :2] - full.mean[:, :2] == pytest.approx(np.c_[gap, gap], abs=1e-7)


def test_disclosure_weighs_a_platforms_own_state_more_and_the_look_alike_prior_less_in_every_band():
    """The prior (look-alikes' fear) moves the reading of an opaque platform more than of a
    disclosing one, in every literacy band: disclosure is what breaks information contagion."""

    def prior_pass_through(d: float) -> np.ndarray:
        calm = perceive(signals(disclosure=np.full(2, d)))
        feared = perceive(signals(disclosure=np.full(2, d), prior=np.array([0.05, 0.05])))
        return (feared.mean[:, 0] - calm.mean[:, 0]) / 0.04

    opaque, clear = prior_pass_through(0.1), prior_pass_through(0.9)
    assert (opaque > 0.8).all()  # with little disclosure the prior is most of the reading
    assert (clear < 0.5 * opaque).all()


def test_fast_growth_is_read_as_risk_in_proportion_to_disclosure_and_literacy():
    """Growth above the market's median (inflow over claims a month) is a fraud signal, seen as
    far as the platform discloses and weighed by literacy."""

    def extra(d: float) -> np.ndarray:
        three = dict(
            true_risk=np.full(3, 0.002),
            fraud=np.zeros(3, dtype=bool),
            disclosure=np.full(3, d),
            disclosure_required=np.zeros(3),
            audited=np.zeros(3, dtype=bool),
            prior=np.full(3, 0.01),
            promised_yield=np.full(3, 0.10),
            alive=np.ones(3, dtype=bool),
        )
        calm = perceive(signals(**three, growth=np.full(3, 0.05)))
        fast = perceive(signals(**three, growth=np.array([0.05, 0.05, 0.55])))
        assert np.array_equal(fast.mean[:, :2], calm.mean[:, :2])  # only the fast grower looks riskier
        return fast.mean[:, 2] - calm.mean[:, 2]

    literacy = (np.arange(5) + 0.5) / 5
    for d in (0.2, 0.8):
        expected = InvestorBehaviour().growth_suspicion * d * 0.5 * literacy
        assert extra(d) == pytest.approx(expected, rel=1e-4)


def test_a_platform_disclosing_less_than_its_peers_looks_riskier():
    short = signals(disclosure=np.array([0.5, 0.1]))
    blind = perceive(dataclasses.replace(short, behaviour=InvestorBehaviour(gap_suspicion=0.0)))
    read = perceive(short)
    # The median of two is 0.3: the platform at 0.1 falls 0.2 short; the other not at all.
    assert np.array_equal(read.mean[:, 0], blind.mean[:, 0])
    literacy = (np.arange(5) + 0.5) / 5
    assert read.mean[:, 1] - blind.mean[:, 1] == pytest.approx(0.02 * 0.2 * literacy, rel=1e-4)


def test_a_fraud_looks_ordinary_until_an_audit_reveals_it():
    fraud = np.array([False, True])
    hidden = perceive(signals(fraud=fraud, disclosure=np.zeros(2), true_risk=np.array([0.002, 0.2])))
    audited = perceive(
        signals(fraud=fraud, disclosure=np.zeros(2), true_risk=np.array([0.002, 0.2]), audited=np.array([False, True]))
    )
    ordinary = perceive(signals(disclosure=np.zeros(2), true_risk=np.array([0.002, InvestorBehaviour().apparent_risk])))
    seen_for_what_it_is = perceive(signals(disclosure=np.zeros(2), true_risk=np.array([0.002, 0.2])))
    assert np.allclose(hidden.mean[:, 1], ordinary.mean[:, 1])
    assert np.array_equal(audited.mean, seen_for_what_it_is.mean)
    assert (audited.mean[:, 1] > 1.5 * hidden.mean[:, 1]).all()


def test_an_unusually_high_yield_raises_perceived_risk_for_the_literate():
    base = perceive(signals())
    high = perceive(signals(promised_yield=np.array([0.10, 0.20]), alive=np.array([True, False])))
    extra = high.mean[:, 1] - base.mean[:, 1]
    assert extra[0] > 0 and (np.diff(extra) > 0).all()  # literacy weighs the premium
    assert np.array_equal(high.mean[:, 0], base.mean[:, 0])  # the typical yield is over live platforms
