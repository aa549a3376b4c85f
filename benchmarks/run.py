#!/usr/bin/env python
"""Performance benchmarks for the sandbox model.

Usage (see benchmarks/README.md)::

    python benchmarks/run.py --scale desk --repeat 5
    python benchmarks/run.py --scale province --json
    python benchmarks/run.py --scale national --timeout 1800
    python benchmarks/run.py --linearity
    python benchmarks/run.py --mesa-baseline --json
    python benchmarks/run.py --scale province --profile /tmp/province.prof
    python benchmarks/run.py --scale province --line-profile

Every measurement runs in a fresh subprocess (this same file, with the hidden
``--worker`` option) with ``OMP_NUM_THREADS=OPENBLAS_NUM_THREADS=MKL_NUM_THREADS=1``,
so ``peak_mib`` is the peak resident set of that one run (``ru_maxrss``,
including the interpreter and imported libraries, whose share is reported as
``import_mib``) and the timing is single-core.

A scale run times ``sandbox.run(scenario, seed, months)``: model construction,
every monthly step, the end-of-horizon settlement and result collection
(tables and summary). A thin ``SandboxModel`` subclass, passed as
``model_class``, records how that time splits between construction, each of
the ten monthly phases of ``SandboxModel.step``, ``finish`` and collection; its
overhead is a dozen ``perf_counter`` calls a month. ``passes_per_month`` is a
month's ten phases over the time of one ``np.add(a, 1.0, out=a)`` sweep of a
float64 array as large as the investor and borrower populations' arrays,
timed after the run in the same process.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import statistics
import subprocess
import sys
import threading
import time
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BASELINE = ROOT / "scenarios" / "baseline.yaml"

# Sizes of each benchmark scale. desk, province and national are the workloads
# measured since the first benchmark (a desk market of 200 platforms scaled up, at
# resolution 1), so their times compare across versions; china is the shipped
# baseline, China's market in real units, at resolution 1: every investor and
# borrower simulated (17.13 and 22.43 million in 2017, WDZJ annual counts).
SCALES: dict[str, dict[str, int]] = {
    "desk": {"platforms": 200, "investors": 20_000, "borrowers": 10_000},
    "province": {"platforms": 2_000, "investors": 1_000_000, "borrowers": 500_000},
    "national": {"platforms": 5_000, "investors": 5_000_000, "borrowers": 3_000_000},
    "china": {"platforms": 800, "investors": 17_130_000, "borrowers": 22_430_000},
}
# The desk market the first three scales grow from: the baseline as it was before
# it became China's market in real units (initial platforms, entrants a month, who
# is in the market at the start, inspections and conversion capital of that market).
DESK_MARKET = {
    "market.resolution": 1.0,
    "market.platforms.entry_per_month": {
        "values": {"2014-01": 10, "2015-01": 12, "2016-01": 4, "2017-01": 2, "2018-01": 0.5}
    },
    "market.platforms.capital_sigma": 1.0,
    "market.investors.active_at_start": 0.3,
    "market.investors.adoption_months": 36,
    "market.borrowers.active_at_start": 0.3,
    "market.borrowers.adoption_months": 36,
    "regime.inspections.capacity": 2,
    "behaviour.campaign.conversion_capital": 5.0e5,
}
# The baseline's calibration: 20,000 investors over 200 platforms with median capital 3e6 yuan.
BASE_PLATFORMS = 200
BASE_INVESTORS_PER_PLATFORM = 20_000 / 200
BASE_CAPITAL_MEDIAN = 3.0e6

THREAD_VARS = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")
# The ten phases of SandboxModel.step, in order.
PHASES = (
    "scheduled_events",
    "entry",
    "credit_market",
    "investor_decisions",
    "platform_operations",
    "borrower_repayments",
    "failure_test",
    "contagion",
    "regulate",
    "end_of_month",
)


# --------------------------------------------------------------------------- scenario
def scaled_updates(size: dict[str, int], months: int) -> dict:
    """Dotted-path updates that turn the baseline scenario into a market of ``size``
    (platforms, investors and borrowers, as in :data:`SCALES`)."""
    if size is SCALES["china"]:
        return {"months": months, "market.resolution": 1.0}
    factor = size["platforms"] / BASE_PLATFORMS
    entry = DESK_MARKET["market.platforms.entry_per_month"]["values"]
    entry_value = {"values": {month: value * factor for month, value in entry.items()}}
    # Keep capital per (investors per platform) constant.
    per_platform = size["investors"] / size["platforms"]
    capital = BASE_CAPITAL_MEDIAN * per_platform / BASE_INVESTORS_PER_PLATFORM
    return {
        **DESK_MARKET,
        "months": months,
        "market.platforms.initial": size["platforms"],
        "market.platforms.entry_per_month": entry_value,
        "market.platforms.capital_median": capital,
        "market.investors.count": size["investors"],
        "market.borrowers.count": size["borrowers"],
    }


def build_scenario(scale: str, months: int):
    """The baseline scenario scaled to ``scale``, with horizon ``months``."""
    base = _load_baseline()
    return base.with_updates(scaled_updates(SCALES[scale], months))


def _load_baseline():
    from sandbox import load_scenario

    return load_scenario(BASELINE)


# --------------------------------------------------------------------------- workers
def sandbox_sources() -> dict[str, bytes]:
    """The sandbox package's source files as they are now (read right after import)."""
    return {str(path): path.read_bytes() for path in sorted((ROOT / "sandbox").rglob("*.py"))}


def code_digest(sources: dict[str, bytes]) -> str:
    """A short hash of the sandbox sources, so a number can be tied to the code it measured."""
    import hashlib

    h = hashlib.sha256()
    for path, text in sorted(sources.items()):
        h.update(os.path.relpath(path, ROOT).encode())
        h.update(text)
    return h.hexdigest()[:12]


def _peak_mib() -> float:
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0  # KiB on Linux


def _timed_model_class(phase_seconds: dict[str, float], built: list | None = None):
    """A SandboxModel subclass that adds the time of each step phase to ``phase_seconds``
    and appends each model it builds to ``built`` (so its arrays can be sized after the run)."""
    from sandbox import SandboxModel

    def wrap(name: str):
        inner = getattr(SandboxModel, name)

        def method(self, *args, **kwargs):
            t0 = time.perf_counter()
            try:
                return inner(self, *args, **kwargs)
            finally:
                phase_seconds[name] += time.perf_counter() - t0

        method.__name__ = name
        return method

    namespace = {name: wrap(name) for name in (*PHASES, "finish") if hasattr(SandboxModel, name)}

    def init(self, *args, **kwargs):
        t0 = time.perf_counter()
        SandboxModel.__init__(self, *args, **kwargs)
        phase_seconds["construct"] += time.perf_counter() - t0
        if built is not None:
            built.append(self)

    init.__name__ = "__init__"
    namespace["__init__"] = init
    return type("TimedSandboxModel", (SandboxModel,), namespace)


# --------------------------------------------------------------------------- passes per month
def population_bytes(model) -> int:
    """Bytes of the numpy arrays held by the model's investor and borrower populations.

    These are the per-person arrays (budgets, holdings, loans, ...) whose size
    grows with the populations; each buffer is counted once, views by their base.
    """
    import numpy as np

    owners: dict[int, int] = {}
    for population in (model.investors, model.borrowers):
        for value in vars(population).values():
            if isinstance(value, np.ndarray):
                while isinstance(value.base, np.ndarray):
                    value = value.base
                owners[id(value)] = value.nbytes
    return sum(owners.values())


def sweep_seconds(nbytes: int, min_sweeps: int = 5, budget: float = 0.5) -> float:
    """Median wall time of one single-pass numpy sweep over ``nbytes`` of float64:
    ``np.add(a, 1.0, out=a)``, which reads and writes every byte once.

    The array is written once untimed first (so its pages exist), then swept
    at least ``min_sweeps`` times and until ``budget`` seconds have passed (at
    most 1,000 sweeps), so that a sweep of a cache-sized array is timed over
    many repeats.
    """
    import numpy as np

    a = np.ones(max(1, nbytes // 8))
    np.add(a, 1.0, out=a)
    times: list[float] = []
    stop = time.perf_counter() + budget
    while len(times) < min_sweeps or (time.perf_counter() < stop and len(times) < 1000):
        t0 = time.perf_counter()
        np.add(a, 1.0, out=a)
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def worker_scale(spec: dict) -> dict:
    """Build the scaled scenario and time one ``sandbox.run``; called in a fresh process."""
    import pandas  # noqa: F401  (imported by result collection; counted in import_mib, not in the run)

    import sandbox
    import sandbox.market.memory

    sources = sandbox_sources()  # the code this process runs (others may edit the files meanwhile)

    scale, months, seed = spec["scale"], spec["months"], spec["seed"]
    scenario = build_scenario(scale, months)
    import_mib = _peak_mib()  # interpreter, libraries and the scenario: everything but the model
    phase_seconds: dict[str, float] = defaultdict(float)
    built: list = []
    model_class = _timed_model_class(phase_seconds, built)
    profiler = None
    line_timer = None
    if spec.get("profile"):
        import cProfile

        profiler = cProfile.Profile()
        profiler.enable()
    if spec.get("line_profile"):
        line_timer = LineTimer(str(Path(sandbox.__file__).parent), sources)
        line_timer.start()
    t0, c0 = time.perf_counter(), time.process_time()
    result = sandbox.run(scenario, seed=seed, months=months, model_class=model_class)
    seconds, cpu_seconds = time.perf_counter() - t0, time.process_time() - c0
    if profiler is not None:
        profiler.disable()
        profiler.dump_stats(spec["profile"])
    if line_timer is not None:
        line_timer.stop()
    peak_mib = _peak_mib()  # before the sweep array below exists
    accounted = sum(phase_seconds.values())
    phase_seconds["collect"] = seconds - accounted
    month_seconds = sum(phase_seconds.get(name, 0.0) for name in PHASES) / months
    array_bytes = population_bytes(built[0])
    s, platforms_ever = result.summary, len(result.platforms)
    # Free the model before the sweep, so the sweep's array reuses its memory
    # rather than adding to the process's footprint.
    del built[:], result
    gc.collect()
    sweep = sweep_seconds(array_bytes)
    size = SCALES[scale]
    out = {
        "scale": scale,
        "months": months,
        "seed": seed,
        "investors": size["investors"],
        "borrowers": size["borrowers"],
        "platforms": size["platforms"],
        "platforms_ever": platforms_ever,
        "seconds": seconds,
        "seconds_per_month": seconds / months,
        "cpu_seconds": cpu_seconds,
        "peak_mib": peak_mib,
        "import_mib": import_mib,
        "month_seconds": month_seconds,
        "population_bytes": array_bytes,
        "sweep_seconds": sweep,
        "passes_per_month": month_seconds / sweep,
        "accounting_max_rel_error": float(s["accounting_max_rel_error"]),
        "platform_failures": int(s["platform_failures"]),
        "peak_investor_money": float(s["peak_investor_money"]),
        "phase_seconds": {k: round(v, 4) for k, v in phase_seconds.items()},
        "profiled": bool(profiler or line_timer),
        "keep_freed_memory": sandbox.market.memory.keep_freed_memory(),
        "code_digest": code_digest(sources),
    }
    if line_timer is not None:
        out["line_profile"] = line_timer.table(spec.get("line_top", 40))
    return out


class LineTimer:
    """A minimal line profiler for the sandbox package (``sys.settrace``, no dependency).

    Each executed line of a function defined under ``prefix`` gets the wall time
    until the next line event of the same frame: ``inclusive`` of everything it
    calls, and ``self`` without the time spent in other sandbox functions it
    calls (numpy work stays in ``self``). Sandbox code spends its time in a few
    hundred whole-array numpy statements a month, so the tracing overhead is
    small compared with the lines it measures.
    """

    def __init__(self, prefix: str, sources: dict[str, bytes]) -> None:
        self.prefix = prefix
        self.sources = {path: text.decode(errors="replace").splitlines() for path, text in sources.items()}
        # (file, line, function) -> [hits, inclusive seconds, self seconds]
        self.stats: dict[tuple[str, int, str], list] = defaultdict(lambda: [0, 0.0, 0.0])
        self._frames: dict[int, list] = {}  # id(frame) -> [line, line start, child seconds, frame start]

    def _parent(self, frame):
        f = frame.f_back
        while f is not None:
            state = self._frames.get(id(f))
            if state is not None:
                return state
            f = f.f_back
        return None

    def _local(self, frame, event, arg):  # noqa: ARG002 - sys.settrace's trace-function signature
        now = time.perf_counter()
        key = id(frame)
        state = self._frames.get(key)
        if state is None:  # a generator resumed
            state = self._frames[key] = [None, now, 0.0, now]
        if state[0] is not None:
            stat = self.stats[(frame.f_code.co_filename, state[0], frame.f_code.co_qualname)]
            stat[0] += 1
            stat[1] += now - state[1]
            stat[2] += now - state[1] - state[2]
        if event == "return":
            del self._frames[key]
            parent = self._parent(frame)
            if parent is not None:
                parent[2] += now - state[3]
        elif event == "line":
            state[0], state[2] = frame.f_lineno, 0.0
            state[1] = time.perf_counter()
        return self._local

    def _global(self, frame, event, arg):  # noqa: ARG002 - sys.settrace's trace-function signature
        if event == "call" and frame.f_code.co_filename.startswith(self.prefix):
            now = time.perf_counter()
            self._frames[id(frame)] = [None, now, 0.0, now]
            return self._local
        return None

    def start(self) -> None:
        sys.settrace(self._global)

    def stop(self) -> None:
        sys.settrace(None)

    def table(self, top: int) -> dict[str, list[dict]]:
        def source(file: str, line: int) -> str:
            lines = self.sources.get(file, [])
            return lines[line - 1].strip()[:110] if 0 < line <= len(lines) else ""

        def rows(index: int) -> list[dict]:
            ranked = sorted(self.stats.items(), key=lambda kv: -kv[1][index])[:top]
            out = []
            for (file, line, func), (hits, incl, own) in ranked:
                out.append(
                    {
                        "where": f"{os.path.relpath(file, ROOT)}:{line}",
                        "function": func,
                        "hits": hits,
                        "self_seconds": round(own, 4),
                        "inclusive_seconds": round(incl, 4),
                        "code": source(file, line),
                    }
                )
            return out

        return {"by_self": rows(2), "by_inclusive": rows(1)}


# --------------------------------------------------------------------------- mesa baseline
def worker_mesa(spec: dict) -> dict:
    """Time the vectorized investor step against a per-agent Mesa version; called in a fresh process.

    Two states are timed:

    - ``model`` (the headline): the baseline scenario scaled to ``investors``
      investors and ``platforms`` initial platforms runs, and every
      ``every``-th month from ``first_month`` on, ``steps`` months in all, is
      timed as the model runs it:
      the vectorized step is the model's own ``decide`` call that month (so
      whatever the month's other phases left in the caches counts), and the
      Mesa version then steps once from that month's holdings with the same
      inputs, its agents loaded with the month's holdings beforehand (untimed);
    - ``synthetic``: a made-up market (every investor holds 0 to K platforms
      worth 20-120% of its budget), both versions stepped in turn ``steps``
      times after ``warmup``. Most reviewers there have money to place: two to
      three times the placements of any month of the run, so it stresses the
      placement step.

    Neither version settles its orders, so the Mesa agents' state stays the
    month's state through its step.
    """
    import numpy as np

    from sandbox.market.investors import InvestorPopulation
    from sandbox.market.memory import keep_freed_memory
    from sandbox.market.params import InformationParams, InvestorParams

    sources = sandbox_sources()
    keep_freed_memory()  # as building a SandboxModel does: the step runs under it in the model
    seed, steps, warmup, literal = spec["seed"], spec["steps"], spec["warmup"], spec.get("literal", False)
    progress = spec.get("progress", False)

    t0 = time.perf_counter()
    timed = [spec["first_month"] + i * spec["every"] for i in range(steps)]
    pop, months = _record_months(spec["investors"], spec["platforms"], timed, seed, progress)
    record_seconds = time.perf_counter() - t0
    model = _time_mesa(pop, months, warmup, seed, literal, progress=progress and "Mesa, model months")
    model["months"] = [month["month"] for month in months]
    model["record_seconds"] = record_seconds

    params = InvestorParams(count=spec["investors"])
    info = InformationParams()
    rng = np.random.default_rng(seed)
    synthetic_pop = InvestorPopulation(params, info, rng)
    _fill_holdings(synthetic_pop, spec["platforms"], rng)
    month = {
        "month": params.adoption_months + 12,  # everyone has entered
        "inputs": _platform_inputs(spec["platforms"], info.bands, rng),
    }
    synthetic = _time_mesa(
        synthetic_pop,
        [month] * steps,
        warmup,
        seed,
        literal,
        vectorized_rng=seed + 2,
        progress=progress and "both, synthetic state",
    )

    def flat(result: dict) -> dict:
        return {**{k: v for k, v in result.items() if k != "detail"}, **result["detail"]}

    return {
        "investors": spec["investors"],
        "platforms": spec["platforms"],
        "steps": steps,
        "every": spec["every"],
        "warmup": warmup,
        "state": "model",
        **flat(model),
        "synthetic": flat(synthetic),
        "keep_freed_memory": keep_freed_memory(),
        "peak_mib": _peak_mib(),
        "code_digest": code_digest(sources),
    }


def _record_months(investors: int, platforms: int, timed: list[int], seed: int, progress: bool = False):
    """Run the scaled baseline; in each month of ``timed`` time the model's own ``decide``
    call and keep what it was given and what it returned.

    Returns the model's investor population and, per month, a dict with
    ``month``, ``state`` (holdings and literacy bands before the call),
    ``inputs`` (the call's arguments but month and rng), ``seconds`` and
    ``orders`` (counts of what was ordered).
    """
    from dataclasses import fields

    import numpy as np
    from tqdm import tqdm

    from sandbox.market.model import SandboxModel

    size = {"platforms": platforms, "investors": investors, "borrowers": investors // 2}
    base = _load_baseline()
    scenario = base.with_updates(scaled_updates(size, max(timed) + 1))
    model = SandboxModel(scenario, seed=seed)
    pop = model.investors
    decide = pop.decide
    months: list[dict] = []

    def copy(value):
        if isinstance(value, np.ndarray):
            return value.copy()
        return tuple(copy(v) for v in value) if isinstance(value, tuple) else value

    def timed_decide(**kwargs):
        if kwargs["month"] not in timed:
            return decide(**kwargs)
        t0 = time.perf_counter()
        orders = decide(**kwargs)
        seconds = time.perf_counter() - t0
        # decide() changes nothing, so the state copied now is the state it saw.
        view = kwargs["view"]
        months.append(
            {
                "month": kwargs["month"],
                "state": {
                    "platform": pop.platform.copy(),
                    "units": pop.units.copy(),
                    "band": pop.band.copy(),
                    # What each investor has learnt from losses (the same this month as decide saw).
                    "participation": pop.participation(np.arange(pop.n), kwargs["month"]),
                },
                "inputs": {
                    **{f.name: copy(getattr(view, f.name)) for f in fields(view)},
                    **{k: copy(v) for k, v in kwargs.items() if k not in ("month", "rng", "view")},
                },
                "seconds": seconds,
                "orders": _order_stats_vectorized(orders),
            }
        )
        return orders

    pop.decide = timed_decide
    for _ in tqdm(range(max(timed) + 1), desc="baseline run", unit="month", disable=not progress):
        model.step()
    del pop.decide
    return pop, months


def _time_mesa(
    pop,
    months: list[dict],
    warmup: int,
    seed: int,
    literal: bool,
    vectorized_rng: int | None = None,
    progress: str | bool = False,
) -> dict:
    """Time the Mesa versions on each month of ``months`` (see :func:`_record_months`).

    A month with a ``state`` is loaded into the agents first, untimed. A month
    without ``seconds`` has the vectorized step timed here too, in turn with
    the Mesa versions (so that load from other processes hits them alike),
    drawing from ``default_rng(vectorized_rng)``. The first month is stepped
    ``warmup`` times more, untimed, before any timing. ``progress``, if set, is
    the progress bar's label.
    """
    import numpy as np
    from tqdm import tqdm

    params = pop.params
    t0 = time.perf_counter()
    mesa_model = MesaInvestorMarket(pop, params, seed=seed + 1)
    build_seconds = time.perf_counter() - t0
    versions = [("mesa", mesa_model)]
    if literal:
        versions.append(("literal", MesaInvestorMarket(pop, params, seed=seed + 3, literal=True)))
    _decide_arguments(pop, months[0]["inputs"])  # says clearly if decide() now needs an input this benchmark lacks
    rng = np.random.default_rng(vectorized_rng) if vectorized_rng is not None else None
    times: dict[str, list[float]] = {"vec": [], "mesa": [], "literal": []}
    counts: dict[str, list[dict]] = {"vec": [], "mesa": [], "literal": []}
    schedule = [months[0]] * warmup + months
    for i, month in enumerate(tqdm(schedule, desc=progress or None, unit="step", disable=not progress)):
        if month.get("state") is not None:
            for _name, model in versions:
                model.load_state(month["state"])
        if "seconds" in month:
            t_vec, orders = month["seconds"], month["orders"]
        else:
            arguments = _decide_arguments(pop, month["inputs"])
            t0 = time.perf_counter()
            out = pop.decide(month=month["month"], rng=rng, **arguments)
            t_vec, orders = time.perf_counter() - t0, _order_stats_vectorized(out)
        step_times = {}
        for name, model in versions:
            t0 = time.perf_counter()
            model.set_month(month["month"], month["inputs"])
            model.step()
            step_times[name] = time.perf_counter() - t0
        if i >= warmup:
            times["vec"].append(t_vec)
            counts["vec"].append(orders)
            for name, model in versions:
                times[name].append(step_times[name])
                counts[name].append(model.order_stats())

    def total(rows):
        return {k: sum(r[k] for r in rows) for k in rows[0]}

    vec, mes = statistics.median(times["vec"]), statistics.median(times["mesa"])
    out = {
        "vectorized_seconds": vec,
        "mesa_seconds": mes,
        "ratio": mes / vec,
        "detail": {
            "ratio_paired_median": statistics.median(b / a for a, b in zip(times["vec"], times["mesa"], strict=True)),
            "vectorized_seconds_all": [round(t, 5) for t in times["vec"]],
            "mesa_seconds_all": [round(t, 4) for t in times["mesa"]],
            "orders_vectorized": total(counts["vec"]),
            "orders_mesa": total(counts["mesa"]),
            "mesa_build_seconds": build_seconds,
        },
    }
    if literal:
        lit = statistics.median(times["literal"])
        out["detail"].update(
            {
                "mesa_literal_seconds": lit,
                "ratio_literal": lit / vec,
                "ratio_literal_paired_median": statistics.median(
                    b / a for a, b in zip(times["vec"], times["literal"], strict=True)
                ),
                "mesa_literal_seconds_all": [round(t, 4) for t in times["literal"]],
                "orders_mesa_literal": total(counts["literal"]),
            }
        )
    return out


def _decide_arguments(pop, inputs: dict) -> dict:
    """``decide``'s arguments but month and rng, from a month's flat ``inputs``: the
    :class:`~sandbox.market.investors.MarketView` fields make the view, the rest go as they are.

    Raises:
        TypeError: ``decide`` or the view needs an input this benchmark does not provide.
    """
    import inspect
    from dataclasses import fields

    from sandbox.market.investors import MarketView

    accepted = inspect.signature(pop.decide).parameters
    seen = [f.name for f in fields(MarketView)]
    rest = [k for k in accepted if k not in ("month", "rng", "view")]
    missing = [k for k in seen if k not in inputs] + [
        k for k in rest if k not in inputs and accepted[k].default is inspect.Parameter.empty
    ]
    if missing:
        raise TypeError(
            f"InvestorPopulation.decide needs {missing}, which this benchmark does not provide: "
            "update _platform_inputs and InvestorAgent to the new decide()"
        )
    return {"view": MarketView(**{k: inputs[k] for k in seen}), **{k: inputs[k] for k in rest if k in inputs}}


def _fill_holdings(pop, P: int, rng) -> None:
    """Give each investor 0 to K distinct holdings (packed into the first slots)."""
    import numpy as np

    n, K = pop.n, pop.K
    count = rng.integers(0, K + 1, n)
    first = rng.integers(0, P, n)
    step = rng.integers(1, P // K, n)  # distinct platforms: first + j*step (mod P)
    j = np.arange(K)
    plat = (first[:, None] + j[None, :] * step[:, None]) % P
    held = j[None, :] < count[:, None]
    value = pop.budget[:, None] * rng.uniform(0.2, 1.2, (n, 1)) / np.maximum(count, 1)[:, None]
    pop.platform[:] = np.where(held, plat, -1).T  # holdings are (slot, investor)
    pop.units[:] = np.where(held, value, 0.0).T  # unit values start near 1


def _platform_inputs(P: int, bands: int, rng) -> dict:
    """Platform-side arrays for ``InvestorPopulation.decide`` (row P is the empty-slot row, -1)."""
    import numpy as np

    size = P + 1
    # Perceived monthly failure risk by literacy band, mean and private noise (float32, as the model's).
    mean = np.zeros((bands, size), dtype=np.float32)
    mean[:, :P] = np.clip(0.006 * rng.lognormal(0.0, 1.0, (bands, P)), 0, 1)
    noise = np.zeros((bands, size), dtype=np.float32)
    noise[:, :P] = rng.uniform(0.001, 0.01, (bands, P))
    unit_value = np.zeros(size)
    unit_value[:P] = 1.0 + rng.uniform(0, 0.3, P)
    yields = np.zeros(size)
    yields[:P] = np.clip(rng.normal(0.10, 0.015, P), 0.01, None)
    visibility = np.zeros(size)
    visibility[:P] = rng.lognormal(0, 1.0, P)
    alive = np.zeros(size, dtype=bool)
    alive[:P] = rng.random(P) < 0.95
    open_rows = np.flatnonzero(alive & (rng.random(size) < 0.95))
    flight = np.zeros(size)  # 0.2 x last month's net outflow share; most platforms have none
    flight[:P] = np.where(rng.random(P) < 0.3, 0.2 * rng.uniform(0, 0.1, P), 0.0)
    return {
        "perception": (mean, noise),
        "unit_value": unit_value,
        "promised_yield": yields,
        "visibility": visibility,
        "open_rows": open_rows,
        "alive": alive,
        "flight": flight,
        "attention": 0.3,
        "confidence": 0.9,
        "new_money": 1.0,
        "exposure_cap": float("inf"),
        "exposure_share_cap": float("inf"),
        "platform_exposure_cap": np.full(size, np.inf),
        "customer_room": np.full(size, np.inf),
    }


def _order_stats_vectorized(orders) -> dict:
    return {
        "runs": int(orders.w_run.sum()),
        "partial_withdrawals": int((~orders.w_run).sum()),
        "placements": int(orders.p_investor.size),
        "placed_million": float(orders.p_amount.sum()) / 1e6,
    }


try:
    import mesa as _mesa
except ImportError:  # the scale benchmarks do not need these classes
    _mesa = None

if _mesa is not None:

    class InvestorAgent(_mesa.Agent):
        """One retail investor as a Mesa agent: the per-agent twin of one row of
        :class:`sandbox.market.investors.InvestorPopulation`.

        State: ``budget``, literacy ``band``, ``tolerance``, ``risk_aversion``,
        ``herding``, ``entry_month`` and ``holdings``, a list of at most ``K``
        ``[platform, units]`` pairs (the list index is the slot).

        :meth:`step` mirrors ``InvestorPopulation.decide``, ``_place`` and
        ``_reading`` (as of the sandbox version whose ``decide`` takes a
        ``MarketView`` with ``perception=(mean, noise)``, ``flight`` and ``new_money``) for this one
        investor, with the same rules:

        1. attention: act this month with probability ``attention`` (once entered);
        2. runs: withdraw a whole holding on an alive platform whose perceived
           risk (its own reading: ``max(mean + noise x e, 0)`` for its band, with
           a fresh standard normal ``e``) plus ``herding`` x the platform's
           ``flight`` exceeds ``tolerance``;
        3. liquidity: with probability ``liquidity_rate / attention`` withdraw
           half of the holding in a random slot (if held, alive and not run);
        4. excess: money above 110% of ``budget x participation x confidence``
           (what the investor has learnt from losses, and the value-weighted
           confidence of the clusters of the platforms held) comes out pro
           rata from every holding on an alive platform (the share withdrawn
           from a holding is the largest of run, liquidity and excess);
        5. new money: if it neither ran nor needed liquidity and its gap
           ``(budget x confidence - holdings) x new_money`` exceeds the larger
           of 100 yuan and a tenth of ``budget x confidence``, sample
           ``candidates`` platforms by visibility among open ones, score them
           and its open holdings (yield - 12 x risk_aversion x (perceived +
           herding x flight), with fresh readings of the risk; a candidate only
           with a free slot, customer room, and not already held), take the
           best (held first on ties) and place
           ``min(gap, cap - current)`` if above 1 yuan.

        Orders are appended to the model's lists (``withdrawals``,
        ``placements``); like ``decide``, the step does not settle them.
        """

        def __init__(self, model, budget, band, tolerance, risk_aversion, herding, entry_month, holdings):
            super().__init__(model)
            self.budget = budget
            self.band = band
            self.tolerance = tolerance
            self.risk_aversion = risk_aversion
            self.herding = herding
            self.entry_month = entry_month
            self.holdings = holdings
            self.participation = 1.0  # share of the budget kept in the market after losses

        def _confidence(self, values: list[float], total: float) -> float:
            """The value-weighted confidence of the platforms held (national when holding nothing)."""
            import numpy as np

            confidence = self.model.confidence
            if np.ndim(confidence) == 0:
                return float(confidence)
            if total <= 0:
                return float(confidence[-1])
            return sum(v * confidence[plat] for v, (plat, _) in zip(values, self.holdings, strict=True)) / total

        def step(self) -> None:
            m = self.model
            rng = m.rng
            if self.entry_month > m.month or rng.random() >= m.attention:
                return
            mean, noise = m.risk_mean[self.band], m.risk_noise[self.band]
            unit_value, alive, flight = m.unit_value, m.alive, m.flight
            values = [units * unit_value[plat] for plat, units in self.holdings]
            total = sum(values)
            target = self.budget * self.participation * self._confidence(values, total)
            excess = min(max((total - 1.1 * target) / total, 0.0), 1.0) if total > 0 else 0.0
            need = rng.random() < m.liquidity_p
            need_slot = int(rng.integers(0, m.K)) if need else -1
            ran = False
            for slot, (plat, units) in enumerate(self.holdings):
                if not alive[plat]:
                    continue
                perceived = max(mean[plat] + noise[plat] * rng.standard_normal(), 0.0)
                if perceived + self.herding * flight[plat] > self.tolerance:
                    m.withdrawals.append((self.unique_id, slot, plat, units, True))
                    ran = True
                else:
                    share = max(0.5 if slot == need_slot else 0.0, excess)
                    if share > 0:
                        m.withdrawals.append((self.unique_id, slot, plat, units * share, False))
            if ran or need:
                return
            gap = (target - total) * m.new_money
            if gap > max(100.0, 0.1 * target):  # top up in lumps of at least a tenth of the target
                self.place(gap, values)

        def place(self, gap: float, values: list) -> None:
            m = self.model
            rng = m.rng
            mean, noise = m.risk_mean[self.band], m.risk_noise[self.band]
            is_open, yields, flight = m.is_open, m.promised_yield, m.flight
            ra12, herding = 12.0 * self.risk_aversion, self.herding
            options = [plat for plat, _units in self.holdings]  # held first: ties keep money where it is
            held = len(options)
            if held < m.K:
                if m.literal:  # the per-agent transcription of decide's rng.choice(..., p=...)
                    candidates = rng.choice(m.open_rows, size=m.C, p=m.open_p)
                else:
                    candidates = m.open_rows[m.open_cdf.searchsorted(rng.random(m.C), side="right")]
                options += candidates.tolist()
            e = rng.standard_normal(len(options)).tolist()  # this investor's readings of their risk
            best_score, best_slot, best_plat = -float("inf"), -1, -1
            for i, plat in enumerate(options):
                if i < held:
                    if not is_open[plat]:
                        continue
                elif not m.customer_room[plat] > 0 or plat in options[:held]:  # never a second slot
                    continue
                perceived = max(mean[plat] + noise[plat] * e[i], 0.0)
                score = yields[plat] - ra12 * (perceived + herding * flight[plat])
                if score > best_score:
                    best_score, best_slot, best_plat = score, min(i, held), plat
            if best_plat < 0:
                return
            current = values[best_slot] if best_slot < len(values) else 0.0
            cap = min(m.exposure_cap, m.exposure_share_cap * self.budget, m.platform_exposure_cap[best_plat])
            amount = min(gap, max(cap - current, 0.0))
            if amount > 1.0:
                m.placements.append((self.unique_id, best_slot, best_plat, amount))

    class MesaInvestorMarket(_mesa.Model):
        """Investors as one Mesa agent each, stepped with ``agents.shuffle_do("step")``.

        The month's platform arrays are handed to the model once a month (as
        Python lists, so agents index plain floats, and a cumulative visibility
        distribution over open platforms, so sampling candidates is a binary
        search rather than a fresh ``rng.choice(p=...)`` per agent). This is the
        version the headline ``ratio`` uses: a careful per-agent implementation.

        With ``literal=True`` agents index the numpy arrays directly and draw
        candidates with ``rng.choice(open_rows, size=C, p=...)``, a line-by-line
        transcription of ``decide``: what a first per-agent version usually
        looks like. It is reported separately (``ratio_literal``).
        """

        def __init__(self, pop, params, seed: int, literal: bool = False) -> None:
            super().__init__(rng=seed)
            self.literal = literal
            self.K, self.C = pop.K, params.candidates
            self.attention = params.attention
            self.liquidity_p = min(1.0, params.liquidity_rate / params.attention)
            self.month = 0
            self.withdrawals: list = []
            self.placements: list = []
            budget, band, tol = pop.budget.tolist(), pop.band.tolist(), pop.tolerance.tolist()
            ra, herd, entry = pop.risk_aversion.tolist(), pop.herding.tolist(), pop.entry_month.tolist()
            self.investors = [
                InvestorAgent(self, budget[i], band[i], tol[i], ra[i], herd[i], entry[i], holdings)
                for i, holdings in enumerate(self._holdings(pop.platform, pop.units))
            ]

        @staticmethod
        def _holdings(platform, units) -> list[list[list]]:
            """Each investor's ``[platform, units]`` pairs, from (slot, investor) arrays as the population's."""
            return [
                [[p, u] for p, u in zip(ps, us, strict=True) if p >= 0]
                for ps, us in zip(platform.T.tolist(), units.T.tolist(), strict=True)
            ]

        def load_state(self, state: dict) -> None:
            """Give every agent its holdings and literacy band from ``state`` (arrays as the population's)."""
            holdings = self._holdings(state["platform"], state["units"])
            shares = state.get("participation")
            participation = shares.tolist() if shares is not None else [1.0] * len(self.investors)
            for agent, held, band, share in zip(
                self.investors, holdings, state["band"].tolist(), participation, strict=True
            ):
                agent.holdings = held
                agent.band = band
                agent.participation = share

        def set_month(self, month: int, inputs: dict) -> None:
            """The month's platform-side inputs (the same arrays ``decide`` gets)."""
            import numpy as np

            self.month = month
            if self.literal:  # agents index the numpy arrays directly
                self.risk_mean, self.risk_noise = inputs["perception"]
                for key in ("unit_value", "promised_yield", "alive", "platform_exposure_cap", "customer_room"):
                    setattr(self, key, inputs[key])
                self.flight = inputs["flight"]
                self.open_rows = inputs["open_rows"]
                self.is_open = np.zeros(inputs["unit_value"].size, dtype=bool)
                self.is_open[self.open_rows] = True
                w = inputs["visibility"][self.open_rows]
                self.open_p = w / w.sum()
                self.confidence = inputs["confidence"]
                self.new_money = inputs["new_money"]
                self.exposure_cap = inputs["exposure_cap"]
                self.exposure_share_cap = inputs["exposure_share_cap"]
                return
            self.risk_mean = inputs["perception"][0].tolist()
            self.risk_noise = inputs["perception"][1].tolist()
            self.unit_value = inputs["unit_value"].tolist()
            self.promised_yield = inputs["promised_yield"].tolist()
            self.alive = inputs["alive"].tolist()
            self.flight = inputs["flight"].tolist()
            open_rows = inputs["open_rows"]
            is_open = np.zeros(inputs["unit_value"].size, dtype=bool)
            is_open[open_rows] = True
            self.is_open = is_open.tolist()
            self.open_rows = open_rows
            w = inputs["visibility"][open_rows]
            self.open_cdf = np.cumsum(w) / w.sum()
            self.open_cdf[-1] = 1.0
            confidence = inputs["confidence"]  # a number, or one per platform row (national last)
            self.confidence = confidence.tolist() if np.ndim(confidence) else confidence
            self.new_money = inputs["new_money"]
            self.exposure_cap = inputs["exposure_cap"]
            self.exposure_share_cap = inputs["exposure_share_cap"]
            self.platform_exposure_cap = inputs["platform_exposure_cap"].tolist()
            self.customer_room = inputs["customer_room"].tolist()

        def step(self) -> None:
            """One month: every investor agent, in random order, decides."""
            self.withdrawals = []
            self.placements = []
            self.agents.shuffle_do("step")

        def order_stats(self) -> dict:
            return {
                "runs": sum(1 for w in self.withdrawals if w[4]),
                "partial_withdrawals": sum(1 for w in self.withdrawals if not w[4]),
                "placements": len(self.placements),
                "placed_million": sum(p[3] for p in self.placements) / 1e6,
            }


# --------------------------------------------------------------------------- driver
def spawn(spec: dict, timeout: float) -> dict:
    """Run one measurement in a fresh single-threaded subprocess; return its JSON (or the error).

    The worker's stderr (its progress bars) is passed through as it comes; its
    last 5,000 characters are kept for the error report.
    """
    env = dict(os.environ)
    for var in THREAD_VARS:
        env[var] = "1"
    cmd = [sys.executable, str(Path(__file__).resolve()), "--worker", json.dumps(spec)]
    proc = subprocess.Popen(cmd, env=env, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    timed_out = threading.Event()

    def kill() -> None:
        timed_out.set()
        proc.kill()

    timer = threading.Timer(timeout, kill)
    stdout: list[bytes] = []
    reader = threading.Thread(target=lambda: stdout.append(proc.stdout.read()))  # so neither pipe can fill up
    timer.start()
    reader.start()
    tail = bytearray()
    try:
        while chunk := proc.stderr.read1(4096):
            sys.stderr.buffer.write(chunk)
            sys.stderr.flush()
            tail += chunk
            del tail[:-5000]
        reader.join()
        proc.wait()
    finally:
        timer.cancel()
    out, err = b"".join(stdout).decode(errors="replace"), tail.decode(errors="replace")
    if timed_out.is_set():
        return {"error": f"timed out after {timeout:g} s", **spec}
    if proc.returncode != 0:
        return {"error": f"exit code {proc.returncode}", "traceback": err, **spec}
    lines = [line for line in out.splitlines() if line.strip()]
    try:
        return json.loads(lines[-1])
    except (IndexError, json.JSONDecodeError):
        return {"error": "no JSON from worker", "stdout": out[-2000:], "stderr": err, **spec}


def measure_scale(scale: str, months: int, repeat: int, seed: int, timeout: float, log) -> dict:
    runs = []
    for i in range(repeat):
        log(f"[{scale}] run {i + 1}/{repeat} ...")
        r = spawn({"mode": "scale", "scale": scale, "months": months, "seed": seed}, timeout)
        if "error" in r:
            log(f"[{scale}] FAILED: {r['error']}\n{r.get('traceback', '')}")
            return {
                "scale": scale,
                "months": months,
                **SCALES[scale],
                "error": r["error"],
                "traceback": r.get("traceback"),
                "runs": runs,
            }
        log(f"[{scale}] {r['seconds']:.2f} s, peak {r['peak_mib']:.0f} MiB")
        runs.append(r)
    seconds = [r["seconds"] for r in runs]
    med = statistics.median(seconds)
    phases = {k: statistics.median(r["phase_seconds"].get(k, 0.0) for r in runs) for k in runs[0]["phase_seconds"]}
    return {
        "scale": scale,
        "months": months,
        "investors": SCALES[scale]["investors"],
        "borrowers": SCALES[scale]["borrowers"],
        "platforms": SCALES[scale]["platforms"],
        "seconds": med,
        "seconds_per_month": med / months,
        "peak_mib": statistics.median(r["peak_mib"] for r in runs),
        "passes_per_month": statistics.median(r["passes_per_month"] for r in runs),
        "month_seconds": statistics.median(r["month_seconds"] for r in runs),
        "sweep_seconds": statistics.median(r["sweep_seconds"] for r in runs),
        "population_bytes": runs[0]["population_bytes"],
        "passes_per_month_all": [round(r["passes_per_month"], 2) for r in runs],
        "accounting_max_rel_error": max(r["accounting_max_rel_error"] for r in runs),
        "repeat": repeat,
        "seconds_all": [round(s, 3) for s in seconds],
        "cpu_seconds": statistics.median(r["cpu_seconds"] for r in runs),
        "cpu_seconds_all": [round(r["cpu_seconds"], 3) for r in runs],
        "peak_mib_all": [round(r["peak_mib"], 1) for r in runs],
        "import_mib": runs[0]["import_mib"],
        "platforms_ever": runs[0]["platforms_ever"],
        "platform_failures": runs[0]["platform_failures"],
        "phase_seconds": {k: round(v, 3) for k, v in phases.items()},
        "seed": seed,
        "keep_freed_memory": runs[0]["keep_freed_memory"],
        "code_digest": sorted({r["code_digest"] for r in runs}),
    }


def print_scale_table(rows: list[dict]) -> None:
    head = (
        f"{'scale':<9} {'investors':>10} {'borrowers':>10} {'platforms':>9} {'months':>6} "
        f"{'seconds':>9} {'cpu s':>8} {'s/month':>8} {'passes':>7} {'peak MiB':>9} {'acct rel err':>12}"
    )
    print(head)
    print("-" * len(head))
    for r in rows:
        if "error" in r:
            print(f"{r['scale']:<9} FAILED: {r['error']}")
            continue
        print(
            f"{r['scale']:<9} {r['investors']:>10,} {r['borrowers']:>10,} {r['platforms']:>9,} {r['months']:>6} "
            f"{r['seconds']:>9.2f} {r.get('cpu_seconds', float('nan')):>8.2f} {r['seconds_per_month']:>8.3f} "
            f"{r['passes_per_month']:>7.1f} "
            f"{r['peak_mib']:>9.0f} "
            f"{r['accounting_max_rel_error']:>12.1e}"
        )
    for r in rows:
        if "error" in r:
            print(f"\n{r['scale']} traceback:\n{r.get('traceback') or ''}")
            continue
        print(
            f"\n{r['scale']}: runs {r['seconds_all']} s; peak {r['peak_mib_all']} MiB "
            f"(interpreter + imports {r['import_mib']:.0f} MiB); {r['platforms_ever']} platforms ever, "
            f"{r['platform_failures']} failures"
        )
        print(
            f"  a month's ten phases take {r['month_seconds'] * 1e3:.1f} ms = {r['passes_per_month']:.1f} passes of "
            f"np.add(a, 1.0, out=a) over the populations' {r['population_bytes'] / 2**20:,.1f} MiB of arrays "
            f"({r['sweep_seconds'] * 1e3:.2f} ms each); per run {r['passes_per_month_all']}"
        )
        total = r["seconds"]
        print("  time by phase (median over runs):")
        for k, v in sorted(r["phase_seconds"].items(), key=lambda kv: -kv[1]):
            print(f"    {k:<22} {v:>8.2f} s  {100 * v / total:5.1f}%")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0], formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--scale", choices=list(SCALES), help="run one scale (desk, province, national, china)")
    ap.add_argument("--months", type=int, default=84, help="horizon in months (default 84)")
    ap.add_argument("--repeat", type=int, default=1, help="fresh-process repeats; medians are reported")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--json", action="store_true", help="print exactly one JSON object on stdout")
    ap.add_argument("--timeout", type=float, default=3600.0, help="seconds per subprocess (default 3600)")
    ap.add_argument(
        "--linearity",
        action="store_true",
        help="run province and national; report seconds per (investor + borrower) and their ratio",
    )
    ap.add_argument(
        "--mesa-baseline",
        action="store_true",
        help="vectorized InvestorPopulation.decide vs a per-agent Mesa investor step",
    )
    ap.add_argument("--mesa-investors", type=int, default=100_000)
    ap.add_argument("--mesa-platforms", type=int, default=1_000)
    ap.add_argument(
        "--mesa-first-month",
        type=int,
        default=12,
        help="first month of the scaled baseline run whose investor step is timed (default 12)",
    )
    ap.add_argument("--mesa-every", type=int, default=6, help="months between timed months (default 6)")
    ap.add_argument("--mesa-steps", type=int, default=12, help="timed months (and synthetic steps); default 12")
    ap.add_argument("--mesa-warmup", type=int, default=2)
    ap.add_argument(
        "--no-literal", action="store_true", help="skip the literal (numpy-indexing, rng.choice per agent) Mesa variant"
    )
    ap.add_argument(
        "--profile",
        metavar="PATH",
        help="with --scale: run once under cProfile, save stats to PATH, print the top functions",
    )
    ap.add_argument(
        "--line-profile",
        action="store_true",
        help="with --scale: run once under a line timer over sandbox/ and print the top lines",
    )
    ap.add_argument("--top", type=int, default=25, help="rows in profile tables")
    ap.add_argument("--worker", help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    last_month = args.mesa_first_month + (args.mesa_steps - 1) * args.mesa_every
    for ok, problem in (
        (1 <= args.months <= 600, f"--months: found {args.months}; allowed: 1 to 600"),
        (args.repeat >= 1, f"--repeat: found {args.repeat}; allowed: 1 or more"),
        (args.timeout > 0, f"--timeout: found {args.timeout:g}; allowed: more than 0 seconds"),
        (args.mesa_investors >= 100, f"--mesa-investors: found {args.mesa_investors}; allowed: 100 or more"),
        (args.mesa_platforms >= 10, f"--mesa-platforms: found {args.mesa_platforms}; allowed: 10 or more"),
        (args.mesa_first_month >= 0, f"--mesa-first-month: found {args.mesa_first_month}; allowed: 0 or more"),
        (args.mesa_every >= 1, f"--mesa-every: found {args.mesa_every}; allowed: 1 or more"),
        (args.mesa_steps >= 1, f"--mesa-steps: found {args.mesa_steps}; allowed: 1 or more"),
        (args.mesa_warmup >= 0, f"--mesa-warmup: found {args.mesa_warmup}; allowed: 0 or more"),
        (last_month < 600, f"the last timed month ({last_month}) must be below 600, the longest horizon"),
    ):
        if not ok:
            ap.error(problem)

    if args.worker:
        spec = json.loads(args.worker)
        out = worker_mesa(spec) if spec["mode"] == "mesa" else worker_scale(spec)
        print(json.dumps(out))
        return 0

    def log(msg: str) -> None:  # progress goes to stderr, so --json leaves stdout to the one object
        print(msg, file=sys.stderr, flush=True)

    if args.mesa_baseline:
        spec = {
            "mode": "mesa",
            "investors": args.mesa_investors,
            "platforms": args.mesa_platforms,
            "first_month": args.mesa_first_month,
            "every": args.mesa_every,
            "steps": args.mesa_steps,
            "warmup": args.mesa_warmup,
            "seed": args.seed,
            "literal": not args.no_literal,
            "progress": sys.stderr.isatty(),
        }
        last = args.mesa_first_month + (args.mesa_steps - 1) * args.mesa_every
        log(
            f"[mesa] {args.mesa_investors:,} investors, {args.mesa_platforms:,} platforms: months "
            f"{args.mesa_first_month} to {last} (every {args.mesa_every}) of the scaled baseline run, then a "
            f"synthetic state, {args.mesa_warmup} warm-up + {args.mesa_steps} timed steps each ..."
        )
        r = spawn(spec, args.timeout)
        if args.json:
            print(json.dumps(r))
        elif "error" in r:
            print(f"FAILED: {r['error']}\n{r.get('traceback', '')}")
        else:
            print(f"investor step at {r['investors']:,} investors, {r['platforms']:,} initial platforms")
            months = f"months {r['months'][0]}-{r['months'][-1]} (every {r['every']}) of the scaled baseline run"
            for title, x in ((months, r), (f"synthetic state, {r['steps']} steps", r["synthetic"])):
                print(f"\n{title}, medians:")
                print(f"  vectorized InvestorPopulation.decide  {x['vectorized_seconds'] * 1e3:10.2f} ms")
                print(f"  Mesa agents, shuffle_do('step')       {x['mesa_seconds'] * 1e3:10.2f} ms")
                print(f"  ratio (mesa / vectorized)             {x['ratio']:10.1f}")
                if "ratio_literal" in x:
                    print(f"  Mesa agents, literal transcription    {x['mesa_literal_seconds'] * 1e3:10.2f} ms")
                    print(f"  ratio (literal mesa / vectorized)     {x['ratio_literal']:10.1f}")
                print(f"  orders over the timed steps, vectorized:   {x['orders_vectorized']}")
                print(f"  orders over the timed steps, mesa:         {x['orders_mesa']}")
                if "orders_mesa_literal" in x:
                    print(f"  orders over the timed steps, mesa literal: {x['orders_mesa_literal']}")
        return 1 if "error" in r else 0

    if args.linearity:
        rows = {
            s: measure_scale(s, args.months, args.repeat, args.seed, args.timeout, log)
            for s in ("province", "national")
        }
        out: dict = {"months": args.months}
        for s, r in rows.items():
            agents = SCALES[s]["investors"] + SCALES[s]["borrowers"]
            out[s] = dict(r)
            out[s]["agents"] = agents
            if "error" not in r:
                out[s]["seconds_per_agent"] = r["seconds"] / agents
                out[s]["seconds_per_agent_month"] = r["seconds"] / agents / args.months
                out[s]["cpu_seconds_per_agent"] = r["cpu_seconds"] / agents
        ok = all("error" not in r for r in rows.values())
        if ok:
            out["ratio"] = out["national"]["seconds_per_agent"] / out["province"]["seconds_per_agent"]
            out["cpu_ratio"] = out["national"]["cpu_seconds_per_agent"] / out["province"]["cpu_seconds_per_agent"]
        if args.json:
            print(json.dumps(out))
        else:
            print_scale_table(list(rows.values()))
            print()
            for s in ("province", "national"):
                if "seconds_per_agent" in out[s]:
                    print(
                        f"{s:<9} {out[s]['agents']:>10,} agents  "
                        f"{out[s]['seconds_per_agent'] * 1e6:8.2f} us wall, "
                        f"{out[s]['cpu_seconds_per_agent'] * 1e6:8.2f} us CPU per (investor + borrower) per run"
                    )
            if ok:
                print(f"ratio national / province: {out['ratio']:.2f} wall, {out['cpu_ratio']:.2f} CPU (1.0 = linear)")
        return 0 if ok else 1

    if not args.scale:
        ap.error("give --scale, --linearity or --mesa-baseline")

    if args.profile or args.line_profile:
        if args.profile:
            args.profile = str(Path(args.profile).resolve())
        spec = {
            "mode": "scale",
            "scale": args.scale,
            "months": args.months,
            "seed": args.seed,
            "profile": args.profile,
            "line_profile": args.line_profile,
            "line_top": args.top,
        }
        log(f"[{args.scale}] profiling run ...")
        r = spawn(spec, args.timeout)
        if "error" in r:
            print(json.dumps(r) if args.json else f"FAILED: {r['error']}\n{r.get('traceback', '')}")
            return 1
        if args.json:
            print(json.dumps(r))
            return 0
        print(f"{args.scale}: {r['seconds']:.1f} s under the profiler, peak {r['peak_mib']:.0f} MiB")
        if args.profile:
            import pstats

            stats = pstats.Stats(args.profile)
            stats.sort_stats("tottime")
            print(f"\n=== top {args.top} functions by own time (numpy calls included) ===")
            stats.print_stats(args.top)
            for key in ("cumulative", "tottime"):
                print(f"\n=== top {args.top} sandbox functions by {key} ===")
                stats.sort_stats(key).print_stats(r"/sandbox/", args.top)
        if args.line_profile:
            for key, title in (("by_self", "self"), ("by_inclusive", "inclusive")):
                print(f"\n=== top {args.top} sandbox lines by {title} wall time ===")
                print(f"{'self s':>8} {'incl s':>8} {'hits':>6}  {'where':<28} {'function':<38} code")
                for row in r["line_profile"][key]:
                    print(
                        f"{row['self_seconds']:8.2f} {row['inclusive_seconds']:8.2f} {row['hits']:6d}  "
                        f"{row['where']:<28} {row['function']:<38} {row['code']}"
                    )
        return 0

    r = measure_scale(args.scale, args.months, args.repeat, args.seed, args.timeout, log)
    if args.json:
        print(json.dumps(r))
    else:
        print_scale_table([r])
    return 1 if "error" in r else 0


if __name__ == "__main__":
    sys.exit(main())
