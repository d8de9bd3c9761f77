"""The feed over HTTP: posts, paging, likes with exact counts, threaded comments."""

from __future__ import annotations

import asyncio
import random

import httpx

from tests.support.accounts import Account, befriend, login
from tests.support.checks import expect_error
from tests.support.media import download, upload
from tests.support.server import RunningServer


async def post(
    client: httpx.AsyncClient, account: Account, text: str = "hello", media: list[str] | None = None
) -> dict[str, object]:
    answer = await client.post(
        "/api/posts", json={"text": text, "media": media or []}, headers=account.headers
    )
    assert answer.status_code == 201, answer.text
    made: dict[str, object] = answer.json()
    return made


async def test_friend_sees_likes_and_comments_a_stranger_does_not(
    client: httpx.AsyncClient,
) -> None:
    """A post with a photo: the friend sees it in the feed, downloads the photo, likes
    and comments; a stranger sees nothing of it."""
    ada, bob, eve = await login(client), await login(client), await login(client)
    await befriend(client, ada, bob)
    photo = await upload(client, ada)
    made = await post(client, ada, "sunset", [photo])
    assert made["media"] == [{"key": photo, "kind": "image"}]
    assert (made["likes"], made["liked"]) == (0, False)

    feed = (await client.get("/api/feed", headers=bob.headers)).json()
    assert [p["id"] for p in feed["posts"]] == [made["id"]]
    assert feed["posts"][0]["author"]["id"] == ada.id
    assert (await download(client, bob, photo)).status_code == 200
    liked = await client.put(f"/api/posts/{made['id']}/like", headers=bob.headers)
    assert liked.json() == {"liked": True, "likes": 1}
    comment = await client.post(
        f"/api/posts/{made['id']}/comments", json={"text": "lovely"}, headers=bob.headers
    )
    assert comment.status_code == 201

    seen = (await client.get(f"/api/posts/{made['id']}", headers=ada.headers)).json()
    assert seen["likes"] == 1
    comments = (await client.get(f"/api/posts/{made['id']}/comments", headers=ada.headers)).json()
    assert [c["text"] for c in comments["comments"]] == ["lovely"]

    assert (await client.get("/api/feed", headers=eve.headers)).json()["posts"] == []
    expect_error(
        await client.get(f"/api/posts/{made['id']}", headers=eve.headers), 404, "post_not_found"
    )
    expect_error(
        await client.get(f"/api/users/{ada.id}/posts", headers=eve.headers), 403, "not_friend"
    )
    expect_error(await download(client, eve, photo), 403, "forbidden")
    expect_error(
        await client.put(f"/api/posts/{made['id']}/like", headers=eve.headers),
        404,
        "post_not_found",
    )


async def test_feed_pages_newest_first(client: httpx.AsyncClient) -> None:
    """Own and friends' posts, newest first, 20 a page with a cursor; strangers' never."""
    ada, bob, eve = await login(client), await login(client), await login(client)
    await befriend(client, ada, bob)
    await post(client, eve, "not for ada")
    made = [await post(client, (ada, bob)[i % 2], f"post {i}") for i in range(25)]
    expected = [p["id"] for p in reversed(made)]

    first = (await client.get("/api/feed", headers=ada.headers)).json()
    assert [p["id"] for p in first["posts"]] == expected[:20]
    second = (
        await client.get(f"/api/feed?cursor={first['next_cursor']}", headers=ada.headers)
    ).json()
    assert [p["id"] for p in second["posts"]] == expected[20:]
    assert second["next_cursor"] is None
    expect_error(await client.get("/api/feed?cursor=nope", headers=ada.headers), 400, "bad_cursor")
    mine = (await client.get(f"/api/users/{ada.id}/posts?limit=5", headers=bob.headers)).json()
    assert all(p["author"]["id"] == ada.id for p in mine["posts"]) and len(mine["posts"]) == 5


async def test_likers_are_limited_to_my_friends(client: httpx.AsyncClient) -> None:
    """Two friends of the author who do not know each other see only their own like;
    the author sees both; everyone sees the full count."""
    ada, bob, cid = await login(client), await login(client), await login(client)
    await befriend(client, ada, bob)
    await befriend(client, ada, cid)
    made = await post(client, ada)
    for fan in (bob, cid):
        assert (
            await client.put(f"/api/posts/{made['id']}/like", headers=fan.headers)
        ).status_code == 200

    def likers(answer: httpx.Response) -> set[str]:
        return {like["user"]["id"] for like in answer.json()["likers"]}

    as_bob = await client.get(f"/api/posts/{made['id']}/likes", headers=bob.headers)
    assert as_bob.json()["likes"] == 2 and likers(as_bob) == {bob.id}
    as_ada = await client.get(f"/api/posts/{made['id']}/likes", headers=ada.headers)
    assert likers(as_ada) == {bob.id, cid.id}
    await befriend(client, bob, cid)
    as_bob = await client.get(f"/api/posts/{made['id']}/likes", headers=bob.headers)
    assert likers(as_bob) == {bob.id, cid.id}


async def test_comment_threads_and_deletion(client: httpx.AsyncClient) -> None:
    """Replies name what they answer; a stranger's-to-me comment stays hidden and cannot
    be answered; I delete mine, the author deletes any, nobody else."""
    ada, bob, cid = await login(client), await login(client), await login(client)
    await befriend(client, ada, bob)
    await befriend(client, ada, cid)
    made = await post(client, ada)
    url = f"/api/posts/{made['id']}/comments"
    first = (await client.post(url, json={"text": "first!"}, headers=ada.headers)).json()
    reply = await client.post(
        url, json={"text": "re", "reply_to": first["id"]}, headers=bob.headers
    )
    assert reply.status_code == 201
    assert (reply.json()["reply_to"], reply.json()["reply_to_user"]) == (first["id"], ada.id)
    hidden = (await client.post(url, json={"text": "cid here"}, headers=cid.headers)).json()

    seen_by_bob = (await client.get(url, headers=bob.headers)).json()["comments"]
    assert [c["text"] for c in seen_by_bob] == ["first!", "re"]
    answer = await client.post(
        url, json={"text": "?", "reply_to": hidden["id"]}, headers=bob.headers
    )
    expect_error(answer, 404, "comment_not_found")
    expect_error(
        await client.post(url, json={"text": "  "}, headers=bob.headers), 422, "empty_comment"
    )

    expect_error(
        await client.delete(f"{url}/{first['id']}", headers=bob.headers), 403, "not_author"
    )
    assert (
        await client.delete(f"{url}/{reply.json()['id']}", headers=bob.headers)
    ).status_code == 204
    assert (await client.delete(f"{url}/{hidden['id']}", headers=ada.headers)).status_code == 204
    assert [c["text"] for c in (await client.get(url, headers=ada.headers)).json()["comments"]] == [
        "first!"
    ]


async def test_deleting_a_post(client: httpx.AsyncClient) -> None:
    """Only the author deletes; afterwards the post, its likes and its media are gone for others."""
    ada, bob = await login(client), await login(client)
    await befriend(client, ada, bob)
    photo = await upload(client, ada)
    made = await post(client, ada, media=[photo])
    await client.put(f"/api/posts/{made['id']}/like", headers=bob.headers)
    expect_error(
        await client.delete(f"/api/posts/{made['id']}", headers=bob.headers), 403, "not_author"
    )
    assert (await client.delete(f"/api/posts/{made['id']}", headers=ada.headers)).status_code == 204
    expect_error(
        await client.get(f"/api/posts/{made['id']}", headers=ada.headers), 404, "post_not_found"
    )
    expect_error(await download(client, bob, photo), 403, "forbidden")


async def test_post_rules(client: httpx.AsyncClient) -> None:
    """A post needs text or media; at most 9 media, my own images or videos."""
    ada, bob = await login(client), await login(client)
    bobs = await upload(client, bob)
    voice = await upload(client, ada, b"ogg", kind="voice", content_type="audio/ogg")
    cases = [
        ({"text": " "}, 422, "empty_post"),
        ({"text": "x" * 2001}, 422, "too_long"),
        ({"media": [f"image.{i:026d}" for i in range(10)]}, 422, "too_many_media"),
        ({"media": [bobs]}, 403, "media_not_yours"),
        ({"media": [voice]}, 422, "media_kind"),
    ]
    for body, status, code in cases:
        expect_error(await client.post("/api/posts", json=body, headers=ada.headers), status, code)


async def test_blocked_friend_no_longer_sees_my_posts(client: httpx.AsyncClient) -> None:
    """Blocking a friend hides my posts from them."""
    ada, bob = await login(client), await login(client)
    await befriend(client, ada, bob)
    made = await post(client, ada)
    await client.put(f"/api/blocks/{bob.id}", headers=ada.headers)
    assert (await client.get("/api/feed", headers=bob.headers)).json()["posts"] == []
    expect_error(
        await client.get(f"/api/posts/{made['id']}", headers=bob.headers), 404, "post_not_found"
    )


async def test_concurrent_likes_and_unlikes_count_the_truth(
    client: httpx.AsyncClient, server: RunningServer
) -> None:
    """Thirty friends liking and unliking at random, all at once, over HTTP: afterwards
    the count shown equals the likes stored."""
    ada = await login(client)
    fans = [await login(client) for _ in range(30)]
    for fan in fans:
        await befriend(client, ada, fan)
    made = await post(client, ada)
    url = f"/api/posts/{made['id']}/like"
    plans = {fan.id: [random.random() < 0.6 for _ in range(random.randint(1, 5))] for fan in fans}

    async def act(fan: Account) -> None:
        for wants in plans[fan.id]:
            answer = await (client.put if wants else client.delete)(url, headers=fan.headers)
            assert answer.status_code == 200, answer.text

    await asyncio.gather(*(act(fan) for fan in fans))
    truth = sum(1 for fan in fans if plans[fan.id][-1])
    assert await server.platform.store.count_likes(str(made["id"])) == truth
    await asyncio.sleep(2.1)  # past the in-process cache's lifetime
    shown = (await client.get(f"/api/posts/{made['id']}", headers=ada.headers)).json()["likes"]
    assert shown == truth
    assert (await client.get(f"/api/posts/{made['id']}/likes", headers=ada.headers)).json()[
        "likes"
    ] == truth
