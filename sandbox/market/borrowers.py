"""Borrowers: a vectorized population with loans on one or several platforms.

Each borrower has at most ``L`` loans, stored as ``(n, L)`` arrays: lending
platform row (``-1`` for none), principal outstanding, annual rate and months
left. Loans amortize in equal principal instalments.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from sandbox.market.arrays import (
    bernoulli_indices,
    count_at_most,
    entry_months,
    first_index,
    row_any,
    row_sum,
    sampled,
    shifted_counts,
    sum_by,
)
from sandbox.market.params import BorrowerBehaviour, BorrowerParams

NONE = -1


@dataclass
class Repayments:
    """One month of repayments: over the loans that were due (``platform``,
    ``interest``, ``principal``; zero where the loan defaulted), and over the
    defaulted loans only (the ``default_*`` arrays, ``loss``, ``recovery``)."""

    platform: np.ndarray
    interest: np.ndarray
    principal: np.ndarray
    default_platform: np.ndarray
    recovery: np.ndarray
    loss: np.ndarray
    contagion_loss: np.ndarray
    source: np.ndarray  # for each default, the platform whose failure stressed its borrower (-1: none)
    defaults: int
    performing: int


class BorrowerPopulation:
    """All borrowers as struct-of-arrays.

    Attributes:
        weight: real borrowers each simulated one stands for (its yuan are theirs together).
        pd: annual default probability.
        demand: typical loan size (yuan, of the ``weight`` borrowers together); ``capacity``
            (``capacity_multiple`` x demand, 1.5 by default) is the debt a borrower can carry
            before its hazard rises.
        max_rate: highest APR the borrower accepts.
        rollover: depends on rolling loans over; losing a lender then raises its hazard.
        stressed_until: month until which a borrower who lost its lender is under stress.
    """

    def __init__(
        self,
        params: BorrowerParams,
        rng: np.random.Generator,
        behaviour: BorrowerBehaviour | None = None,
        resolution: float = 1.0,
    ) -> None:
        n, L = sampled(params.count, resolution), params.max_loans
        self.n, self.L = n, L
        # Each simulated borrower stands for `weight` real ones who borrow alike: its
        # loans are theirs together, so platforms' books are in real yuan.
        self.weight = params.count / n
        self.params = params
        self.behaviour = behaviour if behaviour is not None else BorrowerBehaviour()
        a = params.pd_mean * params.pd_concentration
        b = (1 - params.pd_mean) * params.pd_concentration
        self.pd = rng.beta(a, b, n).astype(np.float32)
        self.monthly_pd = (1.0 - (1.0 - self.pd) ** (1.0 / 12.0)).astype(np.float32)
        self.company = rng.random(n) < params.company_share
        size = np.where(self.company, params.company_demand_factor, 1.0)
        self.demand = self.weight * size * rng.lognormal(np.log(params.demand_median), params.demand_sigma, n)
        self.capacity = (
            self.behaviour.capacity_multiple * self.demand
        )  # debt a borrower can carry; above it, default risk rises
        self.max_rate = np.maximum(rng.normal(params.max_rate_mean, params.max_rate_sd, n), 0.0).astype(np.float32)
        self.rollover = rng.random(n) < params.rollover_share
        self.entry_month = entry_months(rng, n, params.active_at_start, params.adoption_months)
        self.stressed_until = np.full(n, -1, dtype=np.int32)
        self.stress_source = np.full(n, NONE, dtype=np.int32)  # the lender whose failure left it stranded
        self.refinance = np.zeros(n, dtype=bool)
        # Platform rows as intp: numpy indexes and counts with intp, so int32 ids
        # would be converted on every gather (measured 2-4x slower here).
        self.platform = np.full((n, L), NONE, dtype=np.intp)
        self.principal = np.zeros((n, L))
        self._count_buffer: list = []
        self.rate = np.zeros((n, L), dtype=np.float32)
        self.remaining = np.zeros((n, L), dtype=np.int16)
        w = np.asarray(params.term_weights, dtype=float)
        self._terms = np.asarray(params.term_months, dtype=np.int16)
        self._term_p = w / w.sum()
        self.defaults_total = 0
        self.borrowed_total = 0.0  # yuan lent to borrowers, all time
        self.paid_total = 0.0  # yuan borrowers paid back (interest, principal, recoveries)

    def debt(self) -> np.ndarray:
        """Total principal each borrower owes."""
        return row_sum(self.principal)

    def entered(self, month: int) -> int:
        """How many borrowers are in the market in ``month``: they are the first that many."""
        return count_at_most(self.entry_month, month)

    def request(self, month: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
        """Step 3a: who seeks credit this month. Returns (borrowers, refinancing flag)."""
        need = bernoulli_indices(rng, self.entered(month), self.params.need_rate)
        free = row_any(np.take(self.platform, need, axis=0) == NONE)
        # A borrower who must refinance asks even with no free slot: without a new
        # lender within the month it comes under stress.
        wants = self.refinance.copy()
        wants[need[free]] = True
        who = np.flatnonzero(wants)
        return who, self.refinance[who]

    def price(self, who: np.ndarray, platform: np.ndarray, funding_rate: np.ndarray) -> np.ndarray:
        """The APR platform ``platform`` needs from each borrower: funding cost plus a risk premium."""
        return funding_rate[platform] + self.params.risk_premium * self.pd[who]

    def draw_terms(self, k: int, rng: np.random.Generator) -> np.ndarray:
        """Loan terms (months) for ``k`` new loans."""
        # rng.choice(self._terms, size=k, p=self._term_p), draw for draw: numpy draws one
        # uniform each and takes the first term whose cumulative share exceeds it. Counting
        # the shares at or below each uniform, a compare per term, replaces its binary search.
        cdf = self._term_p.cumsum()
        cdf /= cdf[-1]
        u = rng.random(k)
        index = np.zeros(k, dtype=np.intp)
        for share in cdf[:-1].tolist():  # a uniform is below the last share, 1
            index += u >= share
        return self._terms[index]

    def book_loans(
        self,
        who: np.ndarray,
        platform: np.ndarray,
        amount: np.ndarray,
        rate: np.ndarray,
        term: np.ndarray,
        lenders: np.ndarray | None = None,
    ) -> None:
        """Record new loans in each borrower's first free slot (``who`` distinct).

        ``lenders``: the borrowers' rows of :attr:`platform` if the caller has them
        already (they are gathered otherwise).
        """
        if lenders is None:
            lenders = np.take(self.platform, who, axis=0)
        loan = who * self.L + first_index(lenders.T, NONE)  # flat loan index
        self.platform.ravel()[loan] = platform
        self.principal.ravel()[loan] = amount
        self.rate.ravel()[loan] = rate
        self.remaining.ravel()[loan] = term

    def repay(
        self,
        month: int,
        rng: np.random.Generator,
        hazard_multiplier: float,
        strategic_default: np.ndarray,
    ) -> Repayments:
        """Step 6: every loan pays interest and its instalment, or defaults.

        The monthly hazard is the annual PD spread over 12 months, times the
        macro multiplier, times ``contagion_multiplier`` while the borrower is
        stressed by a lost lender, times debt over capacity when above 1.
        Borrowers of a failed platform also stop paying it with the
        platform's ``strategic_default`` probability.
        """
        p = self.params
        flat_platform = self.platform.ravel()
        due = np.flatnonzero(flat_platform != NONE)
        # The borrower of each loan; a shift when L is a power of two (the default 2), as
        # 64-bit integer division is several times slower over millions of loans.
        L = self.L
        who = due >> (L.bit_length() - 1) if L & (L - 1) == 0 else due // L
        plat = flat_platform[due]
        principal = self.principal.ravel()[due]
        # Hazards per borrower (one pass each), then gathered once per loan.
        stressed = self.stressed_until >= month
        overload = self.debt()
        overload /= self.capacity
        np.maximum(overload, 1.0, out=overload)
        # (pd x multiplier, float32) x overload: multiplied into overload, the same products
        hazard = np.multiply(self.monthly_pd * np.float32(hazard_multiplier), overload, out=overload)
        np.multiply(hazard, p.contagion_multiplier, out=hazard, where=stressed)
        default = rng.random(due.size, dtype=np.float32) < hazard[who]
        # Borrowers of failed platforms stop paying them (strategic default). With no
        # platform stopped there is nothing to draw (an empty draw takes nothing from rng).
        stopped = strategic_default > 0
        if stopped.any():
            exposed = np.flatnonzero(~default & stopped[plat])
            default[exposed[rng.random(exposed.size) < strategic_default[plat[exposed]]]] = True
        # Performing loans pay interest and an equal instalment; the few defaults
        # are handled on their own (about 1% of loans a month).
        remaining = self.remaining.ravel()[due]
        interest = principal * self.rate.ravel()[due]
        interest /= 12.0
        instalment = principal / np.maximum(remaining, 1)
        d = np.flatnonzero(default)
        interest[d] = 0.0
        instalment[d] = 0.0
        loss = principal[d] * p.loss_given_default
        recovery = principal[d] - loss
        contagion_loss = np.where(stressed[who[d]], loss, 0.0)

        new_remaining = (remaining - 1).astype(np.int16)
        new_remaining[d] = 0
        ended = np.flatnonzero(new_remaining <= 0)  # a minority of the loans due: index them
        new_principal = principal - instalment
        new_principal[ended] = 0.0  # defaulted, or the last instalment (clears rounding)
        self.principal.ravel()[due] = new_principal
        self.remaining.ravel()[due] = new_remaining
        flat_platform[due[ended]] = NONE
        # A rollover borrower whose loan matured must refinance next month.
        ended_by = who[ended]
        self.refinance[ended_by[~default[ended] & self.rollover[ended_by]]] = True
        self.defaults_total += d.size
        return Repayments(
            plat,
            interest,
            instalment,
            plat[d],
            recovery,
            loss,
            contagion_loss,
            self.stress_source[who[d]],
            d.size,
            int(due.size),
        )

    def lose_lender(self, failed: np.ndarray) -> np.ndarray:
        """Rollover borrowers of failed platforms must find another lender.

        Args:
            failed: boolean per platform row (with a False at index -1).

        Returns:
            Borrowers who lost a lender.
        """
        # Only rollover borrowers (about a third) are looked at: their loans are
        # gathered rather than every borrower's tested.
        rollover = np.flatnonzero(self.rollover)
        lenders = np.take(self.platform, rollover, axis=0)
        lost = failed[lenders]
        hit = np.flatnonzero(row_any(lost))
        who = rollover[hit]
        self.refinance[who] = True
        first = lost[hit].argmax(axis=1)
        self.stress_source[who] = lenders[hit, first]
        return who

    def principal_by_platform(self, size: int) -> np.ndarray:
        """Principal owed to each platform row, summed from the loans (for the accounting check)."""
        return shifted_counts(self.platform, self.principal, size, self._count_buffer)

    def transfer(self, mask_platform: np.ndarray, share: np.ndarray, to: int, rng: np.random.Generator) -> np.ndarray:
        """Move a random ``share`` of each marked platform's loans to row ``to``.

        Returns the principal moved per platform row.
        """
        pid = self.platform.ravel()
        marked = mask_platform[pid]
        if mask_platform[NONE]:  # the buyer's row, which an empty slot's -1 also reads
            marked &= pid != NONE
        idx = np.flatnonzero(marked)
        pick = idx[rng.random(idx.size) < share[pid[idx]]]
        moved = sum_by(pid[pick], self.principal.ravel()[pick], mask_platform.size)
        pid[pick] = to
        return moved
