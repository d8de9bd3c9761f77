"""Media on MinIO or any S3 server
(``s3://access:secret@host:port/bucket?secure=false&region=us-east-1``).

Clients upload and download straight to and from the server through
presigned PUT and GET URLs; this process only signs them and looks at what
was stored. The minio client is synchronous, so every call runs in a worker
thread. With ``region`` given, signing needs no request to the server.

When clients reach the server under another name than this process does
(an ingress in front of MinIO), ``public=https://media.example.com`` signs
the URLs for that address instead. The bucket is created at start if it is
missing. A presigned PUT cannot bound the size nor fix the content type;
the API checks both against the declaration when the key is first used.
Types a browser could run are answered as attachments.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Iterator
from datetime import timedelta
from urllib.parse import parse_qs, unquote, urlsplit

import urllib3
from minio import Minio
from minio.error import S3Error

from echosphere.core.errors import Unavailable
from echosphere.core.media import INLINE_TYPES
from echosphere.core.ports import Presigned, StoredObject

logger = logging.getLogger(__name__)

DEFAULT_REGION = "us-east-1"
_MISSING = frozenset({"NoSuchKey", "NoSuchObject", "NotFound", "ResourceNotFound"})


def _http() -> urllib3.PoolManager:
    # Fail within seconds rather than minio's default of long retries.
    return urllib3.PoolManager(
        timeout=urllib3.Timeout(connect=3.0, read=30.0),
        retries=urllib3.Retry(total=2, backoff_factor=0.2, status_forcelist=(502, 503, 504)),
    )


@contextlib.contextmanager
def _reachable() -> Iterator[None]:
    try:
        yield
    except (urllib3.exceptions.HTTPError, OSError) as exc:
        raise Unavailable("media_unavailable", "the media storage is unreachable") from exc


class S3Media:
    """The Media port on one bucket of an S3-compatible server."""

    def __init__(self, client: Minio, *, bucket: str, region: str, signer: Minio | None = None):
        self.bucket = bucket
        self.region = region
        self._client = client
        self._signer = signer or client

    @classmethod
    def from_url(cls, url: str) -> S3Media:
        parts = urlsplit(url)
        bucket = parts.path.strip("/")
        if parts.scheme != "s3" or not parts.hostname or not bucket or "/" in bucket:
            raise ValueError(
                "an S3 URL looks like s3://access:secret@host:port/bucket?secure=false&region=..."
            )
        query = {name: values[-1] for name, values in parse_qs(parts.query).items()}
        region = query.get("region", DEFAULT_REGION)
        access, secret = unquote(parts.username or ""), unquote(parts.password or "")
        secure = query.get("secure", "true").lower() != "false"
        endpoint = parts.netloc.rpartition("@")[2]
        client = Minio(
            endpoint,
            access_key=access,
            secret_key=secret,
            secure=secure,
            region=region,
            http_client=_http(),
        )
        signer = None
        if "public" in query:
            public = urlsplit(query["public"])
            signer = Minio(
                public.netloc,
                access_key=access,
                secret_key=secret,
                secure=public.scheme == "https",
                region=region,
            )
        return cls(client, bucket=bucket, region=region, signer=signer)

    @property
    def local(self) -> None:
        return None

    async def start(self) -> None:
        with _reachable():
            if not await asyncio.to_thread(self._client.bucket_exists, self.bucket):
                try:
                    await asyncio.to_thread(self._client.make_bucket, self.bucket, self.region)
                except S3Error as exc:
                    if exc.code not in ("BucketAlreadyOwnedByYou", "BucketAlreadyExists"):
                        raise
        logger.info("s3 media ready", extra={"bucket": self.bucket})

    async def close(self) -> None:
        return None

    async def ping(self) -> None:
        with _reachable():
            await asyncio.to_thread(self._client.bucket_exists, self.bucket)

    async def presign_upload(
        self, key: str, *, content_type: str, size: int, expires_in: int
    ) -> Presigned:
        url = await asyncio.to_thread(
            self._signer.presigned_put_object,
            self.bucket,
            key,
            timedelta(seconds=expires_in),
        )
        return Presigned(url, "PUT", {"Content-Type": content_type}, expires_in)

    async def presign_download(self, key: str, *, content_type: str, expires_in: int) -> str:
        answer: dict[str, str | list[str] | tuple[str]] = {"response-content-type": content_type}
        if content_type not in INLINE_TYPES:
            answer["response-content-disposition"] = "attachment"
        return await asyncio.to_thread(
            self._signer.presigned_get_object,
            self.bucket,
            key,
            timedelta(seconds=expires_in),
            answer,
        )

    async def stat(self, key: str) -> StoredObject | None:
        try:
            with _reachable():
                found = await asyncio.to_thread(self._client.stat_object, self.bucket, key)
        except S3Error as exc:
            if exc.code in _MISSING:
                return None
            raise
        return StoredObject(
            size=int(found.size or 0),
            content_type=(found.content_type or "application/octet-stream").lower(),
        )

    async def delete(self, key: str) -> None:
        with _reachable():
            await asyncio.to_thread(self._client.remove_object, self.bucket, key)
