"""Group QR codes and join links, and resolving any scanned link in one call."""

from __future__ import annotations

import asyncio
import time
from urllib.parse import quote

import httpx
import png

from tests.support.accounts import Account, befriend, login, make_group
from tests.support.checks import expect_error
from tests.support.server import RunningServer


def _is_png(data: bytes) -> bool:
    width, height, _, _ = png.Reader(bytes=data).read()
    return width == height and width > 100


async def resolve(client: httpx.AsyncClient, account: Account, url: str) -> httpx.Response:
    return await client.get(
        f"/api/links/resolve?url={quote(url, safe='')}", headers=account.headers
    )


async def _group_and_link(client: httpx.AsyncClient) -> tuple[Account, dict[str, str], str]:
    owner, friend = await login(client), await login(client)
    await befriend(client, owner, friend)
    group = await make_group(client, owner, [friend], name="hikers")
    invite = await client.get(f"/api/groups/{group['id']}/invite", headers=friend.headers)
    assert invite.status_code == 200
    link: str = invite.json()["link"]
    assert link.startswith(f"echosphere://join/{group['id']}?t=")
    return owner, group, link


async def test_group_qr_for_members_only(client: httpx.AsyncClient) -> None:
    """Members get the group's join QR as a PNG; others get 403, unknown groups 404."""
    owner, stranger = await login(client), await login(client)
    group = await make_group(client, owner, [])
    qr = await client.get(f"/api/groups/{group['id']}/qr", headers=owner.headers)
    assert qr.status_code == 200 and qr.headers["content-type"] == "image/png"
    assert _is_png(qr.content)
    mine = await client.get("/api/me/qr", headers=owner.headers)
    assert mine.content != qr.content
    expect_error(
        await client.get(f"/api/groups/{group['id']}/qr", headers=stranger.headers),
        403,
        "not_member",
    )
    expect_error(
        await client.get("/api/groups/01ARZ3NDEKTSV4RRFFQ69G5FAV/qr", headers=owner.headers),
        404,
        "group_not_found",
    )


async def test_scan_a_join_link_then_join(client: httpx.AsyncClient) -> None:
    """A stranger resolves the link to the group, joins with its token (no friendship
    needed), and is then a member who can read the group; joining again is harmless."""
    _, group, link = await _group_and_link(client)
    newcomer = await login(client)
    resolved = await resolve(client, newcomer, link)
    assert resolved.status_code == 200, resolved.text
    body = resolved.json()
    assert body["kind"] == "group" and body["member"] is False
    assert body["group"] == {"id": group["id"], "name": "hikers", "members": 2}

    for _ in range(2):
        joined = await client.post(
            f"/api/groups/{group['id']}/join",
            json={"token": body["token"]},
            headers=newcomer.headers,
        )
        assert joined.status_code == 200, joined.text
    members = (await client.get(f"/api/groups/{group['id']}", headers=newcomer.headers)).json()
    assert len(members["members"]) == 3
    assert (await resolve(client, newcomer, link)).json()["member"] is True


async def test_forged_and_expired_join_links_fail(
    client: httpx.AsyncClient, server: RunningServer
) -> None:
    """A token for another group or altered is bad_link; after about a week, link_expired."""
    owner, group, link = await _group_and_link(client)
    other = await make_group(client, owner, [], name="other")
    token = link.partition("?t=")[2]
    newcomer = await login(client)
    forged = await client.post(
        f"/api/groups/{other['id']}/join", json={"token": token}, headers=newcomer.headers
    )
    expect_error(forged, 403, "bad_link")
    expect_error(await resolve(client, newcomer, link[:-2] + "xx"), 403, "bad_link")

    server.platform.clock = lambda: time.time() + 9 * 86400
    await asyncio.sleep(1.1)  # the interval between two login codes for one phone
    newcomer = await login(client, newcomer.phone)
    expect_error(await resolve(client, newcomer, link), 403, "link_expired")
    late = await client.post(
        f"/api/groups/{group['id']}/join", json={"token": token}, headers=newcomer.headers
    )
    expect_error(late, 403, "link_expired")


async def test_resolve_add_friend_links(client: httpx.AsyncClient) -> None:
    """echosphere://add/<handle or id> resolves to the user's public profile."""
    ada, bob = await login(client), await login(client)
    await client.patch("/api/me", json={"handle": "ada_l"}, headers=ada.headers)
    by_handle = (await resolve(client, bob, "echosphere://add/ada_l")).json()
    assert by_handle["kind"] == "user" and by_handle["user"]["id"] == ada.id
    assert by_handle["user"]["is_friend"] is False and "phone" not in by_handle["user"]
    by_id = (await resolve(client, bob, f"echosphere://add/{ada.id}")).json()
    assert by_id["user"]["handle"] == "ada_l"
    assert (await resolve(client, ada, "echosphere://add/ada_l")).json()["self"] is True
    expect_error(await resolve(client, bob, "echosphere://add/nobody_here"), 404, "user_not_found")
    expect_error(await resolve(client, bob, "https://evil.example/add/ada"), 422, "bad_link")
