"""benchmarks/run.py: its JSON carries the figures the issues ask for, and its
per-agent Mesa investor step still mirrors the vectorized one.

The Mesa baseline's ratio only means something if both versions take the same
decisions, so when ``InvestorPopulation.decide`` changes this test catches a
benchmark left behind. Small sizes: the timing itself is not checked here.
"""

from __future__ import annotations

import importlib.util
import json
import math
import subprocess
import sys
from types import SimpleNamespace

import numpy as np
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


def test_scale_json_reports_passes_per_month():
    # Two desk months through the real command line: one subprocess run, a few seconds.
    cmd = [sys.executable, str(ROOT / "benchmarks" / "run.py"), "--scale", "desk", "--months", "2", "--json"]
    done = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=300, check=True)
    out = json.loads(done.stdout)
    passes = out["passes_per_month"]
    assert isinstance(passes, float) and math.isfinite(passes) and passes > 0
    assert out["sweep_seconds"] > 0 and out["month_seconds"] > 0
    assert passes == pytest.approx(out["month_seconds"] / out["sweep_seconds"])
    # The sweep covers at least the holdings: two 8-byte (K, n) arrays of investors.
    assert out["population_bytes"] >= 2 * 8 * out["investors"]


def test_population_bytes_counts_each_buffer_once():
    bench = load_benchmark()
    holdings = np.zeros((3, 1000))  # 24,000 bytes
    investors = SimpleNamespace(units=holdings, first_slot=holdings[0], budget=np.zeros(1000), n=1000)
    borrowers = SimpleNamespace(rate=np.zeros(500, dtype=np.float32), params=None)
    model = SimpleNamespace(investors=investors, borrowers=borrowers)
    assert bench.population_bytes(model) == 24_000 + 8_000 + 2_000
