"""The date and value forms of the sourced series, parsed into periods and numbers.

A row's ``date`` is one of ``YYYY`` (a year), ``YYYY-Hn`` (a half year),
``YYYY-MM`` (a month), ``YYYY-MM-DD`` (a day), ``YYYY-MM..MM`` (months of one
year, e.g. ``2015-01..07``) or ``(case) NAME`` (one platform, undated). A
``value`` is a number, or text such as ``>3600``, ``1800-2200`` or
``~700e8 / ~100e8+`` that is kept as written with any bounds it states.
"""

from __future__ import annotations

import calendar
import math
import re
from dataclasses import dataclass

# The last month of the training window: no row may be dated after it.
TRAINING_END = "2017-12"


class DataError(ValueError):
    """A one-line error about the project's data: an unknown name, a bad row, a missing file."""


@dataclass(frozen=True)
class Period:
    """A parsed ``date``: its kind, first and last day (ISO text), and its month if it is within one."""

    kind: str  # year, half, month, day, months, case
    start: str | None  # YYYY-MM-DD, None for a case
    end: str | None
    month: str | None  # YYYY-MM when the period lies within one month
    case: str | None  # the platform of a (case) row


_NUMBER = r"[0-9]+(?:\.[0-9]+)?(?:[eE][0-9]+)?"


def _last_day(year: int, month: int) -> str:
    return f"{year:04d}-{month:02d}-{calendar.monthrange(year, month)[1]:02d}"


def _months(year: int, first: int, last: int, text: str) -> tuple[str, str]:
    if not (1 <= first <= last <= 12):
        raise DataError(f"bad months in date {text!r}")
    return f"{year:04d}-{first:02d}-01", _last_day(year, last)


def parse_period(text: str) -> Period:
    """Parse one ``date`` of the series file; a form not listed above is a :class:`DataError`."""
    text = text.strip()
    if m := re.fullmatch(r"\(case\) (.+)", text):
        return Period("case", None, None, None, m.group(1).strip())
    if m := re.fullmatch(r"(\d{4})", text):
        start, end = _months(int(m.group(1)), 1, 12, text)
        return Period("year", start, end, None, None)
    if m := re.fullmatch(r"(\d{4})-H([12])", text):
        half = int(m.group(2))
        start, end = _months(int(m.group(1)), 6 * half - 5, 6 * half, text)
        return Period("half", start, end, None, None)
    if m := re.fullmatch(r"(\d{4})-(\d{2})", text):
        start, end = _months(int(m.group(1)), int(m.group(2)), int(m.group(2)), text)
        return Period("month", start, end, text, None)
    if m := re.fullmatch(r"(\d{4})-(\d{2})-(\d{2})", text):
        year, month, day = (int(g) for g in m.groups())
        if not (1 <= month <= 12 and 1 <= day <= calendar.monthrange(year, month)[1]):
            raise DataError(f"bad day in date {text!r}")
        return Period("day", text, text, text[:7], None)
    if m := re.fullmatch(r"(\d{4})-(\d{2})\.\.(\d{2})", text):
        start, end = _months(int(m.group(1)), int(m.group(2)), int(m.group(3)), text)
        return Period("months", start, end, None, None)
    raise DataError(
        f"unrecognised date {text!r}: expected YYYY, YYYY-Hn, YYYY-MM, YYYY-MM-DD, YYYY-MM..MM or '(case) NAME'"
    )


def source_month(source: str) -> str | None:
    """The month a source is dated by in its address (``/20160219/``, ``/2019/01/07/``), if any."""
    m = re.search(r"(?<!\d)(20\d\d)[/-]?(0[1-9]|1[0-2])(?:[/-]?[0-3]\d)?(?!\d)", source)
    return f"{m.group(1)}-{m.group(2)}" if m else None


def parse_value(text: str) -> tuple[float, float, float]:
    """``(value, low, high)``: a number gives all three; ``>x`` a low bound, ``<x`` a high one, ``a-b`` both.

    Anything else (e.g. ``~700e8 / ~100e8+``) gives NaN for all three; the text is kept beside it.
    """
    text = text.strip().replace(",", "")
    nan = math.nan
    if re.fullmatch(_NUMBER, text):
        return float(text), float(text), float(text)
    if m := re.fullmatch(rf">({_NUMBER})", text):
        return nan, float(m.group(1)), nan
    if m := re.fullmatch(rf"<({_NUMBER})", text):
        return nan, nan, float(m.group(1))
    if m := re.fullmatch(rf"({_NUMBER})-({_NUMBER})", text):
        return nan, float(m.group(1)), float(m.group(2))
    return nan, nan, nan
