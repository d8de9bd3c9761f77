"""Records of the social features: feed posts, likes, comments, drifting bottles.

Times are seconds (float). Post and comment ids are ULIDs, so ordering by id
is ordering by creation, which is what feed cursors rely on.
"""

from __future__ import annotations

from dataclasses import dataclass

from echosphere.core.ids import UserId


@dataclass(frozen=True, slots=True)
class Post:
    id: str
    author: UserId
    text: str
    media: tuple[str, ...]
    created_at: float


@dataclass(frozen=True, slots=True)
class Like:
    post: str
    user: UserId
    created_at: float


@dataclass(frozen=True, slots=True)
class Comment:
    """A comment on a post; ``reply_to`` names the comment it answers, if any."""

    id: str
    post: str
    author: UserId
    text: str
    created_at: float
    reply_to: str | None = None
    reply_to_user: UserId | None = None


@dataclass(frozen=True, slots=True)
class Bottle:
    """A drifting bottle. ``lat``/``lon`` are already coarsened.

    While ``holder`` has it (until ``held_until``) nobody else can fish it;
    thrown back, it drifts again; once someone replied it is out of the sea.
    """

    id: str
    owner: UserId
    text: str
    media: str | None
    lat: float
    lon: float
    created_at: float
    expires_at: float
    holder: UserId | None = None
    held_until: float = 0.0
    replied_by: UserId | None = None
