"""Circuit breakers around ports, with a scripted adapter (no server needed to show the states)."""

from __future__ import annotations

import pytest

from echosphere.breakers import guard, new_factory
from echosphere.core.errors import Conflict, Unavailable


class Flaky:
    """An adapter whose calls fail while ``down`` is set."""

    def __init__(self) -> None:
        self.down = False
        self.calls = 0

    async def get(self, key: str) -> str:
        self.calls += 1
        if self.down:
            raise Unavailable("kv_unavailable", "connection refused")
        return key

    async def refuse(self) -> None:
        self.calls += 1
        raise Conflict("taken", "a client mistake")


async def test_opens_after_threshold_and_fails_fast() -> None:
    """Three outages open the circuit; the next call fails without touching the adapter."""
    flaky = Flaky()
    kv = guard(flaky, name="kv", factory=new_factory(threshold=3, ttl=60))
    flaky.down = True
    for _ in range(3):
        with pytest.raises(Unavailable):
            await kv.get("a")
    assert flaky.calls == 3
    with pytest.raises(Unavailable) as refused:
        await kv.get("a")
    assert refused.value.code == "unavailable"
    assert flaky.calls == 3


async def test_client_errors_do_not_open_the_circuit() -> None:
    """Errors a client caused pass through and never count as outages."""
    flaky = Flaky()
    kv = guard(flaky, name="kv", factory=new_factory(threshold=2, ttl=60))
    for _ in range(5):
        with pytest.raises(Conflict):
            await kv.refuse()
    assert await kv.get("ok") == "ok"


async def test_half_open_trial_closes_again(monkeypatch: pytest.MonkeyPatch) -> None:
    """After the ttl one trial call goes through; success closes the circuit."""
    flaky = Flaky()
    kv = guard(flaky, name="kv", factory=new_factory(threshold=1, ttl=0.05))
    flaky.down = True
    with pytest.raises(Unavailable):
        await kv.get("a")
    flaky.down = False
    import asyncio

    await asyncio.sleep(0.1)
    assert await kv.get("back") == "back"
    assert await kv.get("again") == "again"
