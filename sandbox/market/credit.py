"""The credit market (step 3): borrowers meet the platforms' lendable cash under caps and limits.

Borrowers who seek credit this month go to platforms in proportion to what
each can lend; a platform prices the loan, refuses it above a rate cap, and
per-borrower limits and the platforms' cash ration what is lent. A rollover
borrower left without a loan comes under stress (credit contagion).

Credit excluded by a cap is what a borrower would have taken: the price is
above the cap but within the borrower's ``max_rate`` (a borrower who finds the
price too dear declines with or without a cap). An excluded borrower turns to
an informal lender if it can find one and its rate is within ``max_rate``, or
goes without; informal loans stay outside the platforms' books.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from sandbox.market.arrays import guide_pick, guide_table, row_any, row_sum, standard_normal, stratified, sum_by
from sandbox.market.platforms import INTERMEDIARY, POOL

if TYPE_CHECKING:
    from sandbox.market.borrowers import BorrowerPopulation
    from sandbox.market.params import BehaviourParams, BorrowerBehaviour, PlatformBehaviour, PlatformParams
    from sandbox.market.platforms import PlatformBook
    from sandbox.market.policy import Policy


@dataclass(frozen=True)
class CreditMonth:
    """What one month's credit market did (yuan), as the recorder counts it."""

    new: float  # lent this month
    excluded_cap: float  # would have been taken (price within max_rate), refused: price above a rate cap
    excluded_limit: float  # asked for above a borrower limit
    apr_weighted: float  # sum of APR x amount over new loans
    informal: float = 0.0  # of excluded_cap, borrowed from informal lenders instead
    sought: float = 0.0  # asked for, within limits, by borrowers who take the price: before rationing by cash

    @property
    def gone_without(self) -> float:
        """Credit excluded by a cap that borrowers did without (yuan)."""
        return self.excluded_cap - self.informal


NO_CREDIT = CreditMonth(0.0, 0.0, 0.0, 0.0)


def informal_credit(amount: np.ndarray, max_rate: np.ndarray, behaviour: BorrowerBehaviour) -> float:
    """Yuan that borrowers excluded by a cap borrow from informal lenders instead.

    A share ``informal_access`` of them can find an informal lender, and takes
    its loan if ``informal_rate`` is within its ``max_rate``. The expected
    amount is returned rather than a draw: informal loans are not booked
    anywhere, so a draw would only add noise (and shift a random stream).

    Args:
        amount: what each excluded borrower would have borrowed on a platform (yuan).
        max_rate: each excluded borrower's highest acceptable APR.
        behaviour: the borrowers' behaviour (``informal_rate``, ``informal_access``).
    """
    willing = max_rate >= behaviour.informal_rate
    return behaviour.informal_access * float(amount[willing].sum())


def lendable(book: PlatformBook, params: PlatformParams, behaviour: PlatformBehaviour) -> np.ndarray:
    """Cash each platform can lend this month (zero unless open for business)."""
    p, b = params, behaviour
    n = book.n
    cash, claims = book.cash[:n], book.claims()
    kind = book.kind[:n]
    pool = np.maximum(cash - p.pool_reserve * claims, 0.0)
    fraud = np.minimum(b.fraud_cash_lending * cash, np.maximum(p.fraud_lending * claims - book.loans[:n], 0.0))
    matched = np.maximum(cash - b.intermediary_buffer * claims, 0.0)  # a small buffer for withdrawals
    out = np.where(kind == INTERMEDIARY, matched, np.where(kind == POOL, pool, fraud))
    return np.where(book.open_for_business(), np.maximum(out, 0.0), 0.0)


def clear_credit(
    book: PlatformBook,
    borrowers: BorrowerPopulation,
    policy: Policy,
    params: PlatformParams,
    behaviour: BehaviourParams,
    rng: np.random.Generator,
    month: int,
    stress: bool,
    reach: Callable[[np.ndarray, np.ndarray], np.ndarray] | None = None,
) -> CreditMonth:
    """Borrowers seek loans; platforms price them under any cap; limits and cash ration them.

    Books the loans on the borrowers and the platforms' cash and loans. With
    ``stress`` (the credit-contagion channel on), a rollover borrower who could
    not refinance comes under stress for ``contagion_months``. Draws from
    ``rng`` in a fixed order whatever the regime. ``reach(who, platforms)``, with
    jurisdictions, says which requests a borrower's home lets it make abroad.
    """
    b, pol, p = borrowers, policy, params
    who, refinancing = b.request(month, rng)
    can_lend = lendable(book, p, behaviour.platforms)
    # A balance-reduction path (an exit campaign's): no lending above it.
    np.minimum(can_lend, np.maximum(pol.loan_ceiling[: book.n] - book.loans[: book.n], 0.0), out=can_lend)
    size = np.exp(
        behaviour.borrowers.loan_size_sigma * standard_normal(rng, who.size)
    )  # lognormal; drawn whatever the regime
    # Each simulated borrower stands for `weight` real ones: spread the requests over
    # platforms as that many people would (stratified), not in lumps.
    pick = stratified(rng, who.size) if b.weight > 1 else rng.random(who.size)
    accept_draw = rng.random(who.size)
    term = b.draw_terms(who.size, rng)
    b.refinance[who] = False
    total = can_lend.sum()
    if who.size == 0 or total <= 0:
        if stress:
            b.stressed_until[who[refinancing]] = month + b.params.contagion_months
        return NO_CREDIT
    # Borrowers go to platforms in proportion to what they can lend.
    plat = guide_pick(guide_table(can_lend), pick)
    amount = b.demand[who] * size
    funding = book.promised_yield + p.fee
    apr = b.price(who, plat, funding)
    capped = apr > pol.rate_cap[plat]
    max_rate = b.max_rate[who]
    declined = apr > max_rate  # too dear for the borrower, cap or no cap
    # Per-borrower limits, per platform and across platforms.
    company = b.company[who]
    # Limits are per real borrower; a simulated one borrows for `weight` of them.
    lim_p = np.where(company, pol.limit_company_platform, pol.limit_individual_platform) * b.weight
    lim_t = np.where(company, pol.limit_company_total, pol.limit_individual_total) * b.weight
    lenders, owed = np.take(b.platform, who, axis=0), np.take(b.principal, who, axis=0)
    on_plat = row_sum(np.where(lenders == plat[:, None], owed, 0.0))
    room = np.maximum(np.minimum(lim_p - on_plat, lim_t - row_sum(owed)), 0.0)
    limited = np.minimum(amount, room)
    has_slot = row_any(lenders < 0)
    would_take = ~declined & (limited > 0) & has_slot
    ok = ~capped & would_take
    if reach is not None:
        ok &= reach(who, plat)  # a platform abroad the borrower's home does not let it use
    # Excluded by the cap: what the borrower would have taken at the platform's
    # price (within its limits, with a free slot) had there been no cap.
    shut_out = capped & would_take
    excluded_cap = float(limited[shut_out].sum())
    informal = informal_credit(limited[shut_out], max_rate[shut_out], behaviour.borrowers)
    excluded_limit = float((amount - limited)[~capped & ~declined].sum())
    # Ration by cash: each request is accepted with the platform's fill ratio,
    # then accepted amounts are scaled so no platform lends more than it has.
    req = sum_by(plat[ok], limited[ok], book.n)
    sought = float(req.sum())
    fill = np.divide(can_lend, req, out=np.ones_like(req), where=req > 0)
    if b.weight <= 1:
        ok &= accept_draw < np.minimum(fill, 1.0)[plat]
    # A simulated borrower standing for many: the share `fill` of its people are served
    # (the scaling below), as each of them would be with that chance; accepting or
    # refusing the whole group would leave small platforms' cash idle at low resolution.
    acc = sum_by(plat[ok], limited[ok], book.n)
    scale = np.minimum(np.divide(can_lend, acc, out=np.ones_like(acc), where=acc > 0), 1.0)
    lent = limited * scale[plat]
    ok &= lent > 0
    # The loans made, gathered once (each boolean selection is a pass over the requests).
    taken = np.flatnonzero(ok)
    refinanced, lender, loan = who[taken], plat[taken], lent[taken]
    b.book_loans(refinanced, lender, loan, apr[taken], term[taken], lenders[taken])
    orig = sum_by(lender, loan, book.n)
    book.cash[: book.n] -= orig
    book.loans[: book.n] += orig
    new_credit = float(loan.sum())
    b.borrowed_total += new_credit
    b.stress_source[refinanced[b.stressed_until[refinanced] < month]] = -1  # no longer stranded
    # A rollover borrower who could not refinance is under stress: credit contagion.
    if stress:
        b.stressed_until[who[refinancing & ~ok]] = month + b.params.contagion_months
    return CreditMonth(new_credit, excluded_cap, excluded_limit, float((apr[taken] * loan).sum()), informal, sought)
