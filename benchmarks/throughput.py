"""Throughput of experiment runs: serial, local processes (loky) and a Dask LocalCluster.

    python benchmarks/throughput.py                 # 200 desk-scale baseline runs per backend
    python benchmarks/throughput.py --runs 50 --json

Each backend runs the same ``replicate`` (same seeds; the results are checked
identical). Start-up (spawning workers and importing sandbox in them) is timed
apart from the runs: it is paid once per session with loky's reusable pool,
and once per call with ``scheduler="local"``.

The runs are split into rounds and the backends take turns within each round
(in a rotating order), so that other work on the machine, which slows the
parallel backends first, weighs on all of them alike. The load average is
printed too.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
import time
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import pandas as pd

ROOT = Path(__file__).resolve().parents[1]


def _warm(executor: Any, workers: int) -> None:
    """Have every worker import sandbox and run nothing (empty chunks)."""
    from sandbox.experiments import run_chunk

    for future in [executor.submit(run_chunk, []) for _ in range(workers * 2)]:
        future.result()


def open_backends(names: list[str], workers: int, stack: ExitStack) -> tuple[dict[str, dict[str, Any]], dict]:
    """Start each backend and warm its workers; the ``replicate`` arguments and start-up seconds of each."""
    kwargs: dict[str, dict[str, Any]] = {}
    startup: dict[str, float] = {}
    for name in names:
        start = time.perf_counter()
        if name == "serial":
            kwargs[name] = {"workers": 1}
        elif name == "loky":
            from loky import get_reusable_executor

            _warm(get_reusable_executor(max_workers=workers), workers)
            kwargs[name] = {"workers": workers}  # replicate reuses this warm pool
        elif name == "dask":
            from distributed import Client, LocalCluster

            cluster = stack.enter_context(
                LocalCluster(
                    n_workers=workers,
                    threads_per_worker=1,
                    processes=True,
                    dashboard_address=None,
                    silence_logs=logging.ERROR,
                )
            )
            client = stack.enter_context(Client(cluster))
            _warm(client.get_executor(pure=False), workers)
            kwargs[name] = {"workers": workers, "scheduler": client}
        else:
            raise SystemExit(f"error: --backends: unknown {name!r}; allowed: serial, loky, dask")
        startup[name] = time.perf_counter() - start
    return kwargs, startup


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark and print (or dump as JSON) runs per second and speed-ups."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=200, help="runs per backend (default 200)")
    parser.add_argument("--workers", type=int, default=2, help="processes for loky and Dask (default 2)")
    parser.add_argument("--rounds", type=int, default=4, help="backends take turns in this many rounds (default 4)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--scenario", type=Path, default=ROOT / "scenarios" / "baseline.yaml")
    parser.add_argument("--backends", default="serial,loky,dask", help="comma-separated: serial, loky, dask")
    parser.add_argument("--json", action="store_true", help="print one JSON object instead of a table")
    args = parser.parse_args(argv)

    import sandbox
    from sandbox.experiments import replicate

    scenario = sandbox.load_scenario(args.scenario)
    names = [n.strip() for n in args.backends.split(",") if n.strip()]
    rounds = max(1, min(args.rounds, args.runs))
    sizes = [args.runs // rounds + (1 if r < args.runs % rounds else 0) for r in range(rounds)]
    load_before = os.getloadavg()
    elapsed = dict.fromkeys(names, 0.0)
    tables: dict[str, list[pd.DataFrame]] = {n: [] for n in names}
    with ExitStack() as stack:
        kwargs, startup = open_backends(names, args.workers, stack)
        for r, size in enumerate(sizes):
            for name in names[r % len(names) :] + names[: r % len(names)]:  # rotate who goes first
                t0 = time.perf_counter()
                # A different seed per round: new runs, the same ones on every backend.
                result = replicate(scenario, runs=size, seed=args.seed + r, progress=False, **kwargs[name])
                elapsed[name] += time.perf_counter() - t0
                tables[name].append(result.runs)
            if not args.json:
                done = sum(sizes[: r + 1])
                print(f"round {r + 1}/{rounds}: {done} runs per backend done", file=sys.stderr)
    first = names[0]
    identical = all(all(a.equals(b) for a, b in zip(tables[first], tables[n], strict=True)) for n in names)
    timings = []
    for name in names:
        rate = args.runs / elapsed[name]
        timings.append(
            {
                "backend": name,
                "workers": 1 if name == "serial" else args.workers,
                "startup_s": round(startup[name], 2),
                "runs_s": round(elapsed[name], 2),
                "runs_per_s": round(rate, 3),
                "runs_per_s_with_startup": round(args.runs / (elapsed[name] + startup[name]), 3),
            }
        )
    serial = next((t for t in timings if t["backend"] == "serial"), None)
    for t in timings:
        t["speedup"] = round(t["runs_per_s"] / serial["runs_per_s"], 2) if serial else None
        t["speedup_with_startup"] = round(t["runs_per_s_with_startup"] / serial["runs_per_s"], 2) if serial else None
    report = {
        "scenario": str(args.scenario),
        "months": int(scenario.months),
        "runs": args.runs,
        "rounds": rounds,
        "cores": len(os.sched_getaffinity(0)),
        "load_average_before": [round(x, 2) for x in load_before],
        "load_average_after": [round(x, 2) for x in os.getloadavg()],
        "identical_results": identical,
        "backends": timings,
    }
    if args.json:
        print(json.dumps(report, indent=2))
    else:
        print(
            f"{args.runs} runs of {args.scenario.name} ({report['months']} months) per backend, {rounds} rounds, "
            f"{report['cores']} cores, load average before {report['load_average_before'][0]}, "
            f"after {report['load_average_after'][0]}"
        )
        print(
            f"{'backend':8} {'workers':>7} {'startup s':>9} {'runs s':>8} {'runs/s':>7} {'speed-up':>8} "
            f"{'incl. startup':>13}"
        )
        for t in timings:
            print(
                f"{t['backend']:8} {t['workers']:>7} {t['startup_s']:>9} {t['runs_s']:>8} {t['runs_per_s']:>7} "
                f"{t['speedup']:>8} {t['speedup_with_startup']:>13}"
            )
        print(f"identical results across backends: {identical}")
    return 0 if identical else 1


if __name__ == "__main__":  # required: Dask's worker processes start by re-importing the main module
    sys.exit(main())
