"""The result of one run: tidy tables and the summary metrics (MODEL.md section 5)."""

from __future__ import annotations

import errno
import os
import secrets
import shutil
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from sandbox.common.outputs import write_csv, write_json
from sandbox.market.platforms import CAUSES, CREDIT_CONTAGION, FRAUD, ILLIQUIDITY_RUN, KINDS, STATES
from sandbox.market.products import product_summary

if TYPE_CHECKING:
    from sandbox.market.model import SandboxModel

# Above this many investors, ``investors`` is a percentile summary rather than one row each.
INVESTOR_DETAIL_MAX = 250_000
PERCENTILES = (0, 10, 20, 30, 40, 50, 60, 70, 80, 90, 95, 99, 99.9, 100)


@dataclass
class RunResult:
    """What one run produced.

    Attributes:
        monthly: one row per month (the series of MODEL.md section 5).
        platforms: one row per platform that ever operated.
        investors: one row per investor (``invested``, ``received``, ``held``: the
            value of its holdings at the horizon, and ``lost``), or at large scale a
            percentile summary of losses (``kind == "percentile"`` rows) among
            investors who invested. Losses are defined once, in
            :meth:`~sandbox.market.investors.InvestorPopulation.loss_definition`.
        failures: one row per failure: month, platform, cause, the failure that
            most plausibly triggered it (``trigger``, e.g. ``platform 12`` or
            ``guarantor 0``), the ``channel`` it came through, and its cascade
            (``root``, ``depth``).
        summary: the per-run metrics (see :func:`summarize`).
        counterfactuals: with ``run(..., counterfactuals=True)``, per channel the
            failures attributed to it (the primary figure), the failures with and
            without it, and how many disappear (and appear) without it.
        tables: further tables by name, each saved as ``<name>.csv``: with
            jurisdictions, ``monthly_by_jurisdiction``, ``relocations`` and
            ``summary_by_jurisdiction`` (:mod:`sandbox.market.jurisdictions`).
    """

    monthly: pd.DataFrame
    platforms: pd.DataFrame
    investors: pd.DataFrame
    failures: pd.DataFrame
    summary: dict[str, Any] = field(default_factory=dict)
    counterfactuals: pd.DataFrame | None = None
    scenario: dict[str, Any] | None = None
    tables: dict[str, pd.DataFrame] = field(default_factory=dict)  # more tables, each written as <name>.csv

    def save(self, out: str | Path | OutputFolder, overwrite: bool = False) -> Path:
        """Write ``monthly.csv``, ``platforms.csv``, ``failures.csv``, ``investors.parquet``
        (or ``investors.csv`` for a summary), ``counterfactuals.csv`` (if computed),
        ``scenario.json`` and ``summary.json`` as the folder ``out``.

        The files are written into a temporary sibling folder that then replaces
        ``out`` whole, so the folder never mixes two runs' files. CSV text cells
        cannot run as spreadsheet formulas; JSON is strict (non-finite as ``null``).

        Args:
            out: the folder, or an :class:`OutputFolder` reserved before the run
                (which checks that the folder can be written before simulating).
            overwrite: replace a non-empty ``out``; without it such a folder is refused.

        Raises:
            OutputFolderError: ``out`` is a file, is not empty (without ``overwrite``),
                or cannot be written.
        """
        folder = out if isinstance(out, OutputFolder) else OutputFolder.reserve(out, overwrite)
        with folder:
            self._write(folder.staging)
            return folder.commit()

    def _write(self, out: Path) -> None:
        """Write every file into the (empty) folder ``out``."""
        write_csv(self.monthly, out / "monthly.csv")
        write_csv(self.platforms, out / "platforms.csv")
        write_csv(self.failures, out / "failures.csv")
        if "investor" in self.investors.columns:
            self.investors.to_parquet(out / "investors.parquet", index=False)
        else:
            write_csv(self.investors, out / "investors.csv")
        if self.counterfactuals is not None:
            write_csv(self.counterfactuals, out / "counterfactuals.csv")
        for name, table in self.tables.items():
            write_csv(table, out / f"{name}.csv")
        if self.scenario is not None:  # what was run, resolved (reports mark rule dates from it)
            write_json(self.scenario, out / "scenario.json")
        write_json(self.summary, out / "summary.json")


class OutputFolderError(OSError):
    """An output folder that cannot be used; the message is one line naming it."""


@dataclass
class OutputFolder:
    """An output folder being written: files go into ``staging``, a fresh hidden
    sibling of ``target``, which then takes ``target``'s place in one rename.

    Reserve it before simulating (:meth:`reserve`): creating the sibling is the
    check that the folder can be written. Use it as a context manager so that
    the sibling is removed if the run fails.
    """

    target: Path
    staging: Path
    overwrite: bool = False

    @classmethod
    def reserve(cls, target: str | Path, overwrite: bool = False) -> OutputFolder:
        """Check ``target`` and create its staging sibling.

        Raises:
            OutputFolderError: ``target`` is a file, is a non-empty folder (without
                ``overwrite``), holds the current folder, or its parent cannot be written.
        """
        shown = Path(target)
        try:
            target = shown.resolve()  # a symlinked folder: replace what it points at, keep the link
            if target.exists() and not target.is_dir():
                raise OutputFolderError(f"{shown}: exists and is not a folder")
            if target.is_dir() and any(target.iterdir()):
                _check_replaceable(shown, target, overwrite)
            blocking = next((a for a in target.parents if a.exists() and not a.is_dir()), None)
            if blocking is not None:
                raise OutputFolderError(f"{shown}: cannot write there: {blocking} is a file, not a folder")
            target.parent.mkdir(parents=True, exist_ok=True)
            return cls(target, _fresh_sibling(target, "tmp"), overwrite)
        except (OSError, RuntimeError) as err:  # RuntimeError: a symlink loop (Python < 3.13)
            if isinstance(err, OutputFolderError):
                raise
            reason = err.strerror if isinstance(err, OSError) and err.strerror else err
            raise OutputFolderError(f"{shown}: cannot write there: {reason}") from None

    def commit(self) -> Path:
        """Move the staging folder into place (replacing ``target`` if ``overwrite``); returns ``target``."""
        try:
            os.rename(self.staging, self.target)  # atomic; succeeds onto a missing or empty folder
            return self.target
        except OSError as err:
            if err.errno not in (errno.ENOTEMPTY, errno.EEXIST) or not self.overwrite:
                reason = (
                    "it was filled during the run"
                    if err.errno in (errno.ENOTEMPTY, errno.EEXIST)
                    else (err.strerror or str(err))
                )
                raise OutputFolderError(f"{self.target}: cannot move results into place: {reason}") from None
        old = self.staging.with_name(self.staging.name.removesuffix(".tmp") + ".old")
        os.rename(self.target, old)  # two renames: the earlier run is away only between them
        try:
            os.rename(self.staging, self.target)
        except OSError:
            os.rename(old, self.target)
            raise
        shutil.rmtree(old, ignore_errors=True)
        return self.target

    def discard(self) -> None:
        """Remove the staging folder, if it is still there."""
        shutil.rmtree(self.staging, ignore_errors=True)

    def __enter__(self) -> OutputFolder:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        self.discard()  # after a commit there is nothing left to remove


def _check_replaceable(shown: Path, target: Path, overwrite: bool) -> None:
    """Refuse to replace a non-empty folder without ``overwrite``, and ever to replace
    one holding the current folder or the home folder (a mistyped ``--out .``) or
    one that holds no earlier run (a mistyped ``--out scenarios``)."""
    if not overwrite:
        raise OutputFolderError(
            f"{shown}: folder is not empty (an earlier run's files?); choose a new "
            "folder, or overwrite to replace it wholly (--overwrite)"
        )
    if Path.cwd().resolve().is_relative_to(target) or Path.home().resolve().is_relative_to(target):
        raise OutputFolderError(f"{shown}: holds the current or home folder; refusing to replace it")
    if not (target / "summary.json").is_file():
        # --overwrite deletes the folder: only an earlier run's, never a mistyped
        # project folder or the folder holding the scenario files.
        raise OutputFolderError(
            f"{shown}: holds no earlier run (no summary.json); refusing to replace a folder "
            "of other files; choose a new or empty folder"
        )


def _fresh_sibling(target: Path, suffix: str) -> Path:
    """Create and return a new hidden folder next to ``target`` (honouring the umask)."""
    while True:
        candidate = target.with_name(f".{target.name}.{secrets.token_hex(4)}.{suffix}")
        try:
            candidate.mkdir()
            return candidate
        except FileExistsError:
            continue


def collect(model: SandboxModel) -> RunResult:
    """Build the tables and the summary from a finished model."""
    monthly = pd.DataFrame(model.recorder.rows)
    platforms = _platform_table(model)
    investors = _investor_table(model)
    failures = cascades(model)
    result = RunResult(monthly, platforms, investors, failures, scenario=model.config.to_dict())
    result.summary = summarize(model, monthly, platforms, failures)
    if model.jurisdictions is not None:  # by jurisdiction (market/jurisdictions.py)
        result.tables = model.jurisdictions.tables()
        result.summary |= model.jurisdictions.summary()
    return result


def cascades(model: SandboxModel) -> pd.DataFrame:
    """The failure log with attribution and cascade trees.

    Each failure points at its trigger (a platform that failed earlier or in
    the same month, or a guarantee company); following triggers up gives the
    cascade's ``root`` and the failure's ``depth`` in it (0 for a root).
    """
    rows = []
    for month, row, cause in model.recorder.failures:
        trigger, channel = model.attribution.get(row, (None, None))
        rows.append((model.month_label(month), month, row, CAUSES[cause], trigger, channel))
    table = pd.DataFrame(rows, columns=["month", "month_index", "platform", "cause", "trigger", "channel"])
    parent = {row: trigger for _, _, row, _, trigger, _ in rows}
    roots, depths = [], []
    for row in table["platform"]:
        node, depth, seen = f"platform {row}", 0, set()
        while True:
            up = parent.get(int(node.split()[1])) if node.startswith("platform ") else None
            if up is None or node in seen:
                break
            seen.add(node)
            node, depth = up, depth + 1
        roots.append(node)
        depths.append(depth)
    table["root"] = roots
    table["depth"] = depths
    return table


def _platform_table(model: SandboxModel) -> pd.DataFrame:
    book = model.book
    n = book.n
    label = model.month_label
    losses, gains = model.investors.platform_results(n)
    return pd.DataFrame(
        {
            "platform": np.arange(n),
            "kind": [KINDS[k] for k in book.kind[:n]],
            "status": [STATES[s] for s in book.status[:n]],
            "entry_month": [label(int(m)) for m in book.entry_month[:n]],
            "failure_month": [label(int(m)) if m >= 0 else None for m in book.fail_month[:n]],
            "failure_cause": [CAUSES[c] if c >= 0 else None for c in book.fail_cause[:n]],
            "orderly": np.where(book.fail_month[:n] >= 0, book.orderly[:n], False),
            "region": book.region[:n],
            "promised_yield": book.base_yield[:n],
            "capital": book.capital[:n],
            "custody": book.custody[:n],
            "peak_claims": book.claims_peak[:n],
            "claims_at_failure": book.claims_at_failure[:n],
            # Per holding, before netting an investor's results across platforms:
            # summed over platforms, investor_loss - investor_gain equals the
            # investors' invested - received - held.
            "investor_loss": losses,
            "investor_gain": gains,
            "recovered": book.recovered[:n],
            "diverted": book.diverted[:n],
            "fines": book.fines[:n],
            "detected_month": [label(int(m)) if m >= 0 else None for m in book.detected_month[:n]],
        }
    )


def _investor_table(model: SandboxModel) -> pd.DataFrame:
    """Each simulated investor, in yuan per real investor it stands for (``represents`` of them);
    or, above :data:`INVESTOR_DETAIL_MAX` of them, percentiles of loss per real investor."""
    inv = model.investors
    w = inv.weight
    if inv.n <= INVESTOR_DETAIL_MAX:
        return pd.DataFrame(
            {
                "investor": np.arange(inv.n),
                "represents": w,
                "budget": inv.budget / w,
                "literacy": inv.literacy,
                "invested": inv.invested / w,
                "received": inv.received / w,
                "held": inv.held() / w,
                "lost": inv.lost / w,
            }
        )
    took_part = inv.invested > 0
    lost = inv.lost[took_part] / w
    share = inv.lost[took_part] / inv.invested[took_part]
    return pd.DataFrame(
        {
            "kind": "percentile",
            "percentile": PERCENTILES,
            "lost": np.percentile(lost, PERCENTILES) if lost.size else np.zeros(len(PERCENTILES)),
            "lost_share_of_invested": np.percentile(share, PERCENTILES) if share.size else 0.0,
            "investors": round(int(took_part.sum()) * w),
        }
    )


def gini(x: np.ndarray) -> float:
    """Gini coefficient of non-negative values (0: equal, 1: one holds all)."""
    x = np.sort(np.asarray(x, dtype=float))
    n = x.size
    if n == 0 or x.sum() <= 0:
        return 0.0
    cum = np.cumsum(x)
    return float((n + 1 - 2 * (cum.sum() / cum[-1])) / n)


def largest_wave_share(monthly: pd.DataFrame, window: int = 3) -> float:
    """Most failures in any ``window`` consecutive months, as a share of platforms alive before them."""
    fails = monthly["failures_total"].to_numpy(dtype=float)
    alive = monthly["alive_total"].to_numpy(dtype=float)
    if fails.size == 0:
        return 0.0
    # Platforms alive at the start of month t: those alive at the end of t-1.
    start = np.r_[alive[0] + fails[0], alive[:-1]]
    best = 0.0
    for t in range(fails.size):
        best = max(best, fails[t : t + window].sum() / max(start[t], 1.0))
    return float(best)


def _largest_cascade(table: pd.DataFrame | None) -> int:
    """Platform failures in the largest cascade tree (1 when nothing spread)."""
    if table is None or table.empty:
        return 0
    return int(table.groupby("root").size().max())


def summarize(
    model: SandboxModel, monthly: pd.DataFrame, platforms: pd.DataFrame, failures: pd.DataFrame | None = None
) -> dict[str, Any]:
    """The per-run metrics of MODEL.md section 5.

    Every loss figure (``investor_loss_total`` and the shares, Gini and percentile
    built on it) reads the investors' losses as defined in
    :meth:`~sandbox.market.investors.InvestorPopulation.loss_definition`, after the
    horizon is settled; ``investor_gain_total`` is the matching sum of gains, so
    ``investor_loss_total - investor_gain_total`` equals money put in less money
    taken out less the value still held, over all investors. ``fraud_loss_total``
    is the part of the platforms' ``investor_loss`` booked on frauds (per holding,
    before netting an investor's gains elsewhere).
    """
    cascade_table = failures
    inv = model.investors
    took_part = inv.invested > 0
    lost = inv.lost[took_part]
    invested = inv.invested[took_part]
    loss_total = float(inv.lost.sum())
    net = inv.invested - inv.received - inv.held()
    gain_total = float(np.maximum(-net, 0.0).sum())
    peak = float(monthly["investor_money"].max()) if len(monthly) else 0.0
    causes = {c: int((platforms["failure_cause"] == c).sum()) for c in CAUSES}
    failures = sum(causes.values())
    contagion = causes[CAUSES[ILLIQUIDITY_RUN]] + causes[CAUSES[CREDIT_CONTAGION]]
    excluded_cap = float(monthly["credit_excluded_cap"].sum())
    excluded_limit = float(monthly["credit_excluded_limit"].sum())
    informal = float(monthly["credit_informal"].sum())
    book = model.book
    n = book.n
    fraud = book.kind[:n] == FRAUD
    detected = fraud & (book.detected_month[:n] >= 0)
    due = float(monthly["loans_due"].sum())
    defaults = float(monthly["defaults"].sum())
    participants = max(int(took_part.sum()), 1)

    def share_over(k: float) -> float:
        return float((lost > k * invested).sum() / participants)

    return {
        "scenario": model.config.name,
        "seed": model.seed,
        "months": model.months,
        "investor_loss_total": loss_total,
        "investor_loss_share": loss_total / peak if peak > 0 else 0.0,
        "investor_gain_total": gain_total,
        "investors_with_loss_share": float((lost > 0).sum() / participants),
        "investors_losing_over_10pct": share_over(0.10),
        "investors_losing_over_50pct": share_over(0.50),
        "loss_gini": gini(lost),
        "loss_p99": float(np.percentile(lost, 99)) / inv.weight if lost.size else 0.0,  # per real investor
        "platform_failures": failures,
        "failures_by_cause": causes,
        "largest_wave_share": largest_wave_share(monthly),
        "contagion_share": contagion / failures if failures else 0.0,
        "largest_cascade": _largest_cascade(cascade_table),
        "triggered_failures": int(cascade_table["trigger"].notna().sum()) if cascade_table is not None else 0,
        "guarantor_failures": len(model.guarantor_failures),
        "fraud_loss_total": float(platforms["investor_loss"].to_numpy()[fraud].sum()),
        "diverted_total": float(model.ledger.diverted),
        "recovery_rate": float(book.recovered[:n].sum() / max(book.claims_at_failure[:n].sum(), 1.0)),
        "credit_supplied_total": float(monthly["new_credit"].sum()),
        "credit_excluded_total": excluded_cap + excluded_limit,
        "credit_excluded_cap": excluded_cap,
        "credit_informal": informal,
        "credit_gone_without": excluded_cap - informal,
        "credit_excluded_limit": excluded_limit,
        "borrower_default_rate": float(1 - (1 - defaults / due) ** 12) if due > 0 else 0.0,
        "overindebted_share": float(monthly["overindebted_share"].mean()) if len(monthly) else 0.0,
        "entries": int(monthly["entries"].sum()),
        "fraud_entries": int((fraud & (book.entry_month[:n] >= 0)).sum()),  # incumbents predate the start
        "refused_entries": int(monthly["refused_entries"].sum()),
        "frauds_detected": int(detected.sum()),
        "fraud_detection_months": float(np.mean(book.detected_month[:n][detected] - book.entry_month[:n][detected]))
        if detected.any()
        else None,
        "regulator_inspections": int(monthly["inspections"].iloc[-1]) if len(monthly) else 0,
        "enforcement_actions": int(monthly["enforcement_actions"].iloc[-1]) if len(monthly) else 0,
        "peak_investor_money": peak,
        "peak_loan_balance": float(monthly["loan_balance"].max()) if len(monthly) else 0.0,
        "represented_investors": model.config.market.investors.count,
        "represented_borrowers": model.config.market.borrowers.count,
        "investors_took_part": round(int(took_part.sum()) * inv.weight),
        "resolution": model.config.market.resolution,
        "accounting_max_abs_error": model.recorder.max_error,
        "accounting_max_rel_error": model.recorder.max_rel_error,
        **product_summary(model, monthly),  # internet finance beyond P2P lending, when the scenario has it
    }
