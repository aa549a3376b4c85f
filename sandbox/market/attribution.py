"""Attribution: which earlier failure most plausibly triggered a failure, and through which channel.

The model calls :func:`attribute_failures` as platforms fail; the cascade trees
of :func:`sandbox.market.results.cascades` are built from what it names.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

import numpy as np

from sandbox.market.exposures import node_label
from sandbox.market.platforms import CREDIT_CONTAGION, ILLIQUIDITY_RUN

# An earlier failure counts as a run's trigger if it came at most this many months
# before: a convention of the attribution (what the reports name), not behaviour.
TRIGGER_WINDOW_MONTHS = 2

if TYPE_CHECKING:
    from sandbox.market.platforms import PlatformBook

#: (trigger, channel) of one failure: ``("platform 12", "sentiment")``, or None where there is none.
Attribution = tuple[str | None, str | None]


def attribute_failures(
    book: PlatformBook,
    failures: list[tuple[int, int, int]],
    month: int,
    rows: np.ndarray,
    cause: int,
    cluster_of: Callable[[np.ndarray], np.ndarray],
) -> dict[int, Attribution]:
    """Name the failure that most plausibly triggered each of ``rows``, and the channel.

    - a run: the largest failure of a look-alike (same cluster) in the last
      three months, else the largest anywhere (channel ``sentiment``);
    - credit contagion: the node that left the largest unpaid guarantee call
      (channel ``exposure``) or the platform whose failure stressed the
      borrowers who defaulted (channel ``borrowers``), whichever cost more;
    - fraud, insolvency, regulatory action and orderly exit start a cascade.

    Args:
        book: the platform book (claims at failure, losses and their sources).
        failures: the failures recorded before these, as ``(month, row, cause)``.
        month: the current month.
        rows: the platforms failing now, all with ``cause``.
        cause: their failure cause.
        cluster_of: the look-alike cluster of platform rows.

    Returns:
        ``row -> (trigger, channel)`` for each of ``rows``.
    """
    out: dict[int, Attribution] = {}
    recent = [(r, m) for m, r, _ in failures if m >= month - TRIGGER_WINDOW_MONTHS]
    failed_before = {r for _, r, _ in failures}  # a trigger has failed already
    # The recent failures as arrays with their clusters, once: a month of runs can name
    # hundreds of rows, each compared with every recent failure.
    recent_rows = np.array([r for r, _ in recent], dtype=np.int64)
    recent_cluster = cluster_of(recent_rows) if cause == ILLIQUIDITY_RUN and recent_rows.size else recent_rows
    for row in rows:
        row = int(row)
        trigger: str | None = None
        channel: str | None = None
        if cause == ILLIQUIDITY_RUN:
            channel = "sentiment"
            other = recent_rows != row
            others = recent_rows[other]
            if others.size:
                same = others[recent_cluster[other] == cluster_of(np.array([row]))[0]]
                pool = same if same.size else others
                trigger = f"platform {pool[np.argmax(book.claims_at_failure[pool])]}"
        elif cause == CREDIT_CONTAGION:
            if book.exposure_loss[row] >= book.contagion_loss[row] and book.exposure_source[row] != -1:
                channel = "exposure"
                src = int(book.exposure_source[row])
                if src < -1 or src in failed_before:  # a guarantor, a bank, or a platform that failed
                    trigger = node_label(src)
            else:
                channel = "borrowers"
                src = int(book.contagion_source[row])
                trigger = f"platform {src}" if src in failed_before else None
        out[row] = (trigger, channel)
    return out
