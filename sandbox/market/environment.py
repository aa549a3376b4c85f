"""The environment: benchmark rate, macro credit cycle, sentiment and shocks.

Sentiment is a state in [0, 1] per look-alike cluster (a region crossed with
whether the platform promises principal guarantees: what investors can see of
its business model). News moves it through shares, never counts: this month's
failures as a share of the cluster's platforms and money, public warnings as a
share of its platforms named, each blended with the national share
(``behaviour.sentiment.national_weight``). A month's news lowers log sentiment,
so no run of news takes it to zero at once, and with no news it recovers toward
its norm with a half-life. Look-alike fear is a per-cluster addition to
investors' prior of a platform's monthly failure risk, from the same shares; a
platform named in a warning carries its own addition.

A larger market at the same shares therefore hears the same news: the defect
this design removes was a fixed drop per failure and per warning, so a market
ten times larger panicked ten times faster.
"""

from __future__ import annotations

import math

import numpy as np

from sandbox.common.dates import month_index, value_at
from sandbox.market.params import EnvironmentParams, SentimentBehaviour


class Environment:
    """State of the world outside the platforms, updated once a month.

    Attributes:
        mood: sentiment per cluster, in [0, 1].
        fear: look-alike fear per cluster (perceived monthly failure risk added).
        platforms, claims: the census the shares are taken of, per cluster
            (platforms alive and their claims in yuan at the start of the month;
            one platform and no money per cluster until the first census).
    """

    def __init__(
        self, params: EnvironmentParams, start: str, clusters: int, behaviour: SentimentBehaviour | None = None
    ) -> None:
        self.params = params
        self.behaviour = behaviour if behaviour is not None else SentimentBehaviour()
        self.start = start
        self.mood = np.full(clusters, params.sentiment.norm)
        self.fear = np.zeros(clusters)
        self.platforms = np.ones(clusters)
        self.claims = np.zeros(clusters)
        self.credit_shock = 0.0
        self.funding_cut = 0.0
        self.benchmark_rate = value_at(params.benchmark_rate, 0, start)
        self.macro = 1.0
        self._shocks = [(month_index(s.month, start), s) for s in params.shocks]

    @property
    def sentiment(self) -> float:
        """National sentiment: the clusters' sentiment weighted by their platforms."""
        weights = self.platforms if self.platforms.sum() > 0 else np.ones_like(self.mood)
        return float(np.average(self.mood, weights=weights))

    @sentiment.setter
    def sentiment(self, level: float) -> None:
        """Set every cluster's sentiment to ``level`` (a market-wide state)."""
        self.mood[:] = level

    def bank_failures(self, month: int) -> list:
        """Custodian bank failures scheduled for ``month``."""
        return [s for first, s in self._shocks if s.kind == "bank_failure" and first == month]

    def begin_month(self, month: int) -> None:
        """Step 1: dated values and scheduled shocks for ``month``."""
        p = self.params
        self.benchmark_rate = value_at(p.benchmark_rate, month, self.start)
        m = p.macro
        self.macro = 1.0 + m.amplitude * math.sin(2 * math.pi * (month + m.phase_months) / m.period_months)
        self.credit_shock = 0.0
        self.funding_cut = 0.0
        for first, shock in self._shocks:
            live = first <= month < first + shock.duration
            if shock.kind == "credit" and live:
                self.credit_shock += shock.size
            elif shock.kind == "funding" and live:
                self.funding_cut = min(1.0, self.funding_cut + shock.size)
            elif shock.kind == "sentiment" and month == first:
                self.mood = np.maximum(0.0, self.mood - shock.size)

    def census(self, clusters: np.ndarray, claims: np.ndarray) -> None:
        """Step 1: the platforms alive (their clusters) and their claims, which shares are taken of."""
        self.platforms = np.bincount(clusters, minlength=self.mood.size).astype(float)
        self.claims = np.bincount(clusters, weights=claims, minlength=self.mood.size)

    @property
    def hazard_multiplier(self) -> float:
        """Multiplier on every borrower's default hazard this month."""
        return self.macro * (1.0 + self.credit_shock)

    def confidence(self) -> float:
        """Share of their budget investors keep in the market: national sentiment relative to its norm."""
        norm = max(self.params.sentiment.norm, 1e-9)
        return min(1.0, self.sentiment / norm)

    def confidence_by_row(self, clusters: np.ndarray, rows: int) -> np.ndarray:
        """Confidence in each platform row: its cluster's sentiment relative to the norm.

        Rows past ``clusters`` (the empty slot's row last) carry the national
        confidence: what an investor with nothing held reads.
        """
        norm = max(self.params.sentiment.norm, 1e-9)
        out = np.full(rows, self.confidence())
        out[: clusters.size] = np.minimum(1.0, self.mood / norm)[clusters]
        return out

    def _shares(self, clusters: np.ndarray, amounts: np.ndarray, of: np.ndarray) -> tuple[np.ndarray, float]:
        """Per cluster and nationally: ``amounts`` summed by cluster as a share of ``of``."""
        total = np.bincount(clusters, weights=np.broadcast_to(amounts, clusters.shape), minlength=self.mood.size)
        local = np.minimum(1.0, total / np.maximum(of, 1.0))
        return local, min(1.0, float(total.sum() / max(of.sum(), 1.0)))

    def _blend(self, local: np.ndarray, national: float) -> np.ndarray:
        """A cluster's news: its own share, with the national share's spillover."""
        w = self.behaviour.national_weight
        return (1.0 - w) * local + w * national

    def record_failures(self, clusters: np.ndarray, claims: np.ndarray, disclosure: float) -> None:
        """Failures (their clusters, claims in yuan) lower sentiment and raise fear of their look-alikes.

        ``disclosure`` is the market's average disclosure quality: where investors
        can see each platform, a failure says less about the others.
        """
        s, b = self.params.sentiment, self.behaviour
        opacity = 1.0 - s.disclosure_dampening * disclosure
        count, count_national = self._shares(clusters, np.ones(1), self.platforms)
        money, money_national = self._shares(clusters, claims, self.claims)
        news = b.failure_news * self._blend(count, count_national) + s.failure_impact * self._blend(
            money, money_national
        )
        self.mood *= np.exp(-opacity * news)
        # Fear of look-alikes is local: the recent failure rate of a platform's own kind and place.
        self.fear += opacity * (b.lookalike_fear * count + b.size_fear * money)

    def record_warnings(self, clusters: np.ndarray) -> None:
        """Public regulatory warnings (the named platforms' clusters) move sentiment and fear.

        Their news is the share of platforms named, so it saturates: a list naming
        every platform lowers log sentiment by ``warning_news`` once, and says about
        each platform only that it is named (:meth:`prior_of`).
        """
        b = self.behaviour
        named, national = self._shares(clusters, np.ones(1), self.platforms)
        self.mood *= np.exp(-b.warning_news * self._blend(named, national))
        self.fear += b.warning_fear * b.lookalike_fear * named

    def recover(self) -> None:
        """Sentiment closes its gap to the norm with the half-life; fear decays."""
        s = self.params.sentiment
        kept = 2 ** (-1 / self.behaviour.half_life_months)
        self.mood = s.norm + kept * (self.mood - s.norm)
        self.fear *= 1.0 - s.fear_decay

    def prior_risk(self) -> np.ndarray:
        """Investors' prior monthly failure risk per cluster (before any signal)."""
        base = self.behaviour.base_prior
        return base + self.fear + self.params.sentiment.market_fear * (1.0 - self.mood)

    def prior_of(self, clusters: np.ndarray, warned: np.ndarray) -> np.ndarray:
        """Prior monthly failure risk of platforms in ``clusters``; a named (``warned``) one looks riskier."""
        return self.prior_risk()[clusters] + self.behaviour.warned_risk * warned
