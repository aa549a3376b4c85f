"""The market model: one month of an online lending market, in the order of MODEL.md section 3.

:meth:`SandboxModel.step` reads top to bottom as the month does. Platforms and
regulators are Mesa agents; investors and borrowers are vectorized populations;
every platform's balance sheet is a row of :class:`~sandbox.market.platforms.PlatformBook`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, TypeVar, cast

import mesa
import numpy as np

from sandbox.common.dates import month_index, month_label, value_at
from sandbox.market.accounting import ACCOUNTING_MODES, AccountingMode, Ledger, enforce, worst
from sandbox.market.arrays import sum_by
from sandbox.market.attribution import attribute_failures
from sandbox.market.borrowers import BorrowerPopulation
from sandbox.market.choices import choose
from sandbox.market.collections import close, distribute, ending, holdings_paid, strategic_default
from sandbox.market.credit import clear_credit
from sandbox.market.entry import draw_applicants, screen
from sandbox.market.environment import Environment
from sandbox.market.exposures import ExposureNetwork
from sandbox.market.investors import InvestorPopulation, MarketView, Orders, Perception, RiskSignals, perceive
from sandbox.market.jurisdictions import Jurisdictions
from sandbox.market.liquidity import liquidity_promise, pay_withdrawals
from sandbox.market.memory import keep_freed_memory
from sandbox.market.platforms import (
    ACTIVE,
    CREDIT_CONTAGION,
    FRAUD,
    FRAUD_CAUSE,
    ILLIQUIDITY_RUN,
    INSOLVENCY,
    INTERMEDIARY,
    ORDERLY_EXIT,
    POOL,
    RESOLVING,
    SUSPENDED,
    Platform,
    PlatformBook,
)
from sandbox.market.policy import Policy
from sandbox.market.products import ProductMarket
from sandbox.market.recorder import Recorder
from sandbox.market.regulator import Regulator
from sandbox.market.streams import Streams

if TYPE_CHECKING:
    from sandbox.common.dates import DatedValues
    from sandbox.config.scenario import Scenario
    from sandbox.market.results import RunResult

T = TypeVar("T")


class HorizonError(RuntimeError):
    """``step()`` was called on a model that has already simulated its last month."""


class SandboxModel(mesa.Model):
    """An online lending market under a policy regime, stepped month by month.

    Args:
        scenario: a validated :class:`~sandbox.config.scenario.Scenario`.
        seed: fixes the run exactly. ``None`` draws one (recorded in ``self.seed``).
        months: horizon; defaults to the scenario's.
        accounting: what a broken accounting identity (an error beyond tolerance,
            or NaN) does: ``"error"`` raises :class:`~sandbox.market.accounting.AccountingError`,
            ``"warn"`` warns (:class:`~sandbox.market.accounting.AccountingWarning`) and goes on.

    Stepping by hand works as Mesa expects: ``while model.running: model.step()``
    simulates every month; the last month's step settles the wind-downs still
    running (:meth:`finish`) and turns ``running`` False, and a further
    ``step()`` raises :class:`HorizonError`. :meth:`result` then gives what
    :func:`sandbox.run` gives for the same seed.

    Rules see the model through :class:`~sandbox.market.interface.Market`
    (the section "what rules may use" below), never through its internals.

    Attributes:
        config: the scenario (Mesa reserves ``Model.scenario`` for its own class).
        month: index of the month being simulated (0 is the scenario's start).
        book: every platform's balance sheet and state.
        investors, borrowers: the vectorized populations.
        regulators: the regulator agents (``regulators[0]`` is national).
        policy: the regime in force this month.
        ledger: cumulative flows between sectors, for the accounting check.
        recorder: the monthly series and failure records.

    Building a model asks glibc to keep freed memory for reuse
    (:func:`sandbox.market.memory.keep_freed_memory`; ``SANDBOX_KEEP_FREED_MEMORY=0``
    switches that off).
    """

    #: The agent class for platforms; a subclass of the model may set its own.
    platform_class: type[Platform] = Platform

    def __init__(
        self,
        scenario: Scenario,
        seed: int | None = None,
        months: int | None = None,
        accounting: AccountingMode = "error",
    ) -> None:
        if accounting not in ACCOUNTING_MODES:
            raise ValueError(f"accounting: found {accounting!r}; allowed: {', '.join(ACCOUNTING_MODES)}")
        if seed is None:
            seed = int(cast(int, np.random.SeedSequence().entropy) % (2**63))  # an int when drawn fresh
        super().__init__(rng=seed)
        keep_freed_memory()  # the month's large temporaries are reused, not faulted in again
        self.seed = int(seed)
        self.config = scenario
        self.months = months if months is not None else scenario.months
        self.month = 0
        self.accounting: AccountingMode = accounting
        self._accounting_warned: set[str] = set()  # identities already warned about (warn mode)
        self._finished = False
        self.streams = Streams.from_seed(self.seed)
        self.rules = scenario.rules
        self._rule_states: dict[str, object] = {}  # each rule's own state (Market.rule_state)
        m = scenario.market
        self.behaviour = beh = scenario.behaviour  # response strengths, hazards, thresholds
        self.n_clusters = 2 * m.platforms.regions
        self.book = PlatformBook(capacity=max(64, 2 * m.platforms.initial))
        self.investors = InvestorPopulation(
            m.investors,
            m.information,
            self.streams.investor_population,
            beh.investors,
            regions=m.platforms.regions,
            resolution=m.resolution,
        )
        self.borrowers = BorrowerPopulation(m.borrowers, self.streams.borrower_population, beh.borrowers, m.resolution)
        self.environment = Environment(scenario.environment, scenario.start, self.n_clusters, beh.sentiment)
        self.exposures = ExposureNetwork(m.exposures)
        self.channels = scenario.channels
        self.guarantor_failures: list[tuple[int, int]] = []  # (month, guarantor)
        self.attribution: dict[int, tuple[str | None, str | None]] = {}  # row -> (trigger, channel)
        self._exposure_defaults = np.zeros(0, dtype=np.int64)
        self.ledger = Ledger()
        self.recorder = Recorder(self)
        self.platform_agents: dict[int, Platform] = {}
        self.policy = Policy(self.book.capacity + 1)
        regions = np.array_split(np.arange(m.platforms.regions), scenario.regulator.local_regulators)
        self.regulators = [Regulator(self, scenario.regulator, r, beh.regulator) for r in regions]
        self.controllers: list[int] = []  # controllers of failed frauds, who may come back
        self._failed_pending: list[np.ndarray] = []
        self._short = np.zeros(0, dtype=bool)
        self._abscond = np.zeros(0, dtype=bool)
        self.jurisdictions: Jurisdictions | None = None  # several regulators and regimes (jurisdictions.py)
        self._create_platforms(m.platforms.initial, self.streams.initial_platforms, initial=True)
        self.exposures.declare()  # declared ties of initial platforms replace their draws
        self.environment.census(self.cluster_of(np.arange(self.book.n)), np.zeros(self.book.n))  # before money
        self.jurisdictions = Jurisdictions(self) if scenario.jurisdictions else None
        pp = scenario.products  # internet finance beyond P2P lending (market/products.py); None: P2P alone
        self.products = ProductMarket(pp, m.resolution, scenario.start, self.streams.products) if pp else None

    # ------------------------------------------------------------------ month
    def step(self) -> None:
        """One month, in the order of MODEL.md section 3; the last one also settles the horizon.

        Raises:
            HorizonError: the model has already simulated its last month.
            AccountingError: the month's accounts broke (with ``accounting="error"``).
        """
        if self.month >= self.months:
            raise HorizonError(
                f"{self.config.name}: all {self.months} months are simulated (last "
                f"{self.month_label(self.months - 1)}); build a new model to run again"
            )
        self.policy = self.scheduled_events()  # 1. rules go live, shocks apply
        self.entry()  # 2. applicants enter, screened under licensing
        self.credit_market()  # 3. borrowers demand credit under caps and limits
        orders = self.investor_decisions()  # 4. investors place new money and redeem
        self.platform_operations(orders)  # 5. platforms take money, pay withdrawals, divert
        self.borrower_repayments()  # 6. borrowers repay or default; guarantee calls clear
        self.failure_test()  # 7. illiquid, insolvent, absconded or unviable platforms fail
        self.contagion()  # 8. failures move sentiment and look-alike fear
        self.regulate()  # 9. monitoring, inspections, enforcement, education
        self.end_of_month()  # 10. wind-downs pay out, accounts are checked, data collected
        self.month += 1
        if self.month >= self.months:
            self.finish()

    def run(self, progress: bool = False) -> None:
        """Step through the remaining months, with an optional progress bar."""
        from tqdm.auto import tqdm

        for _ in tqdm(
            range(self.month, self.months), desc=self.config.name, unit="month", disable=not progress, leave=False
        ):
            self.step()
        self.finish()  # a no-op when the last step settled the horizon (a subclass may step differently)

    def result(self) -> RunResult:
        """The tables and summary of this run, as :func:`sandbox.run` returns them.

        Before the horizon they cover the months simulated so far, with wind-downs
        still running left unsettled (their losses not yet booked).

        Raises:
            HorizonError: no month has been simulated yet (there is nothing to summarise).
        """
        from sandbox.market.results import collect

        if self.month == 0:
            raise HorizonError(
                f"{self.config.name}: no month simulated yet; call step() (or run the "
                "model to its horizon) before result()"
            )
        return collect(self)

    # ------------------------------------------------------------- 1. events
    def scheduled_events(self) -> Policy:
        """Rules in force write this month's policy; then they act; shocks apply."""
        self.environment.begin_month(self.month)
        if self.products is not None:  # the money-market fund's fire sales raise the rate for a while
            self.environment.benchmark_rate += self.products.rate_premium
        for shock in self.environment.bank_failures(self.month):
            self.fail_custodian(shock.bank, shock.size)
        self.policy = self._build_policy()
        for rule in self.rules:
            if rule.in_force(self):
                rule.act(self)
        if self.jurisdictions is not None:
            self.jurisdictions.act()  # local rules act; platforms weigh moving home
        return self.policy

    def _build_policy(self) -> Policy:
        """The regime in force: every live rule writes its requirements into a fresh Policy."""
        book = self.book
        if self.jurisdictions is not None:
            return self.jurisdictions.build_policy()  # each platform bound by its home's rules
        policy = Policy(book.capacity + 1)
        for rule in self.rules:
            if rule.in_force(self):
                rule.apply(policy, self)
        book.promised_yield[: book.n] = np.minimum(book.base_yield[: book.n], policy.yield_cap[: book.n])
        return policy

    # --------------------------------------------------------------- 2. entry
    def entry(self) -> None:
        """New platforms apply; under licensing the regulator screens them."""
        if self.jurisdictions is not None:
            return self.jurisdictions.entry()  # applicants apply in one jurisdiction, under its rules
        p, beh = self.config.market.platforms, self.behaviour.platforms
        rate = value_at(p.entry_per_month, self.month, self.config.start)
        k = int(self.streams.entry.poisson(rate))
        applicants = draw_applicants(p, beh, self.exposures, k, self.streams.entry, p.entry_mix or p.mix)
        # Controllers of failed frauds come back under a new name.
        back = [c for c in self.controllers if self.streams.reentry.random() < p.controller_reentry]
        if back:
            extra = draw_applicants(p, beh, self.exposures, len(back), self.streams.reentry, None, kind=FRAUD)
            extra["controller"] = np.array(back)
            applicants = {key: np.concatenate([applicants[key], extra[key]]) for key in applicants}
        admitted = screen(applicants, self.policy, self.streams.screening)
        self.recorder.count("refused", int((~admitted).sum()))
        self.recorder.count("refused_fraud", int((~admitted & (applicants["kind"] == FRAUD)).sum()))
        for c in applicants["controller"][admitted & (applicants["controller"] >= 0)]:
            self.controllers.remove(int(c))
        chosen = {key: v[admitted] for key, v in applicants.items()}
        self.add_platforms(chosen)
        self.recorder.count("entries", int(admitted.sum()))

    def _create_platforms(self, k: int, rng: np.random.Generator, initial: bool) -> None:
        p, beh = self.config.market.platforms, self.behaviour.platforms
        drawn = draw_applicants(p, beh, self.exposures, k, rng, p.mix)
        if initial:
            drawn["age"] = rng.integers(1, beh.incumbent_age_max + 1, k)  # incumbents: in business before the start
        self.add_platforms(drawn)

    def add_platforms(self, a: dict[str, np.ndarray]) -> np.ndarray:
        """Add platforms described by arrays (``kind``, ``base_yield``, ``capital``, ``custody``,
        ``disclosure``, ``visibility``, ``region``; optionally ``controller``, ``age``,
        ``guarantor``, ``group``, ``custodian``) and return their rows."""
        k = a["kind"].size
        if k == 0:
            return np.zeros(0, dtype=np.int64)
        none = np.full(k, -1)
        a = {
            "controller": none,
            "guarantor": none,
            "group": none,
            "custodian": none,
            "age": np.zeros(k, dtype=np.int64),
            **a,
        }
        self._ensure_capacity(k)
        book = self.book
        rows = book.add(k)
        for key in ("kind", "base_yield", "capital", "custody", "disclosure", "visibility", "region", "controller"):
            getattr(book, key)[rows] = a[key]
        book.promised_yield[rows] = a["base_yield"]
        book.entry_month[rows] = self.month - a["age"]
        book.status[rows] = ACTIVE
        book.unit_value[rows] = 1.0
        book.guaranteed[rows], book.note_months[rows] = liquidity_promise(
            a["kind"], self.config.market.platforms, self.streams.liquidity
        )
        book.registered[rows] = self.policy.licensing  # admitted through screening
        book.cash[rows] = a["capital"]  # paid-in capital
        book.equity_flow[rows] = a["capital"]
        self.ledger.capital_in += float(a["capital"].sum())
        self.exposures.assign(rows, a["guarantor"], a["group"], a["custodian"])
        for row in rows:
            self.platform_agents[int(row)] = self.platform_class(self, int(row))
        self.policy = self._build_policy()  # entrants are bound by the rules in force at once
        return rows

    def _ensure_capacity(self, k: int) -> None:
        """Grow the book; loans held by the outside buyer follow its row to the end."""
        book = self.book
        if book.n + k <= book.capacity:
            return
        old_buyer = book.buyer
        held_by_buyer = self.borrowers.platform == old_buyer
        while book.n + k > book.capacity:
            book._grow(max(2 * book.capacity, 64))
        self.borrowers.platform[held_by_buyer] = book.buyer
        self._short = np.zeros(book.capacity + 1, dtype=bool)
        self._abscond = np.zeros(book.capacity + 1, dtype=bool)

    # ------------------------------------------------------ 3. credit market
    def credit_market(self) -> None:
        """Borrowers seek loans; platforms price them under any cap; limits and cash ration them
        (:func:`~sandbox.market.credit.clear_credit`)."""
        credit = clear_credit(
            self.book,
            self.borrowers,
            self.policy,
            self.config.market.platforms,
            self.behaviour,
            self.streams.borrowers,
            self.month,
            stress=self.channels.credit_contagion,
            reach=None if self.jurisdictions is None else self.jurisdictions.borrower_reach,
        )
        self.recorder.add_credit(credit)

    # ------------------------------------------------- 4. investor decisions
    def perception(self) -> Perception:
        """How investors see each platform's monthly failure risk, by literacy band
        (:func:`sandbox.market.investors.perceive` reads what the market shows them)."""
        book = self.book
        n = book.n
        signals = RiskSignals(
            info=self.config.market.information,
            true_risk=self.true_risk(),
            fraud=book.kind[:n] == FRAUD,
            disclosure=book.disclosure[:n],
            disclosure_required=self.policy.disclosure_required[:n],
            audited=book.audited[:n],
            prior=self.environment.prior_of(self.cluster_of(np.arange(n)), book.warned[:n] & self.channels.information),
            promised_yield=book.promised_yield[:n],
            alive=book.alive(),
            rows=book.capacity + 1,
            behaviour=self.behaviour.investors,
            growth=book.inflow_ma[:n] / np.maximum(book.claims(), 1.0),
        )
        return perceive(signals)

    def perceived_risk(self) -> np.ndarray:
        """Mean perceived monthly failure risk, shape ``(literacy bands, platform rows)``."""
        return self.perception()[0]

    def true_risk(self) -> np.ndarray:
        """Each platform's true monthly failure hazard, from its model and balance sheet."""
        book, b = self.book, self.behaviour.platforms
        n = book.n
        kind = book.kind[:n]
        claims = np.maximum(book.claims(), 1.0)
        eq = book.equity()
        # Negative equity: a pool fails at once, a fraud can hide it for years.
        stress = b.negative_equity_risk.by_kind()[kind]
        stress = stress * np.maximum(-eq / claims, 0.0)
        # Flight beyond the usual taking-out of interest drains the cash of a platform that
        # promises par; a pure-matching intermediary owes only what its borrowers repay.
        net_out = np.clip((book.outflow[:n] - book.inflow[:n]) / claims - b.outflow_allowance, 0.0, 1.0)
        flight = np.where(book.guaranteed[:n], b.outflow_risk * net_out, 0.0)
        # Overdue loans (an annual loss rate) matter less than they seem: margins absorb most.
        return np.clip(b.base_risk.by_kind()[kind] + stress + flight + b.overdue_risk * book.overdue[:n], 0.0, 1.0)

    def accepting(self) -> np.ndarray:
        """Platforms taking new money: open for business, and for a pool only while it can
        lend what it takes (idle cash would cost it the promised yield)."""
        book, p = self.book, self.config.market.platforms
        n = book.n
        idle_limit = self.behaviour.platforms.pool_idle_limit * p.pool_reserve * book.claims() + book.capital[:n]
        pool_full = (book.kind[:n] == POOL) & (book.cash[:n] > idle_limit)
        return book.open_for_business() & ~pool_full

    def cluster_of(self, rows: np.ndarray) -> np.ndarray:
        """Look-alike cluster: region, and whether the platform promises investors par (its liquidity promise)."""
        book = self.book
        return book.region[rows] * 2 + book.guaranteed[rows]

    def investor_decisions(self) -> Orders:
        """Investors who review their holdings run, redeem for liquidity, or place new money."""
        book, pol, b = self.book, self.policy, self.behaviour.investors
        n, size = book.n, book.capacity + 1
        alive = np.zeros(size, dtype=bool)
        alive[:n] = book.alive()
        claims = np.maximum(book.claims(), 1.0)
        # The crowd's flight: last month's net outflow as a share of claims. A platform
        # that lost a tenth of its money looks 2% a month riskier to a full herder (at the default).
        flight = np.zeros(size)
        flight[:n] = b.herding_flight * np.clip((book.outflow[:n] - book.inflow[:n]) / claims, 0, 1)
        visibility = np.zeros(size)
        age = np.maximum(self.month - book.entry_month[:n] + 1, 1)
        size_share = book.claims() / max(book.claims()[alive[:n]].sum(), 1.0)
        ramp = np.minimum(1.0, age / b.visibility_ramp_months)  # a new platform is not yet known
        visibility[:n] = book.visibility[:n] * np.sqrt(1.0 + size_share * n) * ramp
        customer_room = self._customer_room(np.arange(size))
        view = MarketView(
            perception=self.perception(),
            unit_value=book.unit_value,
            promised_yield=book.promised_yield,
            visibility=visibility,
            open_rows=np.flatnonzero(self.accepting()),
            alive=alive,
            flight=flight,
            # Households weigh P2P against an online money-market fund, if the scenario has one.
            confidence=self.environment.confidence_by_row(self.cluster_of(np.arange(n)), size)
            * (self.products.p2p_appetite(self) if self.products else 1.0),
            new_money=1.0 - self.environment.funding_cut,
            exposure_cap=pol.exposure_cap,
            exposure_share_cap=pol.exposure_share_cap,
            platform_exposure_cap=pol.customer_exposure_cap,
            customer_room=customer_room,
        )
        orders = self.investors.decide(
            month=self.month,
            rng=self.streams.investors,
            view=view,
            attention=self.config.market.investors.attention,
            runs=self.channels.runs,
        )
        self.recorder.count("run_requests", int(orders.w_run.sum()))
        return orders if self.jurisdictions is None else self.jurisdictions.reachable(orders)

    # ---------------------------------------------- 5. platform operations
    def platform_operations(self, orders: Orders) -> None:
        """Take new money (frauds divert some), pay withdrawals (:func:`~sandbox.market.liquidity.pay_withdrawals`:
        platforms that promise liquidity sell loans when short), accrue promised yields, pay costs."""
        book, inv, p, b = self.book, self.investors, self.config.market.platforms, self.behaviour.platforms
        n, size, uv = book.n, book.capacity + 1, book.unit_value
        # New money. Pilot caps on customers bind here, in arrival order.
        keep = self._within_customer_caps(orders)
        pi, ph, pp, pa = (x[keep] for x in (orders.p_investor, orders.p_holding, orders.p_platform, orders.p_amount))
        new_customer = inv.platform.ravel()[ph] != pp
        inv.settle_placements(pi, ph, pp, pa, uv)
        inflow = sum_by(pp, pa, size)[:n]
        book.customers[:n] += np.bincount(pp[new_customer], minlength=size)[:n]
        book.units[:n] += inflow / uv[:n]
        book.cash[:n] += inflow
        book.inflow[:n] = inflow
        book.inflow_ma[:n] = (1 - b.inflow_weight) * book.inflow_ma[:n] + b.inflow_weight * inflow
        # Frauds divert a share of inflows to their controllers, and a share of any cash
        # beyond a thin buffer; a custodian bank blocks most of both.
        fraud = (book.kind[:n] == FRAUD) & book.alive()
        idle = np.maximum(book.cash[:n] - p.pool_reserve * book.claims(), 0.0)
        kept = 1 - b.custody_blocks * book.custody[:n]
        divert = (p.fraud_diversion * inflow + b.fraud_idle_diversion * idle) * kept
        self._divert(np.where(fraud, np.minimum(divert, np.maximum(book.cash[:n], 0.0)), 0.0))
        # Withdrawals: what is due at par is paid, loans sold when short (market/liquidity.py).
        paid_by = pay_withdrawals(self, orders)
        # Pools and frauds accrue the promised yield on claims (intermediaries pass
        # through what borrowers pay, in step 6).
        alive = book.alive()
        accrue = alive & (book.kind[:n] != INTERMEDIARY)
        claims = book.claims()
        accrual = np.where(accrue, claims * book.promised_yield[:n] / 12.0, 0.0)
        uv[:n] = np.where(accrue, uv[:n] * (1.0 + book.promised_yield[:n] / 12.0), uv[:n])
        book.equity_flow[:n] -= accrual
        # Frauds abscond with a probability that rises with detection risk and falling inflows.
        draw = self.streams.platforms.random(n)
        hazard = p.abscond_hazard + p.abscond_on_inspection * book.inspected[:n]
        hazard = hazard + p.abscond_on_outflow * (inflow < paid_by) + book.abscond_pressure[:n]
        self._abscond = np.zeros(size, dtype=bool)
        self._abscond[:n] = fraud & (draw < hazard)
        book.abscond_pressure[:n] = 0.0
        book.inspected[:n] = False  # last month's inspections have now been felt

    def _within_customer_caps(self, orders: Orders) -> np.ndarray:
        """Placements allowed by per-platform customer caps (pilots): first come, first served."""
        cap = self.policy.customer_cap
        keep = np.ones(orders.p_investor.size, dtype=bool)
        if not np.isfinite(cap).any():
            return keep
        inv = self.investors
        new = inv.platform.ravel()[orders.p_holding] != orders.p_platform
        capped = new & np.isfinite(cap[orders.p_platform])
        idx = np.flatnonzero(capped)
        plat = orders.p_platform[idx]
        order = np.argsort(plat, kind="stable")
        plat_sorted = plat[order]
        first = np.searchsorted(plat_sorted, plat_sorted, side="left")
        rank = np.arange(plat_sorted.size) - first
        keep[idx[order[rank >= self._customer_room(plat_sorted)]]] = False
        return keep

    def _customer_room(self, rows: np.ndarray) -> np.ndarray:
        """New simulated customers platforms ``rows`` may still take under their caps (real persons;
        ``book.customers`` counts simulated investors, each ``weight`` real ones)."""
        cap = np.floor(self.policy.customer_cap[rows] / self.investors.weight)
        return np.maximum(cap - self.book.customers[rows], 0.0)

    def _divert(self, amount: np.ndarray) -> None:
        book = self.book
        n = book.n
        book.cash[:n] -= amount
        book.diverted[:n] += amount
        book.equity_flow[:n] -= amount
        self.ledger.diverted += float(amount.sum())

    def _sell_loans(self, moved: np.ndarray, discount: float | np.ndarray) -> None:
        """Book a sale of ``moved`` principal per platform to the outside buyer at ``discount``."""
        book = self.book
        n, buyer = book.n, book.buyer
        proceeds = moved * (1 - discount)
        book.cash[:n] += proceeds
        book.loans[:n] -= moved
        book.equity_flow[:n] -= moved - proceeds
        book.sale_loss[:n] += moved - proceeds
        book.cash[buyer] -= proceeds.sum()
        book.loans[buyer] += moved.sum()
        book.equity_flow[buyer] += moved.sum() - proceeds.sum()

    # ---------------------------------------------- 6. borrower repayments
    def borrower_repayments(self) -> None:
        """Borrowers repay or default; intermediaries pass the result through to investors."""
        book, b = self.book, self.borrowers
        n, size = book.n, book.capacity + 1
        fee = self.config.market.platforms.fee
        loans_before = book.loans[:n].copy()
        cash_before = book.cash[:n].copy()
        book.strategic = strategic_default(book, self.policy, self.behaviour.collections)  # 逃废债
        rep = b.repay(self.month, self.streams.borrowers, self.environment.hazard_multiplier, book.strategic)
        sums = {k: sum_by(rep.platform, getattr(rep, k), size) for k in ("interest", "principal")}
        sums |= {k: sum_by(rep.default_platform, getattr(rep, k), size) for k in ("recovery", "loss", "contagion_loss")}
        cash_in = sums["interest"] + sums["principal"] + sums["recovery"]
        book.cash += cash_in
        book.loans -= sums["principal"] + sums["recovery"] + sums["loss"]
        b.paid_total += float(cash_in.sum())
        interest, loss = sums["interest"][:n], sums["loss"][:n]
        # A live intermediary keeps its fee; investors take the rest of the result.
        fee_due = np.minimum(fee / 12.0 * loans_before, np.maximum(interest, 0.0))
        to_investors = self._pass_through(interest - fee_due - loss, cash_before + loans_before)
        book.equity_flow[:n] += interest - loss - to_investors
        buyer = book.buyer
        book.equity_flow[buyer] += sums["interest"][buyer] - sums["loss"][buyer]
        book.interest_income[:n] += interest
        book.default_loss[:n] += loss
        book.contagion_loss[:n] += sums["contagion_loss"][:n]
        hit = np.flatnonzero(rep.contagion_loss > 0)
        order = hit[np.argsort(rep.contagion_loss[hit], kind="stable")]
        book.contagion_source[rep.default_platform[order]] = rep.source[order]  # the largest this month wins
        w = self.behaviour.platforms.overdue_weight  # 12: the monthly loss rate, annualised
        book.overdue[:n] = (1 - w) * book.overdue[:n] + w * 12 * loss / np.maximum(loans_before, 1.0)
        # Running costs, paid from cash after collections.
        p = self.config.market.platforms
        fixed = p.fixed_cost_rate * book.capital[:n]
        cost = np.where(book.alive(), p.operating_cost / 12.0 * book.claims() + fixed, 0.0)
        cost = np.minimum(cost, np.maximum(book.cash[:n], 0.0))
        book.cash[:n] -= cost
        book.equity_flow[:n] -= cost
        self.ledger.opex += float(cost.sum())
        book.last_cost[:n] = cost
        margin = np.where(book.kind[:n] == INTERMEDIARY, fee_due, interest - loss) - cost
        book.loss_months[:n] = np.where(margin < 0, book.loss_months[:n] + 1, 0)
        if self.exposures.active:
            self.clear_guarantees(loss)
        self.recorder.add_defaults(rep.defaults, rep.performing)

    def _pass_through(self, result: np.ndarray, book_size: np.ndarray) -> np.ndarray:
        """Credit a live intermediary's investors with their share of ``result`` (yuan per row).

        Investors fund ``claims / book_size`` of the book; the platform's own
        money funds the rest and keeps its share. Unit values stay positive.
        Returns what went to investors (zero for other platforms).
        """
        book = self.book
        n = book.n
        passes = (book.kind[:n] == INTERMEDIARY) & book.alive() & (book.units[:n] > 0)
        funded = np.clip(book.claims() / np.maximum(book_size, 1.0), 0.0, 1.0)
        to_investors = np.where(passes, funded * result, 0.0)
        to_investors = np.maximum(to_investors, -0.99 * book.unit_value[:n] * book.units[:n])  # a guard, not behaviour
        book.unit_value[:n] += np.divide(to_investors, book.units[:n], out=np.zeros(n), where=passes)
        return to_investors

    def fail_custodian(self, bank: int, lost_share: float) -> None:
        """A custodian bank fails: platforms banking there lose ``lost_share`` of their cash.

        A live intermediary's investors bear it through their unit value, as they
        bear loan losses; other platforms lose equity. The loss counts as coming
        through an exposure tie (``exposure_loss``, source ``bank b``).
        """
        from sandbox.market.exposures import bank_code

        book, net = self.book, self.exposures
        n = book.n
        hit = book.alive() & book.custody[:n] & (net.custodian[:n] == bank)
        loss = np.where(hit, lost_share * np.maximum(book.cash[:n], 0.0), 0.0)
        to_investors = self._pass_through(-loss, book.cash[:n] + book.loans[:n])
        book.cash[:n] -= loss
        book.equity_flow[:n] -= loss + to_investors
        book.exposure_loss[:n] += loss
        book.exposure_source[:n][hit] = bank_code(bank)
        self.ledger.bank_losses += float(loss.sum())
        net.bank_failures.append((self.month, bank, float(loss.sum())))

    def clear_guarantees(self, loss: np.ndarray) -> None:
        """Guarantee fees are paid; this month's calls on loan losses clear by Eisenberg-Noe.

        What a guarantor or peer cannot pay stays with the creditor platform
        (``exposure_loss``); a platform that cannot pay its peers' calls fails
        in the failure test; a guarantee company that cannot pay stops guaranteeing.
        """
        book, net = self.book, self.exposures
        n = book.n
        alive = book.alive()
        fee = np.minimum(net.fees(book.loans[:n], alive), np.maximum(book.cash[:n], 0.0))
        net.collect_fees(fee)
        book.cash[:n] -= fee
        book.equity_flow[:n] -= fee
        self.ledger.guarantee_fees += float(fee.sum())
        s = net.settle(loss, book.cash[:n], alive, backstop=not self.channels.exposures)
        self.ledger.guarantees_in += s.from_outside
        # A live intermediary passes what it receives on to its investors, as it did the losses.
        to_investors = self._pass_through(s.received, book.cash[:n] + book.loans[:n])
        book.cash[:n] += s.received - s.paid
        book.equity_flow[:n] += s.received - to_investors - s.paid
        book.exposure_loss[:n] += s.unpaid
        has = s.source != -1
        book.exposure_source[:n][has] = s.source[has]
        self._exposure_defaults = s.defaulted_rows
        for g in s.defaulted_guarantors:
            net.failed_month[g] = self.month
            self.guarantor_failures.append((self.month, int(g)))
            guaranteed = np.flatnonzero(alive & (net.guarantor[:n] == g))
            if self.channels.information and guaranteed.size:
                # Investors of the platforms it guaranteed learn their guarantee is gone.
                self.environment.record_failures(np.unique(self.cluster_of(guaranteed)), np.zeros(1), 0.0)

    # --------------------------------------------------- 7. failure test
    def failure_test(self) -> None:
        """Fail platforms that cannot pay (illiquid), have no equity left (insolvent),
        abscond (fraud), or no longer cover their costs (intermediaries exit)."""
        book, p = self.book, self.config.market.platforms
        n = book.n
        alive = book.alive()
        kind = book.kind[:n]
        eq = book.equity()
        short, abscond = self._short[:n], self._abscond[:n]
        fraud = alive & (kind == FRAUD) & (short | abscond)
        # A pool or guaranteed intermediary fails when it cannot pay what is due or its equity
        # is gone. If it was solvent before this month's loan sales, the run brought it down.
        promised = alive & book.guaranteed[:n] & (kind != FRAUD)
        before_run = eq + book.sale_loss[:n]
        insolvent = promised & (before_run < 0)
        run = promised & (short | (eq < 0)) & ~insolvent
        # Insolvent, but solvent without losses on borrowers stressed by a lost lender,
        # or without guarantee calls its guarantors left unpaid: contagion.
        tipped = insolvent & (before_run + book.contagion_loss[:n] + book.exposure_loss[:n] >= 0)
        # A platform that could not pay its peers' calls in cash fails if that left it insolvent.
        defaulted = np.zeros(n, dtype=bool)
        defaulted[self._exposure_defaults] = True
        self._exposure_defaults = np.zeros(0, dtype=np.int64)
        tipped |= alive & defaulted & (eq < 0) & ~(fraud | run)
        b = self.behaviour.platforms
        losing = book.loss_months[:n] >= p.unviable_months
        unviable = alive & (kind == INTERMEDIARY) & losing & (eq < b.unviable_equity * book.capital[:n])
        if b.launch_months > 0:
            # Owners close an honest platform that never took off: past its launch, still losing,
            # its investors' money under stall_scale x its capital (WDZJ's 停业, mostly young).
            age = self.month - book.entry_month[:n]
            stalled = alive & (kind != FRAUD) & losing & (age >= b.launch_months)
            unviable |= stalled & (book.claims() < b.stall_scale * book.capital[:n])
        self.fail(np.flatnonzero(fraud), FRAUD_CAUSE, orderly=False, absconded=abscond[fraud])
        self.fail(np.flatnonzero(tipped), CREDIT_CONTAGION, orderly=False)
        self.fail(np.flatnonzero(insolvent & ~tipped), INSOLVENCY, orderly=False)
        self.fail(np.flatnonzero(run), ILLIQUIDITY_RUN, orderly=False)
        self.fail(np.flatnonzero(unviable), ORDERLY_EXIT, orderly=True)

    def fail(self, rows: np.ndarray, cause: int, orderly: bool, absconded: np.ndarray | None = None) -> None:
        """Record failures and start each platform's wind-down.

        An orderly wind-down (regulator-run) collects loans for longer and
        borrowers keep paying; a disorderly one (collapse, flight) collects
        briefly while many borrowers stop paying. A resolution rule can make a
        share of disorderly failures orderly.
        """
        book, pol = self.book, self.policy
        rows = np.asarray(rows, dtype=np.int64)
        if absconded is None:
            absconded = np.zeros(rows.size, dtype=bool)
        live = book.alive()[rows]
        rows, absconded = rows[live], absconded[live]
        if rows.size == 0:
            return
        res = self.config.market.wind_down
        draw = self.streams.platforms.random(rows.size)
        ordered = np.full(rows.size, orderly) | (draw < pol.orderly_share)
        # An absconding controller takes the cash a custodian does not hold back.
        blocks = self.behaviour.platforms.custody_blocks
        take = np.where(absconded, book.cash[rows] * (1 - blocks * book.custody[rows]), 0.0)
        amount = np.zeros(book.n)
        amount[rows] = np.maximum(take, 0.0)
        self._divert(amount)
        months_orderly = pol.resolution_months or res.orderly_months
        book.status[rows] = RESOLVING
        book.fail_month[rows] = self.month
        book.fail_cause[rows] = cause
        book.orderly[rows] = ordered
        book.claims_at_failure[rows] = book.units[rows] * book.unit_value[rows]
        book.resolution_end[rows] = self.month + np.where(ordered, months_orderly, res.disorderly_months)
        failed = np.zeros(book.capacity + 1, dtype=bool)
        failed[rows] = True
        self.borrowers.lose_lender(failed)
        frauds = rows[book.kind[rows] == FRAUD]
        self.controllers.extend(int(r) for r in frauds if not book.blacklisted[r])
        if pol.blacklist:
            book.blacklisted[frauds] = True
        self._failed_pending.append(rows)
        self.attribute(rows, cause)
        self.recorder.record_failures(rows, cause)
        for row in rows:
            self.platform_agents[int(row)].on_failure(self.recorder.cause_name(cause), bool(book.orderly[row]))

    def attribute(self, rows: np.ndarray, cause: int) -> None:
        """Name the failure that most plausibly triggered each of ``rows``, and the channel
        (:func:`~sandbox.market.attribution.attribute_failures`)."""
        self.attribution.update(
            attribute_failures(self.book, self.recorder.failures, self.month, rows, cause, self.cluster_of)
        )

    # --------------------------------------------------------- 8. contagion
    def contagion(self) -> None:
        """Failures lower sentiment by their share of platforms and money, and raise fear of look-alikes."""
        book, env = self.book, self.environment
        rows = np.concatenate([np.zeros(0, dtype=np.intp), *self._failed_pending])
        self._failed_pending = []
        alive = np.flatnonzero(book.alive())  # with the month's failed, the census news is a share of
        env.census(self.cluster_of(np.r_[alive, rows]), np.r_[book.claims()[alive], book.claims_at_failure[rows]])
        env.recover()
        if rows.size and self.channels.information:
            d = np.maximum(book.disclosure[: book.n], self.policy.disclosure_required[: book.n])[alive]
            disclosure = float(np.average(d, weights=book.claims()[alive] + 1.0)) if alive.size else 0.0
            env.record_failures(self.cluster_of(rows), book.claims_at_failure[rows], disclosure)

    # -------------------------------------------------------- 9. regulate
    def regulate(self) -> None:
        """Regulators score, inspect and enforce; platforms under orders may comply;
        investor education raises literacy; audits catch falsified disclosure."""
        pol, book, rng = self.policy, self.book, self.streams.regulator
        for regulator in self.regulators:
            regulator.step_month(self.jurisdictions.regulator_policy(regulator) if self.jurisdictions else pol, rng)
        n = book.n
        audit = book.alive() & (book.kind[:n] == FRAUD) & (rng.random(n) < pol.audit_probability)
        book.audited[:n] |= audit
        self._comply(rng)
        choose(self)  # platforms facing an exit deadline wind down, convert or carry on (choices.py)
        if pol.education > 0:
            self.investors.educate(pol.education, self.month)

    def _comply(self, rng: np.random.Generator) -> None:
        """Honest platforms under an order or a requirement comply with some probability a month."""
        book, pol = self.book, self.policy
        n = book.n
        honest = book.alive() & (book.kind[:n] != FRAUD)
        draw = rng.random(n) < self.behaviour.platforms.compliance
        act = honest & draw
        book.custody[:n] |= act & pol.custody_required[:n]
        book.disclosure[:n] = np.where(
            act, np.maximum(book.disclosure[:n], pol.disclosure_required[:n]), book.disclosure[:n]
        )
        # Under a pool ban every solvent pool works toward converting, from the day
        # the ban is announced (incumbents have until the end of their grace period).
        convert = act & (book.kind[:n] == POOL) & (pol.pool_banned[:n] | pol.pool_ban_entry) & (book.equity() >= 0)
        self.convert_to_intermediary(np.flatnonzero(convert))
        back = act & (book.rung[:n] > 0) & ~self.regulators[0].misconduct(np.arange(n), pol)
        book.rung[:n] = np.where(back, 0, book.rung[:n])
        book.deadline[:n] = np.where(back, -1, book.deadline[:n])
        book.status[:n] = np.where(back & (book.status[:n] == SUSPENDED), ACTIVE, book.status[:n])

    def convert_to_intermediary(self, rows: np.ndarray) -> None:
        """A pool becomes a matching intermediary: it stops promising a fixed yield, passes
        loan results through, and advertises an intermediary's typical yield."""
        self.book.kind[rows] = INTERMEDIARY
        self.book.guaranteed[rows] = False  # it promises only what its borrowers repay
        self.book.note_months[rows] = 1.0
        self.book.base_yield[rows] = self.config.market.platforms.promised_yield.intermediary
        self.recorder.count("conversions", int(rows.size))

    def charge_fine(self, row: int, amount: float) -> None:
        """A fine paid from the platform's cash to the state."""
        book = self.book
        paid = min(amount, max(book.cash[row], 0.0))
        book.cash[row] -= paid
        book.fines[row] += paid
        book.equity_flow[row] -= paid
        self.ledger.fines += paid

    # ------------------------------------------------- 10. end of month
    def end_of_month(self) -> None:
        """Wind-downs pay investors what they collected, those that end close; check accounts; record."""
        book = self.book
        n = book.n
        closing = ending(self)
        held = holdings_paid(self, closing)  # one scan of the holdings serves both payouts
        distribute(self, closing, held)  # recoveries reach investors month by month (market/collections.py)
        self.close(closing, held)
        size = max(1.0, float(book.claims()[book.alive()].sum()))
        book.claims_peak[:n] = np.maximum(book.claims_peak[:n], book.claims())
        if self.products is not None:  # the products' month; its identities join the market's
            self.products.step(self)
        errors = self.ledger.errors(self) | (self.products.errors() if self.products else {})
        self.recorder.end_month(worst(errors)[1], size)
        if self.products is not None:
            self.recorder.rows[-1].update(self.products.row())
        enforce(errors, self.month_label(), max(size, self.ledger.capital_in), self.accounting, self._accounting_warned)
        if self.jurisdictions is not None:
            self.jurisdictions.record()

    def close(self, rows: np.ndarray, held: np.ndarray | None = None) -> None:
        """End wind-downs: sell the remaining loans, pay investors, write off the rest
        (:func:`~sandbox.market.collections.close`; ``held``: its ``among``)."""
        close(self, rows, held)

    def finish(self) -> None:
        """At the horizon, settle wind-downs still running as if their loans were sold now,
        so every failure's investor loss is booked; ``running`` turns False. Settles once:
        a second call does nothing."""
        self.running = False
        if self._finished:
            return
        self._finished = True
        book = self.book
        pending = np.flatnonzero(book.status[: book.n] == RESOLVING)
        self.close(pending)
        self.recorder.settle_last_month()

    # ---------------------------------------------------------- results
    def month_label(self, index: int | None = None) -> str:
        """``YYYY-MM`` of month ``index`` (default: the current one)."""
        return month_label(self.month if index is None else index, self.config.start)

    # ------------------------------- what rules may use (interface.Market)
    @property
    def regions(self) -> int:
        """Number of regions platforms are spread over."""
        return self.config.market.platforms.regions

    @property
    def benchmark_rate(self) -> float:
        """The benchmark lending rate this month (annual fraction)."""
        return self.environment.benchmark_rate

    @property
    def screening_rng(self) -> np.random.Generator:
        """The random stream of the regulator's screening of platforms."""
        return self.streams.screening

    def month_index(self, label: str) -> int:
        """Index of month ``label`` (``YYYY-MM``) counted from the scenario's start."""
        return month_index(label, self.config.start)

    def value_now(self, value: float | DatedValues) -> float:
        """A dated parameter's value in the current month."""
        return value_at(value, self.month, self.config.start)

    def order_exit(self, rows: np.ndarray) -> None:
        """Platforms ``rows`` wind down in an orderly way (cause: orderly exit)."""
        self.fail(rows, ORDERLY_EXIT, orderly=True)

    def revoke(self, rows: np.ndarray) -> None:
        """The national regulator revokes the licences of ``rows`` under the policy in force."""
        self.regulators[0].revoke(rows, self.policy)

    def suspend(self, rows: np.ndarray) -> None:
        """Live platforms among ``rows`` take no new business until they comply."""
        rows = np.asarray(rows, dtype=np.int64)
        self.book.status[rows[self.book.alive()[rows]]] = SUSPENDED

    def rule_state(self, key: str, factory: Callable[[], T]) -> T:
        """A rule's own state for this run, made by ``factory()`` on first use, then kept."""
        if key not in self._rule_states:
            self._rule_states[key] = factory()
        return cast(T, self._rule_states[key])
