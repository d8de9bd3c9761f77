"""Media over HTTP with the embedded file storage: uploads through signed URLs,
media messages, and who may download what."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from urllib.parse import parse_qsl, urlencode, urlsplit

import httpx
import pytest

from echosphere.core.ids import ConvId
from tests.support.accounts import befriend, login, make_group
from tests.support.checks import expect_error
from tests.support.media import PNG, declare, direct, download, send, upload
from tests.support.server import RunningServer


async def test_photo_sent_in_chat_reaches_the_friend_not_a_stranger(
    client: httpx.AsyncClient,
) -> None:
    """Upload through the returned URL, send it, the friend downloads the same bytes;
    a stranger gets 403."""
    ada, bob, eve = await login(client), await login(client), await login(client)
    await befriend(client, ada, bob)
    declared = await declare(client, ada)
    assert declared["method"] == "PUT"
    assert declared["upload_url"].startswith(str(client.base_url) + "/api/media/blobs/")
    assert declared["headers"] == {"Content-Type": "image/png"}
    assert declared["expires_in"] > 0

    key = await upload(client, ada)
    sent = await send(client, ada, direct(ada, bob), "image", {"key": key})
    assert sent.status_code == 201, sent.text

    got = await download(client, bob, key)
    assert got.status_code == 200
    assert got.content == PNG
    assert got.headers["content-type"] == "image/png"
    assert got.headers["x-content-type-options"] == "nosniff"
    expect_error(await download(client, eve, key), 403, "forbidden")
    assert (await download(client, ada, key)).content == PNG


async def test_download_redirects_to_a_fresh_signed_url(client: httpx.AsyncClient) -> None:
    """GET /api/media/{key} is a 302 to a signed URL; as=json gives the URL instead."""
    ada = await login(client)
    key = await upload(client, ada)
    answer = await client.get(f"/api/media/{key}", headers=ada.headers)
    assert answer.status_code == 302
    assert "sig=" in answer.headers["location"]
    described = (await client.get(f"/api/media/{key}?as=json", headers=ada.headers)).json()
    assert described["size"] == len(PNG) and described["content_type"] == "image/png"
    assert "sig=" in described["url"]


async def test_unknown_media_is_not_found(client: httpx.AsyncClient) -> None:
    """A key nobody declared, or no key at all, is 404 media_not_found."""
    ada = await login(client)
    for key in ("image.01ARZ3NDEKTSV4RRFFQ69G5FAV", "whatever"):
        expect_error(
            await client.get(f"/api/media/{key}", headers=ada.headers), 404, "media_not_found"
        )


def _with(url: str, **changes: str) -> str:
    parts = urlsplit(url)
    query = {**dict(parse_qsl(parts.query)), **changes}
    return parts._replace(query=urlencode(query)).geturl()


@pytest.mark.parametrize(
    "change", [{"sig": "AAAA"}, {"size": "99999999"}, {"exp": "99999999999"}, {"ct": "text/html"}]
)
async def test_tampered_upload_url_is_refused(
    client: httpx.AsyncClient, change: dict[str, str]
) -> None:
    """Any change to a signed upload URL is 403 bad_signature and stores nothing."""
    ada = await login(client)
    declared = await declare(client, ada)
    put = await client.put(_with(declared["upload_url"], **change), content=PNG)
    expect_error(put, 403, "bad_signature")
    expect_error(await download(client, ada, declared["key"]), 404, "media_not_found")


async def test_expired_urls_are_refused(client: httpx.AsyncClient, server: RunningServer) -> None:
    """After its expiry an upload or download URL is 403 url_expired."""
    ada = await login(client)
    declared = await declare(client, ada)
    key = await upload(client, ada)
    location = (await client.get(f"/api/media/{key}", headers=ada.headers)).headers["location"]
    server.platform.clock = lambda: time.time() + 3600
    expect_error(await client.put(declared["upload_url"], content=PNG), 403, "url_expired")
    expect_error(await client.get(location), 403, "url_expired")


async def test_upload_bounded_by_declared_size(client: httpx.AsyncClient) -> None:
    """Sending more than declared is 413 and keeps nothing; the key stays unusable."""
    ada = await login(client)
    declared = await declare(client, ada, size=100)
    url = declared["upload_url"]
    expect_error(await client.put(url, content=PNG), 413, "media_too_large")

    async def stream() -> AsyncIterator[bytes]:  # no Content-Length: cut off while reading
        for _ in range(10):
            yield b"x" * 50

    expect_error(await client.put(url, content=stream()), 413, "media_too_large")
    used = await client.patch("/api/me", json={"avatar": declared["key"]}, headers=ada.headers)
    expect_error(used, 409, "media_not_uploaded")


async def test_an_object_is_uploaded_once(client: httpx.AsyncClient) -> None:
    """A second PUT to a used upload URL is 409 already_uploaded."""
    ada = await login(client)
    declared = await declare(client, ada, size=4)
    assert (await client.put(declared["upload_url"], content=b"abcd")).status_code == 204
    expect_error(await client.put(declared["upload_url"], content=b"efgh"), 409, "already_uploaded")
    assert (await download(client, ada, declared["key"])).content == b"abcd"


@pytest.mark.parametrize(
    ("kind", "content_type", "size", "status", "code"),
    [
        ("image", "image/png", 10 * 1024 * 1024 + 1, 413, "media_too_large"),
        ("voice", "audio/ogg", 5 * 1024 * 1024 + 1, 413, "media_too_large"),
        ("video", "video/mp4", 100 * 1024 * 1024 + 1, 413, "media_too_large"),
        ("image", "image/svg+xml", 10, 415, "unsupported_media_type"),
        ("voice", "image/png", 10, 415, "unsupported_media_type"),
        ("sticker", "image/png", 10, 422, "bad_kind"),
    ],
)
async def test_declarations_past_the_limits(
    client: httpx.AsyncClient, kind: str, content_type: str, size: int, status: int, code: str
) -> None:
    """Per-kind limits and types: 413 and 415 with clear codes."""
    ada = await login(client)
    answer = await client.post(
        "/api/media/uploads",
        json={"kind": kind, "content_type": content_type, "size": size},
        headers=ada.headers,
    )
    expect_error(answer, status, code)


async def test_media_messages_need_my_own_uploaded_key(client: httpx.AsyncClient) -> None:
    """Someone else's key, a key not uploaded yet, a key of the wrong kind or no key
    at all are refused; a file message may carry any upload."""
    ada, bob = await login(client), await login(client)
    await befriend(client, ada, bob)
    conv = direct(ada, bob)
    bobs = await upload(client, bob)
    pending = (await declare(client, ada))["key"]
    voice = await upload(client, ada, b"ogg!", kind="voice", content_type="audio/ogg")
    photo = await upload(client, ada)

    expect_error(await send(client, ada, conv, "image", {"key": bobs}), 403, "media_not_yours")
    expect_error(
        await send(client, ada, conv, "image", {"key": pending}), 409, "media_not_uploaded"
    )
    expect_error(await send(client, ada, conv, "image", {"key": voice}), 422, "media_kind")
    expect_error(await send(client, ada, conv, "image", {"key": "k1"}), 422, "bad_media_key")
    sent = await send(client, ada, conv, "voice", {"key": voice, "duration": 2.5})
    assert sent.status_code == 201, sent.text
    sent = await send(client, ada, conv, "file", {"key": photo, "name": "cat.png"})
    assert sent.status_code == 201, sent.text
    video = await upload(client, ada, b"mp4", kind="video", content_type="video/mp4")
    sent = await send(client, ada, conv, "video", {"key": video, "duration": 1, "size": 3})
    assert sent.status_code == 201, sent.text


async def test_group_media_follows_membership(client: httpx.AsyncClient) -> None:
    """Members see media sent while they were in; a late joiner does not see older media."""
    owner, early, late = await login(client), await login(client), await login(client)
    for friend in (early, late):
        await befriend(client, owner, friend)
    group = await make_group(client, owner, [early])
    before = await upload(client, owner)
    assert (await send(client, owner, group["conv"], "image", {"key": before})).status_code == 201
    added = await client.post(
        f"/api/groups/{group['id']}/members", json={"user_ids": [late.id]}, headers=owner.headers
    )
    assert added.status_code == 200
    after = await upload(client, owner)
    sent = await send(client, owner, group["conv"], "image", {"key": after})
    assert sent.status_code == 201

    assert (await download(client, early, before)).status_code == 200
    expect_error(await download(client, late, before), 403, "forbidden")
    assert (await download(client, late, after)).status_code == 200


async def test_recalled_media_is_withdrawn(
    client: httpx.AsyncClient, server: RunningServer
) -> None:
    """Once the message is recalled, the peer can no longer download its media."""
    ada, bob = await login(client), await login(client)
    await befriend(client, ada, bob)
    key = await upload(client, ada)
    sent = await send(client, ada, direct(ada, bob), "image", {"key": key})
    assert sent.status_code == 201
    assert (await download(client, bob, key)).status_code == 200
    await server.platform.store.recall_message(ConvId(sent.json()["conv"]), sent.json()["seq"])
    expect_error(await download(client, bob, key), 403, "forbidden")


async def test_profile_pictures(client: httpx.AsyncClient) -> None:
    """An avatar is seen by anyone, a feed cover by friends, a chat background by me;
    only my own images may be used, and "" clears."""
    ada, bob, eve = await login(client), await login(client), await login(client)
    await befriend(client, ada, bob)
    avatar, cover, background = [await upload(client, ada) for _ in range(3)]
    change = {"avatar": avatar, "feed_cover": cover, "chat_background": background}
    me = await client.patch("/api/me", json=change, headers=ada.headers)
    assert me.status_code == 200, me.text
    assert {k: me.json()[k] for k in change} == change

    assert (await download(client, eve, avatar)).status_code == 200
    assert (await download(client, bob, cover)).status_code == 200
    expect_error(await download(client, eve, cover), 403, "forbidden")
    expect_error(await download(client, bob, background), 403, "forbidden")
    profile = (await client.get(f"/api/users/{ada.id}", headers=bob.headers)).json()
    assert (profile["avatar"], profile["feed_cover"]) == (avatar, cover)
    assert (await client.get(f"/api/users/{ada.id}", headers=eve.headers)).json()[
        "feed_cover"
    ] is None

    bobs = await upload(client, bob)
    refused = await client.patch("/api/me", json={"avatar": bobs}, headers=ada.headers)
    expect_error(refused, 403, "media_not_yours")
    cleared = await client.patch("/api/me", json={"avatar": ""}, headers=ada.headers)
    assert cleared.json()["avatar"] is None


async def test_active_content_is_served_as_an_attachment(client: httpx.AsyncClient) -> None:
    """An HTML file is downloaded as an attachment in a sandbox, never rendered inline."""
    ada = await login(client)
    key = await upload(
        client, ada, b"<script>alert(1)</script>", kind="file", content_type="text/html"
    )
    got = await download(client, ada, key)
    assert got.status_code == 200
    assert got.headers["content-disposition"] == "attachment"
    assert "sandbox" in got.headers["content-security-policy"]
    assert got.headers["x-content-type-options"] == "nosniff"
