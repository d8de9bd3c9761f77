"""Who may read and write a conversation.

One-to-one: the two parties; writing needs the peer not to have blocked the
writer, and either a friendship or a conversation that already exists (a
bottle reply opens one between strangers). Groups: members read; members
write unless the group is muted, when only the owner and admins do.
"""

from __future__ import annotations

from dataclasses import dataclass

from echosphere.core.errors import Forbidden
from echosphere.core.ids import ConvRef, UserId, parse_conv
from echosphere.core.models import Group, Member, Role
from echosphere.core.ports import Store


@dataclass(frozen=True, slots=True)
class Audience:
    """A conversation as one user may use it, with everyone in it."""

    ref: ConvRef
    members: tuple[UserId, ...]
    role: Role | None
    group: Group | None

    @property
    def is_manager(self) -> bool:
        return self.role in (Role.OWNER, Role.ADMIN)


async def _group_audience(store: Store, ref: ConvRef, user: UserId) -> Audience:
    assert ref.group is not None
    group = await store.get_group(ref.group)
    members: list[Member] = await store.list_members(ref.group) if group else []
    mine = next((m for m in members if m.user == user), None)
    if group is None or mine is None:
        raise Forbidden("forbidden", "you are not a member of this conversation")
    return Audience(ref, tuple(m.user for m in members), mine.role, group)


async def readable(store: Store, conv: str, user: UserId) -> Audience:
    """The conversation if ``user`` may read it, else ``Forbidden``."""
    ref = parse_conv(conv)
    if ref.kind == "group":
        return await _group_audience(store, ref, user)
    if user not in ref.parties:
        raise Forbidden("forbidden", "you are not a party to this conversation")
    return Audience(ref, ref.parties, None, None)


async def writable(store: Store, conv: str, user: UserId) -> Audience:
    """The conversation if ``user`` may send to it now, else ``Forbidden`` with why."""
    audience = await readable(store, conv, user)
    if audience.group is not None:
        if audience.group.muted and not audience.is_manager:
            raise Forbidden("muted", "this group is muted; only the owner and admins may send")
        return audience
    peer = audience.ref.peer_of(user)
    if await store.is_blocked(peer, user):
        raise Forbidden("blocked", "this user does not accept your messages")
    if await store.get_friend(user, peer) is None and not await store.is_party(
        audience.ref.conv, user
    ):
        raise Forbidden("not_friend", "you can only start a conversation with a friend")
    return audience
