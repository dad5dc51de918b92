"""Retry delays: exponential backoff with full jitter, honouring ``Retry-After``.

Why full jitter (a uniform draw between 0 and the exponential ceiling): after an outage
every device comes back at once; spreading retries uniformly over the whole window is
what keeps a recovering server from being knocked over again by synchronised waves
(AWS architecture blog, "Exponential Backoff and Jitter"). The random source is
injected so tests and the fault-simulation harness are deterministic.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

__all__ = ["Backoff"]


@dataclass(frozen=True, slots=True)
class Backoff:
    """How long to wait after the ``failures``-th failure in a row.

    The ceiling is ``base_s * factor ** (failures - 1)``, capped at ``max_s``; the delay
    is drawn uniformly from ``[0, ceiling]``. A server's ``Retry-After`` is a floor
    (never retry earlier than asked), itself capped at ``max_retry_after_s`` so a
    misconfigured server cannot park devices for days.
    """

    base_s: float = 1.0
    factor: float = 2.0
    max_s: float = 300.0
    max_retry_after_s: float = 3600.0

    def __post_init__(self) -> None:
        if self.base_s <= 0 or self.factor < 1 or self.max_s < self.base_s:
            raise ValueError("backoff needs base_s > 0, factor >= 1 and max_s >= base_s")

    def ceiling(self, failures: int) -> float:
        """The largest delay after ``failures`` failures in a row (0 for none)."""
        if failures <= 0:
            return 0.0
        # Exponent capped before computing so a long outage cannot overflow a float.
        exponent = min(failures - 1, 64)
        return float(min(self.max_s, self.base_s * self.factor**exponent))

    def delay(self, failures: int, rng: random.Random, retry_after: float | None = None) -> float:
        """Seconds to wait before the next attempt.

        Args:
            failures: consecutive failures so far (1 after the first).
            rng: the random source (seeded in tests).
            retry_after: the server's ``Retry-After`` in seconds, if it sent one.
        """
        jittered = rng.uniform(0.0, self.ceiling(failures))
        if retry_after is None:
            return jittered
        floor = min(max(retry_after, 0.0), self.max_retry_after_s)
        return max(floor, jittered)
