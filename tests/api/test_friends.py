"""Friend requests, friendships with remarks, and blocks, over HTTP."""

from __future__ import annotations

from typing import Any

import httpx

from tests.support.accounts import Account, befriend, login
from tests.support.checks import expect_error


async def _request(
    client: httpx.AsyncClient, sender: Account, recipient: Account, message: str = ""
) -> httpx.Response:
    return await client.post(
        "/api/friend-requests",
        json={"to": recipient.id, "message": message},
        headers=sender.headers,
    )


async def _answer(
    client: httpx.AsyncClient, account: Account, request_id: str, verb: str
) -> httpx.Response:
    return await client.post(f"/api/friend-requests/{request_id}/{verb}", headers=account.headers)


async def _friend_ids(client: httpx.AsyncClient, account: Account) -> set[str]:
    friends = (await client.get("/api/friends", headers=account.headers)).json()["friends"]
    return {f["user"]["id"] for f in friends}


async def _requests(client: httpx.AsyncClient, account: Account, direction: str) -> list[Any]:
    listed = await client.get(
        "/api/friend-requests", params={"direction": direction}, headers=account.headers
    )
    assert listed.status_code == 200, listed.text
    requests: list[Any] = listed.json()["requests"]
    return requests


async def test_request_is_created_pending(client: httpx.AsyncClient) -> None:
    """POST /api/friend-requests answers 201 with id, from, to, message and pending status."""
    a, b = await login(client), await login(client)
    sent = await _request(client, a, b, "hello")
    assert sent.status_code == 201
    body = sent.json()
    assert body["id"]
    assert (body["from"], body["to"], body["status"]) == (a.id, b.id, "pending")
    assert body["message"] == "hello"


async def test_requests_are_listed_by_direction(client: httpx.AsyncClient) -> None:
    """The recipient sees the request as incoming, the sender as outgoing."""
    a, b = await login(client), await login(client)
    request_id = (await _request(client, a, b)).json()["id"]
    assert [r["id"] for r in await _requests(client, b, "in")] == [request_id]
    assert [r["id"] for r in await _requests(client, a, "out")] == [request_id]
    assert await _requests(client, a, "in") == []
    assert await _requests(client, b, "out") == []


async def test_requests_default_to_incoming(client: httpx.AsyncClient) -> None:
    """Without direction, GET /api/friend-requests lists the requests I received."""
    a, b = await login(client), await login(client)
    request_id = (await _request(client, a, b)).json()["id"]
    listed = (await client.get("/api/friend-requests", headers=b.headers)).json()["requests"]
    assert [r["id"] for r in listed] == [request_id]


async def test_bad_direction_is_400(client: httpx.AsyncClient) -> None:
    """A direction other than in or out is 400 bad_query."""
    account = await login(client)
    listed = await client.get(
        "/api/friend-requests", params={"direction": "sideways"}, headers=account.headers
    )
    expect_error(listed, 400, "bad_query")


async def test_accept_makes_both_friends(client: httpx.AsyncClient) -> None:
    """Accepting a request puts each user in the other's friend list."""
    a, b = await login(client), await login(client)
    request_id = (await _request(client, a, b)).json()["id"]
    accepted = await _answer(client, b, request_id, "accept")
    assert accepted.status_code == 200
    assert accepted.json()["status"] == "accepted"
    assert await _friend_ids(client, a) == {b.id}
    assert await _friend_ids(client, b) == {a.id}


async def test_accepting_twice_is_idempotent(client: httpx.AsyncClient) -> None:
    """A second accept answers the same and leaves one friendship."""
    a, b = await login(client), await login(client)
    request_id = (await _request(client, a, b)).json()["id"]
    first = await _answer(client, b, request_id, "accept")
    second = await _answer(client, b, request_id, "accept")
    assert second.status_code == 200
    assert second.json() == first.json()
    friends = (await client.get("/api/friends", headers=a.headers)).json()["friends"]
    assert len(friends) == 1


async def test_only_the_recipient_answers(client: httpx.AsyncClient) -> None:
    """The sender may not accept or decline their own request (403)."""
    a, b = await login(client), await login(client)
    request_id = (await _request(client, a, b)).json()["id"]
    expect_error(await _answer(client, a, request_id, "accept"), 403, "forbidden")
    expect_error(await _answer(client, a, request_id, "decline"), 403, "forbidden")
    assert await _friend_ids(client, a) == set()


async def test_strangers_do_not_see_a_request(client: httpx.AsyncClient) -> None:
    """Someone outside a request gets 404 for it, as for one that does not exist."""
    a, b, c = await login(client), await login(client), await login(client)
    request_id = (await _request(client, a, b)).json()["id"]
    expect_error(await _answer(client, c, request_id, "accept"), 404, "request_not_found")
    expect_error(await _answer(client, c, "nope", "accept"), 404, "request_not_found")


async def test_decline_leaves_no_friendship(client: httpx.AsyncClient) -> None:
    """A declined request cannot be accepted later, and no one became friends."""
    a, b = await login(client), await login(client)
    request_id = (await _request(client, a, b)).json()["id"]
    declined = await _answer(client, b, request_id, "decline")
    assert declined.json()["status"] == "declined"
    expect_error(await _answer(client, b, request_id, "accept"), 409, "request_declined")
    assert await _friend_ids(client, b) == set()


async def test_decline_after_accept_is_409(client: httpx.AsyncClient) -> None:
    """An accepted request can no longer be declined."""
    a, b = await login(client), await login(client)
    request_id = (await _request(client, a, b)).json()["id"]
    await _answer(client, b, request_id, "accept")
    expect_error(await _answer(client, b, request_id, "decline"), 409, "request_accepted")


async def test_request_to_a_friend_is_409(client: httpx.AsyncClient) -> None:
    """Asking an existing friend, from either side, is 409 already_friends."""
    a, b = await login(client), await login(client)
    await befriend(client, a, b)
    expect_error(await _request(client, a, b), 409, "already_friends")
    expect_error(await _request(client, b, a), 409, "already_friends")


async def test_duplicate_pending_request_is_409(client: httpx.AsyncClient) -> None:
    """A second request while the first waits is 409 request_pending."""
    a, b = await login(client), await login(client)
    await _request(client, a, b)
    expect_error(await _request(client, a, b), 409, "request_pending")


async def test_crossing_requests_make_friends(client: httpx.AsyncClient) -> None:
    """Asking someone who already asked me accepts their request."""
    a, b = await login(client), await login(client)
    theirs = (await _request(client, a, b)).json()["id"]
    mine = await _request(client, b, a)
    assert mine.status_code == 201
    assert mine.json()["status"] == "accepted"
    assert await _friend_ids(client, a) == {b.id}
    statuses = {r["id"]: r["status"] for r in await _requests(client, a, "out")}
    assert statuses[theirs] == "accepted"


async def test_request_to_self_or_nobody_is_refused(client: httpx.AsyncClient) -> None:
    """A request to myself is 422 self; to an unknown user 404."""
    a = await login(client)
    expect_error(await _request(client, a, a), 422, "self")
    unknown = await client.post(
        "/api/friend-requests", json={"to": "01HZZZZZZZZZZZZZZZZZZZZZZZ"}, headers=a.headers
    )
    expect_error(unknown, 404, "user_not_found")


async def test_request_message_is_bounded(client: httpx.AsyncClient) -> None:
    """A request message over 200 characters is 422 too_long."""
    a, b = await login(client), await login(client)
    expect_error(await _request(client, a, b, "m" * 201), 422, "too_long")


async def test_blocked_user_cannot_send_a_request(client: httpx.AsyncClient) -> None:
    """Once b blocks a, a's request to b is 403 blocked; after unblocking it goes through."""
    a, b = await login(client), await login(client)
    blocked = await client.put(f"/api/blocks/{a.id}", headers=b.headers)
    assert blocked.status_code == 204
    expect_error(await _request(client, a, b), 403, "blocked")
    assert await _requests(client, b, "in") == []

    assert (await client.delete(f"/api/blocks/{a.id}", headers=b.headers)).status_code == 204
    assert (await _request(client, a, b)).status_code == 201


async def test_blocked_sender_cannot_be_accepted_while_blocked(client: httpx.AsyncClient) -> None:
    """A request that arrived before a block cannot be accepted until the unblock."""
    a, b = await login(client), await login(client)
    request_id = (await _request(client, a, b)).json()["id"]
    await client.put(f"/api/blocks/{a.id}", headers=b.headers)
    expect_error(await _answer(client, b, request_id, "accept"), 403, "blocked")


async def test_blocks_are_listed_and_idempotent(client: httpx.AsyncClient) -> None:
    """Blocking twice lists the user once, without the phone; unblocking empties the list."""
    a, b = await login(client), await login(client)
    for _ in range(2):
        assert (await client.put(f"/api/blocks/{a.id}", headers=b.headers)).status_code == 204
    listed = await client.get("/api/blocks", headers=b.headers)
    assert [u["id"] for u in listed.json()["blocked"]] == [a.id]
    assert a.phone not in listed.text
    await client.delete(f"/api/blocks/{a.id}", headers=b.headers)
    assert (await client.get("/api/blocks", headers=b.headers)).json()["blocked"] == []


async def test_block_self_or_nobody_is_refused(client: httpx.AsyncClient) -> None:
    """Blocking myself is 422 self; blocking an unknown user is 404."""
    a = await login(client)
    expect_error(await client.put(f"/api/blocks/{a.id}", headers=a.headers), 422, "self")
    unknown = await client.put("/api/blocks/01HZZZZZZZZZZZZZZZZZZZZZZZ", headers=a.headers)
    expect_error(unknown, 404, "user_not_found")


async def test_remark_is_mine_alone(client: httpx.AsyncClient) -> None:
    """A remark shows in my friend list, not in my friend's."""
    a, b = await login(client), await login(client)
    await befriend(client, a, b)
    set_remark = await client.patch(
        f"/api/friends/{b.id}", json={"remark": "Bee"}, headers=a.headers
    )
    assert set_remark.status_code == 200
    assert set_remark.json()["remark"] == "Bee"
    mine = (await client.get("/api/friends", headers=a.headers)).json()["friends"]
    theirs = (await client.get("/api/friends", headers=b.headers)).json()["friends"]
    assert [f["remark"] for f in mine] == ["Bee"]
    assert [f["remark"] for f in theirs] == [""]


async def test_remark_needs_a_friend_and_a_short_text(client: httpx.AsyncClient) -> None:
    """A remark for a non-friend is 404 not_friend; one over 40 characters is 422."""
    a, b, c = await login(client), await login(client), await login(client)
    await befriend(client, a, b)
    stranger = await client.patch(f"/api/friends/{c.id}", json={"remark": "x"}, headers=a.headers)
    expect_error(stranger, 404, "not_friend")
    long = await client.patch(f"/api/friends/{b.id}", json={"remark": "r" * 41}, headers=a.headers)
    expect_error(long, 422, "too_long")


async def test_unfriending_ends_it_for_both(client: httpx.AsyncClient) -> None:
    """DELETE /api/friends/{id} removes the friendship on both sides; again is 404."""
    a, b = await login(client), await login(client)
    await befriend(client, a, b)
    assert (await client.delete(f"/api/friends/{b.id}", headers=a.headers)).status_code == 204
    assert await _friend_ids(client, a) == set()
    assert await _friend_ids(client, b) == set()
    again = await client.delete(f"/api/friends/{b.id}", headers=a.headers)
    expect_error(again, 404, "not_friend")
    assert (await _request(client, b, a)).status_code == 201


async def test_friend_list_shows_public_profiles(client: httpx.AsyncClient) -> None:
    """The friend list carries each friend's public profile, never a phone."""
    a, b = await login(client), await login(client)
    await client.patch("/api/me", json={"nickname": "Bee"}, headers=b.headers)
    await befriend(client, a, b)
    listed = await client.get("/api/friends", headers=a.headers)
    assert [f["user"]["nickname"] for f in listed.json()["friends"]] == ["Bee"]
    assert b.phone not in listed.text
