"""Uploads and who may download them.

An upload is declared first (kind, content type, size, checked against the
limits) and recorded in the Store with its owner; the client then sends the
bytes straight to storage through a presigned URL. Using a key anywhere
(a message, a post, an avatar, a bottle) *claims* it: the key must be the
caller's own, of a fitting kind, and in storage; the first claim also checks
what was stored against what was declared, which is where an S3 upload that
ignored its declared size or type is caught and thrown away. Each use is
recorded, and the uses are what decide who else may download the object.
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Collection, Mapping
from typing import Any

from echosphere.chat import access
from echosphere.chat.platform import Platform
from echosphere.config import Limits
from echosphere.core.errors import Conflict, EchoError, Forbidden, InvalidInput, NotFound, TooLarge
from echosphere.core.ids import ConvId, UserId
from echosphere.core.media import (
    MediaKind,
    MediaObject,
    MediaUse,
    UseScope,
    check_upload,
    is_media_key,
    new_media_key,
    normalize_content_type,
)
from echosphere.core.models import MessageKind
from echosphere.core.ports import Presigned

logger = logging.getLogger(__name__)

UPLOAD_URL_TTL = 15 * 60
"""Seconds an upload URL stays valid: long enough for a slow phone, short
enough that a leaked URL cannot replace the object much later."""
DOWNLOAD_URL_TTL = 5 * 60
"""Seconds a download URL stays valid; clients ask again for a fresh one."""

MESSAGE_MEDIA: dict[MessageKind, frozenset[MediaKind]] = {
    MessageKind.IMAGE: frozenset({MediaKind.IMAGE}),
    MessageKind.VOICE: frozenset({MediaKind.VOICE}),
    MessageKind.VIDEO: frozenset({MediaKind.VIDEO}),
    MessageKind.FILE: frozenset(MediaKind),
}
"""Which uploads each media message kind may carry (a file may carry any)."""


def size_limits(limits: Limits) -> dict[MediaKind, int]:
    return {
        MediaKind.IMAGE: limits.max_image_bytes,
        MediaKind.VOICE: limits.max_voice_bytes,
        MediaKind.VIDEO: limits.max_video_bytes,
        MediaKind.FILE: limits.max_file_bytes,
    }


class MediaLibrary:
    def __init__(self, platform: Platform):
        self._platform = platform
        self._store = platform.store
        self._media = platform.media

    async def declare(
        self, owner: UserId, *, kind: str, content_type: str, size: int
    ) -> tuple[MediaObject, Presigned]:
        """Record a new upload and sign the URL its bytes go to."""
        limits = size_limits(self._platform.settings.limits)
        media_kind, normalized = check_upload(kind, content_type, size, limits=limits)
        media = MediaObject(
            key=new_media_key(media_kind),
            owner=owner,
            kind=media_kind,
            content_type=normalized,
            size=size,
            created_at=self._platform.clock(),
        )
        await self._store.create_media(media)
        presigned = await self._media.presign_upload(
            media.key, content_type=normalized, size=size, expires_in=UPLOAD_URL_TTL
        )
        return media, presigned

    async def claim(self, owner: UserId, key: str, kinds: Collection[MediaKind]) -> MediaObject:
        """The caller's own uploaded object under ``key``, of one of ``kinds``."""
        if not isinstance(key, str) or not is_media_key(key):
            raise InvalidInput("bad_media_key", "that is not a media key")
        media = await self._store.get_media(key)
        if media is None or media.owner != owner:
            raise Forbidden("media_not_yours", "you can only use media you uploaded")
        if media.kind not in kinds:
            shown = ", ".join(sorted(k.value for k in kinds))
            raise InvalidInput("media_kind", f"this needs an upload of kind {shown}")
        if not media.uploaded:
            media = await self._confirm(media)
        return media

    async def _confirm(self, media: MediaObject) -> MediaObject:
        stored = await self._media.stat(media.key)
        if stored is None:
            raise Conflict("media_not_uploaded", "upload the bytes to the upload_url first")
        if stored.size > media.size:
            await self._media.delete(media.key)
            logger.warning("upload larger than declared discarded", extra={"key": media.key})
            raise TooLarge("media_too_large", "the upload was larger than declared; upload again")
        if normalize_content_type(stored.content_type) != media.content_type:
            await self._media.delete(media.key)
            raise EchoError(
                "unsupported_media_type",
                f"the upload was not {media.content_type} as declared; upload again",
                status=415,
            )
        await self._store.mark_uploaded(media.key, size=stored.size)
        return dataclasses.replace(media, size=stored.size, uploaded=True)

    async def claim_message(
        self, user: UserId, kind: MessageKind, body: Mapping[str, Any]
    ) -> str | None:
        """For a media message, claim its key and return it; None for other kinds."""
        kinds = MESSAGE_MEDIA.get(kind)
        if kinds is None:
            return None
        key = body["key"]
        await self.claim(user, key, kinds)
        return str(key)

    async def record(self, key: str, scope: UseScope, ref: str, seq: int = 0) -> None:
        await self._store.add_media_use(MediaUse(key=key, scope=scope, ref=ref, seq=seq))

    async def visible(self, viewer: UserId, key: str) -> MediaObject:
        """The object if ``viewer`` may download it; ``NotFound``/``Forbidden`` otherwise."""
        media = await self._store.get_media(key) if is_media_key(key) else None
        if media is None or (not media.uploaded and media.owner != viewer):
            raise NotFound("media_not_found", "no such media")
        if media.owner == viewer:
            return media
        for use in await self._store.media_uses(key):
            if await self._lets_see(viewer, media.owner, use):
                return media
        raise Forbidden("forbidden", "you may not see this media")

    async def download_url(self, media: MediaObject) -> str:
        return await self._media.presign_download(
            media.key, content_type=media.content_type, expires_in=DOWNLOAD_URL_TTL
        )

    async def _lets_see(self, viewer: UserId, owner: UserId, use: MediaUse) -> bool:
        store = self._store
        if use.scope is UseScope.AVATAR:
            return True
        if use.scope is UseScope.FEED_COVER:
            return await may_see_posts_of(self._platform, viewer, owner)
        if use.scope is UseScope.POST:
            post = await store.get_post(use.ref)
            return post is not None and await may_see_posts_of(self._platform, viewer, post.author)
        if use.scope is UseScope.BOTTLE:
            return await store.has_picked(use.ref, viewer)
        if use.scope is UseScope.CONV:
            return await self._sees_message(viewer, ConvId(use.ref), use.seq)
        return False

    async def _sees_message(self, viewer: UserId, conv: ConvId, seq: int) -> bool:
        try:
            audience = await access.readable(self._store, conv, viewer)
        except EchoError:
            return False
        joined = (await self._store.conversations_of(viewer)).get(audience.ref.conv, 0)
        message = await self._store.get_message(audience.ref.conv, seq)
        return seq > joined and message is not None and not message.recalled


async def may_see_posts_of(platform: Platform, viewer: UserId, author: UserId) -> bool:
    """The author themself, or a friend the author has not blocked."""
    if viewer == author:
        return True
    store = platform.store
    if await store.get_friend(viewer, author) is None:
        return False
    return not await store.is_blocked(author, viewer)
