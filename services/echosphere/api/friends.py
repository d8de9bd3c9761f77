"""Friend requests, friendships with remarks, and the block list.

A blocked user cannot send a request to the one who blocked them, nor
message them. Sending a request to someone whose request to you is pending
accepts theirs: both sides want the same thing.
"""

from __future__ import annotations

from typing import Any

import msgspec

from echosphere.api import views
from echosphere.api.routing import Call, Router
from echosphere.api.users import get_user_or_404
from echosphere.core.errors import Conflict, Forbidden, InvalidInput, NotFound
from echosphere.core.ids import UserId, new_id
from echosphere.core.models import FriendRequest, RequestStatus

router = Router("friends")


class NewRequest(msgspec.Struct, forbid_unknown_fields=True):
    to: str
    message: str = ""


class RemarkChange(msgspec.Struct, forbid_unknown_fields=True):
    remark: str


@router.route(
    "POST",
    "/api/friend-requests",
    summary="Ask someone to be my friend",
    body=NewRequest,
    status=201,
    errors=("user_not_found", "self", "blocked", "already_friends", "request_pending", "too_long"),
)
async def create_request(call: Call[NewRequest]) -> dict[str, Any]:
    platform, store = call.platform, call.platform.store
    target = await get_user_or_404(platform, call.body.to)
    if target.id == call.user:
        raise InvalidInput("self", "you cannot befriend yourself")
    if len(call.body.message) > 200:
        raise InvalidInput("too_long", "the message is longer than 200 characters")
    if await store.is_blocked(target.id, call.user):
        raise Forbidden("blocked", "this user does not accept your requests")
    if await store.get_friend(call.user, target.id) is not None:
        raise Conflict("already_friends", "you are already friends")
    if await store.find_pending_request(call.user, target.id) is not None:
        raise Conflict("request_pending", "your request is waiting for an answer")

    now = platform.clock()
    theirs = await store.find_pending_request(target.id, call.user)
    if theirs is not None:
        await store.set_request_status(theirs.id, RequestStatus.ACCEPTED)
        await store.add_friendship(call.user, target.id, now=now)
        status = RequestStatus.ACCEPTED
    else:
        status = RequestStatus.PENDING
    request = FriendRequest(
        id=new_id(),
        sender=call.user,
        recipient=target.id,
        message=call.body.message,
        status=status,
        created_at=now,
    )
    await store.create_friend_request(request)
    return views.friend_request(request)


@router.route(
    "GET",
    "/api/friend-requests",
    summary="Requests I received (direction=in) or sent (direction=out)",
    query=("direction",),
    errors=("bad_query",),
)
async def list_requests(call: Call[None]) -> dict[str, Any]:
    direction = call.query("direction", "in")
    if direction not in ("in", "out"):
        raise InvalidInput("bad_query", "direction is in or out", status=400)
    found = await call.platform.store.list_friend_requests(call.user, incoming=direction == "in")
    return {"requests": [views.friend_request(r) for r in found]}


async def _my_incoming(call: Call[None]) -> FriendRequest:
    request = await call.platform.store.get_friend_request(call.path("request_id"))
    if request is None or call.user not in (request.sender, request.recipient):
        raise NotFound("request_not_found", "no such friend request")
    if request.recipient != call.user:
        raise Forbidden("forbidden", "only the recipient may answer a request")
    return request


@router.route(
    "POST",
    "/api/friend-requests/{request_id}/accept",
    summary="Accept a friend request (idempotent)",
    errors=("request_not_found", "forbidden", "request_declined", "blocked"),
)
async def accept_request(call: Call[None]) -> dict[str, Any]:
    store = call.platform.store
    request = await _my_incoming(call)
    if request.status is RequestStatus.DECLINED:
        raise Conflict("request_declined", "this request was declined")
    if await store.is_blocked(call.user, request.sender):
        raise Forbidden("blocked", "unblock this user first")
    if request.status is RequestStatus.PENDING:
        await store.add_friendship(call.user, request.sender, now=call.platform.clock())
        await store.set_request_status(request.id, RequestStatus.ACCEPTED)
    return {**views.friend_request(request), "status": RequestStatus.ACCEPTED.value}


@router.route(
    "POST",
    "/api/friend-requests/{request_id}/decline",
    summary="Decline a friend request",
    errors=("request_not_found", "forbidden", "request_accepted"),
)
async def decline_request(call: Call[None]) -> dict[str, Any]:
    request = await _my_incoming(call)
    if request.status is RequestStatus.ACCEPTED:
        raise Conflict("request_accepted", "this request was already accepted")
    await call.platform.store.set_request_status(request.id, RequestStatus.DECLINED)
    return {**views.friend_request(request), "status": RequestStatus.DECLINED.value}


@router.route("GET", "/api/friends", summary="My friends")
async def list_friends(call: Call[None]) -> dict[str, Any]:
    store = call.platform.store
    friends = await store.list_friends(call.user)
    users = await store.get_users([f.friend for f in friends])
    return {"friends": [views.friend(f, users.get(f.friend)) for f in friends]}


@router.route(
    "PATCH",
    "/api/friends/{user_id}",
    summary="Set my remark for a friend",
    body=RemarkChange,
    errors=("not_friend", "too_long"),
)
async def set_remark(call: Call[RemarkChange]) -> dict[str, Any]:
    store = call.platform.store
    friend_id = UserId(call.path("user_id"))
    if len(call.body.remark) > 40:
        raise InvalidInput("too_long", "a remark is at most 40 characters")
    if await store.get_friend(call.user, friend_id) is None:
        raise NotFound("not_friend", "this user is not your friend")
    await store.set_remark(call.user, friend_id, call.body.remark)
    friend = await store.get_friend(call.user, friend_id)
    assert friend is not None
    return views.friend(friend, await store.get_user(friend_id))


@router.route(
    "DELETE",
    "/api/friends/{user_id}",
    summary="End a friendship",
    status=204,
    errors=("not_friend",),
)
async def delete_friend(call: Call[None]) -> None:
    store = call.platform.store
    friend_id = UserId(call.path("user_id"))
    if await store.get_friend(call.user, friend_id) is None:
        raise NotFound("not_friend", "this user is not your friend")
    await store.remove_friendship(call.user, friend_id)


@router.route(
    "PUT",
    "/api/blocks/{user_id}",
    summary="Block a user",
    status=204,
    errors=("user_not_found", "self"),
)
async def block(call: Call[None]) -> None:
    target = await get_user_or_404(call.platform, call.path("user_id"))
    if target.id == call.user:
        raise InvalidInput("self", "you cannot block yourself")
    await call.platform.store.add_block(call.user, target.id, now=call.platform.clock())


@router.route("DELETE", "/api/blocks/{user_id}", summary="Unblock a user", status=204)
async def unblock(call: Call[None]) -> None:
    await call.platform.store.remove_block(call.user, UserId(call.path("user_id")))


@router.route("GET", "/api/blocks", summary="Users I blocked")
async def list_blocks(call: Call[None]) -> dict[str, Any]:
    store = call.platform.store
    blocked = await store.list_blocks(call.user)
    users = await store.get_users(blocked)
    return {"blocked": [views.public_user(users[b]) for b in blocked if b in users]}
