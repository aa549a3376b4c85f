"""Step 10: the monthly series (MODEL.md section 5) and the failure log."""

from __future__ import annotations

import math
from collections import defaultdict
from typing import TYPE_CHECKING

import numpy as np

from sandbox.market.platforms import CAUSES, FRAUD, INTERMEDIARY, POOL

if TYPE_CHECKING:
    from sandbox.market.credit import CreditMonth
    from sandbox.market.model import SandboxModel


def larger(a: float, b: float) -> float:
    """The larger of two errors, NaN if either is (Python's ``max`` keeps whichever comes first)."""
    return math.nan if math.isnan(a) or math.isnan(b) else max(a, b)


class Recorder:
    """Collects one row of model series per month, and one record per failure."""

    def __init__(self, model: SandboxModel) -> None:
        self.model = model
        self.rows: list[dict[str, float | int | str]] = []
        self.failures: list[tuple[int, int, int]] = []  # (month, platform row, cause)
        self._month: dict[str, float] = defaultdict(float)
        self.max_error = 0.0
        self.max_rel_error = 0.0

    @staticmethod
    def cause_name(cause: int) -> str:
        return CAUSES[cause]

    def count(self, key: str, k: float) -> None:
        """Add ``k`` to this month's counter ``key``."""
        self._month[key] += k

    def add_credit(self, credit: CreditMonth) -> None:
        """Add a month of the credit market (yuan): sought, lent, excluded by a cap (and of
        that, borrowed informally), excluded by limits, and APR x amount lent."""
        self._month["credit_sought"] += credit.sought
        self._month["new_credit"] += credit.new
        self._month["credit_excluded_cap"] += credit.excluded_cap
        self._month["credit_informal"] += credit.informal
        self._month["credit_excluded_limit"] += credit.excluded_limit
        self._month["apr_weighted"] += credit.apr_weighted

    def add_defaults(self, defaults: int, performing: int) -> None:
        """Add this month's defaults and the loans that were due (performing or not)."""
        self._month["defaults"] += defaults
        self._month["loans_due"] += performing

    def record_failures(self, rows: np.ndarray, cause: int) -> None:
        """Log failures of platform ``rows`` (their wind-downs already set up) by cause, and
        count them as WDZJ does: an orderly wind-down, exit or conversion is a closed
        platform (停业, 转型); any other failure a problem platform (跑路 absconded,
        提现困难 withdrawal stop, 经侦介入 police case)."""
        self.failures.extend((self.model.month, int(r), cause) for r in rows)
        self._month[f"failures_{CAUSES[cause]}"] += rows.size
        closed = int(np.count_nonzero(self.model.book.orderly[rows]))
        self._month["new_closed"] += closed
        self._month["new_problem"] += rows.size - closed

    def end_month(self, accounting_error: float, market_size: float) -> None:
        """Close the month: take the snapshot that becomes one row of ``monthly``."""
        m = self.model
        book, env = m.book, m.environment
        n = book.n
        alive = book.alive()
        kind = book.kind[:n]
        claims = book.claims()
        c = self._month
        c.pop("new_losers", None)  # losers are counted from the losses themselves (_book_losses)
        row: dict[str, float | int | str] = {
            "month": m.month_label(),
            "alive_intermediary": int((alive & (kind == INTERMEDIARY)).sum()),
            "alive_pool": int((alive & (kind == POOL)).sum()),
            "alive_fraud": int((alive & (kind == FRAUD)).sum()),
            "alive_total": int(alive.sum()),
            "entries": int(c["entries"]),
            "refused_entries": int(c["refused"]),
            "refused_fraud_entries": int(c["refused_fraud"]),
            "conversions": int(c["conversions"]),
        }
        for cause in CAUSES:
            row[f"failures_{cause}"] = int(c[f"failures_{cause}"])
        row["failures_total"] = sum(int(c[f"failures_{cause}"]) for cause in CAUSES)
        row["new_problem"] = int(c["new_problem"])
        row["new_closed"] = int(c["new_closed"])
        loans = float(book.loans[:n][alive].sum())
        new_credit = c["new_credit"]
        row.update(
            loan_balance=loans,
            investor_money=float(claims[alive].sum()),
            credit_sought=c["credit_sought"],
            new_credit=new_credit,
            credit_excluded_cap=c["credit_excluded_cap"],
            credit_informal=c["credit_informal"],
            credit_gone_without=c["credit_excluded_cap"] - c["credit_informal"],
            credit_excluded_limit=c["credit_excluded_limit"],
            avg_yield=float(np.average(book.promised_yield[:n][alive], weights=claims[alive] + 1.0))
            if alive.any()
            else float("nan"),
            avg_apr=c["apr_weighted"] / new_credit if new_credit > 0 else float("nan"),
            defaults=round(c["defaults"] * m.borrowers.weight),  # real borrowers' loans
            loans_due=round(c["loans_due"] * m.borrowers.weight),
            default_rate=c["defaults"] / c["loans_due"] if c["loans_due"] > 0 else 0.0,
            overindebted_share=self._overindebted_share(),
            sentiment=env.sentiment,
            benchmark_rate=env.benchmark_rate,
            macro=env.hazard_multiplier,
            inspections=sum(r.inspections for r in m.regulators),
            enforcement_actions=sum(sum(r.actions.values()) for r in m.regulators),
            public_warnings=sum(r.public_warnings for r in m.regulators),
            run_requests=round(c["run_requests"] * m.investors.weight),  # real investors' holdings
            **self._book_losses(),
            diverted_cumulative=m.ledger.diverted,
            accounting_error=accounting_error,
        )
        scale = max(market_size, m.ledger.capital_in, 1.0)
        self.max_error = larger(self.max_error, accounting_error)
        self.max_rel_error = larger(self.max_rel_error, accounting_error / scale)
        self.rows.append(row)
        self._month = defaultdict(float)

    def settle_last_month(self) -> None:
        """After the horizon's wind-downs are settled, value what investors still hold at
        its end (:meth:`~sandbox.market.investors.InvestorPopulation.settle_at_horizon`):
        the last row's loss columns then equal the run summary's."""
        self._month.pop("new_losers", None)
        self.model.investors.settle_at_horizon(self.model.book.unit_value)
        losses = self._book_losses()
        if self.rows:
            self.rows[-1].update(losses)

    def _book_losses(self) -> dict[str, float | int]:
        """Investors' losses so far (the loss column of the platform book included).

        ``cumulative_investor_loss`` is the sum of every investor's loss as defined in
        :meth:`~sandbox.market.investors.InvestorPopulation.loss_definition` (realised
        during the run, at end values in the last row); ``investors_with_loss`` counts
        the investors with one. The definition nets each investor's own results, so
        this sum can fall: a gain realised later covers an earlier loss, and in the
        last row holdings still held count at their end value (accrued interest
        included) instead of at cost. ``cumulative_holding_loss`` sums the losses per
        holding before that netting (the platforms' ``investor_loss``): booked once,
        never reversed, so it cannot fall, and it is never below the investors' sum.
        """
        inv, book = self.model.investors, self.model.book
        book.investor_loss[: book.n] = inv.platform_results(book.n)[0]
        return {
            "cumulative_investor_loss": float(inv.lost.sum()),
            "investors_with_loss": round(np.count_nonzero(inv.lost) * inv.weight),
            "cumulative_holding_loss": float(book.investor_loss[: book.n].sum()),
        }

    def _overindebted_share(self) -> float:
        """Share of indebted borrowers who owe on two or more platforms and more than they can carry."""
        b = self.model.borrowers
        debt = b.debt()
        indebted = np.count_nonzero(debt)  # an open loan has principal left until its last instalment
        if not indebted:
            return 0.0
        # Few borrowers owe more than they can carry: check only those for a second lender.
        few = np.flatnonzero(debt > b.capacity)
        plat = np.take(b.platform, few, axis=0)  # take: several times faster than fancy indexing
        first = plat[:, 0].copy()
        for k in range(1, plat.shape[1]):
            first = np.where(first >= 0, first, plat[:, k])
        multi = np.zeros(few.size, dtype=bool)
        for k in range(plat.shape[1]):
            multi |= (plat[:, k] >= 0) & (plat[:, k] != first)
        return float(multi.sum() / indebted)
