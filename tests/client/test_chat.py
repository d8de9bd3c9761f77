"""Chatting through the SDK against a real embedded server."""

from __future__ import annotations

import asyncio

import httpx
import pytest

from echosphere.client import (
    ChatError,
    Connected,
    Recalled,
    Receipt,
    Synced,
    Typing,
)
from tests.client.conftest import Opener, direct, sign_up
from tests.support.accounts import befriend
from tests.support.server import RunningServer


async def test_two_users_chat_both_ways(
    server: RunningServer, http: httpx.AsyncClient, open_chat: Opener
) -> None:
    """Alice and Bob take turns; acks and deliveries share one gapless seq."""
    alice, bob = await sign_up(server), await sign_up(server)
    await befriend(http, alice.account, bob.account)
    conv = direct(alice, bob)
    a, b = await open_chat(alice), await open_chat(bob)

    acks = []
    for turn in range(10):
        sender = a if turn % 2 == 0 else b
        acks.append(await sender.client.send(conv, f"turn {turn}"))

    assert [ack.seq for ack in acks] == list(range(1, 11))
    assert len({ack.id for ack in acks}) == 10
    await a.until(lambda: len(a.messages(conv)) == 5)
    await b.until(lambda: len(b.messages(conv)) == 5)
    assert a.seqs(conv) == [2, 4, 6, 8, 10]
    assert b.seqs(conv) == [1, 3, 5, 7, 9]
    assert [m.body["text"] for m in b.messages(conv)] == [f"turn {t}" for t in range(0, 10, 2)]
    assert {m.sender for m in a.messages(conv)} == {bob.id}
    assert a.client.cursors.get(conv) == 10 == b.client.cursors.get(conv)


async def test_connect_reports_state_and_sync(server: RunningServer, open_chat: Opener) -> None:
    """Connecting yields Connected, then Synced once the catch-up is done."""
    alice = await sign_up(server)
    a = await open_chat(alice)
    await a.until(lambda: a.synced() == 1)
    connected, synced = a.events[0], a.events[1]
    assert isinstance(connected, Connected) and connected.user == alice.id
    assert connected.device == alice.session.device
    assert isinstance(synced, Synced)
    assert await a.client.ping() < 5


async def test_own_messages_reach_my_other_device(
    server: RunningServer, http: httpx.AsyncClient, open_chat: Opener
) -> None:
    """A message sent from one device arrives on the sender's second device, not the first."""
    alice = await sign_up(server, device="phone")
    alice_laptop = await sign_up(server, alice.phone, device="laptop")
    bob = await sign_up(server)
    assert alice_laptop.id == alice.id and alice_laptop.session.device != alice.session.device
    await befriend(http, alice.account, bob.account)
    conv = direct(alice, bob)
    phone, laptop, b = (
        await open_chat(alice),
        await open_chat(alice_laptop),
        await open_chat(bob),
    )

    ack = await phone.client.send(conv, "from my phone")

    await laptop.until(lambda: len(laptop.messages(conv)) == 1)
    await b.until(lambda: len(b.messages(conv)) == 1)
    echoed = laptop.messages(conv)[0]
    assert (echoed.seq, echoed.id, echoed.cid, echoed.sender) == (
        ack.seq,
        ack.id,
        ack.cid,
        alice.id,
    )
    await phone.quiet()
    assert phone.messages(conv) == []
    assert phone.client.cursors.get(conv) == 1


async def test_receipts_typing_history_and_recall(
    server: RunningServer, http: httpx.AsyncClient, open_chat: Opener
) -> None:
    """The helper requests work and their notices reach the other side."""
    alice, bob = await sign_up(server), await sign_up(server)
    await befriend(http, alice.account, bob.account)
    conv = direct(alice, bob)
    a, b = await open_chat(alice), await open_chat(bob)
    for n in range(5):
        await a.client.send(conv, f"m{n}")
    await b.until(lambda: len(b.messages(conv)) == 5)

    await b.client.received(conv, 5)
    await b.client.read(conv, 4)
    await b.client.typing(conv)
    await a.until(lambda: len(a.of(Receipt)) == 2 and len(a.of(Typing)) == 1)
    delivered, read = a.of(Receipt)
    assert (delivered.kind, delivered.seq, delivered.device) == ("delivered", 5, bob.session.device)
    assert (read.kind, read.seq, read.user) == ("read", 4, bob.id)
    assert a.of(Typing)[0].user == bob.id

    page = await b.client.history(conv, limit=3)
    assert [m.seq for m in page] == [3, 4, 5]
    older = await b.client.history(conv, before=3, limit=10)
    assert [m.body["text"] for m in older] == ["m0", "m1"]

    await a.client.recall(conv, 2)
    await b.until(lambda: len(b.of(Recalled)) == 1)
    recalled = b.of(Recalled)[0]
    assert (recalled.conv, recalled.seq, recalled.by) == (conv, 2, alice.id)
    assert (await b.client.history(conv, before=3, limit=1))[0].recalled


async def test_refusals_raise_chat_errors(
    server: RunningServer, http: httpx.AsyncClient, open_chat: Opener
) -> None:
    """Refused sends and requests raise ChatError with the server's code."""
    alice, bob, carol = await sign_up(server), await sign_up(server), await sign_up(server)
    stranger = await sign_up(server)
    await befriend(http, alice.account, bob.account)
    await befriend(http, alice.account, carol.account)
    a = await open_chat(alice)
    b = await open_chat(bob)
    conv = direct(alice, bob)
    ack = await a.client.send(conv, "hi")

    with pytest.raises(ChatError) as refused:
        await a.client.send(direct(alice, stranger), "hello?")
    assert refused.value.code == "not_friend"
    with pytest.raises(ChatError) as bad_conv:
        await a.client.history("nonsense")
    assert bad_conv.value.code == "bad_conv"
    with pytest.raises(ChatError) as recall:
        await b.client.recall(conv, ack.seq)
    assert recall.value.code == "recall_refused"
    with pytest.raises(ChatError) as reused:
        await a.client.send(direct(alice, carol), "other conv, same cid", cid=ack.cid)
    assert reused.value.code == "cid_reused"

    # The link is still good, and answers still line up with their requests.
    results = await asyncio.gather(
        a.client.history(conv), a.client.read(conv, 1), a.client.ping(), return_exceptions=True
    )
    assert [m.seq for m in results[0]] == [1]  # type: ignore[union-attr]
    assert results[1] is None
