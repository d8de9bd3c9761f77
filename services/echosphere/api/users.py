"""Profiles: my own, other people's, look-up by handle or phone, my QR code."""

from __future__ import annotations

import io
import re
from typing import Any

import msgspec
import qrcode
from qrcode.image.pure import PyPNGImage
from starlette.responses import Response

from echosphere.api import views
from echosphere.api.routing import Call, Router
from echosphere.chat.media import MediaLibrary
from echosphere.chat.platform import Platform
from echosphere.core.errors import Conflict, InvalidInput, NotFound
from echosphere.core.ids import UserId
from echosphere.core.media import MediaKind, UseScope
from echosphere.core.models import User
from echosphere.core.phone import normalize_phone

router = Router("users")

HANDLE = re.compile(r"[a-z0-9_]{3,20}")
GENDERS = ("male", "female", "other", "unspecified")


class ProfileChange(msgspec.Struct, forbid_unknown_fields=True):
    nickname: str | None = None
    avatar: str | None = None
    bio: str | None = None
    gender: str | None = None
    region: str | None = None
    handle: str | None = None
    discoverable_by_phone: bool | None = None
    feed_cover: str | None = None
    chat_background: str | None = None


PICTURES = {
    "avatar": UseScope.AVATAR,
    "feed_cover": UseScope.FEED_COVER,
    "chat_background": UseScope.CHAT_BACKGROUND,
}
"""Profile fields holding the key of an image I uploaded ("" clears them)."""


async def get_user_or_404(platform: Platform, user_id: str) -> User:
    user = await platform.store.get_user(UserId(user_id))
    if user is None:
        raise NotFound("user_not_found", "no such user")
    return user


@router.route("GET", "/api/me", summary="My profile")
async def me(call: Call[None]) -> dict[str, Any]:
    return views.own_user(await get_user_or_404(call.platform, call.user))


def _checked_changes(change: ProfileChange) -> dict[str, Any]:
    changes = {k: v for k, v in msgspec.structs.asdict(change).items() if v is not None}
    limits = {"nickname": 40, "bio": 280, "region": 64}
    for name, longest in limits.items():
        if name in changes and len(changes[name]) > longest:
            raise InvalidInput("too_long", f"{name} is longer than {longest} characters")
    if "gender" in changes and changes["gender"] not in GENDERS:
        raise InvalidInput("bad_gender", f"gender must be one of {', '.join(GENDERS)}")
    return changes


async def _claim_pictures(call: Call[Any], changes: dict[str, Any]) -> None:
    """Pictures must be my own uploaded images; each is recorded where it is shown."""
    library = MediaLibrary(call.platform)
    for name, scope in PICTURES.items():
        key = changes.get(name)
        if key == "":
            changes[name] = None
        elif key is not None:
            await library.claim(call.user, key, {MediaKind.IMAGE})
            await library.record(key, scope, call.user)


@router.route(
    "PATCH",
    "/api/me",
    summary="Change my profile (avatar, feed_cover, chat_background: keys of my images)",
    body=ProfileChange,
    errors=(
        "bad_handle",
        "handle_taken",
        "handle_change_too_soon",
        "too_long",
        "bad_media_key",
        "media_not_yours",
        "media_kind",
        "media_not_uploaded",
    ),
)
async def update_me(call: Call[ProfileChange]) -> dict[str, Any]:
    platform = call.platform
    user = await get_user_or_404(platform, call.user)
    changes = _checked_changes(call.body)
    await _claim_pictures(call, changes)
    handle = changes.pop("handle", None)
    if handle is not None and handle.lower() != user.handle:
        handle = handle.lower()
        if not HANDLE.fullmatch(handle):
            raise InvalidInput("bad_handle", "a handle is 3-20 of a-z, 0-9 and _")
        now = platform.clock()
        window = platform.settings.handle_change_days * 86400
        if (
            user.handle is not None
            and user.handle_changed_at
            and now - user.handle_changed_at < (window)
        ):
            raise Conflict(
                "handle_change_too_soon",
                f"a handle can change once every {platform.settings.handle_change_days} days",
            )
        changes.update(handle=handle, handle_changed_at=now)
    if not changes:
        return views.own_user(user)
    return views.own_user(await platform.store.update_user(user.id, changes))


@router.route("GET", "/api/users/{user_id}", summary="A user's profile", errors=("user_not_found",))
async def get_user(call: Call[None]) -> dict[str, Any]:
    user = await get_user_or_404(call.platform, call.path("user_id"))
    friend = await call.platform.store.get_friend(call.user, user.id)
    return {
        **views.public_user(user),
        "is_friend": friend is not None,
        "remark": friend.remark if friend else "",
        "feed_cover": user.feed_cover if friend or user.id == call.user else None,
    }


@router.route(
    "GET",
    "/api/users",
    summary="Find a user by exact handle or phone",
    query=("handle", "phone"),
    errors=("user_not_found", "bad_phone", "bad_query"),
)
async def find_user(call: Call[None]) -> dict[str, Any]:
    store = call.platform.store
    handle, phone = call.query("handle"), call.query("phone")
    if (handle is None) == (phone is None):
        raise InvalidInput("bad_query", "give exactly one of handle or phone", status=400)
    if handle is not None:
        user = await store.find_user_by_handle(handle.lower().lstrip("@"))
    else:
        user = await store.find_user_by_phone(normalize_phone(phone or ""))
        if user is not None and not user.discoverable_by_phone and user.id != call.user:
            user = None
    if user is None:
        raise NotFound("user_not_found", "no user matches")
    return views.public_user(user)


def add_friend_link(user: User) -> str:
    return f"echosphere://add/{user.handle or user.id}"


def qr_png(text: str) -> bytes:
    image = qrcode.make(text, image_factory=PyPNGImage, box_size=8, border=2)
    buffer = io.BytesIO()
    image.save(buffer)
    return buffer.getvalue()


@router.route(
    "GET",
    "/api/me/qr",
    summary="My add-friend QR code",
    produces="image/png",
)
async def my_qr(call: Call[None]) -> Response:
    user = await get_user_or_404(call.platform, call.user)
    return Response(
        qr_png(add_friend_link(user)),
        media_type="image/png",
        headers={"Cache-Control": "private, max-age=300"},
    )
