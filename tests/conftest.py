"""Shared helpers: small hand-built markets that run in well under a second."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from sandbox import Scenario, scenario_from_dict

ROOT = Path(__file__).resolve().parents[1]
SCENARIOS = sorted((ROOT / "scenarios").glob("*.yaml"))


def small_market(regime: list[dict[str, Any]] | None = None, **sections: Any) -> Scenario:
    """A small market: few platforms, a few thousand investors and borrowers, no entry.

    Keyword arguments are dotted paths (``market__platforms__initial=3``) or
    whole sections, merged over the defaults.
    """
    data: dict[str, Any] = {
        "name": "small",
        "start": "2016-01",
        "months": 24,
        "market": {
            "platforms": {"initial": 6, "entry_per_month": 0, "capital_median": 1.0e6, "capital_sigma": 0.0},
            "investors": {"count": 3000, "active_at_start": 1.0, "wealth_median": 20000},
            "borrowers": {"count": 2000, "active_at_start": 1.0},
        },
        "environment": {"macro": {"amplitude": 0.0}},
        "regime": regime or [],
    }
    for key, value in sections.items():
        node = data
        parts = key.split("__")
        for part in parts[:-1]:
            node = node.setdefault(part, {})
        node[parts[-1]] = value
    return scenario_from_dict(data)


@pytest.fixture
def market():
    return small_market
