"""The regime in words and numbers: rule dates and values as a table, and short numbers.

Kept apart from :mod:`~sandbox.reporting.plots` (which re-exports these names)
because tables and findings use them without drawing anything.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import pandas as pd


def human(x: float, pos: int | None = None) -> str:  # noqa: ARG001 - matplotlib FuncFormatter passes pos
    """A short number for axis ticks: 2.9T, 1.5M, 20k, 0.3."""
    if not math.isfinite(x):
        return ""
    for scale, suffix in ((1e12, "T"), (1e9, "B"), (1e6, "M"), (1e3, "k")):
        if abs(x) >= scale:
            return f"{x / scale:.3g}{suffix}"
    return f"{x:.3g}"


def go_live_dates(rules: Any, scenario: str | None = None) -> pd.DataFrame:
    """Rule dates as a table for the ``go_live`` argument of the time-series plots.

    Args:
        rules: a :class:`~sandbox.config.scenario.Scenario`, its ``.rules``, or a
            mapping of rule name to ``YYYY-MM``.
        scenario: a name for the ``scenario`` column (to tell scenarios apart).

    Returns:
        ``rule``, ``start`` (``YYYY-MM``), ``until`` (``YYYY-MM`` or None) and
        ``scenario``, one row per rule entry.
    """
    if isinstance(rules, Mapping):
        rows = [{"rule": k, "start": v, "until": None} for k, v in rules.items()]
    else:
        entries = rules.rules if hasattr(rules, "rules") else rules
        rows = [
            {"rule": r.name, "start": r.start, "until": getattr(r, "until", None), "values": rule_values(r)}
            for r in entries
        ]
    table = pd.DataFrame(rows, columns=["rule", "start", "until", "values"])
    table["scenario"] = scenario
    return table


def rule_values(rule: Any) -> str:
    """A rule entry's parameters in words and units: ``apr 24%``, ``min_capital 50M yuan``, ``capacity 2``.

    Dates (``from``, ``until``) are left out (they have columns of their own),
    and so is a grace period of 0. Dated values read ``apr 36% from 2015-09, 24% from 2017-08``.
    """
    if not hasattr(rule, "model_dump"):
        return ""
    data = rule.model_dump(mode="json", by_alias=True, exclude_none=True)
    fields = {info.alias or name: info for name, info in type(rule).model_fields.items()}
    parts = []
    for key, value in data.items():
        if key in ("from", "until") or (key == "grace_months" and value == 0):
            continue
        unit = _value_unit(fields[key].description if key in fields else None)
        if isinstance(value, dict) and isinstance(value.get("values"), dict):
            text = ", ".join(f"{_in_unit(v, unit)} from {when}" for when, v in value["values"].items())
        else:
            text = _in_unit(value, unit)
        parts.append(f"{key} {text}")
    return "; ".join(parts)


def _value_unit(description: str | None) -> str:
    """``yuan``, ``share`` (shown in percent) or ``""``, from a rule field's description."""
    words = (description or "").lower()
    if "yuan" in words:
        return "yuan"
    if any(w in words for w in ("fraction", "share", "chance", "yield", "apr")):
        return "share"
    return ""


def _in_unit(value: Any, unit: str) -> str:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return str(value).lower() if isinstance(value, bool) else str(value)
    if unit == "share":
        return f"{100 * value:.4g}%"
    if unit == "yuan":
        return f"{human(value).replace('T', ' trillion').replace('B', ' billion').replace('k', 'K')} yuan"
    return f"{value:g}"


__all__ = ["go_live_dates", "human", "rule_values"]
