"""Insurance sold online through platforms, by licensed insurers and by unlicensed sellers.

Each month some households buy a policy online. A sale is unlicensed with the
scenario's share, less what the licensing rule stops. Harm, recorded per
household, comes two ways: an unlicensed seller takes the premium and pays
no claim (the household loses the claim it should have been paid), and a
product unsuited to the buyer (mis-selling: more likely from an unlicensed
seller and for a buyer of low literacy) wastes its premium. Premiums leave the
households' money; claims that are paid come back to it.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from sandbox.market.product_params import InsuranceParams


@dataclass
class InsuranceMonth:
    """One month of online insurance sales (yuan, simulated sales)."""

    premiums: float = 0.0
    claims_paid: float = 0.0
    harm: float = 0.0
    sales: int = 0
    unlicensed_sales: int = 0


class OnlineInsurance:
    """Online insurance sales to the households of the products section.

    Args:
        params: the ``products.insurance`` block.
        households: how many simulated households.
    """

    def __init__(self, params: InsuranceParams, households: int) -> None:
        self.params = params
        self.harm = np.zeros(households)  # yuan per simulated household (its group's)
        self.premiums = 0.0
        self.claims_paid = 0.0
        self.month = InsuranceMonth()

    def sell(
        self, buyers: np.ndarray, literacy: np.ndarray, weight: float, stopped: float, rng: np.random.Generator
    ) -> np.ndarray:
        """This month's sales among ``buyers`` (indices of households using online products).

        Args:
            buyers: who may buy this month.
            literacy: each household's financial literacy (all households).
            weight: real persons per simulated household (premiums and claims are per person).
            stopped: share of unlicensed sales the licensing rule stops, 0 to 1.
            rng: the products stream.

        Returns:
            Each household's net payment this month (premiums less claims paid), yuan.
        """
        p = self.params
        self.month = m = InsuranceMonth()
        n = self.harm.size
        net = np.zeros(n)
        who = buyers[rng.random(buyers.size) < p.purchase_rate]
        if who.size == 0:
            return net
        unlicensed = rng.random(who.size) < p.unlicensed_share * (1 - stopped)
        claim = rng.random(who.size) < p.claim_rate
        unsuited_chance = np.where(unlicensed, p.misselling_unlicensed, p.misselling) * (1 - literacy[who])
        unsuited = rng.random(who.size) < unsuited_chance
        premium = p.premium * weight
        paid_claim = np.where(claim & ~unlicensed, p.claim_size * weight, 0.0)
        harm = np.where(claim & unlicensed, p.claim_size * weight, 0.0) + np.where(unsuited, premium, 0.0)
        net[who] = premium - paid_claim
        self.harm[who] += harm
        m.sales, m.unlicensed_sales = who.size, int(unlicensed.sum())
        m.premiums, m.claims_paid, m.harm = premium * who.size, float(paid_claim.sum()), float(harm.sum())
        self.premiums += m.premiums
        self.claims_paid += m.claims_paid
        return net
