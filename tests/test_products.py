"""Internet finance beyond P2P lending (issue 17): the money-market fund, payment institutions,
online insurance, their rules, and the households' money across products."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import numpy as np
import pytest
from conftest import ROOT, small_market

import sandbox
from sandbox import SandboxModel, ScenarioError
from sandbox.market.money_fund import MoneyFund
from sandbox.market.product_params import MoneyFundParams, ProductsParams
from sandbox.market.products import ProductMarket
from sandbox.market.streams import Streams
from sandbox.reporting.report import build_report

P2P_COLUMNS = ["alive_total", "investor_money", "loan_balance", "failures_total", "cumulative_investor_loss"]


def households(**kw: Any) -> dict[str, Any]:
    return {"count": 2000, "wealth_median": 50_000, "active_at_start": 1.0, "deposit_rate": 0.015, **kw}


def fund_market(regime: list[dict[str, Any]] | None = None, resolution: float = 1.0, **fund: Any) -> sandbox.Scenario:
    """A small market whose fund suffers a credit event in its seventh month (a run); at
    ``resolution`` each of the 2,000 simulated households stands for 1/resolution persons."""
    block = {"market_rate": 0.04, "shocks": [{"month": "2016-07", "loss_share": 0.03}], **fund}
    people = households(count=round(2000 / resolution))
    return small_market(regime, products={"households": people, "fund": block}, market__resolution=resolution)


def payment_market(regime: list[dict[str, Any]] | None = None, **payments: Any) -> sandbox.Scenario:
    """A small market whose largest payment institution loses most of what it holds in month 7."""
    block = {
        "institutions": 10,
        "capital_median": 1.0e5,
        "capital_sigma": 0.0,
        "unlicensed_share": 0.0,
        "licensed_hazard": 0.0,
        "shocks": [{"month": "2016-07", "rank": 0, "loss_share": 0.8}],
        **payments,
    }
    return small_market(regime, products={"households": households(), "payments": block})


def run(scenario: sandbox.Scenario, seed: int = 1) -> sandbox.RunResult:
    return sandbox.run(scenario, seed=seed)


# ----------------------------------------------------------------- identity
def test_the_new_stream_leaves_every_earlier_stream_drawing_as_before():
    """Streams.products is added last: the children before it are those of the old spawn."""
    streams = Streams.from_seed(3)
    old = np.random.SeedSequence(3).spawn(12)
    assert streams.investors.random() == np.random.default_rng(old[4]).random()
    assert streams.liquidity.random() == np.random.default_rng(old[11]).random()


def test_a_fund_without_fire_sales_leaves_the_p2p_market_draw_for_draw():
    base = run(small_market())
    with_fund = run(small_market(products={"households": households(), "fund": {"market_rate": 0.04}}))
    assert with_fund.monthly["rate_premium"].max() == 0.0  # no fire sale: the benchmark rate is untouched
    assert base.monthly[P2P_COLUMNS].equals(with_fund.monthly[P2P_COLUMNS])
    assert "mmf_assets" not in base.monthly and "mmf_assets_peak" not in base.summary
    assert with_fund.summary["mmf_assets_peak"] > 0


# -------------------------------------------------------------- accounting
def test_money_is_conserved_across_every_product_every_month():
    scenario = small_market(
        products={
            "households": households(),
            "fund": {"market_rate": 0.04, "shocks": [{"month": "2016-07", "loss_share": 0.05}]},
            "payments": {
                "institutions": 10,
                "capital_median": 1.0e5,
                "shocks": [{"month": "2016-05", "loss_share": 0.9}],
            },
            "insurance": {"purchase_rate": 0.2},
        }
    )
    model = SandboxModel(scenario, seed=2)
    while model.running:
        model.step()
        errors = model.products.errors()
        assert max(errors.values()) < 1e-6 * model.products.money()
    result = model.result()
    assert result.summary["client_funds_lost"] > 0 and result.summary["misselling_harm"] > 0
    assert result.summary["accounting_max_rel_error"] < 1e-9
    model.products.deposits[0] -= 1000.0  # a leak shows up in the money identity
    assert model.products.errors()["products money"] == pytest.approx(1000.0, rel=1e-6)
    fund = model.products.fund
    assert fund is not None and model.products.errors()["fund units"] < 1e-6
    fund.held[0] += 1000.0 / fund.unit_value  # units a household holds that the fund never issued
    assert model.products.errors()["fund units"] == pytest.approx(1000.0, rel=1e-6)


def test_a_fund_pays_from_its_buffer_then_maturing_paper_then_fire_sales_at_a_discount():
    fund = MoneyFund(MoneyFundParams(maturity_months=4, fire_sale_impact=0.5), holders=2)
    fund.subscribe(np.array([600.0, 400.0]))
    fund.rebalance(0.0)  # 10% liquid: 100 buffer, 900 securities
    assert (fund.liquid, fund.securities) == pytest.approx((100.0, 900.0))
    paid, _ = fund.redeem(np.array([300.0, 0.0]), reserve_left=0.0)  # 100 buffer + 200 of 225 maturing
    assert paid[0] == pytest.approx(300.0) and fund.fire_sale_loss == 0.0
    paid, _ = fund.redeem(np.array([100.0, 100.0]), reserve_left=0.0)  # 175 matures; 25 is sold
    assert paid.sum() == pytest.approx(200.0)
    discount = 0.5 * 25 / 525  # impact x the share of securities sold
    assert fund.fire_sale_loss == pytest.approx(25 / (1 - discount) - 25) and fund.premium > 0
    paid, _ = fund.redeem(np.array([10_000.0, 10_000.0]), reserve_left=0.0)  # everyone out: all is sold
    assert paid.sum() < fund.held.sum() + 500  # at most the 20% discount short of what they held
    assert fund.unit_value < 1.0  # the loss falls on who stays
    assert fund.accounting_error() < 1e-9


def test_a_p2p_payout_reaches_the_households_deposits():
    params = ProductsParams.model_validate({"households": households(deposit_rate=0.0)})
    products = ProductMarket(params, 1.0, "2016-01", np.random.default_rng(0))
    before = float(products.deposits.sum())
    investors = SimpleNamespace(received=np.array([5.0e6]), invested=np.array([1.0e6]))
    products._take_p2p_flows(SimpleNamespace(investors=investors))
    assert float(products.deposits.sum()) == pytest.approx(before + 4.0e6)


# ------------------------------------------------------------ fund and its rules
def test_the_t0_cap_lowers_the_worst_monthly_outflow_in_a_run():
    """Paired runs at resolution 0.1: the per-person cap applies times each household's weight (10)."""
    free = run(fund_market(resolution=0.1))
    capped = run(fund_market([{"mmf_redemption_cap": {"from": "2016-01", "per_day": 100}}], resolution=0.1))
    assert free.summary["mmf_max_monthly_outflow_share"] > 0.1  # the credit event starts a run
    assert capped.summary["mmf_max_monthly_outflow_share"] < 0.5 * free.summary["mmf_max_monthly_outflow_share"]


def test_a_fire_sale_raises_the_rate_the_rest_of_the_market_sees():
    result = run(fund_market(maturity_months=120, liquid_share=0.0, rate_impact=0.05))
    m = result.monthly
    assert result.summary["mmf_fire_sale_loss"] > 0
    assert m["benchmark_rate"].max() > m["benchmark_rate"].iloc[0]  # the premium reaches the benchmark


def test_the_holding_cap_keeps_every_holding_near_the_cap():
    free = run(fund_market(shocks=[], resolution=0.1))
    capped = fund_market([{"mmf_holding_cap": {"from": "2016-01", "per_person": 5000}}], resolution=0.1, shocks=[])
    capped_model = SandboxModel(capped, 1)
    capped_model.run()
    products = capped_model.products
    assert products.weight == 10
    per_person = products.fund.holdings() / products.weight
    assert per_person.max() < 5000 * 1.05  # the cap, plus interest accrued since
    assert capped_model.result().summary["mmf_assets_peak"] < 0.5 * free.summary["mmf_assets_peak"]


def test_the_liquidity_rule_buffers_a_run_and_caps_the_size_by_the_reserve():
    stressed = {"maturity_months": 120, "liquid_share": 0.0}
    free = run(fund_market(**stressed))
    liquid = run(fund_market([{"mmf_liquidity": {"from": "2016-01", "min_liquid_share": 0.3}}], **stressed))
    first = free.monthly["mmf_outflow_share"].gt(0).idxmax()  # the run's first month
    assert free.monthly["mmf_fire_sale_loss"][first] > 0 == liquid.monthly["mmf_fire_sale_loss"][first]
    assert liquid.summary["mmf_fire_sale_loss"] < 0.8 * free.summary["mmf_fire_sale_loss"]
    small = run(fund_market([{"mmf_liquidity": {"from": "2016-01", "reserve_multiple": 100}}], risk_reserve=1.0e5))
    assert small.summary["mmf_assets_peak"] < 100 * 1.0e5 * 1.05 < free.summary["mmf_assets_peak"]


# ------------------------------------------------------------------ payments
def test_full_central_deposit_leaves_nothing_to_lose_at_a_payment_failure():
    exposed = run(payment_market())
    protected = run(payment_market([{"payment_reserve": {"from": "2016-01", "share": 1.0}}]))
    assert exposed.summary["payment_failures"] >= 1
    assert exposed.summary["client_funds_lost"] > 1.0e6  # yuan, of households and platforms
    assert exposed.summary["client_funds_lost_platforms"] > 0
    assert protected.summary["client_funds_lost"] < 1.0


def test_a_partial_central_deposit_cuts_the_loss_in_proportion():
    exposed = run(payment_market())
    half = run(payment_market([{"payment_reserve": {"from": "2016-01", "share": {"values": {"2016-01": 0.5}}}}]))
    assert half.summary["client_funds_lost"] < 0.6 * exposed.summary["client_funds_lost"]


def test_payment_licensing_closes_unlicensed_institutions_before_they_take_client_money():
    risky = {"unlicensed_share": 0.5, "misappropriation_hazard": 0.2, "shocks": []}
    free = run(payment_market(**risky))
    licensed = run(payment_market([{"payment_licensing": {"from": "2016-01"}}], **risky))
    assert free.summary["client_funds_lost"] > 0
    assert licensed.summary["client_funds_lost"] < 0.2 * free.summary["client_funds_lost"]
    assert licensed.monthly["payment_exits"].sum() > 0


# ----------------------------------------------------------------- insurance
def test_online_insurance_licensing_cuts_misselling_harm():
    products = {"households": households(), "insurance": {"purchase_rate": 0.1, "unlicensed_share": 0.5}}
    free = run(small_market(products=products))
    licensed = run(
        small_market([{"insurance_online_licensing": {"from": "2016-01", "compliance": 1.0}}], products=products)
    )
    assert free.summary["misselling_harm"] > 0 and free.summary["households_harmed"] > 0
    assert licensed.summary["misselling_harm"] < 0.5 * free.summary["misselling_harm"]


# ---------------------------------------------------------------- validation
@pytest.mark.parametrize(
    ("products", "said"),
    [
        ({"fund": {"max_share": 2}}, "products.fund.max_share"),
        ({"households": {"count": 0}}, "products.households.count"),
        ({"payments": {"balance_share": {"values": {"2016-01": 1.5}}}}, "products.payments.balance_share"),
        ({"insurance": {"premium": -1}}, "products.insurance.premium"),
        ({"fund": {"yield": 0.03}}, "products.fund"),
    ],
)
def test_a_bad_product_value_is_refused_naming_the_field(products, said):
    with pytest.raises(ScenarioError, match=said.replace(".", r"\.")):
        small_market(products=products)


def test_a_bad_rule_value_is_refused_naming_the_field():
    with pytest.raises(ScenarioError, match="per_day"):
        small_market([{"mmf_redemption_cap": {"from": "2016-01", "per_day": -5}}])


def test_the_model_docs_list_every_product_parameter_with_its_default():
    text = (ROOT / "docs" / "model.md").read_text()
    for block in ProductsParams.model_fields:
        value = getattr(ProductsParams.model_validate({block: {}}), block)  # each block at its defaults
        for name in type(value).model_fields:
            if name != "shocks":
                shown = f"{getattr(value, name):g}"
                assert f"| `products.{block}.{name}` | {shown} |" in text, f"docs/model.md: no row for {block}.{name}"


def test_a_report_of_a_products_run_shows_the_products_and_their_headline(tmp_path):
    products = {"households": households(), "fund": {"market_rate": 0.04}, "payments": {"institutions": 5}}
    sandbox.run(small_market(products=products), seed=1).save(tmp_path / "run")
    report = build_report(tmp_path / "run")
    assert "Money-market fund assets" in [f.title for f in report.figures]
    assert "Payment client funds lost" in [f.title for f in report.figures]
    assert {"mmf_assets_peak", "mmf_max_monthly_outflow_share", "client_funds_lost"} <= set(report.headline["metric"])
    sandbox.run(small_market(), seed=1).save(tmp_path / "p2p")
    assert "Money-market fund assets" not in [f.title for f in build_report(tmp_path / "p2p").figures]


def test_two_shocks_in_one_month_fail_both_institutions_and_the_accounts_hold():
    both = [{"month": "2016-03", "rank": r, "loss_share": 0.9} for r in (0, 1)]
    result = run(payment_market(institutions=2, shocks=both))
    assert result.summary["payment_failures"] == 2  # clients of the last to fail stay where nothing is left
    assert result.summary["accounting_max_rel_error"] < 1e-9


# ------------------------------------------------- P2P against the fund (item 3)
def test_p2p_investors_keep_less_in_p2p_when_the_fund_pays_nearly_as_much():
    """Households weigh P2P's typical yield against the fund's: a fund paying 9% leaves P2P
    investors a smaller share of their budget than one paying 2%, whose spread is above the
    reference, same seed; with no response P2P ignores the fund."""

    def p2p_money(market_rate: float, response: float) -> float:
        people = households(p2p_yield_response=response, p2p_reference_spread=0.04)
        scenario = small_market(products={"households": people, "fund": {"market_rate": market_rate}})
        return float(run(scenario, seed=2).monthly["investor_money"].iloc[6:].mean())

    assert p2p_money(0.02, 0.5) == pytest.approx(p2p_money(0.02, 0.0))  # spread above reference: all of it
    assert p2p_money(0.09, 0.5) < 0.7 * p2p_money(0.09, 0.0)
    assert p2p_money(0.09, 0.0) == pytest.approx(p2p_money(0.02, 0.0))  # P2P ignores the fund without a response


def test_p2p_appetite_is_a_capped_logit_in_the_yield_gap():
    model = SandboxModel(
        small_market(
            products={"households": households(p2p_yield_response=0.3, p2p_reference_spread=0.06), "fund": {}}
        ),
        seed=1,
    )
    products = model.products
    assert products is not None
    book = model.book
    book.promised_yield[: book.n] = 0.10
    products.fund_yield = 0.10 - 0.06
    assert products.p2p_appetite(model) == pytest.approx(1.0)
    products.fund_yield = 0.10  # no gap: 6 points under the reference
    assert products.p2p_appetite(model) == pytest.approx(2 / (1 + np.exp(1.8)))
    products.fund_yield = 0.0  # far above the reference: capped at the whole budget
    assert products.p2p_appetite(model) == 1.0
