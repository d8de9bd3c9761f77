"""Domain records as stored and exchanged between layers.

Times are integers: milliseconds since the epoch (``ts``) for messages, where
order within a second matters, and seconds (float) elsewhere.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from echosphere.core.ids import ConvId, DeviceId, GroupId, MessageId, UserId


@dataclass(frozen=True, slots=True)
class User:
    id: UserId
    phone: str
    created_at: float
    handle: str | None = None
    nickname: str = ""
    avatar: str | None = None
    bio: str = ""
    gender: str = "unspecified"
    region: str = ""
    discoverable_by_phone: bool = True
    handle_changed_at: float | None = None
    feed_cover: str | None = None
    """Media key of the background of the user's feed page."""
    chat_background: str | None = None
    """Media key of the background the user chose for their chats."""


@dataclass(frozen=True, slots=True)
class Device:
    """A logged-in device: one refresh token chain, revocable on its own."""

    id: DeviceId
    user: UserId
    name: str
    refresh_hash: str
    created_at: float
    last_used_at: float
    revoked: bool = False


class RequestStatus(StrEnum):
    PENDING = "pending"
    ACCEPTED = "accepted"
    DECLINED = "declined"


@dataclass(frozen=True, slots=True)
class FriendRequest:
    id: str
    sender: UserId
    recipient: UserId
    message: str
    status: RequestStatus
    created_at: float


@dataclass(frozen=True, slots=True)
class Friend:
    """One side of a friendship, as ``owner`` sees it."""

    owner: UserId
    friend: UserId
    remark: str
    since: float


class Role(StrEnum):
    OWNER = "owner"
    ADMIN = "admin"
    MEMBER = "member"


@dataclass(frozen=True, slots=True)
class Group:
    id: GroupId
    name: str
    owner: UserId
    created_at: float
    announcement: str = ""
    muted: bool = False


@dataclass(frozen=True, slots=True)
class Member:
    group: GroupId
    user: UserId
    role: Role
    joined_at: float


class MessageKind(StrEnum):
    TEXT = "text"
    IMAGE = "image"
    VOICE = "voice"
    VIDEO = "video"
    FILE = "file"
    LOCATION = "location"
    CUSTOM = "custom"


@dataclass(frozen=True, slots=True)
class Message:
    """A stored message. ``seq`` orders it within ``conv``; ``cid`` is the
    sender's own id for it, unique per sender, which makes sends idempotent."""

    conv: ConvId
    seq: int
    id: MessageId
    sender: UserId
    cid: str
    kind: MessageKind
    body: dict[str, Any]
    ts: int
    recalled: bool = False


@dataclass(frozen=True, slots=True)
class MessageDraft:
    """What a sender asks to store; the Store assigns ``seq``."""

    conv: ConvId
    id: MessageId
    sender: UserId
    cid: str
    kind: MessageKind
    body: dict[str, Any]
    ts: int
    members: tuple[UserId, ...] = field(default=())
    """Users to enrol in the conversation when it is first written (one-to-one)."""


@dataclass(frozen=True, slots=True)
class ConversationState:
    """One user's view of a conversation."""

    conv: ConvId
    last_seq: int
    read_seq: int
    joined_seq: int
    unread: int
    last_message: Message | None
