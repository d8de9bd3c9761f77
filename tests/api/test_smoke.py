"""A first walk through the API against a real server."""

from __future__ import annotations

import httpx

from tests.support.accounts import befriend, login, make_group


async def test_login_friend_and_group(client: httpx.AsyncClient) -> None:
    """Three users log in, two befriend the third, and a group of three is made."""
    a, b, c = [await login(client) for _ in range(3)]
    await befriend(client, a, b)
    await befriend(client, a, c)
    group = await make_group(client, a, [b, c])
    assert group["conv"] == f"g:{group['id']}"
    assert {m["user"] for m in group["members"]} == {a.id, b.id, c.id}
