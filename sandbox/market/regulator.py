"""The regulator: monitoring, capacity-limited inspections and the enforcement ladder.

The regulator never sees a platform's business model. It scores platforms
from observable signals, inspects the highest scores (or a random sample) up to
the month's capacity, and finds misconduct with a probability that rises with
disclosure and custody. Each finding moves the platform one rung up the ladder:
warning, rectification order with a deadline, fine, suspension of new
business, revocation with orderly wind-down. A detected fraud is revoked at
once and its controller blacklisted when a blacklist is in force. Separately,
up to ``enforcement_capacity`` checks a month find platforms operating after an
exit deadline (:func:`~sandbox.market.choices.catch_illegal_operators`): each is
fined and ordered to exit, so the pace of enforced exits follows capacity.

Rules switch these powers on through the month's :class:`~sandbox.market.policy.Policy`:
with no inspection rule the capacity is zero and the regulator only monitors.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import mesa
import numpy as np

from sandbox.market.choices import catch_illegal_operators
from sandbox.market.params import RegulatorBehaviour, RegulatorParams
from sandbox.market.platforms import FRAUD, POOL, REGULATORY, SUSPENDED

if TYPE_CHECKING:
    from sandbox.market.model import SandboxModel
    from sandbox.market.policy import Policy


class Regulator(mesa.Agent):
    """A regulator agent (the national one, or a local one covering some regions)."""

    def __init__(
        self,
        model: SandboxModel,
        params: RegulatorParams,
        regions: np.ndarray,
        behaviour: RegulatorBehaviour | None = None,
    ) -> None:
        super().__init__(model)
        self.params = params
        self.behaviour = behaviour if behaviour is not None else RegulatorBehaviour()
        self.regions = regions
        self.inspections = 0
        self.findings = 0
        self.actions = {"warning": 0, "rectification": 0, "fine": 0, "suspension": 0, "revocation": 0}
        self.public_warnings = 0

    def covers(self) -> np.ndarray:
        """Platforms this regulator supervises: those of its regions (a mask over the book)."""
        book = self.model.book
        return np.isin(book.region[: book.n], self.regions)

    def share_of(self, total: int) -> int:
        """Its share of a capacity all regulators split evenly (the first ones take the remainder)."""
        k, i = len(self.model.regulators), self.model.regulators.index(self)
        return total // k + (i < total % k)

    def risk_scores(self, policy: Policy, rng: np.random.Generator) -> np.ndarray:
        """Risk score per platform row from observable signals (higher is riskier).

        Signals: yield premium over the median, growth of claims, complaints,
        disclosed overdue rate, no custody. An early-warning
        system weighs all of them and sees them more precisely; without it the
        regulator looks at yield premium and complaints only.
        """
        book, b = self.model.book, self.behaviour
        n = book.n
        claims = np.maximum(book.claims(), 1.0)
        alive = book.alive()
        y = book.promised_yield[:n]
        premium = (y - np.median(y[alive])) / b.premium_unit if alive.any() else np.zeros(n)
        complaints = book.complaints[:n] * b.complaints_weight
        growth = np.clip(book.inflow_ma[:n] / claims, 0, 1) * b.growth_weight
        overdue = np.where(book.kind[:n] == FRAUD, 0.0, book.overdue[:n]) * b.overdue_weight  # frauds report none
        no_custody = (~book.custody[:n]).astype(float)
        if policy.early_warning:
            # Disclosed overdue counts little: frauds report none.
            score = b.warning_premium * premium + complaints + growth
            score = score + b.warning_overdue * overdue + b.warning_no_custody * no_custody
            shared = policy.information_sharing  # otherwise each regulator sees only its regions
            noise = b.warning_noise if shared else b.warning_noise * np.sqrt(len(self.model.regulators))
        else:
            score = premium + complaints
            noise = b.rough_noise  # no monitoring system: a rough view
        return score + rng.normal(0, noise, n)

    def step_month(self, policy: Policy, rng: np.random.Generator) -> None:
        """Step 9: score, inspect, enforce, publish warnings."""
        model = self.model
        book = model.book
        n = book.n
        mine = self.covers() & book.alive()
        scores = self.risk_scores(policy, rng)
        book.risk_score[:n] = np.where(mine, scores, book.risk_score[:n])
        capacity = self.share_of(policy.inspection_capacity)
        candidates = np.flatnonzero(mine)
        if capacity > 0 and candidates.size:
            if policy.targeting == "random":
                chosen = rng.choice(candidates, size=min(capacity, candidates.size), replace=False)
            else:
                chosen = candidates[np.argsort(-scores[candidates], kind="stable")[:capacity]]
            self.inspect(np.sort(chosen), policy, rng)
        self.enforce_deadlines(policy)
        # Platforms operating after an exit deadline: this regulator's share of the checks.
        checks = self.share_of(policy.enforcement_capacity)
        catch_illegal_operators(self, policy, checks)
        if policy.early_warning and policy.publish_warnings:
            flagged = candidates[(scores[candidates] > policy.warning_threshold) & ~book.warned[candidates]]
            book.warned[flagged] = True  # a platform is named once
            self.public_warnings += flagged.size
            if flagged.size and model.channels.information:
                model.environment.record_warnings(model.cluster_of(flagged))

    def misconduct(self, rows: np.ndarray, policy: Policy) -> np.ndarray:
        """Which of ``rows`` break a rule in force (fraud always does)."""
        book = self.model.book
        bad = book.kind[rows] == FRAUD
        bad |= (book.kind[rows] == POOL) & policy.pool_banned[rows]
        bad |= policy.custody_required[rows] & ~book.custody[rows]
        bad |= book.disclosure[rows] < policy.disclosure_required[rows] - 1e-9
        bad |= policy.registration_required[rows] & ~book.registered[rows]
        return bad

    def inspect(self, rows: np.ndarray, policy: Policy, rng: np.random.Generator) -> None:
        """Inspect ``rows``: find misconduct with a probability and climb the ladder."""
        book = self.model.book
        p = self.params
        self.inspections += rows.size
        book.inspected[rows] = True
        d = np.maximum(book.disclosure[rows], policy.disclosure_required[rows])
        chance = np.clip(p.detection_base + p.detection_disclosure * d + p.detection_custody * book.custody[rows], 0, 1)
        found = rows[self.misconduct(rows, policy) & (rng.random(rows.size) < chance)]
        self.findings += found.size
        fraud = found[book.kind[found] == FRAUD]
        if fraud.size:
            book.detected_month[fraud] = self.model.month
            self.revoke(fraud, policy)
        for row in found[book.kind[found] != FRAUD]:
            self.climb(int(row), policy)

    def climb(self, row: int, policy: Policy) -> None:
        """One rung up the enforcement ladder for platform ``row``."""
        book = self.model.book
        book.rung[row] += 1
        rung = book.rung[row]
        if rung == 1:
            self.actions["warning"] += 1
        elif rung == 2:
            self.actions["rectification"] += 1
        elif rung == 3:
            self.actions["fine"] += 1
            self.model.charge_fine(row, policy.fine)
        elif rung == 4:
            self.actions["suspension"] += 1
            book.status[row] = SUSPENDED
        else:
            self.revoke(np.array([row]), policy)
            return
        if rung >= 2:  # each order from rectification on carries a deadline
            book.deadline[row] = self.model.month + policy.rectification_months

    def enforce_deadlines(self, policy: Policy) -> None:
        """An order whose deadline passed without compliance escalates one rung."""
        book = self.model.book
        n = book.n
        due = np.flatnonzero(book.alive() & (book.rung[:n] >= 2) & (book.deadline[:n] == self.model.month))
        due = due[self.covers()[due]]
        for row in due[self.misconduct(due, policy)]:
            self.climb(int(row), policy)

    def revoke(self, rows: np.ndarray, policy: Policy) -> None:
        """Revoke licences: orderly wind-down run by the regulator; blacklist fraud controllers."""
        book = self.model.book
        rows = rows[self.model.book.alive()[rows]]
        if rows.size == 0:
            return
        self.actions["revocation"] += rows.size
        if policy.blacklist:
            book.blacklisted[rows[book.kind[rows] == FRAUD]] = True
        self.model.fail(rows, REGULATORY, orderly=True)
