"""Exposure ties between platforms and third parties, cleared each month.

Two kinds of tie, both guarantees of loan losses:

- a guarantee company covers ``coverage`` of the loan losses of each platform
  it guarantees, for an annual fee;
- platforms in one business group cross-guarantee ``group_coverage`` of each
  other's losses, split evenly among the peers.

Each month the calls (what each guarantor owes each platform) form a
liabilities matrix among the nodes involved, and
:func:`sandbox.contagion.eisenberg_noe` clears it against each node's liquid
assets (a guarantor's capital, a platform's cash). A node that cannot pay all
its calls defaults; what it does not pay stays with its creditors. A
guarantee company that defaults stops guaranteeing; a platform that defaults
on its peers' calls fails (credit contagion through the exposure channel).

Guarantors are numbered ``0..G-1`` and live outside the platform book; in a
cascade they appear as ``guarantor g``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from sandbox.contagion import eisenberg_noe
from sandbox.market.params import ExposureParams

NONE = -1
# Codes for nodes outside the platform book, in exposure sources and triggers.
BANK_BASE = 1_000_000


def guarantor_code(g: int | np.ndarray) -> int | np.ndarray:
    return -(g + 2)


def bank_code(b: int) -> int:
    return -(BANK_BASE + b)


def node_label(code: int) -> str | None:
    """``platform 12``, ``guarantor 0``, ``bank 1``, or None for no node."""
    if code >= 0:
        return f"platform {code}"
    if code <= -BANK_BASE:
        return f"bank {-code - BANK_BASE}"
    if code < -1:
        return f"guarantor {-code - 2}"
    return None


@dataclass
class Settlement:
    """One month's clearing, per platform row (length ``n``) and per guarantor."""

    received: np.ndarray  # yuan each platform received on its calls
    paid: np.ndarray  # yuan each platform paid on its peers' calls
    unpaid: np.ndarray  # yuan of each platform's calls left unpaid
    source: np.ndarray  # node that left it the largest unpaid amount (row >= 0, guarantor g as -(g+2)), NONE
    defaulted_rows: np.ndarray  # platforms that could not pay their calls
    defaulted_guarantors: np.ndarray
    from_outside: float  # paid by guarantee companies (an outside sector)


class ExposureNetwork:
    """Who guarantees whom, and the guarantee companies' remaining capital."""

    def __init__(self, params: ExposureParams) -> None:
        self.params = params
        g = params.guarantors
        self.capital = np.full(g, float(params.guarantor_capital))
        self.failed_month = np.full(g, -1, dtype=np.int64)
        weights = 1.0 / np.arange(1, g + 1) ** params.concentration if g else np.zeros(0)
        self._share = weights / weights.sum() if g else weights
        self.guarantor = np.zeros(0, dtype=np.int64)
        self.group = np.zeros(0, dtype=np.int64)
        self.custodian = np.zeros(0, dtype=np.int64)
        self.bank_failures: list[tuple[int, int, float]] = []  # (month, bank, yuan lost)

    @property
    def active(self) -> bool:
        return self.params.guarantors > 0 or self.params.groups > 0

    def draw(self, k: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Ties of ``k`` applicants: (guarantor, group, custodian bank), -1 for none.

        Drawn for every applicant before screening, so the draws do not
        depend on the regime (common random numbers).
        """
        p = self.params
        u = rng.random((k, 2))
        guarantor = np.full(k, NONE)
        group = np.full(k, NONE)
        if p.guarantors:
            pick = rng.choice(p.guarantors, size=k, p=self._share)
            guarantor = np.where(u[:, 0] < p.guaranteed_share, pick, NONE)
        if p.groups:
            pick = rng.integers(0, p.groups, k)
            group = np.where(u[:, 1] < p.group_share, pick, NONE)
        custodian = rng.integers(0, p.custodians, k) if p.custodians else np.full(k, NONE)
        return guarantor, group, custodian

    def assign(self, rows: np.ndarray, guarantor: np.ndarray, group: np.ndarray, custodian: np.ndarray) -> None:
        """Record the ties of platforms that entered at ``rows``."""
        size = int(rows.max()) + 1 if rows.size else 0
        if size > self.guarantor.size:
            grow = size - self.guarantor.size
            self.guarantor = np.r_[self.guarantor, np.full(grow, NONE)]
            self.group = np.r_[self.group, np.full(grow, NONE)]
            self.custodian = np.r_[self.custodian, np.full(grow, NONE)]
        self.guarantor[rows] = guarantor
        self.group[rows] = group
        self.custodian[rows] = custodian

    def declare(self) -> None:
        """Apply the scenario's declared ties to the initial platforms (rows 0..initial-1)."""
        for tie in self.params.ties:
            rows = np.asarray(tie.platforms)
            for kind in ("guarantor", "group", "custodian"):
                value = getattr(tie, kind)
                if value is not None:
                    getattr(self, kind)[rows] = value

    def fees(self, loans: np.ndarray, alive: np.ndarray) -> np.ndarray:
        """Monthly guarantee fee each platform owes its (live) guarantor."""
        n = loans.size
        g = self.guarantor[:n]
        covered = alive & (g >= 0)
        covered[covered] &= self.failed_month[g[covered]] < 0
        return np.where(covered, self.params.guarantee_fee / 12.0 * loans, 0.0)

    def collect_fees(self, fee: np.ndarray) -> None:
        g = self.guarantor[: fee.size]
        has = fee > 0
        np.add.at(self.capital, g[has], fee[has])

    def settle(self, loss: np.ndarray, cash: np.ndarray, alive: np.ndarray, backstop: bool) -> Settlement:
        """Clear this month's calls on the loan losses ``loss`` (per platform row).

        Args:
            loss: loan losses booked this month, per platform row.
            cash: each platform's cash, what it can pay its peers' calls from.
            alive: platforms still operating (only they guarantee peers).
            backstop: if True (the exposure channel switched off), every call is
                paid in full from outside, so no loss passes through the ties.
        """
        p = self.params
        n = loss.size
        G = p.guarantors
        gid = self.guarantor[:n]
        # Calls on a guarantor that has failed go unpaid: the cover its platforms
        # counted on is gone, and that loss came through the tie.
        covered = (gid >= 0) & (loss > 0)
        debtor: list[np.ndarray] = []
        creditor: list[np.ndarray] = []
        amount: list[np.ndarray] = []
        # Nodes: guarantors 0..G-1, then platform row r as G + r.
        rows = np.flatnonzero(covered)
        debtor.append(gid[rows])
        creditor.append(G + rows)
        amount.append(p.coverage * loss[rows])
        if p.groups:
            grp = self.group[:n]
            for r in np.flatnonzero((grp >= 0) & (loss > 0)):
                peers = np.flatnonzero((grp == grp[r]) & alive)
                peers = peers[peers != r]
                if peers.size:
                    debtor.append(G + peers)
                    creditor.append(np.full(peers.size, G + r))
                    amount.append(np.full(peers.size, p.group_coverage * loss[r] / peers.size))
        d, c, a = (np.concatenate(x) if x else np.zeros(0) for x in (debtor, creditor, amount))
        empty = np.zeros(n)
        if a.sum() <= 0:
            return Settlement(
                empty, empty.copy(), empty.copy(), np.full(n, NONE), np.zeros(0, np.int64), np.zeros(0, np.int64), 0.0
            )
        nodes, idx = np.unique(np.r_[d, c].astype(np.int64), return_inverse=True)
        k = nodes.size
        liabilities = np.zeros((k, k))
        np.add.at(liabilities, (idx[: d.size], idx[d.size :]), a)
        is_guarantor = nodes < G
        capital = self.capital[np.minimum(nodes, max(G - 1, 0))] if G else np.zeros(k)
        capital = np.where(self.failed_month[np.minimum(nodes, max(G - 1, 0))] >= 0, 0.0, capital) if G else capital
        assets = np.maximum(np.where(is_guarantor, capital, cash[np.maximum(nodes - G, 0)]), 0.0)
        result = eisenberg_noe(liabilities, assets)
        payments = result.interbank_payments
        defaulted = result.defaulted
        paid_by = payments.sum(axis=1)
        received_by = payments.sum(axis=0)
        short = liabilities - payments
        unpaid_by = short.sum(axis=0)
        outside = float(paid_by[is_guarantor].sum())
        if backstop:  # the shortfall is made good from outside; nobody defaults
            received_by = received_by + unpaid_by
            outside += float(unpaid_by.sum())
            short = np.zeros_like(short)
            unpaid_by = np.zeros(k)
            defaulted = np.zeros(k, dtype=bool)
        received, paid, unpaid = np.zeros(n), np.zeros(n), np.zeros(n)
        plat = ~is_guarantor
        received[nodes[plat] - G] = received_by[plat]
        paid[nodes[plat] - G] = paid_by[plat]
        unpaid[nodes[plat] - G] = unpaid_by[plat]
        source = np.full(n, NONE)
        worst = short.argmax(axis=0)
        has_short = unpaid_by > 1e-9
        src_nodes = nodes[worst]
        labels = np.where(src_nodes < G, guarantor_code(src_nodes), src_nodes - G)
        source[nodes[plat & has_short] - G] = labels[plat & has_short]
        # A peer that defaults on calls was brought down by the member whose loss it owed most on.
        owed_most = nodes[liabilities.argmax(axis=1)]
        broke = plat & defaulted
        source[nodes[broke] - G] = owed_most[broke] - G
        spent = self.capital[nodes[is_guarantor]] - paid_by[is_guarantor]
        self.capital[nodes[is_guarantor]] = np.maximum(spent, 0.0)  # rounding never leaves it negative
        # Guarantors that defaulted this month (one that failed before has nothing left to default on).
        newly_failed = np.zeros(0, np.int64)
        if G:
            newly_failed = nodes[is_guarantor & defaulted & (self.failed_month[np.minimum(nodes, G - 1)] < 0)]
        return Settlement(
            received=received,
            paid=paid,
            unpaid=unpaid,
            source=source,
            defaulted_rows=nodes[plat & defaulted] - G,
            defaulted_guarantors=newly_failed,
            from_outside=outside,
        )
