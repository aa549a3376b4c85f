"""The regulator on a hand-built state: capacity, targeting, the ladder, deadlines, warnings.

A small model is built but not stepped; the test sets the platforms' state and
the month's :class:`Policy` by hand and calls the regulator directly.
"""

from __future__ import annotations

import numpy as np
import pytest
from conftest import small_market

from sandbox import SandboxModel
from sandbox.market.platforms import FRAUD, INTERMEDIARY, REGULATORY, RESOLVING, SUSPENDED
from sandbox.market.policy import Policy

N = 10


def build(local_regulators: int = 1, detection: float = 1.0) -> SandboxModel:
    """Ten honest intermediaries, rows 0-4 in region 0 and 5-9 in region 1, all promising 8%."""
    scenario = small_market(
        market__platforms={
            "initial": N,
            "entry_per_month": 0,
            "regions": 2,
            "capital_median": 1e6,
            "capital_sigma": 0.0,
            "mix": {"intermediary": 1.0, "pool": 0.0, "fraud": 0.0},
        },
        regulator={
            "local_regulators": local_regulators,
            "detection_base": detection,
            "detection_disclosure": 0.0,
            "detection_custody": 0.0,
        },
    )
    model = SandboxModel(scenario, seed=1)
    book = model.book
    book.region[:N] = np.repeat([0, 1], N // 2)
    book.promised_yield[:N] = 0.08
    book.custody[:N] = True
    book.disclosure[:N] = 1.0
    return model


def policy(model: SandboxModel, **fields) -> Policy:
    pol = Policy(model.book.capacity + 1)
    for key, value in fields.items():
        setattr(pol, key, value)
    return pol


def rng() -> np.random.Generator:
    return np.random.default_rng(0)


def test_inspection_capacity_limits_how_many_platforms_are_inspected():
    model = build()
    model.regulators[0].step_month(policy(model, inspection_capacity=3), rng())
    assert model.regulators[0].inspections == 3
    assert model.book.inspected[:N].sum() == 3


def test_no_inspection_rule_means_monitoring_only():
    model = build()
    model.regulators[0].step_month(policy(model), rng())
    assert model.regulators[0].inspections == 0 and not model.book.inspected[:N].any()
    assert (model.book.risk_score[:N] != 0).all()  # every platform is still scored


def test_local_regulators_split_capacity_and_inspect_only_their_regions():
    model = build(local_regulators=2)
    pol = policy(model, inspection_capacity=5)
    for regulator in model.regulators:
        regulator.step_month(pol, rng())
    first, second = model.regulators
    assert (first.inspections, second.inspections) == (3, 2)  # the remainder goes to the first
    inspected = np.flatnonzero(model.book.inspected[:N])
    assert (inspected < 5).sum() == 3 and (inspected >= 5).sum() == 2


def test_risk_targeting_inspects_the_highest_yield_premiums():
    model = build()
    model.book.promised_yield[[2, 6, 9]] = 0.5  # a premium of 21 standard units, far above the noise
    model.regulators[0].step_month(policy(model, inspection_capacity=3, targeting="risk"), rng())
    assert np.flatnonzero(model.book.inspected[:N]).tolist() == [2, 6, 9]


def test_findings_climb_the_ladder_one_rung_each():
    model = build()
    reg, book = model.regulators[0], model.book
    book.custody[0] = False
    pol = policy(model, custody_required=np.ones(book.capacity + 1, dtype=bool), fine=300_000.0, rectification_months=4)
    cash = book.cash[0]
    seen = []
    for _ in range(5):
        reg.inspect(np.array([0]), pol, rng())
        seen.append((int(book.rung[0]), int(book.deadline[0]) if book.rung[0] >= 2 else None))
    assert seen[:4] == [(1, None), (2, 4), (3, 4), (4, 4)]  # orders from rectification on carry a deadline
    assert reg.actions == {"warning": 1, "rectification": 1, "fine": 1, "suspension": 1, "revocation": 1}
    assert book.cash[0] == pytest.approx(cash - 300_000) and model.ledger.fines == pytest.approx(300_000)
    assert book.status[0] == RESOLVING and book.fail_cause[0] == REGULATORY and book.orderly[0]
    assert reg.findings == 5


def test_the_fourth_rung_suspends_new_business():
    model = build()
    model.book.rung[3] = 3
    model.regulators[0].climb(3, policy(model))
    assert model.book.status[3] == SUSPENDED
    assert not model.book.open_for_business()[3]


def test_a_compliant_platform_yields_no_finding():
    model = build()
    pol = policy(model, custody_required=np.ones(model.book.capacity + 1, dtype=bool))
    model.regulators[0].inspect(np.arange(N), pol, rng())
    assert model.regulators[0].findings == 0 and (model.book.rung[:N] == 0).all()


def test_a_detected_fraud_is_revoked_at_once_and_blacklisted():
    model = build()
    book = model.book
    book.kind[4] = FRAUD
    model.regulators[0].inspect(np.array([4, 5]), policy(model, blacklist=True), rng())
    assert book.status[4] == RESOLVING and book.fail_cause[4] == REGULATORY
    assert book.detected_month[4] == model.month and book.blacklisted[4]
    assert book.kind[5] == INTERMEDIARY and book.rung[5] == 0  # the honest one had nothing to find


def test_a_missed_deadline_escalates_and_compliance_stops_it():
    model = build()
    book = model.book
    book.rung[[1, 2]] = 2
    book.deadline[[1, 2]] = model.month
    book.custody[1] = False  # 1 still breaks the custody requirement; 2 has complied
    pol = policy(model, custody_required=np.ones(book.capacity + 1, dtype=bool), fine=100_000.0)
    model.regulators[0].enforce_deadlines(pol)
    assert book.rung[1] == 3 and book.fines[1] == pytest.approx(100_000)
    assert book.rung[2] == 2 and book.fines[2] == 0


def test_public_warnings_name_each_platform_once_and_move_sentiment():
    model = build()
    book, env = model.book, model.environment
    book.promised_yield[7] = 0.5
    before = env.sentiment
    pol = policy(model, early_warning=True, publish_warnings=True, warning_threshold=20.0)
    model.regulators[0].step_month(pol, rng())
    model.regulators[0].step_month(pol, rng())
    assert np.flatnonzero(book.warned[:N]).tolist() == [7] and model.regulators[0].public_warnings == 1
    # The news is the share of platforms named: sentiment falls, by less than a list naming all would.
    assert before * np.exp(-model.behaviour.sentiment.warning_news) < env.sentiment < before
