"""The collections of the store and their indexes, created at every start.

MongoDB needs no schema, so this is the whole migration story: creating an
index that already exists with the same options does nothing, which makes
``ensure_indexes`` safe to run from every process at every start. Changing
an index means giving it a new name (and dropping the old one by hand).

The unique indexes are what settle races between processes: a phone or a
handle taken twice, a seq allocated twice, a ``cid`` retried concurrently.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any

from pymongo import ASCENDING

from echosphere.backends.mongo.connection import Database

logger = logging.getLogger(__name__)

USERS = "users"
DEVICES = "devices"
FRIEND_REQUESTS = "friend_requests"
FRIENDSHIPS = "friendships"
BLOCKS = "blocks"
GROUPS = "groups"
GROUP_MEMBERS = "group_members"
CONVERSATIONS = "conversations"
CONV_MEMBERS = "conv_members"
MESSAGES = "messages"
MEDIA = "media"
MEDIA_USES = "media_uses"
POSTS = "posts"
LIKES = "post_likes"
COMMENTS = "post_comments"
BOTTLES = "bottles"


@dataclass(frozen=True, slots=True)
class Index:
    collection: str
    name: str
    keys: tuple[str, ...]
    unique: bool = False
    options: dict[str, Any] = field(default_factory=dict)


INDEXES = (
    Index(USERS, "users_by_phone", ("phone",), unique=True),
    # Users without a handle store null, which a partial index leaves out.
    Index(
        USERS,
        "users_by_handle",
        ("handle",),
        unique=True,
        options={"partialFilterExpression": {"handle": {"$type": "string"}}},
    ),
    Index(DEVICES, "devices_by_user", ("user", "created_at")),
    Index(FRIEND_REQUESTS, "requests_by_recipient", ("recipient", "created_at")),
    Index(FRIEND_REQUESTS, "requests_by_sender", ("sender", "created_at")),
    Index(FRIENDSHIPS, "friendships_by_owner", ("owner", "friend"), unique=True),
    Index(BLOCKS, "blocks_by_owner", ("owner", "target"), unique=True),
    Index(GROUP_MEMBERS, "members_by_group", ("group", "user"), unique=True),
    Index(GROUP_MEMBERS, "members_by_user", ("user",)),
    Index(CONV_MEMBERS, "conv_members_by_conv", ("conv", "user"), unique=True),
    Index(CONV_MEMBERS, "conv_members_by_user", ("user",)),
    Index(MESSAGES, "messages_by_seq", ("conv", "seq"), unique=True),
    Index(MESSAGES, "messages_by_cid", ("sender", "cid"), unique=True),
    Index(MEDIA_USES, "media_uses_unique", ("key", "scope", "ref", "seq"), unique=True),
    Index(MEDIA_USES, "media_uses_by_ref", ("scope", "ref")),
    Index(POSTS, "posts_by_author", ("author", "_id")),
    Index(LIKES, "likes_by_post", ("post", "user"), unique=True),
    Index(LIKES, "likes_by_user", ("user", "post")),
    Index(COMMENTS, "comments_by_post", ("post", "_id")),
    Index(BOTTLES, "bottles_by_picker", ("picks.user",)),
)


async def ensure_indexes(db: Database) -> None:
    for index in INDEXES:
        await db[index.collection].create_index(
            [(key, ASCENDING) for key in index.keys],
            name=index.name,
            unique=index.unique,
            **index.options,
        )
    logger.info("mongodb indexes ensured", extra={"database": db.name, "count": len(INDEXES)})
