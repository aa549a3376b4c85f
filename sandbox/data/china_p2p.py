"""China's P2P market 2012-2017 (``data/china_p2p/``), as tidy pandas tables with their definitions.

Two files, read as they are and never spliced:

- ``series_2012_2017.csv``: 423 sourced figures. :func:`series` gives one row per
  figure with its period, value, unit, vintage, source and quote. Where sources or
  vintages disagree both rows are kept; :func:`vintages` lists a series' vintages.
- ``problem_platforms_2011_2017.csv``: WDZJ's list of 3,794 problem and closed
  platforms. :func:`problem_platforms` gives one row per platform;
  :func:`monthly_events` and :func:`cause_shares` count them.

Only data up to 2017-12 (the training window) is read: a row dated later is an
error, never silently dropped. ``docs/data.md`` explains every column and choice.
"""

from __future__ import annotations

import difflib
import os
import re
from functools import cache
from pathlib import Path

import pandas as pd

from sandbox.data.periods import TRAINING_END, DataError, parse_period, parse_value, source_month

SERIES_FILE = "series_2012_2017.csv"
PLATFORMS_FILE = "problem_platforms_2011_2017.csv"
# The monthly counts of the problem-platform list are complete over these months (README).
COMPLETE_FROM, COMPLETE_TO = "2014-01", "2017-06"

# A series label's vintage marker -> the vintage; the marker is cut from the label to name the series.
_VINTAGE_MARKERS: tuple[tuple[str, str], ...] = (
    (r",? ?mid-2017 vintage", "mid-2017 list"),
    (r",? ?2020 revised vintage", "2020 revised"),
    (r",? ?revised basis", "revised basis"),
    (r",? ?original basis", "original basis"),
    (r",? ?real-time", "real-time"),
    (r",? ?as restated mid-2018", "restated mid-2018"),
    (r",? ?as restated(?: in 2018 report)?; basis unclear", "restated, basis unclear"),
)
AS_REPORTED = "as reported"
VINTAGES: dict[str, str] = {
    AS_REPORTED: "as first published in the report or news of the time; WDZJ's basis changed between reports "
    "(e.g. 2016-06 and 2016-12 operating platforms are on different bases)",
    "original basis": "labelled by the source as WDZJ's first basis, before a restatement",
    "revised basis": "WDZJ's restated basis, published later (platform counts revised; balances principal only)",
    "2020 revised": "WDZJ's data channel as crawled in November 2020 (revised again, higher platform counts)",
    "mid-2017 list": "counted from WDZJ's problem-platform list as crawled in 2017 (exits backfilled)",
    "real-time": "labelled by the source as the real-time report, before exits were backfilled",
    "restated mid-2018": "a figure as quoted in mid-2018, restated from the real-time report",
    "restated, basis unclear": "annual volumes quoted in a 2019 article; likely a broader aggregate than WDZJ's",
}
# Labels of the list-derived series that measure the same thing as a reported series: one series, two vintages.
_SAME_AS: dict[str, str] = {
    "WDZJ-list new problem platforms (跑路+提现困难+经侦介入)": "WDZJ new problem platforms (month)",
    "WDZJ-list new closed/transformed platforms (停业+转型)": "WDZJ new closed/transformed platforms (month)",
    "WDZJ-list cumulative problem+closed platforms": "WDZJ cumulative closed+problem platforms",
}

# The list's `type` -> (English cause, WDZJ's class).
CAUSES: dict[str, tuple[str, str]] = {
    "跑路": ("absconded", "problem"),
    "提现困难": ("withdrawal_stop", "problem"),
    "经侦介入": ("police", "problem"),
    "停业": ("closed", "closed"),
    "转型": ("converted", "closed"),
}
CAUSE_ORDER = [cause for cause, _ in CAUSES.values()]
PROVINCES: dict[str, str] = {
    "北京": "Beijing", "天津": "Tianjin", "河北": "Hebei", "山西": "Shanxi", "内蒙古": "Inner Mongolia",
    "辽宁": "Liaoning", "吉林": "Jilin", "黑龙江": "Heilongjiang", "上海": "Shanghai", "江苏": "Jiangsu",
    "浙江": "Zhejiang", "安徽": "Anhui", "福建": "Fujian", "江西": "Jiangxi", "山东": "Shandong",
    "河南": "Henan", "湖北": "Hubei", "湖南": "Hunan", "广东": "Guangdong", "广西": "Guangxi",
    "海南": "Hainan", "重庆": "Chongqing", "四川": "Sichuan", "贵州": "Guizhou", "云南": "Yunnan",
    "西藏": "Tibet", "陕西": "Shaanxi", "甘肃": "Gansu", "青海": "Qinghai", "宁夏": "Ningxia",
    "新疆": "Xinjiang",
}  # fmt: skip
# The registered capital in the file is in units of 10,000 yuan (万元).
CAPITAL_UNIT_YUAN = 10_000


def data_dir() -> Path:
    """The folder holding ``china_p2p/``: ``$SANDBOX_DATA_DIR`` if set, else ``data/`` of this checkout.

    An editable install (``pip install -e .``) reads the checkout's ``data/``. A
    non-editable install does not ship the data: point ``SANDBOX_DATA_DIR`` at the
    ``data/`` folder of a checkout.
    """
    env = os.environ.get("SANDBOX_DATA_DIR")
    folder = Path(env) if env else Path(__file__).resolve().parents[2] / "data"
    if not (folder / "china_p2p" / SERIES_FILE).is_file():
        raise DataError(
            f"no china_p2p data in {folder}: set SANDBOX_DATA_DIR to the data/ folder of a sandbox checkout"
        )
    return folder


def _split_label(label: str) -> tuple[str, str]:
    """A file label -> (series name, vintage)."""
    for pattern, vintage in _VINTAGE_MARKERS:
        if re.search(pattern, label):
            name = re.sub(pattern, "", label)
            name = re.sub(r"\(\s*\)", "", name).replace("(, ", "(").strip()
            return _SAME_AS.get(name, name), vintage
    return label, AS_REPORTED


def _after_window(end: str | None) -> bool:
    return end is not None and end[:7] > TRAINING_END


@cache
def _read_series(folder: str) -> pd.DataFrame:
    raw = pd.read_csv(Path(folder) / "china_p2p" / SERIES_FILE, dtype=str, keep_default_na=False)
    rows = []
    for line, rec in enumerate(raw.to_dict("records"), start=2):
        period = parse_period(rec["date"])
        dated = period.end if period.kind != "case" else source_month(rec["source"])
        if dated is None:
            raise DataError(f"{SERIES_FILE} line {line}: a (case) row needs a source dated in its address")
        if _after_window(dated):
            raise DataError(
                f"{SERIES_FILE} line {line}: dated {rec['date']}, after the training window ({TRAINING_END})"
            )
        name, vintage = _split_label(rec["series"])
        value, low, high = parse_value(rec["value"])
        rows.append(
            {
                "series": name,
                "vintage": vintage,
                "period": rec["date"],
                "kind": period.kind,
                "start": period.start,
                "end": period.end,
                "month": period.month,
                "value": value,
                "low": low,
                "high": high,
                "value_text": rec["value"],
                "unit": rec["unit"],
                "source": rec["source"],
                "status": rec["status"],
                "quote": rec["quote_or_note"],
                "label": rec["series"],
                "case": period.case,
            }
        )
    table = pd.DataFrame(rows)
    for col in ("start", "end"):
        table[col] = pd.to_datetime(table[col])
    return table


def _series_table() -> pd.DataFrame:
    return _read_series(str(data_dir()))


def _one_line_choices(kind: str, given: str, allowed: list[str], context: str = "") -> DataError:
    near = difflib.get_close_matches(given, allowed, n=3, cutoff=0.5)
    hint = f" (did you mean {', '.join(repr(n) for n in near)}?)" if near else ""
    return DataError(f"unknown {kind} {given!r}{context}{hint}; allowed: {', '.join(repr(a) for a in allowed)}")


def _resolve(name: str, table: pd.DataFrame) -> str:
    names = sorted(table["series"].unique())
    if name in names:
        return name
    folded = [n for n in names if n.casefold() == name.casefold()]
    if len(folded) == 1:
        return folded[0]
    raise _one_line_choices("series", name, names)


def series(name: str | None = None, vintage: str | None = None) -> pd.DataFrame:
    """The sourced figures, one row each: all of them, one series, or one series' vintage.

    Columns: ``series``, ``vintage``, ``period`` (the date as written), ``kind``
    (year, half, month, day, months, case), ``start`` and ``end`` (first and last
    day), ``month`` (``YYYY-MM`` when the period is one month or day, else None),
    ``value`` (NaN unless an exact number), ``low`` and ``high`` (bounds stated, e.g.
    ``>3600``), ``value_text`` (as written), ``unit``, ``source``, ``status``,
    ``quote``, ``label`` (the file's series label) and ``case`` (a (case) row's platform).
    Rows that disagree (vintages, sources) stay separate rows. An unknown series or
    vintage is a one-line :class:`DataError` that lists the allowed ones.
    """
    table = _series_table()
    if name is not None:
        table = table[table["series"] == _resolve(name, table)]
    if vintage is not None:
        allowed = sorted(table["vintage"].unique())
        if vintage not in allowed:
            raise _one_line_choices("vintage", vintage, allowed, f" for series {name!r}" if name else "")
        table = table[table["vintage"] == vintage]
    return table.sort_values(["series", "vintage", "start", "source"], na_position="last").reset_index(drop=True)


def vintages(name: str) -> list[str]:
    """The vintages a series has (``as reported``, ``revised basis``, ...); :data:`VINTAGES` says what each means."""
    return sorted(series(name)["vintage"].unique())


def describe() -> pd.DataFrame:
    """The catalogue: one row per series with its unit, vintages, number of figures and sources, and time span."""
    table = _series_table()
    grouped = table.groupby("series", sort=True)
    return pd.DataFrame(
        {
            "unit": grouped["unit"].agg(lambda u: ", ".join(sorted(set(u)))),
            "vintages": grouped["vintage"].agg(lambda v: ", ".join(sorted(set(v)))),
            "figures": grouped.size(),
            "sources": grouped["source"].nunique(),
            "first": grouped["start"].min().dt.strftime("%Y-%m"),
            "last": grouped["end"].max().dt.strftime("%Y-%m"),
        }
    ).reset_index()


@cache
def _read_platforms(folder: str) -> pd.DataFrame:
    raw = pd.read_csv(Path(folder) / "china_p2p" / PLATFORMS_FILE, dtype=str, keep_default_na=False)
    unknown = sorted(set(raw["type"]) - set(CAUSES)) + sorted(set(raw["area"]) - set(PROVINCES))
    if unknown:
        raise DataError(f"{PLATFORMS_FILE}: unknown type or province {unknown}")
    event = pd.to_datetime(raw["problemTime"], format="%Y-%m-%d %H:%M:%S")
    online = pd.to_datetime(raw["onlineTime"], format="%Y-%m-%d %H:%M:%S")
    late = raw.loc[(event.dt.strftime("%Y-%m") > TRAINING_END) | (online.dt.strftime("%Y-%m") > TRAINING_END)]
    if len(late):
        raise DataError(f"{PLATFORMS_FILE}: {len(late)} rows dated after the training window ({TRAINING_END})")
    capital = raw["regCapital"].astype(float)
    return pd.DataFrame(
        {
            "platform": raw["platName"],
            "platform_id": raw["platId"].astype(int),
            "province": raw["area"],
            "province_en": raw["area"].map(PROVINCES),
            "online": online,
            "event_date": event,
            "month": event.dt.strftime("%Y-%m"),
            # 10,000 yuan in the file; 0 there means not reported.
            "capital_yuan": (capital * CAPITAL_UNIT_YUAN).where(capital > 0),
            "type_zh": raw["type"],
            "cause": raw["type"].map(lambda t: CAUSES[t][0]),
            "event_class": raw["type"].map(lambda t: CAUSES[t][1]),
        }
    )


def problem_platforms() -> pd.DataFrame:
    """WDZJ's problem-platform list (crawl of 2017-09), one row per platform.

    Columns: ``platform``, ``platform_id`` (WDZJ's), ``province`` (as written) and
    ``province_en``, ``online`` (launch date), ``event_date`` and ``month`` (of the
    problem or closure), ``capital_yuan`` (registered capital in yuan: the file's
    10,000-yuan units times 10,000; NaN where the file has 0, i.e. not reported),
    ``type_zh``, ``cause`` (absconded, withdrawal_stop, police, closed, converted)
    and ``event_class`` (WDZJ's two classes: ``problem`` = absconded, withdrawal
    stop or police; ``closed`` = closed or converted).
    """
    return _read_platforms(str(data_dir())).copy()


def _check_month(month: str, what: str) -> str:
    if not re.fullmatch(r"\d{4}-(0[1-9]|1[0-2])", month):
        raise DataError(f"{what} must be a month YYYY-MM, not {month!r}")
    return month


def monthly_events(start: str = COMPLETE_FROM, end: str = COMPLETE_TO) -> pd.DataFrame:
    """New ``problem`` and new ``closed`` platforms per month, counted from the list by month of the event.

    The counts are complete only from 2014-01 to 2017-06 (README); a range outside
    it is a :class:`DataError`. Months without events count 0.
    """
    start, end = _check_month(start, "start"), _check_month(end, "end")
    if start < COMPLETE_FROM or end > COMPLETE_TO or start > end:
        raise DataError(
            f"months {start}..{end}: the list's monthly counts are complete only within {COMPLETE_FROM}..{COMPLETE_TO}"
        )
    months = pd.period_range(start, end, freq="M").strftime("%Y-%m")
    counts = pd.crosstab(problem_platforms()["month"], problem_platforms()["event_class"])
    counts = counts.reindex(index=months, columns=["problem", "closed"], fill_value=0)
    return counts.rename_axis(index="month", columns=None).reset_index()


def cause_shares(year: int) -> pd.DataFrame:
    """The year's events by cause: ``cause_zh``, ``event_class``, ``events`` and ``share`` (a fraction of the year's).

    Years 2014 to 2017; 2017 counts January to June only (the list ends there).
    """
    if year not in range(2014, 2018):
        raise DataError(f"cause shares exist for 2014, 2015, 2016 and 2017 (January-June), not {year!r}")
    plats = problem_platforms()
    counts = plats.loc[plats["event_date"].dt.year == year, "cause"].value_counts().reindex(CAUSE_ORDER, fill_value=0)
    by_cause = {cause: (zh, cls) for zh, (cause, cls) in CAUSES.items()}
    return pd.DataFrame(
        {
            "cause_zh": [by_cause[c][0] for c in CAUSE_ORDER],
            "event_class": [by_cause[c][1] for c in CAUSE_ORDER],
            "events": counts.to_numpy(),
            "share": counts.to_numpy() / counts.sum(),
        },
        index=pd.Index(CAUSE_ORDER, name="cause"),
    )
