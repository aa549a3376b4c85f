"""Amounts and counts in words, as every sentence of the pilot's verdict and card writes them."""

from __future__ import annotations


def yuan(x: float) -> str:
    """An amount in words: ``1,234 yuan``."""
    return f"{x:,.0f} yuan"


def runs_of(n: int) -> str:
    """A number of runs in words: ``1 run``, ``20 runs``."""
    return f"{n} run" if n == 1 else f"{n} runs"
