"""The results store of an experiment: one folder, one small file per finished run.

Layout::

    <out>/manifest.json              what the experiment is (see :func:`identity`), the sha256 of
                                     every run file, and its sessions
    <out>/runs/<key>.monthly.parquet the run's monthly series
    <out>/runs/<key>.summary.parquet the run's summary metrics (one row)
    <out>/failed/<key>.json          a run that raised: its seed, the error and the traceback

A kill at any moment leaves a folder that the same experiment resumes:

* every file is written to a temporary name (``.<name>.<pid>.tmp``) and moved
  into place with ``os.replace``, so files are whole or absent; temporary files
  of processes no longer running are removed when the store is opened;
* the manifest is the first file written, so a folder without one holds at
  most empty ``runs/`` and ``failed/`` folders and temporary files, and is
  taken as a new store;
* a run's checksums are recorded in the manifest before its files are moved
  into place, so every file in ``runs/`` has its sha256 in the manifest. A file
  that does not match (edited) or is not recorded (copied in) is refused,
  with its name, when the store is opened (:meth:`RunStore.open`) or read
  (:func:`load_runs`, :func:`verified_manifest`).

A run is finished when both its files are in place; running the same
experiment again with the same folder skips finished runs (resume). Asking
for more runs extends the store: run ``i`` keeps its seed (child ``i`` of
``SeedSequence(seed)``), so the stored runs are reused. Asking for fewer runs
than stored is refused: a store only grows, so that whoever reads it
(``sandbox report``) sees every run it holds. A folder written by a different
experiment (another scenario fingerprint, design, seed, package or schema
version) is refused rather than mixed, and so is a damaged manifest, in one
line naming the file.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pandas as pd
import yaml

from sandbox.common.outputs import dumps, strict

MANIFEST = "manifest.json"
RUNS = "runs"
FAILED = "failed"
SUMMARY_SUFFIX = ".summary.parquet"
MONTHLY_SUFFIX = ".monthly.parquet"
KINDS = ("replicate", "compare", "sweep")
# Temporary files: ``.<final name>.<pid of the writer>.tmp``.
TEMPORARY = re.compile(r"^\..+\.(?P<pid>\d+)\.tmp$")
RUN_FILE = re.compile(r"^[A-Za-z0-9-]+\.(summary|monthly)\.parquet$")
SHA256 = re.compile(r"^[0-9a-f]{64}$")

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
# Identity entries that may grow when an experiment is extended with more runs.
GROWS = ("design.runs", "seeds.children")


def _hash_sources() -> str:
    """A short hash of the sandbox package's source files, as they are on disk now."""
    # The whole package (this module lives in sandbox/experiments/): a worker running an
    # edited market or rule must be caught, not only an edited experiments module.
    package = Path(__file__).resolve().parents[1]
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


class StoreError(ValueError):
    """The folder cannot be used as this experiment's store; the message is one line naming the file."""


class StoreMismatch(StoreError):  # noqa: N818 - reads as what happened
    """The folder holds something else than this experiment."""


class StoreCorrupt(StoreError):  # noqa: N818 - reads as what happened
    """The store's manifest is damaged, or a run file was edited or copied in."""


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


# --- the manifest ----------------------------------------------------------------------------


def _whole(value: Any, low: int) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= low


def _list_of(check: Callable[[Any], bool]) -> Callable[[Any], bool]:
    return lambda value: isinstance(value, list) and all(check(v) for v in value)


def _is_text(value: Any) -> bool:
    return isinstance(value, str)


def _is_object(value: Any) -> bool:
    return isinstance(value, dict)


def _checksums(value: Any) -> bool:
    return isinstance(value, dict) and all(
        isinstance(k, str) and RUN_FILE.match(k) and isinstance(v, str) and SHA256.match(v) for k, v in value.items()
    )


# Each entry the code relies on: dotted path, check, what is allowed (for the message).
SCHEMA: tuple[tuple[str, Callable[[Any], bool], str], ...] = (
    ("kind", lambda v: v in KINDS, ", ".join(KINDS)),
    ("sandbox_version", _is_text, "text"),
    ("sandbox_code", _is_text, "text"),
    ("scenario_schema_version", _is_text, "text"),
    ("fingerprints", _list_of(_is_text), "a list of texts"),
    ("months", lambda v: v is None or _whole(v, 1), "null or a whole number of months, 1 or more"),
    ("design", _is_object, "an object"),
    ("design.runs", lambda v: _whole(v, 1), "a whole number, 1 or more"),
    ("seeds", _is_object, "an object"),
    ("seeds.root", lambda v: _whole(v, 0), "a whole number, 0 or more"),
    ("seeds.children", _list_of(lambda v: _whole(v, 0)), "a list of whole numbers, 0 or more"),
    ("scenarios", _list_of(_is_object), "a list of objects"),
    ("checksums", _checksums, "an object of run file names to sha256 digests (64 hex digits)"),
    ("sessions", _list_of(_is_object), "a list of objects"),
)
_MISSING = object()


def _get(data: Any, path: str) -> Any:
    for key in path.split("."):
        data = data.get(key, _MISSING) if isinstance(data, dict) else _MISSING
    return data


def check_manifest(data: Any, path: Path) -> dict[str, Any]:
    """``data`` if it is a manifest this module can use, else :class:`StoreCorrupt` naming ``path`` and the entry."""
    if not isinstance(data, dict):
        raise StoreCorrupt(f"{path}: found {type(data).__name__}; allowed: a JSON object (the store's manifest)")
    for key, check, allowed in SCHEMA:
        value = _get(data, key)
        if value is _MISSING:
            raise StoreCorrupt(f"{path}: {key}: missing; allowed: {allowed} (damaged, or written by an older sandbox)")
        if not check(value):
            raise StoreCorrupt(f"{path}: {key}: found {_short(value)}; allowed: {allowed}")
    runs, children = data["design"]["runs"], data["seeds"]["children"]
    if len(children) != runs:
        raise StoreCorrupt(f"{path}: seeds.children: found {len(children)} seeds; allowed: design.runs ({runs})")
    return data


def read_manifest(root: str | Path) -> dict[str, Any] | None:
    """The manifest of the store at ``root``, or ``None`` if there is none.

    Raises:
        StoreCorrupt: the manifest cannot be read, is not JSON or lacks an entry.
    """
    path = Path(root) / MANIFEST
    if not path.is_file():
        return None
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as err:
        raise StoreCorrupt(
            f"{path}: not valid JSON (line {err.lineno}, column {err.colno}: {err.msg}); "
            "restore it, or use another folder"
        ) from None
    except UnicodeDecodeError:
        raise StoreCorrupt(f"{path}: not UTF-8 text; allowed: the JSON manifest sandbox writes") from None
    except OSError as err:
        raise StoreCorrupt(f"{path}: cannot read: {err.strerror or err}") from None
    return check_manifest(data, path)


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


def _check_same(root: Path, stored: dict[str, Any], manifest: dict[str, Any]) -> None:
    """Refuse ``root`` unless it holds this experiment, with as many runs or fewer."""
    diffs = [d for d in _differences(identity(stored), identity(manifest)) if d not in GROWS]
    if diffs:
        first = diffs[0]
        raise StoreMismatch(
            f"{root}: holds a different experiment ({first}: stored {_short(_lookup(stored, first))}, "
            f"now {_short(_lookup(manifest, first))}); use another folder or remove it"
        )
    have, want = stored["design"]["runs"], manifest["design"]["runs"]
    if want < have:
        raise StoreMismatch(
            f"{root}: holds {have} runs (design.runs), asked for {want}; allowed: {have} or more "
            "(a store only grows; read the first runs from its tables, or use another folder)"
        )
    if manifest["seeds"]["children"][:have] != stored["seeds"]["children"]:
        raise StoreMismatch(f"{root}: holds a different experiment (seeds.children); use another folder or remove it")


# --- files -----------------------------------------------------------------------------------


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as file:
        for block in iter(lambda: file.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _temporary(path: Path) -> Path:
    """The temporary name this process writes ``path`` under."""
    return path.with_name(f".{path.name}.{os.getpid()}.tmp")


def _write_atomic(path: Path, text: str) -> None:
    """Write ``text`` to a temporary file, then move it onto ``path``."""
    tmp = _temporary(path)
    try:
        tmp.write_text(text, encoding="utf-8")
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


def _alive(pid: int) -> bool:
    """Whether another process with this id is running (it may still be writing its temporary files)."""
    if pid == os.getpid():
        return False  # ours: nothing is being written while a store opens
    try:
        os.kill(pid, 0)
    except (ProcessLookupError, OverflowError, ValueError):
        return False
    except PermissionError:
        return True
    return True


def remove_leftovers(root: Path) -> list[Path]:
    """Remove the temporary files that killed writers left in the store; the paths removed."""
    removed = []
    for folder in (root, root / RUNS, root / FAILED):
        if not folder.is_dir():
            continue
        for path in folder.iterdir():
            match = TEMPORARY.match(path.name)
            if match and path.is_file() and not _alive(int(match["pid"])):
                path.unlink(missing_ok=True)
                removed.append(path)
    return removed


def _stray_entry(root: Path) -> Path | None:
    """The first entry of a folder without manifest that a killed store could not have left, if any."""
    for path in sorted(root.iterdir()):
        if TEMPORARY.match(path.name) and path.is_file():
            continue
        if path.name in (RUNS, FAILED) and path.is_dir() and not path.is_symlink():
            inside = sorted(p for p in path.iterdir() if not TEMPORARY.match(p.name))
            if inside:
                return inside[0]
            continue
        return path
    return None


def verify_runs(root: str | Path, manifest: dict[str, Any]) -> None:
    """Check every file in ``runs/`` against the sha256 the manifest records for it.

    Raises:
        StoreCorrupt: naming the first file that is not recorded (copied in)
            or whose contents differ (edited).
    """
    runs_dir = Path(root) / RUNS
    if not runs_dir.is_dir():
        return
    recorded = manifest["checksums"]
    for path in sorted(runs_dir.iterdir()):
        if TEMPORARY.match(path.name):
            continue  # being written, or removed when the store is next opened
        expected = recorded.get(path.name)
        if expected is None or not path.is_file():
            raise StoreCorrupt(
                f"{path}: not written by this experiment (no checksum in {MANIFEST}; copied in?); "
                "allowed: only the run files the experiment wrote; remove it"
            )
        if _sha256(path) != expected:
            raise StoreCorrupt(
                f"{path}: contents differ from the sha256 recorded in {MANIFEST} (edited?); "
                "remove it to run that run again, or use another folder"
            )


def verified_manifest(root: str | Path) -> dict[str, Any]:
    """The manifest of the store at ``root``, after checking it and every run file's checksum.

    Raises:
        StoreCorrupt: no manifest, a damaged one, or a run file edited or copied in.
    """
    root = Path(root)
    manifest = read_manifest(root)
    if manifest is None:
        raise StoreCorrupt(f"{root}: no {MANIFEST}; allowed: an experiment store (replicate, compare or sweep)")
    verify_runs(root, manifest)
    return manifest


def load_runs(root: str | Path) -> tuple[dict[str, Any], dict[str, tuple[pd.DataFrame, pd.DataFrame]]]:
    """The verified manifest and the finished runs of a store: key to (summary row, monthly series).

    Raises:
        StoreCorrupt: as for :func:`verified_manifest`.
    """
    root = Path(root)
    manifest = verified_manifest(root)
    runs_dir = root / RUNS
    keys = sorted(_finished_keys(runs_dir)) if runs_dir.is_dir() else []
    runs = {
        key: (
            pd.read_parquet(runs_dir / f"{key}{SUMMARY_SUFFIX}"),
            pd.read_parquet(runs_dir / f"{key}{MONTHLY_SUFFIX}"),
        )
        for key in keys
    }
    return manifest, runs


def _finished_keys(runs_dir: Path) -> set[str]:
    summaries = {p.name.removesuffix(SUMMARY_SUFFIX) for p in runs_dir.glob(f"*{SUMMARY_SUFFIX}")}
    monthly = {p.name.removesuffix(MONTHLY_SUFFIX) for p in runs_dir.glob(f"*{MONTHLY_SUFFIX}")}
    return {key for key in summaries & monthly if not key.startswith(".")}


# --- the store -------------------------------------------------------------------------------


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
        """Create the store at ``root``, or reopen it to resume or extend the same experiment.

        Removes the temporary files a killed session left, and checks every
        stored run file against its recorded checksum.

        Args:
            root: the experiment folder.
            manifest: this experiment's manifest (see :func:`identity` for the
                entries that must match a stored one).

        Raises:
            StoreMismatch: ``root`` is a file, a folder that is not an
                experiment store, a store of a different experiment, or one
                with more runs than asked for.
            StoreCorrupt: a damaged manifest, or a run file edited or copied in.
        """
        root = Path(root)
        if root.exists() and not root.is_dir():
            raise StoreMismatch(f"{root}: exists and is not a folder")
        # Through strict JSON, so tuples compare equal to the stored lists and NaN to null.
        manifest = json.loads(json.dumps(strict(manifest), default=str))
        stored = read_manifest(root)
        if stored is None:
            stray = _stray_entry(root) if root.is_dir() else None
            if stray is not None:
                raise StoreMismatch(
                    f"{root}: not empty ({stray.relative_to(root)}) and has no {MANIFEST}; "
                    "allowed: a new or empty folder, or a store of this experiment"
                )
            manifest.update(started=now(), sessions=[], checksums={})
        else:
            _check_same(root, stored, manifest)
            verify_runs(root, stored)
            # Keep the first start time, the history and the runs' checksums.
            manifest.update(started=stored.get("started"), sessions=stored["sessions"], checksums=stored["checksums"])
        manifest["finished"] = None
        manifest["sessions"].append({"started": now(), "finished": None})
        store = cls(root, manifest)
        root.mkdir(parents=True, exist_ok=True)
        remove_leftovers(root)
        # The manifest first: a kill from here on leaves a folder that resumes.
        store.write_manifest()
        store.runs_dir.mkdir(exist_ok=True)
        store.failed_dir.mkdir(exist_ok=True)
        return store

    def write_manifest(self) -> None:
        """Write ``manifest.json`` (atomically, strict JSON)."""
        _write_atomic(self.root / MANIFEST, dumps(self.manifest) + "\n")

    def finished(self) -> set[str]:
        """Keys of the runs whose summary and monthly files are both in place."""
        return _finished_keys(self.runs_dir)

    def write_runs(self, runs: Sequence[tuple[str, pd.DataFrame, pd.DataFrame]]) -> None:
        """Write finished runs, each ``(key, summary row, monthly series)``, with one manifest update.

        Each file is written under a temporary name and its sha256 recorded
        in the manifest before it is moved into place, so a kill never leaves
        a run file whose checksum is not recorded.
        """
        staged: list[tuple[Path, Path]] = []
        try:
            for key, summary, monthly in runs:
                for suffix, frame in ((MONTHLY_SUFFIX, monthly), (SUMMARY_SUFFIX, summary)):
                    final = self.runs_dir / f"{key}{suffix}"
                    # Half of an unfinished run, written before: gone before its checksum changes.
                    final.unlink(missing_ok=True)
                    tmp = _temporary(final)
                    frame.to_parquet(tmp, index=False)
                    self.manifest["checksums"][final.name] = _sha256(tmp)
                    staged.append((tmp, final))
            self.write_manifest()
            for tmp, final in staged:
                os.replace(tmp, final)
        finally:
            for tmp, _ in staged:
                tmp.unlink(missing_ok=True)
        for key, _, _ in runs:
            (self.failed_dir / f"{key}.json").unlink(missing_ok=True)

    def write_run(self, key: str, summary: pd.DataFrame, monthly: pd.DataFrame) -> None:
        """Write one finished run (see :meth:`write_runs`)."""
        self.write_runs([(key, summary, monthly)])

    def read_run(self, key: str) -> tuple[pd.DataFrame, pd.DataFrame]:
        """The summary (one row) and monthly series of a finished run (checked when the store was opened)."""
        summary = pd.read_parquet(self.runs_dir / f"{key}{SUMMARY_SUFFIX}")
        monthly = pd.read_parquet(self.runs_dir / f"{key}{MONTHLY_SUFFIX}")
        return summary, monthly

    def write_failure(self, key: str, record: dict[str, Any]) -> None:
        """Record a run that raised (``failed/<key>.json``)."""
        _write_atomic(self.failed_dir / f"{key}.json", dumps(record) + "\n")

    def failures(self) -> dict[str, dict[str, Any]]:
        """The failure records in the folder, by run key."""
        return {p.stem: json.loads(p.read_text()) for p in sorted(self.failed_dir.glob("*.json"))}

    def close(self, ran: int, failed: int) -> None:
        """Record the end of this session in the manifest."""
        end = now()
        self.manifest["finished"] = end
        self.manifest["sessions"][-1].update(finished=end, ran=ran, failed=failed)
        self.write_manifest()
