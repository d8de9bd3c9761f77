"""The geo index on OpenSearch (``opensearch://user:pass@host:9200/index?tls=true``).

Each bottle is a document with a ``geo_point`` location, its owner, its
expiry and the time it becomes visible again. A search is one request: a
``geo_distance`` filter and range filters, the owner and the excluded ids in
``must_not``, scored by ``random_score`` with a fresh seed so one random
match comes back. The index is created at start if missing, and creating
one that another process just created counts as success.

The request bodies are built by the pure functions below, so they are
tested without a server; a real-server test runs when one is named.
"""

from __future__ import annotations

import contextlib
import logging
import secrets
from collections.abc import Iterator, Sequence
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs, unquote, urlsplit

from opensearchpy.exceptions import ConnectionError as OpenSearchConnectionError
from opensearchpy.exceptions import NotFoundError, RequestError

from echosphere.core.errors import Unavailable
from echosphere.core.ids import UserId
from echosphere.core.ports import GeoEntry

if TYPE_CHECKING:
    from opensearchpy import AsyncOpenSearch

logger = logging.getLogger(__name__)

DEFAULT_INDEX = "echosphere-bottles"
_WRITE = {"refresh": "wait_for"}
"""Writes return once searches see them: a bottle is fishable as soon as it is thrown."""


def index_body() -> dict[str, Any]:
    return {
        "settings": {"index": {"number_of_shards": 1}},
        "mappings": {
            "dynamic": "strict",
            "properties": {
                "owner": {"type": "keyword"},
                "location": {"type": "geo_point"},
                "expires_at": {"type": "double"},
                "available_at": {"type": "double"},
            },
        },
    }


def document(entry: GeoEntry) -> dict[str, Any]:
    return {
        "owner": entry.owner,
        "location": {"lat": entry.lat, "lon": entry.lon},
        "expires_at": entry.expires_at,
        "available_at": 0.0,
    }


def hide_body(until: float) -> dict[str, Any]:
    return {"doc": {"available_at": until}}


def search_body(
    *,
    lat: float,
    lon: float,
    radius_km: float,
    now: float,
    exclude_owner: str,
    exclude_ids: Sequence[str],
    seed: int,
) -> dict[str, Any]:
    """One random visible, unexpired document within the radius."""
    must_not: list[dict[str, Any]] = [{"term": {"owner": exclude_owner}}]
    if exclude_ids:
        must_not.append({"ids": {"values": list(exclude_ids)}})
    return {
        "size": 1,
        "_source": False,
        "query": {
            "function_score": {
                "query": {
                    "bool": {
                        "filter": [
                            {
                                "geo_distance": {
                                    "distance": f"{radius_km}km",
                                    "location": {"lat": lat, "lon": lon},
                                }
                            },
                            {"range": {"expires_at": {"gt": now}}},
                            {"range": {"available_at": {"lte": now}}},
                        ],
                        "must_not": must_not,
                    }
                },
                "functions": [{"random_score": {"seed": seed, "field": "_seq_no"}}],
                "boost_mode": "replace",
            }
        },
    }


def client_options(url: str) -> tuple[dict[str, Any], str]:
    """AsyncOpenSearch keyword arguments and the index name for an ``opensearch://`` URL."""
    parts = urlsplit(url)
    if parts.scheme != "opensearch" or not parts.hostname:
        raise ValueError("an OpenSearch URL looks like opensearch://user:pass@host:9200/index")
    query = {name: values[-1] for name, values in parse_qs(parts.query).items()}
    tls = query.get("tls", "false").lower() == "true"
    options: dict[str, Any] = {
        "hosts": [{"host": parts.hostname, "port": parts.port or 9200}],
        "use_ssl": tls,
        "verify_certs": tls and query.get("verify", "true").lower() != "false",
        "ssl_show_warn": False,
    }
    if parts.username:
        options["http_auth"] = (unquote(parts.username), unquote(parts.password or ""))
    return options, unquote(parts.path.strip("/")) or DEFAULT_INDEX


@contextlib.contextmanager
def _reachable() -> Iterator[None]:
    try:
        yield
    except OpenSearchConnectionError as exc:
        raise Unavailable("geo_unavailable", "the search service is unreachable") from exc


class OpenSearchGeoIndex:
    """The GeoIndex port on an OpenSearch index."""

    def __init__(self, client: AsyncOpenSearch, *, index: str = DEFAULT_INDEX):
        self.index = index
        self._client = client

    @classmethod
    def from_url(cls, url: str) -> OpenSearchGeoIndex:
        options, index = client_options(url)
        try:
            # The async client needs aiohttp, which only this adapter uses.
            from opensearchpy import AsyncOpenSearch
        except ImportError:
            raise ValueError("the OpenSearch client needs aiohttp (opensearch-py[async])") from None
        return cls(AsyncOpenSearch(**options), index=index)

    async def start(self) -> None:
        with _reachable():
            if not await self._client.indices.exists(index=self.index):
                try:
                    await self._client.indices.create(index=self.index, body=index_body())
                except RequestError as exc:
                    if exc.error != "resource_already_exists_exception":
                        raise
        logger.info("opensearch geo index ready", extra={"index": self.index})

    async def close(self) -> None:
        await self._client.close()

    async def add(self, entry: GeoEntry) -> None:
        with _reachable():
            await self._client.index(
                index=self.index, id=entry.id, body=document(entry), params=_WRITE
            )

    async def remove(self, entry_id: str) -> None:
        with _reachable(), contextlib.suppress(NotFoundError):
            await self._client.delete(index=self.index, id=entry_id, params=_WRITE)

    async def hide(self, entry_id: str, *, until: float) -> None:
        with _reachable(), contextlib.suppress(NotFoundError):
            await self._client.update(
                index=self.index, id=entry_id, body=hide_body(until), params=_WRITE
            )

    async def random_within(
        self,
        *,
        lat: float,
        lon: float,
        radius_km: float,
        now: float,
        exclude_owner: UserId,
        exclude_ids: Sequence[str],
    ) -> str | None:
        body = search_body(
            lat=lat,
            lon=lon,
            radius_km=radius_km,
            now=now,
            exclude_owner=exclude_owner,
            exclude_ids=exclude_ids,
            seed=secrets.randbelow(2**31),
        )
        with _reachable():
            answer = await self._client.search(index=self.index, body=body)
        hits = answer["hits"]["hits"]
        return str(hits[0]["_id"]) if hits else None
