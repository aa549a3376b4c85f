"""Payment institutions and the client funds (备付金) they hold for households and platforms.

Each institution holds the money in transit of its households and a share of
the cash of the P2P platforms that use it. A share of these client funds is
deposited centrally (protected, earning nothing); the institution holds the
rest itself, where it can be taken (misappropriation, a hazard higher without
a licence) or lost on a bad investment (a scenario's shock). An institution
absorbs a loss with its capital; a loss beyond its capital makes it fail: its
client funds freeze, and the unprotected money lost beyond its capital is lost
to its clients, households and platforms in proportion to what each held
there. Clients of an institution that fails or exits move to a surviving one.
Nothing fails on a schedule: a shock or a hazard takes money, capital decides.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from sandbox.common.dates import month_index
from sandbox.market.product_params import PaymentParams, PaymentShock


@dataclass
class PaymentMonth:
    """What the payment institutions did in one month."""

    client_funds: float = 0.0  # yuan held for clients
    central: float = 0.0  # of which deposited centrally
    failures: int = 0
    exits: int = 0  # unlicensed institutions that closed under licensing (clients repaid)


class PaymentInstitutions:
    """Every payment institution of the represented market, one for one.

    Args:
        params: the ``products.payments`` block.
        households: how many simulated households use them.
        rng: the products stream.
        start: the scenario's first month (shocks' months are read against it).
    """

    def __init__(self, params: PaymentParams, households: int, rng: np.random.Generator, start: str) -> None:
        self.params = p = params
        k = p.institutions
        weights = 1.0 / np.arange(1, k + 1) ** p.concentration
        self.share = weights / weights.sum()  # market shares; index 0 is the largest
        self.capital = (
            p.capital_median * rng.lognormal(0.0, p.capital_sigma, k) if p.capital_median > 0 else np.zeros(k)
        )
        self.licensed = rng.random(k) >= p.unlicensed_share
        self.alive = np.ones(k, dtype=bool)
        self.fail_month = np.full(k, -1)
        self.of_household = rng.choice(k, size=households, p=self.share)
        self.of_platform = np.zeros(0, dtype=np.intp)
        self._shocks: dict[int, list[PaymentShock]] = {}
        for shock in p.shocks:
            self._shocks.setdefault(month_index(shock.month, start), []).append(shock)
        self.month = PaymentMonth()

    def _place(self, count: int, rng: np.random.Generator) -> np.ndarray:
        """Institutions for ``count`` new clients, by the market shares of those alive. With none
        alive they stay with the largest (failed) one: nothing more can be lost there."""
        live = self.share * self.alive
        if live.sum() <= 0:
            return np.zeros(count, dtype=np.intp)
        return rng.choice(self.share.size, size=count, p=live / live.sum())

    def step(
        self, month: int, balances: np.ndarray, platform_cash: np.ndarray, policy: PolicyView
    ) -> tuple[np.ndarray, np.ndarray]:
        """One month: licensing exits, the losses this month, failures.

        Args:
            month: the month's index.
            balances: each simulated household's client balance, yuan.
            platform_cash: cash of each platform row at a payment institution, yuan (alive ones).
            policy: the central-deposit share and whether a licence is required.

        Returns:
            (households' losses, platforms' losses), yuan per simulated household and per row.
        """
        p, rng = self.params, policy.rng
        self.month = m = PaymentMonth()
        n_rows = platform_cash.size
        if self.of_platform.size < n_rows:
            self.of_platform = np.r_[self.of_platform, self._place(n_rows - self.of_platform.size, rng)]
        if policy.licensing:
            leaving = self.alive & ~self.licensed
            m.exits = int(leaving.sum())
            self.alive &= ~leaving
        k = self.share.size
        inst_h, inst_p = self.of_household, self.of_platform[:n_rows]
        held_h = np.bincount(inst_h, weights=balances, minlength=k)
        held_p = np.bincount(inst_p, weights=platform_cash, minlength=k)
        held = held_h + held_p
        m.client_funds = float(held.sum())
        m.central = policy.central_share * m.client_funds
        unprotected = (1 - policy.central_share) * held
        hazard = np.where(self.licensed, p.licensed_hazard, p.misappropriation_hazard)
        taken = np.where(self.alive & (rng.random(k) < hazard), p.misappropriation_share * unprotected, 0.0)
        for shock in self._shocks.get(month, []):
            if shock.rank < k and self.alive[shock.rank]:
                taken[shock.rank] += shock.loss_share * unprotected[shock.rank]
        absorbed = np.minimum(taken, self.capital)
        self.capital -= absorbed
        lost = taken - absorbed
        failing = lost > 0
        m.failures = int(failing.sum())
        self.alive &= ~failing
        self.fail_month[failing] = month
        ratio = np.divide(lost, held, out=np.zeros(k), where=held > 0)  # each client loses this share
        loss_h = balances * ratio[inst_h]
        loss_p = platform_cash * ratio[inst_p]
        moved_h = ~self.alive[inst_h]
        if moved_h.any():
            self.of_household[moved_h] = self._place(int(moved_h.sum()), rng)
        moved_p = ~self.alive[inst_p]
        if moved_p.any():
            self.of_platform[np.flatnonzero(moved_p)] = self._place(int(moved_p.sum()), rng)
        return loss_h, loss_p


@dataclass(frozen=True)
class PolicyView:
    """What the payment institutions read of the month's regime, and the draws they use."""

    central_share: float
    licensing: bool
    rng: np.random.Generator
