"""The results store of an experiment: one folder, one small file per finished run.

Layout::

    <out>/manifest.json              what the experiment is (see :func:`identity`) and when it ran
    <out>/runs/<key>.monthly.parquet the run's monthly series
    <out>/runs/<key>.summary.parquet the run's summary metrics (one row), written last
    <out>/failed/<key>.json          a run that raised: its seed, the error and the traceback

Every file is written to a temporary name and moved into place with
``os.replace``, so a killed experiment leaves whole files or none. A run is
finished when both its files exist; running the same experiment again with
the same folder skips finished runs (resume). A folder written by a
different experiment (another scenario fingerprint, design, seeds, package or
schema version) is refused rather than mixed.
"""

from __future__ import annotations

import hashlib
import json
import os
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pandas as pd
import yaml

MANIFEST = "manifest.json"
RUNS = "runs"
FAILED = "failed"
SUMMARY_SUFFIX = ".summary.parquet"
MONTHLY_SUFFIX = ".monthly.parquet"

# The manifest entries that must match for a folder to be resumed.
IDENTITY_KEYS = (
    "kind",
    "sandbox_version",
    "sandbox_code",
    "scenario_schema_version",
    "fingerprints",
    "months",
    "design",
    "seeds",
)


def _hash_sources() -> str:
    """A short hash of the sandbox package's source files, as they are on disk now."""
    package = Path(__file__).resolve().parent
    digest = hashlib.sha256()
    for path in sorted(package.rglob("*.py")):
        digest.update(str(path.relative_to(package)).encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()[:12]


# Taken when the package is imported, i.e. the code this process runs. Workers
# compare theirs with the caller's: a worker started before the code was edited
# (a reusable pool, a long-lived cluster) would give different results; and a
# store is resumed only by the same code, so resumed results equal a clean run.
CODE_VERSION = _hash_sources()


class StoreMismatch(ValueError):  # noqa: N818 - reads as what happened
    """The folder holds something else than this experiment; the message is one line."""


def now() -> str:
    """The current time, ISO 8601 in UTC (manifest timestamps)."""
    return datetime.now(UTC).isoformat(timespec="seconds")


def identity(manifest: dict[str, Any]) -> dict[str, Any]:
    """What defines an experiment's results: the entries that must match to resume.

    ``sandbox_code`` is a hash of the package's source files: after any edit
    to them, a store is refused rather than finished with different code.
    """
    return {key: manifest.get(key) for key in IDENTITY_KEYS}


def scenario_files(source: str | Path | None) -> list[dict[str, str]]:
    """The text and sha256 of a scenario file and of every file it ``extends``, child first."""
    files: list[dict[str, str]] = []
    seen: set[Path] = set()
    path = Path(source) if source else None
    while path is not None and path.is_file() and path.resolve() not in seen:
        seen.add(path.resolve())
        text = path.read_text()
        files.append({"path": str(path), "sha256": hashlib.sha256(text.encode()).hexdigest(), "text": text})
        try:
            parent = (yaml.safe_load(text) or {}).get("extends")
        except (yaml.YAMLError, AttributeError):
            parent = None  # the scenario was validated on load; nothing more to record
        path = path.parent / parent if isinstance(parent, str) else None
    return files


def read_manifest(root: str | Path) -> dict[str, Any] | None:
    """The manifest of the store at ``root``, or ``None`` if there is none."""
    path = Path(root) / MANIFEST
    if not path.is_file():
        return None
    return json.loads(path.read_text())


def _write_atomic(path: Path, write: Any) -> None:
    """Call ``write(temp_path)``, then move the temporary file onto ``path``."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        write(tmp)
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


def _differences(stored: Any, new: Any, where: str = "") -> list[str]:
    """Paths (``design.points``) at which two JSON values differ."""
    if isinstance(stored, dict) and isinstance(new, dict):
        out: list[str] = []
        for key in [*stored, *(k for k in new if k not in stored)]:
            out += _differences(stored.get(key), new.get(key), f"{where}.{key}" if where else str(key))
        return out
    return [] if stored == new else [where]


def _short(value: Any, width: int = 40) -> str:
    text = json.dumps(value, default=str)
    return text if len(text) <= width else text[: width - 3] + "..."


def _lookup(data: Any, path: str) -> Any:
    for key in path.split("."):
        data = data.get(key) if isinstance(data, dict) else None
    return data


class RunStore:
    """An experiment folder: the manifest and one summary and one monthly file per run.

    Open one with :meth:`open`; it creates the folder or checks that the
    folder holds the same experiment.
    """

    def __init__(self, root: Path, manifest: dict[str, Any]) -> None:
        """Use :meth:`open` instead."""
        self.root = root
        self.manifest = manifest
        self.runs_dir = root / RUNS
        self.failed_dir = root / FAILED

    @classmethod
    def open(cls, root: str | Path, manifest: dict[str, Any]) -> RunStore:
        """Create the store at ``root``, or reopen it to resume the same experiment.

        Args:
            root: the experiment folder.
            manifest: this experiment's manifest (see :func:`identity` for the
                entries that must match a stored one).

        Raises:
            StoreMismatch: ``root`` is a file, a folder that is not an
                experiment store, or a store of a different experiment.
        """
        root = Path(root)
        if root.exists() and not root.is_dir():
            raise StoreMismatch(f"{root}: exists and is not a folder")
        # Through JSON, so tuples compare equal to the stored lists.
        manifest = json.loads(json.dumps(manifest, default=str))
        stored = read_manifest(root)
        if stored is None:
            if root.exists() and any(root.iterdir()):
                raise StoreMismatch(f"{root}: not empty and has no {MANIFEST}; allowed: a new or empty folder")
            manifest.setdefault("started", now())
            manifest["finished"] = None
            manifest["sessions"] = []
        else:
            diffs = _differences(identity(stored), identity(manifest))
            if diffs:
                first = diffs[0]
                raise StoreMismatch(
                    f"{root}: holds a different experiment ({first}: stored {_short(_lookup(stored, first))}, "
                    f"now {_short(_lookup(manifest, first))}); use another folder or remove it"
                )
            # Keep the first start time and the history; record this session too.
            manifest["started"] = stored.get("started")
            manifest["finished"] = None
            manifest["sessions"] = stored.get("sessions", [])
        manifest["sessions"].append({"started": now(), "finished": None})
        store = cls(root, manifest)
        store.runs_dir.mkdir(parents=True, exist_ok=True)
        store.failed_dir.mkdir(parents=True, exist_ok=True)
        store.write_manifest()
        return store

    def write_manifest(self) -> None:
        """Write ``manifest.json`` (atomically)."""
        text = json.dumps(self.manifest, indent=2, default=str) + "\n"
        _write_atomic(self.root / MANIFEST, lambda tmp: tmp.write_text(text))

    def finished(self) -> set[str]:
        """Keys of the runs whose summary and monthly files are both in place."""
        summaries = {p.name.removesuffix(SUMMARY_SUFFIX) for p in self.runs_dir.glob(f"*{SUMMARY_SUFFIX}")}
        monthly = {p.name.removesuffix(MONTHLY_SUFFIX) for p in self.runs_dir.glob(f"*{MONTHLY_SUFFIX}")}
        return summaries & monthly

    def write_run(self, key: str, summary: pd.DataFrame, monthly: pd.DataFrame) -> None:
        """Write one finished run: the monthly series, then the summary (whose presence marks it done)."""
        _write_atomic(self.runs_dir / f"{key}{MONTHLY_SUFFIX}", lambda tmp: monthly.to_parquet(tmp, index=False))
        _write_atomic(self.runs_dir / f"{key}{SUMMARY_SUFFIX}", lambda tmp: summary.to_parquet(tmp, index=False))
        (self.failed_dir / f"{key}.json").unlink(missing_ok=True)

    def read_run(self, key: str) -> tuple[pd.DataFrame, pd.DataFrame]:
        """The summary (one row) and monthly series of a finished run."""
        summary = pd.read_parquet(self.runs_dir / f"{key}{SUMMARY_SUFFIX}")
        monthly = pd.read_parquet(self.runs_dir / f"{key}{MONTHLY_SUFFIX}")
        return summary, monthly

    def write_failure(self, key: str, record: dict[str, Any]) -> None:
        """Record a run that raised (``failed/<key>.json``)."""
        text = json.dumps(record, indent=2, default=str) + "\n"
        _write_atomic(self.failed_dir / f"{key}.json", lambda tmp: tmp.write_text(text))

    def failures(self) -> dict[str, dict[str, Any]]:
        """The failure records in the folder, by run key."""
        return {p.stem: json.loads(p.read_text()) for p in sorted(self.failed_dir.glob("*.json"))}

    def close(self, ran: int, failed: int) -> None:
        """Record the end of this session in the manifest."""
        end = now()
        self.manifest["finished"] = end
        self.manifest["sessions"][-1].update(finished=end, ran=ran, failed=failed)
        self.write_manifest()
