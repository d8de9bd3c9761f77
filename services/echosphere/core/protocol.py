"""The websocket protocol, version 1: frame types, decoding and body rules.

Frames are JSON objects tagged by ``op``. Decoding is strict (unknown ops,
missing or mistyped fields are refused) and never raises anything but
``ProtocolError``, whose ``code`` goes back to the client in an ``error``
frame together with the ``cid`` of the frame it answers, when one could be
read. Pure code: the node, the SDK and the tests share it.
"""

from __future__ import annotations

from typing import Any

import msgspec

from echosphere.core.errors import EchoError
from echosphere.core.models import MessageKind

VERSION = 1
SUBPROTOCOL = "echosphere.v1"


class ProtocolError(EchoError):
    """A frame the server cannot accept; the connection stays open."""

    status = 400
    default_code = "bad_frame"

    def __init__(self, code: str, message: str, *, cid: str | None = None):
        super().__init__(code, message)
        self.cid = cid


class Frame(msgspec.Struct, tag_field="op", forbid_unknown_fields=True):
    pass


class Auth(Frame, tag="auth"):
    token: str
    device: str | None = None


class Send(Frame, tag="send"):
    cid: str
    conv: str
    kind: MessageKind
    body: dict[str, Any]


class Sync(Frame, tag="sync"):
    cursors: dict[str, int] = {}


class History(Frame, tag="history"):
    conv: str
    before: int | None = None
    limit: int = 50


class Read(Frame, tag="read"):
    conv: str
    seq: int


class Recv(Frame, tag="recv"):
    conv: str
    seq: int


class Typing(Frame, tag="typing"):
    conv: str


class Recall(Frame, tag="recall"):
    conv: str
    seq: int


class Ping(Frame, tag="ping"):
    pass


ClientFrame = Auth | Send | Sync | History | Read | Recv | Typing | Recall | Ping
CLIENT_OPS = ("auth", "send", "sync", "history", "read", "recv", "typing", "recall", "ping")

_decoder = msgspec.json.Decoder(ClientFrame)
_loose = msgspec.json.Decoder(dict[str, Any])
encode = msgspec.json.Encoder().encode


def _cid_of(raw: bytes | str) -> str | None:
    try:
        cid = _loose.decode(raw).get("cid")
    except (msgspec.DecodeError, msgspec.ValidationError):
        return None
    return cid if isinstance(cid, str) and len(cid) <= 64 else None


def decode_frame(raw: bytes | str) -> ClientFrame:
    """Decode one client frame or raise ``ProtocolError``."""
    try:
        return _decoder.decode(raw)
    except msgspec.ValidationError as error:
        text = str(error)
        cid = _cid_of(raw)
        if "`$.op`" in text or "missing required field `op`" in text:
            ops = ", ".join(CLIENT_OPS)
            raise ProtocolError("unknown_op", f"op must be one of {ops}", cid=cid) from None
        raise ProtocolError("bad_frame", text, cid=cid) from None
    except msgspec.DecodeError:
        raise ProtocolError("bad_json", "a frame must be one JSON object") from None


def error_frame(code: str, message: str, cid: str | None = None) -> dict[str, Any]:
    frame: dict[str, Any] = {"op": "error", "code": code, "message": message}
    if cid is not None:
        frame["cid"] = cid
    return frame


_MEDIA_FIELDS: dict[MessageKind, dict[str, type]] = {
    MessageKind.IMAGE: {"key": str},
    MessageKind.VOICE: {"key": str, "duration": float},
    MessageKind.VIDEO: {"key": str, "duration": float, "size": int},
    MessageKind.FILE: {"key": str, "name": str},
}


def _require(body: dict[str, Any], name: str, kind: type, cid: str) -> None:
    value = body.get(name)
    numeric = kind in (int, float) and isinstance(value, int | float) and value >= 0
    if not (numeric or (kind is str and isinstance(value, str) and value)) or isinstance(
        value, bool
    ):
        raise ProtocolError("bad_body", f"body.{name} must be a valid {kind.__name__}", cid=cid)


def check_body(frame: Send, *, max_text: int, max_body: int) -> None:
    """Validate a message body for its kind; raise ``ProtocolError`` otherwise."""
    body, cid = frame.body, frame.cid
    if not 1 <= len(cid) <= 64:
        raise ProtocolError("bad_cid", "cid must be 1-64 characters", cid=cid[:64])
    if len(encode(body)) > max_body:
        raise ProtocolError("too_large", f"a message body is at most {max_body} bytes", cid=cid)
    if frame.kind is MessageKind.TEXT:
        text = body.get("text")
        if not isinstance(text, str) or not text.strip():
            raise ProtocolError("bad_body", "a text message needs body.text", cid=cid)
        if len(text) > max_text:
            raise ProtocolError("too_long", f"text is at most {max_text} characters", cid=cid)
    elif frame.kind is MessageKind.LOCATION:
        lat, lon = body.get("lat"), body.get("lon")
        valid = isinstance(lat, int | float) and isinstance(lon, int | float)
        if not valid or not (-90 <= lat <= 90 and -180 <= lon <= 180):  # type: ignore[operator]
            raise ProtocolError("bad_body", "a location needs body.lat and body.lon", cid=cid)
    elif frame.kind in _MEDIA_FIELDS:
        for name, kind in _MEDIA_FIELDS[frame.kind].items():
            _require(body, name, kind, cid)
