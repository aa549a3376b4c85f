"""Simulated groups spread their new money and are served pro rata (resolution < 1).

A simulated investor standing for many people places its money where its people
would, by their choice probabilities, not all on one platform; a simulated
borrower standing for many gets the share of its people a platform's cash can
serve. Both keep small platforms' fates from resting on one simulated person.
"""

from __future__ import annotations

import numpy as np
from conftest import small_market

from sandbox import SandboxModel
from sandbox.market.credit import clear_credit, lendable
from sandbox.market.placement import GUMBEL_SD, GroupOptions, spread
from sandbox.market.policy import Policy

NO = -np.inf


def options(held, cand, candidate, held_platform=None, sd=0.01):
    """One placer per column: held and candidate scores, (K, m) and (C, m)."""
    held = np.asarray(held, dtype=float)
    cand = np.asarray(cand, dtype=float)
    if held_platform is None:
        held_platform = np.where(np.isfinite(held), np.arange(100, 100 + held.shape[0])[:, None], -1)
    return GroupOptions(
        held_platform=np.asarray(held_platform),
        held=held,
        held_sd=np.full(held.shape, sd),
        candidate=np.asarray(candidate),
        cand=cand,
        cand_sd=np.full(cand.shape, sd),
        vacant=np.asarray(held_platform) == -1,
    )


def test_shares_are_the_logit_choice_probabilities_of_the_groups_people():
    # One holding (score 0.10) and two free slots with candidates scoring 0.10 and 0.09.
    o = options([[0.10], [NO], [NO]], [[0.10], [0.09]], [[7], [8]])
    s = spread(o, floor=0.0)
    scale = 0.01 / GUMBEL_SD
    expected = np.exp(np.array([0.0, 0.0, -0.01 / scale]))
    expected /= expected.sum()
    assert s.platform.tolist() == [100, 7, 8]
    np.testing.assert_allclose(s.share, expected)
    assert s.new.tolist() == [False, True, True]
    assert s.slot.tolist() == [0, 1, 2]  # new platforms take the empty slots in order


def test_shares_below_the_floor_are_dropped_and_the_rest_renormalised():
    o = options([[0.10], [NO], [NO]], [[0.10], [0.05]], [[7], [8]])
    s = spread(o, floor=0.05)
    assert s.platform.tolist() == [100, 7]
    np.testing.assert_allclose(s.share, [0.5, 0.5])


def test_only_as_many_new_platforms_as_free_slots_and_each_once():
    # Two holdings, one free slot: of candidates 7 (twice), 8 and 9 only the best new one fits.
    o = options([[0.10], [0.10], [NO]], [[0.09], [0.09], [0.11], [0.08]], [[7], [7], [8], [9]])
    s = spread(o, floor=0.0)
    assert sorted(s.platform.tolist()) == [8, 100, 101]
    assert s.slot[s.platform == 8].tolist() == [2]
    # A repeated candidate is one option: shares still sum to one.
    o = options([[NO], [NO], [NO]], [[0.1], [0.1]], [[7], [7]])
    s = spread(o, floor=0.0)
    assert s.platform.tolist() == [7] and s.share.tolist() == [1.0]


def test_a_group_with_nothing_it_can_take_places_nothing_and_others_are_unaffected():
    o = options([[NO, 0.1], [NO, NO]], [[NO, NO]], [[7, 7]])
    s = spread(o, floor=0.0)
    assert s.placer.tolist() == [1] and s.share.tolist() == [1.0]


def test_a_sampled_investor_spreads_over_several_platforms_a_person_does_not():
    def placements(resolution):
        model = SandboxModel(small_market(market__resolution=resolution), seed=3)
        per_investor = []
        for _ in range(6):
            orders = model.investor_decisions()
            model.platform_operations(orders)
            per_investor.append(np.bincount(orders.p_investor))
            model.month += 1
        counts = np.concatenate([c[c > 0] for c in per_investor])
        return counts

    assert placements(1.0).max() == 1  # one platform a month, as before
    spread_out = placements(0.1)
    assert spread_out.max() >= 2 and (spread_out >= 2).mean() > 0.2


def test_a_sampled_borrower_is_served_the_share_of_its_people_the_cash_covers():
    # Every borrower asks this month, far more than the platforms can lend: each platform
    # lends all it can, every group it was asked by served pro rata (none refused outright).
    model = SandboxModel(small_market(market__resolution=0.05, market__borrowers__need_rate=1.0), seed=4)
    book = model.book
    can_lend = lendable(book, model.config.market.platforms, model.behaviour.platforms)
    cash = book.cash[: book.n].copy()
    credit = clear_credit(
        book,
        model.borrowers,
        Policy(book.capacity + 1),
        model.config.market.platforms,
        model.behaviour,
        np.random.default_rng(0),
        model.month,
        stress=False,
    )
    lent = cash - book.cash[: book.n]
    assert credit.sought > 2 * can_lend.sum()
    np.testing.assert_allclose(lent, can_lend[: book.n], rtol=1e-9)
