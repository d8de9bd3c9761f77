"""Drifting bottles over HTTP: coarse locations, radius, exclusions, expiry,
quotas, and the conversation a reply opens."""

from __future__ import annotations

import asyncio
import time

import httpx

from echosphere.core.geo import KM_PER_DEGREE, distance_km
from tests.support.accounts import Account, login
from tests.support.checks import expect_error
from tests.support.media import download, upload
from tests.support.server import RunningServer

PARIS = (48.8566, 2.3522)


def north_of(km: float, origin: tuple[float, float] = PARIS) -> dict[str, float]:
    return {"lat": origin[0] + km / KM_PER_DEGREE, "lon": origin[1]}


async def throw(
    client: httpx.AsyncClient, account: Account, text: str = "hello, sea", **where: float
) -> dict[str, object]:
    answer = await client.post(
        "/api/bottles",
        json={"text": text, **(where or {"lat": PARIS[0], "lon": PARIS[1]})},
        headers=account.headers,
    )
    assert answer.status_code == 201, answer.text
    thrown: dict[str, object] = answer.json()
    return thrown


async def fish(
    client: httpx.AsyncClient, account: Account, radius_km: float = 10, **where: float
) -> httpx.Response:
    return await client.post(
        "/api/bottles/fish",
        json={**(where or north_of(5)), "radius_km": radius_km},
        headers=account.headers,
    )


async def test_fished_from_5_km_not_from_500(client: httpx.AsyncClient) -> None:
    """A bottle thrown in Paris is fished from 5 km away, not from 500 km away."""
    ada, bob = await login(client), await login(client)
    thrown = await throw(client, ada)
    expect_error(await fish(client, bob, **north_of(500)), 404, "no_bottle")
    found = await fish(client, bob, **north_of(5))
    assert found.status_code == 200, found.text
    bottle = found.json()
    assert (bottle["id"], bottle["text"]) == (thrown["id"], "hello, sea")
    assert 4 <= bottle["distance_km"] <= 6
    assert "owner" not in bottle and ada.id not in found.text


async def test_location_is_coarsened_before_it_is_stored(
    client: httpx.AsyncClient, server: RunningServer
) -> None:
    """The stored and shown location is a ~1 km cell's centre, not the exact point."""
    ada = await login(client)
    exact = {"lat": 48.856613, "lon": 2.352222}
    thrown = await throw(client, ada, **exact)
    assert (thrown["lat"], thrown["lon"]) != (exact["lat"], exact["lon"])
    assert distance_km(exact["lat"], exact["lon"], thrown["lat"], thrown["lon"]) < 0.75
    stored = await server.platform.store.get_bottle(str(thrown["id"]))
    assert stored is not None and (stored.lat, stored.lon) == (thrown["lat"], thrown["lon"])


async def test_own_held_and_already_fished_bottles_are_excluded(client: httpx.AsyncClient) -> None:
    """Nobody fishes their own bottle; a held one is out of reach; thrown back, it
    drifts to others but never back to who fished it."""
    ada, bob, cid = await login(client), await login(client), await login(client)
    thrown = await throw(client, ada)
    expect_error(await fish(client, ada), 404, "no_bottle")
    assert (await fish(client, bob)).json()["id"] == thrown["id"]
    expect_error(await fish(client, cid), 404, "no_bottle")

    back = await client.post(f"/api/bottles/{thrown['id']}/throw-back", headers=bob.headers)
    assert back.status_code == 204
    expect_error(await fish(client, bob), 404, "no_bottle")
    assert (await fish(client, cid)).json()["id"] == thrown["id"]
    expect_error(
        await client.post(f"/api/bottles/{thrown['id']}/throw-back", headers=bob.headers),
        403,
        "not_holder",
    )


async def test_bottles_expire(client: httpx.AsyncClient, server: RunningServer) -> None:
    """After 7 days a bottle can no longer be fished nor answered."""
    ada, bob, cid = await login(client), await login(client), await login(client)
    await throw(client, ada, "drifting")
    await throw(client, ada, "to be held")
    held = (await fish(client, bob)).json()
    server.platform.clock = lambda: time.time() + 7 * 86400 + 60
    await asyncio.sleep(1.1)  # the interval between two login codes for one phone
    bob, cid = await login(client, bob.phone), await login(client, cid.phone)  # fresh tokens
    expect_error(await fish(client, cid), 404, "no_bottle")
    answer = await client.post(
        f"/api/bottles/{held['id']}/reply", json={"text": "late"}, headers=bob.headers
    )
    expect_error(answer, 409, "bottle_expired")


async def test_reply_opens_a_conversation_with_the_thrower(client: httpx.AsyncClient) -> None:
    """Replying sends the reply as the first message of a new one-to-one chat between
    strangers; the thrower finds it and can answer; repeating the reply sends nothing new."""
    ada, bob, cid = await login(client), await login(client), await login(client)
    thrown = await throw(client, ada)
    await fish(client, bob)
    url = f"/api/bottles/{thrown['id']}/reply"
    expect_error(
        await client.post(url, json={"text": "me?"}, headers=cid.headers), 404, "bottle_not_found"
    )
    replied = await client.post(url, json={"text": "found it!"}, headers=bob.headers)
    assert replied.status_code == 201, replied.text
    conv, seq = replied.json()["conv"], replied.json()["seq"]
    low, high = sorted((ada.id, bob.id))
    assert conv == f"d:{low}:{high}"
    assert seq == 1

    listed = (await client.get("/api/conversations", headers=ada.headers)).json()["conversations"]
    mine = [c for c in listed if c["conv"] == conv]
    assert mine and mine[0]["last_message"]["body"] == {"text": "found it!", "bottle": thrown["id"]}
    answer = await client.post(
        f"/api/conversations/{conv}/messages",
        json={"cid": "hi-back", "kind": "text", "body": {"text": "hello stranger"}},
        headers=ada.headers,
    )
    assert answer.status_code == 201, answer.text

    again = await client.post(url, json={"text": "found it!"}, headers=bob.headers)
    assert (again.status_code, again.json()["seq"]) == (201, seq)
    expect_error(await fish(client, cid), 404, "no_bottle")  # out of the sea for good
    back = await client.post(f"/api/bottles/{thrown['id']}/throw-back", headers=bob.headers)
    expect_error(back, 409, "bottle_answered")


async def test_blocked_fisher_cannot_reply(client: httpx.AsyncClient) -> None:
    """A thrower who blocked the fisher does not get their reply."""
    ada, bob = await login(client), await login(client)
    thrown = await throw(client, ada)
    await fish(client, bob)
    await client.put(f"/api/blocks/{bob.id}", headers=ada.headers)
    answer = await client.post(
        f"/api/bottles/{thrown['id']}/reply", json={"text": "hi"}, headers=bob.headers
    )
    expect_error(answer, 403, "blocked")


async def test_voice_bottle_is_heard_by_its_fisher_only(client: httpx.AsyncClient) -> None:
    """A bottle may hold a voice upload instead of text; only who fished it downloads it."""
    ada, bob, cid = await login(client), await login(client), await login(client)
    voice = await upload(client, ada, b"OggS...", kind="voice", content_type="audio/ogg")
    answer = await client.post(
        "/api/bottles", json={"media": voice, **north_of(0)}, headers=ada.headers
    )
    assert answer.status_code == 201, answer.text
    found = (await fish(client, bob)).json()
    assert found["media"] == {"key": voice, "kind": "voice"} and found["text"] == ""
    assert (await download(client, bob, voice)).content == b"OggS..."
    expect_error(await download(client, cid, voice), 403, "forbidden")


async def test_daily_quotas(client: httpx.AsyncClient) -> None:
    """Ten throws and twenty fishes a day; past them, 429 quota_exceeded with Retry-After."""
    ada, bob = await login(client), await login(client)
    for i in range(10):
        assert (await throw(client, ada, f"bottle {i}"))["throws_left"] == 9 - i
    refused = await client.post(
        "/api/bottles", json={"text": "one more", "lat": 0, "lon": 0}, headers=ada.headers
    )
    expect_error(refused, 429, "quota_exceeded")
    assert 0 < int(refused.headers["retry-after"]) <= 86400
    for _ in range(20):
        assert (await fish(client, bob)).status_code in (200, 404)
    expect_error(await fish(client, bob), 429, "quota_exceeded")


async def test_bad_requests(client: httpx.AsyncClient) -> None:
    """Places off the globe, radii out of range, and bottles with both or neither content."""
    ada = await login(client)
    cases = [
        ("/api/bottles", {"text": "x", "lat": 91, "lon": 0}, "bad_location"),
        ("/api/bottles", {"lat": 1, "lon": 1}, "bad_bottle"),
        ("/api/bottles", {"text": "x", "media": "image.x", "lat": 1, "lon": 1}, "bad_bottle"),
        ("/api/bottles", {"text": "x" * 501, "lat": 1, "lon": 1}, "too_long"),
        ("/api/bottles/fish", {"lat": 1, "lon": 1, "radius_km": 0}, "bad_radius"),
        ("/api/bottles/fish", {"lat": 1, "lon": 1, "radius_km": 500}, "bad_radius"),
        ("/api/bottles/fish", {"lat": 1, "lon": 200}, "bad_location"),
    ]
    for path, body, code in cases:
        expect_error(await client.post(path, json=body, headers=ada.headers), 422, code)
