"""Identifiers: opaque ULID strings for users, groups, messages and devices.

A conversation id names who takes part: ``d:<a>:<b>`` for two users (the ids
sorted as strings, so both sides compute the same id) and ``g:<group id>``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal, NewType

from ulid import ULID

from echosphere.core.errors import InvalidInput

UserId = NewType("UserId", str)
GroupId = NewType("GroupId", str)
DeviceId = NewType("DeviceId", str)
MessageId = NewType("MessageId", str)
ConvId = NewType("ConvId", str)

_ULID_LENGTH = 26


def new_id() -> str:
    """A new sortable, unique id."""
    return str(ULID())


def looks_like_id(value: str) -> bool:
    return len(value) == _ULID_LENGTH and value.isalnum() and value.isupper()


def direct_conv(a: str, b: str) -> ConvId:
    low, high = sorted((a, b))
    return ConvId(f"d:{low}:{high}")


def group_conv(group_id: str) -> ConvId:
    return ConvId(f"g:{group_id}")


@dataclass(frozen=True, slots=True)
class ConvRef:
    """A parsed conversation id."""

    conv: ConvId
    kind: Literal["direct", "group"]
    parties: tuple[UserId, ...]
    group: GroupId | None

    def peer_of(self, user: UserId) -> UserId:
        """The other party of a one-to-one conversation."""
        a, b = self.parties
        return b if user == a else a


def parse_conv(value: str) -> ConvRef:
    """Parse and validate a conversation id, or raise ``InvalidInput``."""
    parts = value.split(":")
    if (
        len(parts) == 3
        and parts[0] == "d"
        and parts[1] < parts[2]
        and looks_like_id(parts[1])
        and looks_like_id(parts[2])
    ):
        users = (UserId(parts[1]), UserId(parts[2]))
        return ConvRef(conv=ConvId(value), kind="direct", parties=users, group=None)
    if len(parts) == 2 and parts[0] == "g" and looks_like_id(parts[1]):
        return ConvRef(conv=ConvId(value), kind="group", parties=(), group=GroupId(parts[1]))
    raise InvalidInput("bad_conv", "conversation id must be d:<user>:<user> or g:<group>")
