"""Experiments: replicates, paired comparisons, sweeps, sensitivity, backends, the results store, the CLI."""

from __future__ import annotations

import json
import math
from concurrent.futures import Executor, Future, ThreadPoolExecutor
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
import typer
from typer.testing import CliRunner

import sandbox
from sandbox import experiments as ex
from sandbox.cli.experiments import register
from sandbox.config.scenario import scenario_schema_version
from sandbox.experiments import execution
from sandbox.experiments.store import StoreMismatch

ROOT = Path(__file__).resolve().parents[1]
BASELINE = ROOT / "scenarios" / "baseline.yaml"
# A small market, every person simulated (the baseline is China's, at resolution 0.01).
SMALL = {
    "market.resolution": 1.0,
    "market.investors.count": 2000,
    "market.borrowers.count": 1000,
    "market.platforms.initial": 40,
    "market.platforms.entry_per_month": 2,
}
MONTHS = 12
CAP = (0.12, 0.36)
LITERACY = (0.2, 0.8)


@pytest.fixture(scope="module")
def small() -> sandbox.Scenario:
    return sandbox.load_scenario(BASELINE).with_updates({**SMALL, "name": "small"})


@pytest.fixture(scope="module")
def capped(small: sandbox.Scenario) -> sandbox.Scenario:
    return small.with_updates({"regime.rate_cap.apr": 0.24, "name": "cap24"})


@pytest.fixture
def small_file(tmp_path: Path) -> Path:
    """A small scenario file that extends the baseline (so the manifest records two files)."""
    path = tmp_path / "small.yaml"
    path.write_text(
        f"extends: {BASELINE}\n"
        "name: small\n"
        "market:\n"
        "  investors: {count: 2000}\n"
        "  borrowers: {count: 1000}\n"
        "  platforms: {initial: 40}\n"
    )
    return path


def rep(scenario: sandbox.Scenario, **kwargs: Any) -> ex.ReplicateResult:
    kwargs = {"runs": 4, "seed": 11, "months": MONTHS, "workers": 1, "progress": False, **kwargs}
    return ex.replicate(scenario, **kwargs)


def assert_same(a: ex.ReplicateResult | ex.CompareResult, b: ex.ReplicateResult | ex.CompareResult) -> None:
    pd.testing.assert_frame_equal(a.runs, b.runs, check_exact=True)
    pd.testing.assert_frame_equal(a.monthly, b.monthly, check_exact=True)


# --- seeds and tables ------------------------------------------------------------------------


def test_child_seeds_are_spawned_and_stable() -> None:
    seeds = ex.child_seeds(5, 10)
    assert seeds[:3] == ex.child_seeds(5, 3)  # extending an experiment keeps the first runs' seeds
    assert len(set(seeds)) == 10
    assert all(0 <= s < 2**53 and int(float(s)) == s for s in seeds)  # exact even as a double
    first = np.random.SeedSequence(5).spawn(1)[0]
    assert seeds[0] == int(first.generate_state(1, dtype=np.uint64)[0] >> 11)
    assert ex.child_seeds(6, 3) != seeds[:3]


def test_flatten_summary() -> None:
    flat = ex.flatten_summary(
        {"scenario": "x", "seed": 3, "a": 1.5, "failures_by_cause": {"fraud": 2, "insolvency": 0}, "b": None}
    )
    assert flat == {"a": 1.5, "failures_fraud": 2, "failures_insolvency": 0, "b": pytest.approx(math.nan, nan_ok=True)}


def test_replicate_tidy_tables(small: sandbox.Scenario) -> None:
    result = rep(small)
    runs, monthly = result.runs, result.monthly
    assert list(runs.columns[:2]) == ["run", "seed"]
    assert runs["run"].tolist() == [0, 1, 2, 3]
    assert runs["seed"].tolist() == ex.child_seeds(11, 4)
    assert "failures_by_cause" not in runs.columns and "failures_fraud" in runs.columns
    causes = [c for c in runs.columns if c.startswith("failures_")]
    assert (runs["platform_failures"] == runs[causes].sum(axis=1)).all()
    assert list(monthly.columns[:2]) == ["run", "month"]
    assert len(monthly) == 4 * MONTHS
    assert monthly.groupby("run")["month"].first().eq("2014-01").all()
    # Each row is exactly the run sandbox.run gives for that seed.
    direct = sandbox.run(small, seed=int(runs["seed"][2]), months=MONTHS)
    assert runs.loc[2, "investor_loss_total"] == direct.summary["investor_loss_total"]
    pd.testing.assert_frame_equal(
        monthly[monthly["run"] == 2].drop(columns="run").reset_index(drop=True), direct.monthly, check_exact=True
    )
    described = result.describe(["investor_loss_total"]).iloc[0]
    assert described["ci_low"] <= described["mean"] <= described["ci_high"]
    assert described["mean"] == pytest.approx(runs["investor_loss_total"].mean())


# --- backends --------------------------------------------------------------------------------


def test_identical_across_backends(small: sandbox.Scenario, tmp_path: Path) -> None:
    serial = rep(small, runs=6)
    loky = rep(small, runs=6, workers=2)
    loky_store = rep(small, runs=6, workers=2, chunk_size=4, out=tmp_path / "loky")
    dask = rep(small, runs=6, workers=2, scheduler="local", chunk_size=2)
    with ThreadPoolExecutor(2) as pool:
        threads = rep(small, runs=6, scheduler=pool)
    for other in (loky, loky_store, dask, threads):
        assert_same(serial, other)


def test_chunks() -> None:
    from sandbox.experiments.executors import chunk

    assert [len(c) for c in chunk(list(range(5)), workers=1)] == [1] * 5  # serial: each run written at once
    assert {len(c) for c in chunk(list(range(200)), workers=2)} == {8}
    assert [len(c) for c in chunk(list(range(20)), workers=2)] == [2] * 10
    assert chunk(list(range(10)), workers=2, size=4) == [[0, 1, 2, 3], [4, 5, 6, 7], [8, 9]]


class BrokenExecutor(Executor):
    """Every chunk fails as a lost worker would."""

    def submit(self, fn: Any, /, *args: Any, **kwargs: Any) -> Future:  # noqa: ARG002 - Executor.submit's signature
        future: Future = Future()
        future.set_exception(OSError("worker lost"))
        return future


def test_a_lost_chunk_fails_its_runs(small: sandbox.Scenario) -> None:
    with pytest.raises(ex.ExperimentFailures) as info:
        rep(small, runs=3, scheduler=BrokenExecutor(), workers=1)
    assert [f.labels["run"] for f in info.value.failures] == [0, 1, 2]
    assert "OSError: worker lost" in info.value.failures[0].error
    assert len(info.value.result.runs) == 0


def test_worker_with_other_code_refuses(small: sandbox.Scenario) -> None:
    spec = execution.RunSpec("r0", small.to_dict(), small.fingerprint(), 1, MONTHS, {"run": 0}, code="edited")
    (outcome,) = ex.run_chunk([spec])
    assert outcome.summary is None and "other sandbox code" in outcome.error
    (outcome,) = ex.run_chunk([execution.RunSpec("r0", small.to_dict(), small.fingerprint(), 1, MONTHS, {"run": 0})])
    assert outcome.error is None and outcome.summary["months"] == MONTHS


def test_bad_workers_and_scheduler(small: sandbox.Scenario) -> None:
    with pytest.raises(ValueError, match="workers"):
        rep(small, workers=0)
    with pytest.raises(ValueError, match="scheduler"):
        rep(small, workers=None, scheduler="nowhere")


# --- execution options -----------------------------------------------------------------------


def test_one_execution_object_serves_every_verb(
    small: sandbox.Scenario, capped: sandbox.Scenario, tmp_path: Path
) -> None:
    """``execution=Execution(...)`` and its fields as keywords run the same experiment."""
    options = ex.Execution(workers=1, progress=False, chunk_size=1)
    sizes = {"runs": 2, "seed": 5, "months": MONTHS}
    assert_same(
        ex.replicate(small, **sizes, execution=options), ex.replicate(small, **sizes, workers=1, progress=False)
    )
    assert_same(
        ex.compare([small, capped], **sizes, execution=options),
        ex.compare([small, capped], **sizes, workers=1, progress=False),
    )
    bounds = {"regime.rate_cap.apr": CAP}
    pd.testing.assert_frame_equal(
        ex.sweep(small, bounds, "grid", 2, **sizes, execution=options).runs,
        ex.sweep(small, bounds, "grid", 2, **sizes, workers=1, progress=False).runs,
        check_exact=True,
    )
    # The object's fields are used (results alone cannot tell: workers never change them)...
    kept = ex.Execution(workers=1, progress=False, out=tmp_path / "kept", counterfactuals=True)
    result = ex.replicate(small, runs=1, seed=1, months=MONTHS, execution=kept)
    assert result.out == tmp_path / "kept" and (tmp_path / "kept" / "manifest.json").exists()
    assert "failures_avoided_runs" in result.runs.columns
    # ... and keywords override them: here, where the store goes.
    result = ex.replicate(small, runs=1, seed=1, months=MONTHS, execution=options, out=tmp_path / "s")
    assert result.out == tmp_path / "s" and (tmp_path / "s" / "manifest.json").exists()
    assert options.out is None  # frozen: the shared object is not changed


def test_an_unknown_execution_keyword_is_named(small: sandbox.Scenario) -> None:
    with pytest.raises(TypeError, match=r"replicate\(\) got an unexpected keyword argument 'worker'"):
        ex.replicate(small, runs=1, worker=1)
    with pytest.raises(TypeError, match="'chunksize'.*chunk_size"):
        ex.sweep(small, {"regime.rate_cap.apr": CAP}, chunksize=2)


# --- the results store -----------------------------------------------------------------------


def test_store_layout_and_manifest(small_file: Path, tmp_path: Path) -> None:
    out = tmp_path / "exp"
    result = ex.replicate(small_file, runs=3, seed=4, months=MONTHS, workers=1, out=out, progress=False)
    files = sorted(p.name for p in (out / "runs").iterdir())
    assert files == [f"r00000{i}.{kind}.parquet" for i in range(3) for kind in ("monthly", "summary")]
    assert not list(out.rglob("*.tmp"))
    manifest = json.loads((out / "manifest.json").read_text())
    scenario = sandbox.load_scenario(small_file)
    assert manifest["kind"] == "replicate"
    assert manifest["fingerprints"] == [scenario.fingerprint()]
    assert manifest["sandbox_version"] == sandbox.__version__
    assert manifest["scenario_schema_version"] == scenario_schema_version()
    assert manifest["seeds"] == {"root": 4, "children": ex.child_seeds(4, 3)}
    assert manifest["design"] == {"runs": 3} and manifest["months"] == MONTHS
    recorded = manifest["scenarios"][0]["files"]
    assert [Path(f["path"]).name for f in recorded] == ["small.yaml", "baseline.yaml"]
    import hashlib

    assert recorded[1]["sha256"] == hashlib.sha256(BASELINE.read_text().encode()).hexdigest()
    assert manifest["scenarios"][0]["resolved"]["market"]["investors"]["count"] == 2000
    assert manifest["started"] and manifest["finished"] and manifest["sessions"][0]["ran"] == 3
    # Reading the store back gives the same tables.
    again = ex.replicate(small_file, runs=3, seed=4, months=MONTHS, workers=1, out=out, progress=False)
    assert_same(result, again)
    assert json.loads((out / "manifest.json").read_text())["sessions"][1]["ran"] == 0


def count_runs(monkeypatch: pytest.MonkeyPatch, stop_after: int | None = None) -> list[int]:
    """Count runs simulated in this process; optionally 'kill' the experiment after some."""
    seen: list[int] = []
    real = execution._simulate

    def simulate(scenario: sandbox.Scenario, seed: int, months: int | None) -> Any:
        if stop_after is not None and len(seen) >= stop_after:
            raise KeyboardInterrupt  # as Ctrl-C or a kill would stop it mid-experiment
        seen.append(seed)
        return real(scenario, seed, months)

    monkeypatch.setattr(execution, "_simulate", simulate)
    return seen


def test_resume_after_a_kill_is_identical(small: sandbox.Scenario, tmp_path: Path, monkeypatch) -> None:
    clean = rep(small, runs=6)
    out = tmp_path / "exp"
    with monkeypatch.context() as m:
        count_runs(m, stop_after=3)
        with pytest.raises(KeyboardInterrupt):
            rep(small, runs=6, out=out)
    assert len(list((out / "runs").glob("*.summary.parquet"))) == 3
    assert json.loads((out / "manifest.json").read_text())["finished"] is None
    with monkeypatch.context() as m:
        ran = count_runs(m)
        resumed = rep(small, runs=6, out=out)
    assert sorted(ran) == sorted(ex.child_seeds(11, 6)[3:])  # only the missing runs, none twice
    assert_same(clean, resumed)
    # Losing a run's files (either one) makes exactly that run run again.
    (out / "runs" / "r000001.summary.parquet").unlink()
    (out / "runs" / "r000004.monthly.parquet").unlink()
    with monkeypatch.context() as m:
        ran = count_runs(m)
        resumed = rep(small, runs=6, out=out)
    assert sorted(ran) == sorted([ex.child_seeds(11, 6)[1], ex.child_seeds(11, 6)[4]])
    assert_same(clean, resumed)


def test_store_refuses_another_experiment(small: sandbox.Scenario, capped: sandbox.Scenario, tmp_path: Path) -> None:
    out = tmp_path / "exp"
    rep(small, runs=2, out=out)
    cases = [
        (lambda: rep(capped, runs=2, out=out), "fingerprints"),
        (lambda: rep(small, runs=1, out=out), "design.runs"),  # fewer runs than stored (more extends it)
        (lambda: rep(small, runs=2, seed=12, out=out), "seeds.root"),
        (
            lambda: ex.compare([small, capped], runs=2, seed=11, months=MONTHS, workers=1, out=out, progress=False),
            "kind",
        ),
    ]
    for call, what in cases:
        with pytest.raises(StoreMismatch) as info:
            call()
        message = str(info.value)
        assert what in message and "\n" not in message, message
    for key, value in (("sandbox_version", "0.0.1"), ("sandbox_code", "edited")):
        manifest = json.loads((out / "manifest.json").read_text())
        stored, manifest[key] = manifest[key], value
        (out / "manifest.json").write_text(json.dumps(manifest))
        with pytest.raises(StoreMismatch, match=key):
            rep(small, runs=2, out=out)
        manifest[key] = stored
        (out / "manifest.json").write_text(json.dumps(manifest))
    rep(small, runs=2, out=out)  # the same experiment again: accepted
    junk = tmp_path / "junk"
    junk.mkdir()
    (junk / "notes.txt").write_text("mine")
    with pytest.raises(StoreMismatch, match="not empty"):
        rep(small, runs=2, out=junk)


def test_seed_defaults_to_the_stores(small: sandbox.Scenario, tmp_path: Path) -> None:
    first = rep(small, runs=2, seed=None, out=tmp_path / "exp")
    again = rep(small, runs=2, seed=None, out=tmp_path / "exp")
    assert first.seed == again.seed
    assert_same(first, again)


def test_failed_run_is_recorded_and_others_go_on(small: sandbox.Scenario, tmp_path: Path, monkeypatch) -> None:
    bad_seed = ex.child_seeds(11, 5)[2]
    real = execution._simulate

    def simulate(scenario: sandbox.Scenario, seed: int, months: int | None) -> Any:
        if seed == bad_seed:
            raise ValueError("boom")
        return real(scenario, seed, months)

    out = tmp_path / "exp"
    with monkeypatch.context() as m:
        m.setattr(execution, "_simulate", simulate)
        with pytest.raises(ex.ExperimentFailures) as info:
            rep(small, runs=5, out=out)
    err = info.value
    assert [(f.labels, f.seed) for f in err.failures] == [({"run": 2}, bad_seed)]
    assert "ValueError: boom" in str(err) and str(bad_seed) in str(err)
    assert err.result.runs["run"].tolist() == [0, 1, 3, 4]
    record = json.loads((out / "failed" / "r000002.json").read_text())
    assert record["seed"] == bad_seed and record["error"] == "ValueError: boom" and "Traceback" in record["traceback"]
    # Resuming retries the failed run only; its failure record goes.
    resumed = rep(small, runs=5, out=out)
    assert not (out / "failed" / "r000002.json").exists()
    assert_same(rep(small, runs=5), resumed)


# --- compare ---------------------------------------------------------------------------------


def test_compare_pairs_runs(small: sandbox.Scenario, capped: sandbox.Scenario) -> None:
    result = ex.compare([small, capped], runs=6, seed=3, months=MONTHS, workers=1, progress=False)
    runs = result.runs
    assert result.names == ["small", "cap24"]
    assert list(runs.columns[:3]) == ["scenario", "run", "seed"]
    a, b = runs[runs.scenario == "small"], runs[runs.scenario == "cap24"]
    assert a["seed"].tolist() == b["seed"].tolist() == ex.child_seeds(3, 6)  # common random numbers
    table = result.comparison.set_index("metric")
    assert {"mean_small", "mean_cap24", "difference", "ci_low", "ci_high", "share_better"} <= set(table.columns)
    row = table.loc["credit_excluded_cap"]
    assert row["difference"] == pytest.approx(b["credit_excluded_cap"].mean() - a["credit_excluded_cap"].mean())
    assert row["mean_cap24"] - row["mean_small"] == pytest.approx(row["difference"])
    assert row["ci_low"] <= row["difference"] <= row["ci_high"]
    # A tighter cap excludes more credit in every run: the proposal never does better on that.
    assert row["ci_low"] > 0 and row["share_better"] == 0.0 and row["better"] == "lower"
    assert table.loc["credit_supplied_total", "better"] == "higher"
    assert math.isnan(table.loc["entries", "share_better"])  # no direction for activity measures
    assert set(ex.BETTER) <= set(runs.columns)  # the mapping names real metrics


def test_compare_more_than_two_and_duplicate_names(small: sandbox.Scenario) -> None:
    twin = small.with_updates({"market.investors.literacy_mean": 0.6})
    third = small.with_updates({"regime.rate_cap.apr": 0.3, "name": "cap30"})
    result = ex.compare([small, twin, third], runs=2, seed=3, months=MONTHS, workers=1, progress=False)
    assert len(set(result.names)) == 3
    assert result.comparison["versus"].unique().tolist() == result.names[1:]
    with pytest.raises(ex.ExperimentError, match="2 or more"):
        ex.compare([small], runs=2, seed=1, progress=False)


def test_pairing_narrows_the_interval(small: sandbox.Scenario, capped: sandbox.Scenario) -> None:
    n, metric = 24, "investor_loss_total"
    paired = ex.compare([small, capped], runs=n, seed=21, months=MONTHS, workers=1, progress=False)
    row = paired.comparison.set_index("metric").loc[metric]
    # The same comparison (same N) with independent seeds for the proposal.
    a = paired.runs.loc[paired.runs.scenario == "small", metric].to_numpy()
    b = ex.replicate(capped, runs=n, seed=22, months=MONTHS, workers=1, progress=False).runs[metric].to_numpy()
    independent = ex.paired_difference(a, b, "lower")
    paired_width = row["ci_high"] - row["ci_low"]
    independent_width = independent["ci_high"] - independent["ci_low"]
    assert paired_width < independent_width, (paired_width, independent_width)
    # Why: on common seeds the two scenarios' outcomes move together.
    same_seeds = paired.runs.loc[paired.runs.scenario == "cap24", metric].to_numpy()
    assert np.corrcoef(a, same_seeds)[0, 1] > 0.3


def test_paired_difference_by_hand() -> None:
    got = ex.paired_difference(np.array([1.0, 2.0, 3.0, 4.0]), np.array([2.0, 2.0, 5.0, 3.0]), "lower")
    d = np.array([1.0, 0.0, 2.0, -1.0])
    half = 3.182446305284263 * d.std(ddof=1) / 2  # t(0.975, 3)
    assert got["difference"] == pytest.approx(0.5)
    assert (got["ci_low"], got["ci_high"]) == pytest.approx((0.5 - half, 0.5 + half))
    assert got["share_better"] == 0.25 and got["share_worse"] == 0.5 and got["n"] == 4


# --- sweeps and sensitivity ------------------------------------------------------------------


def sw(scenario: sandbox.Scenario, parameters: dict, **kwargs: Any) -> ex.SweepResult:
    kwargs = {"seed": 3, "months": MONTHS, "workers": 1, "progress": False, **kwargs}
    return ex.sweep(scenario, parameters, **kwargs)


def test_grid_sweep_sets_parameters(small: sandbox.Scenario) -> None:
    result = sw(
        small, {"regime.rate_cap.apr": CAP, "market.investors.count": (1000, 2000.6)}, design="grid", points=2, runs=2
    )
    assert result.points["regime.rate_cap.apr"].tolist() == [0.12, 0.12, 0.36, 0.36]
    assert result.points["market.investors.count"].tolist() == [1000, 2001, 1000, 2001]  # integer field: rounded
    runs = result.runs
    assert list(runs.columns[:5]) == ["point", "regime.rate_cap.apr", "market.investors.count", "run", "seed"]
    assert runs["market.investors.count"].dtype == np.int64
    assert len(runs) == 8 and runs.groupby("point")["seed"].apply(tuple).nunique() == 1  # same seeds at every point
    row = runs.iloc[5]  # point 2, run 1
    point = small.with_updates({"regime.rate_cap.apr": 0.36, "market.investors.count": 1000})
    direct = sandbox.run(point, seed=int(row["seed"]), months=MONTHS)
    assert (row["point"], row["run"]) == (2, 1)
    assert row["investor_loss_total"] == direct.summary["investor_loss_total"]
    assert list(result.monthly.columns[:3]) == ["point", "run", "month"] and len(result.monthly) == 8 * MONTHS


def test_lhs_design_is_seeded_and_stratified(small: sandbox.Scenario) -> None:
    params = {"regime.rate_cap.apr": CAP, "market.investors.literacy_mean": LITERACY}
    first = ex.sample_design(params, "lhs", 7, seed=1)
    assert np.array_equal(first, ex.sample_design(params, "lhs", 7, seed=1))
    assert not np.array_equal(first, ex.sample_design(params, "lhs", 7, seed=2))
    for j, (low, high) in enumerate(params.values()):
        strata = np.floor((first[:, j] - low) / (high - low) * 7).astype(int)
        assert sorted(strata) == list(range(7))  # one point in each of the 7 strata
    assert ex.sample_design(params, "sobol", 4, seed=1).shape == (4 * (2 + 2), 2)
    assert ex.sample_design(params, "morris", 3, seed=1).shape == (3 * (2 + 1), 2)


@pytest.mark.parametrize(
    ("parameters", "match"),
    [
        ({"market.investors.nope": (0, 1)}, "nope"),
        ({"regime.licensing.capital": (0, 1)}, "licensing"),
        ({"regime.rate_cap.apr": (0.3, 0.2)}, "low < high"),
        ({"regime.rate_cap.apr": (0.2, 20.0)}, "apr"),  # above the field's range
        ({"name": (0, 1)}, "numeric"),
        ({}, "none given"),
    ],
)
def test_sweep_bad_parameters(small: sandbox.Scenario, parameters: dict, match: str) -> None:
    with pytest.raises(ex.ExperimentError, match=match) as info:
        sw(small, parameters)
    assert "\n" not in str(info.value)


def test_sobol_sensitivity(small: sandbox.Scenario, tmp_path: Path) -> None:
    result = sw(
        small, {"regime.rate_cap.apr": CAP, "market.investors.literacy_mean": LITERACY}, design="sobol", points=8
    )
    assert len(result.points) == 8 * (2 + 2)
    again = sw(
        small,
        {"regime.rate_cap.apr": CAP, "market.investors.literacy_mean": LITERACY},
        design="sobol",
        points=8,
        out=tmp_path / "sobol",
    )
    manifest = json.loads((tmp_path / "sobol" / "manifest.json").read_text())
    assert np.array_equal(np.array(manifest["design_samples"]), result.samples)
    assert manifest["design"]["values"][3] == result.points.drop(columns="point").iloc[3].to_dict()
    pd.testing.assert_frame_equal(again.runs, result.runs, check_exact=True)
    indices = ex.sensitivity(result, ["credit_excluded_cap", "investor_loss_total"], method="sobol")
    assert list(indices.columns) == ["output", "parameter", "S1", "S1_conf", "ST", "ST_conf"]
    assert len(indices) == 4
    st = indices[indices.output == "credit_excluded_cap"].set_index("parameter")["ST"]
    # Credit refused by the cap depends on the cap, hardly on investors' literacy.
    assert st["regime.rate_cap.apr"] > 5 * st["market.investors.literacy_mean"]
    with pytest.raises(ex.ExperimentError, match="design='morris'"):
        ex.sensitivity(result, ["credit_excluded_cap"], method="morris")
    with pytest.raises(ex.ExperimentError, match="unknown"):
        ex.sensitivity(result, ["nope"])


def test_morris_sensitivity(small: sandbox.Scenario) -> None:
    result = sw(
        small, {"regime.rate_cap.apr": CAP, "market.investors.literacy_mean": LITERACY}, design="morris", points=4
    )
    indices = ex.sensitivity(result, "credit_excluded_cap")
    assert list(indices.columns) == ["output", "parameter", "mu", "mu_star", "mu_star_conf", "sigma"]
    mu_star = indices.set_index("parameter")["mu_star"]
    assert mu_star["regime.rate_cap.apr"] > mu_star["market.investors.literacy_mean"]
    lhs = sw(small, {"regime.rate_cap.apr": CAP}, design="lhs", points=3)
    with pytest.raises(ex.ExperimentError, match="design='sobol'"):
        ex.sensitivity(lhs, ["credit_excluded_cap"], method="sobol")


# --- interop ---------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def lhs_sweep(small: sandbox.Scenario) -> ex.SweepResult:
    return sw(small, {"regime.rate_cap.apr": CAP, "market.investors.literacy_mean": LITERACY}, points=30)


def test_to_ema_format(lhs_sweep: ex.SweepResult) -> None:
    experiments, outcomes = ex.to_ema(lhs_sweep, series=True)
    assert list(experiments.columns) == [
        "regime.rate_cap.apr",
        "market.investors.literacy_mean",
        "scenario",
        "policy",
        "model",
    ]
    assert all(isinstance(experiments[c].dtype, pd.CategoricalDtype) for c in ("scenario", "policy", "model"))
    assert len(experiments) == 30
    assert outcomes["investor_loss_total"].shape == (30,)
    assert np.array_equal(outcomes["investor_loss_total"], lhs_sweep.runs["investor_loss_total"].to_numpy())
    assert outcomes["monthly_new_credit"].shape == (30, MONTHS) and outcomes["TIME"].shape == (30, MONTHS)
    assert "point" not in outcomes and "seed" not in outcomes


@pytest.mark.filterwarnings("ignore::DeprecationWarning", "ignore::FutureWarning", "ignore:.*inplace.*")
def test_ema_workbench_prim_finds_the_cap(lhs_sweep: ex.SweepResult) -> None:
    prim = pytest.importorskip("ema_workbench.analysis.prim")
    experiments, outcomes = ex.to_ema(lhs_sweep)
    y = outcomes["credit_excluded_cap"] > np.median(outcomes["credit_excluded_cap"])
    box = prim.Prim(experiments, y, mass_min=0.1).find_box()
    limits = box.box_lims[box._cur_box]
    # Much credit refused by the cap: the box is a low cap, whatever investors' literacy.
    assert limits.loc[1, "regime.rate_cap.apr"] < 0.33
    assert box.coverage > 0.7 and box.density > 0.7


# --- command line ----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def cli() -> typer.Typer:
    app = typer.Typer(add_completion=False, pretty_exceptions_enable=False)
    register(app)
    return app


def invoke(app: typer.Typer, *args: str) -> Any:
    return CliRunner().invoke(app, [str(a) for a in args])


def test_cli_replicate(cli: typer.Typer, small_file: Path, tmp_path: Path) -> None:
    out = tmp_path / "rep"
    result = invoke(
        cli, "replicate", small_file, "--runs", 3, "--seed", 5, "--out", out, "--months", MONTHS, "--workers", 1
    )
    assert result.exit_code == 0, result.output
    runs = pd.read_csv(out / "runs.csv")
    assert list(runs.columns[:2]) == ["run", "seed"] and len(runs) == 3
    assert runs["seed"].tolist() == ex.child_seeds(5, 3)
    assert (out / "manifest.json").exists() and "investor loss" in result.output
    # Opens with findings in plain language (levels in units, intervals), then a table with units.
    first = result.output.splitlines()[0]
    assert first.startswith("Over 3 runs of small that differ only in their seed, platform failures average ")
    assert " platforms (95% interval " in first and " yuan (95% interval " in first
    for label in ("investor loss (yuan)", "platform failures (platforms)", "contagion share (%)"):
        assert label in result.output


def test_cli_compare(cli: typer.Typer, small_file: Path, tmp_path: Path) -> None:
    other = tmp_path / "cap24.yaml"
    other.write_text(f"extends: {small_file}\nname: cap24\nregime:\n  - rate_cap: {{from: 2014-01, apr: 0.24}}\n")
    out = tmp_path / "cmp"
    result = invoke(
        cli, "compare", small_file, other, "--runs", 3, "--seed", 5, "--out", out, "--months", MONTHS, "--workers", 1
    )
    assert result.exit_code == 0, result.output
    table = pd.read_csv(out / "comparison.csv")
    assert list(table.columns[:7]) == [
        "metric",
        "mean_small",
        "mean_cap24",
        "difference",
        "ci_low",
        "ci_high",
        "share_better",
    ]
    row = table.set_index("metric").loc["credit_excluded_cap"]
    assert row["difference"] == pytest.approx(row["mean_cap24"] - row["mean_small"])
    runs = pd.read_csv(out / "runs.csv")
    assert runs["scenario"].tolist() == ["small"] * 3 + ["cap24"] * 3
    assert "difference" in result.output and "credit excluded" in result.output


def test_cli_sweep(cli: typer.Typer, small_file: Path, tmp_path: Path) -> None:
    out = tmp_path / "sweep"
    result = invoke(
        cli,
        "sweep",
        small_file,
        "--param",
        "regime.rate_cap.apr=0.2:0.36",
        "--param",
        "market.investors.count=1000:2000",
        "--design",
        "grid",
        "--points",
        2,
        "--runs",
        1,
        "--seed",
        1,
        "--out",
        out,
        "--months",
        MONTHS,
        "--workers",
        1,
    )
    assert result.exit_code == 0, result.output
    table = pd.read_csv(out / "sweep.csv")
    assert list(table.columns[:5]) == ["point", "regime.rate_cap.apr", "market.investors.count", "run", "seed"]
    assert len(table) == 4
    # Opens with findings in plain language, then a table with units.
    first = result.output.splitlines()[0]
    assert first.startswith("Over 4 runs across the ranges of regime.rate_cap.apr, market.investors.count, ")
    lowest = table.groupby("point")["platform_failures"].mean().min()
    # The same number format as the findings (2 to 3 significant figures), whatever the mean.
    from sandbox.reporting.findings import significant

    assert f"platform failures average {significant(table['platform_failures'].mean())}" in first
    assert f"(the design points average from {significant(lowest)} to " in first
    for label in ("investor loss (yuan)", "platform failures (platforms)", "regime.rate_cap.apr (swept)"):
        assert label in result.output


@pytest.mark.parametrize(
    ("param", "message"),
    [
        ("regime.rate_cap.apr", "PATH=LOW:HIGH"),
        ("regime.rate_cap.apr=0.3:x", "numbers"),
        ("regime.rate_cap.apr=0.36:0.2", "not below"),
        ("market.investors.nope=0:1", "nope"),
    ],
)
def test_cli_sweep_bad_param(cli: typer.Typer, small_file: Path, tmp_path: Path, param: str, message: str) -> None:
    result = invoke(cli, "sweep", small_file, "--param", param, "--out", tmp_path / "x", "--workers", 1)
    assert result.exit_code == 2
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("error:") and message in lines[0], result.stderr


def test_cli_failures_exit_nonzero(cli: typer.Typer, small_file: Path, tmp_path: Path, monkeypatch) -> None:
    bad_seed = ex.child_seeds(5, 3)[1]
    real = execution._simulate
    monkeypatch.setattr(
        execution, "_simulate", lambda s, seed, months: real(s, seed, months) if seed != bad_seed else 1 / 0
    )
    out = tmp_path / "rep"
    result = invoke(
        cli, "replicate", small_file, "--runs", 3, "--seed", 5, "--out", out, "--months", MONTHS, "--workers", 1
    )
    assert result.exit_code == 1
    assert "1 runs failed" in result.stderr and str(bad_seed) in result.stderr
    assert len(pd.read_csv(out / "runs.csv")) == 2
    # Another experiment in the same folder: refused in one line, exit 2.
    result = invoke(cli, "replicate", small_file, "--runs", 4, "--seed", 5, "--out", out, "--workers", 1)
    assert result.exit_code == 2 and "different experiment" in result.stderr


def test_counterfactual_counts_reach_the_experiment_tables(tmp_path):
    """Issue 5: experiments report the contagion share and the per-channel counterfactual counts."""
    from sandbox import experiments
    from sandbox.api import CHANNELS

    scenario = sandbox.load_scenario(BASELINE).with_updates(
        {
            **SMALL,
            "market.investors.count": 1500,
            "market.borrowers.count": 800,
            "market.platforms.initial": 30,
            "months": 12,
        }
    )
    result = experiments.replicate(scenario, runs=2, seed=5, workers=1, progress=False, counterfactuals=True)
    for channel in CHANNELS:
        assert f"failures_avoided_{channel}" in result.runs.columns
    assert "contagion_share" in result.runs.columns
    single = sandbox.run(scenario, seed=int(result.runs["seed"].iloc[0]), counterfactuals=True)
    assert result.runs["failures_avoided_runs"].iloc[0] == single.summary["failures_avoided"]["runs"]
