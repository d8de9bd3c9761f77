"""The ledger of a run: what was sent, acknowledged and received, and what it adds up to.

Every message a scenario sends carries a unique key (sender index, counter)
in its body. Senders record the send and its ack; receivers record each
message they get with its conversation, seq and arrival time. From that the
ledger counts:

- delivered: distinct (recipient, message) pairs that arrived, and their
  send -> receive latency (first arrival);
- lost: acknowledged messages some expected recipient never got;
- duplicates: a recipient got the same message again;
- out of order: a recipient got a seq lower than one it already had in that
  conversation.

Pure bookkeeping, no I/O and no clock of its own: the tests feed it
injected faults and check that each is counted.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

MsgKey = tuple[int, int]
"""(sender index, that sender's message counter)."""

_BODY = re.compile(r"^bench (\d+) (\d+)\b")


def body_text(key: MsgKey, padding: int = 0) -> str:
    """The text of a bench message: its key, then padding up to the wanted size."""
    text = f"bench {key[0]} {key[1]}"
    return text + " " + "x" * (padding - len(text) - 1) if padding > len(text) + 1 else text


def key_of(text: str) -> MsgKey | None:
    """The key a bench message body carries, or None for any other text."""
    found = _BODY.match(text)
    return None if found is None else (int(found[1]), int(found[2]))


@dataclass(slots=True)
class _Sent:
    conv: str
    recipients: tuple[int, ...]
    sent_at: float
    acked_at: float | None = None
    seq: int | None = None


@dataclass(frozen=True, slots=True)
class Latency:
    """Percentiles of a latency sample, in milliseconds."""

    count: int
    mean: float
    p50: float
    p90: float
    p99: float
    max: float

    @classmethod
    def of(cls, seconds: Sequence[float]) -> Latency:
        if not seconds:
            return cls(0, math.nan, math.nan, math.nan, math.nan, math.nan)
        ordered = sorted(s * 1000 for s in seconds)
        return cls(
            count=len(ordered),
            mean=round(sum(ordered) / len(ordered), 3),
            p50=round(percentile(ordered, 50), 3),
            p90=round(percentile(ordered, 90), 3),
            p99=round(percentile(ordered, 99), 3),
            max=round(ordered[-1], 3),
        )


def percentile(ordered: Sequence[float], q: float) -> float:
    """Nearest-rank percentile ``q`` (0-100) of an ascending, non-empty sample."""
    rank = max(1, math.ceil(q / 100 * len(ordered)))
    return ordered[min(rank, len(ordered)) - 1]


@dataclass(frozen=True, slots=True)
class Tally:
    sent: int
    acked: int
    expected: int
    """Deliveries owed: each acknowledged message times its recipients."""
    delivered: int
    lost: int
    duplicates: int
    out_of_order: int
    unexpected: int
    """Arrivals of a message never sent, or at a recipient it was not meant for."""
    latency: Latency
    ack_latency: Latency
    lost_keys: tuple[tuple[int, MsgKey], ...] = field(default=())
    """The first few (recipient, message) pairs lost, for a closer look."""


@dataclass(slots=True)
class Ledger:
    """Every send, ack and arrival of one run."""

    _sent: dict[MsgKey, _Sent] = field(default_factory=dict)
    _arrived: dict[tuple[int, MsgKey], float] = field(default_factory=dict)
    _last_seq: dict[tuple[int, str], int] = field(default_factory=dict)
    duplicates: int = 0
    out_of_order: int = 0
    unexpected: int = 0
    acked: int = 0
    _owed: int = 0
    _settled: int = 0
    first_send: float | None = None
    last_arrival: float | None = None

    @property
    def sent(self) -> int:
        return len(self._sent)

    @property
    def delivered(self) -> int:
        return len(self._arrived)

    def expected(self) -> int:
        """Deliveries owed so far: each acknowledged message times its recipients."""
        return self._owed

    def record_send(self, key: MsgKey, *, conv: str, recipients: Iterable[int], at: float) -> None:
        self._sent[key] = _Sent(conv, tuple(recipients), at)
        if self.first_send is None or at < self.first_send:
            self.first_send = at

    def record_ack(self, key: MsgKey, *, seq: int, at: float) -> None:
        sent = self._sent[key]
        if sent.acked_at is None:
            self.acked += 1
            self._owed += len(sent.recipients)
            self._settled += sum((r, key) in self._arrived for r in sent.recipients)
        sent.acked_at, sent.seq = at, seq

    def record_arrival(
        self, recipient: int, key: MsgKey | None, *, conv: str, seq: int, at: float
    ) -> None:
        sent = None if key is None else self._sent.get(key)
        if key is None or sent is None or recipient not in sent.recipients or sent.conv != conv:
            self.unexpected += 1
            return
        if (recipient, key) in self._arrived:
            self.duplicates += 1
            return
        self._arrived[(recipient, key)] = at
        if sent.acked_at is not None:
            self._settled += 1
        if self.last_arrival is None or at > self.last_arrival:
            self.last_arrival = at
        last = self._last_seq.get((recipient, conv), 0)
        if seq < last:
            self.out_of_order += 1
        else:
            self._last_seq[(recipient, conv)] = seq

    def outstanding(self) -> int:
        """Deliveries owed for acknowledged messages that have not arrived yet."""
        return self._owed - self._settled

    def tally(self, *, keep_lost: int = 10) -> Tally:
        lost: list[tuple[int, MsgKey]] = []
        latencies, acks = [], []
        for key, sent in self._sent.items():
            if sent.acked_at is None:
                continue
            acks.append(sent.acked_at - sent.sent_at)
            for recipient in sent.recipients:
                arrived = self._arrived.get((recipient, key))
                if arrived is None:
                    lost.append((recipient, key))
                else:
                    latencies.append(arrived - sent.sent_at)
        return Tally(
            sent=self.sent,
            acked=self.acked,
            expected=self.expected(),
            delivered=self.delivered,
            lost=len(lost),
            duplicates=self.duplicates,
            out_of_order=self.out_of_order,
            unexpected=self.unexpected,
            latency=Latency.of(latencies),
            ack_latency=Latency.of(acks),
            lost_keys=tuple(lost[:keep_lost]),
        )

    def acknowledged(self) -> list[tuple[MsgKey, str, tuple[int, ...], int]]:
        """(key, conv, recipients, seq) of every acknowledged message."""
        return [
            (key, s.conv, s.recipients, s.seq)
            for key, s in self._sent.items()
            if s.acked_at is not None and s.seq is not None
        ]
