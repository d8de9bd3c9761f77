"""The Media adapters: the file adapter's signed URLs, and S3 against a real server.

The S3 adapter runs against the S3-compatible server that ``scripts/services
up`` starts on 127.0.0.1 (moto's server, standing in for MinIO, which is not
installed here); its presigned URLs are uploaded to and fetched over HTTP for
real. Without ``ECHO_TEST_S3_URL`` those tests are skipped.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator
from pathlib import Path
from urllib.parse import parse_qsl, urlsplit

import httpx
import pytest

from echosphere.backends.file_media import FileMedia
from echosphere.backends.s3_media import S3Media
from echosphere.core.errors import Conflict, EchoError, TooLarge
from echosphere.core.media import LOCAL_BLOB_PATH, MediaKind, new_media_key
from echosphere.core.ports import BlobGrant

S3_URL_VARIABLE = "ECHO_TEST_S3_URL"
NOW = 1_000_000.0


async def chunks(*parts: bytes) -> AsyncIterator[bytes]:
    for part in parts:
        yield part


@pytest.fixture
async def files(tmp_path: Path) -> FileMedia:
    media = FileMedia(tmp_path / "media", secret=b"k" * 32, clock=lambda: NOW)
    await media.start()
    return media


def query_of(url: str) -> dict[str, str]:
    return dict(parse_qsl(urlsplit(url).query))


async def upload_grant(files: FileMedia, key: str, size: int = 10) -> tuple[str, dict[str, str]]:
    presigned = await files.presign_upload(key, content_type="image/png", size=size, expires_in=60)
    assert presigned.method == "PUT"
    assert presigned.headers == {"Content-Type": "image/png"}
    assert urlsplit(presigned.url).path == f"{LOCAL_BLOB_PATH}/{key}"
    return key, query_of(presigned.url)


async def test_file_round_trip(files: FileMedia) -> None:
    """A signed upload is written, stat-ed with its type, found by path and deleted."""
    key, query = await upload_grant(files, new_media_key(MediaKind.IMAGE))
    grant = files.grant(method="PUT", key=key, query=query, now=NOW)
    assert grant == BlobGrant("PUT", key, 10, "image/png")
    assert await files.write(grant, chunks(b"01234", b"56789")) == 10
    stored = await files.stat(key)
    assert stored is not None and (stored.size, stored.content_type) == (10, "image/png")
    path = files.path(key)
    assert path is not None and path.read_bytes() == b"0123456789"

    download = query_of(await files.presign_download(key, content_type="image/png", expires_in=60))
    assert files.grant(method="GET", key=key, query=download, now=NOW).method == "GET"
    await files.delete(key)
    assert await files.stat(key) is None and files.path(key) is None


@pytest.mark.parametrize("field", ["exp", "size", "ct", "sig"])
async def test_file_tampered_urls_are_refused(files: FileMedia, field: str) -> None:
    """Changing any signed field of an upload URL makes its signature wrong."""
    key, query = await upload_grant(files, new_media_key(MediaKind.IMAGE))
    changed = {
        "exp": str(int(query["exp"]) + 3600),
        "size": "999999999",
        "ct": "text/html",
        "sig": query["sig"][:-2] + ("AA" if not query["sig"].endswith("AA") else "BB"),
    }
    with pytest.raises(EchoError) as caught:
        files.grant(method="PUT", key=key, query={**query, field: changed[field]}, now=NOW)
    assert (caught.value.status, caught.value.code) == (403, "bad_signature")


async def test_file_url_for_another_key_or_method_is_refused(files: FileMedia) -> None:
    """A signature is bound to its key and method: a download URL cannot upload."""
    key, query = await upload_grant(files, new_media_key(MediaKind.IMAGE))
    other = new_media_key(MediaKind.IMAGE)
    download = query_of(await files.presign_download(key, content_type="image/png", expires_in=60))
    for method, target, given in (
        ("PUT", other, query),
        ("PUT", key, download),
        ("GET", key, query),
    ):
        with pytest.raises(EchoError) as caught:
            files.grant(method=method, key=target, query=given, now=NOW)
        assert caught.value.code == "bad_signature"
    with pytest.raises(EchoError) as caught:
        files.grant(method="GET", key="../../etc/passwd", query=download, now=NOW)
    assert caught.value.code == "bad_signature"


async def test_file_expired_urls_are_refused(files: FileMedia) -> None:
    """At its expiry a genuine URL stops working, with its own code."""
    key, query = await upload_grant(files, new_media_key(MediaKind.IMAGE))
    files.grant(method="PUT", key=key, query=query, now=NOW + 59)
    with pytest.raises(EchoError) as caught:
        files.grant(method="PUT", key=key, query=query, now=NOW + 60)
    assert (caught.value.status, caught.value.code) == (403, "url_expired")


async def test_file_upload_bounded_by_declared_size(files: FileMedia) -> None:
    """Past the signed size the upload stops and nothing is kept."""
    key, query = await upload_grant(files, new_media_key(MediaKind.IMAGE), size=8)
    grant = files.grant(method="PUT", key=key, query=query, now=NOW)
    with pytest.raises(TooLarge):
        await files.write(grant, chunks(b"0123", b"4567", b"8"))
    assert await files.stat(key) is None
    assert [p for p in files.root.rglob("*") if p.is_file()] == []


async def test_file_object_is_never_replaced(files: FileMedia) -> None:
    """A second upload to the same key is refused and the first bytes stay."""
    key, query = await upload_grant(files, new_media_key(MediaKind.IMAGE))
    grant = files.grant(method="PUT", key=key, query=query, now=NOW)
    await files.write(grant, chunks(b"first"))
    with pytest.raises(Conflict):
        await files.write(grant, chunks(b"second"))
    path = files.path(key)
    assert path is not None and path.read_bytes() == b"first"


def test_file_url_must_be_absolute() -> None:
    """file:///abs/dir only."""
    assert FileMedia.from_url("file:///srv/media", secret=b"x").root == Path("/srv/media")
    for bad in ("file://relative/dir", "file:", "s3://x/y"):
        with pytest.raises(ValueError, match="file:///"):
            FileMedia.from_url(bad, secret=b"x")


# S3, against a real S3-compatible server.


@pytest.fixture
async def s3() -> AsyncIterator[S3Media]:
    url = os.environ.get(S3_URL_VARIABLE)
    if not url:
        pytest.skip(f"{S3_URL_VARIABLE} not set; run scripts/services up")
    parts = urlsplit(url)
    bucket = f"echo-test-{uuid.uuid4().hex[:12]}"
    media = S3Media.from_url(parts._replace(path=f"/{bucket}").geturl())
    await media.start()
    await media.start()  # creating the bucket again is harmless
    yield media
    await media.close()


async def test_s3_presigned_round_trip(s3: S3Media) -> None:
    """Bytes PUT to the presigned upload URL come back from the presigned download URL."""
    key = new_media_key(MediaKind.IMAGE)
    assert await s3.stat(key) is None
    presigned = await s3.presign_upload(key, content_type="image/png", size=11, expires_in=60)
    assert presigned.url.startswith("http://127.0.0.1:") and "X-Amz-Signature" in presigned.url
    async with httpx.AsyncClient(timeout=10) as http:
        put = await http.put(presigned.url, content=b"hello bytes", headers=presigned.headers)
        assert put.status_code == 200, put.text
        stored = await s3.stat(key)
        assert stored is not None and (stored.size, stored.content_type) == (11, "image/png")

        url = await s3.presign_download(key, content_type="image/png", expires_in=60)
        got = await http.get(url)
        assert got.status_code == 200
        assert got.content == b"hello bytes"
        assert got.headers["content-type"] == "image/png"
    await s3.delete(key)
    assert await s3.stat(key) is None


async def test_s3_download_url_is_signed_for_its_key(s3: S3Media) -> None:
    """A download URL names its key, its lifetime and the content type to answer with.

    (The stand-in server does not enforce signatures, so refusals are not tested here.)
    """
    key = new_media_key(MediaKind.FILE)
    url = await s3.presign_download(key, content_type="application/pdf", expires_in=60)
    query = dict(parse_qsl(urlsplit(url).query))
    assert urlsplit(url).path.endswith(f"/{key}")
    assert query["X-Amz-Expires"] == "60"
    assert query["response-content-type"] == "application/pdf"
    assert query["response-content-disposition"] == "attachment"
    assert query["X-Amz-Signature"]
    image = await s3.presign_download(key, content_type="image/png", expires_in=60)
    assert "response-content-disposition" not in image


def test_s3_url_forms() -> None:
    """Credentials, endpoint, bucket and options come from the URL; a bucket is required."""
    media = S3Media.from_url("s3://ak:sk@minio:9000/chat?secure=false&region=eu-west-1")
    assert (media.bucket, media.region) == ("chat", "eu-west-1")
    for bad in ("s3://ak:sk@minio:9000", "s3://ak:sk@minio:9000/a/b", "http://minio/x"):
        with pytest.raises(ValueError, match="S3 URL"):
            S3Media.from_url(bad)
