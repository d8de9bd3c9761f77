"""Media on local disk (``file:///abs/dir``), for embedded mode.

There is no storage server to hand clients a presigned URL, so this adapter
signs its own: ``/api/media/blobs/<key>?exp=...&sig=...`` (plus the allowed
size and content type for an upload), which the API serves by asking this
adapter to check the URL (``grant``) and then to write or find the bytes.
The signature is an HMAC-SHA256 over the method, key, expiry, size and
content type with a server key, compared in constant time; the expiry is
checked after the signature, so a tampered expiry reads as a bad signature.
An upload is cut off (and nothing kept) past the size it was signed for,
and an object once written is never replaced.

Objects live under ``<dir>/<last two characters of the key>/<key>``, with
their content type in a ``<key>.json`` file beside them.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import hashlib
import hmac
import json
import logging
import os
import secrets
import time
from collections.abc import AsyncIterator, Callable, Mapping
from pathlib import Path
from urllib.parse import unquote, urlencode, urlsplit

from echosphere.core.errors import Conflict, Forbidden, TooLarge
from echosphere.core.media import LOCAL_BLOB_PATH, is_media_key
from echosphere.core.ports import BlobGrant, Presigned, StoredObject

logger = logging.getLogger(__name__)

DEFAULT_TYPE = "application/octet-stream"


def _encode(digest: bytes) -> str:
    return base64.urlsafe_b64encode(digest).decode().rstrip("=")


class FileMedia:
    """The Media port on a directory; also the ``LocalBlobs`` the API serves."""

    def __init__(self, root: Path, *, secret: bytes, clock: Callable[[], float] = time.time):
        self.root = root
        self._secret = secret
        self._clock = clock

    @classmethod
    def from_url(cls, url: str, *, secret: bytes) -> FileMedia:
        """``file:///absolute/dir``."""
        parts = urlsplit(url)
        path = unquote(parts.path)
        if parts.scheme != "file" or parts.netloc or not path.startswith("/"):
            raise ValueError("a media directory URL looks like file:///absolute/dir")
        return cls(Path(path), secret=secret)

    @property
    def local(self) -> FileMedia:
        return self

    async def start(self) -> None:
        try:
            await asyncio.to_thread(self.root.mkdir, parents=True, exist_ok=True)
        except OSError as error:
            # A chat node on a read-only disk never stores media: go on, uploads will fail.
            logger.warning("media directory unusable: %s", error, extra={"path": str(self.root)})
            return
        logger.info("file media ready", extra={"path": str(self.root)})

    async def close(self) -> None:
        return None

    async def ping(self) -> None:
        if not await asyncio.to_thread(os.access, self.root, os.W_OK):
            raise OSError(f"media directory {self.root} is not writable")

    # Signed URLs.

    def _sign(self, *, method: str, key: str, expires: int, size: int, content_type: str) -> str:
        message = f"{method}\n{key}\n{expires}\n{size}\n{content_type}".encode()
        return _encode(hmac.new(self._secret, message, hashlib.sha256).digest())

    def _url(self, key: str, **fields: str | int) -> str:
        return f"{LOCAL_BLOB_PATH}/{key}?{urlencode(fields)}"

    async def presign_upload(
        self, key: str, *, content_type: str, size: int, expires_in: int
    ) -> Presigned:
        expires = int(self._clock()) + expires_in
        sig = self._sign(
            method="PUT", key=key, expires=expires, size=size, content_type=content_type
        )
        url = self._url(key, exp=expires, size=size, ct=content_type, sig=sig)
        return Presigned(url, "PUT", {"Content-Type": content_type}, expires_in)

    async def presign_download(self, key: str, *, content_type: str, expires_in: int) -> str:
        expires = int(self._clock()) + expires_in
        sig = self._sign(method="GET", key=key, expires=expires, size=0, content_type="")
        return self._url(key, exp=expires, sig=sig)

    def grant(self, *, method: str, key: str, query: Mapping[str, str], now: float) -> BlobGrant:
        expiry, size = query.get("exp", ""), query.get("size", "0") if method == "PUT" else "0"
        content_type = query.get("ct", "") if method == "PUT" else ""
        if not (is_media_key(key) and expiry.isdigit() and size.isdigit() and len(expiry) < 13):
            raise Forbidden("bad_signature", "this media URL is not valid")
        expected = self._sign(
            method=method, key=key, expires=int(expiry), size=int(size), content_type=content_type
        )
        if not hmac.compare_digest(query.get("sig", ""), expected):
            raise Forbidden("bad_signature", "this media URL is not valid")
        if int(expiry) <= now:
            raise Forbidden("url_expired", "this media URL has expired; ask for a new one")
        return BlobGrant(method=method, key=key, size=int(size), content_type=content_type)

    # Bytes.

    def path(self, key: str) -> Path | None:
        if not is_media_key(key):
            return None
        found = self._place(key)
        return found if found.is_file() else None

    def _place(self, key: str) -> Path:
        return self.root / key[-2:] / key

    def _meta(self, key: str) -> Path:
        return self.root / key[-2:] / f"{key}.json"

    async def write(self, grant: BlobGrant, chunks: AsyncIterator[bytes]) -> int:
        final = self._place(grant.key)
        if final.exists():
            raise Conflict("already_uploaded", "this object was uploaded already")
        await asyncio.to_thread(final.parent.mkdir, parents=True, exist_ok=True)
        partial = final.parent / f".{grant.key}.{secrets.token_hex(4)}.part"
        try:
            written = await self._receive(partial, chunks, limit=grant.size)
            meta = json.dumps({"content_type": grant.content_type or DEFAULT_TYPE})
            await asyncio.to_thread(self._meta(grant.key).write_text, meta)
            # link() refuses an existing target: of two racing uploads one wins, intact.
            await asyncio.to_thread(os.link, partial, final)
        except FileExistsError:
            raise Conflict("already_uploaded", "this object was uploaded already") from None
        finally:
            with contextlib.suppress(FileNotFoundError):
                await asyncio.to_thread(partial.unlink)
        logger.debug("media stored", extra={"key": grant.key, "size": written})
        return written

    async def _receive(self, partial: Path, chunks: AsyncIterator[bytes], *, limit: int) -> int:
        written = 0
        sink = await asyncio.to_thread(partial.open, "wb")
        try:
            async for chunk in chunks:
                written += len(chunk)
                if written > limit:
                    raise TooLarge("media_too_large", f"this upload is limited to {limit} bytes")
                await asyncio.to_thread(sink.write, chunk)
        finally:
            await asyncio.to_thread(sink.close)
        return written

    async def stat(self, key: str) -> StoredObject | None:
        found = self.path(key)
        if found is None:
            return None
        size = (await asyncio.to_thread(found.stat)).st_size
        try:
            meta = json.loads(await asyncio.to_thread(self._meta(key).read_text))
        except (OSError, ValueError):
            meta = {}
        return StoredObject(size=size, content_type=str(meta.get("content_type", DEFAULT_TYPE)))

    async def delete(self, key: str) -> None:
        found = self.path(key)
        if found is None:
            return
        for victim in (found, self._meta(key)):
            with contextlib.suppress(FileNotFoundError):
                await asyncio.to_thread(victim.unlink)
