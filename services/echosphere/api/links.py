"""Group invitations as QR codes and links, and resolving any scanned link.

A member shares ``echosphere://join/<group id>?t=<token>`` (as text or as the
QR PNG); the token is signed by the server and valid for about a week, so
anyone holding it may join without being the inviter's friend. The token
for a group stays the same for a whole UTC day, so the QR does not change on
every request. ``GET /api/links/resolve`` turns any scanned link, an add-friend
or a join link, into what it points at, in one call.
"""

from __future__ import annotations

import hashlib
import hmac
from typing import Any

import msgspec
from starlette.responses import Response

from echosphere.api import views
from echosphere.api.routing import Call, Router
from echosphere.api.users import qr_png
from echosphere.chat.platform import Platform
from echosphere.core.errors import Conflict, Forbidden, NotFound
from echosphere.core.ids import GroupId, UserId, group_conv, looks_like_id
from echosphere.core.links import AddLink, check_join_token, join_link, join_token, parse_link
from echosphere.core.models import Group, User

router = Router("links")

INVITE_DAYS = 7
DAY = 86400


class JoinRequest(msgspec.Struct, forbid_unknown_fields=True):
    token: str


def _secret(platform: Platform) -> str:
    return hmac.new(platform.pepper.encode(), b"group links", hashlib.sha256).hexdigest()


def invitation(platform: Platform, group: GroupId) -> tuple[str, int]:
    """The group's join link of today and when it expires."""
    expires_at = (int(platform.clock()) // DAY + INVITE_DAYS + 1) * DAY
    return join_link(group, join_token(_secret(platform), group, expires_at=expires_at)), expires_at


async def _member_group(call: Call[Any]) -> Group:
    store = call.platform.store
    group = await store.get_group(GroupId(call.path("group_id")))
    if group is None:
        raise NotFound("group_not_found", "no such group")
    if await store.get_member(group.id, call.user) is None:
        raise Forbidden("not_member", "you are not a member of this group")
    return group


@router.route(
    "GET",
    "/api/groups/{group_id}/qr",
    summary="The group's join QR code as a PNG, for members to share",
    produces="image/png",
    errors=("group_not_found", "not_member"),
)
async def group_qr(call: Call[None]) -> Response:
    group = await _member_group(call)
    link, _ = invitation(call.platform, group.id)
    return Response(
        qr_png(link), media_type="image/png", headers={"Cache-Control": "private, max-age=300"}
    )


@router.route(
    "GET",
    "/api/groups/{group_id}/invite",
    summary="The group's join link as text, with its expiry (members)",
    errors=("group_not_found", "not_member"),
)
async def group_invite(call: Call[None]) -> dict[str, Any]:
    group = await _member_group(call)
    link, expires_at = invitation(call.platform, group.id)
    return {"link": link, "expires_at": expires_at}


@router.route(
    "POST",
    "/api/groups/{group_id}/join",
    summary="Join a group with the token of its join link (idempotent)",
    body=JoinRequest,
    errors=("group_not_found", "bad_link", "link_expired", "group_full"),
)
async def join_group(call: Call[JoinRequest]) -> dict[str, Any]:
    platform, store = call.platform, call.platform.store
    group_id = call.path("group_id")
    group = await store.get_group(GroupId(group_id)) if looks_like_id(group_id) else None
    if group is None:
        raise NotFound("group_not_found", "no such group")
    check_join_token(_secret(platform), group.id, call.body.token, now=platform.clock())
    if await store.get_member(group.id, call.user) is None:
        if await store.count_members(group.id) >= platform.settings.limits.group_max_members:
            raise Conflict("group_full", "this group is full")
        added = await store.add_members(group.id, [call.user], now=platform.clock())
        await store.join_conversation(group_conv(group.id), added)
    return views.group(group)


async def _user_by_target(call: Call[Any], target: str) -> User:
    store = call.platform.store
    user = await store.find_user_by_handle(target.lower())
    if user is None and looks_like_id(target):
        user = await store.get_user(UserId(target))
    if user is None:
        raise NotFound("user_not_found", "this link names no user")
    return user


@router.route(
    "GET",
    "/api/links/resolve",
    summary="What a scanned link points at: echosphere://add/<handle or id> gives the user, "
    "echosphere://join/<group>?t=<token> the group and whether I am in it",
    query=("url",),
    errors=("bad_link", "link_expired", "user_not_found", "group_not_found"),
)
async def resolve(call: Call[None]) -> dict[str, Any]:
    platform, store = call.platform, call.platform.store
    link = parse_link(call.query("url") or "")
    if isinstance(link, AddLink):
        user = await _user_by_target(call, link.target)
        friend = await store.get_friend(call.user, user.id)
        return {
            "kind": "user",
            "user": {**views.public_user(user), "is_friend": friend is not None},
            "self": user.id == call.user,
        }
    expires_at = check_join_token(_secret(platform), link.group, link.token, now=platform.clock())
    group = await store.get_group(link.group)
    if group is None:
        raise NotFound("group_not_found", "this group no longer exists")
    return {
        "kind": "group",
        "group": {
            "id": group.id,
            "name": group.name,
            "members": await store.count_members(group.id),
        },
        "member": await store.get_member(group.id, call.user) is not None,
        "token": link.token,
        "expires_at": expires_at,
    }
