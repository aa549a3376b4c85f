"""The per-agent Mesa investor step in benchmarks/run.py still mirrors the vectorized one.

The Mesa baseline's ratio only means something if both versions take the same
decisions, so when ``InvestorPopulation.decide`` changes this test catches a
benchmark left behind. Small sizes: the timing itself is not checked here.
"""

from __future__ import annotations

import importlib.util

import pytest
from conftest import ROOT

pytest.importorskip("mesa")


def load_benchmark():
    spec = importlib.util.spec_from_file_location("benchmark_run", ROOT / "benchmarks" / "run.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_mesa_agents_take_the_same_decisions_as_the_population():
    bench = load_benchmark()
    out = bench.worker_mesa(
        {
            "investors": 20_000,
            "platforms": 200,
            "first_month": 12,
            "every": 6,
            "steps": 6,
            "warmup": 1,
            "seed": 3,
            "literal": False,
        }
    )
    assert out["months"] == [12, 18, 24, 30, 36, 42]
    assert out["vectorized_seconds"] > 0 and out["ratio"] > 1
    for state in (out, out["synthetic"]):
        vec, mesa = state["orders_vectorized"], state["orders_mesa"]
        assert vec["placements"] > 1000 and vec["runs"] > 100
        # Same rules, different random draws: totals over the timed steps agree closely.
        for key in ("runs", "partial_withdrawals", "placements", "placed_million"):
            assert mesa[key] == pytest.approx(vec[key], rel=0.1), key
