"""Reading stored messages: catch-up sync and history pages.

Sync walks every conversation the user is in, from the client's cursor (or
from where the user joined, whichever is later), in seq order and in pages.
For each conversation it reports the seq it has answered up to: everything
up to there that exists has been sent, so a client advances its cursor over
any hole (a seq allocated and never written) instead of waiting on it.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass

from echosphere.chat import access
from echosphere.core.ids import ConvId, UserId
from echosphere.core.models import Message
from echosphere.core.ports import Store

PAGE = 200


@dataclass(frozen=True, slots=True)
class SyncPage:
    conv: ConvId
    messages: list[Message]
    upto: int
    """Every existing message with seq <= upto has now been given."""


async def sync(
    store: Store, user: UserId, cursors: Mapping[str, int], *, page: int = PAGE
) -> AsyncIterator[SyncPage]:
    for conv, joined in sorted((await store.conversations_of(user)).items()):
        cursor = max(cursors.get(conv, 0), joined)
        last = await store.last_seq(conv)
        if cursor >= last and conv not in cursors:
            yield SyncPage(conv, [], last)  # tell the client the conversation exists
        while cursor < last:
            found = await store.messages_after(conv, cursor, page)
            cursor = found[-1].seq if len(found) == page else max([last, *(m.seq for m in found)])
            yield SyncPage(conv, found, cursor)


async def history(
    store: Store, user: UserId, conv: str, *, before: int | None, after: int | None, limit: int
) -> list[Message]:
    """A page of a conversation the user may read, never before they joined."""
    audience = await access.readable(store, conv, user)
    joined = (await store.conversations_of(user)).get(audience.ref.conv, 0)
    limit = max(1, min(limit, PAGE))
    if after is not None:
        return await store.messages_after(audience.ref.conv, max(after, joined), limit)
    upper = before if before is not None else await store.last_seq(audience.ref.conv) + 1
    found = await store.messages_before(audience.ref.conv, upper, limit)
    return [m for m in found if m.seq > joined]
