"""Who may touch another user's data, a group or a conversation, route by route.

Every row runs against a fresh world of accounts around one ``owner``:

- ``admin``, ``member``, ``member2``: in the owner's group ``G`` (an admin and
  two plain members), all friends of the owner;
- ``friend``: the owner's friend, in no group (a non-member);
- ``stranger``: no relation to anyone; has a pending friend request to the owner;
- ``blocked``: blocked by the owner.

``G`` has a message at seq 1, so does the owner's chat with ``friend``
(``D``). ``Q`` is a muted group of the owner, ``admin`` (admin) and ``member``.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

import httpx
import pytest

from tests.support.accounts import Account, befriend, login, make_group
from tests.support.matrix import COLUMNS, World, check_row, row

TEXT = {"cid": "matrix", "kind": "text", "body": {"text": "hello"}}


def _direct(a: Account, b: Account) -> str:
    low, high = sorted((a.id, b.id))
    return f"d:{low}:{high}"


async def _build_world(client: httpx.AsyncClient) -> World:
    who = ("owner", "admin", "member", "member2", "friend", "stranger", "blocked")
    accounts = {name: await login(client, device=name) for name in who}
    owner = accounts["owner"]
    for name in ("admin", "member", "member2", "friend"):
        await befriend(client, owner, accounts[name])

    group = await make_group(client, owner, [accounts[n] for n in ("admin", "member", "member2")])
    muted = await make_group(client, owner, [accounts["admin"], accounts["member"]], name="quiet")
    for made in (group, muted):
        promoted = await client.patch(
            f"/api/groups/{made['id']}/members/{accounts['admin'].id}",
            json={"role": "admin"},
            headers=owner.headers,
        )
        assert promoted.status_code == 200, promoted.text
    await client.patch(f"/api/groups/{muted['id']}", json={"muted": True}, headers=owner.headers)

    request = await client.post(
        "/api/friend-requests", json={"to": owner.id}, headers=accounts["stranger"].headers
    )
    assert request.status_code == 201, request.text
    blocked = await client.put(f"/api/blocks/{accounts['blocked'].id}", headers=owner.headers)
    assert blocked.status_code == 204
    hidden = await client.patch(
        "/api/me", json={"discoverable_by_phone": False}, headers=owner.headers
    )
    assert hidden.status_code == 200

    direct = _direct(owner, accounts["friend"])
    for conv, cid in ((direct, "d1"), (group["conv"], "g1")):
        sent = await client.post(
            f"/api/conversations/{conv}/messages",
            json={**TEXT, "cid": cid},
            headers=owner.headers,
        )
        assert sent.status_code == 201, sent.text

    names = {name: account.id for name, account in accounts.items()}
    names.update(
        G=group["id"],
        G_conv=group["conv"],
        Q_conv=muted["conv"],
        D=direct,
        D_stranger=_direct(owner, accounts["stranger"]),
        D_blocked=_direct(owner, accounts["blocked"]),
        request=request.json()["id"],
        owner_device=owner.device,
        owner_phone=quote(owner.phone),
        friend_phone=quote(accounts["friend"].phone),
    )
    return World(accounts, names)


USERS = [
    row("profile/stranger-sees-public-profile", "stranger", "GET", "/api/users/{owner}", 200),
    row("profile/friend-sees-public-profile", "friend", "GET", "/api/users/{owner}", 200),
    row("profile/blocked-still-sees-public-profile", "blocked", "GET", "/api/users/{owner}", 200),
    row("find/self-by-hidden-phone", "owner", "GET", "/api/users?phone={owner_phone}", 200),
    row(
        "find/stranger-not-by-hidden-phone",
        "stranger",
        "GET",
        "/api/users?phone={owner_phone}",
        404,
        "user_not_found",
    ),
    row(
        "find/friend-not-by-hidden-phone",
        "friend",
        "GET",
        "/api/users?phone={owner_phone}",
        404,
        "user_not_found",
    ),
    row(
        "find/stranger-by-visible-phone", "stranger", "GET", "/api/users?phone={friend_phone}", 200
    ),
]

FRIENDS = [
    row(
        "request/to-stranger",
        "member",
        "POST",
        "/api/friend-requests",
        201,
        body={"to": "{stranger}"},
    ),
    row(
        "request/to-friend",
        "friend",
        "POST",
        "/api/friend-requests",
        409,
        "already_friends",
        body={"to": "{owner}"},
    ),
    row(
        "request/from-blocked",
        "blocked",
        "POST",
        "/api/friend-requests",
        403,
        "blocked",
        body={"to": "{owner}"},
    ),
    row(
        "request/to-self",
        "owner",
        "POST",
        "/api/friend-requests",
        422,
        "self",
        body={"to": "{owner}"},
    ),
    row("accept/recipient", "owner", "POST", "/api/friend-requests/{request}/accept", 200),
    row(
        "accept/sender",
        "stranger",
        "POST",
        "/api/friend-requests/{request}/accept",
        403,
        "forbidden",
    ),
    row(
        "accept/third-party",
        "member",
        "POST",
        "/api/friend-requests/{request}/accept",
        404,
        "request_not_found",
    ),
    row("decline/recipient", "owner", "POST", "/api/friend-requests/{request}/decline", 200),
    row(
        "decline/sender",
        "stranger",
        "POST",
        "/api/friend-requests/{request}/decline",
        403,
        "forbidden",
    ),
    row(
        "decline/third-party",
        "member",
        "POST",
        "/api/friend-requests/{request}/decline",
        404,
        "request_not_found",
    ),
    row("remark/of-friend", "owner", "PATCH", "/api/friends/{friend}", 200, body={"remark": "x"}),
    row(
        "remark/of-stranger",
        "owner",
        "PATCH",
        "/api/friends/{stranger}",
        404,
        "not_friend",
        body={"remark": "x"},
    ),
    row(
        "remark/stranger-on-owner",
        "stranger",
        "PATCH",
        "/api/friends/{owner}",
        404,
        "not_friend",
        body={"remark": "x"},
    ),
    row("unfriend/friend", "owner", "DELETE", "/api/friends/{friend}", 204),
    row("unfriend/stranger", "stranger", "DELETE", "/api/friends/{owner}", 404, "not_friend"),
    row("block/stranger-blocks-owner", "stranger", "PUT", "/api/blocks/{owner}", 204),
    row("block/self", "owner", "PUT", "/api/blocks/{owner}", 422, "self"),
    row("device/own", "owner", "DELETE", "/api/auth/devices/{owner_device}", 204),
    row(
        "device/someone-elses",
        "stranger",
        "DELETE",
        "/api/auth/devices/{owner_device}",
        404,
        "device_not_found",
    ),
]

GROUPS = [
    row("group-read/owner", "owner", "GET", "/api/groups/{G}", 200),
    row("group-read/admin", "admin", "GET", "/api/groups/{G}", 200),
    row("group-read/member", "member", "GET", "/api/groups/{G}", 200),
    row("group-read/non-member", "friend", "GET", "/api/groups/{G}", 403, "not_member"),
    row("group-read/stranger", "stranger", "GET", "/api/groups/{G}", 403, "not_member"),
    row("group-edit/owner", "owner", "PATCH", "/api/groups/{G}", 200, body={"name": "n"}),
    row("group-edit/admin", "admin", "PATCH", "/api/groups/{G}", 200, body={"name": "n"}),
    row(
        "group-edit/member",
        "member",
        "PATCH",
        "/api/groups/{G}",
        403,
        "not_admin",
        body={"name": "n"},
    ),
    row(
        "group-edit/non-member",
        "friend",
        "PATCH",
        "/api/groups/{G}",
        403,
        "not_member",
        body={"name": "n"},
    ),
    row(
        "group-add/owner-adds-own-friend",
        "owner",
        "POST",
        "/api/groups/{G}/members",
        200,
        body={"user_ids": ["{friend}"]},
    ),
    row(
        "group-add/admin-adds-non-friend",
        "admin",
        "POST",
        "/api/groups/{G}/members",
        403,
        "not_friend",
        body={"user_ids": ["{friend}"]},
    ),
    row(
        "group-add/non-member",
        "friend",
        "POST",
        "/api/groups/{G}/members",
        403,
        "not_member",
        body={"user_ids": ["{owner}"]},
    ),
    row("kick/owner-kicks-admin", "owner", "DELETE", "/api/groups/{G}/members/{admin}", 204),
    row("kick/owner-kicks-member", "owner", "DELETE", "/api/groups/{G}/members/{member}", 204),
    row("kick/admin-kicks-member", "admin", "DELETE", "/api/groups/{G}/members/{member}", 204),
    row(
        "kick/admin-kicks-owner",
        "admin",
        "DELETE",
        "/api/groups/{G}/members/{owner}",
        403,
        "not_admin",
    ),
    row(
        "kick/member-kicks-member",
        "member",
        "DELETE",
        "/api/groups/{G}/members/{member2}",
        403,
        "not_admin",
    ),
    row(
        "kick/member-kicks-admin",
        "member",
        "DELETE",
        "/api/groups/{G}/members/{admin}",
        403,
        "not_admin",
    ),
    row(
        "kick/member-kicks-owner",
        "member",
        "DELETE",
        "/api/groups/{G}/members/{owner}",
        403,
        "not_admin",
    ),
    row(
        "kick/non-member-kicks-member",
        "friend",
        "DELETE",
        "/api/groups/{G}/members/{member}",
        403,
        "not_member",
    ),
    row("leave/member", "member", "DELETE", "/api/groups/{G}/members/{member}", 204),
    row("leave/admin", "admin", "DELETE", "/api/groups/{G}/members/{admin}", 204),
    row(
        "leave/owner-must-transfer",
        "owner",
        "DELETE",
        "/api/groups/{G}/members/{owner}",
        409,
        "owner_must_transfer",
    ),
    row(
        "role/owner-promotes",
        "owner",
        "PATCH",
        "/api/groups/{G}/members/{member}",
        200,
        body={"role": "admin"},
    ),
    row(
        "role/owner-transfers",
        "owner",
        "PATCH",
        "/api/groups/{G}/members/{admin}",
        200,
        body={"role": "owner"},
    ),
    row(
        "role/admin-promotes",
        "admin",
        "PATCH",
        "/api/groups/{G}/members/{member}",
        403,
        "not_owner",
        body={"role": "admin"},
    ),
    row(
        "role/member-promotes-self",
        "member",
        "PATCH",
        "/api/groups/{G}/members/{member}",
        403,
        "not_owner",
        body={"role": "owner"},
    ),
    row(
        "role/non-member",
        "friend",
        "PATCH",
        "/api/groups/{G}/members/{member}",
        403,
        "not_member",
        body={"role": "admin"},
    ),
]

MESSAGES = "/api/conversations/{%s}/messages"

CONVERSATIONS = [
    row("direct-read/party", "friend", "GET", MESSAGES % "D", 200),
    row("direct-read/non-party", "stranger", "GET", MESSAGES % "D", 403, "forbidden"),
    row("direct-send/friend", "friend", "POST", MESSAGES % "D", 201, body=TEXT),
    row("direct-send/non-party", "member", "POST", MESSAGES % "D", 403, "forbidden", body=TEXT),
    row(
        "direct-send/stranger-opens-chat",
        "stranger",
        "POST",
        MESSAGES % "D_stranger",
        403,
        "not_friend",
        body=TEXT,
    ),
    row(
        "direct-send/blocked", "blocked", "POST", MESSAGES % "D_blocked", 403, "blocked", body=TEXT
    ),
    row("group-history/member", "member", "GET", MESSAGES % "G_conv", 200),
    row("group-history/non-member", "friend", "GET", MESSAGES % "G_conv", 403, "forbidden"),
    row("group-send/member", "member", "POST", MESSAGES % "G_conv", 201, body=TEXT),
    row(
        "group-send/non-member", "friend", "POST", MESSAGES % "G_conv", 403, "forbidden", body=TEXT
    ),
    row("muted-send/owner", "owner", "POST", MESSAGES % "Q_conv", 201, body=TEXT),
    row("muted-send/admin", "admin", "POST", MESSAGES % "Q_conv", 201, body=TEXT),
    row("muted-send/member", "member", "POST", MESSAGES % "Q_conv", 403, "muted", body=TEXT),
    row("readers/direct-party", "friend", "GET", MESSAGES % "D" + "/1/readers", 200),
    row(
        "readers/direct-non-party",
        "stranger",
        "GET",
        MESSAGES % "D" + "/1/readers",
        403,
        "forbidden",
    ),
    row("readers/group-member", "member", "GET", MESSAGES % "G_conv" + "/1/readers", 200),
    row(
        "readers/group-non-member",
        "friend",
        "GET",
        MESSAGES % "G_conv" + "/1/readers",
        403,
        "forbidden",
    ),
]


@pytest.mark.parametrize(
    COLUMNS,
    [*USERS, *FRIENDS, *GROUPS, *CONVERSATIONS],
)
async def test_authorization(
    client: httpx.AsyncClient,
    actor: str,
    method: str,
    path: str,
    body: dict[str, Any] | None,
    status: int,
    code: str | None,
) -> None:
    """The actor gets the row's status and code, and never sees the owner's phone."""
    world = await _build_world(client)
    await check_row(
        client,
        world,
        actor=actor,
        method=method,
        path=path,
        body=body,
        status=status,
        code=code,
    )
