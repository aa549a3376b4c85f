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

import inspect
from typing import TYPE_CHECKING, ClassVar

import mesa
import numpy as np
import numpy.typing as npt

if TYPE_CHECKING:
    from sandbox.market.model import SandboxModel

# Business models (latent: investors never see them).
INTERMEDIARY, POOL, FRAUD = 0, 1, 2
KINDS = ("intermediary", "pool", "fraud")

# Life-cycle states.
ACTIVE, SUSPENDED, RESOLVING, CLOSED = 0, 1, 2, 3
STATES = ("active", "suspended", "resolving", "closed")

# Failure causes, in the order reports use.
# ``converted``: the platform left P2P lending for another licensed business (WDZJ's 转型),
# its P2P book wound down in an orderly way (:mod:`sandbox.market.choices`).
CAUSES = ("insolvency", "illiquidity_run", "fraud", "credit_contagion", "regulatory", "orderly_exit", "converted")
INSOLVENCY, ILLIQUIDITY_RUN, FRAUD_CAUSE, CREDIT_CONTAGION, REGULATORY, ORDERLY_EXIT, CONVERTED = range(7)

# Rungs of the regulator's enforcement ladder.
LADDER = ("none", "warning", "rectification", "fine", "suspension", "revocation")


#: Column types of :class:`PlatformBook`: amounts and rates, counts and codes, flags.
Floats = npt.NDArray[np.float64]
Ints = npt.NDArray[np.int64]
Flags = npt.NDArray[np.bool_]
_DTYPES: dict[str, type[np.generic]] = {"Floats": np.float64, "Ints": np.int64, "Flags": np.bool_}


class PlatformBook:
    """Every platform's state as arrays (one row per platform ever created).

    Row ``n`` onwards is spare capacity; the book doubles when full. The last
    row, ``buyer``, is not a platform: it is the outside debt buyer who takes
    loans sold in fire sales and at the end of wind-downs.

    Every column is declared below with its type; :attr:`COLUMNS` is derived
    from these declarations, so a new column needs one line here. Months are
    indices from the scenario's start; ``-1`` means "none" in month and row columns.
    """

    # Identity and business model
    kind: Ints  # business model: INTERMEDIARY, POOL or FRAUD (latent: investors never see it)
    region: Ints  # region index (with the kind, the look-alike cluster)
    controller: Ints  # a fraud's returning controller (index into the model's controllers), -1: none
    entry_month: Ints  # month the platform entered (before 0 for incumbents)
    capital: Floats  # paid-in capital, yuan
    base_yield: Floats  # annual yield the platform would promise without a cap
    promised_yield: Floats  # annual yield promised this month (base yield under any cap)
    visibility: Floats  # weight in investors' attention (before size and age)
    disclosure: Floats  # disclosure quality in [0, 1]
    custody: Flags  # client money held at a custodian bank
    # Liquidity promise: claims payable at par on demand or as notes mature (pools, frauds,
    # and intermediaries with an implicit guarantee, 刚性兑付); a pure-matching intermediary
    # promises only what its borrowers repay.
    guaranteed: Flags
    note_months: Floats  # maturity of the notes investors hold, months (1: on demand)
    pilot: Flags  # admitted to a sandbox pilot
    # Balance sheet (yuan) and investors' units
    cash: Floats  # cash held, yuan
    loans: Floats  # principal of loans held, yuan
    units: Floats  # investor units outstanding
    unit_value: Floats  # yuan per unit: claims = units * unit_value (1 at entry)
    equity_flow: Floats  # equity carried forward from booked flows, yuan (checked against the balance sheet)
    # This month's flows (yuan)
    inflow: Floats  # new money taken this month
    outflow: Floats  # withdrawals paid this month
    requested: Floats  # withdrawals requested this month
    inflow_ma: Floats  # moving average of monthly inflow (weight 0.3 on the latest month)
    sale_loss: Floats  # loss on loans sold this month (fire sales and wind-down sales)
    last_cost: Floats  # running costs paid this month
    # Running totals (yuan)
    diverted: Floats  # taken by a fraud's controllers
    fines: Floats  # fines paid to the state
    interest_income: Floats  # interest received from borrowers
    default_loss: Floats  # principal lost on borrower defaults
    contagion_loss: Floats  # default losses on borrowers stressed by a lost lender
    exposure_loss: Floats  # losses through exposure ties: unpaid guarantee calls, custodian bank failures
    claims_peak: Floats  # largest investor claims ever held
    claims_at_failure: Floats  # investor claims when the platform failed
    investor_loss: Floats  # investors' realised losses here, per holding (InvestorPopulation.platform_results)
    recovered: Floats  # paid to investors at the end of the wind-down
    # Behaviour and supervision
    customers: Ints  # simulated investors holding units now (each stands for the investors' weight)
    loss_months: Floats  # consecutive months with a negative margin
    overdue: Floats  # smoothed annual loss rate on loans (weight 0.2 on the latest month)
    complaints: Floats  # smoothed share of withdrawals left unserved (decays by 0.7 a month)
    risk_score: Floats  # the regulator's latest risk score
    abscond_pressure: Floats  # extra monthly probability that a fraud absconds (rules add it, used once)
    strategic: Floats  # monthly probability that a borrower stops paying this (failed) platform
    status: Ints  # life-cycle state: ACTIVE, SUSPENDED, RESOLVING or CLOSED (spare rows are CLOSED)
    rung: Ints  # rung of the enforcement ladder reached (index into LADDER)
    deadline: Ints  # month a rectification order falls due, -1: none
    detected_month: Ints  # month a fraud was detected, -1: not detected
    registered: Flags  # registered with the regulator (admitted through screening or later registration)
    blacklisted: Flags  # a fraud whose controller may not come back
    audited: Flags  # an audit has revealed a fraud's books to investors
    inspected: Flags  # inspected this month (felt next month)
    exiting: Flags  # told to exit: takes no new money and makes no new loans
    warned: Flags  # named in a public warning (once per platform)
    # Failure and wind-down
    fail_month: Ints  # month of failure, -1: alive
    fail_cause: Ints  # failure cause (index into CAUSES), -1: alive
    orderly: Flags  # wound down by the regulator (an orderly resolution)
    resolution_end: Ints  # month the wind-down ends and investors are paid, -1: none
    contagion_source: Ints  # row of the platform whose failure stressed the borrowers who defaulted, -1: none
    exposure_source: Ints  # node (platform row, or a guarantor's or bank's code) of the largest unpaid call, -1: none

    #: Every column's name and dtype, in declaration order (derived from the declarations above).
    COLUMNS: ClassVar[dict[str, type[np.generic]]]

    def __init__(self, capacity: int = 256) -> None:
        self.n = 0  # platforms created so far: rows 0 to n - 1
        self.capacity = 0  # rows before the buyer's
        for name, dtype in self.COLUMNS.items():
            setattr(self, name, np.zeros(0, dtype=dtype))
        self._grow(capacity)

    def _grow(self, capacity: int) -> None:
        """Enlarge the arrays to ``capacity`` rows (+1 for the buyer row)."""
        old = self.capacity
        for name in self.COLUMNS:
            arr = getattr(self, name)
            new = np.zeros(capacity + 1, dtype=arr.dtype)
            new[:old] = arr[:old]
            new[capacity] = arr[old] if old else 0  # the buyer row moves to the end
            setattr(self, name, new)
        self.unit_value[old:capacity] = 1.0
        self.note_months[old:capacity] = 1.0
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


PlatformBook.COLUMNS = {
    name: _DTYPES[annotation]
    for name, annotation in inspect.get_annotations(PlatformBook).items()
    if annotation in _DTYPES
}


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
