"""Wiring against real servers where they run here.

Exchanges are declared and deleted on the real RabbitMQ of ``scripts/services
up``; buckets on the S3 server it starts when it exports ECHO_TEST_S3_URL
(skipped, saying so, when it does not). No OpenSearch server runs here: its
index body and URL parsing are checked as pure functions and its failure
path against a closed port; the kind workflow creates the index for real.
"""

from __future__ import annotations

import os
import uuid
from typing import Any

import pytest
from minio import Minio

from echosphere_operator.spec import Exchange, parse_spec
from echosphere_operator.wiring import WiringError, messaging, search, storage
from echosphere_operator.wiring.provision import Backoff, Wiring, remove
from tests.operator.conftest import S3_VARIABLE, amqp_url
from tests.operator.test_operator import exchange_exists

CLOSED = "127.0.0.1:1"


def s3_url() -> str:
    url = os.environ.get(S3_VARIABLE)
    if not url:
        pytest.skip(f"{S3_VARIABLE} is not set: no S3 server was started, so no bucket is created")
    return url


def names(tag: str) -> list[Exchange]:
    return [Exchange(f"wiring.{tag}.direct", "direct"), Exchange(f"wiring.{tag}.fanout", "fanout")]


async def test_exchanges_are_declared_idempotently_and_deleted() -> None:
    url, exchanges = amqp_url(), names(uuid.uuid4().hex[:8])
    await messaging.declare_exchanges(url, exchanges, within=5)
    await messaging.declare_exchanges(url, exchanges, within=5)
    for exchange in exchanges:
        assert await exchange_exists(url, exchange.name)
    await messaging.delete_exchanges(url, [e.name for e in exchanges], within=5)
    for exchange in exchanges:
        assert not await exchange_exists(url, exchange.name)


async def test_an_exchange_of_another_type_is_a_conflict() -> None:
    url, tag = amqp_url(), uuid.uuid4().hex[:8]
    await messaging.declare_exchanges(url, [Exchange(f"wiring.{tag}", "direct")], within=5)
    try:
        with pytest.raises(WiringError) as failure:
            await messaging.declare_exchanges(url, [Exchange(f"wiring.{tag}", "fanout")], within=5)
        assert failure.value.reason == "Conflict"
    finally:
        await messaging.delete_exchanges(url, [f"wiring.{tag}"], within=5)


async def test_bad_credentials_are_refused() -> None:
    host = amqp_url().rpartition("@")[2]
    with pytest.raises(WiringError) as failure:
        await messaging.declare_exchanges(f"amqp://nobody:wrong@{host}", names("x"), within=5)
    assert failure.value.reason in ("Refused", "Unreachable")


@pytest.mark.parametrize(
    "attempt",
    [
        lambda: messaging.declare_exchanges(f"amqp://guest:guest@{CLOSED}/", names("x"), within=2),
        lambda: storage.create_buckets(f"s3://k:s@{CLOSED}/media?secure=false", [], within=2),
        lambda: search.create_index(f"opensearch://{CLOSED}/bottles", within=2),
    ],
    ids=["rabbitmq", "s3", "opensearch"],
)
async def test_unreachable_servers_fail_fast_with_a_reason(attempt: Any) -> None:
    with pytest.raises(WiringError) as failure:
        await attempt()
    assert failure.value.reason == "Unreachable"


async def test_buckets_are_created_and_deleted_on_the_s3_server() -> None:
    url = s3_url()
    extra = f"echo-{uuid.uuid4().hex[:8]}"
    created = await storage.create_buckets(url, [extra], within=5)
    assert extra in created
    where = storage.parse_url(url)
    client = Minio(where.endpoint, where.access_key, where.secret_key, secure=where.secure)
    assert client.bucket_exists(extra)
    await storage.create_buckets(url, [extra], within=5)  # idempotent
    client.put_object(extra, "left-over", __import__("io").BytesIO(b"x"), 1)
    await storage.delete_buckets(url, [extra], within=5)
    assert not client.bucket_exists(extra)


def test_s3_url_parsing() -> None:
    where = storage.parse_url("s3://AK:S%2Fk@minio.chat.svc:9000/media?secure=false&region=eu")
    assert (where.endpoint, where.access_key, where.secret_key) == (
        "minio.chat.svc:9000",
        "AK",
        "S/k",
    )
    assert (where.bucket, where.secure, where.region) == ("media", False, "eu")
    assert storage.buckets_for("s3://a:b@h/media", ["avatars", "media"]) == ["avatars", "media"]
    with pytest.raises(WiringError, match="s3://"):
        storage.parse_url("http://minio:9000")


def test_search_url_reads_like_the_services_read_it() -> None:
    from echosphere.backends.opensearch_geo import client_options

    url = "opensearch://admin:p%40ss@os.chat.svc:9200/bottles?tls=true&verify=false"
    where = search.parse_url(url)
    assert (where.host, where.port, where.user, where.password) == (
        "os.chat.svc",
        9200,
        "admin",
        "p@ss",
    )
    options, index = client_options(url)
    assert (where.index, where.secure, where.verify) == (
        index,
        options["use_ssl"],
        options["verify_certs"],
    )
    bare = "opensearch://os:9200"
    assert search.parse_url(bare).index == client_options(bare)[1] == "echosphere-bottles"


def test_index_is_created_as_the_services_create_it() -> None:
    """The operator and the services' geo adapter may each create the index first."""
    from echosphere.backends.opensearch_geo import index_body

    assert search.index_body() == index_body()


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


class Secrets:
    def __init__(self, **urls: str):
        self.urls = urls

    async def __call__(self, ref: Any) -> str | None:
        return self.urls.get(ref.name)


SPEC = parse_spec(
    {
        "messaging": {"secretRef": {"name": "rabbitmq"}},
        "redis": {"secretRef": {"name": "redis"}},
        "mongodb": {"secretRef": {"name": "mongodb"}},
        "search": {"secretRef": {"name": "opensearch"}},
    }
)


async def test_failures_back_off_and_successes_are_not_repeated() -> None:
    clock = Clock()
    wiring = Wiring(timeout=2, resync=300, backoff=Backoff(first=5, most=20), clock=clock)
    read = Secrets(rabbitmq=f"amqp://guest:guest@{CLOSED}/")

    first = {o.condition: o for o in await wiring.provision("u", SPEC, read)}
    failed = first["MessagingReady"]
    assert (failed.ok, failed.reason, failed.attempted) == (False, "Unreachable", True)
    assert "next in 5s" in failed.message
    assert first["StorageReady"].reason == "NotConfigured" and first["StorageReady"].ok
    assert first["SearchReady"].reason == "SecretMissing" and not first["SearchReady"].ok

    again = {o.condition: o for o in await wiring.provision("u", SPEC, read)}
    assert not again["MessagingReady"].attempted, "still backing off"

    clock.now += 5
    retried = {o.condition: o for o in await wiring.provision("u", SPEC, read)}
    assert (
        retried["MessagingReady"].attempted and "next in 10s" in retried["MessagingReady"].message
    )

    read.urls["rabbitmq"] = amqp_url()  # a changed Secret is tried at once
    fixed = {o.condition: o for o in await wiring.provision("u", SPEC, read)}
    assert fixed["MessagingReady"].ok and fixed["MessagingReady"].attempted
    quiet = {o.condition: o for o in await wiring.provision("u", SPEC, read)}
    assert quiet["MessagingReady"].ok and not quiet["MessagingReady"].attempted
    clock.now += 301
    resynced = {o.condition: o for o in await wiring.provision("u", SPEC, read)}
    assert resynced["MessagingReady"].attempted


def test_backoff_doubles_up_to_its_ceiling() -> None:
    backoff = Backoff(first=5, most=60)
    assert [backoff.delay(n) for n in range(1, 7)] == [5, 10, 20, 40, 60, 60]


async def test_removal_reports_every_failure() -> None:
    failures = await remove(SPEC, Secrets(rabbitmq=f"amqp://guest:guest@{CLOSED}/"), within=2)
    assert [f.split(":")[0] for f in failures] == ["exchanges", "index"]
    assert "not found" in failures[1]
