"""Sending and acting on messages: the delivery contract in one place.

A send is checked (who may, what body), stored durably (the Store assigns
the seq, and a repeated ``cid`` returns the stored message untouched), and
only then acknowledged and fanned out. The HTTP API and the websocket node
both send through here, so both keep the same contract.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Sequence
from typing import Any

from echosphere.chat import access, metrics, tracing
from echosphere.chat.audiences import Audiences
from echosphere.chat.delivery import Delivery, Outgoing
from echosphere.chat.media import MediaLibrary
from echosphere.chat.platform import Platform
from echosphere.core.errors import Forbidden, InvalidInput, NotFound
from echosphere.core.ids import DeviceId, MessageId, UserId, new_id
from echosphere.core.media import UseScope
from echosphere.core.models import Message, MessageDraft, MessageKind
from echosphere.core.protocol import Send, check_body, encode

logger = logging.getLogger(__name__)

MAX_BODY_BYTES = 16 * 1024


def message_frame(message: Message) -> dict[str, Any]:
    return {
        "op": "msg",
        "conv": message.conv,
        "seq": message.seq,
        "id": message.id,
        "from": message.sender,
        "cid": message.cid,
        "kind": message.kind.value,
        "body": message.body,
        "ts": message.ts,
        **({"recalled": True} if message.recalled else {}),
    }


def ack_frame(message: Message) -> dict[str, Any]:
    return {
        "op": "ack",
        "cid": message.cid,
        "conv": message.conv,
        "seq": message.seq,
        "id": message.id,
        "ts": message.ts,
    }


class Messenger:
    def __init__(self, platform: Platform, delivery: Delivery):
        self._platform = platform
        self._store = platform.store
        self._delivery = delivery
        self._audiences = Audiences(platform.store, platform.kv)
        self._media = MediaLibrary(platform)

    async def send(self, user: UserId, device: DeviceId | None, frame: Send) -> Message:
        """Store and fan out one message; returns it as stored (maybe earlier, same cid)."""
        with tracing.span("message.send", conv_kind=frame.conv[:1]):
            return await self._send(user, device, frame)

    async def _send(self, user: UserId, device: DeviceId | None, frame: Send) -> Message:
        limits = self._platform.settings.limits
        check_body(frame, max_text=limits.max_text_chars, max_body=MAX_BODY_BYTES)
        audience = await self._audiences.writable(frame.conv, user)
        media_key = await self._media.claim_message(user, frame.kind, frame.body)
        draft = MessageDraft(
            conv=audience.ref.conv,
            id=MessageId(new_id()),
            sender=user,
            cid=frame.cid,
            kind=frame.kind,
            body=frame.body,
            ts=int(self._platform.clock() * 1000),
            members=audience.ref.parties,
        )
        message, created = await self._store.append_message(draft)
        if message.conv != draft.conv:
            raise InvalidInput("cid_reused", "this cid was used for another conversation")
        if media_key is not None:
            # Members of the conversation may now download it (recorded again on a retry).
            await self._media.record(media_key, UseScope.CONV, message.conv, message.seq)
        if created:
            stored_at = time.time()
            metrics.MESSAGES_STORED.labels(audience.ref.kind).inc()
            frame_out = message_frame(message)
            await self._fan_out(audience.members, frame_out, skip=device, stored_at=stored_at)
        return message

    async def recall(self, user: UserId, conv: str, seq: int) -> Message:
        audience = await access.readable(self._store, conv, user)
        message = await self._store.get_message(audience.ref.conv, seq)
        if message is None:
            raise NotFound("message_not_found", "no such message")
        age = self._platform.clock() - message.ts / 1000
        window = self._platform.settings.recall_window
        if not (audience.is_manager or (message.sender == user and age <= window)):
            raise Forbidden("recall_refused", f"only the sender may recall, within {window:g} s")
        recalled = await self._store.recall_message(audience.ref.conv, seq)
        assert recalled is not None
        frame = {"op": "recalled", "conv": recalled.conv, "seq": seq, "by": user}
        await self._fan_out(audience.members, frame)
        return recalled

    async def read(self, user: UserId, conv: str, seq: int) -> int:
        """Mark read up to ``seq``; the others (and my other devices) get a receipt."""
        audience = await access.readable(self._store, conv, user)
        upto = await self._store.mark_read(audience.ref.conv, user, seq)
        frame = {"op": "receipt", "kind": "read", "conv": audience.ref.conv, "user": user}
        await self._fan_out(audience.members, {**frame, "seq": upto})
        return upto

    async def received(self, user: UserId, device: DeviceId, conv: str, seq: int) -> None:
        """A device has everything up to ``seq``: tell the peer of a one-to-one chat."""
        audience = await access.readable(self._store, conv, user)
        if audience.group is None:
            frame: dict[str, Any] = {"op": "receipt", "kind": "delivered", "seq": seq}
            frame.update(conv=audience.ref.conv, user=user, device=device)
            await self._fan_out([audience.ref.peer_of(user)], frame)

    async def typing(self, user: UserId, conv: str) -> None:
        audience = await access.readable(self._store, conv, user)
        others = [m for m in audience.members if m != user]
        await self._fan_out(others, {"op": "typing", "conv": audience.ref.conv, "user": user})

    async def _fan_out(
        self,
        users: Sequence[UserId],
        frame: dict[str, Any],
        *,
        skip: DeviceId | None = None,
        stored_at: float = 0.0,
    ) -> None:
        try:
            item = Outgoing(encode(frame), frame["op"], stored_at)
            nodes = await self._delivery.send(users, item, skip=skip)
            if stored_at:
                metrics.FANOUT_MESSAGES.inc()
                metrics.FANOUT_NODE_DELIVERIES.inc(nodes)
        except Exception:
            # Live delivery may fail; the message is stored and sync will bring it.
            logger.warning("live delivery failed", exc_info=True, extra={"op": frame["op"]})


def kind_of(value: str) -> MessageKind:
    try:
        return MessageKind(value)
    except ValueError:
        kinds = ", ".join(k.value for k in MessageKind)
        raise InvalidInput("bad_kind", f"kind must be one of {kinds}") from None
