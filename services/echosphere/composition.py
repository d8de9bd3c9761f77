"""Composition: the one place that turns settings into adapters.

It picks each adapter by URL scheme, starts them in order, hands the
``Platform`` to the API and the chat node, and closes everything in reverse
on shutdown. In ``echosphere dev`` it also keeps a generated JWT key in the
data directory, so sessions survive a restart.
"""

from __future__ import annotations

import contextlib
import dataclasses
import hashlib
import hmac
import logging
import secrets
from collections.abc import AsyncIterator, Callable, Sequence
from pathlib import Path
from typing import Any, Literal, TypeVar
from urllib.parse import urlsplit

from starlette.applications import Starlette
from starlette.routing import BaseRoute

from echosphere.api.app import build_api
from echosphere.backends.amqp_bus import AmqpBus
from echosphere.backends.file_media import FileMedia
from echosphere.backends.lease_registry import LeaseRegistry
from echosphere.backends.log_sms import LogSms
from echosphere.backends.memory_bus import MemoryBus
from echosphere.backends.memory_geo import MemoryGeoIndex
from echosphere.backends.memory_kv import MemoryKV
from echosphere.backends.memory_registry import MemoryRegistry
from echosphere.backends.mongo import MongoStore
from echosphere.backends.opensearch_geo import OpenSearchGeoIndex
from echosphere.backends.redis_kv import RedisKV
from echosphere.backends.s3_media import S3Media
from echosphere.backends.sqlite import SqliteStore
from echosphere.backends.sqlite.geo import SqliteGeoIndex
from echosphere.backends.zookeeper_registry import ZookeeperRegistry
from echosphere.breakers import guard, new_factory
from echosphere.chat.audiences import invalidating
from echosphere.chat.delivery import Delivery, Outgoing
from echosphere.chat.messenger import Messenger
from echosphere.chat.platform import Platform
from echosphere.chat.presence import Presence
from echosphere.config import Settings, SettingsError
from echosphere.core.ids import DeviceId, UserId
from echosphere.core.ports import KV, Bus, GeoIndex, Media, Registry, SmsSender, Store
from echosphere.core.tokens import TokenSigner
from echosphere.node.app import ChatNode, node_routes

logger = logging.getLogger(__name__)

Role = Literal["api", "node"]
_A = TypeVar("_A")


def dev_settings(settings: Settings, data_dir: Path) -> Settings:
    """Embedded defaults under ``data_dir``, with a signing key generated once."""
    data_dir.mkdir(parents=True, exist_ok=True)
    key_file = data_dir / "jwt.key"
    if not key_file.exists():
        key_file.write_text(f"dev1:{secrets.token_urlsafe(48)}\n")
        key_file.chmod(0o600)
    kid, _, secret = key_file.read_text().strip().partition(":")
    keys = settings.jwt_keys or ((kid, secret),)
    store_url = settings.store_url
    if store_url == Settings().store_url:
        store_url = f"sqlite:///{(data_dir / 'echosphere.db').resolve()}"
    media_url = settings.media_url
    if media_url == Settings().media_url:
        media_url = f"file://{(data_dir / 'media').resolve()}"
    return dataclasses.replace(
        settings, data_dir=data_dir, store_url=store_url, media_url=media_url, jwt_keys=keys
    )


def _scheme(url: str) -> str:
    return urlsplit(url).scheme


STORES: dict[str, Callable[[str], Store]] = {
    "sqlite": SqliteStore.from_url,
    "mongodb": MongoStore.from_url,
}
KVS: dict[str, Callable[[str], KV]] = {
    "memory": lambda _url: MemoryKV(),
    "redis": RedisKV.from_url,
}
BUSES: dict[str, Callable[[str], Bus]] = {
    "memory": lambda _url: MemoryBus(),
    "amqp": AmqpBus.from_url,
}
REGISTRIES: dict[str, Callable[[str], Registry]] = {
    "memory": lambda _url: MemoryRegistry(),
    "zookeeper": ZookeeperRegistry.from_url,
    "k8s-lease": LeaseRegistry.from_url,
}
SMS_SENDERS: dict[str, Callable[[str], SmsSender]] = {
    "log": lambda _url: LogSms(),
}
"""Adapters by URL scheme: adding a technology is one module in ``backends`` and one
line here (and its scheme in ``config.SCHEMES``)."""


def _adapter(variable: str, adapters: dict[str, Callable[[str], _A]], url: str) -> _A:
    make = adapters.get(_scheme(url))
    if make is None:
        raise SettingsError(f"{variable}: no adapter for {url!r}")
    return make(url)


def build_store(url: str) -> Store:
    return _adapter("ECHO_STORE_URL", STORES, url)


def build_kv(url: str) -> KV:
    return _adapter("ECHO_KV_URL", KVS, url)


def build_bus(url: str) -> Bus:
    return _adapter("ECHO_BUS_URL", BUSES, url)


def build_registry(url: str) -> Registry:
    return _adapter("ECHO_REGISTRY_URL", REGISTRIES, url)


def build_sms(url: str) -> SmsSender:
    return _adapter("ECHO_SMS_URL", SMS_SENDERS, url)


def build_media(settings: Settings) -> Media:
    url = settings.media_url
    scheme = _scheme(url)
    if scheme == "file":
        if url == "file://":
            url = f"file://{(settings.data_dir / 'media').resolve()}"
        # A key of its own, derived from the signing key every API process shares.
        secret = hmac.new(settings.jwt_keys[0][1].encode(), b"media urls", hashlib.sha256)
        return _from_url("ECHO_MEDIA_URL", FileMedia.from_url, url, secret=secret.digest())
    if scheme == "s3":
        return _from_url("ECHO_MEDIA_URL", S3Media.from_url, url)
    raise SettingsError(f"ECHO_MEDIA_URL: no adapter for {url!r}")


def build_geo(settings: Settings) -> GeoIndex:
    """``sqlite://`` shares the store's SQLite file; ``sqlite:///path`` has its own."""
    url = settings.geo_url
    scheme = _scheme(url)
    if scheme == "sqlite" and url == "sqlite://":
        if _scheme(settings.store_url) != "sqlite":
            # Chat nodes never search bottles: a missing setting must not stop them.
            logger.warning(
                "ECHO_GEO_URL is not set and the store is not SQLite: bottles are searched "
                "in this process only; set ECHO_GEO_URL=opensearch://... for a cluster"
            )
            return MemoryGeoIndex()
        return SqliteGeoIndex(SqliteStore.from_url(settings.store_url).path)
    if scheme == "sqlite":
        return SqliteGeoIndex(SqliteStore.from_url(url).path)
    if scheme == "memory":
        return MemoryGeoIndex()
    if scheme == "opensearch":
        return _from_url("ECHO_GEO_URL", OpenSearchGeoIndex.from_url, url)
    raise SettingsError(f"ECHO_GEO_URL: no adapter for {url!r}")


def _from_url(name: str, make: Callable[..., _A], url: str, **options: Any) -> _A:
    try:
        return make(url, **options)
    except ValueError as error:
        raise SettingsError(f"{name}: {error}") from None


def build_platform(settings: Settings) -> Platform:
    if not settings.jwt_keys:
        raise SettingsError("ECHO_JWT_KEYS: required (or ECHO_JWT_KEYS_FILE) outside dev mode")
    breakers = new_factory()
    kv = guard(build_kv(settings.kv_url), name="kv", factory=breakers)
    store = guard(build_store(settings.store_url), name="store", factory=breakers)
    return Platform(
        settings=settings,
        # Writes that change who may send where tell every process's audience cache.
        store=invalidating(store, kv),
        kv=kv,
        bus=guard(build_bus(settings.bus_url), name="bus", factory=breakers),
        registry=build_registry(settings.registry_url),
        sms=build_sms(settings.sms_url),
        signer=TokenSigner(settings.jwt_keys, ttl=settings.access_ttl),
        media=guard(build_media(settings), name="media", factory=breakers),
        geo=guard(build_geo(settings), name="geo", factory=breakers),
    )


async def _no_local_sockets(users: Sequence[UserId], skip: DeviceId | None, item: Outgoing) -> None:
    return None


def build_app(platform: Platform, *, roles: tuple[Role, ...] = ("api", "node")) -> Starlette:
    """The ASGI app for the given roles, owning the adapters' lifecycle."""
    node = ChatNode(platform) if "node" in roles else None
    extra: list[BaseRoute] = node_routes(node) if node else []
    if node is not None:
        messenger = node.messenger
    else:
        # An API process publishes to the nodes but has no sockets of its own.
        delivery = Delivery(
            node_id=f"api:{platform.settings.node_id}",
            presence=Presence(platform.kv, ttl=platform.settings.presence_ttl),
            bus=platform.bus,
            local=_no_local_sockets,
        )
        messenger = Messenger(platform, delivery)

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[dict[str, Any]]:
        await platform.store.start()
        await platform.kv.start()
        await platform.media.start()
        await platform.geo.start()
        if platform.sms.exposes_codes:
            logger.warning("login codes are logged and returned to clients (ECHO_SMS_URL=log://)")
        if node is not None:
            await node.start()
        else:
            await platform.bus.start(None, None)
            await platform.registry.start(None)
        try:
            yield {}
        finally:
            if node is not None:
                await node.stop()
            else:
                await platform.registry.close()
                await platform.bus.close()
            await platform.likes.close()
            await platform.geo.close()
            await platform.media.close()
            await platform.kv.close()
            await platform.store.close()

    app = build_api(
        platform,
        messenger=messenger,
        api="api" in roles,
        extra_routes=extra,
        draining=lambda: node is not None and node.draining,
    )
    app.state.node = node
    app.router.lifespan_context = lifespan
    return app
