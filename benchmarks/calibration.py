"""Time a calibration to a stable posterior (issue 15, item 6).

Fits ``china_2015_2020`` to the built-in ``china_2014_2017`` targets within its
months with seven parameters (the first fit of ``docs/calibration.md``) and
reports, per population, the wall time, epsilon, acceptance rate and effective
sample size, and whether the posterior is stable: an ESS of at least 200 and an
epsilon that changed by less than 5% between the last two populations.

    python benchmarks/calibration.py --resolution 0.002 --particles 300 --populations 10 --workers 2 --json

``--scheduler local`` runs the same on a Dask ``LocalCluster`` of ``--workers`` (time it at
1 and 2 workers for the scaling).

It writes into a temporary folder (the SQLite history) unless ``--out`` names one;
the same ``--out`` again resumes.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SCENARIO = ROOT / "scenarios" / "china_2015_2020.yaml"
PRIORS = {
    "behaviour.platforms.base_risk.fraud": (0.005, 0.08),
    "market.platforms.abscond_hazard": (0.002, 0.05),
    "market.investors.tolerance_median": (0.01, 0.15),
    "behaviour.platforms.unviable_equity": (0.1, 1.0),
    "market.investors.wealth_median": (10_000.0, 150_000.0),
    "market.platforms.visibility_sigma": (0.3, 1.5),
    "market.platforms.fixed_cost_rate": (0.002, 0.05),
}
#: Stable: at least this effective sample size in the last population ...
STABLE_ESS = 200
#: ... and epsilon changed by less than this share between the last two.
STABLE_EPSILON_CHANGE = 0.05


def main(argv: list[str] | None = None) -> int:
    """Run the calibration and print its timing and stability (a table, or JSON with ``--json``)."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--resolution", type=float, default=0.002, help="market.resolution (default 0.002)")
    ap.add_argument("--particles", type=int, default=300, help="particles per population (default 300)")
    ap.add_argument("--populations", type=int, default=10, help="populations (default 10)")
    ap.add_argument("--workers", type=int, default=2, help="local processes, or Dask workers (default 2)")
    ap.add_argument("--scheduler", help="'local' (a Dask LocalCluster of --workers) or a Dask scheduler address")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--out", type=Path, help="calibration folder (default: a temporary one)")
    ap.add_argument("--json", action="store_true", help="one JSON object on stdout")
    args = ap.parse_args(argv)
    if not 0 < args.resolution <= 1 or args.particles < 2 or args.populations < 2 or args.workers < 1:
        ap.error("--resolution in (0, 1], --particles >= 2, --populations >= 2, --workers >= 1")

    from sandbox import load_scenario
    from sandbox.experiments import calibration

    scenario = load_scenario(SCENARIO)
    observed, _ = calibration.within_run(scenario, calibration.read_observed("china_2014_2017"))
    out = args.out or Path(tempfile.mkdtemp(prefix="sandbox-calibration-"))
    started = time.perf_counter()
    fitted = calibration.calibrate(
        scenario,
        observed,
        PRIORS,
        particles=args.particles,
        populations=args.populations,
        seed=args.seed,
        workers=args.workers,
        scheduler=args.scheduler,
        db=out / "calibration.db",
        resolution=args.resolution,
    )
    seconds = time.perf_counter() - started
    table = fitted.populations
    last, before = table.iloc[-1], table.iloc[-2]
    change = abs(float(last["epsilon"]) - float(before["epsilon"])) / float(before["epsilon"])
    result = {
        "parameters": len(PRIORS),
        "targets": len(observed),
        "resolution": args.resolution,
        "particles": args.particles,
        "populations": len(table),
        "workers": args.workers,
        "scheduler": args.scheduler,
        "seconds": seconds,
        "model_runs": int(table["samples"].sum()),
        "final_ess": float(last["ess"]),
        "epsilon_change": change,
        "stable": bool(last["ess"] >= STABLE_ESS and change < STABLE_EPSILON_CHANGE),
        "populations_table": table.to_dict(orient="records"),
    }
    if args.json:
        print(json.dumps(result))
    else:
        print(table.to_string(index=False))
        print(
            f"{seconds / 60:.1f} min, {result['model_runs']} model runs; final ESS {result['final_ess']:.0f}, "
            f"epsilon change {change:.1%}: {'stable' if result['stable'] else 'not stable'} "
            f"(ESS >= {STABLE_ESS} and change < {STABLE_EPSILON_CHANGE:.0%})"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
