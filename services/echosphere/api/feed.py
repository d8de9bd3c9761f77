"""The feed: posts with text and media, likes and threaded comments.

A post is seen by its author and the author's friends, unless the author
blocked the viewer. Of the likers and commenters of a post, a viewer sees
only themselves, the author and their own friends: friends of the author
who are strangers to each other stay invisible to each other. Pages run
newest first for posts, oldest first for comments, with the last id as the
cursor. Like counts come from the KV counters (see ``chat.likes``).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

import msgspec

from echosphere.api import views
from echosphere.api.media import media_ref
from echosphere.api.routing import Call, Router
from echosphere.api.users import get_user_or_404
from echosphere.chat.media import MediaLibrary, may_see_posts_of
from echosphere.core.errors import Forbidden, InvalidInput, NotFound
from echosphere.core.ids import UserId, looks_like_id, new_id
from echosphere.core.media import MediaKind, UseScope
from echosphere.core.social import Comment, Post

router = Router("feed")

MAX_POST_TEXT = 2000
MAX_POST_MEDIA = 9
MAX_COMMENT = 500
POST_MEDIA = frozenset({MediaKind.IMAGE, MediaKind.VIDEO})


class NewPost(msgspec.Struct, forbid_unknown_fields=True):
    text: str = ""
    media: list[str] = []


class NewComment(msgspec.Struct, forbid_unknown_fields=True):
    text: str
    reply_to: str | None = None


def _cursor(call: Call[Any]) -> str | None:
    cursor = call.query("cursor")
    if cursor is not None and not looks_like_id(cursor):
        raise InvalidInput(
            "bad_cursor", "cursor must be a next_cursor from a previous page", status=400
        )
    return cursor


def _limit(call: Call[Any], default: int = 20, most: int = 100) -> int:
    value = call.query("limit")
    if value is None:
        return default
    if not value.isdigit() or not 1 <= int(value) <= most:
        raise InvalidInput("bad_query", f"limit must be 1-{most}", status=400)
    return int(value)


async def visible_post(call: Call[Any]) -> Post:
    """The path's post if the caller may see it; ``post_not_found`` otherwise."""
    post = await call.platform.store.get_post(call.path("post_id"))
    if post is None or not await may_see_posts_of(call.platform, call.user, post.author):
        raise NotFound("post_not_found", "no such post")
    return post


async def _post_views(call: Call[Any], posts: Sequence[Post]) -> list[dict[str, Any]]:
    store, likes = call.platform.store, call.platform.likes
    authors = await store.get_users(list({p.author for p in posts}))
    liked = await store.liked_posts(call.user, [p.id for p in posts])
    return [
        {
            "id": post.id,
            "author": views.public_user(authors[post.author]) if post.author in authors else None,
            "text": post.text,
            "media": [media_ref(key) for key in post.media],
            "created_at": post.created_at,
            "likes": await likes.count(post.id),
            "liked": post.id in liked,
        }
        for post in posts
    ]


async def _page(call: Call[Any], authors: Sequence[UserId]) -> dict[str, Any]:
    """One page of the authors' posts, minus those of authors who hide from the caller."""
    limit = _limit(call)
    found = await call.platform.store.list_posts(authors, before=_cursor(call), limit=limit)
    allowed = {
        a for a in {p.author for p in found} if await may_see_posts_of(call.platform, call.user, a)
    }
    shown = [p for p in found if p.author in allowed]
    return {
        "posts": await _post_views(call, shown),
        "next_cursor": found[-1].id if len(found) == limit else None,
    }


@router.route(
    "POST",
    "/api/posts",
    summary="Post to my feed: text and up to 9 images or videos I uploaded",
    body=NewPost,
    status=201,
    errors=(
        "empty_post",
        "too_long",
        "too_many_media",
        "bad_media_key",
        "media_not_yours",
        "media_kind",
        "media_not_uploaded",
    ),
)
async def create_post(call: Call[NewPost]) -> dict[str, Any]:
    platform = call.platform
    text, media = call.body.text.strip(), list(dict.fromkeys(call.body.media))
    if not text and not media:
        raise InvalidInput("empty_post", "a post needs text or media")
    if len(text) > MAX_POST_TEXT:
        raise InvalidInput("too_long", f"a post's text is at most {MAX_POST_TEXT} characters")
    if len(media) > MAX_POST_MEDIA:
        raise InvalidInput("too_many_media", f"a post holds at most {MAX_POST_MEDIA} media")
    library = MediaLibrary(platform)
    for key in media:
        await library.claim(call.user, key, POST_MEDIA)

    post = Post(new_id(), call.user, text, tuple(media), platform.clock())
    await platform.store.create_post(post)
    await platform.likes.created(post.id)
    for key in media:
        await library.record(key, UseScope.POST, post.id)
    return (await _post_views(call, [post]))[0]


@router.route(
    "GET",
    "/api/feed",
    summary="My feed: my posts and my friends', newest first (cursor: next_cursor)",
    query=("cursor", "limit"),
    errors=("bad_cursor", "bad_query"),
)
async def feed(call: Call[None]) -> dict[str, Any]:
    store = call.platform.store
    blocked = set(await store.list_blocks(call.user))
    friends = [f.friend for f in await store.list_friends(call.user) if f.friend not in blocked]
    return await _page(call, [call.user, *friends])


@router.route(
    "GET",
    "/api/users/{user_id}/posts",
    summary="A user's posts, newest first (mine, or a friend's)",
    query=("cursor", "limit"),
    errors=("user_not_found", "not_friend", "bad_cursor", "bad_query"),
)
async def user_posts(call: Call[None]) -> dict[str, Any]:
    author = await get_user_or_404(call.platform, call.path("user_id"))
    if not await may_see_posts_of(call.platform, call.user, author.id):
        raise Forbidden("not_friend", "only friends see each other's posts")
    return await _page(call, [author.id])


@router.route(
    "GET",
    "/api/posts/{post_id}",
    summary="One post (its author's friends)",
    errors=("post_not_found",),
)
async def get_post(call: Call[None]) -> dict[str, Any]:
    return (await _post_views(call, [await visible_post(call)]))[0]


@router.route(
    "DELETE",
    "/api/posts/{post_id}",
    summary="Delete my post with its likes and comments",
    status=204,
    errors=("post_not_found", "not_author"),
)
async def delete_post(call: Call[None]) -> None:
    platform = call.platform
    post = await visible_post(call)
    if post.author != call.user:
        raise Forbidden("not_author", "only the author may delete a post")
    await platform.store.delete_post(post.id)
    await platform.likes.deleted(post.id)
    await platform.store.remove_media_uses(UseScope.POST, post.id)


@router.route(
    "PUT",
    "/api/posts/{post_id}/like",
    summary="Like a post (idempotent)",
    errors=("post_not_found",),
)
async def like(call: Call[None]) -> dict[str, Any]:
    post = await visible_post(call)
    _, count = await call.platform.likes.like(post.id, call.user, now=call.platform.clock())
    return {"liked": True, "likes": count}


@router.route(
    "DELETE",
    "/api/posts/{post_id}/like",
    summary="Take my like back (idempotent)",
    errors=("post_not_found",),
)
async def unlike(call: Call[None]) -> dict[str, Any]:
    post = await visible_post(call)
    _, count = await call.platform.likes.unlike(post.id, call.user)
    return {"liked": False, "likes": count}


async def _circle(call: Call[Any], post: Post) -> set[UserId]:
    """Whose likes and comments the caller sees: self, the author and own friends."""
    friends = await call.platform.store.list_friends(call.user)
    return {call.user, post.author, *(f.friend for f in friends)}


@router.route(
    "GET",
    "/api/posts/{post_id}/likes",
    summary="The like count, and who liked among me and my friends",
    errors=("post_not_found",),
)
async def list_likes(call: Call[None]) -> dict[str, Any]:
    store = call.platform.store
    post = await visible_post(call)
    circle = await _circle(call, post)
    shown = [like for like in await store.list_likes(post.id) if like.user in circle]
    users = await store.get_users([like.user for like in shown])
    return {
        "likes": await call.platform.likes.count(post.id),
        "likers": [
            {"user": views.public_user(users[like.user]), "at": like.created_at}
            for like in shown
            if like.user in users
        ],
    }


def _comment_view(comment: Comment) -> dict[str, Any]:
    return {
        "id": comment.id,
        "post": comment.post,
        "author": comment.author,
        "text": comment.text,
        "reply_to": comment.reply_to,
        "reply_to_user": comment.reply_to_user,
        "created_at": comment.created_at,
    }


async def _comment_of(
    call: Call[Any], post: Post, comment_id: str, circle: Iterable[UserId]
) -> Comment:
    comment = await call.platform.store.get_comment(comment_id)
    if comment is None or comment.post != post.id or comment.author not in set(circle):
        raise NotFound("comment_not_found", "no such comment on this post")
    return comment


@router.route(
    "POST",
    "/api/posts/{post_id}/comments",
    summary="Comment on a post, or reply to a comment I can see (reply_to)",
    body=NewComment,
    status=201,
    errors=("post_not_found", "comment_not_found", "empty_comment", "too_long"),
)
async def create_comment(call: Call[NewComment]) -> dict[str, Any]:
    post = await visible_post(call)
    text = call.body.text.strip()
    if not text:
        raise InvalidInput("empty_comment", "a comment needs text")
    if len(text) > MAX_COMMENT:
        raise InvalidInput("too_long", f"a comment is at most {MAX_COMMENT} characters")
    answered = None
    if call.body.reply_to is not None:
        answered = await _comment_of(call, post, call.body.reply_to, await _circle(call, post))
    comment = Comment(
        id=new_id(),
        post=post.id,
        author=call.user,
        text=text,
        created_at=call.platform.clock(),
        reply_to=answered.id if answered else None,
        reply_to_user=answered.author if answered else None,
    )
    await call.platform.store.add_comment(comment)
    return _comment_view(comment)


@router.route(
    "GET",
    "/api/posts/{post_id}/comments",
    summary="Comments by me, the author and my friends, oldest first (cursor: next_cursor)",
    query=("cursor", "limit"),
    errors=("post_not_found", "bad_cursor", "bad_query"),
)
async def list_comments(call: Call[None]) -> dict[str, Any]:
    post = await visible_post(call)
    limit = _limit(call, default=50, most=200)
    found = await call.platform.store.list_comments(post.id, after=_cursor(call), limit=limit)
    circle = await _circle(call, post)
    return {
        "comments": [_comment_view(c) for c in found if c.author in circle],
        "next_cursor": found[-1].id if len(found) == limit else None,
    }


@router.route(
    "DELETE",
    "/api/posts/{post_id}/comments/{comment_id}",
    summary="Delete my comment (the post's author may delete any)",
    status=204,
    errors=("post_not_found", "comment_not_found", "not_author"),
)
async def delete_comment(call: Call[None]) -> None:
    post = await visible_post(call)
    comment = await _comment_of(call, post, call.path("comment_id"), await _circle(call, post))
    if call.user not in (comment.author, post.author):
        raise Forbidden("not_author", "only its author or the post's author may delete a comment")
    await call.platform.store.delete_comment(comment.id)
