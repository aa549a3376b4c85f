"""The command line: runs write their outputs; bad input gives one line and a non-zero exit."""

from __future__ import annotations

import json
import subprocess
import sys

import pandas as pd
import pytest
from conftest import ROOT
from typer.testing import CliRunner

from sandbox.cli import app

runner = CliRunner()


def sandbox_cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "sandbox", *args], capture_output=True, text=True, cwd=ROOT)


def test_run_writes_all_outputs(tmp_path):
    out = tmp_path / "run"
    result = runner.invoke(
        app, ["run", str(ROOT / "scenarios/baseline.yaml"), "--seed", "4", "--months", "12", "--out", str(out)]
    )
    assert result.exit_code == 0, result.output
    summary = json.loads((out / "summary.json").read_text())
    assert summary["seed"] == 4 and summary["months"] == 12
    monthly = pd.read_csv(out / "monthly.csv")
    assert len(monthly) == 12
    platforms = pd.read_csv(out / "platforms.csv")
    assert {"kind", "entry_month", "failure_month", "failure_cause", "peak_claims", "investor_loss"} <= set(
        platforms.columns
    )
    investors = pd.read_parquet(out / "investors.parquet")
    # Per real investor: each row stands for `represents` of them.
    assert (investors["lost"] * investors["represents"]).sum() == pytest.approx(summary["investor_loss_total"])
    assert (out / "failures.csv").exists()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["run", "no/such/file.yaml"], "scenario file not found"),
        (["run", "scenarios", "--months", "5"], "scenarios"),
        (["run", "scenarios/baseline.yaml", "--months", "0"], "--months"),
        (["run", "scenarios/baseline.yaml", "--seed", "-3"], "--seed"),
    ],
)
def test_bad_input_gives_one_line_and_no_traceback(args, message):
    proc = sandbox_cli(*args)
    assert proc.returncode != 0
    assert "Traceback" not in proc.stderr
    assert message in proc.stderr
    assert len([line for line in proc.stderr.splitlines() if line.strip()]) <= 3


def test_nonsense_values_are_reported_with_file_line_and_field(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text(
        "name: bad\n"
        "months: -4\n"
        "market:\n"
        "  investrs:\n"
        "    count: 10\n"
        "regime:\n"
        "  - rate_cap: {from: 2014-01, apr: -0.1}\n"
    )
    proc = sandbox_cli("run", str(bad))
    assert proc.returncode == 2
    assert "Traceback" not in proc.stderr
    assert f"{bad}:2: months: found -4" in proc.stderr
    assert "did you mean 'investors'" in proc.stderr
    assert "regime[0].rate_cap.apr" in proc.stderr


def test_validate_checks_every_file_and_rules_lists_every_rule():
    ok = runner.invoke(app, ["validate", *[str(p) for p in sorted((ROOT / "scenarios").glob("*.yaml"))]])
    assert ok.exit_code == 0, ok.output
    listing = runner.invoke(app, ["rules"])
    assert listing.exit_code == 0
    from sandbox.rules import registry

    for name in registry.names():
        assert f"## `{name}`" in listing.output


def test_help_is_fast_to_import():
    """`sandbox --help` must not import the model, pandas or matplotlib."""
    code = "import sys, sandbox.cli; print(sorted(m for m in ('pandas', 'matplotlib', 'mesa') if m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


def test_a_malformed_option_is_one_error_line():
    proc = sandbox_cli("run", "scenarios/baseline.yaml", "--seed", "abc")
    assert proc.returncode == 2
    errors = [line for line in proc.stderr.splitlines() if line.startswith("Error")]
    assert len(errors) == 1 and "--seed" in errors[0]


def test_docs_rules_md_is_the_text_of_sandbox_rules():
    """docs/rules.md is generated from the code; regenerate it with `sandbox rules > docs/rules.md`."""
    from sandbox.reporting.docs import rules_markdown

    assert (ROOT / "docs/rules.md").read_text() == rules_markdown()
    listing = runner.invoke(app, ["rules"])
    assert listing.output == rules_markdown()
