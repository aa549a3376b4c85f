"""Several jurisdictions (issue 16): local regimes, moves across borders, shared blacklists.

Small two-jurisdiction markets ("home" and "next"), paired runs on the same seeds.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import pytest
from conftest import ROOT, small_market

import sandbox
from sandbox import ScenarioError, load_scenario
from sandbox.market.model import SandboxModel
from sandbox.market.relocation import admits, arrive
from sandbox.reporting.report import build_report

SEEDS = (1, 2, 3)
BAN = [{"exit_campaign": {"from": "2016-07", "months": 12}}]


def two(home: list | None = None, nxt: list | None = None, top: list | None = None, **kw: Any):
    """A small market split 60/40 in platforms, half and half in people; inspections everywhere."""
    places = {
        "home": {"platforms": 0.6, "investors": 0.5, "borrowers": 0.5, "regime": home or []},
        "next": {"platforms": 0.4, "investors": 0.5, "borrowers": 0.5, "regime": nxt or []},
    }
    sizes = {
        "market__platforms__initial": 60,
        "market__platforms__entry_per_month": 2.0,
        "market__investors__count": 3000,
        "months": 36,
    }
    regime = [{"inspections": {"from": "2016-01", "capacity": 4}}, *(top or [])]
    return small_market(regime=regime, jurisdictions=places, **(sizes | kw))


def by_place(result) -> Any:
    return result.tables["summary_by_jurisdiction"].set_index("jurisdiction")


def test_tightening_home_moves_platforms_out_and_raises_failures_and_losses_next_door():
    moved, next_failures, next_losses = [], [], []
    for seed in SEEDS:
        control, tight = (sandbox.run(two(home), seed=seed) for home in ([], BAN))
        assert control.summary["relocations"] == 0  # nothing pushes a platform out
        moved.append(by_place(tight).loc["home", "relocations_out"])
        assert by_place(tight).loc["next", "relocations_in"] == moved[-1]
        c, t = by_place(control).loc["next"], by_place(tight).loc["next"]
        next_failures.append(t["failures_total"] - c["failures_total"])
        next_losses.append(t["holding_loss"] - c["holding_loss"])
    assert min(moved) > 0
    assert sum(next_failures) > 0 and sum(next_losses) > 0
    moves = tight.tables["relocations"]
    assert list(moves.columns) == ["month", "platform", "from", "to", "reason"]
    assert set(moves["from"]) == {"home"} and set(moves["to"]) == {"next"}
    assert moves["reason"].str.startswith("home deadline").all()


def test_a_ban_next_door_keeps_platforms_home():
    # The neighbour bans foreign platforms: nobody can move there.
    closed = [{"cross_border_access": {"from": "2016-01", "access": "ban"}}]
    result = sandbox.run(two(BAN, closed), seed=1)
    assert result.summary["relocations"] == 0


def test_a_local_rule_binds_only_locally():
    cap = [{"rate_cap": {"from": "2016-01", "apr": 0.10}}, {"exit_campaign": {"from": "2016-01", "months": 12}}]
    model = SandboxModel(two(cap), seed=1)
    model.step()
    n = model.book.n
    home = model.jurisdictions.home[:n] == 0
    assert home.any() and (~home).any()
    assert (model.policy.rate_cap[:n][home] == pytest.approx(0.10)) and np.isinf(model.policy.rate_cap[:n][~home]).all()
    assert (model.policy.exit_deadline[:n][home] == 12).all() and np.isinf(model.policy.exit_deadline[:n][~home]).all()
    alive = model.book.alive()
    assert model.book.exiting[:n][home & alive].all() and not model.book.exiting[:n][~home].any()


def test_without_sharing_more_blacklisted_controllers_get_in_elsewhere():
    frauds = {
        "market__platforms__mix": {"intermediary": 0.2, "pool": 0.2, "fraud": 0.6},
        "market__platforms__controller_reentry": 0.3,
    }
    blacklist = [{"blacklist": {"from": "2016-01"}}]
    shared = [{"information_sharing": {"from": "2016-01", "level": "blacklist"}}]
    for seed in SEEDS[:2]:
        alone = sandbox.run(two(blacklist, blacklist, **frauds), seed=seed)
        sharing = sandbox.run(two(blacklist, blacklist, shared, **frauds), seed=seed)
        assert alone.summary["controllers_returned"] > 10
        assert sharing.summary["controllers_returned"] < alone.summary["controllers_returned"] / 5


def test_a_move_leaves_money_and_claims_where_they_were():
    model = SandboxModel(two(), seed=1)
    for _ in range(6):
        model.step()
    owner, book = model.jurisdictions, model.book
    rows = np.flatnonzero(book.alive() & (owner.home[: book.n] == 0))[:3]
    before = {k: getattr(book, k)[rows].copy() for k in ("units", "unit_value", "loans", "cash", "capital")}
    holdings = model.investors.units_by_platform(book.capacity + 1)[rows].copy()
    opex = model.ledger.opex
    owner.mover.dest[rows], owner.mover.due[rows] = 1, model.month
    arrive(owner)
    cost = np.minimum(model.behaviour.relocation.cost * before["capital"], np.maximum(before["cash"], 0.0))
    assert (owner.home[rows] == 1).all() and (owner.former[rows] == 0).all()
    for key in ("units", "unit_value", "loans"):
        np.testing.assert_array_equal(getattr(book, key)[rows], before[key])
    np.testing.assert_allclose(book.cash[rows], before["cash"] - cost)
    np.testing.assert_array_equal(model.investors.units_by_platform(book.capacity + 1)[rows], holdings)
    assert model.ledger.opex - opex == pytest.approx(cost.sum())
    assert model.ledger.check(model) < 1e-6  # the identities hold across the border
    result = sandbox.run(two(BAN), seed=2)
    assert result.summary["relocations"] > 0 and result.summary["accounting_max_rel_error"] < 1e-9


def test_residents_reach_foreign_platforms_only_as_their_home_allows():
    shut = [{"cross_border_access": {"from": "2016-01", "access": "ban"}}]
    model = SandboxModel(two(shut), seed=1)
    for _ in range(4):
        model.step()
    owner = model.jurisdictions
    inv = model.investors
    held = inv.platform[:, owner.investor_home == 0]
    foreign = (held >= 0) & (owner.home[np.maximum(held, 0)] == 1)
    assert not foreign.any()  # home's residents placed nothing abroad
    lenders = model.borrowers.platform[owner.borrower_home == 0]
    assert (lenders >= 0).any()
    assert not ((lenders >= 0) & (owner.home[np.maximum(lenders, 0)] == 1)).any()  # nor borrowed there
    next_lenders = model.borrowers.platform[owner.borrower_home == 1]
    assert ((next_lenders >= 0) & (owner.home[np.maximum(next_lenders, 0)] == 0)).any()  # next's are open
    assert sum(r["foreign_placements_refused"] for r in owner.rows if r["jurisdiction"] == "home") > 0


@pytest.mark.parametrize(
    ("places", "said"),
    [
        (
            {
                "a": {"platforms": 0.5, "investors": 0.5, "borrowers": 0.5},
                "b": {"platforms": 0.4, "investors": 0.5, "borrowers": 0.5},
            },
            "jurisdictions: platforms shares add up to 0.9 (a 0.5, b 0.4); allowed: 1",
        ),
        (
            {
                "a": {
                    "platforms": 1,
                    "investors": 1,
                    "borrowers": 1,
                    "regime": [{"rate_cap": {"from": "2016-01", "apr": -1}}],
                }
            },
            "jurisdictions.a.regime[0].rate_cap.apr",
        ),
        (
            {
                "a": {
                    "platforms": 1,
                    "investors": 1,
                    "borrowers": 1,
                    "regime": [{"borrower_limits": {"from": "2016-01"}}],
                }
            },
            "jurisdiction a: borrower_limits sets national requirements",
        ),
        (
            {
                "a": {
                    "platforms": 1,
                    "investors": 1,
                    "borrowers": 1,
                    "regime": [{"information_sharing": {"from": "2016-01", "with": ["b"]}}],
                }
            },
            "jurisdictions.a.regime[0].information_sharing.with: jurisdiction a: found 'b', not a jurisdiction",
        ),
        (
            {"a": {"platforms": 1, "investors": 1, "borrowers": 1, "regime": [{"licensing": {"from": "2030-01"}}]}},
            "jurisdictions.a.regime[0].licensing.from: jurisdiction a: found 2030-01, after the horizon",
        ),
    ],
)
def test_validation_names_the_jurisdiction_and_the_field(places, said):
    with pytest.raises(ScenarioError) as err:
        small_market(jurisdictions=places)
    assert said in str(err.value)


def test_sharing_rules_need_jurisdictions():
    with pytest.raises(ScenarioError, match=r"regime\[0\].cross_border_access: needs a jurisdictions: section"):
        small_market(regime=[{"cross_border_access": {"from": "2016-01"}}])


def test_the_provinces_scenario_homes_the_2015_platform_counts():
    scenario = load_scenario(ROOT / "scenarios" / "china_provinces.yaml")
    model = SandboxModel(scenario, seed=1, months=1)
    owner = model.jurisdictions
    counts = np.bincount(owner.home[: model.book.n], minlength=len(owner.names))
    shares = dict(zip(owner.names, counts / counts.sum(), strict=True))
    assert shares["Beijing"] == pytest.approx(334 / 2474, abs=1e-3)
    assert shares["Guangdong"] == pytest.approx(490 / 2474, abs=1e-3)
    assert counts.sum() == scenario.market.platforms.initial


def test_outputs_and_report_by_jurisdiction(tmp_path):
    result = sandbox.run(two(BAN), seed=1)
    out = result.save(tmp_path / "run")
    monthly = pd.read_csv(out / "monthly_by_jurisdiction.csv")
    assert len(monthly) == 2 * 36 and set(monthly["jurisdiction"]) == {"home", "next"}
    # Failures by jurisdiction add up to the run's; so do operating platforms.
    assert monthly["failures_total"].sum() == result.summary["platform_failures"]
    last = monthly[monthly["month"] == monthly["month"].max()]
    assert last["alive_total"].sum() == result.monthly["alive_total"].iloc[-1]
    assert last["cumulative_resident_loss"].sum() == pytest.approx(result.summary["investor_loss_total"])
    assert (out / "relocations.csv").is_file() and (out / "summary_by_jurisdiction.csv").is_file()
    report = build_report(out)
    titles = [f.title for f in report.figures]
    assert "Operating platforms and failures by jurisdiction" in titles
    moves = next(t for t in report.tables if t.title == "Moves and returning controllers").table
    assert moves.set_index("jurisdiction").loc["home", "relocations_out"] == result.summary["relocations"]


@pytest.mark.parametrize("level", ["none", "full"])
def test_with_full_sharing_records_travel_and_home_supervises_platforms_that_left(level):
    shared = [{"information_sharing": {"from": "2016-01", "level": level}}]
    model = SandboxModel(two(top=shared), seed=1)
    model.step()
    owner, book = model.jurisdictions, model.book
    rows = np.flatnonzero(book.alive() & (owner.home[: book.n] == 0))[:2]
    book.rung[rows[0]] = 2  # under a rectification order at home
    admitted = admits(owner, rows)
    assert admitted[1, 1]  # a clean record moves in either way
    assert admitted[1, 0] == (level == "none")  # the order is known next door only with full sharing
    owner.mover.dest[rows], owner.mover.due[rows] = 1, model.month
    arrive(owner)
    assert (owner.home[rows] == 1).all()
    assert owner.covered(1)[rows].all()  # the new home supervises them
    assert owner.covered(0)[rows].all() == (level == "full")  # the old one too, if the new one cooperates
    assert book.rung[rows[0]] == (2 if level == "full" else 0)  # without it, the ladder starts again


def test_one_jurisdiction_holding_everything_runs_as_without_jurisdictions():
    # The hooks change nothing by themselves: same policy, entry, screening, access, regulator
    # and draws of the market's streams. (Returning fraud controllers are left out: with
    # jurisdictions they are listed where they failed and retry even when blacklisted.)
    sizes = {
        "market__platforms__initial": 40,
        "market__platforms__entry_per_month": 2.0,
        "market__platforms__controller_reentry": 0.0,
        "market__investors__count": 3000,
        "months": 36,
    }
    regime = [
        {"inspections": {"from": "2016-01", "capacity": 4}},
        {"licensing": {"from": "2016-06", "grace_months": 6, "min_capital": 5.0e5}},
        {"rate_cap": {"from": "2016-03", "apr": 0.2}},
    ]
    alone = sandbox.run(small_market(regime=regime, **sizes), seed=4)
    everything = {"all": {"platforms": 1, "investors": 1, "borrowers": 1}}
    one = sandbox.run(small_market(regime=regime, jurisdictions=everything, **sizes), seed=4)
    assert alone.summary["platform_failures"] > 5
    pd.testing.assert_frame_equal(alone.monthly, one.monthly)
    assert one.summary["relocations"] == 0
