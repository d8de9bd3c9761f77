"""The bench's driver, against a fake link that loses, repeats and reorders on purpose."""

from __future__ import annotations

import itertools

from echosphere.bench import driver
from echosphere.bench.accounting import Ledger, key_of
from echosphere.bench.driver import Pace, Sender


async def test_faults_on_the_way_are_counted() -> None:
    """Message 2 dropped, 4 delivered twice, 6 held back behind 7: one of each counted."""
    ledger = Ledger()
    seqs = itertools.count(1)
    held: list[tuple[int, int]] = []

    async def send(conv: str, text: str) -> int:
        seq = next(seqs)
        key = key_of(text)
        assert key is not None

        def arrive(n: int, s: int) -> None:
            ledger.record_arrival(1, (0, n), conv=conv, seq=s, at=driver.now())

        if key[1] == 6:
            held.append((6, seq))
        elif key[1] != 2:
            arrive(key[1], seq)
            if key[1] == 4:
                arrive(4, seq)
            if key[1] == 7:
                arrive(*held.pop())
        return seq

    errors = await driver.send_all(
        [Sender(0, send, "c", (1,))], Pace(duration=10.0, count=10), ledger
    )
    assert not errors
    assert not await driver.drained(ledger, within=0.1)
    tally = ledger.tally()
    assert (tally.sent, tally.acked, tally.delivered) == (10, 10, 9)
    assert (tally.lost, tally.duplicates, tally.out_of_order) == (1, 1, 1)
    assert tally.lost_keys == ((1, (0, 2)),)


async def test_a_fixed_rate_stamps_sends_when_due() -> None:
    """At a fixed rate the sends are spread over the duration, each stamped when due."""
    ledger = Ledger()

    async def send(conv: str, text: str) -> int:
        return 1

    await driver.send_all([Sender(0, send, "c", (1,))], Pace(duration=0.3, rate=20.0), ledger)
    assert 5 <= ledger.sent <= 7
    assert ledger.acked == ledger.sent
