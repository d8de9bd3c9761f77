"""In-process KV adapter (``memory://``) for embedded mode.

A single event loop owns the dictionaries, so each operation is atomic by
construction. Expired keys are dropped lazily on access and by a periodic
sweep, so memory stays bounded by what is live.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field


@dataclass(slots=True)
class _Entry:
    value: str | dict[str, str]
    expires_at: float | None
    buckets: dict[str, float] = field(default_factory=dict)


class MemoryKV:
    """The KV port in a dictionary, with expiry and token buckets."""

    def __init__(self, *, clock: Callable[[], float] = time.monotonic, sweep_every: float = 30.0):
        self._data: dict[str, _Entry] = {}
        self._clock = clock
        self._sweep_every = sweep_every
        self._sweeper: asyncio.Task[None] | None = None

    async def start(self) -> None:
        self._sweeper = asyncio.create_task(self._sweep_forever(), name="memory-kv-sweep")

    async def close(self) -> None:
        if self._sweeper is not None:
            self._sweeper.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._sweeper

    async def ping(self) -> None:
        return None

    async def get(self, key: str) -> str | None:
        entry = self._live(key)
        return entry.value if entry is not None and isinstance(entry.value, str) else None

    async def set(self, key: str, value: str, *, ttl: float | None = None) -> None:
        self._data[key] = _Entry(value, self._deadline(ttl))

    async def add(self, key: str, value: str, *, ttl: float) -> bool:
        if self._live(key) is not None:
            return False
        self._data[key] = _Entry(value, self._deadline(ttl))
        return True

    async def delete(self, key: str) -> None:
        self._data.pop(key, None)

    async def incr(self, key: str, amount: int = 1, *, ttl: float | None = None) -> int:
        entry = self._live(key)
        if entry is None or not isinstance(entry.value, str):
            entry = self._data[key] = _Entry("0", self._deadline(ttl))
        assert isinstance(entry.value, str)
        value = int(entry.value) + amount
        entry.value = str(value)
        return value

    async def take_token(self, key: str, *, rate: float, burst: int) -> float:
        now = self._clock()
        entry = self._live(key)
        if entry is None or not isinstance(entry.value, str):
            entry = self._data[key] = _Entry(str(float(burst)), None)
            entry.buckets["at"] = now
        assert isinstance(entry.value, str)
        tokens = min(float(burst), float(entry.value) + (now - entry.buckets["at"]) * rate)
        entry.buckets["at"] = now
        # An idle bucket refills completely, so it can be forgotten once full.
        entry.expires_at = now + burst / rate + 1.0
        if tokens >= 1.0:
            entry.value = str(tokens - 1.0)
            return 0.0
        entry.value = str(tokens)
        return (1.0 - tokens) / rate

    async def hset(self, key: str, field: str, value: str, *, ttl: float) -> None:
        entry = self._live(key)
        if entry is None or not isinstance(entry.value, dict):
            entry = self._data[key] = _Entry({}, None)
        assert isinstance(entry.value, dict)
        entry.value[field] = value
        entry.expires_at = self._deadline(ttl)

    async def hdel(self, key: str, field: str) -> None:
        entry = self._live(key)
        if entry is not None and isinstance(entry.value, dict):
            entry.value.pop(field, None)
            if not entry.value:
                del self._data[key]

    async def hgetall(self, key: str) -> dict[str, str]:
        entry = self._live(key)
        return dict(entry.value) if entry is not None and isinstance(entry.value, dict) else {}

    async def hgetall_many(self, keys: Sequence[str]) -> list[dict[str, str]]:
        found = []
        for key in keys:
            entry = self._live(key)
            found.append(dict(entry.value) if entry and isinstance(entry.value, dict) else {})
        return found

    def _deadline(self, ttl: float | None) -> float | None:
        return None if ttl is None else self._clock() + ttl

    def _live(self, key: str) -> _Entry | None:
        entry = self._data.get(key)
        if entry is not None and entry.expires_at is not None and entry.expires_at <= self._clock():
            del self._data[key]
            return None
        return entry

    async def _sweep_forever(self) -> None:
        while True:
            await asyncio.sleep(self._sweep_every)
            for key in list(self._data):
                self._live(key)
