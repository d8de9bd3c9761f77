"""Serving the browser client: the page, its files, their types and headers."""

from __future__ import annotations

import httpx
import pytest

from echosphere.api.web import content_security_policy, media_origin


async def test_root_serves_the_page_with_a_strict_policy(client: httpx.AsyncClient) -> None:
    """/ is the client's HTML page; its policy forbids inline and foreign scripts."""
    answer = await client.get("/")
    assert answer.status_code == 200
    assert answer.headers["content-type"] == "text/html; charset=utf-8"
    assert '<script type="module" src="/web/main.js">' in answer.text
    policy = answer.headers["content-security-policy"]
    assert "script-src 'self';" in policy
    assert "unsafe-inline" not in policy and "unsafe-eval" not in policy
    assert "frame-ancestors 'none'" in policy
    assert "connect-src 'self' ws://127.0.0.1:" in policy
    assert answer.headers["x-content-type-options"] == "nosniff"


@pytest.mark.parametrize(
    ("name", "content_type"),
    [
        ("main.js", "text/javascript; charset=utf-8"),
        ("app.css", "text/css; charset=utf-8"),
        ("icon.svg", "image/svg+xml"),
    ],
)
async def test_files_have_their_types(
    client: httpx.AsyncClient, name: str, content_type: str
) -> None:
    """Modules, styles and images come with the type a browser insists on."""
    answer = await client.get(f"/web/{name}")
    assert answer.status_code == 200
    assert answer.headers["content-type"] == content_type


async def test_unchanged_files_are_not_sent_again(client: httpx.AsyncClient) -> None:
    """A revalidation with the ETag gets 304 and no body."""
    first = await client.get("/web/main.js")
    assert first.headers["cache-control"] == "no-cache"
    again = await client.get("/web/main.js", headers={"If-None-Match": first.headers["etag"]})
    assert again.status_code == 304
    assert again.content == b""


@pytest.mark.parametrize("name", ["nothing.js", "..%2Fapi%2Fweb.py", ".hidden.js", "main.py"])
async def test_only_client_files_are_served(client: httpx.AsyncClient, name: str) -> None:
    """Unknown names, other types and escapes from the folder get a JSON 404."""
    answer = await client.get(f"/web/{name}")
    assert answer.status_code == 404
    assert answer.json()["error"]["code"] in ("asset_not_found", "route_not_found")


def test_media_origin_follows_the_object_store() -> None:
    """Presigned URLs of S3 point at its public address, or at its endpoint."""
    assert media_origin("file://") is None
    assert media_origin("s3://k:s@minio:9000/media?secure=false") == "http://minio:9000"
    assert media_origin("s3://k:s@s3.example.com/media") == "https://s3.example.com"
    public = "s3://k:s@minio:9000/media?public=https://media.example.com/x"
    assert media_origin(public) == "https://media.example.com"
    policy = content_security_policy("chat.example.com", "https://media.example.com")
    assert "img-src 'self' blob: data: https://media.example.com;" in policy
    assert "connect-src 'self' ws://chat.example.com wss://chat.example.com" in policy
    assert "k:s" not in policy
