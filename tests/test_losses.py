"""Investor losses (issue 14's principle: losses come from mechanisms, reported in yuan).

An investor's loss is money put in, less money taken out, less the value of what it
still holds (:meth:`InvestorPopulation.loss_definition`). The first tests drive the
investor population by hand, so every number is known; the last run small markets.
"""

from __future__ import annotations

import numpy as np
import pytest
from conftest import small_market

import sandbox
from sandbox.market.investors import InvestorPopulation, Orders
from sandbox.market.params import InformationParams, InvestorParams

NO_ORDERS = np.zeros(0, dtype=np.intp)


def population(n: int = 2, holdings: int = 2) -> InvestorPopulation:
    params = InvestorParams(count=n, max_holdings=holdings, active_at_start=1.0)
    return InvestorPopulation(params, InformationParams(), np.random.default_rng(0))


def place(inv: InvestorPopulation, investor: int, slot: int, platform: int, yuan: float, uv: np.ndarray) -> None:
    one = np.array([investor])
    inv.settle_placements(one, np.array([slot * inv.n + investor]), np.array([platform]), np.array([yuan]), uv)


def withdraw(inv: InvestorPopulation, investor: int, slot: int, share: float, uv: np.ndarray) -> float:
    h = slot * inv.n + investor
    platform = int(inv.platform.ravel()[h])
    orders = Orders(
        w_investor=np.array([investor]),
        w_holding=np.array([h]),
        w_platform=np.array([platform]),
        w_units=np.array([inv.units.ravel()[h] * share]),
        w_run=np.array([False]),
        p_investor=NO_ORDERS,
        p_holding=NO_ORDERS,
        p_platform=NO_ORDERS,
        p_amount=np.zeros(0),
    )
    return float(inv.settle_withdrawals(orders, np.ones(uv.size), uv).sum())


def test_a_write_down_passed_through_by_an_operating_platform_is_the_loss_on_the_money_held():
    inv = population()
    uv = np.array([1.0, 1.0, 1.0])  # platforms 0 and 1, then the outside buyer's row
    place(inv, 0, 0, 0, 1000.0, uv)
    place(inv, 1, 0, 0, 3000.0, uv)
    uv[0] = 0.8  # defaults passed through: the unit value falls by a fifth, the platform operates on
    withdraw(inv, 0, 0, 0.5, uv)  # half redeemed: 100 of write-down realised
    assert inv.lost.tolist() == pytest.approx([100.0, 0.0])  # investor 1's write-down is not yet realised
    inv.settle_at_horizon(uv)  # at the horizon what is held counts at its end value
    assert inv.lost.tolist() == pytest.approx([200.0, 600.0])  # a fifth of the 4000 yuan put in
    losses, gains = inv.platform_results(2)
    assert losses.tolist() == pytest.approx([800.0, 0.0])
    assert gains.tolist() == [0.0, 0.0]
    net = inv.invested - inv.received - inv.held()
    assert net.sum() == pytest.approx(inv.lost.sum())
    inv.settle_at_horizon(uv)  # measurement only: a second call changes nothing
    assert inv.lost.sum() == pytest.approx(800.0)


def test_gains_on_one_platform_offset_an_investors_loss_on_another_and_are_reported():
    inv = population(n=1)
    uv = np.array([1.0, 1.0, 1.0])
    place(inv, 0, 0, 0, 1000.0, uv)
    place(inv, 0, 1, 1, 1000.0, uv)
    uv[:2] = [1.1, 0.7]  # interest on one, a write-down on the other
    withdraw(inv, 0, 0, 1.0, uv)
    withdraw(inv, 0, 1, 1.0, uv)
    assert inv.lost[0] == pytest.approx(200.0)  # 2000 in, 1800 out
    losses, gains = inv.platform_results(2)
    assert losses.tolist() == pytest.approx([0.0, 300.0])
    assert gains.tolist() == pytest.approx([100.0, 0.0])


def test_interim_payouts_and_the_closing_payout_book_the_shortfall_once():
    inv = population(n=1)
    uv = np.array([1.0, 1.0])
    place(inv, 0, 0, 0, 1000.0, uv)
    uv[0] = 0.9  # a write-down before the failure
    inv.receive_distribution(np.array([0.3, 0.0]))  # a wind-down pays 0.3 a unit; units stay
    assert inv.lost[0] == 0.0  # an interim payout returns cost first: nothing realised yet
    closing = np.array([True, False])
    newly = inv.pay_out_failed(closing, np.array([0.2, 0.0]))
    assert newly.tolist() == [0]
    assert inv.lost[0] == pytest.approx(500.0)  # 1000 in, 300 + 200 out: the write-down is in it once
    assert inv.platform_results(1)[0][0] == pytest.approx(500.0)


def test_payouts_searched_within_one_scan_of_the_holdings_pay_the_same():
    """Given the holdings on paying and closing platforms (one scan, as the month's end does),
    distributions and closures pay exactly as when each scans every holding itself."""
    rng = np.random.default_rng(5)
    uv = np.ones(5)  # platforms 0-3, then the outside buyer's row
    pops = [population(n=60, holdings=3), population(n=60, holdings=3)]
    for inv in pops:
        for investor, slot, platform, yuan in zip(
            rng.integers(0, 60, 90),
            rng.integers(0, 3, 90),
            rng.integers(0, 4, 90),
            rng.uniform(100, 900, 90),
            strict=True,
        ):
            if inv.platform[slot, investor] in (-1, platform):
                place(inv, int(investor), int(slot), int(platform), float(yuan), uv)
        rng = np.random.default_rng(5)  # the same holdings in both
    paying = np.array([0.0, 0.4, 0.0, 0.0, 0.0])  # platform 1 pays an interim distribution
    closing = np.array([False, False, True, False, False])  # platform 2 closes
    held = pops[1].holdings_on((paying > 0) | closing)
    assert 0 < held.size < (pops[1].platform != -1).sum()
    pops[0].receive_distribution(paying)
    pops[1].receive_distribution(paying, held)
    newly = [pops[0].pay_out_failed(closing, np.full(5, 0.5)), pops[1].pay_out_failed(closing, np.full(5, 0.5), held)]
    assert newly[0].size > 0 and np.array_equal(newly[0], newly[1])
    for name in ("platform", "units", "cost", "received", "lost"):
        assert np.array_equal(getattr(pops[0], name), getattr(pops[1], name)), name


def exit_campaign(seed: int, **sections: object) -> sandbox.RunResult:
    """A small market of intermediaries told at month 4 to stop new business, operating illegal after a year."""
    scenario = small_market(
        regime=[{"exit_campaign": {"from": "2016-05", "months": 12}}],
        market__platforms__mix={"intermediary": 1.0, "pool": 0.0, "fraud": 0.0},
        months=20,
        **sections,
    )
    return sandbox.run(scenario, seed=seed)


@pytest.mark.parametrize("seed", [1, 2])
def test_an_exit_campaign_books_the_losses_of_borrowers_walking_away(seed):
    result = exit_campaign(seed)
    honest = exit_campaign(seed, behaviour__collections__walk_away=0.0)
    s = result.summary
    assert s["investor_loss_total"] > 0
    # Borrowers who walk away from stopping platforms cost investors money: more than without.
    assert s["investor_loss_total"] > 1.5 * honest.summary["investor_loss_total"]
    assert s["investors_with_loss_share"] > honest.summary["investors_with_loss_share"]


@pytest.mark.parametrize("regime", [[], [{"exit_campaign": {"from": "2016-07", "months": 6}}]])
def test_loss_figures_reconcile_with_the_money_in_and_out(regime):
    result = sandbox.run(small_market(regime=regime, months=18), seed=3)
    s, inv, plat = result.summary, result.investors, result.platforms
    net = float((inv["invested"] - inv["received"] - inv["held"]).sum())
    assert s["investor_loss_total"] - s["investor_gain_total"] == pytest.approx(net, rel=1e-9, abs=1.0)
    assert float((plat["investor_loss"] - plat["investor_gain"]).sum()) == pytest.approx(net, rel=1e-9, abs=1.0)
    assert result.monthly["cumulative_investor_loss"].iloc[-1] == pytest.approx(s["investor_loss_total"], rel=1e-12)
    assert result.monthly["investors_with_loss"].iloc[-1] == int((inv["lost"] > 0).sum())
    fraud = (plat["kind"] == "fraud").to_numpy()
    assert s["fraud_loss_total"] == pytest.approx(float(plat["investor_loss"].to_numpy()[fraud].sum()))
    # Each investor's loss is the positive part of its own net result.
    own = (inv["invested"] - inv["received"] - inv["held"]).to_numpy()
    np.testing.assert_allclose(inv["lost"], np.where(own > 1e-9 * inv["invested"], own, 0.0), atol=1e-6)
