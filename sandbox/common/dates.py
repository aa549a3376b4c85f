"""Months as the model counts them, and parameters whose value changes on dates.

Scenario files write months as ``"YYYY-MM"``. Inside the model a month is an
integer index counted from the scenario's start month (0 is the first step).
"""

from __future__ import annotations

import math
import re
from typing import Annotated, Any

from pydantic import AfterValidator, Discriminator, Tag, field_validator

from sandbox.common.validation import StrictModel, percent_hint

_MONTH = re.compile(r"^(\d{4})-(0[1-9]|1[0-2])$")


def _check_month(text: str) -> str:
    if not isinstance(text, str) or not _MONTH.match(text):
        raise ValueError(f"found {text!r}; allowed: a month written YYYY-MM, e.g. 2016-08")
    return text


Month = Annotated[str, AfterValidator(_check_month)]
"""A calendar month written ``YYYY-MM``."""


def month_index(month: str, start: str) -> int:
    """Number of months from ``start`` to ``month`` (both ``YYYY-MM``)."""
    y, m = (int(x) for x in month.split("-"))
    y0, m0 = (int(x) for x in start.split("-"))
    return (y - y0) * 12 + (m - m0)


def month_label(index: int, start: str) -> str:
    """The ``YYYY-MM`` label of month ``index`` counted from ``start``."""
    y0, m0 = (int(x) for x in start.split("-"))
    total = y0 * 12 + (m0 - 1) + index
    return f"{total // 12:04d}-{total % 12 + 1:02d}"


class DatedValues(StrictModel):
    """A parameter that changes on dates, written OpenFisca-style.

    ``values: {2016-08: 0.24, 2020-08: 0.154}``: each value is in force from its
    month until the next one. Before the first month the first value applies.
    """

    values: dict[Month, float]

    @field_validator("values")
    @classmethod
    def _ordered(cls, values: dict[str, float]) -> dict[str, float]:
        if not values:
            raise ValueError("found no dates; allowed: at least one 'YYYY-MM: value' entry")
        months = list(values)
        if months != sorted(months):
            raise ValueError(f"dates out of order: {', '.join(months)}; allowed: increasing months")
        return values

    def at(self, index: int, start: str) -> float:
        """Value in force in month ``index`` of a scenario starting at ``start``."""
        current = next(iter(self.values.values()))
        for month, value in self.values.items():
            if month_index(month, start) <= index:
                current = value
        return current


def value_at(param: float | DatedValues, index: int, start: str) -> float:
    """Value of a plain or dated parameter in month ``index``."""
    if isinstance(param, DatedValues):
        return param.at(index, start)
    return float(param)


def Dated(ge: float | None = None, le: float | None = None) -> Any:  # noqa: N802 (a type factory)
    """A number or dated numbers, each within ``[ge, le]``.

    Used as a field type: ``benchmark_rate: Dated(ge=0, le=1) = 0.0435``.
    """

    def check(param: float | DatedValues) -> float | DatedValues:
        values = param.values.values() if isinstance(param, DatedValues) else [param]
        for v in values:
            if not math.isfinite(v) or (ge is not None and v < ge) or (le is not None and v > le):
                lo = "-inf" if ge is None else f"{ge:g}"
                hi = "inf" if le is None else f"{le:g}"
                raise ValueError(f"found {v:g}; allowed: a finite number from {lo} to {hi}{percent_hint(v, le)}")
        return param

    # The form is chosen by the input's shape, so a wrong value gets one
    # message about the form the user meant, not one per form.
    return Annotated[
        Annotated[float, Tag("number")] | Annotated[DatedValues, Tag("dated")],
        Discriminator(_dated_form),
        AfterValidator(check),
        DatedRange(ge, le),
    ]


def _dated_form(value: Any) -> str:
    """Which form of a dated parameter ``value`` is written in: a mapping is dated values."""
    return "dated" if isinstance(value, (dict, DatedValues)) else "number"


class DatedRange:
    """Marker carried by :func:`Dated` fields, so docs can state their range."""

    def __init__(self, ge: float | None, le: float | None) -> None:
        self.ge, self.le = ge, le

    def __repr__(self) -> str:
        return f"DatedRange({self.ge}, {self.le})"
