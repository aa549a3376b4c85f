"""Platforms: Mesa agents whose balance sheets live in one struct-of-arrays book.

A :class:`Platform` is a Mesa agent with an identity, a business model and a
compliance state; its numbers (cash, loans, investor claims, ...) are rows of a
:class:`PlatformBook`, so the model updates all platforms in vectorized passes
and an agent reads its own row through properties.

Balance sheet of platform j (yuan)::

    cash + loans = claims + equity        claims = units * unit_value

``equity`` is also carried forward from recorded flows (``equity_flow``); the
accounting check compares the two every month.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import mesa
import numpy as np

if TYPE_CHECKING:
    from sandbox.market.model import SandboxModel

# Business models (latent: investors never see them).
INTERMEDIARY, POOL, FRAUD = 0, 1, 2
KINDS = ("intermediary", "pool", "fraud")

# Life-cycle states.
ACTIVE, SUSPENDED, RESOLVING, CLOSED = 0, 1, 2, 3
STATES = ("active", "suspended", "resolving", "closed")

# Failure causes, in the order reports use.
CAUSES = ("insolvency", "illiquidity_run", "fraud", "credit_contagion", "regulatory", "orderly_exit")
INSOLVENCY, ILLIQUIDITY_RUN, FRAUD_CAUSE, CREDIT_CONTAGION, REGULATORY, ORDERLY_EXIT = range(6)

# Rungs of the regulator's enforcement ladder.
LADDER = ("none", "warning", "rectification", "fine", "suspension", "revocation")


class PlatformBook:
    """Every platform's state as arrays (one row per platform ever created).

    Row ``n`` onwards is spare capacity; the book doubles when full. The last
    row, ``buyer``, is not a platform: it is the outside debt buyer who takes
    loans sold in fire sales and at the end of wind-downs.
    """

    FLOAT = (
        "promised_yield", "capital", "disclosure", "visibility",
        "cash", "loans", "units", "unit_value", "equity_flow",
        "diverted", "fines", "inflow", "outflow", "requested", "inflow_ma", "claims_peak",
        "claims_at_failure", "investor_loss", "recovered", "interest_income", "default_loss",
        "contagion_loss", "overdue", "complaints", "risk_score",
        "loss_months", "base_yield", "strategic", "last_cost", "abscond_pressure", "sale_loss",
        "exposure_loss",
    )
    INT = (
        "kind", "status", "entry_month", "fail_month", "fail_cause", "resolution_end",
        "region", "rung", "deadline", "customers", "controller", "detected_month",
        "contagion_source", "exposure_source",
    )
    BOOL = ("custody", "orderly", "registered", "blacklisted", "audited", "inspected", "pilot", "exiting", "warned")

    def __init__(self, capacity: int = 256) -> None:
        self.n = 0
        self.capacity = 0
        for name in self.FLOAT:
            setattr(self, name, np.zeros(0))
        for name in self.INT:
            setattr(self, name, np.zeros(0, dtype=np.int64))
        for name in self.BOOL:
            setattr(self, name, np.zeros(0, dtype=bool))
        self._grow(capacity)

    def _grow(self, capacity: int) -> None:
        """Enlarge the arrays to ``capacity`` rows (+1 for the buyer row)."""
        old = self.capacity
        for name in (*self.FLOAT, *self.INT, *self.BOOL):
            arr = getattr(self, name)
            new = np.zeros(capacity + 1, dtype=arr.dtype)
            new[:old] = arr[:old]
            new[capacity] = arr[old] if old else 0  # the buyer row moves to the end
            setattr(self, name, new)
        self.unit_value[old:capacity] = 1.0
        self.fail_month[old:capacity] = -1
        self.fail_cause[old:capacity] = -1
        self.resolution_end[old:capacity] = -1
        self.detected_month[old:capacity] = -1
        self.controller[old:capacity] = -1
        self.contagion_source[old:capacity] = -1
        self.exposure_source[old:capacity] = -1
        self.status[old:capacity] = CLOSED  # spare rows are not alive
        self.capacity = capacity

    @property
    def buyer(self) -> int:
        """Row index of the outside debt buyer."""
        return self.capacity

    def add(self, k: int) -> np.ndarray:
        """Reserve ``k`` new rows and return their indices."""
        while self.n + k > self.capacity:
            self._grow(max(2 * self.capacity, 64))
        rows = np.arange(self.n, self.n + k)
        self.n += k
        return rows

    # Views over live rows --------------------------------------------------
    def claims(self) -> np.ndarray:
        """Investor claims on each platform (yuan): units times unit value."""
        return self.units[: self.n] * self.unit_value[: self.n]

    def equity(self) -> np.ndarray:
        """Balance-sheet equity: cash + loans - claims."""
        n = self.n
        return self.cash[:n] + self.loans[:n] - self.claims()

    def alive(self) -> np.ndarray:
        """Operating (active or suspended) platforms."""
        s = self.status[: self.n]
        return (s == ACTIVE) | (s == SUSPENDED)

    def open_for_business(self) -> np.ndarray:
        """Platforms taking new money and making new loans."""
        return (self.status[: self.n] == ACTIVE) & ~self.exiting[: self.n]


class Platform(mesa.Agent):
    """An online lending platform (a Mesa agent; numbers live in the model's book).

    Subclass it to change what a platform does at the discrete decisions that
    are not vectorized across platforms, for example :meth:`on_failure`.
    """

    def __init__(self, model: SandboxModel, row: int) -> None:
        super().__init__(model)
        self.row = row

    @property
    def book(self) -> PlatformBook:
        return self.model.book

    @property
    def kind(self) -> str:
        """Latent business model: ``intermediary``, ``pool`` or ``fraud``."""
        return KINDS[self.book.kind[self.row]]

    @property
    def status(self) -> str:
        return STATES[self.book.status[self.row]]

    @property
    def alive(self) -> bool:
        return self.book.status[self.row] in (ACTIVE, SUSPENDED)

    @property
    def cash(self) -> float:
        return float(self.book.cash[self.row])

    @property
    def loans(self) -> float:
        return float(self.book.loans[self.row])

    @property
    def claims(self) -> float:
        return float(self.book.units[self.row] * self.book.unit_value[self.row])

    @property
    def equity(self) -> float:
        return self.cash + self.loans - self.claims

    @property
    def promised_yield(self) -> float:
        return float(self.book.promised_yield[self.row])

    @property
    def failure_cause(self) -> str | None:
        c = self.book.fail_cause[self.row]
        return CAUSES[c] if c >= 0 else None

    def on_failure(self, cause: str, orderly: bool) -> None:
        """Hook called once when the platform fails (after the book is updated)."""

    def __repr__(self) -> str:
        return f"Platform(row={self.row}, kind={self.kind}, status={self.status})"
