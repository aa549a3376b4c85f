"""Resolution: a scenario describes the real market; ``market.resolution`` only sets how
many of its people are simulated, each standing for ``1 / resolution`` real ones.

Headline results must not depend on it beyond noise (issue 14, item 2): at
resolutions r and 4r, means over the same seeds agree within 15% or within two
pooled standard errors. docs/model.md states the smallest resolution at which
this holds (about 30 sampled investors and 20 sampled borrowers per platform).
"""

from __future__ import annotations

import numpy as np
import pytest
from conftest import small_market

import sandbox
from sandbox.market.model import SandboxModel

SEEDS = range(20)  # credit-contagion failures are rare (about 0.3 a run): 10 seeds are too few


def market(resolution: float, regime: list | None = None):
    """24 platforms (a few more enter), 48,000 investors and 32,000 borrowers: at 1/16, 3,000
    and 2,000 are simulated (about 125 and 80 per platform)."""
    return small_market(
        regime,
        months=36,
        market__platforms__initial=24,
        market__platforms__entry_per_month=0.5,
        market__investors__count=48_000,
        market__borrowers__count=32_000,
        market__resolution=resolution,
    )


def headline(result) -> dict[str, float]:
    s, m = result.summary, result.monthly
    out = {
        "platform_failures": s["platform_failures"],
        "new_problem": m["new_problem"].sum(),
        "new_closed": m["new_closed"].sum(),
        "investor_loss_total": s["investor_loss_total"],
        "investors_with_loss_share": s["investors_with_loss_share"],
        "credit_supplied_total": s["credit_supplied_total"],
    }
    for month in (11, 23, 35):  # the loan balance path, at each year's end
        out[f"loan_balance[{month}]"] = m["loan_balance"].iloc[month]
    out.update({f"failures_{cause}": k for cause, k in s["failures_by_cause"].items()})
    return out


def test_headline_results_agree_at_resolutions_r_and_4r() -> None:
    low, high = ({}, {})
    for resolution, into in ((1 / 16, low), (1 / 4, high)):
        rows = [headline(sandbox.run(market(resolution), seed=seed)) for seed in SEEDS]
        into.update({k: np.array([row[k] for row in rows], dtype=float) for k in rows[0]})
    disagree = []
    for key in low:
        a, b = low[key], high[key]
        gap = abs(a.mean() - b.mean())
        pooled_se = np.sqrt(a.var(ddof=1) / a.size + b.var(ddof=1) / b.size)
        if gap > 0.15 * abs(b.mean()) and gap > 2 * pooled_se:
            disagree.append(f"{key}: {a.mean():.4g} at 1/16, {b.mean():.4g} at 1/4 (pooled se {pooled_se:.3g})")
    assert not disagree, disagree
    # The market is the same real market at both: money in yuan, not in sampled units.
    assert low["credit_supplied_total"].mean() > 5e9 and high["credit_supplied_total"].mean() > 5e9


def test_each_simulated_person_stands_for_count_over_sampled_real_ones() -> None:
    model = SandboxModel(market(0.01), seed=1)
    assert (model.investors.n, model.borrowers.n) == (480, 320)
    assert model.investors.weight == pytest.approx(100.0) and model.borrowers.weight == pytest.approx(100.0)
    # Budgets and loan demand are the group's: 100 people's money each.
    one = SandboxModel(market(1.0), seed=1)
    assert np.median(model.investors.budget) == pytest.approx(100 * np.median(one.investors.budget), rel=0.25)
    assert np.median(model.borrowers.demand) == pytest.approx(100 * np.median(one.borrowers.demand), rel=0.25)


def test_the_summary_counts_real_people_and_yuan() -> None:
    result = sandbox.run(market(1 / 16), seed=2)
    s = result.summary
    assert s["represented_investors"] == 48_000 and s["represented_borrowers"] == 32_000
    assert s["resolution"] == pytest.approx(1 / 16)
    # Investors who put money in, in real persons: 16 for each simulated one.
    assert s["investors_took_part"] % 16 == 0 and 0 < s["investors_took_part"] <= 48_000
    assert s["peak_loan_balance"] == pytest.approx(result.monthly["loan_balance"].max())
    # Problem and closed platforms split every failure (WDZJ's two counts).
    m = result.monthly
    assert (m["new_problem"] + m["new_closed"]).sum() == m["failures_total"].sum() == s["platform_failures"]


def test_borrower_limits_bind_per_real_borrower_at_any_resolution() -> None:
    """A limit of 20,000 yuan per person: a simulated borrower standing for 50 owes at most 50 x 20,000."""
    per_person = {"individual_per_platform": 20_000, "individual_total": 20_000}
    limits = {"from": "2016-01", **per_person, "company_per_platform": 20_000, "company_total": 20_000}
    model = SandboxModel(market(1 / 50, [{"borrower_limits": limits}]), seed=3)
    for _ in range(6):
        model.step()
    b = model.borrowers
    assert b.weight == pytest.approx(50.0)
    assert b.debt().max() <= 50 * 20_000 * (1 + 1e-9)
    assert b.debt().max() > 0.5 * 50 * 20_000  # the limit binds: without it loans are larger


def test_resolution_outside_0_to_1_is_refused_in_one_line() -> None:
    with pytest.raises(sandbox.ScenarioError, match="resolution"):
        market(0.0)
    with pytest.raises(sandbox.ScenarioError, match="resolution"):
        market(2.0)
