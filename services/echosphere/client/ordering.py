"""Putting messages in order: once per (conv, seq), in seq order, holes skipped.

Live messages may arrive out of order, twice (live and again by sync), or
not at all (the live path may drop). The ``Sequencer`` keeps, per
conversation, the seq handed out so far and the messages that arrived ahead
of it. A message is released only when everything before it has been
released, so a gap holds what follows it until a sync fills it. A
``synced`` answer says every message up to some seq has now been sent; what
is still missing below that is a hole that will never be filled, and the
sequencer steps over it.

The sequencer's own sends are known from their acks: the seq is taken, but
there is nothing to hand the application, so it advances silently.

Pure code: no I/O, no clock.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from echosphere.core.models import Message

WAITING_LIMIT = 1000
"""Messages held ahead of a gap, per conversation; past it the newest are let go."""
PATIENCE = 3
"""Syncs in a row that may leave out a conversation with a gap before the gap is
given up on (the user left it, so the node no longer answers for it)."""


@dataclass(frozen=True, slots=True)
class Step:
    """Advance ``conv`` to ``seq``, handing out ``message`` if there is one."""

    conv: str
    seq: int
    message: Message | None


@dataclass(slots=True)
class _Conversation:
    done: int
    """Everything up to here was handed out or skipped."""
    ahead: dict[int, Message | None] = field(default_factory=dict)
    """Arrived past a gap; None for a seq known from our own ack."""
    dropped: int | None = None
    """The lowest seq let go for want of room: completion must stop below it."""
    short: bool = False
    """The last completion stopped below a dropped seq: another sync must follow."""
    unanswered: int = 0
    """Syncs in a row whose answer left this conversation out while it had a gap."""


class Sequencer:
    def __init__(self, cursors: Mapping[str, int], *, limit: int = WAITING_LIMIT):
        self._limit = limit
        self._convs: dict[str, _Conversation] = {}
        self.reset(cursors)

    def reset(self, cursors: Mapping[str, int]) -> None:
        """Start again from stored cursors (a new connection); keep what our acks told."""
        own = {
            conv: {seq: None for seq, held in state.ahead.items() if held is None}
            for conv, state in self._convs.items()
        }
        self._convs = {conv: _Conversation(done=seq) for conv, seq in cursors.items()}
        for conv, seqs in own.items():
            state = self._conv(conv)
            state.ahead.update({seq: None for seq in seqs if seq > state.done})

    def positions(self) -> dict[str, int]:
        """The cursor of every known conversation, as a sync frame wants them."""
        return {conv: state.done for conv, state in self._convs.items()}

    def gapped(self) -> bool:
        """Is something missing that a sync must bring?"""
        return any(
            state.ahead or state.short or state.dropped is not None
            for state in self._convs.values()
        )

    def offer(self, message: Message) -> list[Step]:
        """A message arrived (live or replayed); returns what may be handed out now."""
        state = self._conv(message.conv)
        if message.seq <= state.done or message.seq in state.ahead:
            return []
        state.ahead[message.seq] = message
        self._bound(state)
        return self._release(message.conv, state)

    def own(self, conv: str, seq: int) -> list[Step]:
        """Our own send was stored as ``seq``: nothing to hand out, but the seq is taken."""
        state = self._conv(conv)
        if seq <= state.done:
            return []
        state.ahead[seq] = None
        return self._release(conv, state)

    def complete(self, cursors: Mapping[str, int]) -> list[Step]:
        """A sync gave every existing message up to these seqs: skip the holes below them."""
        steps: list[Step] = []
        for state in self._convs.values():
            state.short = False
            state.unanswered = state.unanswered + 1 if state.ahead else 0
        for conv, upto in cursors.items():
            state = self._conv(conv)
            state.unanswered = 0
            steps += self._complete(conv, state, upto)
        for conv, state in self._convs.items():
            if state.unanswered >= PATIENCE:
                state.unanswered = 0
                steps += self._complete(conv, state, max(state.ahead))
        return steps

    def _complete(self, conv: str, state: _Conversation, upto: int) -> list[Step]:
        if state.dropped is not None:
            if upto >= state.dropped:
                upto, state.short = state.dropped - 1, True
            state.dropped = None
        steps: list[Step] = []
        for seq in sorted(s for s in state.ahead if s <= upto):
            steps.append(Step(conv, seq, state.ahead.pop(seq)))
            state.done = seq
        if upto > state.done:
            steps.append(Step(conv, upto, None))
            state.done = upto
        return steps + self._release(conv, state)

    def _conv(self, conv: str) -> _Conversation:
        return self._convs.setdefault(conv, _Conversation(done=0))

    def _release(self, conv: str, state: _Conversation) -> list[Step]:
        steps = []
        while state.done + 1 in state.ahead:
            state.done += 1
            steps.append(Step(conv, state.done, state.ahead.pop(state.done)))
        return steps

    def _bound(self, state: _Conversation) -> None:
        """Let the newest held messages go; a later sync brings them again."""
        while len(state.ahead) > self._limit:
            held = [seq for seq, message in state.ahead.items() if message is not None]
            if not held:
                return
            newest = max(held)
            del state.ahead[newest]
            state.dropped = newest if state.dropped is None else min(state.dropped, newest)
