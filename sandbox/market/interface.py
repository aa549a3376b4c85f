"""What a rule may see and do to the market: the :class:`Market` protocol.

Rules (``sandbox.rules``) sit one layer above the market. They write their
requirements into the month's :class:`~sandbox.market.policy.Policy` and may act
on the market, but only through the members listed here, never through the
model's internals. :class:`~sandbox.market.model.SandboxModel` implements the
protocol; a test (``tests/test_market_interface.py``) reads every rule module
and checks that each attribute a rule takes from ``model`` is a member, so the
interface cannot grow without this file saying so.

A rule's parameters and its state between months belong to the rule: parameters
on the (frozen) rule itself, state in :meth:`Market.rule_state`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Protocol, TypeVar, runtime_checkable

if TYPE_CHECKING:
    import numpy as np

    from sandbox.common.dates import DatedValues
    from sandbox.market.platforms import PlatformBook

T = TypeVar("T")


@runtime_checkable
class Market(Protocol):
    """The market as a rule sees it."""

    @property
    def month(self) -> int:
        """Index of the month being simulated (0 is the scenario's start)."""
        ...

    @property
    def book(self) -> PlatformBook:
        """Every platform's balance sheet and state, one row per platform.

        Rules read it, and may set the per-platform flags that are theirs to set
        (``custody``, ``exiting``, ``abscond_pressure``, ``registered``,
        ``detected_month``, ``pilot``); money moves only through the market's methods.
        """
        ...

    @property
    def regions(self) -> int:
        """Number of regions platforms are spread over (``market.platforms.regions``)."""
        ...

    @property
    def benchmark_rate(self) -> float:
        """The benchmark lending rate this month (annual fraction), e.g. for a cap of 4x it."""
        ...

    @property
    def screening_rng(self) -> np.random.Generator:
        """The random stream of the regulator's screening of platforms.

        A rule that screens (a registration deadline) draws from it, so its draws
        stay apart from every other process's (common random numbers across regimes).
        """
        ...

    def month_index(self, label: str) -> int:
        """Index of month ``label`` (``YYYY-MM``), counted from the scenario's start (may be negative)."""
        ...

    def value_now(self, value: float | DatedValues) -> float:
        """A dated parameter's value in the current month: a number, or ``{values: {YYYY-MM: v}}``."""
        ...

    def order_exit(self, rows: np.ndarray) -> None:
        """Platforms ``rows`` wind down in an orderly way (cause: orderly exit). Closed ones are skipped."""
        ...

    def revoke(self, rows: np.ndarray) -> None:
        """The national regulator revokes the licences of ``rows``: an orderly, regulator-run
        wind-down, and a fraud's controller blacklisted if a blacklist is in force."""
        ...

    def charge_fine(self, row: int, amount: float) -> None:
        """Platform ``row`` pays a fine of ``amount`` yuan from its cash (at most what it has)."""
        ...

    def suspend(self, rows: np.ndarray) -> None:
        """Platforms ``rows`` take no new business until they comply (live ones only)."""
        ...

    def add_platforms(self, platforms: dict[str, np.ndarray]) -> np.ndarray:
        """Platforms enter now, described by arrays; returns their rows.

        Required keys: ``kind``, ``base_yield``, ``capital``, ``custody``,
        ``disclosure``, ``visibility``, ``region``; optional: ``controller``,
        ``age`` (months in business before now), ``guarantor``, ``group``,
        ``custodian``. They are bound at once by the rules in force.
        """
        ...

    def rule_state(self, key: str, factory: Callable[[], T]) -> T:
        """A rule's own state for this run, made by ``factory()`` on first use, then kept.

        ``key`` names the state (a rule's ``name`` is a good key); the same key
        returns the same object for the rest of the run, and a new model starts empty.
        """
        ...
