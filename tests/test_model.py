"""The whole model: determinism, accounting on every shipped scenario, outputs."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from conftest import SCENARIOS, small_market

import sandbox
from sandbox import SandboxModel, load_scenario
from sandbox.market.platforms import CAUSES, RESOLVING, Platform
from sandbox.market.results import gini, largest_wave_share

SUMMARY_KEYS = {
    "investor_loss_total",
    "investor_loss_share",
    "investors_with_loss_share",
    "investors_losing_over_50pct",
    "loss_gini",
    "platform_failures",
    "failures_by_cause",
    "largest_wave_share",
    "contagion_share",
    "credit_supplied_total",
    "credit_excluded_total",
    "accounting_max_abs_error",
    "seed",
}


def test_same_seed_same_run_different_seed_different_run():
    scenario = small_market()
    a, b, c = (sandbox.run(scenario, seed=s) for s in (11, 11, 12))
    pd.testing.assert_frame_equal(a.monthly, b.monthly)
    pd.testing.assert_frame_equal(a.platforms, b.platforms)
    pd.testing.assert_frame_equal(a.investors, b.investors)
    assert a.summary == b.summary
    assert not a.monthly["investor_money"].equals(c.monthly["investor_money"])


@pytest.mark.parametrize("path", SCENARIOS, ids=[p.stem for p in SCENARIOS])
def test_every_shipped_scenario_runs_with_consistent_accounts(path):
    """Stock-flow consistency: the four identities hold every month to rounding.

    Each scenario runs its whole horizon with every rule and product it ships with;
    those shipped at a resolution below 1 run at a fifth of it (the identities do
    not depend on how many people are sampled, and the suite must stay quick).
    """
    scenario = load_scenario(path)
    resolution = scenario.market.resolution
    if resolution < 1:
        scenario = scenario.with_updates({"market.resolution": resolution / 5})
    result = sandbox.run(scenario, seed=3)
    s = result.summary
    assert s["accounting_max_rel_error"] < 1e-9
    assert s["accounting_max_abs_error"] < 1e-2  # yuan, on markets of hundreds of millions
    assert (result.monthly["accounting_error"] < 1e-2).all()
    assert s.keys() >= SUMMARY_KEYS
    assert set(s["failures_by_cause"]) == set(CAUSES)
    assert s["platform_failures"] == sum(s["failures_by_cause"].values()) == len(result.failures)


def test_accounting_check_catches_a_leak():
    """The check is not vacuous: money taken out of a platform without a booked flow shows up."""
    model = SandboxModel(small_market(), seed=1)
    for _ in range(3):
        model.step()
    assert model.ledger.check(model) < 1e-6
    model.book.cash[0] -= 1000.0
    assert model.ledger.check(model) == pytest.approx(1000.0, rel=1e-9)


def test_failures_recorded_with_month_and_cause_and_losses_booked_to_investors():
    result = sandbox.run(load_scenario(SCENARIOS[0]), seed=2)
    failed = result.platforms.dropna(subset=["failure_cause"])
    assert len(failed) > 0
    assert set(failed["failure_cause"]) <= set(CAUSES)
    assert failed["failure_month"].str.match(r"^\d{4}-\d{2}$").all()
    # Losses and gains booked per platform (per holding) net to what investors put in, less
    # what they took out, less what they hold; so do the investors' own losses and gains.
    inv, plat = result.investors, result.platforms
    # The investor table is per real investor; each row stands for `represents` of them.
    people = inv["represents"]
    net = ((inv["invested"] - inv["received"] - inv["held"]) * people).sum()
    assert (plat["investor_loss"] - plat["investor_gain"]).sum() == pytest.approx(net, rel=1e-9)
    assert result.summary["investor_loss_total"] - result.summary["investor_gain_total"] == pytest.approx(net, rel=1e-9)
    assert result.summary["investor_loss_total"] == pytest.approx((inv["lost"] * people).sum(), rel=1e-12)


def test_monthly_series_cover_the_horizon_with_the_spec_columns():
    result = sandbox.run(small_market(), seed=1, months=10)
    m = result.monthly
    assert len(m) == 10 and m["month"].iloc[0] == "2016-01" and m["month"].iloc[-1] == "2016-10"
    for column in (
        "alive_intermediary",
        "alive_pool",
        "alive_fraud",
        "entries",
        "failures_fraud",
        "loan_balance",
        "investor_money",
        "new_credit",
        "credit_excluded_cap",
        "avg_yield",
        "avg_apr",
        "default_rate",
        "sentiment",
        "enforcement_actions",
        "cumulative_investor_loss",
        "investors_with_loss",
        "cumulative_holding_loss",
    ):
        assert column in m.columns
    # The investors' loss nets each investor's own results, so its sum may fall (a later
    # gain covers an earlier loss; at the horizon accrued interest still held counts): on
    # this seed 1495.75 yuan in the ninth month, 325.56 at the horizon. Losses per holding are
    # booked once and never reversed, never below the netted sum, and end at the platforms'.
    held = m["cumulative_holding_loss"]
    assert (held.diff().fillna(0) >= 0).all() and held.iloc[-1] > 0
    assert (held >= m["cumulative_investor_loss"] - 1e-6).all()
    assert held.iloc[-1] == pytest.approx(result.platforms["investor_loss"].sum(), rel=1e-12)


def test_platforms_are_mesa_agents_backed_by_the_book():
    model = SandboxModel(small_market(), seed=1)
    model.step()
    agents = list(model.agents_by_type[Platform])
    assert len(agents) == model.book.n
    p = agents[0]
    assert p.claims == pytest.approx(p.cash + p.loans - p.equity)
    assert p.kind in ("intermediary", "pool", "fraud")


def test_a_subclassed_platform_hook_is_called_on_failure():
    failures = []

    class Watched(Platform):
        def on_failure(self, cause, orderly):
            failures.append((self.row, cause, orderly))

    class Model(SandboxModel):
        platform_class = Watched

    model = Model(small_market(), seed=1)
    assert all(type(a) is Watched for a in model.agents_by_type[Watched])
    model.fail(np.array([0]), CAUSES.index("regulatory"), orderly=True)
    assert failures and failures[0][1] == "regulatory"


def test_large_populations_get_a_percentile_summary(monkeypatch):
    monkeypatch.setattr("sandbox.market.results.INVESTOR_DETAIL_MAX", 100)
    result = sandbox.run(small_market(), seed=1, months=6)
    assert "percentile" in result.investors.columns
    assert result.investors["lost"].is_monotonic_increasing


def test_gini_and_wave_on_known_values():
    assert gini(np.array([1.0, 1.0, 1.0])) == pytest.approx(0.0)
    assert gini(np.array([0.0, 0.0, 0.0, 4.0])) == pytest.approx(0.75)
    monthly = pd.DataFrame({"failures_total": [0, 2, 3, 1, 0], "alive_total": [10, 8, 5, 4, 4]})
    # Months 1-3 see 6 failures; 10 platforms were alive when month 1 began.
    assert largest_wave_share(monthly) == pytest.approx(0.6)


def _stepped(months: int = 6, accounting: str = "error", steps: int = 2) -> SandboxModel:
    """A small model stepped by hand through ``steps`` months (2016-01, 2016-02, ...)."""
    model = SandboxModel(small_market(), seed=1, months=months, accounting=accounting)
    for _ in range(steps):
        model.step()
    return model


def _nan_in_opex(model: SandboxModel) -> None:
    model.ledger.opex = float("nan")


def _nan_in_a_holding(model: SandboxModel) -> None:
    inv = model.investors
    inv.units[tuple(np.argwhere(inv.platform >= 0)[0])] = np.nan


def _nan_in_cash(model: SandboxModel) -> None:
    model.book.cash[0] = np.nan


@pytest.mark.parametrize(
    ("inject", "identity"),
    [(_nan_in_opex, "money"), (_nan_in_a_holding, "investor claims"), (_nan_in_cash, "balance sheet")],
)
def test_nan_in_the_accounts_stops_the_run_naming_identity_and_month(inject, identity):
    """Python's ``max`` drops NaN; the check must not: NaN in a stock or flow is an error."""
    from sandbox.market.accounting import AccountingError

    model = _stepped()
    inject(model)
    with pytest.raises(AccountingError, match=f"in 2016-03: the {identity} identity is NaN") as caught:
        model.step()
    assert caught.value.identity == identity and caught.value.month == "2016-03"
    assert np.isnan(model.ledger.check(model))


def test_an_error_beyond_tolerance_stops_the_run_with_its_size():
    from sandbox.market.accounting import AccountingError

    model = _stepped()
    model.book.cash[0] -= 5000.0  # money gone without a booked flow
    with pytest.raises(AccountingError, match=r"2016-03: the balance sheet identity is off by 5,000\.00 yuan"):
        model.step()


def test_an_infinite_flow_stops_the_run():
    from sandbox.market.accounting import AccountingError

    model = _stepped()
    model.ledger.fines = np.inf  # an infinite flow booked
    with pytest.raises(AccountingError, match="2016-03: the money identity is off by an infinite amount"):
        model.step()


def test_warn_mode_warns_once_and_runs_to_the_horizon_with_nan_in_the_summary():
    from sandbox.market.accounting import AccountingWarning

    model = _stepped(accounting="warn")
    _nan_in_opex(model)
    with pytest.warns(AccountingWarning, match="2016-03: the money identity is NaN") as caught:
        while model.running:
            model.step()
    assert len([w for w in caught if issubclass(w.category, AccountingWarning)]) == 1
    result = model.result()
    assert len(result.monthly) == 6 and result.monthly["accounting_error"].iloc[2:].isna().all()
    assert np.isnan(result.summary["accounting_max_abs_error"])


def test_accounting_mode_is_checked():
    with pytest.raises(ValueError, match="accounting: found 'ignore'; allowed: error, warn"):
        sandbox.run(small_market(), seed=1, months=2, accounting="ignore")


def test_mesa_loop_ends_at_the_horizon_and_the_result_is_what_run_gives():
    """``while model.running: model.step()`` ends; a step past the horizon is an error;
    a hand-stepped model's result equals ``sandbox.run`` with the same seed."""
    from sandbox.market.model import HorizonError

    scenario = small_market(market__platforms__mix={"intermediary": 0.3, "pool": 0.3, "fraud": 0.4})
    model = SandboxModel(scenario, seed=8, months=9)  # two wind-downs still running before the last month
    steps = 0
    while model.running:
        model.step()
        steps += 1
        assert steps <= 9, "running never turned False"
    assert steps == 9 and model.month == 9
    with pytest.raises(HorizonError, match="all 9 months are simulated"):
        model.step()
    hand, ran = model.result(), sandbox.run(scenario, seed=8, months=9)
    for table in ("monthly", "platforms", "investors", "failures"):
        pd.testing.assert_frame_equal(getattr(hand, table), getattr(ran, table))
    assert hand.summary == ran.summary
    # A wind-down still running at the horizon was settled by the last step, as run() settles it.
    assert hand.summary["platform_failures"] > 0 and hand.summary["investor_loss_total"] > 0
    assert not (model.book.status[: model.book.n] == RESOLVING).any()


def test_result_of_a_model_not_yet_stepped_is_one_clear_error():
    # It raised KeyError('credit_excluded_cap') from deep inside the summary.
    from sandbox.market.model import HorizonError

    model = SandboxModel(small_market(), seed=1, months=3)
    with pytest.raises(HorizonError, match=r"no month simulated yet; call step\(\)"):
        model.result()
    model.step()
    assert len(model.result().monthly) == 1


def test_each_population_has_its_own_stream():
    """Changing one population's size leaves the other populations' draws unchanged
    (common random numbers across scenarios that differ in one population)."""
    base = small_market()
    more_investors = base.with_updates({"market.investors.count": 4500})
    more_borrowers = base.with_updates({"market.borrowers.count": 3500})
    a = SandboxModel(base, seed=3)
    b = SandboxModel(more_investors, seed=3)
    c = SandboxModel(more_borrowers, seed=3)
    book = ("kind", "base_yield", "capital", "custody", "region")
    for other in (b, c):
        for column in book:  # the initial platforms are drawn alike
            n = a.book.n
            np.testing.assert_array_equal(getattr(a.book, column)[:n], getattr(other.book, column)[:n])
    # Borrowers unchanged by more investors; investors unchanged by more borrowers.
    np.testing.assert_array_equal(a.borrowers.pd, b.borrowers.pd)
    np.testing.assert_array_equal(a.borrowers.demand, b.borrowers.demand)
    np.testing.assert_array_equal(a.investors.budget, c.investors.budget)
    np.testing.assert_array_equal(a.investors.literacy, c.investors.literacy)
    # ... and the population that changed is a different sample
    assert b.investors.budget.size == 4500 and c.borrowers.pd.size == 3500


def stalling_market(launch_months: float):
    """Twelve platforms, few investors: most never grow beyond their owners' capital."""
    return small_market(
        months=24,
        market__platforms={"initial": 12, "entry_per_month": 0.5, "capital_median": 2.0e6, "capital_sigma": 0.0},
        market__investors={"count": 600, "active_at_start": 1.0, "wealth_median": 20000},
        behaviour__platforms={"launch_months": launch_months, "stall_scale": 1.0},
    )


def test_owners_close_platforms_that_never_take_off_after_their_launch():
    """WDZJ's closed platforms (停业) are mostly young: with ``launch_months`` an honest
    platform still losing money after its launch, with investors' money under
    ``stall_scale`` x its capital, winds down in good order. Paired seeds: the same
    markets without the rule keep those platforms open."""
    on_total = off_total = 0
    for seed in (1, 2, 3):
        on = sandbox.run(stalling_market(6), seed=seed)
        off = sandbox.run(stalling_market(0), seed=seed)
        on_total += int(on.monthly["failures_orderly_exit"].sum())
        off_total += int(off.monthly["failures_orderly_exit"].sum())
        closed = on.platforms[on.platforms["failure_cause"] == "orderly_exit"]
        # Only after the launch months, never a fraud, and only small ones.
        age = closed["failure_month"].map(lambda m: int(m[:4]) * 12 + int(m[5:7])) - closed["entry_month"].map(
            lambda m: int(m[:4]) * 12 + int(m[5:7])
        )
        assert (age >= 6).all() and (closed["kind"] != "fraud").all()
        assert (closed["claims_at_failure"] < closed["capital"]).all()
    assert on_total > off_total + 5
