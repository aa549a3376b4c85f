"""The experiment store: kills at any moment, leftovers, checksums, damaged manifests, extension, worker death."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
import typer
from typer.testing import CliRunner

import sandbox
from sandbox import experiments as ex
from sandbox.cli.experiments import register as register_experiments
from sandbox.cli.report import register as register_report
from sandbox.experiments import execution
from sandbox.experiments import store as st

ROOT = Path(__file__).resolve().parents[1]
BASELINE = ROOT / "scenarios" / "baseline.yaml"
TINY = {
    "market.resolution": 1.0,
    "market.platforms.entry_per_month": 1,
    "market.investors.count": 800,
    "market.borrowers.count": 400,
    "market.platforms.initial": 15,
}
MONTHS = 6
DEAD_PID = 99_999_999  # above any pid_max: no such process


@pytest.fixture(scope="module")
def tiny() -> sandbox.Scenario:
    return sandbox.load_scenario(BASELINE).with_updates({**TINY, "name": "tiny"})


@pytest.fixture(scope="module")
def clean(tiny: sandbox.Scenario) -> ex.ReplicateResult:
    """Four runs without a store: what every resumed or extended store must give."""
    return rep(tiny, runs=4, out=None)


def rep(scenario: sandbox.Scenario, **kwargs: Any) -> ex.ReplicateResult:
    kwargs = {"runs": 2, "seed": 3, "months": MONTHS, "workers": 1, "progress": False, **kwargs}
    return ex.replicate(scenario, **kwargs)


def assert_same(a: ex.ReplicateResult, b: ex.ReplicateResult, runs: int | None = None) -> None:
    a_runs, a_monthly = a.runs, a.monthly
    if runs is not None:
        a_runs = a_runs[a_runs["run"] < runs].reset_index(drop=True)
        a_monthly = a_monthly[a_monthly["run"] < runs].reset_index(drop=True)
    pd.testing.assert_frame_equal(a_runs, b.runs, check_exact=True)
    pd.testing.assert_frame_equal(a_monthly, b.monthly, check_exact=True)


def simulated_seeds(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """The seeds of the runs simulated from now on (in this process)."""
    seen: list[int] = []
    real = execution._simulate

    def simulate(scenario: sandbox.Scenario, seed: int, months: int | None, **kw: Any) -> Any:
        seen.append(seed)
        return real(scenario, seed, months, **kw)

    monkeypatch.setattr(execution, "_simulate", simulate)
    return seen


def temporary_files(out: Path) -> list[Path]:
    return [p for p in out.rglob("*") if p.name.endswith(".tmp")]


def one_line_error(result: Any, *needles: str) -> str:
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert result.exit_code == 2 and len(lines) == 1 and lines[0].startswith("error:"), result.stderr
    assert "Traceback" not in result.output
    for needle in needles:
        assert needle in lines[0], lines[0]
    return lines[0]


@pytest.fixture
def app() -> typer.Typer:
    app = typer.Typer(add_completion=False, pretty_exceptions_enable=False)
    register_experiments(app)
    register_report(app)
    return app


# --- kills -------------------------------------------------------------------------------------


class Killed(BaseException):
    """Stands for SIGKILL: nothing after it runs (except ``finally`` blocks, see ``kill_at``)."""


def kill_at(monkeypatch: pytest.MonkeyPatch, n: int) -> None:
    """'Kill' the process at its n-th ``os.replace``, leaving the temporary file as a real kill would."""
    real = os.replace
    calls = [0]

    def replace(src: Any, dst: Any) -> None:
        calls[0] += 1
        if calls[0] == n:
            # The finally blocks will remove src; a kill would not: keep a copy under a dead writer's pid.
            src = Path(src)
            shutil.copyfile(src, src.with_name(src.name.replace(f".{os.getpid()}.tmp", f".{DEAD_PID}.tmp")))
            raise Killed
        real(src, dst)

    monkeypatch.setattr(os, "replace", replace)


def test_a_kill_at_any_moment_resumes_to_the_clean_result(
    tiny: sandbox.Scenario, clean: ex.ReplicateResult, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Two runs, serially: the first manifest, then per run the manifest, the monthly and the summary
    # file, then the closing manifest: 8 moves into place. A kill before each of them.
    for n in range(1, 9):
        out = tmp_path / f"kill{n}"
        with monkeypatch.context() as m:
            kill_at(m, n)
            with pytest.raises(Killed):
                rep(tiny, out=out)
        assert temporary_files(out), n  # the kill left a temporary file
        resumed = rep(tiny, out=out)
        assert_same(clean, resumed, runs=2)
        assert not temporary_files(out), n
        assert st.verified_manifest(out)["finished"]
    # A kill after the last move: nothing to redo.
    with monkeypatch.context() as m:
        seen = simulated_seeds(m)
        rep(tiny, out=tmp_path / "kill8")
    assert seen == []


def test_folders_a_kill_leaves_without_a_manifest_are_new_stores(
    tiny: sandbox.Scenario, clean: ex.ReplicateResult, tmp_path: Path
) -> None:
    states = {
        "runs and failed": {"runs/": None, "failed/": None},
        "half a manifest": {f".manifest.json.{DEAD_PID}.tmp": '{"kind": "replic'},
        "both": {
            "runs/": None,
            "failed/": None,
            f".manifest.json.{DEAD_PID}.tmp": "",
            f"runs/.r000000.monthly.parquet.{DEAD_PID}.tmp": "PAR1",
        },
    }
    for name, files in states.items():
        out = tmp_path / name
        out.mkdir()
        for relative, text in files.items():
            if text is None:
                (out / relative).mkdir()
            else:
                (out / relative).write_text(text)
        assert_same(clean, rep(tiny, out=out), runs=2)
        assert not temporary_files(out), name


def test_leftovers_of_a_killed_session_are_removed_on_resume(tiny: sandbox.Scenario, tmp_path: Path) -> None:
    out = tmp_path / "exp"
    rep(tiny, out=out)
    leftovers = [
        out / f".manifest.json.{DEAD_PID}.tmp",
        out / "runs" / f".r000001.summary.parquet.{DEAD_PID}.tmp",
        out / "failed" / f".r000001.json.{DEAD_PID}.tmp",
    ]
    for path in leftovers:
        path.write_text("half")
    # A temporary file of a live writer (this test's own parent) is not touched.
    live = out / "runs" / f".r000001.monthly.parquet.{os.getppid()}.tmp"
    live.write_text("being written")
    rep(tiny, out=out)
    assert not any(p.exists() for p in leftovers)
    assert live.exists()


def test_a_folder_with_other_files_and_no_manifest_is_refused(tiny: sandbox.Scenario, tmp_path: Path) -> None:
    out = tmp_path / "exp"
    rep(tiny, out=out)
    (out / "manifest.json").unlink()
    with pytest.raises(st.StoreMismatch, match=r"not empty \(runs/r000000.monthly.parquet\)"):
        rep(tiny, out=out)


# --- checksums ---------------------------------------------------------------------------------


def test_every_run_file_has_its_checksum_in_the_manifest(tiny: sandbox.Scenario, tmp_path: Path) -> None:
    import hashlib

    out = tmp_path / "exp"
    rep(tiny, out=out)
    checksums = json.loads((out / "manifest.json").read_text())["checksums"]
    files = sorted((out / "runs").iterdir())
    assert sorted(checksums) == [p.name for p in files] and len(files) == 4
    for path in files:
        assert checksums[path.name] == hashlib.sha256(path.read_bytes()).hexdigest()


def edit(path: Path) -> None:
    """Change one number in a parquet file, as someone 'fixing' a result would."""
    frame = pd.read_parquet(path)
    column = frame.select_dtypes("number").columns[-1]
    frame.loc[0, column] = frame.loc[0, column] + 1
    frame.to_parquet(path, index=False)


@pytest.mark.parametrize(
    ("tamper", "named", "why"),
    [
        (lambda runs: edit(runs / "r000001.summary.parquet"), "r000001.summary.parquet", "differ"),
        (
            lambda runs: shutil.copyfile(runs / "r000000.monthly.parquet", runs / "r000001.monthly.parquet"),
            "r000001.monthly.parquet",
            "differ",
        ),
        (
            lambda runs: [
                shutil.copyfile(runs / f"r000000.{k}.parquet", runs / f"r000002.{k}.parquet")
                for k in ("monthly", "summary")
            ],
            "r000002.monthly.parquet",
            "not written",
        ),
        (lambda runs: (runs / "notes.txt").write_text("mine"), "notes.txt", "not written"),
    ],
    ids=["edited", "copied over", "copied in", "stray file"],
)
def test_an_edited_or_copied_in_run_file_is_refused_with_its_name(
    tiny: sandbox.Scenario, tmp_path: Path, app: typer.Typer, tamper: Any, named: str, why: str
) -> None:
    out = tmp_path / "exp"
    rep(tiny, out=out)
    tamper(out / "runs")
    for call in (lambda: rep(tiny, out=out), lambda: rep(tiny, runs=4, out=out), lambda: st.load_runs(out)):
        with pytest.raises(st.StoreCorrupt) as info:
            call()
        message = str(info.value)
        assert str(out / "runs" / named) in message and why in message and "\n" not in message
    # The report reads the store through the same check.
    result = CliRunner().invoke(app, ["report", str(out), "-o", str(tmp_path / "r.html")])
    one_line_error(result, named, why)
    assert not (tmp_path / "r.html").exists()


def test_a_removed_run_file_is_run_again(
    tiny: sandbox.Scenario, clean: ex.ReplicateResult, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    out = tmp_path / "exp"
    rep(tiny, out=out)
    (out / "runs" / "r000001.summary.parquet").unlink()
    with monkeypatch.context() as m:
        seen = simulated_seeds(m)
        resumed = rep(tiny, out=out)
    assert seen == [ex.child_seeds(3, 2)[1]]
    assert_same(clean, resumed, runs=2)


# --- damaged manifests -------------------------------------------------------------------------


def _set(path: str, value: Any) -> Any:
    def change(manifest: dict[str, Any]) -> str:
        *parents, last = path.split(".")
        node = manifest
        for key in parents:
            node = node[key]
        if value is KeyError:
            del node[last]
        else:
            node[last] = value
        return json.dumps(manifest)

    return change


DAMAGE = {
    "truncated": (lambda manifest: json.dumps(manifest)[:50], "not valid JSON (line 1"),
    "not text": (lambda _manifest: b"\xff\xfe\x00", "not UTF-8"),
    "a list": (lambda _manifest: "[1, 2]", "allowed: a JSON object"),
    "runs as text": (_set("design.runs", "two"), 'design.runs: found "two"'),
    "runs a bool": (_set("design.runs", True), "design.runs: found true"),
    "seeds missing": (_set("seeds", KeyError), "seeds: missing"),
    "checksums a list": (_set("checksums", []), "checksums: found []"),
    "a bad digest": (_set("checksums.r000000.summary.parquet", "abc"), "checksums"),
    "seeds short": (_set("seeds.children", [1]), "seeds.children: found 1 seeds"),
    "kind unknown": (_set("kind", "pilot"), 'kind: found "pilot"'),
}


@pytest.mark.parametrize("damage", list(DAMAGE))
def test_a_damaged_manifest_is_one_line_naming_the_file(
    tiny: sandbox.Scenario, tmp_path: Path, app: typer.Typer, damage: str
) -> None:
    out = tmp_path / "exp"
    rep(tiny, out=out)
    path = out / "manifest.json"
    manifest = json.loads(path.read_text())
    if damage == "a bad digest":  # a key with dots: set it directly
        manifest["checksums"]["r000000.summary.parquet"] = "abc"
        text: Any = json.dumps(manifest)
    else:
        text = DAMAGE[damage][0](manifest)
    (path.write_bytes if isinstance(text, bytes) else path.write_text)(text)
    expected = DAMAGE[damage][1]
    for call in (lambda: rep(tiny, out=out), lambda: rep(tiny, seed=None, out=out), lambda: st.load_runs(out)):
        with pytest.raises(st.StoreCorrupt) as info:
            call()
        message = str(info.value)
        assert message.startswith(f"{path}: ") and expected in message and "\n" not in message, message
    runner = CliRunner()
    result = runner.invoke(app, ["replicate", str(BASELINE), "--out", str(out), "--runs", "2", "--workers", "1"])
    one_line_error(result, str(path))
    result = runner.invoke(app, ["report", str(out), "-o", str(tmp_path / "r.html")])
    one_line_error(result, str(path), expected)


# --- extending ---------------------------------------------------------------------------------


def test_more_runs_extend_the_store_and_reuse_the_stored_ones(
    tiny: sandbox.Scenario, clean: ex.ReplicateResult, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    out = tmp_path / "exp"
    first = rep(tiny, runs=2, out=out)
    assert_same(clean, first, runs=2)
    stored = {p.name: p.read_bytes() for p in (out / "runs").iterdir()}
    with monkeypatch.context() as m:
        seen = simulated_seeds(m)
        extended = rep(tiny, runs=4, out=out)
    assert seen == ex.child_seeds(3, 4)[2:]  # only the new runs; the first two are reused
    assert_same(clean, extended)
    assert all((out / "runs" / name).read_bytes() == data for name, data in stored.items())
    manifest = st.verified_manifest(out)
    assert manifest["design"]["runs"] == 4 and manifest["seeds"]["children"] == ex.child_seeds(3, 4)
    assert [s.get("ran") for s in manifest["sessions"]] == [2, 2]
    # Fewer runs than stored: refused, in one line saying what is allowed.
    with pytest.raises(st.StoreMismatch, match=r"holds 4 runs \(design.runs\), asked for 3; allowed: 4 or more"):
        rep(tiny, runs=3, out=out)


def test_compare_and_sweep_extend_too(tiny: sandbox.Scenario, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    capped = tiny.with_updates({"regime.rate_cap.apr": 0.24, "name": "cap24"})
    common = {"seed": 3, "months": MONTHS, "workers": 1, "progress": False}
    ex.compare([tiny, capped], runs=1, out=tmp_path / "cmp", **common)
    with monkeypatch.context() as m:
        seen = simulated_seeds(m)
        extended = ex.compare([tiny, capped], runs=2, out=tmp_path / "cmp", **common)
    assert seen == [ex.child_seeds(3, 2)[1]] * 2
    pd.testing.assert_frame_equal(extended.runs, ex.compare([tiny, capped], runs=2, **common).runs)
    parameters = {"regime.rate_cap.apr": (0.2, 0.36)}
    ex.sweep(tiny, parameters, design="grid", points=2, runs=1, out=tmp_path / "sweep", **common)
    with monkeypatch.context() as m:
        seen = simulated_seeds(m)
        swept = ex.sweep(tiny, parameters, design="grid", points=2, runs=2, out=tmp_path / "sweep", **common)
    assert seen == [ex.child_seeds(3, 2)[1]] * 2 and len(swept.runs) == 4


def test_cli_extends_a_finished_folder(app: typer.Typer, tmp_path: Path) -> None:
    small = tmp_path / "tiny.yaml"
    small.write_text(
        f"extends: {BASELINE}\nname: tiny\nmarket:\n  investors: {{count: 800}}\n"
        "  borrowers: {count: 400}\n  platforms: {initial: 15}\n"
    )
    out = tmp_path / "rep"
    args = ["replicate", str(small), "--out", str(out), "--seed", "3", "--months", str(MONTHS), "--workers", "1"]
    runner = CliRunner()
    assert runner.invoke(app, [*args, "--runs", "2"]).exit_code == 0
    result = runner.invoke(app, [*args, "--runs", "3"])
    assert result.exit_code == 0, result.output
    assert pd.read_csv(out / "runs.csv")["seed"].tolist() == ex.child_seeds(3, 3)
    one_line_error(runner.invoke(app, [*args, "--runs", "1"]), "holds 3 runs", "allowed: 3 or more")


# --- CSV outputs -------------------------------------------------------------------------------


def test_experiment_csvs_neutralise_formulas(app: typer.Typer, tmp_path: Path) -> None:
    """Scenario names are a user's text: in runs.csv and comparison.csv they cannot run as formulas."""
    names = ["base", '=HYPERLINK("http://x")', "+cmd|' /C calc'!A0"]
    files = []
    for i, name in enumerate(names):
        path = tmp_path / f"s{i}.yaml"
        path.write_text(
            f"extends: {BASELINE}\nname: {json.dumps(name)}\nmarket:\n  investors: {{count: 800}}\n"
            "  borrowers: {count: 400}\n  platforms: {initial: 15}\n"
        )
        files.append(str(path))
    out = tmp_path / "cmp"
    result = CliRunner().invoke(
        app, ["compare", *files, "--out", str(out), "--runs", "2", "--seed", "3", "--months", "3", "--workers", "1"]
    )
    assert result.exit_code == 0, result.output
    safe = ["base", *("'" + n for n in names[1:])]
    assert pd.read_csv(out / "runs.csv")["scenario"].unique().tolist() == safe
    comparison = pd.read_csv(out / "comparison.csv")
    assert comparison["versus"].unique().tolist() == safe[1:]
    assert [c for c in comparison.columns if c.startswith("mean_")] == [f"mean_{n}" for n in names]


# --- workers die with their parent -------------------------------------------------------------

PARENT = textwrap.dedent(
    """
    import os, sys, time
    from pathlib import Path
    from sandbox.experiments.executors import open_backend

    folder = Path(sys.argv[1])

    def long_run(i):
        (folder / f"worker{i}").write_text(str(os.getpid()))
        time.sleep(300)

    with open_backend(workers=2) as backend:
        futures = [backend.executor.submit(long_run, i) for i in range(2)]
        time.sleep(600)
    """
)


def test_workers_die_with_their_parent(tmp_path: Path) -> None:
    psutil = pytest.importorskip("psutil")
    script = tmp_path / "parent.py"
    script.write_text(PARENT)
    parent = subprocess.Popen([sys.executable, str(script), str(tmp_path)], cwd=ROOT)
    try:
        files = [tmp_path / f"worker{i}" for i in range(2)]
        deadline = time.monotonic() + 120
        while not all(f.exists() and f.read_text() for f in files):
            assert parent.poll() is None and time.monotonic() < deadline, "the workers did not start"
            time.sleep(0.1)
        workers = [int(f.read_text()) for f in files]
        assert all(psutil.pid_exists(pid) for pid in workers)
    finally:
        parent.send_signal(signal.SIGKILL)
        parent.wait()

    def gone(pid: int) -> bool:
        try:
            return psutil.Process(pid).status() == psutil.STATUS_ZOMBIE
        except psutil.NoSuchProcess:
            return True

    deadline = time.monotonic() + 20  # a wait, not a timing check: without the watchdog they sleep 300 s
    while not all(gone(pid) for pid in workers) and time.monotonic() < deadline:
        time.sleep(0.1)
    alive = [pid for pid in workers if not gone(pid)]
    for pid in alive:  # don't leave them behind if the test fails
        os.kill(pid, signal.SIGKILL)
    assert alive == []


def test_the_code_version_covers_the_whole_package() -> None:
    """A store is resumed only by the same code: an edit to the market or a rule counts, not only to experiments."""
    import hashlib

    package = Path(sandbox.__file__).resolve().parent
    digest = hashlib.sha256()
    for path in sorted(package.rglob("*.py")):
        digest.update(str(path.relative_to(package)).encode())
        digest.update(path.read_bytes())
    assert st._hash_sources() == digest.hexdigest()[:12]
    assert any(p.parent.name == "market" for p in package.rglob("*.py"))
