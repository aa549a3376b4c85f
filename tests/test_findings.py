"""Findings in plain language, from hand-built tables: direction, size in units, uncertainty, what is not detectable."""

from __future__ import annotations

import pandas as pd
import pytest

from sandbox.reporting.findings import amount, change, findings, replicate_findings, run_findings

M = "\u2212"  # the minus sign the sentences use


def comparison(rows: list[dict], names: tuple[str, str] = ("baseline", "rate_cap_24")) -> pd.DataFrame:
    ref, other = names
    return pd.DataFrame(
        [
            {
                "metric": r["metric"],
                f"mean_{ref}": r["ref"],
                f"mean_{other}": r["ref"] + r["d"],
                "versus": other,
                "difference": r["d"],
                "ci_low": r["lo"],
                "ci_high": r["hi"],
                "n": 20,
            }
            for r in rows
        ]
    )


TABLE = comparison(
    [
        {"metric": "platform_failures", "ref": 165.0, "d": -7.6, "lo": -12.5, "hi": -2.6},
        {"metric": "investor_loss_total", "ref": 3.1e7, "d": 8.2e5, "lo": -1.5e6, "hi": 3.1e6},
        {"metric": "credit_supplied_total", "ref": 9.4e9, "d": -1.5e9, "lo": -1.7e9, "hi": -1.3e9},
        {"metric": "investors_losing_over_50pct", "ref": 0.10, "d": 0.012, "lo": 0.003, "hi": 0.021},
        {"metric": "contagion_share", "ref": 0.30, "d": -0.05, "lo": -0.08, "hi": -0.02},
        {"metric": "credit_excluded_total", "ref": 1.6e8, "d": 0.0, "lo": 0.0, "hi": 0.0},
    ]
)


def test_comparison_sentences_name_direction_size_units_and_uncertainty() -> None:
    sentences = findings(TABLE)
    assert 3 <= len(sentences) <= 6
    first = sentences[0]
    assert first.startswith("Under rate_cap_24, compared with baseline on the same 20 seeds, ")
    # A decrease: direction, size in platforms, change in percent of the reference, interval.
    assert f"platform failures fall by 7.6 platforms ({M}4.6%; 95% interval {M}12.5 to {M}2.6 platforms)" in first
    # An interval containing 0: not detectable, with the estimate and its interval in yuan (K/M).
    assert f"investor losses do not change detectably (+820K yuan; 95% interval {M}1.5M to +3.1M yuan)" in first
    # Billions of yuan.
    assert (
        f"credit supplied falls by 1.5 billion yuan ({M}16%; 95% interval {M}1.7 billion to {M}1.3 billion yuan)"
        in first
    )
    text = " ".join(sentences)
    # A change of a share is in percentage points, never in %.
    assert "share of investors losing over half of their money rises by 1.2 pp (95% interval +0.3 to +2.1 pp)" in text
    assert f"share of failures caused by contagion falls by 5 pp (95% interval {M}8 to {M}2 pp)" in text
    assert "credit excluded by the rules does not change in any run" in text
    assert all(s.endswith(".") and s[0].isupper() for s in sentences)


def test_an_increase_and_an_undefined_interval() -> None:
    table = comparison(
        [
            {"metric": "platform_failures", "ref": 10.0, "d": 4.0, "lo": 1.0, "hi": 7.0},
            {"metric": "investor_loss_total", "ref": 2e6, "d": 5e5, "lo": float("nan"), "hi": float("nan")},
        ],
        names=("base-line", "rate cap 24"),
    )
    first = findings(table)[0]
    assert first.startswith("Under rate cap 24, compared with base-line")
    assert "platform failures rise by 4 platforms (+40%; 95% interval +1 to +7 platforms)" in first
    assert "investor losses rise by 500K yuan (+25%; no interval: fewer than two runs)" in first


def test_several_proposals_one_sentence_each() -> None:
    a, b = (
        comparison(
            [{"metric": "platform_failures", "ref": 10.0, "d": d, "lo": d - 1, "hi": d + 1}], names=("ref", name)
        )
        for name, d in (("one", -3.0), ("two", 0.5))
    )
    table = pd.concat([a, b.rename(columns={"mean_two": "mean_two"})], ignore_index=True)
    table["mean_two"] = table["mean_two"].fillna(10.5)
    table["mean_one"] = table["mean_one"].fillna(7.0)
    sentences = findings(
        table[["metric", "mean_ref", "mean_one", "mean_two", "versus", "difference", "ci_low", "ci_high", "n"]]
    )
    assert sentences[0].startswith("Under one, ") and "fall by 3 platforms" in sentences[0]
    assert sentences[1].startswith("Under two, ") and "do not change detectably" in sentences[1]
    assert 3 <= len(sentences) <= 6


@pytest.mark.parametrize(
    ("value", "unit", "text"),
    [
        (1.52e9, "yuan", "1.5 billion yuan"),
        (15.2e9, "yuan", "15.2 billion yuan"),
        (2.936e12, "yuan", "2.9 trillion yuan"),  # China's market in real units
        (999.9e9, "yuan", "1 trillion yuan"),
        (999_999.0, "yuan", "1M yuan"),
        (820_000.0, "yuan", "820K yuan"),
        (640.0, "yuan", "640 yuan"),
        (1.0, "platforms", "1 platform"),
        (12.5, "platforms", "12.5 platforms"),
        (0.123, "share", "12.3%"),
    ],
)
def test_amounts_in_units(value: float, unit: str, text: str) -> None:
    assert amount(value, unit) == text


def test_share_changes_are_in_percentage_points() -> None:
    assert change(0.012, "share") == "+1.2 pp"
    assert change(-0.05, "share") == f"{M}5 pp"
    assert change(-2.0e6, "yuan") == f"{M}2M yuan"


def test_run_and_replicate_sentences() -> None:
    summary = {
        "scenario": "rate cap 24",
        "seed": 7,
        "platform_failures": 14,
        "investor_loss_total": 4.3e6,
        "credit_supplied_total": 3.42e8,
        "investors_with_loss_share": 0.024,
        "investors_losing_over_50pct": 0.016,
        "contagion_share": 0.143,
        "largest_cascade": 2,
    }
    sentences = run_findings(summary)
    assert 3 <= len(sentences) <= 6
    assert sentences[0] == (
        "In this run of rate cap 24 (seed 7), 14 platforms failed; investors lost 4.3M yuan; "
        "platforms supplied 342M yuan of credit."
    )
    assert "2.4% of investors lost money" in sentences[1]
    described = pd.DataFrame(
        [
            {"metric": "platform_failures", "mean": 12.0, "sd": 2.0, "ci_low": 11.0, "ci_high": 13.5, "n": 10},
            {"metric": "investor_loss_total", "mean": 2.5e9, "sd": 1e8, "ci_low": 2.4e9, "ci_high": 2.6e9, "n": 10},
        ]
    )
    sentences = replicate_findings(described, "baseline")
    assert 3 <= len(sentences) <= 6
    assert sentences[1] == (
        "One run typically differs from another by 2 platforms in platform failures and 100M "
        "yuan in investor losses (standard deviation across runs)."
    )
    assert sentences[0] == (
        "Over 10 runs of baseline that differ only in their seed, platform failures average "
        "12 platforms (95% interval 11 to 13.5 platforms); investor losses average 2.5 billion "
        "yuan (95% interval 2.4 billion to 2.6 billion yuan)."
    )


def test_one_pair_of_runs_is_never_read_as_no_change_by_zero() -> None:
    """With one pair there is no interval: say what the pair shows, never "do not change by 0 platforms"."""
    one = comparison(
        [
            {"metric": "platform_failures", "ref": 50.0, "d": 0.0, "lo": float("nan"), "hi": float("nan")},
            {"metric": "investor_loss_total", "ref": 3.1e7, "d": -2e6, "lo": float("nan"), "hi": float("nan")},
        ]
    ).assign(n=1)
    first = findings(one)[0]
    assert "on the same seed," in first and "1 seeds" not in first
    assert "platform failures do not change (no interval: fewer than two runs)" in first
    assert f"investor losses fall by 2M yuan ({M}6.5%; no interval: fewer than two runs)" in first
    assert "by 0" not in first


def test_level_intervals_do_not_reach_below_zero() -> None:
    """A t-interval over few runs can reach below 0; a loss share or a count cannot."""
    described = pd.DataFrame(
        [
            {"metric": "investor_loss_share", "mean": 0.073, "sd": 0.033, "ci_low": -0.008, "ci_high": 0.154, "n": 3},
            {"metric": "platform_failures", "mean": 2.0, "sd": 2.0, "ci_low": -1.5, "ci_high": 5.5, "n": 3},
        ]
    )
    text = " ".join(replicate_findings(described, "baseline"))
    assert "platform failures average 2 platforms (95% interval 0 to 5.5 platforms)" in text
    assert "average 7.3% (95% interval 0% to 15.4%)" in text
    assert M not in text


def test_sweep_sentences_do_not_tie_the_span_to_the_lowest_parameter_values() -> None:
    from sandbox.reporting.findings import sweep_findings

    headline = pd.DataFrame([{"metric": "platform_failures", "mean": 52.3, "point_min": 46.0, "point_max": 58.0}])
    first = sweep_findings(headline, 3, ["regime.rate_cap.apr"])[0]
    assert "(the design points average from 46 to 58 platforms)" in first
    assert "lowest design point" not in first
