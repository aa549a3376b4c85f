"""Several jurisdictions: each with its regulator and regime, platforms homed in one, residents in each.

With a scenario's ``jurisdictions:`` section the model builds one
:class:`Jurisdictions`; without it there is none and nothing here runs. Each
platform has a home jurisdiction (``home``), each investor a residence. Every
month:

* :meth:`Jurisdictions.build_policy`: the top-level rules write a national
  :class:`~sandbox.market.policy.Policy`; each jurisdiction with rules of its own
  in force gets a copy with those added. The market reads one merged Policy whose
  per-platform requirements are each platform's home's; entry, cross-border
  access and each regulator read their jurisdiction's own.
* :meth:`Jurisdictions.act`: a jurisdiction's rules act through a
  :class:`LocalMarket`, in which platforms homed elsewhere look closed, so a
  local rule binds only locally; then platforms weigh moving home
  (:mod:`sandbox.market.relocation`).
* :meth:`Jurisdictions.entry` replaces step 2: applicants apply in a
  jurisdiction and are screened by its rules; a fraud's controller returns
  anywhere, and is refused where a blacklist knows it (its home's own, or one
  shared with it: ``information_sharing``).
* :meth:`Jurisdictions.reachable`: an investor places new money abroad only as
  its home's ``cross_border_access`` allows.
* Regulators (:class:`JurisdictionRegulator`) cover the platforms homed with
  them, and those that moved away when the new home cooperates (full sharing).
* :meth:`Jurisdictions.record` writes the month's row per jurisdiction.

Money and claims never move between jurisdictions: a move changes a platform's
``home``, not its balance sheet, so the accounting identities cover it as they
cover any platform (the cost of moving leaves as running costs).
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from dataclasses import fields, replace
from typing import TYPE_CHECKING, TypeVar

import numpy as np
import pandas as pd

from sandbox.common.dates import value_at
from sandbox.market.entry import draw_applicants, screen
from sandbox.market.platforms import CAUSES, FRAUD, PlatformBook
from sandbox.market.policy import Policy
from sandbox.market.regulator import Regulator
from sandbox.market.relocation import FULL, Mover, move_platforms

if TYPE_CHECKING:
    from sandbox.common.dates import DatedValues
    from sandbox.market.investors import Orders
    from sandbox.market.model import SandboxModel

T = TypeVar("T")

#: The per-platform requirements of a Policy (arrays over the book).
PER_PLATFORM = tuple(f.name for f in fields(Policy) if not f.init)
#: Cross-border access, in the order of strictness; the index is the code.
ACCESS = ("open", "licence", "ban")
#: Sharing level at which blacklists travel (:mod:`sandbox.rules.information_sharing`; ``FULL``: all findings).
BLACKLIST = 1


def apportion(shares: np.ndarray, total: int) -> np.ndarray:
    """Whole counts summing to ``total`` in proportion to ``shares`` (largest remainders)."""
    exact = shares / shares.sum() * total
    counts = np.floor(exact).astype(np.int64)
    order = np.argsort(-(exact - counts), kind="stable")
    counts[order[: total - counts.sum()]] += 1
    return counts


def copy_policy(policy: Policy) -> Policy:
    """A copy whose per-platform arrays and sharing table can be changed without touching ``policy``."""
    out = copy.copy(policy)
    for name in PER_PLATFORM:
        setattr(out, name, getattr(policy, name).copy())
    out.sharing = dict(policy.sharing)
    return out


class LocalBook(PlatformBook):
    """The platform book as one jurisdiction's rules see it: platforms homed elsewhere are not alive.

    Columns are the book's own arrays (a rule's writes reach the book); only
    :meth:`alive` and :meth:`open_for_business` are cut to the jurisdiction.
    """

    def __init__(self, book: PlatformBook, mine: np.ndarray) -> None:  # no super(): it owns no columns
        self._book = book
        self._mine = mine

    def __getattr__(self, name: str) -> object:
        return getattr(self._book, name)

    def alive(self) -> np.ndarray:
        """Operating platforms homed in this jurisdiction."""
        return self._book.alive() & self._mine

    def open_for_business(self) -> np.ndarray:
        """Platforms homed here taking new money and making new loans."""
        return self._book.open_for_business() & self._mine


class LocalMarket:
    """The :class:`~sandbox.market.interface.Market` as jurisdiction ``j``'s rules see it.

    Platforms homed elsewhere look closed; platforms a local rule adds are homed
    here; a revocation is this jurisdiction's regulator's; a rule's state is kept
    per jurisdiction.
    """

    def __init__(self, owner: Jurisdictions, j: int) -> None:
        self._owner, self._j = owner, j
        self._model = owner.model

    @property
    def month(self) -> int:
        """The month being simulated."""
        return self._model.month

    @property
    def book(self) -> PlatformBook:
        """The book, with platforms homed elsewhere not alive."""
        book = self._model.book
        return LocalBook(book, self._owner.home[: book.n] == self._j)

    @property
    def regions(self) -> int:
        """Regions platforms are spread over."""
        return self._model.regions

    @property
    def benchmark_rate(self) -> float:
        """The benchmark lending rate this month."""
        return self._model.benchmark_rate

    @property
    def screening_rng(self) -> np.random.Generator:
        """The screening stream."""
        return self._model.screening_rng

    def month_index(self, label: str) -> int:
        """Index of month ``label``."""
        return self._model.month_index(label)

    def value_now(self, value: float | DatedValues) -> float:
        """A dated parameter's value now."""
        return self._model.value_now(value)

    def order_exit(self, rows: np.ndarray) -> None:
        """Orderly exit of ``rows``."""
        self._model.order_exit(rows)

    def revoke(self, rows: np.ndarray) -> None:
        """This jurisdiction's regulator revokes ``rows`` under its own policy."""
        self._model.regulators[self._j].revoke(rows, self._owner.policies[self._j])

    def charge_fine(self, row: int, amount: float) -> None:
        """A fine paid to the state."""
        self._model.charge_fine(row, amount)

    def suspend(self, rows: np.ndarray) -> None:
        """Suspend new business of ``rows``."""
        self._model.suspend(rows)

    def add_platforms(self, platforms: dict[str, np.ndarray]) -> np.ndarray:
        """Platforms enter, homed here."""
        self._owner.pending = np.full(platforms["kind"].size, self._j)
        return self._model.add_platforms(platforms)

    def rule_state(self, key: str, factory: Callable[[], T]) -> T:
        """A rule's state, kept apart per jurisdiction."""
        return self._model.rule_state(f"{self._owner.names[self._j]}:{key}", factory)


class JurisdictionRegulator(Regulator):
    """Jurisdiction ``j``'s regulator: it covers the platforms homed there, and those that
    moved away to a home that cooperates with it (full sharing), with the whole of the
    capacity its jurisdiction's policy gives it."""

    def __init__(self, model: SandboxModel, owner: Jurisdictions, j: int) -> None:
        spec = owner.specs[j]
        super().__init__(
            model, spec.regulator or model.config.regulator, np.zeros(0, dtype=np.int64), model.behaviour.regulator
        )
        self.owner, self.j = owner, j

    def covers(self) -> np.ndarray:
        """Platforms this regulator supervises (mask over the book)."""
        return self.owner.covered(self.j)

    def risk_scores(self, policy: Policy, rng: np.random.Generator) -> np.ndarray:
        """The month's scores, computed once for every regulator that scores the same way
        (each reads only its own platforms' scores, so they may share one draw of the noise)."""
        key = (self.model.month, self.model.book.n, policy.early_warning, policy.information_sharing)
        if self.owner.scores_key != key:
            self.owner.scores_key, self.owner.scores = key, super().risk_scores(policy, rng)
        return self.owner.scores

    def share_of(self, total: int) -> int:
        """Its jurisdiction's policy already holds its own capacity."""
        return total


class Jurisdictions:
    """The jurisdictions of a run: homes, residences, policies, regulators, moves and their records."""

    def __init__(self, model: SandboxModel) -> None:
        self.model = model
        spec = model.config.jurisdictions
        assert spec, "Jurisdictions needs a scenario with a jurisdictions: section"
        self.names = list(spec)
        self.specs = list(spec.values())
        self.local_rules = [s.rules for s in self.specs]
        self.rng = model.streams.jurisdictions
        shares = {k: np.array([getattr(s, k) for s in self.specs]) for k in ("platforms", "investors", "borrowers")}
        shares = {k: v / v.sum() for k, v in shares.items()}
        self.platform_shares = shares["platforms"]
        book = model.book
        size = book.capacity + 1
        self.home = np.zeros(size, dtype=np.int64)
        self.former = np.full(size, -1, dtype=np.int64)  # home before the last move (-1: never moved)
        self.moved_month = np.full(size, -1, dtype=np.int64)
        self.seen = np.zeros(size, dtype=bool)  # failed frauds whose controllers are on the list
        counts = apportion(self.platform_shares, book.n)  # the initial platforms, by exact counts
        self.home[: book.n] = self.rng.permutation(np.repeat(np.arange(len(self.names)), counts))
        self.known = book.n
        self.pending: np.ndarray | None = None  # homes of the platforms being added
        k = len(self.names)
        self.investor_home = self.rng.choice(k, size=model.investors.n, p=shares["investors"]).astype(np.int8)
        self.borrower_home = self.rng.choice(k, size=model.borrowers.n, p=shares["borrowers"]).astype(np.int8)
        self.controllers = np.zeros((0, 3), dtype=np.int64)  # (controller, home at failure, month of failure)
        self.mover = Mover(size)
        self.relocations: list[tuple[str, int, str, str, str]] = []
        self.rows: list[dict[str, float | int | str]] = []
        self._month = {k: np.zeros(len(self.names)) for k in ("returned", "refused_abroad", "moved_in", "moved_out")}
        for regulator in model.regulators:  # one regulator per jurisdiction replaces the local ones
            regulator.remove()
        model.regulators = [JurisdictionRegulator(model, self, j) for j in range(len(self.names))]
        self.views = [LocalMarket(self, j) for j in range(len(self.names))]
        self.policies: list[Policy] = []
        self._sharing: tuple[np.ndarray, np.ndarray] | None = None  # of the policies in force
        self._covered: tuple[tuple[int, int], np.ndarray, np.ndarray] | None = None  # (month, n), homes, masks
        self.scores_key: tuple | None = None
        self.scores = np.zeros(0)
        model.policy = self.build_policy()

    # ----------------------------------------------------------- the regime
    def _fit(self) -> None:
        """Grow the columns with the book; home the platforms added since the last call."""
        book = self.model.book
        size = book.capacity + 1
        if self.home.size < size:
            grow = size - self.home.size
            self.home = np.r_[self.home, np.zeros(grow, dtype=np.int64)]
            self.former = np.r_[self.former, np.full(grow, -1, dtype=np.int64)]
            self.moved_month = np.r_[self.moved_month, np.full(grow, -1, dtype=np.int64)]
            self.seen = np.r_[self.seen, np.zeros(grow, dtype=bool)]
            self.mover.grow(size)
        k = book.n - self.known
        if k > 0:
            pending = self.pending
            if pending is None or pending.size != k:  # added by a top-level rule: homed by platform shares
                pending = self.rng.choice(len(self.names), size=k, p=self.platform_shares)
            self.home[self.known : book.n] = pending
            self.known, self.pending = book.n, None

    def build_policy(self) -> Policy:
        """Each jurisdiction's policy, and the merged one the market reads (each platform's home's)."""
        model = self.model
        book = model.book
        self._fit()
        n = book.n
        national = Policy(book.capacity + 1)
        for rule in model.rules:
            if rule.in_force(model):
                rule.apply(national, model)
        merged = copy_policy(national)
        self.policies = []
        self._sharing = None
        home = self.home[:n]
        for j, rules in enumerate(self.local_rules):
            live = [rule for rule in rules if rule.in_force(model)]
            if not live:
                self.policies.append(national)
                continue
            policy = copy_policy(national)
            for rule in live:
                rule.apply(policy, self.views[j])
            self.policies.append(policy)
            rows = np.flatnonzero(home == j)
            for name in PER_PLATFORM:
                getattr(merged, name)[rows] = getattr(policy, name)[rows]
        book.promised_yield[:n] = np.minimum(book.base_yield[:n], merged.yield_cap[:n])
        return merged

    def act(self) -> None:
        """Local rules act on their jurisdiction's platforms; then platforms weigh moving home."""
        model = self.model
        for j, rules in enumerate(self.local_rules):
            for rule in rules:
                if rule.in_force(model):
                    rule.act(self.views[j])
        self._fit()
        move_platforms(self)

    def sharing(self) -> tuple[np.ndarray, np.ndarray]:
        """``(level, delay)``, each ``(J, J)``: what jurisdiction ``a`` tells ``b`` this month, and how late."""
        if self._sharing is not None:
            return self._sharing
        k = len(self.names)
        level = np.zeros((k, k), dtype=np.int64)
        delay = np.zeros((k, k), dtype=np.int64)
        for a, policy in enumerate(self.policies):
            for partner, (lv, dl) in policy.sharing.items():
                targets = range(k) if partner == "*" else [self.names.index(partner)]
                for b in targets:
                    if b != a and lv >= level[a, b]:
                        level[a, b], delay[a, b] = lv, dl
        self._sharing = (level, delay)
        return self._sharing

    def access(self) -> np.ndarray:
        """Each jurisdiction's cross-border access code (0 open, 1 licence, 2 ban)."""
        return np.array([ACCESS.index(p.cross_border) for p in self.policies])

    def covered(self, j: int) -> np.ndarray:
        """Platforms jurisdiction ``j`` supervises: homed there, or moved away to a home that
        shares everything with ``j`` (cooperation), once the delay has passed."""
        n, month = self.model.book.n, self.model.month
        home = self.home[:n]
        cached = self._covered
        if cached is not None and cached[0] == (month, n) and np.array_equal(cached[1], home):
            return cached[2][j]
        former = self.former[:n]
        level, delay = self.sharing()
        masks = home[None, :] == np.arange(len(self.names))[:, None]
        moved = np.flatnonzero(former >= 0)
        if moved.size:
            to, back = home[moved], former[moved]
            coop = (to != back) & (level[to, back] >= FULL) & (month >= self.moved_month[moved] + delay[to, back])
            masks[back[coop], moved[coop]] = True
        self._covered = ((month, n), home.copy(), masks)
        return masks[j]

    def regulator_policy(self, regulator: Regulator) -> Policy:
        """The policy ``regulator`` enforces: its jurisdiction's, with its share of national capacity.

        A top-level rule's capacity is shared by the jurisdictions in proportion to
        the platforms operating in each; a local rule's is the jurisdiction's own.
        """
        assert isinstance(regulator, JurisdictionRegulator)
        model, j = self.model, regulator.j
        book = model.book
        alive = self.home[: book.n][book.alive()]
        share = float(np.count_nonzero(alive == j) / alive.size) if alive.size else 0.0
        national, own = model.policy, self.policies[j]
        policy = copy.copy(own)
        for name in ("inspection_capacity", "enforcement_capacity"):
            top = getattr(national, name)  # the merged policy's scalars are the national ones
            setattr(policy, name, max(getattr(own, name) - top, 0) + round(top * share))
        return policy

    # ---------------------------------------------------------------- entry
    def _new_controllers(self) -> None:
        """Put the controllers of frauds that failed since the last look on the list."""
        book = self.model.book
        n = book.n
        new = np.flatnonzero((book.kind[:n] == FRAUD) & (book.fail_month[:n] >= 0) & ~self.seen[:n])
        self.seen[new] = True
        rows = np.c_[new, self.home[new], book.fail_month[new]]
        self.controllers = np.r_[self.controllers, rows]

    def known_in(self, controllers: np.ndarray, j: int) -> np.ndarray:
        """Whether each returning controller (rows of the list) is on jurisdiction ``j``'s blacklist
        register: failed there, or shared with it at least at the blacklist level, in time."""
        level, delay = self.sharing()
        origin, failed = controllers[:, 1], controllers[:, 2]
        shared = (level[origin, j] >= BLACKLIST) & (self.model.month >= failed + delay[origin, j])
        return (origin == j) | shared

    def entry(self) -> None:
        """Step 2 with jurisdictions: applicants apply in one, screened by its rules."""
        model = self.model
        p, beh = model.config.market.platforms, model.behaviour.platforms
        k = int(model.streams.entry.poisson(value_at(p.entry_per_month, model.month, model.config.start)))
        applicants = draw_applicants(p, beh, model.exposures, k, model.streams.entry, p.entry_mix or p.mix)
        where = self.rng.choice(len(self.names), size=k, p=self.platform_shares)
        self._new_controllers()
        back = self.rng.random(len(self.controllers)) < p.controller_reentry
        listed = np.flatnonzero(back)
        extra = draw_applicants(p, beh, model.exposures, listed.size, model.streams.reentry, None, kind=FRAUD)
        extra["controller"] = self.controllers[listed, 0]
        goes = self.rng.choice(len(self.names), size=listed.size, p=self.platform_shares)
        applicants = {key: np.concatenate([applicants[key], extra[key]]) for key in applicants}
        where = np.r_[where, goes]
        entry_of = np.r_[np.full(k, -1), listed]  # row of the controllers' list, -1: a new applicant
        admitted = np.zeros(where.size, dtype=bool)
        for j, policy in enumerate(self.policies):
            sel = np.flatnonzero(where == j)
            if sel.size == 0:
                continue
            mine = {key: v[sel] for key, v in applicants.items()}
            returning = entry_of[sel] >= 0
            known = np.zeros(sel.size, dtype=bool)
            known[returning] = self.known_in(self.controllers[entry_of[sel][returning]], j)
            mine["controller"] = np.where(known, mine["controller"], -1)  # screening sees only whom it knows
            admitted[sel] = screen(mine, policy, model.streams.screening)
        model.recorder.count("refused", int((~admitted).sum()))
        model.recorder.count("refused_fraud", int((~admitted & (applicants["kind"] == FRAUD)).sum()))
        returned = entry_of[admitted & (entry_of >= 0)]
        np.add.at(self._month["returned"], where[admitted & (entry_of >= 0)], 1)
        self.controllers = np.delete(self.controllers, returned, axis=0)
        chosen = {key: v[admitted] for key, v in applicants.items()}
        self.pending = where[admitted]
        rows = model.add_platforms(chosen)
        licensing = np.array([pol.licensing for pol in self.policies])
        model.book.registered[rows] = licensing[self.home[rows]]  # screened where it applied
        model.recorder.count("entries", int(admitted.sum()))

    # ------------------------------------------------------ people abroad
    def allowed(self, where: np.ndarray, rows: np.ndarray) -> np.ndarray:
        """Whether residents of ``where`` may do new business with platforms ``rows``: at home
        always; abroad if their home's access is open, or under ``licence`` with a licensed
        platform (registered, with at least the home's minimum capital)."""
        book = self.model.book
        codes = self.access()
        if not codes.any():  # open everywhere
            return np.ones(rows.size, dtype=bool)
        access = codes[where]
        min_capital = np.array([p.min_capital for p in self.policies])[where]
        licensed = book.registered[rows] & (book.capital[rows] >= min_capital)
        return (self.home[rows] == where) | (access == 0) | ((access == 1) & licensed)

    def borrower_reach(self, who: np.ndarray, rows: np.ndarray) -> np.ndarray:
        """Which of borrowers ``who``'s requests to platforms ``rows`` their homes allow."""
        return self.allowed(self.borrower_home[who].astype(np.int64), rows)

    def reachable(self, orders: Orders) -> Orders:
        """The placements investors' homes allow (:meth:`allowed`); the rest are not made."""
        rows, where = orders.p_platform, self.investor_home[orders.p_investor].astype(np.int64)
        ok = self.allowed(where, rows)
        np.add.at(self._month["refused_abroad"], where[~ok], orders.p_amount[~ok])
        if ok.all():
            return orders
        return replace(
            orders,
            p_investor=orders.p_investor[ok],
            p_holding=orders.p_holding[ok],
            p_platform=rows[ok],
            p_amount=orders.p_amount[ok],
        )

    # --------------------------------------------------------------- record
    def record(self) -> None:
        """The month's row per jurisdiction (after the accounts are checked)."""
        model = self.model
        book, inv = model.book, model.investors
        n, k = book.n, len(self.names)
        home = self.home[:n]
        alive = book.alive()
        now = book.fail_month[:n] == model.month
        by = {
            "alive": np.bincount(home[alive], minlength=k),
            "loan_balance": np.bincount(home[alive], weights=book.loans[:n][alive], minlength=k),
            "investor_money": np.bincount(home[alive], weights=book.claims()[alive], minlength=k),
            "holding_loss": np.bincount(home, weights=book.investor_loss[:n], minlength=k),
            "resident_loss": np.bincount(self.investor_home, weights=inv.lost, minlength=k),
        }
        causes = {c: np.bincount(home[now & (book.fail_cause[:n] == i)], minlength=k) for i, c in enumerate(CAUSES)}
        for j, name in enumerate(self.names):
            row: dict[str, float | int | str] = {"month": model.month_label(), "jurisdiction": name}
            row["alive_total"] = int(by["alive"][j])
            for cause, count in causes.items():
                row[f"failures_{cause}"] = int(count[j])
            row["failures_total"] = sum(int(c[j]) for c in causes.values())
            row["relocations_in"] = int(self._month["moved_in"][j])
            row["relocations_out"] = int(self._month["moved_out"][j])
            row["controllers_returned"] = int(self._month["returned"][j])
            row["foreign_placements_refused"] = float(self._month["refused_abroad"][j])
            row["loan_balance"] = float(by["loan_balance"][j])
            row["investor_money"] = float(by["investor_money"][j])
            row["cumulative_holding_loss"] = float(by["holding_loss"][j])
            row["cumulative_resident_loss"] = float(by["resident_loss"][j])
            self.rows.append(row)
        for counts in self._month.values():
            counts[:] = 0.0

    # -------------------------------------------------------------- results
    def tables(self) -> dict[str, pd.DataFrame]:
        """``monthly_by_jurisdiction``, ``relocations`` and ``summary_by_jurisdiction``.

        The last month's loss columns are taken again after the horizon is settled,
        as ``monthly.csv``'s are.
        """
        monthly = pd.DataFrame(self.rows)
        if len(monthly):
            model = self.model
            book, inv, k = model.book, model.investors, len(self.names)
            last = monthly.index[-k:]
            holding = np.bincount(self.home[: book.n], weights=book.investor_loss[: book.n], minlength=k)
            resident = np.bincount(self.investor_home, weights=inv.lost, minlength=k)
            monthly.loc[last, "cumulative_holding_loss"] = holding
            monthly.loc[last, "cumulative_resident_loss"] = resident
        moves = pd.DataFrame(self.relocations, columns=["month", "platform", "from", "to", "reason"])
        return {
            "monthly_by_jurisdiction": monthly,
            "relocations": moves,
            "summary_by_jurisdiction": self.summary_table(monthly),
        }

    def summary_table(self, monthly: pd.DataFrame) -> pd.DataFrame:
        """One row per jurisdiction: platforms at the start, peak and end, failures (by cause),
        moves in and out, returning controllers admitted, losses, peak loan balance."""
        rows = []
        causes = [f"failures_{c}" for c in CAUSES]
        for name in self.names:
            m = monthly[monthly["jurisdiction"] == name]
            if m.empty:
                continue
            row: dict[str, float | int | str] = {"jurisdiction": name}
            row["alive_first"] = int(m["alive_total"].iloc[0])
            row["alive_peak"] = int(m["alive_total"].max())
            row["alive_last"] = int(m["alive_total"].iloc[-1])
            for c in [*causes, "failures_total", "relocations_in", "relocations_out", "controllers_returned"]:
                row[c] = int(m[c].sum())
            row["foreign_placements_refused"] = float(m["foreign_placements_refused"].sum())
            row["peak_loan_balance"] = float(m["loan_balance"].max())
            row["holding_loss"] = float(m["cumulative_holding_loss"].iloc[-1])
            row["resident_loss"] = float(m["cumulative_resident_loss"].iloc[-1])
            rows.append(row)
        return pd.DataFrame(rows)

    def summary(self) -> dict[str, float | int]:
        """Run totals for ``summary.json``: moves, returning controllers admitted, placements refused abroad."""
        monthly = pd.DataFrame(self.rows)
        return {
            "relocations": len(self.relocations),
            "controllers_returned": int(monthly["controllers_returned"].sum()) if len(monthly) else 0,
            "foreign_placements_refused": float(monthly["foreign_placements_refused"].sum()) if len(monthly) else 0.0,
            "jurisdictions": len(self.names),
        }
