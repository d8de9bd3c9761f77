"""Who may see and touch media, posts, likes, comments, group links and bottles.

Every row runs against a fresh world around one ``owner``:

- ``friend`` and ``friend2``: the owner's friends, strangers to each other;
- ``blocked``: the owner's friend, blocked by the owner;
- ``member``: in the owner's group ``G``, not a friend; ``stranger``: nobody's.

The owner sent image ``M_chat`` to ``friend`` (``D``), posted ``P`` with image
``M_post`` (liked by ``friend``; commented by ``friend`` as ``C1`` and by
``friend2`` as ``C2``), set avatar ``M_avatar``, feed cover ``M_cover`` and
chat background ``M_bg``, and threw bottle ``B``, which ``friend`` fished.
"""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from tests.support.accounts import befriend, login, make_group
from tests.support.matrix import COLUMNS, World, check_row, row
from tests.support.media import direct, send, upload


async def _build_world(client: httpx.AsyncClient) -> World:
    who = ("owner", "friend", "friend2", "blocked", "member", "stranger")
    accounts = {name: await login(client, device=name) for name in who}
    owner, friend, friend2 = accounts["owner"], accounts["friend"], accounts["friend2"]
    for name in ("friend", "friend2", "blocked"):
        await befriend(client, owner, accounts[name])
    await befriend(client, owner, accounts["member"])
    group = await make_group(client, owner, [accounts["member"]])
    await client.delete(f"/api/friends/{accounts['member'].id}", headers=owner.headers)
    await client.put(f"/api/blocks/{accounts['blocked'].id}", headers=owner.headers)

    names = {name: account.id for name, account in accounts.items()}
    names["M_chat"] = await upload(client, owner)
    assert (
        await send(client, owner, direct(owner, friend), "image", {"key": names["M_chat"]})
    ).status_code == 201
    names["M_post"] = await upload(client, owner)
    made = await client.post(
        "/api/posts", json={"text": "p", "media": [names["M_post"]]}, headers=owner.headers
    )
    names["P"] = made.json()["id"]
    await client.put(f"/api/posts/{names['P']}/like", headers=friend.headers)
    for key, author in (("C1", friend), ("C2", friend2)):
        comment = await client.post(
            f"/api/posts/{names['P']}/comments", json={"text": key}, headers=author.headers
        )
        names[key] = comment.json()["id"]
    pictures = {"avatar": "M_avatar", "feed_cover": "M_cover", "chat_background": "M_bg"}
    for field, name in pictures.items():
        names[name] = await upload(client, owner)
        changed = await client.patch("/api/me", json={field: names[name]}, headers=owner.headers)
        assert changed.status_code == 200, changed.text
    bottle = await client.post(
        "/api/bottles", json={"text": "b", "lat": 1, "lon": 1}, headers=owner.headers
    )
    names["B"] = bottle.json()["id"]
    fished = await client.post(
        "/api/bottles/fish", json={"lat": 1, "lon": 1}, headers=friend.headers
    )
    assert fished.status_code == 200, fished.text
    names.update(G=group["id"], D=direct(owner, friend))
    return World(accounts, names)


MEDIA = "/api/media/{%s}?as=json"

MEDIA_ROWS = [
    row("chat-media/owner", "owner", "GET", MEDIA % "M_chat", 200),
    row("chat-media/peer", "friend", "GET", MEDIA % "M_chat", 200),
    row("chat-media/other-friend", "friend2", "GET", MEDIA % "M_chat", 403, "forbidden"),
    row("chat-media/stranger", "stranger", "GET", MEDIA % "M_chat", 403, "forbidden"),
    row("post-media/friend", "friend2", "GET", MEDIA % "M_post", 200),
    row("post-media/blocked-friend", "blocked", "GET", MEDIA % "M_post", 403, "forbidden"),
    row("post-media/group-member", "member", "GET", MEDIA % "M_post", 403, "forbidden"),
    row("post-media/stranger", "stranger", "GET", MEDIA % "M_post", 403, "forbidden"),
    row("avatar/stranger", "stranger", "GET", MEDIA % "M_avatar", 200),
    row("feed-cover/friend", "friend", "GET", MEDIA % "M_cover", 200),
    row("feed-cover/stranger", "stranger", "GET", MEDIA % "M_cover", 403, "forbidden"),
    row("chat-background/owner", "owner", "GET", MEDIA % "M_bg", 200),
    row("chat-background/friend", "friend", "GET", MEDIA % "M_bg", 403, "forbidden"),
    row(
        "blob/unsigned-put",
        "stranger",
        "PUT",
        "/api/media/blobs/{M_chat}",
        403,
        "bad_signature",
    ),
    row(
        "upload/someone-elses-key-in-chat",
        "friend",
        "POST",
        "/api/conversations/{D}/messages",
        403,
        "media_not_yours",
        body={"cid": "steal", "kind": "image", "body": {"key": "{M_chat}"}},
    ),
]

POST_ROWS = [
    row("post/friend", "friend", "GET", "/api/posts/{P}", 200),
    row("post/blocked-friend", "blocked", "GET", "/api/posts/{P}", 404, "post_not_found"),
    row("post/stranger", "stranger", "GET", "/api/posts/{P}", 404, "post_not_found"),
    row("user-posts/self", "owner", "GET", "/api/users/{owner}/posts", 200),
    row("user-posts/friend", "friend", "GET", "/api/users/{owner}/posts", 200),
    row("user-posts/blocked", "blocked", "GET", "/api/users/{owner}/posts", 403, "not_friend"),
    row("user-posts/stranger", "stranger", "GET", "/api/users/{owner}/posts", 403, "not_friend"),
    row("delete-post/author", "owner", "DELETE", "/api/posts/{P}", 204),
    row("delete-post/friend", "friend", "DELETE", "/api/posts/{P}", 403, "not_author"),
    row("delete-post/stranger", "stranger", "DELETE", "/api/posts/{P}", 404, "post_not_found"),
]

LIKE_ROWS = [
    row("like/friend", "friend2", "PUT", "/api/posts/{P}/like", 200),
    row("like/blocked", "blocked", "PUT", "/api/posts/{P}/like", 404, "post_not_found"),
    row("like/stranger", "stranger", "PUT", "/api/posts/{P}/like", 404, "post_not_found"),
    row("unlike/friend", "friend", "DELETE", "/api/posts/{P}/like", 200),
    row("likers/friend", "friend2", "GET", "/api/posts/{P}/likes", 200),
    row("likers/stranger", "stranger", "GET", "/api/posts/{P}/likes", 404, "post_not_found"),
]

COMMENT_ROWS = [
    row("comment/friend", "friend2", "POST", "/api/posts/{P}/comments", 201, body={"text": "hi"}),
    row(
        "comment/stranger",
        "stranger",
        "POST",
        "/api/posts/{P}/comments",
        404,
        "post_not_found",
        body={"text": "hi"},
    ),
    row(
        "reply/to-unseen-comment",
        "friend",
        "POST",
        "/api/posts/{P}/comments",
        404,
        "comment_not_found",
        body={"text": "hi", "reply_to": "{C2}"},
    ),
    row("comments/friend", "friend", "GET", "/api/posts/{P}/comments", 200),
    row("comments/stranger", "stranger", "GET", "/api/posts/{P}/comments", 404, "post_not_found"),
    row("delete-comment/own", "friend", "DELETE", "/api/posts/{P}/comments/{C1}", 204),
    row("delete-comment/post-author", "owner", "DELETE", "/api/posts/{P}/comments/{C2}", 204),
    row(
        "delete-comment/unseen",
        "friend",
        "DELETE",
        "/api/posts/{P}/comments/{C2}",
        404,
        "comment_not_found",
    ),
]

LINK_ROWS = [
    row("group-qr/member", "member", "GET", "/api/groups/{G}/qr", 200),
    row("group-qr/non-member", "friend", "GET", "/api/groups/{G}/qr", 403, "not_member"),
    row("group-invite/member", "member", "GET", "/api/groups/{G}/invite", 200),
    row("group-invite/stranger", "stranger", "GET", "/api/groups/{G}/invite", 403, "not_member"),
    row(
        "group-join/without-token",
        "stranger",
        "POST",
        "/api/groups/{G}/join",
        403,
        "bad_link",
        body={"token": "1.x"},
    ),
]

BOTTLE_ROWS = [
    row("reply/holder", "friend", "POST", "/api/bottles/{B}/reply", 201, body={"text": "hi"}),
    row(
        "reply/thrower",
        "owner",
        "POST",
        "/api/bottles/{B}/reply",
        404,
        "bottle_not_found",
        body={"text": "hi"},
    ),
    row(
        "reply/stranger",
        "stranger",
        "POST",
        "/api/bottles/{B}/reply",
        404,
        "bottle_not_found",
        body={"text": "hi"},
    ),
    row("throw-back/holder", "friend", "POST", "/api/bottles/{B}/throw-back", 204),
    row(
        "throw-back/stranger",
        "stranger",
        "POST",
        "/api/bottles/{B}/throw-back",
        404,
        "bottle_not_found",
    ),
]


@pytest.mark.parametrize(
    COLUMNS,
    [*MEDIA_ROWS, *POST_ROWS, *LIKE_ROWS, *COMMENT_ROWS, *LINK_ROWS, *BOTTLE_ROWS],
)
async def test_social_authorization(
    client: httpx.AsyncClient,
    actor: str,
    method: str,
    path: str,
    body: dict[str, Any] | None,
    status: int,
    code: str | None,
) -> None:
    """The actor gets the row's status and code, and never sees the owner's phone."""
    world = await _build_world(client)
    await check_row(
        client,
        world,
        actor=actor,
        method=method,
        path=path,
        body=body,
        status=status,
        code=code,
    )
