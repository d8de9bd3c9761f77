"""Where a device remembers how far it has got in each conversation.

A cursor is the highest seq of a conversation the application has been
handed (or knows to be empty). The client advances it only after a message
is queued for the application, so a crash loses nothing: the next sync
starts from the cursor and brings the rest again.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Protocol


class CursorStore(Protocol):
    """Per-conversation cursors. Called from the event loop: keep it quick."""

    def all(self) -> dict[str, int]:
        """Every known conversation and its cursor."""
        ...

    def get(self, conv: str) -> int:
        """The cursor of ``conv``; 0 for a conversation never seen."""
        ...

    def set(self, conv: str, seq: int) -> None:
        """Move the cursor of ``conv`` to ``seq``; the client only ever moves it forward."""
        ...


class MemoryCursors:
    """Cursors kept in memory: a fresh process syncs from the start again."""

    def __init__(self, initial: Mapping[str, int] | None = None):
        self._cursors = dict(initial or {})

    def all(self) -> dict[str, int]:
        return dict(self._cursors)

    def get(self, conv: str) -> int:
        return self._cursors.get(conv, 0)

    def set(self, conv: str, seq: int) -> None:
        self._cursors[conv] = max(seq, self._cursors.get(conv, 0))
