"""The whole media flow with S3 storage: clients upload to and download from the
S3-compatible server that ``scripts/services up`` starts (moto's, standing in
for MinIO), through presigned URLs, over HTTP. Skipped without ``ECHO_TEST_S3_URL``.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator
from pathlib import Path
from urllib.parse import urlsplit

import httpx
import pytest

from tests.support.accounts import befriend, login
from tests.support.checks import expect_error
from tests.support.media import PNG, declare, direct, download, send, upload
from tests.support.server import embedded_settings, serve


@pytest.fixture
async def s3_client(tmp_path: Path) -> AsyncIterator[httpx.AsyncClient]:
    url = os.environ.get("ECHO_TEST_S3_URL")
    if not url:
        pytest.skip("ECHO_TEST_S3_URL not set; run scripts/services up")
    bucket = f"echo-api-{uuid.uuid4().hex[:12]}"
    media_url = urlsplit(url)._replace(path=f"/{bucket}").geturl()
    settings = embedded_settings(tmp_path / "data", media_url=media_url)
    async with serve(settings) as running, httpx.AsyncClient(base_url=running.url) as http:
        yield http


async def test_photo_through_s3(s3_client: httpx.AsyncClient) -> None:
    """Upload to the presigned PUT, send in chat; the friend's download is redirected to
    S3 and gets the same bytes; a stranger gets 403."""
    client = s3_client
    ada, bob, eve = await login(client), await login(client), await login(client)
    await befriend(client, ada, bob)
    declared = await declare(client, ada)
    storage = urlsplit(declared["upload_url"])
    assert storage.netloc != urlsplit(str(client.base_url)).netloc
    assert "X-Amz-Signature" in storage.query

    key = await upload(client, ada)
    assert (await send(client, ada, direct(ada, bob), "image", {"key": key})).status_code == 201
    redirect = await client.get(f"/api/media/{key}", headers=bob.headers)
    assert redirect.status_code == 302
    assert urlsplit(redirect.headers["location"]).netloc == storage.netloc
    got = await download(client, bob, key)
    assert got.status_code == 200 and got.content == PNG
    expect_error(await download(client, eve, key), 403, "forbidden")


async def test_s3_upload_larger_than_declared_is_refused_at_use(
    s3_client: httpx.AsyncClient,
) -> None:
    """A presigned PUT cannot bound the size: the first use of the key finds it too
    large, refuses it with 413 and deletes the object."""
    client = s3_client
    ada, bob = await login(client), await login(client)
    await befriend(client, ada, bob)
    declared = await declare(client, ada, size=10)
    async with httpx.AsyncClient(timeout=10) as storage:
        put = await storage.put(declared["upload_url"], content=PNG, headers=declared["headers"])
    assert put.status_code == 200
    sent = await send(client, ada, direct(ada, bob), "image", {"key": declared["key"]})
    expect_error(sent, 413, "media_too_large")
    again = await send(client, ada, direct(ada, bob), "image", {"key": declared["key"]})
    expect_error(again, 409, "media_not_uploaded")


async def test_s3_upload_of_another_type_is_refused_at_use(s3_client: httpx.AsyncClient) -> None:
    """An object stored with another content type than declared is refused with 415."""
    client = s3_client
    ada = await login(client)
    declared = await declare(client, ada, size=4)
    async with httpx.AsyncClient(timeout=10) as storage:
        put = await storage.put(
            declared["upload_url"], content=b"<b/>", headers={"Content-Type": "text/html"}
        )
    assert put.status_code == 200
    used = await client.patch("/api/me", json={"avatar": declared["key"]}, headers=ada.headers)
    expect_error(used, 415, "unsupported_media_type")
