"""Token buckets per client IP, per user and for the auth routes, on servers with tight limits.

Uvicorn trusts ``X-Forwarded-For`` from 127.0.0.1, so a test speaks for
another client IP by sending that header.
"""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import httpx

from echosphere.config import Limits, RateLimit
from tests.support.accounts import login, new_phone
from tests.support.checks import expect_error
from tests.support.server import GENEROUS, embedded_settings, serve

SLOW = 0.001
"""Tokens per second so low that no bucket refills during a test."""

OPEN = Limits(rate_ip=GENEROUS, rate_user=GENEROUS, rate_auth=GENEROUS, rate_send=GENEROUS)


@asynccontextmanager
async def _client(tmp_path: Path, **limits: RateLimit) -> AsyncIterator[httpx.AsyncClient]:
    settings = embedded_settings(tmp_path / "data", limits=dataclasses.replace(OPEN, **limits))
    async with serve(settings) as server, httpx.AsyncClient(base_url=server.url) as client:
        yield client


def _from(ip: str) -> dict[str, str]:
    return {"X-Forwarded-For": ip}


def _expect_limited(answer: httpx.Response, *, longest: float) -> None:
    expect_error(answer, 429, "rate_limited")
    assert 1 <= int(answer.headers["retry-after"]) <= longest


async def test_ip_bucket_refuses_past_the_burst(tmp_path: Path) -> None:
    """An IP gets its burst of requests, then 429 with Retry-After."""
    async with _client(tmp_path, rate_ip=RateLimit(rate=SLOW, burst=3)) as client:
        for _ in range(3):
            assert (await client.get("/healthz", headers=_from("10.0.0.1"))).status_code == 200
        _expect_limited(await client.get("/healthz", headers=_from("10.0.0.1")), longest=1000)


async def test_ip_buckets_are_separate(tmp_path: Path) -> None:
    """Another client IP is not slowed by one that ran out."""
    async with _client(tmp_path, rate_ip=RateLimit(rate=SLOW, burst=2)) as client:
        for _ in range(3):
            await client.get("/healthz", headers=_from("10.0.0.1"))
        assert (await client.get("/healthz", headers=_from("10.0.0.2"))).status_code == 200


async def test_ip_limit_comes_before_authentication(tmp_path: Path) -> None:
    """Requests without a token count against the IP too, and get 429 once it is spent."""
    async with _client(tmp_path, rate_ip=RateLimit(rate=SLOW, burst=2)) as client:
        for _ in range(2):
            expect_error(
                await client.get("/api/me", headers=_from("10.0.0.3")), 401, "unauthorized"
            )
        _expect_limited(await client.get("/api/me", headers=_from("10.0.0.3")), longest=1000)


async def test_bucket_refills_at_its_rate(tmp_path: Path) -> None:
    """After 1/rate seconds a spent bucket answers again."""
    async with _client(tmp_path, rate_ip=RateLimit(rate=10.0, burst=1)) as client:
        assert (await client.get("/healthz")).status_code == 200
        limited = await client.get("/healthz")
        _expect_limited(limited, longest=1)
        await asyncio.sleep(0.15)
        assert (await client.get("/healthz")).status_code == 200


async def test_user_bucket_follows_the_user_across_ips(tmp_path: Path) -> None:
    """A user who spent their bucket is refused from any IP; another user is not."""
    async with _client(tmp_path, rate_user=RateLimit(rate=SLOW, burst=2)) as client:
        a, b = await login(client), await login(client)
        for _ in range(2):
            assert (await client.get("/api/me", headers=a.headers)).status_code == 200
        _expect_limited(await client.get("/api/me", headers=a.headers), longest=1000)
        elsewhere = {**a.headers, **_from("10.0.0.9")}
        _expect_limited(await client.get("/api/me", headers=elsewhere), longest=1000)
        assert (await client.get("/api/me", headers=b.headers)).status_code == 200


async def test_auth_routes_have_their_own_tighter_bucket(tmp_path: Path) -> None:
    """Past the auth burst, code requests are 429 while other routes still answer."""
    async with _client(tmp_path, rate_auth=RateLimit(rate=SLOW, burst=2)) as client:
        for _ in range(2):
            sent = await client.post("/api/auth/code", json={"phone": new_phone()})
            assert sent.status_code == 202
        limited = await client.post("/api/auth/code", json={"phone": new_phone()})
        _expect_limited(limited, longest=1000)
        refresh = await client.post("/api/auth/refresh", json={"refresh_token": "a.b"})
        _expect_limited(refresh, longest=1000)
        assert (await client.get("/healthz")).status_code == 200
        other_ip = await client.post(
            "/api/auth/code", json={"phone": new_phone()}, headers=_from("10.0.0.4")
        )
        assert other_ip.status_code == 202
