"""How long to wait before reconnecting.

Exponential backoff with full jitter: attempt ``n`` waits a uniformly random
time between zero and ``min(cap, base * 2 ** (n - 1))``. Spreading the waits
over the whole range, rather than around the exponential value, keeps a
crowd of clients that lost the same node from coming back in step.
"""

from __future__ import annotations

import random
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Backoff:
    base: float = 0.2
    """Seconds: the upper bound of the first wait."""
    cap: float = 5.0
    """Seconds: no wait is ever longer."""

    def delay(self, attempt: int, *, rng: random.Random | None = None) -> float:
        """The wait before attempt ``attempt`` (counted from 1)."""
        ceiling = min(self.cap, self.base * 2 ** min(max(attempt - 1, 0), 32))
        return (rng or random).uniform(0, ceiling)


def spread(hint: float, *, rng: random.Random | None = None) -> float:
    """A wait around a server's ``hint`` (half to one and a half times it)."""
    return (rng or random).uniform(0.5 * hint, 1.5 * hint)
