"""Exposure ties on hand-built states: fees, a failed guarantor's calls, drawn and declared
ties, and how a guarantor's default reaches the platforms it guarantees in the model.

(``test_exposures.py`` covers clearing by Eisenberg-Noe and whole-run cascades.)
"""

from __future__ import annotations

import numpy as np
import pytest
from conftest import small_market

from sandbox import SandboxModel
from sandbox.market.exposures import NONE, ExposureNetwork, guarantor_code


def network(n: int = 3, **exposures) -> ExposureNetwork:
    """A network built from a scenario's parameters, with ties drawn for ``n`` platforms."""
    params = small_market(market__exposures=exposures).market.exposures
    net = ExposureNetwork(params)
    net.assign(np.arange(n), *net.draw(n, np.random.default_rng(0)))
    return net


def test_only_live_platforms_with_a_live_guarantor_pay_fees_to_it():
    net = network(4, guarantors=2, guaranteed_share=1.0, guarantee_fee=0.12, guarantor_capital=1000.0)
    net.guarantor[:4] = [0, 1, 0, NONE]
    net.failed_month[1] = 3  # guarantor 1 is gone: no cover, no fee
    loans = np.full(4, 1000.0)
    fee = net.fees(loans, alive=np.array([True, True, False, True]))
    np.testing.assert_allclose(fee, [10.0, 0.0, 0.0, 0.0])  # 12% a year on 1000, one month
    net.collect_fees(fee)
    np.testing.assert_allclose(net.capital, [1010.0, 1000.0])


def test_calls_on_a_failed_guarantor_go_unpaid_and_stay_with_the_platform():
    net = network(2, guarantors=1, guaranteed_share=1.0, coverage=0.8, guarantor_capital=1e9)
    net.failed_month[0] = 0
    s = net.settle(np.array([100.0, 0.0]), cash=np.zeros(2), alive=np.ones(2, bool), backstop=False)
    np.testing.assert_allclose(s.received, [0, 0])
    np.testing.assert_allclose(s.unpaid, [80, 0])
    assert s.source[0] == guarantor_code(0) and s.defaulted_guarantors.size == 0  # it failed before
    assert net.capital[0] == 1e9  # a failed guarantor pays nothing from what it had left


def test_drawn_ties_follow_the_shares_and_zipf_concentration():
    net = network(4000, guarantors=3, guaranteed_share=0.5, concentration=1.0, groups=2, group_share=0.0, custodians=2)
    g = net.guarantor[:4000]
    assert 0.45 < (g >= 0).mean() < 0.55
    counts = np.bincount(g[g >= 0], minlength=3) / (g >= 0).sum()
    np.testing.assert_allclose(counts, np.array([1, 1 / 2, 1 / 3]) / (11 / 6), atol=0.03)  # shares 1 : 1/2 : 1/3
    assert (net.group[:4000] == NONE).all()
    assert set(np.unique(net.custodian[:4000])) == {0, 1}


def test_declared_ties_replace_the_drawn_ones():
    net = network(
        3,
        guarantors=2,
        guaranteed_share=0.0,
        groups=1,
        group_share=0.0,
        ties=[{"platforms": [0, 2], "guarantor": 1}, {"platforms": [1, 2], "group": 0}],
    )
    assert (net.guarantor[:3] == NONE).all()
    net.declare()
    assert net.guarantor[:3].tolist() == [1, NONE, 1]
    assert net.group[:3].tolist() == [NONE, 0, 0]


def test_a_guarantors_default_passes_its_unpaid_calls_to_the_platforms_it_guarantees():
    """Guarantor 0 (100 yuan) covers 80% of three pools' losses of 100, 50 and 50: it
    pays 50, 25, 25 and defaults. The pools keep 30, 15, 15 as exposure losses, and
    the investors of every platform it guaranteed learn their cover is gone."""
    scenario = small_market(
        market__platforms={
            "initial": 6,
            "entry_per_month": 0,
            "regions": 3,
            "capital_median": 1e6,
            "capital_sigma": 0.0,
            "mix": {"intermediary": 0.0, "pool": 1.0, "fraud": 0.0},
        },
        market__exposures={
            "guarantors": 1,
            "guarantor_capital": 100.0,
            "guaranteed_share": 0.0,
            "coverage": 0.8,
            "guarantee_fee": 0.0,
            "ties": [{"platforms": [0, 1, 2, 3], "guarantor": 0}],
        },
    )
    model = SandboxModel(scenario, seed=1)
    book, net, env = model.book, model.exposures, model.environment
    book.region[:6] = [0, 0, 1, 2, 2, 2]
    cash = book.cash[:6].copy()
    sentiment, fear = env.sentiment, env.fear.copy()
    model.clear_guarantees(np.array([100.0, 50.0, 50.0, 0.0, 0.0, 0.0]))
    np.testing.assert_allclose(book.cash[:6] - cash, [50, 25, 25, 0, 0, 0])
    np.testing.assert_allclose(book.exposure_loss[:6], [30, 15, 15, 0, 0, 0])
    assert book.exposure_source[:3].tolist() == [guarantor_code(0)] * 3
    assert model.ledger.guarantees_in == pytest.approx(100.0)
    assert model.guarantor_failures == [(0, 0)] and net.failed_month[0] == 0 and net.capital[0] == 0.0
    # Pools promise a yield, so their clusters are 2 * region + 1: regions 0, 1 and 2.
    np.testing.assert_array_equal(env.fear > fear, np.isin(np.arange(env.fear.size), [1, 3, 5]))
    # In each, the guarantor's default counts as one failure of no money: sentiment falls.
    assert env.sentiment < sentiment
