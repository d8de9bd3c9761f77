"""Object storage (S3 or MinIO): create the media buckets, or delete them.

The URL is the one the services read, ``s3://<key>:<secret>@<host:port>/
<bucket>?secure=false&region=...``: the operator creates the bucket it names
plus any listed in ``spec.objectStorage.buckets``. minio's client blocks, so
it runs in a worker thread, with a short timeout and one retry, so an
unreachable server answers in seconds rather than after urllib3's backoff.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable
from dataclasses import dataclass
from urllib.parse import parse_qs, unquote, urlsplit

import urllib3
from minio import Minio
from minio.deleteobjects import DeleteObject
from minio.error import S3Error

from echosphere_operator.wiring import WiringError


@dataclass(frozen=True, slots=True)
class S3Location:
    endpoint: str
    access_key: str
    secret_key: str
    bucket: str | None
    secure: bool
    region: str | None


def parse_url(url: str) -> S3Location:
    parts = urlsplit(url)
    if parts.scheme not in ("s3", "minio") or not parts.hostname:
        raise WiringError(
            "BadSecret", "object storage URL must look like s3://key:secret@host/bucket"
        )
    query = {k: v[0] for k, v in parse_qs(parts.query).items()}
    bucket = parts.path.strip("/").split("/", 1)[0] or None
    return S3Location(
        endpoint=parts.netloc.rpartition("@")[2],
        access_key=unquote(parts.username or ""),
        secret_key=unquote(parts.password or ""),
        bucket=bucket,
        secure=query.get("secure", "true").lower() not in ("false", "0", "no"),
        region=query.get("region"),
    )


def _client(where: S3Location, timeout: float) -> Minio:
    http = urllib3.PoolManager(
        timeout=urllib3.Timeout(connect=timeout, read=timeout),
        retries=urllib3.Retry(total=1, backoff_factor=0.2),
    )
    return Minio(
        where.endpoint,
        access_key=where.access_key or None,
        secret_key=where.secret_key or None,
        secure=where.secure,
        region=where.region,
        http_client=http,
    )


def buckets_for(url: str, extra: Iterable[str]) -> list[str]:
    named = parse_url(url).bucket
    return sorted({*extra, *([named] if named else [])})


def _ensure(where: S3Location, buckets: list[str], timeout: float) -> None:
    client = _client(where, timeout)
    for bucket in buckets:
        if not client.bucket_exists(bucket):
            try:
                client.make_bucket(bucket, location=where.region)
            except S3Error as error:
                if error.code not in ("BucketAlreadyOwnedByYou", "BucketAlreadyExists"):
                    raise


def _remove(where: S3Location, buckets: list[str], timeout: float) -> None:
    client = _client(where, timeout)
    for bucket in buckets:
        if not client.bucket_exists(bucket):
            continue
        doomed = (
            DeleteObject(item.object_name)
            for item in client.list_objects(bucket, recursive=True)
            if item.object_name is not None
        )
        for failure in client.remove_objects(bucket, doomed):
            raise WiringError("Refused", f"could not empty bucket {bucket!r}: {failure}")
        client.remove_bucket(bucket)


async def _run(function: object, url: str, buckets: list[str], within: float) -> None:
    where = parse_url(url)
    try:
        await asyncio.to_thread(function, where, buckets, within)  # type: ignore[arg-type]
    except S3Error as error:
        raise WiringError(
            "Refused", f"object storage refused: {error.code}: {error.message}"
        ) from None
    except (urllib3.exceptions.HTTPError, OSError, ValueError) as error:
        raise WiringError("Unreachable", f"object storage is unreachable: {error!r}") from None


async def create_buckets(url: str, extra: Iterable[str], *, within: float) -> list[str]:
    buckets = buckets_for(url, extra)
    await _run(_ensure, url, buckets, within)
    return buckets


async def delete_buckets(url: str, extra: Iterable[str], *, within: float) -> list[str]:
    buckets = buckets_for(url, extra)
    await _run(_remove, url, buckets, within)
    return buckets
