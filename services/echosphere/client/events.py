"""What the client hands the application: small frozen records, one per kind.

Messages are the core's ``Message`` record, as the server stores them. The
rest mirror the server's frames (receipts, typing, recall, drain, errors)
or report the connection itself, so a UI can show "connecting..." without
polling. ``parse`` turns a decoded server frame into one of them.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any, Literal

from echosphere.core.ids import ConvId, DeviceId, MessageId, UserId
from echosphere.core.models import Message, MessageKind

logger = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Ack:
    """The server stored a sent message: it has this seq and id for good."""

    cid: str
    conv: ConvId
    seq: int
    id: MessageId
    ts: int


@dataclass(frozen=True, slots=True)
class Receipt:
    """``user`` has read (or, on ``device``, received) ``conv`` up to ``seq``."""

    conv: ConvId
    kind: Literal["read", "delivered"]
    user: UserId
    seq: int
    device: DeviceId | None = None


@dataclass(frozen=True, slots=True)
class Typing:
    conv: ConvId
    user: UserId


@dataclass(frozen=True, slots=True)
class Recalled:
    """Message ``seq`` of ``conv`` was recalled by ``by``: hide its body."""

    conv: ConvId
    seq: int
    by: UserId


@dataclass(frozen=True, slots=True)
class Drain:
    """The node is going away; the client moves to another one after ``retry_after`` s."""

    retry_after: float


@dataclass(frozen=True, slots=True)
class ServerError:
    """An ``error`` frame that answers nothing the application is waiting on."""

    code: str
    message: str


@dataclass(frozen=True, slots=True)
class Connected:
    """Authenticated on a node; the catch-up sync follows."""

    user: UserId
    device: DeviceId
    node: str


@dataclass(frozen=True, slots=True)
class Synced:
    """The catch-up is complete up to these cursors; live messages follow."""

    cursors: dict[str, int]


@dataclass(frozen=True, slots=True)
class Disconnected:
    """The link ended. ``final``: no reconnect follows, the client is done."""

    code: int | None
    reason: str
    final: bool = False


@dataclass(frozen=True, slots=True)
class Reconnecting:
    """Attempt ``attempt`` to reconnect starts after ``delay`` seconds."""

    attempt: int
    delay: float


Event = (
    Message
    | Receipt
    | Typing
    | Recalled
    | Drain
    | ServerError
    | Connected
    | Synced
    | Disconnected
    | Reconnecting
)


class BadFrame(ValueError):
    """A server frame lacks a field or has one of the wrong type."""


def message(frame: dict[str, Any]) -> Message:
    try:
        return Message(
            conv=ConvId(str(frame["conv"])),
            seq=int(frame["seq"]),
            id=MessageId(str(frame["id"])),
            sender=UserId(str(frame["from"])),
            cid=str(frame["cid"]),
            kind=MessageKind(frame["kind"]),
            body=dict(frame["body"]),
            ts=int(frame["ts"]),
            recalled=bool(frame.get("recalled", False)),
        )
    except (KeyError, TypeError, ValueError) as error:
        raise BadFrame(f"msg frame: {error!r}") from None


def ack(frame: dict[str, Any]) -> Ack:
    try:
        return Ack(
            cid=str(frame["cid"]),
            conv=ConvId(str(frame["conv"])),
            seq=int(frame["seq"]),
            id=MessageId(str(frame["id"])),
            ts=int(frame["ts"]),
        )
    except (KeyError, TypeError, ValueError) as error:
        raise BadFrame(f"ack frame: {error!r}") from None


def cursors(frame: dict[str, Any]) -> dict[str, int]:
    """The ``cursors`` of a ``synced`` frame."""
    raw = frame.get("cursors")
    if not isinstance(raw, dict):
        raise BadFrame("synced frame: cursors must be an object")
    try:
        return {str(conv): int(seq) for conv, seq in raw.items()}
    except (TypeError, ValueError) as error:
        raise BadFrame(f"synced frame: {error!r}") from None


def parse(frame: dict[str, Any]) -> Event | None:
    """The event a notice frame stands for; None for an op this SDK does not know."""
    try:
        return _parse(frame)
    except (KeyError, TypeError, ValueError) as error:
        raise BadFrame(f"{frame.get('op')} frame: {error!r}") from None


def _parse(frame: dict[str, Any]) -> Event | None:
    match frame.get("op"):
        case "receipt":
            kind: Literal["read", "delivered"] = "read" if frame["kind"] == "read" else "delivered"
            device = frame.get("device")
            return Receipt(
                conv=ConvId(str(frame["conv"])),
                kind=kind,
                user=UserId(str(frame["user"])),
                seq=int(frame["seq"]),
                device=DeviceId(str(device)) if device else None,
            )
        case "typing":
            return Typing(conv=ConvId(str(frame["conv"])), user=UserId(str(frame["user"])))
        case "recalled":
            return Recalled(
                conv=ConvId(str(frame["conv"])),
                seq=int(frame["seq"]),
                by=UserId(str(frame["by"])),
            )
        case "drain":
            return Drain(retry_after=max(0.0, float(frame.get("retry_after_ms", 0)) / 1000))
        case "error":
            return ServerError(code=str(frame["code"]), message=str(frame.get("message", "")))
        case _:
            return None
