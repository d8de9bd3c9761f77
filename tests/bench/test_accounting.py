"""The bench's ledger counts loss, duplicates and disorder that are injected on purpose."""

from __future__ import annotations

import math

import pytest

from echosphere.bench.accounting import Latency, Ledger, body_text, key_of, percentile


def _run(
    arrivals: list[tuple[int, tuple[int, int], int]], *, sends: int = 3, acked: bool = True
) -> Ledger:
    """Sender 0 sends ``sends`` messages to recipient 1 at t=0..; arrivals are given."""
    ledger = Ledger()
    for n in range(sends):
        ledger.record_send((0, n), conv="c", recipients=(1,), at=float(n))
        if acked:
            ledger.record_ack((0, n), seq=n + 1, at=n + 0.001)
    for recipient, key, seq in arrivals:
        ledger.record_arrival(recipient, key, conv="c", seq=seq, at=key[1] + 0.010)
    return ledger


def test_a_clean_run_adds_up() -> None:
    """Every message arrives once and in order: all delivered, nothing else counted."""
    tally = _run([(1, (0, n), n + 1) for n in range(3)]).tally()
    assert (tally.sent, tally.acked, tally.expected, tally.delivered) == (3, 3, 3, 3)
    assert (tally.lost, tally.duplicates, tally.out_of_order, tally.unexpected) == (0, 0, 0, 0)
    assert tally.latency.count == 3
    assert tally.latency.p50 == pytest.approx(10.0)
    assert tally.ack_latency.max == pytest.approx(1.0)


def test_a_missing_arrival_is_lost() -> None:
    """An acknowledged message that never arrives is lost, and named."""
    ledger = _run([(1, (0, 0), 1), (1, (0, 2), 3)])
    tally = ledger.tally()
    assert tally.lost == 1
    assert tally.lost_keys == ((1, (0, 1)),)
    assert ledger.outstanding() == 1


def test_an_unacknowledged_message_is_not_lost() -> None:
    """A send that was never acknowledged owes nobody anything."""
    tally = _run([], sends=2, acked=False).tally()
    assert (tally.sent, tally.acked, tally.expected, tally.lost) == (2, 0, 0, 0)


def test_a_second_arrival_is_a_duplicate() -> None:
    """The same message reaching the same recipient twice counts once, plus a duplicate."""
    tally = _run([(1, (0, 0), 1), (1, (0, 1), 2), (1, (0, 1), 2), (1, (0, 2), 3)]).tally()
    assert (tally.delivered, tally.duplicates, tally.lost) == (3, 1, 0)


def test_a_lower_seq_after_a_higher_one_is_out_of_order() -> None:
    """Within a conversation, a seq below one already seen is out of order."""
    tally = _run([(1, (0, 0), 1), (1, (0, 2), 3), (1, (0, 1), 2)]).tally()
    assert (tally.delivered, tally.out_of_order, tally.lost) == (3, 1, 0)


def test_strangers_and_unknown_messages_are_unexpected() -> None:
    """Arrivals at a recipient not addressed, or of a message never sent, are unexpected."""
    ledger = _run([(1, (0, n), n + 1) for n in range(3)])
    ledger.record_arrival(2, (0, 0), conv="c", seq=1, at=1.0)
    ledger.record_arrival(1, (9, 9), conv="c", seq=9, at=1.0)
    ledger.record_arrival(1, None, conv="c", seq=9, at=1.0)
    tally = ledger.tally()
    assert (tally.unexpected, tally.delivered) == (3, 3)


def test_an_arrival_before_its_ack_is_settled_by_the_ack() -> None:
    """A message may arrive before the sender's ack: it is then owed and paid at once."""
    ledger = Ledger()
    ledger.record_send((0, 0), conv="c", recipients=(1, 2), at=0.0)
    ledger.record_arrival(1, (0, 0), conv="c", seq=1, at=0.01)
    assert ledger.outstanding() == 0
    ledger.record_ack((0, 0), seq=1, at=0.02)
    assert (ledger.expected(), ledger.outstanding()) == (2, 1)
    ledger.record_arrival(2, (0, 0), conv="c", seq=1, at=0.03)
    assert ledger.outstanding() == 0


def test_percentiles_are_nearest_rank() -> None:
    """p50 of 1..100 is 50, p99 is 99; an empty sample gives NaN."""
    sample = [float(n) for n in range(1, 101)]
    assert (percentile(sample, 50), percentile(sample, 99), percentile(sample, 100)) == (
        50.0,
        99.0,
        100.0,
    )
    assert math.isnan(Latency.of([]).p99)


def test_bodies_carry_their_key() -> None:
    """A body names its key, padded or not; other texts have none."""
    assert key_of(body_text((3, 41))) == (3, 41)
    padded = body_text((3, 41), padding=200)
    assert len(padded) == 200
    assert key_of(padded) == (3, 41)
    assert key_of("hello") is None
