"""What jurisdictions cost: run time of the same market with and without a ``jurisdictions:`` section.

Issue 16 asks that jurisdictions add at most 10% to a run's time at the same
total size. Two pairs are timed, alternating, in this process (CPU time of
``sandbox.run``: model construction, every month, settlement and tables):

- ``split``: ``scenarios/baseline.yaml`` as shipped, against the same market
  split into seven jurisdictions (the provinces' platform shares of
  ``china_provinces``) under the national regime only: the cost of homes,
  per-jurisdiction entry, access checks, regulators and records;
- ``china_split``: the same with ``scenarios/china_2015_2020.yaml``;
- ``provinces``: ``scenarios/china_2015_2020.yaml`` against
  ``scenarios/china_provinces.yaml`` (the same market with seven jurisdictions,
  a provincial ban and shared blacklists: a different regime, so part of the
  difference is the market's own response).

Usage, from the repository root::

    python benchmarks/jurisdictions.py --repeat 3            # a table
    python benchmarks/jurisdictions.py --repeat 3 --json     # one JSON object

The figures of the last measurement are in benchmarks/README.md.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import sandbox  # noqa: E402
from sandbox import load_scenario  # noqa: E402

#: The seven jurisdictions of china_provinces, by their 2015-01 platform shares.
PROVINCES = {
    "Beijing": 0.135004,
    "Guangdong": 0.19806,
    "Shanghai": 0.106306,
    "Zhejiang": 0.088116,
    "Shandong": 0.103476,
    "Jiangsu": 0.036378,
    "rest": 0.33266,
}


def split(path: Path) -> sandbox.Scenario:
    """The scenario at ``path`` with its market split into the seven jurisdictions, national regime only."""
    base = load_scenario(path)
    places = {name: {"platforms": s, "investors": s, "borrowers": s} for name, s in PROVINCES.items()}
    data = base.to_dict() | {"jurisdictions": places, "name": f"{base.name}_split"}
    return sandbox.scenario_from_dict(data)


def cpu_seconds(scenario: sandbox.Scenario, seed: int) -> float:
    """CPU time of one run (tables and summary included)."""
    start = time.process_time()
    sandbox.run(scenario, seed=seed)
    return time.process_time() - start


def measure(without: sandbox.Scenario, with_: sandbox.Scenario, repeat: int, seed: int) -> dict[str, object]:
    """Median and fastest CPU seconds of each, runs alternating so that a busy spell hits both.

    On a shared machine the fastest run is the least disturbed; the ratio of the
    fastest runs (``ratio_fastest``) is then the steadier figure."""
    a, b = [], []
    for _ in range(repeat):
        a.append(cpu_seconds(without, seed))
        b.append(cpu_seconds(with_, seed))
    return {
        "without": without.name,
        "with": with_.name,
        "seconds_without": statistics.median(a),
        "seconds_with": statistics.median(b),
        "ratio": statistics.median(b) / statistics.median(a),
        "ratio_fastest": min(b) / min(a),
        "seconds_without_all": a,
        "seconds_with_all": b,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3, help="runs of each scenario (medians are reported)")
    parser.add_argument("--seed", type=int, default=3)
    parser.add_argument("--json", action="store_true", help="one JSON object on stdout")
    args = parser.parse_args()
    if not 1 <= args.repeat <= 50:
        parser.error(f"--repeat: found {args.repeat}; allowed: 1 to 50")
    scenarios = ROOT / "scenarios"
    pairs = {
        "split": (load_scenario(scenarios / "baseline.yaml"), split(scenarios / "baseline.yaml")),
        "china_split": (load_scenario(scenarios / "china_2015_2020.yaml"), split(scenarios / "china_2015_2020.yaml")),
        "provinces": (
            load_scenario(scenarios / "china_2015_2020.yaml"),
            load_scenario(scenarios / "china_provinces.yaml"),
        ),
    }
    out = {}
    for name, (without, with_) in pairs.items():
        print(f"{name}: {without.name} vs {with_.name}, {args.repeat} runs each", file=sys.stderr)
        out[name] = measure(without, with_, args.repeat, args.seed)
    if args.json:
        print(json.dumps(out))
        return
    print(f"{'pair':<12} {'without (s)':>12} {'with (s)':>10} {'ratio':>7} {'fastest':>8}")
    for name, m in out.items():
        line = f"{name:<12} {m['seconds_without']:>12.2f} {m['seconds_with']:>10.2f} {m['ratio']:>7.3f}"
        print(f"{line} {m['ratio_fastest']:>8.3f}")


if __name__ == "__main__":
    main()
