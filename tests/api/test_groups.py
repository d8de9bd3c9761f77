"""Groups over HTTP: creation among friends, roles, members, settings and the size limit."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx

from echosphere.config import Limits
from tests.support.accounts import Account, befriend, login, make_group
from tests.support.checks import expect_error
from tests.support.server import GENEROUS, embedded_settings, serve


async def _crew(client: httpx.AsyncClient, size: int) -> tuple[Account, list[Account]]:
    """An owner and ``size`` friends of theirs."""
    owner = await login(client)
    friends = [await login(client) for _ in range(size)]
    for friend in friends:
        await befriend(client, owner, friend)
    return owner, friends


def _roles(group: dict[str, Any]) -> dict[str, str]:
    return {m["user"]: m["role"] for m in group["members"]}


async def _group(client: httpx.AsyncClient, account: Account, group_id: str) -> httpx.Response:
    return await client.get(f"/api/groups/{group_id}", headers=account.headers)


async def test_create_makes_me_owner_of_a_group_conversation(client: httpx.AsyncClient) -> None:
    """POST /api/groups answers 201 with the id, its g: conversation and the roles."""
    owner, (b, c) = await _crew(client, 2)
    created = await client.post(
        "/api/groups", json={"name": "  crew  ", "members": [b.id, c.id]}, headers=owner.headers
    )
    assert created.status_code == 201
    group = created.json()
    assert group["conv"] == f"g:{group['id']}"
    assert group["name"] == "crew"
    assert group["owner"] == owner.id
    assert _roles(group) == {owner.id: "owner", b.id: "member", c.id: "member"}


async def test_members_must_be_my_friends(client: httpx.AsyncClient) -> None:
    """Creating a group with a non-friend is 403 not_friend and creates nothing."""
    owner, (friend,) = await _crew(client, 1)
    stranger = await login(client)
    created = await client.post(
        "/api/groups",
        json={"name": "x", "members": [friend.id, stranger.id]},
        headers=owner.headers,
    )
    expect_error(created, 403, "not_friend")
    assert (await client.get("/api/groups", headers=owner.headers)).json()["groups"] == []


async def test_group_name_is_checked(client: httpx.AsyncClient) -> None:
    """An empty or over-long group name is 422 bad_name."""
    owner = await login(client)
    for name in ("   ", "n" * 65):
        created = await client.post("/api/groups", json={"name": name}, headers=owner.headers)
        expect_error(created, 422, "bad_name")


async def test_duplicate_and_self_invitees_count_once(client: httpx.AsyncClient) -> None:
    """Listing a friend twice, or myself, still gives one membership each."""
    owner, (b,) = await _crew(client, 1)
    created = await client.post(
        "/api/groups", json={"name": "x", "members": [b.id, b.id, owner.id]}, headers=owner.headers
    )
    assert _roles(created.json()) == {owner.id: "owner", b.id: "member"}


async def test_groups_lists_mine_only(client: httpx.AsyncClient) -> None:
    """GET /api/groups lists the groups I belong to and no others."""
    owner, (b, c) = await _crew(client, 2)
    ours = await make_group(client, owner, [b], name="ours")
    await make_group(client, owner, [c], name="theirs")
    listed = (await client.get("/api/groups", headers=b.headers)).json()["groups"]
    assert [(g["id"], g["conv"]) for g in listed] == [(ours["id"], ours["conv"])]


async def test_group_is_visible_to_members_only(client: httpx.AsyncClient) -> None:
    """A member reads a group with its members; an outsider gets 403; no group is 404."""
    owner, (b, c) = await _crew(client, 2)
    group = await make_group(client, owner, [b])
    seen = await _group(client, b, group["id"])
    assert seen.status_code == 200
    assert set(_roles(seen.json())) == {owner.id, b.id}
    expect_error(await _group(client, c, group["id"]), 403, "not_member")
    expect_error(await _group(client, b, "01HZZZZZZZZZZZZZZZZZZZZZZZ"), 404, "group_not_found")


async def test_owner_and_admins_change_settings(client: httpx.AsyncClient) -> None:
    """The owner renames and mutes; a promoted admin sets the announcement; a member may not."""
    owner, (b, c) = await _crew(client, 2)
    group = await make_group(client, owner, [b, c])
    url = f"/api/groups/{group['id']}"
    renamed = await client.patch(url, json={"name": "new", "muted": True}, headers=owner.headers)
    assert (renamed.json()["name"], renamed.json()["muted"]) == ("new", True)

    await client.patch(f"{url}/members/{b.id}", json={"role": "admin"}, headers=owner.headers)
    told = await client.patch(url, json={"announcement": "hi all"}, headers=b.headers)
    assert told.json()["announcement"] == "hi all"
    expect_error(
        await client.patch(url, json={"name": "mine"}, headers=c.headers), 403, "not_admin"
    )
    assert (await _group(client, c, group["id"])).json()["name"] == "new"


async def test_settings_are_checked(client: httpx.AsyncClient) -> None:
    """An empty name or an announcement over 2000 characters is 422."""
    owner, (b,) = await _crew(client, 1)
    url = f"/api/groups/{(await make_group(client, owner, [b]))['id']}"
    expect_error(await client.patch(url, json={"name": ""}, headers=owner.headers), 422, "bad_name")
    long = await client.patch(url, json={"announcement": "a" * 2001}, headers=owner.headers)
    expect_error(long, 422, "too_long")


async def test_members_add_their_friends(client: httpx.AsyncClient) -> None:
    """A member adds their own friends; members already in are not added twice."""
    owner, (b, c) = await _crew(client, 2)
    group = await make_group(client, owner, [b])
    url = f"/api/groups/{group['id']}/members"
    added = await client.post(url, json={"user_ids": [c.id, b.id]}, headers=owner.headers)
    assert added.status_code == 200
    assert added.json()["added"] == [c.id]
    assert set(_roles((await _group(client, c, group["id"])).json())) == {owner.id, b.id, c.id}

    not_friends = await client.post(url, json={"user_ids": [owner.id]}, headers=c.headers)
    assert not_friends.json()["added"] == []
    d = await login(client)
    expect_error(
        await client.post(url, json={"user_ids": [d.id]}, headers=c.headers), 403, "not_friend"
    )


async def test_member_leaves(client: httpx.AsyncClient) -> None:
    """A member deleting themselves leaves the group and its conversation."""
    owner, (b, c) = await _crew(client, 2)
    group = await make_group(client, owner, [b, c])
    left = await client.delete(f"/api/groups/{group['id']}/members/{b.id}", headers=b.headers)
    assert left.status_code == 204
    expect_error(await _group(client, b, group["id"]), 403, "not_member")
    history = await client.get(f"/api/conversations/{group['conv']}/messages", headers=b.headers)
    expect_error(history, 403, "forbidden")
    assert (await client.get("/api/groups", headers=b.headers)).json()["groups"] == []


async def test_owner_kicks_and_must_transfer_before_leaving(client: httpx.AsyncClient) -> None:
    """The owner removes a member, but cannot leave while owning the group (409)."""
    owner, (b, c) = await _crew(client, 2)
    group = await make_group(client, owner, [b, c])
    url = f"/api/groups/{group['id']}/members"
    assert (await client.delete(f"{url}/{c.id}", headers=owner.headers)).status_code == 204
    assert set(_roles((await _group(client, b, group["id"])).json())) == {owner.id, b.id}
    expect_error(
        await client.delete(f"{url}/{owner.id}", headers=owner.headers), 409, "owner_must_transfer"
    )


async def test_removing_someone_not_in_the_group_is_404(client: httpx.AsyncClient) -> None:
    """Removing a user who is not a member is 404 not_member."""
    owner, (b, c) = await _crew(client, 2)
    group = await make_group(client, owner, [b])
    gone = await client.delete(f"/api/groups/{group['id']}/members/{c.id}", headers=owner.headers)
    expect_error(gone, 404, "not_member")


async def test_transferring_ownership(client: httpx.AsyncClient) -> None:
    """Making a member owner demotes the old owner to admin, who may then leave."""
    owner, (b,) = await _crew(client, 1)
    group = await make_group(client, owner, [b])
    url = f"/api/groups/{group['id']}/members"
    moved = await client.patch(f"{url}/{b.id}", json={"role": "owner"}, headers=owner.headers)
    assert moved.status_code == 200, moved.text
    assert moved.json()["owner"] == b.id
    assert _roles(moved.json()) == {owner.id: "admin", b.id: "owner"}

    expect_error(
        await client.patch(f"{url}/{owner.id}", json={"role": "member"}, headers=owner.headers),
        403,
        "not_owner",
    )
    assert (await client.delete(f"{url}/{owner.id}", headers=owner.headers)).status_code == 204


async def test_role_changes_are_checked(client: httpx.AsyncClient) -> None:
    """An unknown role is 422, my own role 422 self, and a non-member target 404."""
    owner, (b, c) = await _crew(client, 2)
    group = await make_group(client, owner, [b])
    url = f"/api/groups/{group['id']}/members"
    bad = await client.patch(f"{url}/{b.id}", json={"role": "king"}, headers=owner.headers)
    expect_error(bad, 422, "invalid")
    me = await client.patch(f"{url}/{owner.id}", json={"role": "member"}, headers=owner.headers)
    expect_error(me, 422, "self")
    out = await client.patch(f"{url}/{c.id}", json={"role": "admin"}, headers=owner.headers)
    expect_error(out, 404, "not_member")


async def test_member_limit_counts_the_owner(tmp_path: Path) -> None:
    """With ECHO_GROUP_MAX_MEMBERS=3 a group takes the owner and two more, no more."""
    limits = Limits(
        rate_ip=GENEROUS,
        rate_user=GENEROUS,
        rate_auth=GENEROUS,
        rate_send=GENEROUS,
        group_max_members=3,
    )
    settings = embedded_settings(tmp_path / "data", limits=limits)
    async with serve(settings) as server, httpx.AsyncClient(base_url=server.url) as client:
        owner, (b, c, d) = await _crew(client, 3)
        too_many = await client.post(
            "/api/groups", json={"name": "x", "members": [b.id, c.id, d.id]}, headers=owner.headers
        )
        expect_error(too_many, 409, "group_full")

        group = await make_group(client, owner, [b, c])
        url = f"/api/groups/{group['id']}/members"
        expect_error(
            await client.post(url, json={"user_ids": [d.id]}, headers=owner.headers),
            409,
            "group_full",
        )
        again = await client.post(url, json={"user_ids": [b.id]}, headers=owner.headers)
        assert again.status_code == 200, "re-adding a member takes no room"
        assert again.json()["added"] == []

        await client.delete(f"{url}/{c.id}", headers=owner.headers)
        added = await client.post(url, json={"user_ids": [d.id]}, headers=owner.headers)
        assert added.json()["added"] == [d.id]
