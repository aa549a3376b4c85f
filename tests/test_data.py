"""The project's data (``data/china_p2p/``) and its loader ``sandbox.data``.

The training-window guard reads the raw files itself (not through the loader), so
a row dated after 2017-12 fails here even if the loader were changed.
"""

from __future__ import annotations

import csv
import re
import shutil
from pathlib import Path

import pandas as pd
import pytest

from sandbox import data
from sandbox.data.periods import parse_period, parse_value

ROOT = Path(__file__).resolve().parents[1]
FOLDER = ROOT / "data" / "china_p2p"
SERIES_CSV = FOLDER / "series_2012_2017.csv"
PLATFORMS_CSV = FOLDER / "problem_platforms_2011_2017.csv"
OPERATING = "WDZJ operating platforms (month-end)"


def _rows(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


def _last_month(date: str) -> str:
    """The last month a raw ``date`` covers, parsed here without the loader."""
    if m := re.fullmatch(r"(\d{4})", date):
        return f"{m.group(1)}-12"
    if m := re.fullmatch(r"(\d{4})-H([12])", date):
        return f"{m.group(1)}-{6 * int(m.group(2)):02d}"
    if m := re.fullmatch(r"(\d{4})-(\d{2})(?:-\d{2})?", date):
        return f"{m.group(1)}-{m.group(2)}"
    if m := re.fullmatch(r"(\d{4})-\d{2}\.\.(\d{2})", date):
        return f"{m.group(1)}-{m.group(2)}"
    raise AssertionError(f"unrecognised date {date!r}")


# --- the training window: nothing dated after 2017-12 ---------------------------------------


def test_data_folder_holds_only_the_china_p2p_files() -> None:
    files = sorted(p.relative_to(ROOT / "data").as_posix() for p in (ROOT / "data").rglob("*") if p.is_file())
    assert files == [
        "README.md",
        "china_p2p/README.md",
        "china_p2p/problem_platforms_2011_2017.csv",
        "china_p2p/series_2012_2017.csv",
    ]


def test_every_series_row_is_dated_by_2017_12() -> None:
    late = []
    for line, row in enumerate(_rows(SERIES_CSV), start=2):
        if row["date"].startswith("(case) "):
            # A single platform's recovery rate has no date of its own: its source must be dated in its address.
            m = re.search(r"(?<!\d)(20\d\d)(\d\d)\d\d(?!\d)", row["source"])
            assert m, f"line {line}: a (case) row needs a source dated in its address"
            month = f"{m.group(1)}-{m.group(2)}"
        else:
            month = _last_month(row["date"])
        if month > data.TRAINING_END:
            late.append((line, row["date"]))
    assert not late, f"rows after {data.TRAINING_END}: {late}"


def test_every_problem_platform_is_dated_by_2017_12() -> None:
    rows = _rows(PLATFORMS_CSV)
    late = [r["id"] for r in rows if max(r["problemTime"][:7], r["onlineTime"][:7]) > data.TRAINING_END]
    assert not late, f"platforms with events after {data.TRAINING_END}: {late}"
    assert all(re.fullmatch(r"\d{4}-\d{2}-\d{2} 00:00:00", r["problemTime"]) for r in rows)


def test_no_quote_names_a_year_after_2017() -> None:
    later = [
        (line, row["quote_or_note"][:80])
        for line, row in enumerate(_rows(SERIES_CSV), start=2)
        if re.search(r"(?<![\d.,])20(1[89]|[2-9]\d)(?!\d|\.\d)", row["quote_or_note"])
    ]
    assert not later


def test_the_loader_refuses_a_row_after_2017(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "china_p2p").mkdir()
    shutil.copy(PLATFORMS_CSV, tmp_path / "china_p2p")
    text = SERIES_CSV.read_text(encoding="utf-8")
    extra = "2018-01,WDZJ operating platforms (month-end),1,platforms,x,secondary,x\r\n"
    (tmp_path / "china_p2p" / SERIES_CSV.name).write_text(text + extra, encoding="utf-8", newline="")
    monkeypatch.setenv("SANDBOX_DATA_DIR", str(tmp_path))
    with pytest.raises(data.DataError, match=r"line 425: dated 2018-01, after the training window \(2017-12\)"):
        data.series()


def test_a_missing_data_folder_says_how_to_find_it(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SANDBOX_DATA_DIR", str(tmp_path))
    with pytest.raises(data.DataError, match="set SANDBOX_DATA_DIR"):
        data.series()


# --- the series ------------------------------------------------------------------------------


def test_every_series_row_is_loaded_with_its_definitions() -> None:
    table = data.series()
    assert len(table) == 423
    assert {
        "series",
        "vintage",
        "period",
        "start",
        "end",
        "month",
        "value",
        "unit",
        "source",
        "status",
        "quote",
    } <= set(table.columns)
    assert table["source"].ne("").all() and table["unit"].ne("").all() and table["quote"].ne("").all()
    assert set(table["vintage"]) <= set(data.VINTAGES)
    assert (table["end"].dropna() <= pd.Timestamp("2017-12-31")).all()


def test_vintages_are_kept_apart_never_spliced() -> None:
    end_2015 = data.series(OPERATING).query("month == '2015-12'")
    assert sorted(set(end_2015["value"])) == [2595, 3433]
    assert dict(zip(end_2015["value"], end_2015["vintage"], strict=False)) == {
        2595: "original basis",
        3433: "revised basis",
    }
    assert data.vintages(OPERATING) == ["2020 revised", "as reported", "original basis", "revised basis"]
    assert data.series(OPERATING, "revised basis")["value"].tolist() == [150, 3433, 2240]
    # Two sources of the same figure stay two rows.
    assert len(data.series(OPERATING, "as reported").query("month == '2017-12'")) == 2
    # The backfilled list and the real-time report disagree for 2016-05 (README, note 3).
    may = data.series("WDZJ new problem platforms (month)").query("month == '2016-05'")
    assert dict(zip(may["vintage"], may["value"], strict=True)) == {"as reported": 30, "mid-2017 list": 49}


def test_balance_restated_to_principal_only_is_a_separate_vintage() -> None:
    balance = data.series("WDZJ outstanding loan balance").query("month == '2016-12' or month == '2017-12'")
    revised = balance[balance["vintage"] == "revised basis"]["value"].tolist()
    assert revised == [679_511_000_000, 1_041_768_000_000]
    assert 1_224_587_000_000 in balance[balance["vintage"] == "as reported"]["value"].tolist()


@pytest.mark.parametrize(
    ("text", "kind", "start", "end", "month"),
    [
        ("2015", "year", "2015-01-01", "2015-12-31", None),
        ("2016-H1", "half", "2016-01-01", "2016-06-30", None),
        ("2017-H2", "half", "2017-07-01", "2017-12-31", None),
        ("2016-02", "month", "2016-02-01", "2016-02-29", "2016-02"),
        ("2017-09-17", "day", "2017-09-17", "2017-09-17", "2017-09"),
        ("2015-01..07", "months", "2015-01-01", "2015-07-31", None),
        ("(case) 铜都贷", "case", None, None, None),
    ],
)
def test_date_forms(text: str, kind: str, start: str | None, end: str | None, month: str | None) -> None:
    period = parse_period(text)
    assert (period.kind, period.start, period.end, period.month) == (kind, start, end, month)


def test_value_forms_keep_their_bounds() -> None:
    assert parse_value("2595") == (2595.0, 2595.0, 2595.0)
    value, low, high = parse_value(">3600")
    assert (low, pd.isna(value), pd.isna(high)) == (3600.0, True, True)
    assert parse_value("1819e8-1885e8")[1:] == (1819e8, 1885e8)
    assert all(pd.isna(v) for v in parse_value("~700e8 / ~100e8+"))
    ranged = data.series("Online lending operating institutions (range, paper)").iloc[0]
    assert (ranged["low"], ranged["high"], ranged["value_text"]) == (1800, 2200, "1800-2200")


def test_the_catalogue_lists_every_series() -> None:
    catalogue = data.describe().set_index("series")
    assert catalogue["figures"].sum() == 423
    row = catalogue.loc[OPERATING]
    assert (row["unit"], row["figures"], row["first"], row["last"]) == ("platforms", 29, "2012-12", "2017-12")
    assert row["vintages"] == "2020 revised, as reported, original basis, revised basis"
    assert row["sources"] == 18


def test_unknown_names_are_one_line_errors_listing_the_allowed() -> None:
    with pytest.raises(data.DataError) as bad_series:
        data.series("WDZJ operating platform")
    message = str(bad_series.value)
    assert "\n" not in message
    assert message.startswith("unknown series 'WDZJ operating platform' (did you mean 'WDZJ operating platforms")
    assert "allowed: " in message and repr(OPERATING) in message
    with pytest.raises(data.DataError) as bad_vintage:
        data.series(OPERATING, vintage="2021")
    assert str(bad_vintage.value) == (
        "unknown vintage '2021' for series 'WDZJ operating platforms (month-end)'; "
        "allowed: '2020 revised', 'as reported', 'original basis', 'revised basis'"
    )
    assert len(data.series(OPERATING.upper())) == 29  # case is forgiven when unambiguous


# --- the problem-platform list ---------------------------------------------------------------


def test_problem_platforms_parsed_with_capital_in_yuan() -> None:
    plats = data.problem_platforms()
    assert len(plats) == 3794
    raw = {r["platId"]: r for r in _rows(PLATFORMS_CSV)}
    first = plats.iloc[1]  # 鼎力贷: 10 (10,000 yuan) in the file
    assert raw[str(first["platform_id"])]["regCapital"] == "10"
    assert first["capital_yuan"] == 100_000.0
    assert plats["capital_yuan"].isna().sum() == sum(r["regCapital"] == "0" for r in raw.values())
    assert plats["event_class"].value_counts().to_dict() == {"closed": 1870 + 56, "problem": 1139 + 707 + 22}
    assert set(plats["cause"]) == {"absconded", "withdrawal_stop", "police", "closed", "converted"}
    assert plats["province_en"].notna().all()
    assert plats["event_date"].max() < pd.Timestamp("2017-07-01")


# The README's table: shares (percent, rounded) of absconded, withdrawal stop, police, closed, converted; events.
README_SHARES = {
    2014: ([44, 43, 1, 12, 0], 277),
    2015: ([46, 23, 1, 29, 0], 1205),
    2016: ([23, 10, 0, 66, 2], 1841),
}


@pytest.mark.parametrize("year", sorted(README_SHARES))
def test_cause_shares_reproduce_the_readme(year: int) -> None:
    shares, events = README_SHARES[year]
    table = data.cause_shares(year)
    assert table.index.tolist() == ["absconded", "withdrawal_stop", "police", "closed", "converted"]
    assert table["events"].sum() == events
    assert (table["share"] * 100).round().astype(int).tolist() == shares


def test_cause_shares_match_the_sourced_2017_h1_shares() -> None:
    sourced = data.series().query("period == '2017-H1' and series.str.startswith('Cause share: ')")
    assert len(sourced) == 5
    shares = data.cause_shares(2017)
    assert shares["events"].sum() == 381
    for cause, keyword in [
        ("absconded", "跑路"),
        ("withdrawal_stop", "提现困难"),
        ("closed", "停业"),
        ("converted", "转型"),
    ]:
        quoted = sourced[sourced["series"].str.contains(keyword)]["value"].item()
        assert shares.loc[cause, "share"] * 100 == pytest.approx(quoted, abs=0.01)


def test_monthly_events_are_complete_and_match_the_listed_series() -> None:
    events = data.monthly_events()
    assert events["month"].tolist() == pd.period_range("2014-01", "2017-06", freq="M").strftime("%Y-%m").tolist()
    assert events[["problem", "closed"]].sum().sum() == 277 + 1205 + 1841 + 381
    listed = data.series("WDZJ new problem platforms (month)", "mid-2017 list").set_index("month")["value"]
    joined = events.set_index("month")["problem"].to_frame().join(listed, how="inner")
    assert len(joined) == 42 and (joined["problem"] == joined["value"]).all()
    assert data.monthly_events("2016-05", "2016-05")[["problem", "closed"]].iloc[0].tolist() == [49, 139]


def test_counts_outside_the_complete_window_are_refused() -> None:
    with pytest.raises(data.DataError, match=r"complete only within 2014-01\.\.2017-06"):
        data.monthly_events("2014-01", "2017-12")
    with pytest.raises(data.DataError, match="must be a month YYYY-MM"):
        data.monthly_events("2014")
    with pytest.raises(data.DataError, match="not 2018"):
        data.cause_shares(2018)
