"""The ports: typed interfaces every outside dependency sits behind.

``api`` and ``node`` depend only on these; one adapter per technology lives in
``echosphere.backends`` and is chosen by the URL scheme in the settings.
Adapters raise ``echosphere.core.errors`` for conditions a client may see
(``Conflict`` for a taken handle, ``Unavailable`` when the server is down).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from echosphere.core.ids import ConvId, DeviceId, GroupId, UserId
from echosphere.core.media import MediaObject, MediaUse, UseScope
from echosphere.core.models import (
    ConversationState,
    Device,
    Friend,
    FriendRequest,
    Group,
    Member,
    Message,
    MessageDraft,
    RequestStatus,
    Role,
    User,
)
from echosphere.core.social import Bottle, Comment, Like, Post


class UserStore(Protocol):
    async def create_user(self, user: User) -> User:
        """Insert a user; if the phone is taken, return the existing user instead."""
        ...

    async def get_user(self, user_id: UserId) -> User | None: ...
    async def get_users(self, user_ids: Sequence[UserId]) -> dict[UserId, User]: ...
    async def find_user_by_phone(self, phone: str) -> User | None: ...
    async def find_user_by_handle(self, handle: str) -> User | None: ...

    async def update_user(self, user_id: UserId, changes: Mapping[str, Any]) -> User:
        """Apply field changes; ``Conflict("handle_taken")`` if the handle is in use."""
        ...


class DeviceStore(Protocol):
    async def create_device(self, device: Device) -> None: ...
    async def get_device(self, device_id: DeviceId) -> Device | None: ...
    async def list_devices(self, user_id: UserId) -> list[Device]: ...

    async def rotate_refresh(
        self, device_id: DeviceId, *, old_hash: str, new_hash: str, now: float
    ) -> bool:
        """Swap the refresh hash if ``old_hash`` is current and the device is live."""
        ...

    async def revoke_device(self, device_id: DeviceId) -> None: ...


class SocialStore(Protocol):
    async def create_friend_request(self, request: FriendRequest) -> None: ...
    async def get_friend_request(self, request_id: str) -> FriendRequest | None: ...

    async def find_pending_request(
        self, sender: UserId, recipient: UserId
    ) -> FriendRequest | None: ...

    async def list_friend_requests(
        self, user_id: UserId, *, incoming: bool
    ) -> list[FriendRequest]: ...

    async def set_request_status(self, request_id: str, status: RequestStatus) -> None: ...

    async def add_friendship(self, a: UserId, b: UserId, *, now: float) -> None:
        """Make ``a`` and ``b`` friends both ways; idempotent."""
        ...

    async def remove_friendship(self, a: UserId, b: UserId) -> None: ...
    async def get_friend(self, owner: UserId, friend: UserId) -> Friend | None: ...
    async def list_friends(self, owner: UserId) -> list[Friend]: ...
    async def set_remark(self, owner: UserId, friend: UserId, remark: str) -> None: ...
    async def add_block(self, owner: UserId, target: UserId, *, now: float) -> None: ...
    async def remove_block(self, owner: UserId, target: UserId) -> None: ...
    async def is_blocked(self, owner: UserId, target: UserId) -> bool: ...
    async def list_blocks(self, owner: UserId) -> list[UserId]: ...


class GroupStore(Protocol):
    async def create_group(self, group: Group, members: Sequence[UserId], *, now: float) -> None:
        """Create a group owned by ``group.owner`` with ``members`` as plain members."""
        ...

    async def get_group(self, group_id: GroupId) -> Group | None: ...
    async def update_group(self, group_id: GroupId, changes: Mapping[str, Any]) -> Group: ...
    async def list_groups(self, user_id: UserId) -> list[Group]: ...
    async def list_members(self, group_id: GroupId) -> list[Member]: ...
    async def get_member(self, group_id: GroupId, user_id: UserId) -> Member | None: ...
    async def count_members(self, group_id: GroupId) -> int: ...

    async def add_members(
        self, group_id: GroupId, users: Sequence[UserId], *, now: float
    ) -> list[UserId]:
        """Add users as members; returns those newly added (existing ones are skipped)."""
        ...

    async def remove_member(self, group_id: GroupId, user_id: UserId) -> bool: ...
    async def set_role(self, group_id: GroupId, user_id: UserId, role: Role) -> None: ...


class MessageStore(Protocol):
    async def append_message(self, draft: MessageDraft) -> tuple[Message, bool]:
        """Store a message durably and give it the conversation's next seq.

        If the sender already stored a message with the same ``cid``, nothing
        is written and that message is returned with ``False``.
        """
        ...

    async def messages_after(self, conv: ConvId, after: int, limit: int) -> list[Message]:
        """Messages with seq > ``after``, ascending."""
        ...

    async def messages_before(self, conv: ConvId, before: int, limit: int) -> list[Message]:
        """Messages with seq < ``before``, descending from ``before``, returned ascending."""
        ...

    async def get_message(self, conv: ConvId, seq: int) -> Message | None: ...

    async def recall_message(self, conv: ConvId, seq: int) -> Message | None:
        """Replace the body with a tombstone; returns the recalled message."""
        ...

    async def last_seq(self, conv: ConvId) -> int: ...

    async def conversations_of(self, user_id: UserId) -> dict[ConvId, int]:
        """Every conversation the user takes part in, with the seq they joined after."""
        ...

    async def conversation_states(self, user_id: UserId) -> list[ConversationState]: ...

    async def join_conversation(self, conv: ConvId, users: Sequence[UserId]) -> None:
        """Enrol users; history before this point stays hidden from them."""
        ...

    async def leave_conversation(self, conv: ConvId, user_id: UserId) -> None: ...
    async def is_party(self, conv: ConvId, user_id: UserId) -> bool: ...

    async def mark_read(self, conv: ConvId, user_id: UserId, seq: int) -> int:
        """Raise the user's read seq (never lowers it); returns the resulting value."""
        ...

    async def readers(self, conv: ConvId, seq: int) -> list[UserId]:
        """Users whose read seq is at least ``seq``."""
        ...


class MediaStore(Protocol):
    async def create_media(self, media: MediaObject) -> None: ...
    async def get_media(self, key: str) -> MediaObject | None: ...

    async def mark_uploaded(self, key: str, *, size: int) -> None:
        """Record that the bytes are in storage, with their size."""
        ...

    async def add_media_use(self, use: MediaUse) -> None:
        """Record where a key was put; idempotent."""
        ...

    async def media_uses(self, key: str) -> list[MediaUse]: ...
    async def remove_media_uses(self, scope: UseScope, ref: str) -> None: ...


class PostStore(Protocol):
    async def create_post(self, post: Post) -> None: ...
    async def get_post(self, post_id: str) -> Post | None: ...

    async def delete_post(self, post_id: str) -> bool:
        """Delete a post with its likes and comments; False if there was none."""
        ...

    async def list_posts(
        self, authors: Sequence[UserId], *, before: str | None, limit: int
    ) -> list[Post]:
        """Posts by any of ``authors``, newest first, with ids below ``before``."""
        ...


class LikeStore(Protocol):
    async def add_like(self, post_id: str, user: UserId, *, now: float) -> bool:
        """Like a post; True if this call added the like (False: it was there)."""
        ...

    async def remove_like(self, post_id: str, user: UserId) -> bool:
        """Unlike; True if this call removed a like."""
        ...

    async def count_likes(self, post_id: str) -> int: ...

    async def list_likes(self, post_id: str) -> list[Like]:
        """Oldest first."""
        ...

    async def liked_posts(self, user: UserId, post_ids: Sequence[str]) -> set[str]:
        """Which of ``post_ids`` the user likes."""
        ...


class CommentStore(Protocol):
    async def add_comment(self, comment: Comment) -> None: ...
    async def get_comment(self, comment_id: str) -> Comment | None: ...
    async def delete_comment(self, comment_id: str) -> bool: ...

    async def list_comments(self, post_id: str, *, after: str | None, limit: int) -> list[Comment]:
        """Oldest first, with ids above ``after``."""
        ...


class BottleStore(Protocol):
    async def create_bottle(self, bottle: Bottle) -> None: ...
    async def get_bottle(self, bottle_id: str) -> Bottle | None: ...

    async def take_bottle(
        self, bottle_id: str, user: UserId, *, now: float, hold_until: float
    ) -> Bottle | None:
        """Hand a drifting bottle to ``user`` until ``hold_until``, atomically.

        Only if it is not theirs, not fished by them before, not expired, not
        answered and not held by someone else; records the pick. Returns the
        bottle as taken, or None when any condition fails.
        """
        ...

    async def release_bottle(self, bottle_id: str, user: UserId) -> bool:
        """The holder throws the bottle back; True if ``user`` held it."""
        ...

    async def answer_bottle(self, bottle_id: str, user: UserId, *, now: float) -> bool:
        """The holder replies: the bottle leaves the sea. True if ``user`` held it
        and nobody had answered it."""
        ...

    async def has_picked(self, bottle_id: str, user: UserId) -> bool: ...

    async def picked_bottles(self, user: UserId, *, since: float) -> list[str]:
        """Bottles the user fished since ``since``."""
        ...


class Store(
    UserStore,
    DeviceStore,
    SocialStore,
    GroupStore,
    MessageStore,
    MediaStore,
    PostStore,
    LikeStore,
    CommentStore,
    BottleStore,
    Protocol,
):
    """Durable state: one contract suite runs against every adapter."""

    async def start(self) -> None: ...
    async def close(self) -> None: ...
    async def ping(self) -> None: ...


class KV(Protocol):
    """Fast shared state with expiry: codes, rate limits, presence, counters."""

    async def start(self) -> None: ...
    async def close(self) -> None: ...
    async def ping(self) -> None: ...
    async def get(self, key: str) -> str | None: ...
    async def set(self, key: str, value: str, *, ttl: float | None = None) -> None: ...
    async def add(self, key: str, value: str, *, ttl: float) -> bool:
        """Set only if absent; True if this call set it."""
        ...

    async def delete(self, key: str) -> None: ...

    async def incr(self, key: str, amount: int = 1, *, ttl: float | None = None) -> int:
        """Add to an integer counter atomically; ``ttl`` applies when it is created."""
        ...

    async def take_token(self, key: str, *, rate: float, burst: int) -> float:
        """Token bucket: 0.0 if a token was taken, else seconds until one is free."""
        ...

    async def hset(self, key: str, field: str, value: str, *, ttl: float) -> None:
        """Set one field of a hash and (re)arm the whole hash's expiry."""
        ...

    async def hdel(self, key: str, field: str) -> None: ...
    async def hgetall(self, key: str) -> dict[str, str]: ...

    async def hgetall_many(self, keys: Sequence[str]) -> list[dict[str, str]]:
        """``hgetall`` of each key, in one round trip; an empty dict for a missing key."""
        ...


class SmsSender(Protocol):
    exposes_codes: bool
    """True when codes are visible outside the phone (dev senders)."""

    async def send_code(self, phone: str, code: str) -> None: ...


BusHandler = Callable[[bytes], Awaitable[None]]


class Bus(Protocol):
    """Node-to-node delivery: the fast path, allowed to drop (sync recovers)."""

    async def start(self, node_id: str | None, handler: BusHandler | None) -> None:
        """Connect; consume this node's deliveries with ``handler`` unless both are None
        (a publisher only, such as an API process)."""
        ...

    async def close(self) -> None: ...
    async def publish(self, node_id: str, payload: bytes) -> None: ...
    async def broadcast(self, payload: bytes) -> None: ...


@dataclass(frozen=True, slots=True)
class NodeInfo:
    id: str
    address: str
    connections: int
    draining: bool
    started_at: float


class Registry(Protocol):
    """Which chat nodes are alive, their load and drain state."""

    async def start(self, info: NodeInfo | None) -> None:
        """Join as a node (``info``) or only watch (``None``, the API role)."""
        ...

    async def update(self, *, connections: int, draining: bool) -> None: ...
    async def close(self) -> None: ...
    async def live_nodes(self) -> list[NodeInfo]: ...


@dataclass(frozen=True, slots=True)
class Presigned:
    """How a client sends bytes straight to storage."""

    url: str
    """Absolute, or a path on this API (the file adapter's URLs)."""
    method: str
    headers: dict[str, str] = field(default_factory=dict)
    expires_in: int = 0


@dataclass(frozen=True, slots=True)
class StoredObject:
    size: int
    content_type: str


@dataclass(frozen=True, slots=True)
class BlobGrant:
    """What a verified signed URL of the file adapter allows."""

    method: str
    key: str
    size: int
    """Most bytes a PUT may write; 0 for a GET."""
    content_type: str


class LocalBlobs(Protocol):
    """Bytes the API process serves itself, behind URLs the adapter signed."""

    def grant(self, *, method: str, key: str, query: Mapping[str, str], now: float) -> BlobGrant:
        """Check a signed URL; ``Forbidden`` (``bad_signature``, ``url_expired``) otherwise."""
        ...

    async def write(self, grant: BlobGrant, chunks: AsyncIterator[bytes]) -> int:
        """Store an upload; ``TooLarge`` past ``grant.size``, ``Conflict`` if already there."""
        ...

    def path(self, key: str) -> Path | None:
        """The file holding a stored object, or None."""
        ...


class Media(Protocol):
    """Object storage for uploads, reached by clients through presigned URLs."""

    @property
    def local(self) -> LocalBlobs | None:
        """Set when the API itself must serve the signed URLs (the file adapter)."""
        ...

    async def start(self) -> None: ...
    async def close(self) -> None: ...
    async def ping(self) -> None: ...

    async def presign_upload(
        self, key: str, *, content_type: str, size: int, expires_in: int
    ) -> Presigned: ...

    async def presign_download(self, key: str, *, content_type: str, expires_in: int) -> str: ...
    async def stat(self, key: str) -> StoredObject | None: ...
    async def delete(self, key: str) -> None: ...


@dataclass(frozen=True, slots=True)
class GeoEntry:
    id: str
    owner: UserId
    lat: float
    lon: float
    expires_at: float


class GeoIndex(Protocol):
    """Where drifting bottles float: a search aid; the Store stays the truth."""

    async def start(self) -> None: ...
    async def close(self) -> None: ...

    async def add(self, entry: GeoEntry) -> None:
        """Index (or re-index) an entry, searchable at once."""
        ...

    async def remove(self, entry_id: str) -> None: ...

    async def hide(self, entry_id: str, *, until: float) -> None:
        """Leave the entry out of searches until ``until``; 0 brings it back."""
        ...

    async def random_within(
        self,
        *,
        lat: float,
        lon: float,
        radius_km: float,
        now: float,
        exclude_owner: UserId,
        exclude_ids: Sequence[str],
    ) -> str | None:
        """A random visible, unexpired entry within the radius, not ``exclude_owner``'s
        and not in ``exclude_ids``; None if there is none."""
        ...
