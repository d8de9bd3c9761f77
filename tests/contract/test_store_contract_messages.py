"""The Store contract for messages and conversations, run against every adapter.

The promises that matter most for chat: seqs grow by exactly one per stored
message however many tasks or processes append, a retried ``cid`` is stored
once, and a member who joins late never sees the history before joining.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

from echosphere.core.ids import ConvId, GroupId, MessageId, UserId, direct_conv, group_conv, new_id
from echosphere.core.models import MessageDraft, MessageKind
from echosphere.core.ports import Store

OpenStore = Callable[[], Awaitable[Store]]


def uid() -> UserId:
    return UserId(new_id())


def pair() -> tuple[UserId, UserId, ConvId]:
    a, b = uid(), uid()
    return a, b, direct_conv(a, b)


def draft(
    conv: ConvId,
    sender: UserId,
    *,
    cid: str | None = None,
    ts: int = 1_000,
    body: dict[str, Any] | None = None,
    members: tuple[UserId, ...] = (),
) -> MessageDraft:
    return MessageDraft(
        conv=conv,
        id=MessageId(new_id()),
        sender=sender,
        cid=cid or new_id(),
        kind=MessageKind.TEXT,
        body={"text": "hi"} if body is None else body,
        ts=ts,
        members=members,
    )


async def send_many(store: Store, conv: ConvId, sender: UserId, count: int) -> list[int]:
    seqs = []
    for i in range(count):
        message, _ = await store.append_message(draft(conv, sender, ts=1_000 + i))
        seqs.append(message.seq)
    return seqs


# Appending.


async def test_seqs_grow_by_exactly_one(store: Store) -> None:
    """Each stored message takes the next seq, starting at 1."""
    a, _, conv = pair()
    assert await store.last_seq(conv) == 0
    assert await send_many(store, conv, a, 5) == [1, 2, 3, 4, 5]
    assert await store.last_seq(conv) == 5


async def test_seqs_are_per_conversation(store: Store) -> None:
    """Two conversations count independently."""
    a, _, one = pair()
    two = group_conv(new_id())
    await send_many(store, one, a, 3)
    assert await send_many(store, two, a, 2) == [1, 2]
    assert await store.last_seq(one) == 3


async def test_append_round_trip(store: Store) -> None:
    """The stored message carries the draft's fields and reads back equal."""
    a, _, conv = pair()
    body = {"text": "héllo", "mentions": ["x"], "n": 1.5, "nested": {"ok": True}}
    d = draft(conv, a, body=body, ts=1_700_000_000_123)
    message, created = await store.append_message(d)
    assert created
    assert (message.conv, message.id, message.sender, message.cid) == (d.conv, d.id, a, d.cid)
    assert (message.kind, message.body, message.ts) == (MessageKind.TEXT, body, d.ts)
    assert message.recalled is False
    assert await store.get_message(conv, message.seq) == message
    assert await store.get_message(conv, 99) is None


async def test_same_cid_is_stored_once(store: Store) -> None:
    """A retried cid returns the first message with False and stores nothing new."""
    a, _, conv = pair()
    first, created = await store.append_message(draft(conv, a, cid="c1"))
    again, created_again = await store.append_message(draft(conv, a, cid="c1", body={}))
    assert created
    assert not created_again
    assert again == first
    assert await store.last_seq(conv) == 1
    assert len(await store.messages_after(conv, 0, 10)) == 1
    nxt, _ = await store.append_message(draft(conv, a, cid="c2"))
    assert nxt.seq == 2


async def test_cid_is_per_sender(store: Store) -> None:
    """Two senders may use the same cid."""
    a, b, conv = pair()
    one, _ = await store.append_message(draft(conv, a, cid="same"))
    two, created = await store.append_message(draft(conv, b, cid="same"))
    assert created
    assert (one.seq, two.seq) == (1, 2)


async def test_concurrent_appends_are_continuous(store: Store) -> None:
    """Fifty concurrent appends to one conversation get seqs 1..50 exactly."""
    a, _, conv = pair()
    results = await asyncio.gather(*(store.append_message(draft(conv, a)) for _ in range(50)))
    assert sorted(message.seq for message, _ in results) == list(range(1, 51))
    assert all(created for _, created in results)
    assert await store.last_seq(conv) == 50


async def test_concurrent_retries_of_one_cid(store: Store) -> None:
    """Concurrent sends of one cid store a single message, and all of them return it.

    Which seq it gets is not promised here: in cluster mode the losers of
    the race may have taken seqs that stay unused (see the SQLite tests for
    the embedded promise of no holes).
    """
    a, _, conv = pair()
    results = await asyncio.gather(
        *(store.append_message(draft(conv, a, cid="dup")) for _ in range(10))
    )
    assert [created for _, created in results].count(True) == 1
    stored = await store.messages_after(conv, 0, 20)
    assert [message for message, _ in results] == stored * 10


async def test_two_instances_append_continuously(store: Store, open_store: OpenStore) -> None:
    """Two stores on the same storage (two processes) never share or skip a seq."""
    other = await open_store()
    a, b, conv = pair()
    sends = [
        (store if i % 2 else other).append_message(draft(conv, a if i % 2 else b))
        for i in range(40)
    ]
    results = await asyncio.gather(*sends)
    assert sorted(message.seq for message, _ in results) == list(range(1, 41))
    assert await store.last_seq(conv) == 40
    assert await other.last_seq(conv) == 40


async def test_restart_keeps_data(store: Store, open_store: OpenStore) -> None:
    """Messages written before close are there, and seqs go on, after reopening."""
    a, b, conv = pair()
    await send_many(store, conv, a, 3)
    await store.close()

    reopened = await open_store()
    assert [m.seq for m in await reopened.messages_after(conv, 0, 10)] == [1, 2, 3]
    message, created = await reopened.append_message(draft(conv, b))
    assert (message.seq, created) == (4, True)


# Paging and recall.


async def test_messages_after_pages_forward(store: Store) -> None:
    """messages_after returns up to limit messages above a seq, ascending."""
    a, _, conv = pair()
    await send_many(store, conv, a, 7)
    assert [m.seq for m in await store.messages_after(conv, 0, 3)] == [1, 2, 3]
    assert [m.seq for m in await store.messages_after(conv, 3, 3)] == [4, 5, 6]
    assert [m.seq for m in await store.messages_after(conv, 6, 3)] == [7]
    assert await store.messages_after(conv, 7, 3) == []
    assert await store.messages_after(ConvId("g:none"), 0, 3) == []


async def test_messages_before_pages_backward(store: Store) -> None:
    """messages_before takes the newest below a seq and returns them ascending."""
    a, _, conv = pair()
    await send_many(store, conv, a, 7)
    assert [m.seq for m in await store.messages_before(conv, 8, 3)] == [5, 6, 7]
    assert [m.seq for m in await store.messages_before(conv, 5, 3)] == [2, 3, 4]
    assert [m.seq for m in await store.messages_before(conv, 2, 3)] == [1]
    assert await store.messages_before(conv, 1, 3) == []


async def test_recall_leaves_a_tombstone(store: Store) -> None:
    """A recalled message keeps its seq, loses its body and is marked recalled."""
    a, _, conv = pair()
    message, _ = await store.append_message(draft(conv, a, body={"text": "oops"}))
    recalled = await store.recall_message(conv, message.seq)
    assert recalled is not None
    assert (recalled.seq, recalled.id, recalled.recalled, recalled.body) == (
        message.seq,
        message.id,
        True,
        {},
    )
    assert await store.get_message(conv, message.seq) == recalled
    assert await store.recall_message(conv, 42) is None
    assert await store.last_seq(conv) == 1


# Membership.


async def test_append_enrols_draft_members(store: Store) -> None:
    """The members of a first message are enrolled from the start, once."""
    a, b, conv = pair()
    await store.append_message(draft(conv, a, members=(a, b)))
    await store.append_message(draft(conv, b, members=(a, b)))
    assert await store.conversations_of(a) == {conv: 0}
    assert await store.conversations_of(b) == {conv: 0}
    assert await store.is_party(conv, b)
    assert not await store.is_party(conv, uid())


async def test_join_hides_earlier_history(store: Store) -> None:
    """A late joiner's state counts and shows only messages after joining."""
    owner, late = uid(), uid()
    conv = group_conv(GroupId(new_id()))
    await store.join_conversation(conv, [owner])
    await send_many(store, conv, owner, 3)
    await store.join_conversation(conv, [late])

    assert await store.conversations_of(late) == {conv: 3}
    [state] = await store.conversation_states(late)
    assert (state.last_seq, state.joined_seq, state.unread, state.last_message) == (3, 3, 0, None)

    message, _ = await store.append_message(draft(conv, owner))
    [state] = await store.conversation_states(late)
    assert state.unread == 1
    assert state.last_message == message


async def test_join_skips_enrolled_users(store: Store) -> None:
    """Joining again keeps the original joined seq."""
    a, b = uid(), uid()
    conv = group_conv(GroupId(new_id()))
    await store.join_conversation(conv, [a])
    await send_many(store, conv, a, 2)
    await store.join_conversation(conv, [a, b])
    assert await store.conversations_of(a) == {conv: 0}
    assert await store.conversations_of(b) == {conv: 2}
    await store.join_conversation(conv, [])


async def test_leave_conversation(store: Store) -> None:
    """A user who leaves is no longer a party and has no state for it."""
    a, b, conv = pair()
    await store.append_message(draft(conv, a, members=(a, b)))
    await store.leave_conversation(conv, b)
    assert not await store.is_party(conv, b)
    assert await store.conversations_of(b) == {}
    assert await store.conversation_states(b) == []
    assert await store.is_party(conv, a)


# Read marks and states.


async def test_unread_counts_others_live_messages(store: Store) -> None:
    """Unread counts messages after the read mark, not one's own, not recalled."""
    a, b, conv = pair()
    await store.append_message(draft(conv, a, members=(a, b)))
    await send_many(store, conv, b, 1)
    await send_many(store, conv, a, 3)
    await store.recall_message(conv, 5)

    [state_b] = await store.conversation_states(b)
    assert (state_b.last_seq, state_b.read_seq, state_b.unread) == (5, 0, 3)
    [state_a] = await store.conversation_states(a)
    assert state_a.unread == 1

    await store.mark_read(conv, b, 3)
    [state_b] = await store.conversation_states(b)
    assert (state_b.read_seq, state_b.unread) == (3, 1)


async def test_mark_read_never_lowers_and_is_capped(store: Store) -> None:
    """The read mark only rises, stops at the last seq, and is 0 for outsiders."""
    a, b, conv = pair()
    await store.append_message(draft(conv, a, members=(a, b)))
    await send_many(store, conv, a, 4)
    assert await store.mark_read(conv, b, 3) == 3
    assert await store.mark_read(conv, b, 2) == 3
    assert await store.mark_read(conv, b, 100) == 5
    assert await store.mark_read(conv, uid(), 2) == 0
    [state] = await store.conversation_states(b)
    assert state.read_seq == 5


async def test_readers(store: Store) -> None:
    """readers lists the users whose read mark reached a seq."""
    a, b, conv = pair()
    await store.append_message(draft(conv, a, members=(a, b)))
    await send_many(store, conv, a, 2)
    await store.mark_read(conv, a, 3)
    await store.mark_read(conv, b, 2)
    assert sorted(await store.readers(conv, 2)) == sorted([a, b])
    assert await store.readers(conv, 3) == [a]
    assert await store.readers(conv, 4) == []


async def test_states_ordered_by_last_message(store: Store) -> None:
    """States come newest last message first; conversations without one last."""
    me = uid()
    quiet, old, new = (group_conv(GroupId(new_id())) for _ in range(3))
    await store.join_conversation(quiet, [me])
    await store.append_message(draft(old, me, ts=100, members=(me,)))
    await store.append_message(draft(new, me, ts=200, members=(me,)))
    last_old, _ = await store.append_message(draft(old, me, ts=300))

    states = await store.conversation_states(me)
    assert [s.conv for s in states] == [old, new, quiet]
    assert states[0].last_message == last_old
    assert states[2].last_message is None
    assert states[2].last_seq == 0
    assert await store.conversation_states(uid()) == []
