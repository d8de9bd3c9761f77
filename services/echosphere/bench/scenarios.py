"""The four scenarios: ``direct``, ``group``, ``idle`` and ``sync``.

Each logs its people in, connects them, measures one phase and returns a
``Result``. CPU seconds are counted over the measured phase only (sending
and draining), never over the setup.

- ``direct``: N pairs of friends, both sides sending to each other.
- ``group``: one group of G members, S of them sending; every message is
  owed to the G - 1 others.
- ``idle``: N connections doing nothing; the nodes' resident memory before
  and after, per connection (against the relay: what the bare stack keeps).
- ``sync``: a user goes offline, M messages are sent to them, they come
  back; how long until they have every one. Latencies count from the
  reconnect.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import os
from collections.abc import AsyncIterator, Callable
from dataclasses import asdict, dataclass, field

import httpx

from echosphere.bench import driver
from echosphere.bench.accounting import Ledger
from echosphere.bench.driver import Pace, Sender, now
from echosphere.bench.population import Person, befriend, befriend_pairs, log_in, make_group
from echosphere.bench.procstat import CpuMeter, rss_bytes
from echosphere.bench.relay import RelayLink
from echosphere.bench.report import Progress, Result
from echosphere.bench.targets import Target
from echosphere.client import ChatClient, MemoryCursors

SCENARIOS = ("direct", "group", "idle", "sync")


@dataclass(frozen=True, slots=True)
class Plan:
    pace: Pace = field(default_factory=lambda: Pace(duration=5.0))
    pairs: int = 10
    members: int = 50
    senders: int = 5
    connections: int = 200
    messages: int = 2000
    drain: float = 10.0
    """Seconds to wait after sending for what is still owed."""
    settle: float = 2.0
    """Seconds the idle scenario waits before reading memory."""


Announce = Callable[[str], None]


def _meter(target: Target) -> CpuMeter:
    return CpuMeter({**target.pids, "bench": os.getpid()})


def _http() -> httpx.AsyncClient:
    return httpx.AsyncClient(timeout=60, limits=httpx.Limits(max_connections=32))


async def _measure(
    label: str,
    target: Target,
    senders: list[Sender],
    plan: Plan,
    ledger: Ledger,
) -> tuple[dict[str, float], dict[str, object]]:
    """Send, drain and count CPU; returns the CPU seconds and notes for the report."""
    meter = _meter(target)
    meter.start()
    async with (
        Progress(label, ledger, status=lambda: f"owed {ledger.outstanding()}"),
        _no_collector_pauses(),
    ):
        errors = await driver.send_all(senders, plan.pace, ledger)
        complete = await driver.drained(ledger, within=plan.drain)
    notes: dict[str, object] = {}
    if errors:
        notes["send_errors"] = dict(errors)
    if not complete:
        notes["drain"] = f"gave up after {plan.drain:g} s with {ledger.outstanding()} owed"
    _note_pressure(meter, notes)
    return meter.stop(), notes


def _note_pressure(meter: CpuMeter, notes: dict[str, object]) -> None:
    pressure = meter.pressure()
    if pressure is not None:
        notes["cpu_pressure"] = f"{pressure:.0%} of the time a task waited for a CPU"


@contextlib.asynccontextmanager
async def _no_collector_pauses() -> AsyncIterator[None]:
    """No cyclic garbage collection in the bench while it measures: a full pass over
    its clients and ledger would pause every client at once and show up as latency."""
    gc.collect()
    gc.freeze()
    gc.disable()
    try:
        yield
    finally:
        gc.enable()
        gc.unfreeze()


def _window(ledger: Ledger) -> float:
    start = ledger.first_send or now()
    return max((ledger.last_arrival or now()) - start, 1e-9)


def _params(plan: Plan, *names: str) -> dict[str, object]:
    chosen: dict[str, object] = {name: getattr(plan, name) for name in names}
    pace = {k: v for k, v in asdict(plan.pace).items() if v is not None}
    return {**chosen, **pace}


async def direct(target: Target, plan: Plan, announce: Announce) -> Result:
    if target.kind == "relay":
        return await _direct_relay(target, plan)
    async with _http() as http:
        announce(f"logging in {2 * plan.pairs} users")
        people = await log_in(http, target.api_url, 2 * plan.pairs)
        pairs = [(people[i], people[i + 1]) for i in range(0, len(people), 2)]
        convs = await befriend_pairs(http, target.api_url, pairs)
    clients = [driver.sdk_client(target, p) for p in people]
    announce(f"connecting {len(clients)} clients")
    await driver.connect_all(clients)
    ledger = Ledger()
    receivers = [
        asyncio.create_task(driver.record_sdk(c, i, ledger)) for i, c in enumerate(clients)
    ]
    senders = []
    for (a, b), conv in zip(pairs, convs, strict=True):
        senders.append(Sender(a.index, driver.sdk_send(clients[a.index]), conv, (b.index,)))
        senders.append(Sender(b.index, driver.sdk_send(clients[b.index]), conv, (a.index,)))
    try:
        cpu, notes = await _measure("direct", target, senders, plan, ledger)
    finally:
        await driver.close_all(clients)
        await asyncio.gather(*receivers, return_exceptions=True)
    params = _params(plan, "pairs")
    return Result("direct", target.name, params, ledger.tally(), _window(ledger), cpu, notes)


async def _direct_relay(target: Target, plan: Plan) -> Result:
    links = [
        await RelayLink.open(target.ws_urls[0], pair=f"p{i // 2}") for i in range(2 * plan.pairs)
    ]
    ledger = Ledger()
    receivers = [
        asyncio.create_task(driver.record_relay(k, i, ledger)) for i, k in enumerate(links)
    ]
    senders = []
    for i in range(0, len(links), 2):
        conv = f"p{i // 2}"
        senders.append(Sender(i, driver.relay_send(links[i]), conv, (i + 1,)))
        senders.append(Sender(i + 1, driver.relay_send(links[i + 1]), conv, (i,)))
    try:
        cpu, notes = await _measure("direct/relay", target, senders, plan, ledger)
    finally:
        await asyncio.gather(*(k.close() for k in links))
        await asyncio.gather(*receivers, return_exceptions=True)
    params = _params(plan, "pairs")
    return Result("direct", target.name, params, ledger.tally(), _window(ledger), cpu, notes)


async def group(target: Target, plan: Plan, announce: Announce) -> Result:
    if target.kind == "relay":
        raise ValueError("the relay target has only the direct scenario")
    async with _http() as http:
        announce(f"logging in {plan.members} users")
        people = await log_in(http, target.api_url, plan.members)
        owner, others = people[0], people[1:]
        announce(f"making a group of {plan.members}")
        await befriend_pairs(http, target.api_url, [(owner, p) for p in others])
        conv = await make_group(http, target.api_url, owner, others)
    clients = [driver.sdk_client(target, p, queue=65536) for p in people]
    announce(f"connecting {len(clients)} clients")
    await driver.connect_all(clients)
    ledger = Ledger()
    receivers = [
        asyncio.create_task(driver.record_sdk(c, i, ledger)) for i, c in enumerate(clients)
    ]
    everyone = {p.index for p in people}
    senders = [
        Sender(p.index, driver.sdk_send(clients[p.index]), conv, tuple(everyone - {p.index}))
        for p in people[: plan.senders]
    ]
    try:
        cpu, notes = await _measure("group", target, senders, plan, ledger)
    finally:
        await driver.close_all(clients)
        await asyncio.gather(*receivers, return_exceptions=True)
    tally = ledger.tally()
    notes["fan_out"] = plan.members - 1
    params = _params(plan, "members", "senders")
    return Result("group", target.name, params, tally, _window(ledger), cpu, notes)


def _node_memory(target: Target) -> int:
    return sum(rss_bytes(pid) or 0 for pid in target.nodes.values())


async def idle(target: Target, plan: Plan, announce: Announce) -> Result:
    if target.kind == "relay":
        return await _idle_relay(target, plan)
    async with _http() as http:
        announce(f"logging in {plan.connections} users")
        people = await log_in(http, target.api_url, plan.connections)
    clients = [driver.sdk_client(target, p) for p in people]
    await asyncio.sleep(plan.settle)
    before = _node_memory(target)
    meter = _meter(target)
    meter.start()
    ledger = Ledger()
    started = now()

    def connected() -> int:
        return sum(c.connected for c in clients)

    async with Progress("idle", ledger, status=lambda: f"connected {connected()}"):
        await driver.connect_all(clients)
        took = now() - started
        await asyncio.sleep(plan.settle)
    after = _node_memory(target)
    cpu = meter.stop()
    notes: dict[str, object] = {"connected": connected(), "connect_s": round(took, 2)}
    await driver.close_all(clients)
    if target.nodes and before and after:
        notes["node_rss_before_mb"] = round(before / 2**20, 1)
        notes["node_rss_after_mb"] = round(after / 2**20, 1)
        notes["node_kb_per_connection"] = round((after - before) / len(clients) / 1024, 1)
    params = _params(plan, "connections")
    return Result("idle", target.name, params, ledger.tally(), took, cpu, notes)


async def _idle_relay(target: Target, plan: Plan) -> Result:
    """The floor: what the bare server stack keeps per idle websocket."""
    before = _node_memory(target)
    started = now()
    links = [
        await RelayLink.open(target.ws_urls[0], pair=f"idle{i}") for i in range(plan.connections)
    ]
    took = now() - started
    await asyncio.sleep(plan.settle)
    after = _node_memory(target)
    await asyncio.gather(*(link.close() for link in links))
    notes: dict[str, object] = {"connected": len(links), "connect_s": round(took, 2)}
    notes["node_kb_per_connection"] = round((after - before) / len(links) / 1024, 1)
    params = _params(plan, "connections")
    return Result("idle", target.name, params, Ledger().tally(), took, {}, notes)


async def sync(target: Target, plan: Plan, announce: Announce) -> Result:
    if target.kind == "relay":
        raise ValueError("the relay target has only the direct scenario")
    async with _http() as http:
        people = await log_in(http, target.api_url, 2)
        sender, away = people
        conv = await befriend(http, target.api_url, sender, away)
    cursors = MemoryCursors()
    await _visit(target, away, cursors)
    writer = driver.sdk_client(target, sender)
    await writer.connect()
    announce(f"sending {plan.messages} messages to an offline user")
    sent = Ledger()
    pace = Pace(duration=3600.0, window=max(plan.pace.window, 8), count=plan.messages)
    errors = await driver.send_all(
        [Sender(sender.index, driver.sdk_send(writer), conv, (away.index,))], pace, sent
    )
    await writer.close()
    ledger = _restamped(sent, at=now())
    client = ChatClient(target.ws_for(away.index), away.session, cursors=cursors, queue_size=65536)
    receiver = asyncio.create_task(driver.record_sdk(client, away.index, ledger))
    meter = _meter(target)
    meter.start()
    async with Progress("sync", ledger, status=lambda: f"owed {ledger.outstanding()}"):
        await client.connect()
        complete = await driver.drained(ledger, within=plan.drain + plan.messages / 1000)
    notes: dict[str, object] = {}
    _note_pressure(meter, notes)
    cpu = meter.stop()
    await client.close()
    await asyncio.gather(receiver, return_exceptions=True)
    window = _window(ledger)
    notes["catch_up_s"] = round(window, 3)
    notes["catch_up_per_s"] = round(ledger.delivered / window)
    if errors:
        notes["send_errors"] = dict(errors)
    if not complete:
        notes["drain"] = f"gave up with {ledger.outstanding()} owed"
    params = {"messages": plan.messages}
    return Result("sync", target.name, params, ledger.tally(), window, cpu, notes)


async def _visit(target: Target, person: Person, cursors: MemoryCursors) -> None:
    """Connect once and leave, so the user has a cursor and is offline."""
    client = ChatClient(target.ws_for(person.index), person.session, cursors=cursors)
    await client.connect()
    await client.close()


def _restamped(sent: Ledger, *, at: float) -> Ledger:
    """A ledger of the same acknowledged messages, all counted as sent at ``at``."""
    fresh = Ledger()
    for key, conv, recipients, seq in sent.acknowledged():
        fresh.record_send(key, conv=conv, recipients=recipients, at=at)
        fresh.record_ack(key, seq=seq, at=at)
    return fresh


RUNNERS = {"direct": direct, "group": group, "idle": idle, "sync": sync}
