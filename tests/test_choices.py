"""Campaigns as pressure, not schedules (sandbox/market/choices.py).

Under an exit campaign nothing closes on a count: platforms choose to wind
down, convert or carry on, and regulators catch those operating after the
deadline as far as their capacity goes. Paired seeds: the same market with one
lever of the campaign moved.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from conftest import small_market

import sandbox
from sandbox import SandboxModel
from sandbox.market.platforms import CONVERTED

SEEDS = (1, 2, 3, 4)
START = 18  # the campaign starts in 2017-07, once platforms have books that earn
DEADLINE = 8  # months after the campaign starts


def campaign(**rule: Any) -> sandbox.Scenario:
    """A small market of 40 platforms over three years; the campaign starts in month 18."""
    return small_market(
        months=36,
        market__platforms={
            "initial": 40,
            "entry_per_month": 2,
            "capital_median": 2.0e5,
            "mix": {"intermediary": 0.5, "pool": 0.3, "fraud": 0.2},
        },
        regime=[{"exit_campaign": {"from": "2017-07", "months": DEADLINE, **rule}}],
    )


def alive_path(**rule: Any) -> list[np.ndarray]:
    return [sandbox.run(campaign(**rule), seed=s).monthly["alive_total"].to_numpy() for s in SEEDS]


def test_low_capacity_leaves_platforms_operating_after_the_deadline_and_high_capacity_fewer():
    deadline = START + DEADLINE
    low = alive_path(inspection_capacity=0, fine=1.0e6)
    high = alive_path(inspection_capacity=40, fine=1.0e6)
    # With nobody checking, some platforms are still operating well after the deadline:
    # no schedule brings the count to zero by a date.
    assert all(path[deadline + 3] > 0 for path in low)
    # With capacity to check everyone, fewer are left in every seed.
    assert all(h[deadline + 3] < lo[deadline + 3] for h, lo in zip(high, low, strict=True))
    assert sum(h[deadline + 3] for h in high) <= 0.5 * sum(lo[deadline + 3] for lo in low)


def test_the_count_falls_as_a_curve_not_a_straight_line_to_zero():
    for path in alive_path():
        during = path[START : START + DEADLINE + 1]
        exits = -np.diff(during)
        # A schedule of ceil(alive / months left) closes about the same number each month;
        # here exits are front-loaded where margins vanish first and vary month to month.
        assert exits.max() >= 2 * max(exits.min(), 1)
        assert exits[:3].sum() > exits[-3:].sum()


def test_higher_fines_raise_wind_downs_before_the_deadline():
    """A dear fine raises the expected penalty of carrying on, so more platforms with a
    positive margin leave before the deadline. Most leavers here lose money anyway (their
    books run off), so the effect is small: measured over seeds 1-20, 930 vs 904 early
    exits, 15 seeds up and none down (before the sentiment and loss changes of issue 14
    landed: 949 vs 938, 9 up, 1 down)."""

    def early_exits(fine: float, seed: int) -> int:
        m = sandbox.run(campaign(fine=fine, inspection_capacity=10), seed=seed).monthly
        before = m.iloc[START : START + DEADLINE]
        return int(before["failures_orderly_exit"].sum() + before["failures_converted"].sum())

    seeds = range(1, 21)
    cheap = [early_exits(0.0, s) for s in seeds]
    dear = [early_exits(1.0e8, s) for s in seeds]
    up = sum(d > c for c, d in zip(cheap, dear, strict=True))
    down = sum(d < c for c, d in zip(cheap, dear, strict=True))
    assert sum(dear) > sum(cheap)
    assert up >= 8 and up >= 4 * down


def test_only_well_capitalised_solvent_platforms_convert():
    converted = 0
    for s in SEEDS:
        model = SandboxModel(campaign(), seed=s)
        model.run()
        book = model.book
        rows = np.flatnonzero(book.fail_cause[: book.n] == CONVERTED)
        converted += rows.size
        assert (book.capital[rows] >= model.behaviour.campaign.conversion_capital).all()
    assert converted > 0
    # No one converts when the bar is above every platform's capital.
    high_bar = campaign().model_copy(deep=True)
    high_bar.behaviour.campaign.conversion_capital = 1.0e12
    assert sandbox.run(high_bar, seed=1).monthly["failures_converted"].sum() == 0


def loans_path(**rule: Any) -> list[np.ndarray]:
    return [sandbox.run(campaign(**rule), seed=s).monthly["loan_balance"].to_numpy() for s in SEEDS]


def test_a_balance_reduction_path_keeps_business_going_but_shrinks_the_book():
    """China's 2019 "three reductions": with ``balance_reduction`` platforms go on lending
    within a falling path instead of stopping new business at once. Paired seeds: the book
    six months in is below the market's without a campaign and above a campaign's that stops
    new business."""
    t = START + 6
    stop = loans_path(inspection_capacity=0)
    path = loans_path(inspection_capacity=0, balance_reduction=0.05)
    none = [
        sandbox.run(small_market(months=36, market__platforms=campaign().market.platforms.model_dump()), seed=s)
        .monthly["loan_balance"]
        .to_numpy()
        for s in SEEDS
    ]
    for s, p, n in zip(stop, path, none, strict=True):
        assert s[t] < p[t] < n[t]


def test_no_platform_lends_above_its_reduction_path():
    model = SandboxModel(campaign(inspection_capacity=0, balance_reduction=0.02), seed=2)
    for _ in range(START):
        model.step()
    start = model.book.loans[: model.book.n].copy()
    lent = 0.0
    for k in range(6):
        before = model.book.loans[: model.book.n].copy()
        model.step()
        lent += float(model.recorder.rows[-1]["new_credit"])
        path = start * 0.98**k  # the path in force in the month just simulated
        after = model.book.loans[: model.book.n]
        # Lending never takes a platform above its path (repayments only lower loans).
        assert (after <= np.maximum(path, before) + 1.0).all()
    assert lent > 0  # business went on


def test_platforms_off_their_reduction_path_are_caught_before_the_deadline():
    """Books of 12-month loans run off about 8% a month: a path of 30% a month leaves
    most platforms in breach, and inspectors find them from the first month; a path of 1%
    leaves none in breach, so nobody is caught before the deadline."""

    def caught_before_deadline(rate: float) -> int:
        total = 0
        for s in SEEDS:
            m = sandbox.run(campaign(inspection_capacity=5, balance_reduction=rate), seed=s).monthly
            total += int(m["enforcement_actions"].iloc[START : START + DEADLINE].sum())
        return total

    assert caught_before_deadline(0.3) > 10 * max(caught_before_deadline(0.01), 1)
