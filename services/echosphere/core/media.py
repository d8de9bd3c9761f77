"""Media objects: what may be uploaded, and the keys that name uploads.

An upload is declared before its bytes exist. Kind, content type and size
are checked here against the per-kind limits, and the Store records the
object with its owner; the bytes then go straight to storage through a
presigned URL. The key decision: a key is an unguessable name that only its
owner may put anywhere (a message, a post, an avatar), and each place it is
put is recorded as a ``MediaUse``, which is what lets others download it.
Pure code: no I/O.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum

from echosphere.core.errors import EchoError, InvalidInput, TooLarge
from echosphere.core.ids import UserId, new_id

MIB = 1024 * 1024

LOCAL_BLOB_PATH = "/api/media/blobs"
"""Where the API serves the signed URLs of media it stores itself (the file adapter)."""


class MediaKind(StrEnum):
    IMAGE = "image"
    VOICE = "voice"
    VIDEO = "video"
    FILE = "file"


ALLOWED_TYPES: dict[MediaKind, frozenset[str] | None] = {
    MediaKind.IMAGE: frozenset(
        {"image/jpeg", "image/png", "image/gif", "image/webp", "image/heic", "image/avif"}
    ),
    MediaKind.VOICE: frozenset(
        {
            "audio/aac",
            "audio/amr",
            "audio/mp4",
            "audio/mpeg",
            "audio/ogg",
            "audio/opus",
            "audio/wav",
            "audio/webm",
        }
    ),
    MediaKind.VIDEO: frozenset({"video/mp4", "video/quicktime", "video/webm", "video/3gpp"}),
    MediaKind.FILE: None,
}
"""Content types accepted per kind; ``None``: any well-formed type."""

INLINE_TYPES = frozenset().union(*(t for t in ALLOWED_TYPES.values() if t is not None))
"""Types a browser may show inline; anything else is served as an attachment."""

_CONTENT_TYPE = re.compile(r"[a-z0-9][a-z0-9!#$&^_.+-]{0,63}/[a-z0-9][a-z0-9!#$&^_.+-]{0,126}")
_KEY = re.compile(r"(image|voice|video|file)\.[0-9A-HJKMNP-TV-Z]{26}")


@dataclass(frozen=True, slots=True)
class MediaObject:
    """A declared upload. ``size`` is the declared size until ``uploaded``,
    then the stored one (never more than declared)."""

    key: str
    owner: UserId
    kind: MediaKind
    content_type: str
    size: int
    created_at: float
    uploaded: bool = False


class UseScope(StrEnum):
    """Where a key was put, which decides who else may download it."""

    CONV = "conv"
    """Sent in conversation ``ref`` at ``seq``: the members who can read that message."""
    POST = "post"
    """Attached to post ``ref``: whoever may see the post."""
    AVATAR = "avatar"
    """A profile picture: every signed-in user."""
    FEED_COVER = "feed_cover"
    """The owner's feed background: the owner's friends."""
    CHAT_BACKGROUND = "chat_background"
    """The owner's chat background: the owner only."""
    BOTTLE = "bottle"
    """The content of bottle ``ref``: whoever fished it."""


@dataclass(frozen=True, slots=True)
class MediaUse:
    key: str
    scope: UseScope
    ref: str
    seq: int = 0


def new_media_key(kind: MediaKind) -> str:
    return f"{kind.value}.{new_id()}"


def is_media_key(value: str) -> bool:
    return _KEY.fullmatch(value) is not None


def kind_of_key(key: str) -> MediaKind:
    return MediaKind(key.partition(".")[0])


def normalize_content_type(value: str) -> str:
    """``Image/PNG; charset=x`` -> ``image/png``; parameters are dropped."""
    return value.partition(";")[0].strip().lower()


def check_upload(
    kind: str, content_type: str, size: int, *, limits: Mapping[MediaKind, int]
) -> tuple[MediaKind, str]:
    """Validate a declared upload; returns the kind and the normalised content type."""
    try:
        media_kind = MediaKind(kind)
    except ValueError:
        kinds = ", ".join(k.value for k in MediaKind)
        raise InvalidInput("bad_kind", f"kind must be one of {kinds}") from None
    if size <= 0:
        raise InvalidInput("bad_size", "size must be a positive number of bytes")
    largest = limits[media_kind]
    if size > largest:
        raise TooLarge(
            "media_too_large", f"{media_kind.value} uploads are at most {_human(largest)}"
        )
    normalized = normalize_content_type(content_type)
    allowed = ALLOWED_TYPES[media_kind]
    if not _CONTENT_TYPE.fullmatch(normalized) or (
        allowed is not None and normalized not in allowed
    ):
        shown = ", ".join(sorted(allowed)) if allowed else "a type/subtype"
        raise EchoError(
            "unsupported_media_type",
            f"{media_kind.value} uploads must be {shown}",
            status=415,
        )
    return media_kind, normalized


def _human(size: int) -> str:
    return f"{size / MIB:g} MiB" if size >= MIB else f"{size} bytes"
