"""Conversations over HTTP: sending with acknowledgements, history pages, the list, readers."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from echosphere.core.ids import ConvId, UserId
from tests.support.accounts import Account, befriend, login, make_group
from tests.support.checks import expect_error
from tests.support.server import RunningServer


def _direct(a: Account, b: Account) -> str:
    low, high = sorted((a.id, b.id))
    return f"d:{low}:{high}"


async def _send(
    client: httpx.AsyncClient,
    account: Account,
    conv: str,
    text: str = "hi",
    *,
    cid: str | None = None,
) -> httpx.Response:
    return await client.post(
        f"/api/conversations/{conv}/messages",
        json={"cid": cid or f"c-{text}", "kind": "text", "body": {"text": text}},
        headers=account.headers,
    )


async def _page(
    client: httpx.AsyncClient, account: Account, conv: str, **params: Any
) -> dict[str, Any]:
    answer = await client.get(
        f"/api/conversations/{conv}/messages", params=params, headers=account.headers
    )
    assert answer.status_code == 200, answer.text
    page: dict[str, Any] = answer.json()
    return page


async def _friends(client: httpx.AsyncClient) -> tuple[Account, Account, str]:
    a, b = await login(client), await login(client)
    await befriend(client, a, b)
    return a, b, _direct(a, b)


async def test_send_answers_201_with_the_ack(client: httpx.AsyncClient) -> None:
    """A sent message is acknowledged with its cid, conversation, seq, id and time."""
    a, _, conv = await _friends(client)
    sent = await _send(client, a, conv, cid="first")
    assert sent.status_code == 201
    ack = sent.json()
    assert (ack["cid"], ack["conv"], ack["seq"]) == ("first", conv, 1)
    assert ack["id"] and ack["ts"] > 0
    assert "op" not in ack


async def test_same_cid_is_stored_once(client: httpx.AsyncClient) -> None:
    """Re-sending a cid answers the same seq and id and stores one message."""
    a, _, conv = await _friends(client)
    first = (await _send(client, a, conv, "once", cid="retry-me")).json()
    again = await _send(client, a, conv, "once", cid="retry-me")
    assert again.status_code == 201
    assert (again.json()["seq"], again.json()["id"]) == (first["seq"], first["id"])
    assert len((await _page(client, a, conv))["messages"]) == 1


async def test_cid_reused_in_another_conversation_is_refused(client: httpx.AsyncClient) -> None:
    """A cid already used in one conversation cannot name a message in another."""
    a, _, conv = await _friends(client)
    c = await login(client)
    await befriend(client, a, c)
    await _send(client, a, conv, cid="mine")
    expect_error(await _send(client, a, _direct(a, c), cid="mine"), 422, "cid_reused")


async def test_history_pages_backwards_and_forwards(client: httpx.AsyncClient) -> None:
    """Messages page by before (newest first page) and after, in seq order."""
    a, b, conv = await _friends(client)
    for n in range(1, 6):
        await _send(client, a if n % 2 else b, conv, f"m{n}")

    newest = await _page(client, b, conv, limit=2)
    assert [m["seq"] for m in newest["messages"]] == [4, 5]
    assert newest["last_seq"] == 5
    older = await _page(client, b, conv, before=4, limit=2)
    assert [m["body"]["text"] for m in older["messages"]] == ["m2", "m3"]
    after = await _page(client, b, conv, after=3)
    assert [m["seq"] for m in after["messages"]] == [4, 5]
    assert after["messages"][0]["from"] == b.id


@pytest.mark.parametrize(
    "params",
    [
        pytest.param({"before": "x"}, id="before-not-integer"),
        pytest.param({"limit": "ten"}, id="limit-not-integer"),
        pytest.param({"after": str(2**70)}, id="after-past-64-bits"),
        pytest.param({"before": str(-(2**70))}, id="before-below-64-bits"),
    ],
)
async def test_bad_paging_query_is_400(client: httpx.AsyncClient, params: dict[str, str]) -> None:
    """A paging parameter that is not a 64-bit integer is 400 bad_query, not a crash."""
    a, _, conv = await _friends(client)
    answer = await client.get(
        f"/api/conversations/{conv}/messages", params=params, headers=a.headers
    )
    expect_error(answer, 400, "bad_query")


@pytest.mark.parametrize(
    "conv",
    [
        pytest.param("x:1", id="unknown-kind"),
        pytest.param("d:nope:alsonope", id="not-ids"),
        pytest.param("g:", id="empty-group"),
    ],
)
async def test_malformed_conversation_id_is_422(client: httpx.AsyncClient, conv: str) -> None:
    """A conversation id that is neither d:<a>:<b> nor g:<id> is 422 bad_conv."""
    a = await login(client)
    answer = await client.get(f"/api/conversations/{conv}/messages", headers=a.headers)
    expect_error(answer, 422, "bad_conv")


async def test_direct_id_must_be_sorted(client: httpx.AsyncClient) -> None:
    """d:<b>:<a> with the ids out of order is not the conversation's id (422)."""
    a, _, conv = await _friends(client)
    _, low, high = conv.split(":")
    expect_error(await _send(client, a, f"d:{high}:{low}"), 422, "bad_conv")


@pytest.mark.parametrize(
    ("kind", "body", "status", "code"),
    [
        pytest.param("text", {"text": "   "}, 400, "bad_body", id="blank-text"),
        pytest.param("text", {}, 400, "bad_body", id="no-text"),
        pytest.param("text", {"text": "x" * 4001}, 400, "too_long", id="text-too-long"),
        pytest.param("shout", {"text": "hi"}, 422, "bad_kind", id="unknown-kind"),
        pytest.param("location", {"lat": 91, "lon": 0}, 400, "bad_body", id="bad-location"),
    ],
)
async def test_bad_message_body_is_refused(
    client: httpx.AsyncClient, kind: str, body: dict[str, Any], status: int, code: str
) -> None:
    """A body that does not fit its kind is refused with a stable code."""
    a, _, conv = await _friends(client)
    sent = await client.post(
        f"/api/conversations/{conv}/messages",
        json={"cid": "bad", "kind": kind, "body": body},
        headers=a.headers,
    )
    expect_error(sent, status, code)


async def test_stranger_cannot_open_a_direct_chat(client: httpx.AsyncClient) -> None:
    """Sending to someone who is not a friend is 403 not_friend."""
    a, b = await login(client), await login(client)
    expect_error(await _send(client, a, _direct(a, b)), 403, "not_friend")


async def test_blocked_user_cannot_message(client: httpx.AsyncClient) -> None:
    """Once b blocks a, a's messages to b are 403 blocked; b can still write."""
    a, b, conv = await _friends(client)
    await client.put(f"/api/blocks/{a.id}", headers=b.headers)
    expect_error(await _send(client, a, conv, "hello?"), 403, "blocked")
    assert (await _send(client, b, conv, "bye")).status_code == 201


async def test_conversation_list_counts_unread(client: httpx.AsyncClient) -> None:
    """The list shows each conversation's last message and my unread count."""
    a, b, conv = await _friends(client)
    for text in ("one", "two"):
        await _send(client, a, conv, text)
    mine = (await client.get("/api/conversations", headers=b.headers)).json()["conversations"]
    assert [(c["conv"], c["last_seq"], c["unread"]) for c in mine] == [(conv, 2, 2)]
    assert mine[0]["last_message"]["body"] == {"text": "two"}
    sender = (await client.get("/api/conversations", headers=a.headers)).json()["conversations"]
    assert sender[0]["unread"] == 0


async def test_group_conversation_carries_member_messages(client: httpx.AsyncClient) -> None:
    """Members of a group send to g:<id> and each reads the others' messages."""
    a, b, _ = await _friends(client)
    group = await make_group(client, a, [b])
    await _send(client, a, group["conv"], "welcome")
    await _send(client, b, group["conv"], "thanks")
    page = await _page(client, b, group["conv"])
    assert [(m["from"], m["body"]["text"]) for m in page["messages"]] == [
        (a.id, "welcome"),
        (b.id, "thanks"),
    ]


async def test_new_member_sees_nothing_from_before_joining(client: httpx.AsyncClient) -> None:
    """A member added later reads the group's history from when they joined."""
    a, b, _ = await _friends(client)
    c = await login(client)
    await befriend(client, a, c)
    group = await make_group(client, a, [b])
    await _send(client, a, group["conv"], "before")
    await client.post(
        f"/api/groups/{group['id']}/members", json={"user_ids": [c.id]}, headers=a.headers
    )
    await _send(client, a, group["conv"], "after")
    page = await _page(client, c, group["conv"])
    assert [m["body"]["text"] for m in page["messages"]] == ["after"]


async def test_muted_group_lets_only_managers_speak(client: httpx.AsyncClient) -> None:
    """In a muted group members get 403 muted; the owner still sends."""
    a, b, _ = await _friends(client)
    group = await make_group(client, a, [b])
    await client.patch(f"/api/groups/{group['id']}", json={"muted": True}, headers=a.headers)
    expect_error(await _send(client, b, group["conv"]), 403, "muted")
    assert (await _send(client, a, group["conv"])).status_code == 201


async def test_readers_lists_who_read_a_message(
    server: RunningServer, client: httpx.AsyncClient
) -> None:
    """Readers of a seq are the members whose read mark reached it."""
    a, b, _ = await _friends(client)
    c = await login(client)
    await befriend(client, a, c)
    group = await make_group(client, a, [b, c])
    for text in ("one", "two"):
        await _send(client, a, group["conv"], text)
    store = server.platform.store
    await store.mark_read(ConvId(group["conv"]), UserId(b.id), 2)
    await store.mark_read(ConvId(group["conv"]), UserId(c.id), 1)

    url = f"/api/conversations/{group['conv']}/messages"
    first = await client.get(f"{url}/1/readers", headers=a.headers)
    assert set(first.json()["readers"]) == {b.id, c.id}
    second = await client.get(f"{url}/2/readers", headers=c.headers)
    assert second.json()["readers"] == [b.id]


@pytest.mark.parametrize(
    "seq",
    [
        pytest.param("0", id="zero"),
        pytest.param("-1", id="negative"),
        pytest.param("one", id="word"),
        pytest.param("%C2%B2", id="superscript-two"),
        pytest.param(str(2**70), id="past-64-bits"),
    ],
)
async def test_readers_need_a_positive_seq(client: httpx.AsyncClient, seq: str) -> None:
    """A seq that is not a positive 64-bit integer is 400 bad_seq, not a crash."""
    a, _, conv = await _friends(client)
    answer = await client.get(
        f"/api/conversations/{conv}/messages/{seq}/readers", headers=a.headers
    )
    expect_error(answer, 400, "bad_seq")
