"""Retail investors: a vectorized population with sparse holdings.

Each investor has at most ``K`` holdings, stored as two ``(n, K)`` arrays: the
platform row (``-1`` for an empty slot) and the number of units held. A
holding's money value is ``units * unit_value[platform]``; interest accrues by
raising a platform's unit value, so a month costs nothing for investors who do
not act. Only investors who review their holdings this month are touched.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from sandbox.arrays import first_true, guide_sample, guide_table, row_any, row_sum, shifted_counts, standard_normal

from sandbox.scenario import InvestorParams, InformationParams

EMPTY = -1


@dataclass
class Orders:
    """What the acting investors ask for this month.

    Withdrawals are in units (the platform pays ``units * unit_value`` times the
    share it can serve); placements are in yuan. A holding is addressed by its
    flat index ``investor * K + slot`` into the raveled ``(n, K)`` arrays.
    """

    w_investor: np.ndarray
    w_holding: np.ndarray
    w_platform: np.ndarray
    w_units: np.ndarray
    w_run: np.ndarray
    p_investor: np.ndarray
    p_holding: np.ndarray
    p_platform: np.ndarray
    p_amount: np.ndarray


class InvestorPopulation:
    """All investors as struct-of-arrays.

    Attributes:
        budget: yuan each investor would keep in online lending at full confidence.
        literacy: financial literacy in [0, 1]; education raises it.
        tolerance: monthly failure probability the investor tolerates before running.
        invested, received, lost: running totals in yuan.
        platform, units: the holdings, shape ``(n, K)``.
    """

    def __init__(self, params: InvestorParams, info: InformationParams, months: int, rng: np.random.Generator) -> None:
        n, K = params.count, params.max_holdings
        self.n, self.K = n, K
        self.params = params
        self.bands = info.bands
        self.budget = rng.lognormal(np.log(params.wealth_median), params.wealth_sigma, n)
        self.literacy = np.clip(rng.normal(params.literacy_mean, params.literacy_sd, n), 0, 1).astype(np.float32)
        self.tolerance = (params.tolerance_median * rng.lognormal(0, params.tolerance_sigma, n)).astype(np.float32)
        self.risk_aversion = (params.risk_aversion * rng.lognormal(0, 0.3, n)).astype(np.float32)
        self.herding = np.clip(rng.normal(params.herding_mean, 0.1, n), 0, 1).astype(np.float32)
        joins_later = rng.random(n) >= params.active_at_start
        self.entry_month = np.where(joins_later, rng.integers(1, params.adoption_months + 1, n), 0).astype(np.int32)
        self.all_entered = int(self.entry_month.max(initial=0))  # from this month on, no need to check entry
        self.band = self._bands()
        self.invested = np.zeros(n)
        self.received = np.zeros(n)
        self.lost = np.zeros(n)
        # Platform rows as intp: numpy indexes and counts with intp, so int32 ids
        # would be converted on every gather (measured 2-4x slower here).
        self.platform = np.full((n, K), EMPTY, dtype=np.intp)
        self.units = np.zeros((n, K))
        self._count_buffer: list = []

    def _bands(self) -> np.ndarray:
        return np.minimum((self.literacy * self.bands).astype(np.int8), self.bands - 1)

    def educate(self, intensity: float, month: int) -> None:
        """Investor education: literacy closes ``intensity`` of its gap to 1 each month."""
        if month >= self.all_entered:
            self.literacy += np.float32(intensity) * (1 - self.literacy)
        else:
            entered = self.entry_month <= month
            self.literacy[entered] += np.float32(intensity) * (1 - self.literacy[entered])
        self.band = self._bands()

    def holding_values(self, unit_value: np.ndarray) -> np.ndarray:
        """Money value of every holding, shape ``(n, K)``.

        ``unit_value`` must be zero at index -1 (the book's buyer row), which is
        what an empty slot (platform -1) picks up.
        """
        return self.units * unit_value[self.platform]

    def decide(
        self,
        month: int,
        rng: np.random.Generator,
        perception: tuple[np.ndarray, np.ndarray],
        unit_value: np.ndarray,
        promised_yield: np.ndarray,
        visibility: np.ndarray,
        open_rows: np.ndarray,
        alive: np.ndarray,
        flight: np.ndarray,
        attention: float,
        confidence: float,
        new_money: float,
        exposure_cap: float,
        exposure_share_cap: float,
        platform_exposure_cap: np.ndarray,
        customer_room: np.ndarray,
        runs: bool = True,
    ) -> Orders:
        """Step 4: the investors who review their holdings this month decide.

        Args:
            perception: ``(mean, noise)`` of perceived monthly failure risk, each of
                shape ``(bands, platform rows)``; each investor adds its own noise.
            unit_value: value of one unit per platform row (0 at index -1).
            promised_yield: annual yield per platform row.
            visibility: weight of each platform row in investors' attention.
            open_rows: platform rows taking new money.
            alive: boolean per platform row: still paying withdrawals.
            flight: per platform row, what the crowd's recent net outflow adds to
                perceived monthly risk for a full herder (herding weighs it).
            attention: probability that an investor reviews this month.
            confidence: in [0, 1], scales how much of its budget an investor keeps in;
                money above 110% of that is taken out (as interest accrues, or when
                confidence falls).
            new_money: in [0, 1], share of the top-up that can be placed (a funding stop cuts it).
            exposure_cap: most yuan one investor may hold on one platform.
            exposure_share_cap: most share of its budget one investor may hold on one platform.
            platform_exposure_cap: per-platform cap on one customer's holding (pilots).
            customer_room: per-platform number of new customers still allowed.
            runs: the run channel; off, nobody runs (a counterfactual).
        """
        p, K = self.params, self.K
        reviews = rng.random(self.n, dtype=np.float32) < attention
        if month < self.all_entered:
            reviews &= self.entry_month <= month
        active = np.flatnonzero(reviews)
        m = active.size
        # Gather the reviewers' rows once; everything below works on these (m, K)
        # copies. A holding is addressed by its flat index (reviewer * K + slot).
        pid = np.take(self.platform, active, axis=0)
        units = np.take(self.units, active, axis=0)
        value = units * unit_value[pid]
        offset = self.band[active].astype(np.intp) * perception[0].shape[1]  # start of each reviewer's band row
        herding = self.herding[active]
        flight = flight.astype(np.float32)

        # Runs: withdraw the whole holding when perceived risk (plus the crowd's
        # flight, weighted by herding) exceeds tolerance.
        withdrawing = alive[pid]  # alive is False at the empty slot's row (-1)
        run = np.zeros_like(withdrawing)
        if runs:
            f = np.flatnonzero(withdrawing)
            i, j = f // K, pid.ravel()[f]
            risk = self._perceive(rng, perception, offset[i] + j) + herding[i] * flight[j]
            run.ravel()[f] = risk > self.tolerance[active][i]
        # Liquidity needs: half of one holding, for a few investors.
        need = rng.random(m) < min(1.0, p.liquidity_rate / attention)
        needy = np.flatnonzero(need)
        liquidity = np.zeros_like(run)
        liquidity.ravel()[needy * K + rng.integers(0, K, needy.size)] = True
        liquidity &= withdrawing & ~run
        # Money above 110% of budget x confidence comes out, pro rata: investors
        # consume their interest, and cut back when confidence falls.
        total = row_sum(value)
        target = self.budget[active] * confidence
        excess = (total - 1.1 * target) / np.maximum(total, 1e-9)  # not positive when nothing is held
        wf = np.flatnonzero(run | liquidity | (withdrawing & (excess > 0)[:, None]))
        wi = wf // K
        share = np.maximum(np.where(run.ravel()[wf], 1.0, np.where(liquidity.ravel()[wf], 0.5, 0.0)),
                           np.clip(excess[wi], 0.0, 1.0))

        # New money: top the portfolio up toward budget x confidence, in lumps of at
        # least a tenth of it (nobody reinvests every small shortfall).
        stays = ~row_any(run) & ~need
        gap = (target - total) * new_money
        placing = np.flatnonzero(stays & (gap > np.maximum(100.0, 0.1 * target)))
        rows = (np.take(x, placing, axis=0) for x in (active, pid, value, offset, herding, gap))
        orders_p = self._place(
            rng, *rows, perception, promised_yield, visibility, open_rows, flight, exposure_cap,
            exposure_share_cap, platform_exposure_cap, customer_room,
        )
        return Orders(
            w_investor=active[wi],
            w_holding=active[wi] * K + (wf - wi * K),
            w_platform=pid.ravel()[wf],
            w_units=units.ravel()[wf] * share,
            w_run=run.ravel()[wf],
            **orders_p,
        )

    def _place(
        self, rng, inv, pid, value, offset, herding, gap, perception, promised_yield, visibility, open_rows,
        flight, exposure_cap, exposure_share_cap, platform_exposure_cap, customer_room,
    ) -> dict[str, np.ndarray]:
        """Choose where each placing investor puts new money.

        Each samples a few candidate platforms by visibility and scores them and
        its current holdings, each with a fresh reading of its risk: promised
        yield, minus risk aversion times perceived annual risk (the crowd's
        recent flight included). Every slot is scored (an empty one too, which
        is cheaper than picking out the valid ones first), then the options it
        cannot take are ruled out.
        """
        m, C, K = inv.size, self.params.candidates, self.K
        empty = dict(p_investor=np.zeros(0, np.intp), p_holding=np.zeros(0, np.intp),
                     p_platform=np.zeros(0, np.intp), p_amount=np.zeros(0))
        if m == 0 or open_rows.size == 0:
            return empty
        is_open = np.zeros(promised_yield.size, dtype=bool)
        is_open[open_rows] = True
        is_open[EMPTY] = False  # so an empty held slot (-1) is never an option
        cand = guide_sample(guide_table(np.where(is_open, visibility, 0.0)), (m, C), rng)
        closed_to_newcomers = ~is_open | (customer_room <= 0)
        vacant = pid == EMPTY
        first_vacant = first_true(vacant)
        blocked = closed_to_newcomers[cand] | ~row_any(vacant)[:, None]
        for k in range(K):
            blocked |= cand == pid[:, k : k + 1]  # top up a holding, never a second slot
        options = np.concatenate([pid, cand], axis=1)  # held first, so ties keep money where it is
        risk = self._perceive(rng, perception, offset[:, None] + options)
        risk += herding[:, None] * flight[options]
        score = promised_yield.astype(np.float32)[options]
        score -= 12 * self.risk_aversion[inv][:, None] * risk
        np.copyto(score[:, :K], -np.inf, where=~is_open[pid])
        np.copyto(score[:, K:], -np.inf, where=blocked)
        best = score.argmax(axis=1)
        ok = np.isfinite(score[np.arange(m), best])
        best, inv_ok = best[ok], np.flatnonzero(ok)
        existing = best < K
        chosen = options[inv_ok, best]
        slot = np.where(existing, best, first_vacant[inv_ok])
        current = np.where(existing, value[inv_ok, np.minimum(best, K - 1)], 0.0)
        cap = np.minimum(exposure_cap, exposure_share_cap * self.budget[inv[inv_ok]])
        cap = np.minimum(cap, platform_exposure_cap[chosen])
        amount = np.minimum(gap[inv_ok], np.maximum(cap - current, 0.0))
        keep = amount > 1.0
        # Two newcomers to a platform in the same month may share its last
        # customer place: pilot caps are enforced again at settlement.
        investor = inv[inv_ok][keep]
        return dict(p_investor=investor, p_holding=investor * K + slot[keep], p_platform=chosen[keep],
                    p_amount=amount[keep])

    @staticmethod
    def _perceive(rng: np.random.Generator, perception: tuple[np.ndarray, np.ndarray], flat: np.ndarray) -> np.ndarray:
        """Each investor's own reading of the platforms' risk: band mean plus private noise.

        ``flat`` indexes the raveled ``(bands, platform rows)`` arrays: band row
        offset plus platform row (an empty slot's -1 stays inside the arrays).
        """
        mean, noise = perception
        out = np.take(noise.ravel(), flat).astype(np.float32, copy=False)
        out *= standard_normal(rng, flat.shape)
        out += np.take(mean.ravel(), flat)
        return np.maximum(out, 0.0, out=out)

    def settle_withdrawals(self, orders: Orders, paid_share: np.ndarray, unit_value: np.ndarray) -> np.ndarray:
        """Pay the served share of each withdrawal; return yuan paid per order."""
        units = orders.w_units * paid_share[orders.w_platform]
        paid = units * unit_value[orders.w_platform]
        flat_units, h = self.units.ravel(), orders.w_holding
        left = flat_units[h] - units
        flat_units[h] = left
        np.add.at(self.received, orders.w_investor, paid)
        gone = h[left <= 1e-9]
        flat_units[gone] = 0.0
        self.platform.ravel()[gone] = EMPTY
        return paid

    def settle_placements(self, inv: np.ndarray, holding: np.ndarray, platform: np.ndarray, amount: np.ndarray,
                          unit_value: np.ndarray) -> None:
        """Buy units with the accepted placements (``holding``: flat holding index)."""
        # One placement per investor a month, so plain fancy indexing adds correctly.
        self.platform.ravel()[holding] = platform
        self.units.ravel()[holding] += amount / unit_value[platform]
        self.invested[inv] += amount

    def pay_out_failed(self, closing: np.ndarray, unit_value: np.ndarray, payout_per_unit: np.ndarray) -> np.ndarray:
        """Close holdings on platforms whose wind-down ends: book recoveries and losses.

        Args:
            closing: boolean per platform row (length of ``unit_value``).
            unit_value: claim per unit frozen at failure.
            payout_per_unit: yuan paid per unit from the wind-down.

        Returns:
            Investor indices that newly have a loss.
        """
        flat = np.flatnonzero(closing[self.platform.ravel()])
        inv, slot = np.divmod(flat, self.K)
        pid = self.platform[inv, slot]
        units = self.units[inv, slot]
        claim = units * unit_value[pid]
        paid = units * payout_per_unit[pid]
        had_loss = self.lost[inv] > 0
        np.add.at(self.received, inv, paid)
        np.add.at(self.lost, inv, np.maximum(claim - paid, 0.0))
        self.units[inv, slot] = 0.0
        self.platform[inv, slot] = EMPTY
        return np.unique(inv[~had_loss & (self.lost[inv] > 0)])

    def units_by_platform(self, size: int) -> np.ndarray:
        """Units held on each platform row, summed from the holdings (for the accounting check)."""
        return shifted_counts(self.platform, self.units, size, self._count_buffer)
