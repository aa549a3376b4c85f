"""The environment: benchmark rate, macro credit cycle, sentiment and shocks.

Sentiment is a market-wide state in [0, 1] that recovers toward its norm and
drops with each failure in proportion to the failed platform's market share.
Look-alike fear is a per-cluster addition to investors' prior of a
platform's monthly failure risk; a cluster is a region crossed with whether
the platform promises principal guarantees (what investors can see of its
business model).
"""

from __future__ import annotations

import math

import numpy as np

from sandbox.common.dates import month_index, value_at
from sandbox.market.params import EnvironmentParams, SentimentBehaviour


class Environment:
    """State of the world outside the platforms, updated once a month."""

    def __init__(
        self, params: EnvironmentParams, start: str, clusters: int, behaviour: SentimentBehaviour | None = None
    ) -> None:
        self.params = params
        self.behaviour = behaviour if behaviour is not None else SentimentBehaviour()
        self.start = start
        self.sentiment = params.sentiment.norm
        self.fear = np.zeros(clusters)
        self.credit_shock = 0.0
        self.funding_cut = 0.0
        self.benchmark_rate = value_at(params.benchmark_rate, 0, start)
        self.macro = 1.0
        self._shocks = [(month_index(s.month, start), s) for s in params.shocks]

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
                self.sentiment = max(0.0, self.sentiment - shock.size)

    @property
    def hazard_multiplier(self) -> float:
        """Multiplier on every borrower's default hazard this month."""
        return self.macro * (1.0 + self.credit_shock)

    def confidence(self) -> float:
        """Share of their budget investors keep in the market: sentiment relative to its norm."""
        norm = max(self.params.sentiment.norm, 1e-9)
        return min(1.0, self.sentiment / norm)

    def record_failures(self, clusters: np.ndarray, market_share: np.ndarray, disclosure: float) -> None:
        """Step 8: failures lower sentiment and raise fear of their look-alikes.

        ``disclosure`` is the market's average disclosure quality: where investors
        can see each platform, a failure says less about the others.
        """
        s = self.params.sentiment
        opacity = 1.0 - s.disclosure_dampening * disclosure
        drop = float(np.sum(s.failure_floor + s.failure_impact * market_share)) * opacity
        self.sentiment = max(0.0, self.sentiment - drop)
        size_fear = self.behaviour.size_fear  # a large failure frightens look-alikes more
        np.add.at(self.fear, clusters, s.cluster_fear * (1.0 + size_fear * market_share) * opacity)

    def record_warnings(self, clusters: np.ndarray) -> None:
        """Public regulatory warnings move sentiment too."""
        s = self.params.sentiment
        self.sentiment = max(0.0, self.sentiment - s.warning_impact * clusters.size)
        np.add.at(self.fear, clusters, self.behaviour.warning_fear * s.cluster_fear)

    def recover(self) -> None:
        """Sentiment drifts back toward its norm; fear decays."""
        s = self.params.sentiment
        self.sentiment += s.recovery * (s.norm - self.sentiment)
        self.fear *= 1.0 - s.fear_decay

    def prior_risk(self) -> np.ndarray:
        """Investors' prior monthly failure risk per cluster (before any signal)."""
        base = self.behaviour.base_prior
        return base + self.fear + self.params.sentiment.market_fear * (1.0 - self.sentiment)
