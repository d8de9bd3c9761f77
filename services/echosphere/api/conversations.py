"""Conversations over HTTP: the list with unread counts, history pages, sending
(for bots and scripts, with the same contract as the websocket) and readers."""

from __future__ import annotations

from typing import Any, cast

import msgspec

from echosphere.api import views
from echosphere.api.routing import Call, Router
from echosphere.chat import access, history
from echosphere.chat.messenger import Messenger, ack_frame, kind_of
from echosphere.core.errors import InvalidInput
from echosphere.core.ids import parse_conv
from echosphere.core.protocol import Send

router = Router("conversations")


class NewMessage(msgspec.Struct, forbid_unknown_fields=True):
    cid: str
    kind: str
    body: dict[str, Any]


def _messenger(call: Call[Any]) -> Messenger:
    return cast(Messenger, call.request.app.state.messenger)


LARGEST_SEQ = 2**63 - 1
"""Seqs and limits past a signed 64-bit integer cannot reach the store."""


def _integer(value: str) -> int | None:
    if not value.isascii():
        return None
    try:
        number = int(value)
    except ValueError:
        return None
    return number if abs(number) <= LARGEST_SEQ else None


def _int(call: Call[Any], name: str) -> int | None:
    value = call.query(name)
    if value is None:
        return None
    number = _integer(value)
    if number is None:
        raise InvalidInput("bad_query", f"{name} must be a 64-bit integer", status=400)
    return number


@router.route("GET", "/api/conversations", summary="My conversations with unread counts")
async def list_conversations(call: Call[None]) -> dict[str, Any]:
    states = await call.platform.store.conversation_states(call.user)
    return {"conversations": [views.conversation(s) for s in states]}


@router.route(
    "GET",
    "/api/conversations/{conv}/messages",
    summary="A page of messages: before a seq (newest first page) or after one",
    query=("before", "after", "limit"),
    errors=("bad_conv", "forbidden", "bad_query"),
)
async def list_messages(call: Call[None]) -> dict[str, Any]:
    limit = _int(call, "limit") or 50
    found = await history.history(
        call.platform.store,
        call.user,
        call.path("conv"),
        before=_int(call, "before"),
        after=_int(call, "after"),
        limit=limit,
    )
    last = await call.platform.store.last_seq(parse_conv(call.path("conv")).conv)
    return {"messages": [views.message(m) for m in found], "last_seq": last}


@router.route(
    "POST",
    "/api/conversations/{conv}/messages",
    summary="Send a message (acknowledged once stored; a repeated cid is stored once)",
    body=NewMessage,
    status=201,
    errors=("bad_conv", "forbidden", "blocked", "muted", "not_friend", "bad_body", "too_long"),
)
async def send_message(call: Call[NewMessage]) -> dict[str, Any]:
    frame = Send(
        cid=call.body.cid,
        conv=call.path("conv"),
        kind=kind_of(call.body.kind),
        body=call.body.body,
    )
    message = await _messenger(call).send(call.user, None, frame)
    ack = ack_frame(message)
    del ack["op"]
    return ack


@router.route(
    "GET",
    "/api/conversations/{conv}/messages/{seq}/readers",
    summary="Who has read a message (members only)",
    errors=("bad_conv", "forbidden", "bad_seq"),
)
async def readers(call: Call[None]) -> dict[str, Any]:
    audience = await access.readable(call.platform.store, call.path("conv"), call.user)
    seq = _integer(call.path("seq")) or -1
    if seq < 1:
        raise InvalidInput("bad_seq", "seq must be a positive integer", status=400)
    found = await call.platform.store.readers(audience.ref.conv, seq)
    return {"readers": [u for u in found if u in audience.members]}
