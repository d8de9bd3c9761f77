"""The Store contract: what every adapter of ``echosphere.core.ports.Store`` promises.

Each test runs against every adapter listed in ``conftest.py``. Tests speak
only through the port, so an adapter passing them is interchangeable. This
module covers users, devices, the social graph and groups; messages and
conversations are in ``test_store_contract_messages.py``.
"""

from __future__ import annotations

import asyncio

import pytest

from echosphere.core.errors import Conflict, NotFound
from echosphere.core.ids import (
    DeviceId,
    GroupId,
    UserId,
    new_id,
)
from echosphere.core.models import (
    Device,
    FriendRequest,
    Group,
    RequestStatus,
    Role,
    User,
)
from echosphere.core.ports import Store

# Helpers.


def uid() -> UserId:
    return UserId(new_id())


def make_user(*, phone: str | None = None, handle: str | None = None) -> User:
    return User(
        id=uid(),
        phone=phone or f"+1555{new_id()[-7:]}",
        created_at=1000.0,
        handle=handle,
    )


def make_device(user: UserId, *, created_at: float = 1.0, refresh_hash: str = "h0") -> Device:
    return Device(
        id=DeviceId(new_id()),
        user=user,
        name="phone",
        refresh_hash=refresh_hash,
        created_at=created_at,
        last_used_at=created_at,
    )


def make_group(owner: UserId, *, name: str = "team", created_at: float = 1.0) -> Group:
    return Group(id=GroupId(new_id()), name=name, owner=owner, created_at=created_at)


# Lifecycle.


async def test_ping(store: Store) -> None:
    """A started store answers ping."""
    await store.ping()


# Users.


async def test_create_and_get_user(store: Store) -> None:
    """A created user reads back equal, by id, phone and handle."""
    user = make_user(handle="ada")
    assert await store.create_user(user) == user
    assert await store.get_user(user.id) == user
    assert await store.find_user_by_phone(user.phone) == user
    assert await store.find_user_by_handle("ada") == user
    assert await store.get_user(uid()) is None


async def test_create_user_with_taken_phone_returns_existing(store: Store) -> None:
    """Creating a second user with the same phone returns the first one."""
    first = await store.create_user(make_user(phone="+15550001"))
    again = await store.create_user(make_user(phone="+15550001"))
    assert again == first


async def test_create_user_with_taken_handle_conflicts(store: Store) -> None:
    """Two users cannot be created with one handle."""
    await store.create_user(make_user(handle="ada"))
    with pytest.raises(Conflict) as caught:
        await store.create_user(make_user(handle="ada"))
    assert caught.value.code == "handle_taken"


async def test_get_users_returns_those_found(store: Store) -> None:
    """get_users maps the ids that exist and skips the others."""
    one = await store.create_user(make_user())
    two = await store.create_user(make_user())
    found = await store.get_users([one.id, two.id, uid()])
    assert found == {one.id: one, two.id: two}
    assert await store.get_users([]) == {}


async def test_update_user_changes_fields(store: Store) -> None:
    """update_user applies the changes and returns the updated user."""
    user = await store.create_user(make_user())
    changes = {
        "handle": "grace",
        "nickname": "Grace",
        "bio": "compilers",
        "discoverable_by_phone": False,
        "handle_changed_at": 5.0,
    }
    updated = await store.update_user(user.id, changes)
    assert updated.handle == "grace"
    assert updated.nickname == "Grace"
    assert updated.discoverable_by_phone is False
    assert updated.handle_changed_at == 5.0
    assert await store.get_user(user.id) == updated
    assert await store.find_user_by_handle("grace") == updated


async def test_update_user_handle_taken(store: Store) -> None:
    """Taking another user's handle raises Conflict and changes nothing."""
    await store.create_user(make_user(handle="ada"))
    other = await store.create_user(make_user(handle="bob"))
    with pytest.raises(Conflict) as caught:
        await store.update_user(other.id, {"handle": "ada", "nickname": "x"})
    assert caught.value.code == "handle_taken"
    assert await store.get_user(other.id) == other


async def test_update_user_rejects_unknown_and_fixed_fields(store: Store) -> None:
    """Unknown fields and id, phone, created_at cannot be updated."""
    user = await store.create_user(make_user())
    for key in ("colour", "id", "phone", "created_at"):
        with pytest.raises(ValueError, match=key):
            await store.update_user(user.id, {key: "x"})


async def test_update_missing_user(store: Store) -> None:
    """Updating a user that does not exist raises NotFound."""
    with pytest.raises(NotFound) as caught:
        await store.update_user(uid(), {"nickname": "ghost"})
    assert caught.value.code == "user_not_found"


# Devices.


async def test_devices_listed_with_revoked(store: Store) -> None:
    """list_devices returns every device of the user by creation time, revoked too."""
    user = uid()
    later = make_device(user, created_at=2.0)
    earlier = make_device(user, created_at=1.0)
    await store.create_device(later)
    await store.create_device(earlier)
    await store.create_device(make_device(uid()))
    await store.revoke_device(earlier.id)

    devices = await store.list_devices(user)
    assert [d.id for d in devices] == [earlier.id, later.id]
    assert [d.revoked for d in devices] == [True, False]
    assert await store.get_device(later.id) == later
    assert await store.get_device(DeviceId(new_id())) is None


async def test_rotate_refresh_compare_and_swap(store: Store) -> None:
    """The hash is swapped only when the old one is current."""
    device = make_device(uid(), refresh_hash="h0")
    await store.create_device(device)

    assert not await store.rotate_refresh(device.id, old_hash="wrong", new_hash="h1", now=9.0)
    assert await store.rotate_refresh(device.id, old_hash="h0", new_hash="h1", now=9.0)
    assert not await store.rotate_refresh(device.id, old_hash="h0", new_hash="h2", now=10.0)

    stored = await store.get_device(device.id)
    assert stored is not None
    assert (stored.refresh_hash, stored.last_used_at) == ("h1", 9.0)


async def test_rotate_refresh_refused_when_revoked_or_missing(store: Store) -> None:
    """A revoked or unknown device never rotates."""
    device = make_device(uid(), refresh_hash="h0")
    await store.create_device(device)
    await store.revoke_device(device.id)
    assert not await store.rotate_refresh(device.id, old_hash="h0", new_hash="h1", now=2.0)
    missing = DeviceId(new_id())
    assert not await store.rotate_refresh(missing, old_hash="h0", new_hash="h1", now=2.0)


async def test_concurrent_rotations_have_one_winner(store: Store) -> None:
    """Of many rotations presenting the same hash, exactly one succeeds."""
    device = make_device(uid(), refresh_hash="h0")
    await store.create_device(device)
    results = await asyncio.gather(
        *(
            store.rotate_refresh(device.id, old_hash="h0", new_hash=f"h{i}", now=2.0)
            for i in range(1, 11)
        )
    )
    assert results.count(True) == 1


# Friend requests, friendships, blocks.


def make_request(sender: UserId, recipient: UserId, *, created_at: float = 1.0) -> FriendRequest:
    return FriendRequest(
        id=new_id(),
        sender=sender,
        recipient=recipient,
        message="hello",
        status=RequestStatus.PENDING,
        created_at=created_at,
    )


async def test_friend_request_round_trip(store: Store) -> None:
    """A request reads back equal and its status can be changed."""
    request = make_request(uid(), uid())
    await store.create_friend_request(request)
    assert await store.get_friend_request(request.id) == request
    await store.set_request_status(request.id, RequestStatus.ACCEPTED)
    stored = await store.get_friend_request(request.id)
    assert stored is not None
    assert stored.status is RequestStatus.ACCEPTED
    assert await store.get_friend_request(new_id()) is None


async def test_find_pending_request(store: Store) -> None:
    """Only a pending request in the asked direction is found."""
    a, b = uid(), uid()
    request = make_request(a, b)
    await store.create_friend_request(request)
    assert await store.find_pending_request(a, b) == request
    assert await store.find_pending_request(b, a) is None
    await store.set_request_status(request.id, RequestStatus.DECLINED)
    assert await store.find_pending_request(a, b) is None


async def test_list_friend_requests_newest_first(store: Store) -> None:
    """Incoming and outgoing lists are separate and newest first."""
    me, x, y = uid(), uid(), uid()
    old = make_request(x, me, created_at=1.0)
    new = make_request(y, me, created_at=2.0)
    mine = make_request(me, x, created_at=3.0)
    for request in (old, new, mine):
        await store.create_friend_request(request)
    assert await store.list_friend_requests(me, incoming=True) == [new, old]
    assert await store.list_friend_requests(me, incoming=False) == [mine]


async def test_friendship_both_ways(store: Store) -> None:
    """add_friendship makes each a friend of the other."""
    a, b = uid(), uid()
    await store.add_friendship(a, b, now=5.0)
    ab, ba = await store.get_friend(a, b), await store.get_friend(b, a)
    assert ab is not None
    assert ba is not None
    assert (ab.owner, ab.friend, ab.remark, ab.since) == (a, b, "", 5.0)
    assert (ba.owner, ba.friend) == (b, a)


async def test_friendship_idempotent_keeps_remark_and_since(store: Store) -> None:
    """Adding an existing friendship again keeps the remark and the original since."""
    a, b = uid(), uid()
    await store.add_friendship(a, b, now=5.0)
    await store.set_remark(a, b, "Bobby")
    await store.add_friendship(b, a, now=9.0)
    assert await store.list_friends(a) == [await store.get_friend(a, b)]
    friend = await store.get_friend(a, b)
    assert friend is not None
    assert (friend.remark, friend.since) == ("Bobby", 5.0)
    other = await store.get_friend(b, a)
    assert other is not None
    assert other.remark == ""


async def test_remove_friendship_both_sides(store: Store) -> None:
    """remove_friendship removes both sides, whichever side asks."""
    a, b = uid(), uid()
    await store.add_friendship(a, b, now=1.0)
    await store.remove_friendship(b, a)
    assert await store.get_friend(a, b) is None
    assert await store.get_friend(b, a) is None
    assert await store.list_friends(a) == []


async def test_list_friends_by_since(store: Store) -> None:
    """list_friends returns the owner's friends, oldest friendship first."""
    me, late, early = uid(), uid(), uid()
    await store.add_friendship(me, late, now=2.0)
    await store.add_friendship(early, me, now=1.0)
    assert [f.friend for f in await store.list_friends(me)] == [early, late]
    assert [f.friend for f in await store.list_friends(late)] == [me]


async def test_blocks(store: Store) -> None:
    """Blocks are one-directional, idempotent, listed and removable."""
    me, pest, other = uid(), uid(), uid()
    await store.add_block(me, pest, now=1.0)
    await store.add_block(me, pest, now=2.0)
    await store.add_block(me, other, now=3.0)
    assert await store.is_blocked(me, pest)
    assert not await store.is_blocked(pest, me)
    assert await store.list_blocks(me) == [pest, other]
    await store.remove_block(me, pest)
    assert not await store.is_blocked(me, pest)
    assert await store.list_blocks(me) == [other]
    assert await store.list_blocks(pest) == []


# Groups.


async def test_create_group_with_roles(store: Store) -> None:
    """The owner becomes OWNER and the others MEMBER, the owner only once."""
    owner, m1, m2 = uid(), uid(), uid()
    group = make_group(owner)
    await store.create_group(group, [m1, owner, m2], now=3.0)

    assert await store.get_group(group.id) == group
    members = await store.list_members(group.id)
    assert [(m.user, m.role) for m in members[:1]] == [(owner, Role.OWNER)]
    assert {(m.user, m.role) for m in members[1:]} == {(m1, Role.MEMBER), (m2, Role.MEMBER)}
    assert all(m.group == group.id and m.joined_at == 3.0 for m in members)
    assert await store.count_members(group.id) == 3
    assert await store.get_group(GroupId(new_id())) is None


async def test_list_members_ordered_by_role_then_joined(store: Store) -> None:
    """Owner first, then admins, then members, each by joining time."""
    owner, early, late, admin = uid(), uid(), uid(), uid()
    group = make_group(owner)
    await store.create_group(group, [early], now=1.0)
    await store.add_members(group.id, [late], now=2.0)
    await store.add_members(group.id, [admin], now=3.0)
    await store.set_role(group.id, admin, Role.ADMIN)

    members = await store.list_members(group.id)
    assert [m.user for m in members] == [owner, admin, early, late]
    member = await store.get_member(group.id, admin)
    assert member is not None
    assert member.role is Role.ADMIN
    assert await store.get_member(group.id, uid()) is None


async def test_add_members_returns_only_new(store: Store) -> None:
    """add_members skips existing members and reports only the new ones."""
    owner, old, new1, new2 = uid(), uid(), uid(), uid()
    group = make_group(owner)
    await store.create_group(group, [old], now=1.0)
    added = await store.add_members(group.id, [owner, old, new1, new2, new1], now=2.0)
    assert sorted(added) == sorted([new1, new2])
    assert await store.count_members(group.id) == 4
    assert await store.add_members(group.id, [new1], now=3.0) == []
    owner_row = await store.get_member(group.id, owner)
    assert owner_row is not None
    assert owner_row.role is Role.OWNER


async def test_remove_member(store: Store) -> None:
    """remove_member reports whether a membership was removed."""
    owner, member = uid(), uid()
    group = make_group(owner)
    await store.create_group(group, [member], now=1.0)
    assert await store.remove_member(group.id, member)
    assert not await store.remove_member(group.id, member)
    assert await store.count_members(group.id) == 1


async def test_update_group(store: Store) -> None:
    """update_group changes name, announcement, muted and owner."""
    owner, heir = uid(), uid()
    group = make_group(owner)
    await store.create_group(group, [heir], now=1.0)
    changes = {"name": "new", "announcement": "read me", "muted": True, "owner": heir}
    updated = await store.update_group(group.id, changes)
    assert (updated.name, updated.announcement, updated.muted, updated.owner) == (
        "new",
        "read me",
        True,
        heir,
    )
    assert await store.get_group(group.id) == updated


async def test_update_group_refusals(store: Store) -> None:
    """Unknown keys raise ValueError; a missing group raises NotFound."""
    group = make_group(uid())
    await store.create_group(group, [], now=1.0)
    with pytest.raises(ValueError, match="created_at"):
        await store.update_group(group.id, {"created_at": 2.0})
    with pytest.raises(NotFound) as caught:
        await store.update_group(GroupId(new_id()), {"name": "x"})
    assert caught.value.code == "group_not_found"


async def test_list_groups_of_user(store: Store) -> None:
    """list_groups returns the groups the user belongs to, in any role."""
    me, other = uid(), uid()
    mine = make_group(me, name="mine", created_at=1.0)
    joined = make_group(other, name="joined", created_at=2.0)
    foreign = make_group(other, name="foreign", created_at=3.0)
    await store.create_group(mine, [], now=1.0)
    await store.create_group(joined, [me], now=2.0)
    await store.create_group(foreign, [], now=3.0)
    assert {g.id for g in await store.list_groups(me)} == {mine.id, joined.id}
    await store.remove_member(joined.id, me)
    assert [g.id for g in await store.list_groups(me)] == [mine.id]
