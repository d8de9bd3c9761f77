"""The sequencer alone: order, duplicates, gaps, holes and our own sends."""

from __future__ import annotations

from echosphere.client.ordering import Sequencer, Step
from echosphere.core.ids import ConvId, MessageId, UserId
from echosphere.core.models import Message, MessageKind

CONV = "d:A:B"


def msg(seq: int, conv: str = CONV) -> Message:
    return Message(
        conv=ConvId(conv),
        seq=seq,
        id=MessageId(f"m{seq}"),
        sender=UserId("A"),
        cid=f"c{seq}",
        kind=MessageKind.TEXT,
        body={"text": str(seq)},
        ts=seq,
    )


def handed(steps: list[Step]) -> list[int]:
    return [s.seq for s in steps if s.message is not None]


def test_in_order_messages_pass_and_duplicates_do_not() -> None:
    """Consecutive seqs are released at once; a seq seen before is dropped."""
    order = Sequencer({CONV: 2})
    assert handed(order.offer(msg(2))) == []
    assert handed(order.offer(msg(3))) == [3]
    assert handed(order.offer(msg(4))) == [4]
    assert handed(order.offer(msg(3))) == []
    assert order.positions() == {CONV: 4}
    assert not order.gapped()


def test_a_gap_holds_what_follows_until_filled() -> None:
    """Past a gap nothing is released; the missing seq releases the run behind it."""
    order = Sequencer({})
    assert handed(order.offer(msg(1))) == [1]
    assert handed(order.offer(msg(3))) == []
    assert handed(order.offer(msg(4))) == []
    assert order.gapped()
    assert handed(order.offer(msg(2))) == [2, 3, 4]
    assert not order.gapped()


def test_completion_steps_over_holes() -> None:
    """A synced range releases what is held and moves past seqs that never existed."""
    order = Sequencer({CONV: 1, "g:G": 0})
    order.offer(msg(4))
    order.offer(msg(6))
    steps = order.complete({CONV: 7, "g:G": 3})
    assert [(s.conv, s.seq, s.message is not None) for s in steps] == [
        (CONV, 4, True),
        (CONV, 6, True),
        (CONV, 7, False),
        ("g:G", 3, False),
    ]
    assert order.positions() == {CONV: 7, "g:G": 3}
    assert not order.gapped()


def test_own_sends_take_their_seq_silently() -> None:
    """An ack advances past our own message without handing anything out, even after reset."""
    order = Sequencer({CONV: 0})
    assert order.own(CONV, 2) == []
    order.reset({CONV: 0})
    assert handed(order.offer(msg(1))) == [1]
    assert order.positions() == {CONV: 2}
    assert handed(order.offer(msg(2))) == []  # the replay of our own message
    assert handed(order.offer(msg(3))) == [3]


def test_a_full_buffer_lets_the_newest_go_and_asks_again() -> None:
    """Past the limit the newest held messages go; completion stops below them; syncs go on."""
    order = Sequencer({CONV: 0}, limit=3)
    for seq in range(2, 7):
        order.offer(msg(seq))
    assert handed(order.complete({CONV: 6})) == [2, 3, 4]
    assert order.positions() == {CONV: 4}
    assert order.gapped()
    assert handed(order.offer(msg(5))) == [5]
    assert handed(order.offer(msg(6))) == [6]
    assert order.complete({}) == []
    assert not order.gapped()


def test_a_gap_the_node_stops_answering_for_is_given_up() -> None:
    """When syncs keep leaving a gapped conversation out, what is held is let through."""
    order = Sequencer({CONV: 1})
    order.offer(msg(3))
    assert order.complete({}) == []
    assert order.complete({"g:G": 2}) == [Step("g:G", 2, None)]
    assert handed(order.complete({})) == [3]
    assert not order.gapped()
