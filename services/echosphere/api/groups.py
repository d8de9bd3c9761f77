"""Groups: members with roles (owner, admins, members), names, announcements, mute.

Group membership is also conversation membership: adding a member enrols
them in ``g:<id>`` from the current seq on, removing one takes them out.
"""

from __future__ import annotations

from typing import Any

import msgspec

from echosphere.api import views
from echosphere.api.routing import Call, Router
from echosphere.core.errors import Conflict, Forbidden, InvalidInput, NotFound
from echosphere.core.ids import GroupId, UserId, group_conv, new_id
from echosphere.core.models import Group, Member, Role

router = Router("groups")


class NewGroup(msgspec.Struct, forbid_unknown_fields=True):
    name: str
    members: list[str] = []


class GroupChange(msgspec.Struct, forbid_unknown_fields=True):
    name: str | None = None
    announcement: str | None = None
    muted: bool | None = None


class NewMembers(msgspec.Struct, forbid_unknown_fields=True):
    user_ids: list[str]


class RoleChange(msgspec.Struct, forbid_unknown_fields=True):
    role: Role


def _check_name(name: str) -> str:
    name = name.strip()
    if not 1 <= len(name) <= 64:
        raise InvalidInput("bad_name", "a group name is 1-64 characters")
    return name


async def _check_invitees(call: Call[Any], users: list[str], room: int) -> list[UserId]:
    """Invitees must be the inviter's friends and fit in the group."""
    store = call.platform.store
    wanted = list(dict.fromkeys(UserId(u) for u in users if u != call.user))
    for user in wanted:
        if await store.get_friend(call.user, user) is None:
            raise Forbidden("not_friend", "you can only add your friends")
    if len(wanted) > room:
        raise Conflict(
            "group_full",
            f"a group holds at most {call.platform.settings.limits.group_max_members} members",
        )
    return wanted


async def _membership(call: Call[Any]) -> tuple[Group, Member]:
    store = call.platform.store
    group = await store.get_group(GroupId(call.path("group_id")))
    member = await store.get_member(group.id, call.user) if group else None
    if group is None:
        raise NotFound("group_not_found", "no such group")
    if member is None:
        raise Forbidden("not_member", "you are not a member of this group")
    return group, member


def _manager(member: Member) -> None:
    if member.role not in (Role.OWNER, Role.ADMIN):
        raise Forbidden("not_admin", "only the owner and admins may do this")


async def _group_view(call: Call[Any], group: Group) -> dict[str, Any]:
    members = await call.platform.store.list_members(group.id)
    return {**views.group(group), "members": [views.member(m) for m in members]}


@router.route(
    "POST",
    "/api/groups",
    summary="Create a group with some of my friends",
    body=NewGroup,
    status=201,
    errors=("bad_name", "not_friend", "group_full"),
)
async def create_group(call: Call[NewGroup]) -> dict[str, Any]:
    platform = call.platform
    name = _check_name(call.body.name)
    members = await _check_invitees(
        call, call.body.members, platform.settings.limits.group_max_members - 1
    )
    now = platform.clock()
    group = Group(id=GroupId(new_id()), name=name, owner=call.user, created_at=now)
    await platform.store.create_group(group, members, now=now)
    await platform.store.join_conversation(group_conv(group.id), [call.user, *members])
    return await _group_view(call, group)


@router.route("GET", "/api/groups", summary="Groups I belong to")
async def list_groups(call: Call[None]) -> dict[str, Any]:
    groups = await call.platform.store.list_groups(call.user)
    return {"groups": [views.group(g) for g in groups]}


@router.route(
    "GET",
    "/api/groups/{group_id}",
    summary="A group and its members (members only)",
    errors=("group_not_found", "not_member"),
)
async def get_group(call: Call[None]) -> dict[str, Any]:
    group, _ = await _membership(call)
    return await _group_view(call, group)


@router.route(
    "PATCH",
    "/api/groups/{group_id}",
    summary="Rename, set the announcement or mute (owner and admins)",
    body=GroupChange,
    errors=("group_not_found", "not_member", "not_admin", "bad_name", "too_long"),
)
async def update_group(call: Call[GroupChange]) -> dict[str, Any]:
    group, member = await _membership(call)
    _manager(member)
    changes = {k: v for k, v in msgspec.structs.asdict(call.body).items() if v is not None}
    if "name" in changes:
        changes["name"] = _check_name(changes["name"])
    if len(changes.get("announcement", "")) > 2000:
        raise InvalidInput("too_long", "an announcement is at most 2000 characters")
    if changes:
        group = await call.platform.store.update_group(group.id, changes)
    return await _group_view(call, group)


@router.route(
    "POST",
    "/api/groups/{group_id}/members",
    summary="Add friends of mine to a group I am in",
    body=NewMembers,
    errors=("group_not_found", "not_member", "not_friend", "group_full"),
)
async def add_members(call: Call[NewMembers]) -> dict[str, Any]:
    store = call.platform.store
    group, _ = await _membership(call)
    present = {m.user for m in await store.list_members(group.id)}
    room = call.platform.settings.limits.group_max_members - len(present)
    newcomers = [u for u in call.body.user_ids if u not in present]
    wanted = await _check_invitees(call, newcomers, room)
    added = await store.add_members(group.id, wanted, now=call.platform.clock())
    await store.join_conversation(group_conv(group.id), added)
    return {"added": added}


@router.route(
    "DELETE",
    "/api/groups/{group_id}/members/{user_id}",
    summary="Leave a group, or remove a member (owner; admins remove plain members)",
    status=204,
    errors=("group_not_found", "not_member", "not_admin", "owner_must_transfer"),
)
async def remove_member(call: Call[None]) -> None:
    store = call.platform.store
    group, me = await _membership(call)
    target_id = UserId(call.path("user_id"))
    target = me if target_id == call.user else await store.get_member(group.id, target_id)
    if target is None:
        raise NotFound("not_member", "that user is not a member")
    # Rights first: kicking the owner is refused for want of rights, not for want of a transfer.
    if target is not me and not (
        me.role is Role.OWNER or (me.role is Role.ADMIN and target.role is Role.MEMBER)
    ):
        raise Forbidden("not_admin", "you may not remove this member")
    if target.role is Role.OWNER:
        raise Conflict("owner_must_transfer", "the owner must hand ownership on before leaving")
    await store.remove_member(group.id, target.user)
    await store.leave_conversation(group_conv(group.id), target.user)


@router.route(
    "PATCH",
    "/api/groups/{group_id}/members/{user_id}",
    summary="Change a member's role; making someone owner hands ownership over (owner only)",
    body=RoleChange,
    errors=("group_not_found", "not_member", "not_owner", "self"),
)
async def set_role(call: Call[RoleChange]) -> dict[str, Any]:
    store = call.platform.store
    group, me = await _membership(call)
    if me.role is not Role.OWNER:
        raise Forbidden("not_owner", "only the owner may change roles")
    target = await store.get_member(group.id, UserId(call.path("user_id")))
    if target is None:
        raise NotFound("not_member", "that user is not a member")
    if target.user == me.user:
        raise InvalidInput("self", "hand ownership to another member instead")
    if call.body.role is Role.OWNER:
        await store.set_role(group.id, me.user, Role.ADMIN)
        group = await store.update_group(group.id, {"owner": target.user})
    await store.set_role(group.id, target.user, call.body.role)
    return await _group_view(call, group)
