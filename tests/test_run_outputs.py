"""What `sandbox run` writes: one run per folder, written whole or not at all, checked
before simulating; strict JSON; CSV cells that cannot run as spreadsheet formulas;
broken accounts as one line."""

from __future__ import annotations

import csv
import json
import math
import os
from pathlib import Path

import numpy as np
import pytest
from conftest import small_market
from typer.testing import CliRunner

import sandbox
from sandbox.cli import app
from sandbox.market.accounting import Ledger
from sandbox.market.results import OutputFolder, OutputFolderError

runner = CliRunner()

SMALL = """\
name: {name}
description: {description}
start: 2016-01
months: 4
market:
  platforms: {{initial: 6, entry_per_month: 0, capital_median: 1000000, capital_sigma: 0.0}}
  investors: {{count: 1500, active_at_start: 1.0, wealth_median: 20000}}
  borrowers: {{count: 1000, active_at_start: 1.0}}
environment: {{macro: {{amplitude: 0.0}}}}
"""


def small_file(tmp_path: Path, name: str = "small", description: str = "a small market") -> Path:
    path = tmp_path / "scenario.yaml"
    path.write_text(SMALL.format(name=json.dumps(name), description=json.dumps(description)))
    return path


def run_cli(*args: str):
    return runner.invoke(app, ["run", *args, "--seed", "1", "--no-progress"])


def strict_json(path: Path):
    """Parse ``path`` refusing NaN and Infinity, as strict JSON readers do."""

    def refuse(token: str):
        raise ValueError(f"{path}: non-standard JSON token {token}")

    return json.loads(path.read_text(), parse_constant=refuse)


def leftovers(folder: Path) -> list[str]:
    """Staging siblings a run left next to ``folder``."""
    return sorted(p.name for p in folder.parent.iterdir() if p.name.startswith(f".{folder.name}."))


# ---------------------------------------------------------------- one run per folder
def test_a_reused_out_folder_is_refused_and_overwrite_replaces_it_wholly(tmp_path):
    spec, out = small_file(tmp_path), tmp_path / "out"
    first = run_cli(str(spec), "--out", str(out))
    assert first.exit_code == 0, first.output
    assert (out / "counterfactuals.csv").is_file()
    before = (out / "summary.json").read_text()

    refused = run_cli(str(spec), "--out", str(out), "--no-counterfactuals", "--months", "3")
    assert refused.exit_code == 2
    assert "is not empty" in refused.output and "--overwrite" in refused.output
    assert (out / "summary.json").read_text() == before  # the earlier run is untouched

    (out / "notes.txt").write_text("a file of the user's, inside the old run")
    replaced = run_cli(str(spec), "--out", str(out), "--no-counterfactuals", "--months", "3", "--overwrite")
    assert replaced.exit_code == 0, replaced.output
    assert not (out / "counterfactuals.csv").exists() and not (out / "notes.txt").exists()
    assert strict_json(out / "summary.json")["months"] == 3
    assert leftovers(out) == []


def test_save_refuses_a_non_empty_folder_unless_overwrite(tmp_path):
    result = sandbox.run(small_market(), seed=1, months=2, counterfactuals=False)
    out = tmp_path / "run"
    result.save(out)
    with pytest.raises(OutputFolderError, match="is not empty"):
        result.save(out)
    result.save(out, overwrite=True)
    assert sorted(p.name for p in out.iterdir()) == [
        "failures.csv",
        "investors.parquet",
        "monthly.csv",
        "platforms.csv",
        "scenario.json",
        "summary.json",
    ]


def _must_not_simulate(*args, **kwargs):
    raise AssertionError("simulated before checking the output folder")


def test_an_out_folder_under_a_file_fails_before_simulating(tmp_path, monkeypatch):
    monkeypatch.setattr("sandbox.api.run", _must_not_simulate)
    blocker = tmp_path / "somefile"
    blocker.write_text("not a folder")
    proc = run_cli(str(small_file(tmp_path)), "--out", str(blocker / "out"))
    assert proc.exit_code == 2
    assert f"--out {blocker / 'out'}: cannot write there: {blocker} is a file" in proc.output
    proc = run_cli(str(small_file(tmp_path)), "--out", str(blocker))
    assert proc.exit_code == 2 and "exists and is not a folder" in proc.output


def test_an_unwritable_parent_fails_before_simulating(tmp_path, monkeypatch):
    monkeypatch.setattr("sandbox.api.run", _must_not_simulate)
    parent = tmp_path / "locked"
    parent.mkdir()
    parent.chmod(0o500)
    try:
        if os.access(parent, os.W_OK):
            pytest.skip("this user can write into a read-only folder (root)")
        proc = run_cli(str(small_file(tmp_path)), "--out", str(parent / "out"))
        assert proc.exit_code == 2 and "cannot write there: Permission denied" in proc.output
    finally:
        parent.chmod(0o700)


def test_a_failed_run_leaves_no_staging_folder(tmp_path, monkeypatch):
    def broken(*args, **kwargs):
        raise RuntimeError("boom")

    monkeypatch.setattr("sandbox.api.run", broken)
    out = tmp_path / "out"
    proc = run_cli(str(small_file(tmp_path)), "--out", str(out))
    assert isinstance(proc.exception, RuntimeError)
    assert not out.exists() and leftovers(out) == []


def test_reserve_keeps_the_current_folder(tmp_path, monkeypatch):
    (tmp_path / "keep.txt").write_text("x")
    monkeypatch.chdir(tmp_path)
    with pytest.raises(OutputFolderError, match="holds the current or home folder"):
        OutputFolder.reserve(".", overwrite=True)
    assert (tmp_path / "keep.txt").exists()


def test_overwrite_replaces_only_an_earlier_runs_folder(tmp_path, monkeypatch):
    # A mistyped --out (the scenarios folder, a project) must not be deleted by --overwrite.
    monkeypatch.setattr("sandbox.api.run", _must_not_simulate)
    spec = small_file(tmp_path)
    proc = run_cli(str(spec), "--out", str(tmp_path), "--overwrite")
    assert proc.exit_code == 2 and proc.output.count("\n") == 1
    assert "holds no earlier run (no summary.json); refusing to replace" in proc.output
    assert spec.is_file() and leftovers(tmp_path) == []


# ---------------------------------------------------------------- broken accounts on the command line
def _nan_from_month_2(monkeypatch):
    """Make the money identity NaN from the third month on (as a NaN flow would)."""
    errors = Ledger.errors

    def with_nan(self, model):
        found = errors(self, model)
        if model.month >= 2:
            found["money"] = math.nan
        return found

    monkeypatch.setattr(Ledger, "errors", with_nan)


def test_broken_accounts_stop_the_cli_run_with_one_line(tmp_path, monkeypatch):
    _nan_from_month_2(monkeypatch)
    out = tmp_path / "out"
    proc = run_cli(str(small_file(tmp_path)), "--out", str(out), "--no-counterfactuals")
    assert proc.exit_code == 2
    lines = [line for line in proc.output.splitlines() if line.strip()]
    assert lines == [
        "error: small: accounts do not add up in 2016-03: the money identity is NaN (a stock or "
        "flow is not a number); --accounting warn runs on regardless"
    ]
    assert not out.exists() and leftovers(out) == []


def test_accounting_warn_runs_on_with_one_warning_and_writes_strict_json(tmp_path, monkeypatch):
    _nan_from_month_2(monkeypatch)
    out = tmp_path / "out"
    proc = run_cli(str(small_file(tmp_path)), "--out", str(out), "--no-counterfactuals", "--accounting", "warn")
    assert proc.exit_code == 0, proc.output
    assert [line for line in proc.output.splitlines() if line.startswith("warning:")] == [
        "warning: small: accounts do not add up in 2016-03: the money identity is NaN (a stock or flow is not a number)"
    ]
    summary = strict_json(out / "summary.json")  # NaN written as null, not as a NaN token
    assert summary["accounting_max_abs_error"] is None and summary["months"] == 4
    strict_json(out / "scenario.json")


def test_an_unknown_accounting_mode_is_one_line(tmp_path):
    proc = run_cli(str(small_file(tmp_path)), "--accounting", "ignore", "--out", str(tmp_path / "o"))
    assert proc.exit_code == 2 and "--accounting: found 'ignore'; allowed: error, warn" in proc.output


# ---------------------------------------------------------------- strict JSON, spreadsheet-safe CSV
def test_summary_and_scenario_json_are_strict_with_non_finite_and_numpy_values(tmp_path):
    result = sandbox.run(small_market(), seed=1, months=2)
    result.summary.update(odd_nan=float("nan"), odd_inf=np.float64(np.inf), odd_int=np.int64(7))
    result.scenario = {**result.scenario, "odd": -math.inf}
    out = result.save(tmp_path / "run")
    summary = strict_json(out / "summary.json")
    assert summary["odd_nan"] is None and summary["odd_inf"] is None and summary["odd_int"] == 7
    assert strict_json(out / "scenario.json")["odd"] is None


FORMULA_NAME = '=HYPERLINK("http://example.com/x","click")'


def _cells(path: Path) -> list[str]:
    with path.open(newline="") as handle:
        return [cell for row in csv.reader(handle) for cell in row]


def test_user_text_in_csv_cells_cannot_run_as_a_formula(tmp_path):
    """A scenario named like a formula: wherever its name or other user text reaches a
    CSV cell it is prefixed with ', while numbers (negative ones too) stay numbers."""
    result = sandbox.run(
        sandbox.load_scenario(small_file(tmp_path, FORMULA_NAME, "@SUM(A1)")), seed=1, counterfactuals=True
    )
    assert result.summary["scenario"] == FORMULA_NAME
    # User text in the tables: the scenario's name and description, as a table that labels runs would carry.
    result.monthly["scenario"] = result.summary["scenario"]
    result.counterfactuals["note"] = ["+1 " + FORMULA_NAME, "-cmd", "@x", "plain"]
    result.platforms["capital"] = -result.platforms["capital"]
    out = result.save(tmp_path / "run")
    monthly = _cells(out / "monthly.csv")
    assert monthly.count("'" + FORMULA_NAME) == 4 and FORMULA_NAME not in monthly
    assert {"'+1 " + FORMULA_NAME, "'-cmd", "'@x", "plain"} <= set(_cells(out / "counterfactuals.csv"))
    for name in ("monthly.csv", "platforms.csv", "failures.csv", "counterfactuals.csv"):
        for cell in _cells(out / name):
            assert not cell.startswith(("=", "+", "@")), (name, cell)
            if cell.startswith("-"):
                float(cell)  # a negative number, left as a number
    assert strict_json(out / "summary.json")["scenario"] == FORMULA_NAME  # JSON keeps the text as given
