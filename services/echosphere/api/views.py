"""What clients see of stored records: JSON-ready dicts, minus what they may not see."""

from __future__ import annotations

from typing import Any

from echosphere.core.ids import group_conv
from echosphere.core.models import (
    ConversationState,
    Device,
    Friend,
    FriendRequest,
    Group,
    Member,
    Message,
    User,
)


def public_user(user: User) -> dict[str, Any]:
    """A profile as anyone sees it: never the phone number."""
    return {
        "id": user.id,
        "handle": user.handle,
        "nickname": user.nickname,
        "avatar": user.avatar,
        "bio": user.bio,
        "gender": user.gender,
        "region": user.region,
    }


def own_user(user: User) -> dict[str, Any]:
    return {
        **public_user(user),
        "phone": user.phone,
        "discoverable_by_phone": user.discoverable_by_phone,
        "handle_changed_at": user.handle_changed_at,
        "created_at": user.created_at,
        "feed_cover": user.feed_cover,
        "chat_background": user.chat_background,
    }


def device(item: Device, *, current: str) -> dict[str, Any]:
    return {
        "id": item.id,
        "name": item.name,
        "created_at": item.created_at,
        "last_used_at": item.last_used_at,
        "revoked": item.revoked,
        "current": item.id == current,
    }


def friend_request(request: FriendRequest) -> dict[str, Any]:
    return {
        "id": request.id,
        "from": request.sender,
        "to": request.recipient,
        "message": request.message,
        "status": request.status.value,
        "created_at": request.created_at,
    }


def friend(item: Friend, user: User | None) -> dict[str, Any]:
    return {
        "user": public_user(user) if user else {"id": item.friend},
        "remark": item.remark,
        "since": item.since,
    }


def group(item: Group) -> dict[str, Any]:
    return {
        "id": item.id,
        "conv": group_conv(item.id),
        "name": item.name,
        "owner": item.owner,
        "announcement": item.announcement,
        "muted": item.muted,
        "created_at": item.created_at,
    }


def member(item: Member) -> dict[str, Any]:
    return {"user": item.user, "role": item.role.value, "joined_at": item.joined_at}


def message(item: Message) -> dict[str, Any]:
    return {
        "conv": item.conv,
        "seq": item.seq,
        "id": item.id,
        "from": item.sender,
        "cid": item.cid,
        "kind": item.kind.value,
        "body": item.body,
        "ts": item.ts,
        "recalled": item.recalled,
    }


def conversation(state: ConversationState) -> dict[str, Any]:
    return {
        "conv": state.conv,
        "last_seq": state.last_seq,
        "read_seq": state.read_seq,
        "unread": state.unread,
        "last_message": message(state.last_message) if state.last_message else None,
    }
