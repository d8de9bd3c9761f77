"""OpenSearch: create the geo index of drifting bottles, or delete it.

The URL is the one the services read, ``opensearch://[user:password@]
host:port[/index][?tls=true&verify=false]``; the index defaults to
``echosphere-bottles``. The index is created with exactly the settings and
strict mapping the services' geo adapter creates it with (a test compares
the two), so whichever comes first, the other finds what it expects.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

from opensearchpy import AsyncOpenSearch
from opensearchpy.exceptions import (
    AuthenticationException,
    AuthorizationException,
    ConnectionError,
    ConnectionTimeout,
    RequestError,
    TransportError,
)

from echosphere_operator.wiring import WiringError

DEFAULT_INDEX = "echosphere-bottles"


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


@dataclass(frozen=True, slots=True)
class SearchLocation:
    host: str
    port: int
    user: str | None
    password: str | None
    secure: bool
    verify: bool
    index: str


def parse_url(url: str) -> SearchLocation:
    parts = urlsplit(url)
    if parts.scheme not in ("opensearch", "http", "https") or not parts.hostname:
        raise WiringError(
            "BadSecret", "search URL must look like opensearch://user:pass@host:9200/index"
        )
    query = {k: v[-1] for k, v in parse_qs(parts.query).items()}
    secure = parts.scheme == "https" or query.get("tls", "false").lower() == "true"
    return SearchLocation(
        host=parts.hostname,
        port=parts.port or 9200,
        user=unquote(parts.username) if parts.username else None,
        password=unquote(parts.password) if parts.password else None,
        secure=secure,
        verify=query.get("verify", "true").lower() != "false",
        index=unquote(parts.path.strip("/")) or DEFAULT_INDEX,
    )


def _client(where: SearchLocation, timeout: float) -> AsyncOpenSearch:
    auth = (where.user, where.password or "") if where.user else None
    return AsyncOpenSearch(
        hosts=[{"host": where.host, "port": where.port}],
        http_auth=auth,
        use_ssl=where.secure,
        verify_certs=where.verify,
        ssl_show_warn=False,
        timeout=timeout,
        max_retries=0,
    )


async def _run(url: str, within: float, *, create: bool) -> str:
    where = parse_url(url)
    index = where.index
    client = _client(where, within)
    try:
        exists = await asyncio.wait_for(client.indices.exists(index=index), within)
        if create and not exists:
            await client.indices.create(index=index, body=index_body())
        elif not create and exists:
            await client.indices.delete(index=index)
    except RequestError as error:
        if error.error != "resource_already_exists_exception":
            raise WiringError(
                "Refused", f"OpenSearch refused index {index!r}: {error.error}"
            ) from None
    except (AuthenticationException, AuthorizationException) as error:
        raise WiringError(
            "Refused", f"OpenSearch refused the credentials: {error.status_code}"
        ) from None
    except (ConnectionError, ConnectionTimeout, TimeoutError, OSError) as error:
        raise WiringError("Unreachable", f"OpenSearch is unreachable: {error!r}") from None
    except TransportError as error:
        raise WiringError(
            "Refused", f"OpenSearch answered {error.status_code}: {error.error}"
        ) from None
    finally:
        await client.close()
    return index


async def create_index(url: str, *, within: float) -> str:
    """Create the index the URL names unless it exists; its name."""
    return await _run(url, within, create=True)


async def delete_index(url: str, *, within: float) -> str:
    return await _run(url, within, create=False)
