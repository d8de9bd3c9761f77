"""Uploading media and sending it, the way a client does: declare, PUT, use the key."""

from __future__ import annotations

from typing import Any

import httpx

from echosphere.core.ids import direct_conv
from tests.support.accounts import Account

PNG = b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4
"""Bytes that stand for a photo (the server never decodes images)."""


def direct(a: Account, b: Account) -> str:
    return direct_conv(a.id, b.id)


async def declare(
    client: httpx.AsyncClient,
    account: Account,
    *,
    kind: str = "image",
    content_type: str = "image/png",
    size: int = len(PNG),
) -> dict[str, Any]:
    answer = await client.post(
        "/api/media/uploads",
        json={"kind": kind, "content_type": content_type, "size": size},
        headers=account.headers,
    )
    assert answer.status_code == 201, answer.text
    declared: dict[str, Any] = answer.json()
    return declared


async def upload(
    client: httpx.AsyncClient,
    account: Account,
    data: bytes = PNG,
    *,
    kind: str = "image",
    content_type: str = "image/png",
) -> str:
    """Declare and upload ``data``; returns the key."""
    declared = await declare(client, account, kind=kind, content_type=content_type, size=len(data))
    async with httpx.AsyncClient(timeout=10) as storage:
        put = await storage.request(
            declared["method"], declared["upload_url"], content=data, headers=declared["headers"]
        )
    assert put.status_code in (200, 204), put.text
    key: str = declared["key"]
    return key


async def download(client: httpx.AsyncClient, account: Account, key: str) -> httpx.Response:
    """GET /api/media/{key}, following the redirect to storage."""
    return await client.get(f"/api/media/{key}", headers=account.headers, follow_redirects=True)


async def send(
    client: httpx.AsyncClient,
    account: Account,
    conv: str,
    kind: str,
    body: dict[str, Any],
    *,
    cid: str | None = None,
) -> httpx.Response:
    return await client.post(
        f"/api/conversations/{conv}/messages",
        json={"cid": cid or f"{kind}-{id(body)}", "kind": kind, "body": body},
        headers=account.headers,
    )
