"""After a small run, ``GET /metrics`` shows the expected series with sane values.

The registry is per process and the tests share it, so each check compares
values before and after its own traffic.
"""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from echosphere.client import ChatClient, ChatError, Message, dev_login
from echosphere.config import Limits, RateLimit
from tests.support.accounts import new_phone
from tests.support.server import RunningServer, embedded_settings, serve

Samples = dict[tuple[str, tuple[tuple[str, str], ...]], float]


async def scrape(http: httpx.AsyncClient) -> Samples:
    answer = await http.get("/metrics")
    assert answer.status_code == 200
    assert answer.headers["content-type"].startswith("text/plain")
    samples: Samples = {}
    for family in text_string_to_metric_families(answer.text):
        for sample in family.samples:
            samples[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return samples


def value(samples: Samples, name: str, **labels: str) -> float:
    return samples.get((name, tuple(sorted(labels.items()))), 0.0)


def total(samples: Samples, name: str) -> float:
    return sum(v for (n, _), v in samples.items() if n == name)


@pytest.fixture
async def http(server: RunningServer) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=server.url, timeout=10) as client:
        yield client


async def _friends(server: RunningServer, http: httpx.AsyncClient) -> tuple[ChatClient, ...]:
    a = await dev_login(server.url, new_phone(), http=http)
    b = await dev_login(server.url, new_phone(), http=http)
    headers = {"Authorization": f"Bearer {a.access_token}"}
    sent = await http.post("/api/friend-requests", json={"to": b.user}, headers=headers)
    accept = f"/api/friend-requests/{sent.json()['id']}/accept"
    await http.post(accept, headers={"Authorization": f"Bearer {b.access_token}"})
    return ChatClient(server.ws_url, a), ChatClient(server.ws_url, b)


async def test_a_small_chat_shows_in_the_metrics(
    server: RunningServer, http: httpx.AsyncClient
) -> None:
    """Connections, frames by op, stored messages, delivery latency, fan-out, port calls."""
    before = await scrape(http)
    alice, bob = await _friends(server, http)
    async with alice, bob:
        conv = "d:" + ":".join(sorted((alice.session.user, bob.session.user)))
        during = await scrape(http)
        for n in range(3):
            await alice.send(conv, f"hello {n}")
        got = []
        async for event in bob.events():
            if isinstance(event, Message):
                got.append(event)
                if len(got) == 3:
                    break
        with pytest.raises(ChatError):
            await alice.send("d:nobody", "lost")
        await asyncio.sleep(0.05)  # the writer task counts a frame once written
        after = await scrape(http)

    assert value(during, "echosphere_connections") - value(before, "echosphere_connections") == 2
    assert value(after, "echosphere_connections_opened_total") >= 2

    def grew(name: str, by: float, **labels: str) -> None:
        assert value(after, name, **labels) - value(before, name, **labels) >= by, (name, labels)

    grew("echosphere_frames_in_total", 4, op="send")
    grew("echosphere_frames_out_total", 3, op="ack")
    grew("echosphere_frames_out_total", 3, op="msg")
    grew("echosphere_messages_stored_total", 3, conv="direct")
    grew("echosphere_delivery_seconds_count", 3)
    grew("echosphere_fanout_messages_total", 3)
    grew("echosphere_fanout_node_deliveries_total", 3)
    grew("echosphere_socket_deliveries_total", 3)
    grew("echosphere_refusals_total", 1, code="bad_conv", via="ws")
    grew("echosphere_port_call_seconds_count", 3, port="store", method="append_message")
    grew("echosphere_port_call_seconds_count", 1, port="kv", method="hgetall_many")
    grew("echosphere_http_requests_total", 1, method="POST", route="/api/auth/login", status="200")

    # Latencies are plausible: stored -> written within a second, and never negative.
    count = total(after, "echosphere_delivery_seconds_count")
    assert 0 <= total(after, "echosphere_delivery_seconds_sum") / count < 1.0
    fast = value(after, "echosphere_delivery_seconds_bucket", le="1.0")
    assert fast / count > 0.9


async def test_http_refusals_and_rate_limits_are_counted(tmp_path: Path) -> None:
    """A refused request counts under its code; one past the IP limit under rate_limited."""
    settings = embedded_settings(tmp_path / "data")
    tight = dataclasses.replace(settings.limits, rate_ip=RateLimit(rate=0.01, burst=2))
    async with (
        serve(dataclasses.replace(settings, limits=tight)) as server,
        httpx.AsyncClient(base_url=server.url, timeout=10) as http,
    ):
        before = await scrape(http)
        for _ in range(3):
            await http.get("/api/users/someone")
        after = await scrape(http)
    assert (
        value(after, "echosphere_rate_limited_total", scope="ip")
        - value(before, "echosphere_rate_limited_total", scope="ip")
        >= 1
    )
    assert value(after, "echosphere_refusals_total", code="unauthorized", via="http") > value(
        before, "echosphere_refusals_total", code="unauthorized", via="http"
    )
    assert value(after, "echosphere_refusals_total", code="rate_limited", via="http") >= 1


async def test_metrics_are_not_rate_limited(tmp_path: Path) -> None:
    """Scrapes never spend the IP allowance: a tight limit still lets every scrape through."""
    limits = Limits(rate_ip=RateLimit(rate=0.01, burst=1))
    settings = dataclasses.replace(embedded_settings(tmp_path / "data"), limits=limits)
    async with (
        serve(settings) as server,
        httpx.AsyncClient(base_url=server.url, timeout=10) as http,
    ):
        for _ in range(5):
            assert (await http.get("/metrics")).status_code == 200
