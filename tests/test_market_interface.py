"""Rules reach the market only through the documented Market protocol.

The AST scan makes the interface a contract: a rule that reads ``model.config``
or calls ``model._anything`` fails here until the member is added (and
documented) in ``sandbox/market/interface.py``.
"""

from __future__ import annotations

import ast
import inspect
from pathlib import Path

import numpy as np
import pytest
from conftest import small_market

from sandbox.market.interface import Market
from sandbox.market.platforms import ACTIVE, CLOSED, ORDERLY_EXIT, REGULATORY, RESOLVING, SUSPENDED

RULES = Path(__file__).resolve().parents[1] / "sandbox" / "rules"
MEMBERS = {name for name in vars(Market) if not name.startswith("_")}


def model_reads(source: str) -> set[str]:
    """Every attribute taken from a name ``model`` in ``source``."""
    return {
        node.attr
        for node in ast.walk(ast.parse(source))
        if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id == "model"
    }


def test_protocol_lists_what_rules_need():
    assert {
        "month",
        "book",
        "month_index",
        "value_now",
        "benchmark_rate",
        "order_exit",
        "revoke",
        "charge_fine",
        "suspend",
        "add_platforms",
        "rule_state",
    } <= MEMBERS


@pytest.mark.parametrize("path", sorted(RULES.glob("*.py")), ids=lambda p: p.name)
def test_rules_read_only_protocol_members(path: Path):
    outside = model_reads(path.read_text()) - MEMBERS
    assert not outside, f"{path.name} reads model.{', model.'.join(sorted(outside))}, not in the Market protocol"


def test_the_scan_catches_internals():
    # The scan must see through to what the old rules did, or the test above proves nothing.
    old = "def act(self, model):\n    model.fail(rows, 5, orderly=True)\n    x = model.config.start\n"
    assert model_reads(old) - MEMBERS == {"fail", "config"}


def test_every_member_is_documented():
    for name in MEMBERS:
        member = vars(Market)[name]
        doc = inspect.getdoc(member.fget if isinstance(member, property) else member)
        assert doc and len(doc) > 20, f"Market.{name} needs a docstring"


@pytest.fixture(scope="module")
def model():
    from sandbox import SandboxModel

    m = SandboxModel(small_market(market__platforms__initial=6), seed=1)
    m.step()
    return m


def test_sandbox_model_is_a_market(model):
    assert isinstance(model, Market)
    assert model.month_index(model.month_label()) == model.month == 1
    assert model.month_index("2015-12") == -1  # small_market starts 2016-01
    assert model.benchmark_rate == model.environment.benchmark_rate > 0
    assert model.value_now(0.3) == 0.3


def test_rule_state_is_made_once_per_run(model):
    made: list[int] = []

    def factory() -> dict[str, int]:
        made.append(1)
        return {"count": 0}

    state = model.rule_state("test_counter", factory)
    state["count"] += 1
    assert model.rule_state("test_counter", factory) is state
    assert state["count"] == 1 and len(made) == 1
    assert model.rule_state("other", list) == []


def test_rule_actions_change_the_platforms_named():
    from sandbox import SandboxModel

    m = SandboxModel(small_market(market__platforms__initial=6), seed=2)
    m.step()
    book = m.book
    assert (book.status[:6] == ACTIVE).all()
    m.suspend(np.array([0]))
    assert book.status[0] == SUSPENDED
    m.order_exit(np.array([1]))
    assert book.status[1] == RESOLVING and book.fail_cause[1] == ORDERLY_EXIT and book.orderly[1]
    m.revoke(np.array([2]))
    assert book.status[2] == RESOLVING and book.fail_cause[2] == REGULATORY
    assert m.regulators[0].actions["revocation"] == 1
    book.status[3] = CLOSED
    m.suspend(np.array([3]))  # a closed platform stays closed
    assert book.status[3] == CLOSED
    rows = m.add_platforms(
        {
            "kind": np.array([0]),
            "base_yield": np.array([0.08]),
            "capital": np.array([1e6]),
            "custody": np.array([True]),
            "disclosure": np.array([1.0]),
            "visibility": np.array([1.0]),
            "region": np.array([0]),
        }
    )
    assert rows.tolist() == [6] and book.n == 7 and book.status[6] == ACTIVE
    assert book.cash[6] == 1e6 and book.entry_month[6] == m.month
