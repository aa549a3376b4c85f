"""Writing output files safely: strict JSON and spreadsheet-safe CSV.

Every file a user opens (``summary.json``, ``monthly.csv``, ``comparison.csv``,
a pilot's ``report_card.json``) goes through these two writers, so that:

- JSON is strict (RFC 8259): no ``NaN`` or ``Infinity`` tokens, which most JSON
  readers reject. A non-finite number is written as ``null``.
- CSV cells that came from a user's text and start with ``=``, ``+``, ``-`` or
  ``@`` are prefixed with ``'``, so a spreadsheet shows them as text instead of
  running them as formulas (CSV injection). Numbers are left alone: only text
  cells are neutralised, so ``-3.5`` stays a number.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


def neutralise_formula(value: Any) -> Any:
    """``value`` with a leading ``'`` if it is text a spreadsheet would run as a formula."""
    if isinstance(value, str) and value.startswith(FORMULA_PREFIXES):
        return "'" + value
    return value


def safe_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy of ``frame`` whose text cells (and column names) cannot run as formulas."""
    out = frame.copy()
    for column in out.columns:
        if out[column].dtype == object or pd.api.types.is_string_dtype(out[column]):
            out[column] = out[column].map(neutralise_formula)
    out.columns = [neutralise_formula(c) for c in out.columns]
    if out.index.dtype == object:
        out.index = out.index.map(neutralise_formula)
    return out


def write_csv(frame: pd.DataFrame, path: str | Path, index: bool = False) -> Path:
    """Write ``frame`` as CSV with formula-like text cells neutralised."""
    path = Path(path)
    safe_frame(frame).to_csv(path, index=index)
    return path


def strict(value: Any) -> Any:
    """``value`` as plain JSON data: numpy scalars unwrapped, non-finite floats as ``None``."""
    if isinstance(value, Mapping):
        return {str(k): strict(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [strict(v) for v in value]
    if isinstance(value, np.ndarray):
        return [strict(v) for v in value.tolist()]
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def dumps(data: Any, indent: int | None = 2) -> str:
    """Strict JSON text for ``data`` (see :func:`strict`); anything else unknown is refused."""
    return json.dumps(strict(data), indent=indent, allow_nan=False, default=_refuse)


def write_json(data: Any, path: str | Path) -> Path:
    """Write ``data`` as strict JSON (with a final newline)."""
    path = Path(path)
    path.write_text(dumps(data) + "\n", encoding="utf-8")
    return path


def _refuse(x: Any) -> Any:
    if isinstance(x, Path):
        return str(x)
    raise TypeError(f"not JSON serializable: {type(x).__name__}")
