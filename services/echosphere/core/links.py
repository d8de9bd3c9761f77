"""App links, the text inside QR codes: ``echosphere://add/<handle or user id>``
and ``echosphere://join/<group id>?t=<token>``.

A join token is ``<expiry>.<signature>``: an HMAC over the group id and the
expiry, with a server key. Anyone holding a fresh token may join that group,
so a member can share it without the group keeping a list of invitations;
it simply stops working at its expiry. Pure code.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from dataclasses import dataclass
from urllib.parse import parse_qs, urlsplit

from echosphere.core.errors import Forbidden, InvalidInput
from echosphere.core.ids import GroupId, looks_like_id

SCHEME = "echosphere"


@dataclass(frozen=True, slots=True)
class AddLink:
    """Add a user as a friend: ``target`` is a handle or a user id."""

    target: str


@dataclass(frozen=True, slots=True)
class JoinLink:
    group: GroupId
    token: str


def add_link(handle_or_id: str) -> str:
    return f"{SCHEME}://add/{handle_or_id}"


def join_link(group: str, token: str) -> str:
    return f"{SCHEME}://join/{group}?t={token}"


def parse_link(url: str) -> AddLink | JoinLink:
    """Read a scanned link, or raise ``InvalidInput("bad_link")``."""
    parts = urlsplit(url.strip())
    target = parts.path.strip("/")
    if parts.scheme == SCHEME and parts.netloc == "add" and target and "/" not in target:
        return AddLink(target)
    if parts.scheme == SCHEME and parts.netloc == "join" and looks_like_id(target):
        token = parse_qs(parts.query).get("t", [""])[0]
        if token:
            return JoinLink(GroupId(target), token)
    raise InvalidInput(
        "bad_link", "expected echosphere://add/<user> or echosphere://join/<group>?t=<token>"
    )


def _signature(secret: str, group: str, expires_at: int) -> str:
    mac = hmac.new(secret.encode(), f"join:{group}:{expires_at}".encode(), hashlib.sha256)
    return base64.urlsafe_b64encode(mac.digest()[:18]).decode()


def join_token(secret: str, group: str, *, expires_at: int) -> str:
    return f"{expires_at}.{_signature(secret, group, expires_at)}"


def check_join_token(secret: str, group: str, token: str, *, now: float) -> int:
    """The token's expiry if it is genuine and fresh; ``Forbidden`` otherwise."""
    expiry, _, signature = token.partition(".")
    if not expiry.isdigit() or len(expiry) > 12:
        raise Forbidden("bad_link", "this invitation is not valid")
    expires_at = int(expiry)
    if not hmac.compare_digest(signature, _signature(secret, group, expires_at)):
        raise Forbidden("bad_link", "this invitation is not valid")
    if expires_at <= now:
        raise Forbidden("link_expired", "this invitation has expired; ask for a new one")
    return expires_at
