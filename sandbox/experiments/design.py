"""Which runs an experiment makes: their seeds, and the points of a parameter sweep.

Run ``i`` of an experiment with seed ``S`` uses the ``i``-th child of
``numpy.random.SeedSequence(S)`` (:func:`child_seeds`); a sweep's design is sampled
from a stream apart from the runs' seeds (:func:`design_seed`). Swept parameters are
checked against the scenario (:func:`check_parameters`) before any run, and sampled
on a grid, a Latin hypercube or SALib's Sobol' and Morris designs (:func:`sample_design`).
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, Literal

import numpy as np

from sandbox.config.scenario import Scenario, ScenarioError
from sandbox.experiments.results import ExperimentError
from sandbox.experiments.store import read_manifest

Design = Literal["grid", "lhs", "sobol", "morris"]
DESIGNS: tuple[str, ...] = ("grid", "lhs", "sobol", "morris")
MORRIS_LEVELS = 4


# --- seeds -------------------------------------------------------------------------------


def child_seeds(seed: int, n: int) -> list[int]:
    """``n`` independent integer seeds spawned from ``seed``.

    Child ``i`` is the same whatever ``n`` is, so runs keep their seeds when an
    experiment is extended. Seeds are below ``2**53``.
    """
    # 53 bits: exact as a double too, so a seed survives CSV readers (R, spreadsheets)
    # and pandas rows upcast to float; collisions stay negligible (~n**2 / 2**54).
    return [int(child.generate_state(1, dtype=np.uint64)[0] >> 11) for child in np.random.SeedSequence(seed).spawn(n)]


def design_seed(seed: int) -> int:
    """A seed for sampling the design, from a stream apart from the runs' seeds."""
    return int(np.random.SeedSequence([seed, 0x5EED]).generate_state(1, dtype=np.uint32)[0])


def root_seed(seed: int | None, out: str | Path | None) -> int:
    """The seed given; or, resuming a store, the store's; or a fresh one."""
    if seed is not None:
        if seed < 0:
            raise ExperimentError(f"seed: found {seed}; allowed: 0 or more")
        return int(seed)
    stored = read_manifest(out) if out is not None else None
    if stored and isinstance(stored.get("seeds"), dict) and "root" in stored["seeds"]:
        return int(stored["seeds"]["root"])
    # Fresh entropy, cut to 53 bits: exact as a double, like the children.
    return int(np.random.SeedSequence().generate_state(1, dtype=np.uint64)[0] >> 11)


# --- sweep designs -----------------------------------------------------------------------


def _current_value(data: Any, path: str) -> Any:
    """The value at a dotted path of ``Scenario.to_dict()`` (``regime.<rule>.x``: the first such rule)."""
    parts = path.split(".")
    if parts[0] == "regime" and len(parts) >= 3 and not parts[1].isdigit():
        entries = [e[parts[1]] for e in data.get("regime", []) if isinstance(e, dict) and parts[1] in e]
        return _current_value(entries[0], ".".join(parts[2:])) if entries else None
    node = data
    for key in parts:
        if isinstance(node, list) and key.isdigit() and int(key) < len(node):
            node = node[int(key)]
        elif isinstance(node, dict) and key in node:
            node = node[key]
        else:
            return None
    return node


def with_values(scenario: Scenario, values: Mapping[str, Any]) -> Scenario:
    """``scenario.with_updates(values)``, every problem as a one-line :class:`ExperimentError`."""
    try:
        return scenario.with_updates(dict(values))
    except ScenarioError as err:
        raise ExperimentError(err.problems[0].replace("<scenario>: ", "")) from None
    except (KeyError, IndexError, TypeError, AttributeError, ValueError) as err:
        paths = ", ".join(values)
        raise ExperimentError(f"{paths}: not a field of the scenario ({type(err).__name__}: {err})") from None


def check_parameters(
    scenario: Scenario, parameters: Mapping[str, Sequence[float]]
) -> tuple[dict[str, tuple[float, float]], dict[str, bool]]:
    """Check swept parameters: known paths, numbers, LOW < HIGH, both ends valid.

    Returns:
        The bounds as floats, and which parameters are integer fields (their
        values are rounded).

    Raises:
        ExperimentError: the first problem found.
    """
    if not parameters:
        raise ExperimentError("parameters: none given; allowed: at least one dotted path with (low, high)")
    data = scenario.to_dict()
    bounds: dict[str, tuple[float, float]] = {}
    integer: dict[str, bool] = {}
    for path, pair in parameters.items():
        try:
            low, high = (float(x) for x in pair)
        except (TypeError, ValueError):
            raise ExperimentError(f"{path}: found {pair!r}; allowed: (low, high), two numbers") from None
        if not (math.isfinite(low) and math.isfinite(high)) or low >= high:
            raise ExperimentError(f"{path}: found low {low:g}, high {high:g}; allowed: low < high")
        current = _current_value(data, path)
        if isinstance(current, bool | str):
            raise ExperimentError(f"{path}: is {type(current).__name__}; allowed: a numeric field")
        integer[path] = isinstance(current, int)
        for end in (low, high):
            with_values(scenario, {path: round(end) if integer[path] else end})
        bounds[path] = (low, high)
    return bounds, integer


def sample_design(parameters: Mapping[str, tuple[float, float]], design: str, points: int, seed: int) -> np.ndarray:
    """The design's points, one row per point, one column per parameter.

    Args:
        parameters: dotted path to ``(low, high)``.
        design: ``grid`` (``points`` per axis: ``points ** d`` points),
            ``lhs`` (``points`` Latin hypercube points), ``sobol`` (SALib's
            Saltelli/Sobol' sample, ``points`` base samples, first and total
            order: ``points * (d + 2)`` points), ``morris`` (SALib's Morris
            sample, ``points`` trajectories: ``points * (d + 1)`` points).
        points: see ``design``.
        seed: seeds the random designs.
    """
    names = list(parameters)
    lows = np.array([parameters[p][0] for p in names])
    highs = np.array([parameters[p][1] for p in names])
    problem = {"num_vars": len(names), "names": names, "bounds": [list(parameters[p]) for p in names]}
    if design == "grid":
        axes = [np.linspace(lo, hi, points) for lo, hi in zip(lows, highs, strict=True)]
        return np.array(list(itertools.product(*axes)), dtype=float).reshape(-1, len(names))
    if design == "lhs":
        from scipy.stats import qmc

        unit = qmc.LatinHypercube(d=len(names), rng=np.random.default_rng(seed)).random(points)
        return qmc.scale(unit, lows, highs)
    if design == "sobol":
        import warnings

        from SALib.sample import sobol

        with warnings.catch_warnings():
            # SALib warns when N is not a power of 2; the sample is still valid.
            warnings.simplefilter("ignore", UserWarning)
            return sobol.sample(problem, points, calc_second_order=False, seed=seed)
    if design == "morris":
        from SALib.sample import morris

        return morris.sample(problem, points, num_levels=MORRIS_LEVELS, seed=seed)
    raise ExperimentError(f"design: found {design!r}; allowed: {', '.join(DESIGNS)}")


__all__ = [
    "DESIGNS",
    "MORRIS_LEVELS",
    "Design",
    "check_parameters",
    "child_seeds",
    "design_seed",
    "root_seed",
    "sample_design",
    "with_values",
]
