"""Profiles over HTTP: my own, other people's, look-ups, handles and the QR code."""

from __future__ import annotations

import time
from typing import Any

import httpx
import pytest

from echosphere.api.users import qr_png
from echosphere.core.ids import DeviceId, UserId
from echosphere.core.tokens import TokenSigner
from tests.support.accounts import Account, befriend, login
from tests.support.checks import expect_error
from tests.support.server import RunningServer

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


async def _patch_me(
    client: httpx.AsyncClient,
    account: Account,
    headers: dict[str, str] | None = None,
    **change: Any,
) -> httpx.Response:
    return await client.patch("/api/me", json=change, headers=headers or account.headers)


async def test_me_is_my_own_profile_with_phone(client: httpx.AsyncClient) -> None:
    """GET /api/me shows my id, my phone and the defaults of a new profile."""
    account = await login(client)
    me = (await client.get("/api/me", headers=account.headers)).json()
    assert me["id"] == account.id
    assert me["phone"] == account.phone
    assert me["handle"] is None
    assert me["discoverable_by_phone"] is True


async def test_profile_fields_change(client: httpx.AsyncClient) -> None:
    """PATCH /api/me changes the given fields, keeps the others, and GET shows them."""
    account = await login(client)
    change = {
        "nickname": "Ada",
        "bio": "counting",
        "gender": "female",
        "region": "London",
    }
    answer = await _patch_me(client, account, **change)
    assert answer.status_code == 200, answer.text
    assert (await _patch_me(client, account, bio="still counting")).status_code == 200
    me = (await client.get("/api/me", headers=account.headers)).json()
    assert me == {**me, **change, "bio": "still counting"}


@pytest.mark.parametrize(
    ("change", "status", "code"),
    [
        pytest.param({"gender": "robot"}, 422, "bad_gender", id="unknown-gender"),
        pytest.param({"nickname": "n" * 41}, 422, "too_long", id="nickname-too-long"),
        pytest.param({"bio": "b" * 281}, 422, "too_long", id="bio-too-long"),
        pytest.param({"phone": "+14155550000"}, 422, "invalid", id="phone-not-changeable"),
        pytest.param({"nickname": 5}, 422, "invalid", id="wrong-type"),
        pytest.param({"handle": "ab"}, 422, "bad_handle", id="handle-too-short"),
        pytest.param({"handle": "a" * 21}, 422, "bad_handle", id="handle-too-long"),
        pytest.param({"handle": "a-b-c"}, 422, "bad_handle", id="handle-with-dash"),
        pytest.param({"handle": "été_1"}, 422, "bad_handle", id="handle-not-ascii"),
    ],
)
async def test_bad_profile_change_is_refused(
    client: httpx.AsyncClient, change: dict[str, Any], status: int, code: str
) -> None:
    """Invalid profile changes are refused with a stable code and change nothing."""
    account = await login(client)
    expect_error(await _patch_me(client, account, **change), status, code)
    me = (await client.get("/api/me", headers=account.headers)).json()
    assert me["handle"] is None and me["nickname"] == ""


async def test_handle_is_stored_lowercase_and_unique(client: httpx.AsyncClient) -> None:
    """A handle is kept lowercase, and the same handle in any case is taken."""
    a, b = await login(client), await login(client)
    answer = await _patch_me(client, a, handle="Ada_99")
    assert answer.json()["handle"] == "ada_99"
    expect_error(await _patch_me(client, b, handle="ADA_99"), 409, "handle_taken")


async def test_handle_changes_once_per_30_days(
    server: RunningServer, client: httpx.AsyncClient
) -> None:
    """A second handle change within 30 days is 409; after 30 days it is allowed."""
    account = await login(client)
    assert (await _patch_me(client, account, handle="first_one")).status_code == 200
    expect_error(
        await _patch_me(client, account, handle="second_one"), 409, "handle_change_too_soon"
    )
    same = await _patch_me(client, account, handle="first_one")
    assert same.status_code == 200, "re-sending the current handle is not a change"

    later = time.time() + 31 * 86400
    server.platform.clock = lambda: later
    # A token issued now that is still valid 31 days on, when the server thinks it is.
    signer = TokenSigner(server.platform.settings.jwt_keys, ttl=32 * 86400)
    token = signer.issue(UserId(account.id), DeviceId(account.device), now=time.time())
    headers = {"Authorization": f"Bearer {token}"}
    moved = await _patch_me(client, account, headers=headers, handle="second_one")
    assert moved.status_code == 200, moved.text
    assert moved.json()["handle"] == "second_one"


async def test_other_profile_never_shows_the_phone(client: httpx.AsyncClient) -> None:
    """GET /api/users/{id} shows the public profile, without phone or settings."""
    a, b = await login(client), await login(client)
    await _patch_me(client, a, nickname="Ada")
    seen = await client.get(f"/api/users/{a.id}", headers=b.headers)
    assert seen.status_code == 200
    body = seen.json()
    assert body["nickname"] == "Ada"
    assert body["is_friend"] is False
    assert "phone" not in body and "discoverable_by_phone" not in body
    assert a.phone not in seen.text


async def test_other_profile_shows_friendship_and_my_remark(client: httpx.AsyncClient) -> None:
    """A friend's profile says so and carries the remark I gave them."""
    a, b = await login(client), await login(client)
    await befriend(client, a, b)
    await client.patch(f"/api/friends/{a.id}", json={"remark": "boss"}, headers=b.headers)
    body = (await client.get(f"/api/users/{a.id}", headers=b.headers)).json()
    assert body["is_friend"] is True
    assert body["remark"] == "boss"


async def test_unknown_user_is_404(client: httpx.AsyncClient) -> None:
    """A user id that does not exist is 404 user_not_found."""
    account = await login(client)
    missing = await client.get("/api/users/01HZZZZZZZZZZZZZZZZZZZZZZZ", headers=account.headers)
    expect_error(missing, 404, "user_not_found")


async def test_find_by_handle_is_exact(client: httpx.AsyncClient) -> None:
    """Look-up by handle ignores case and a leading @ but matches no prefix."""
    a, b = await login(client), await login(client)
    await _patch_me(client, a, handle="ada_lovelace")
    for query in ("ada_lovelace", "@Ada_Lovelace"):
        found = await client.get("/api/users", params={"handle": query}, headers=b.headers)
        assert found.json()["id"] == a.id, query
        assert "phone" not in found.json()
    prefix = await client.get("/api/users", params={"handle": "ada"}, headers=b.headers)
    expect_error(prefix, 404, "user_not_found")


async def test_find_by_phone_respects_discoverability(client: httpx.AsyncClient) -> None:
    """Phone look-up finds a discoverable user, not a hidden one (except myself)."""
    a, b = await login(client), await login(client)
    found = await client.get("/api/users", params={"phone": a.phone}, headers=b.headers)
    assert found.json()["id"] == a.id
    assert "phone" not in found.json()

    await _patch_me(client, a, discoverable_by_phone=False)
    hidden = await client.get("/api/users", params={"phone": a.phone}, headers=b.headers)
    expect_error(hidden, 404, "user_not_found")
    mine = await client.get("/api/users", params={"phone": a.phone}, headers=a.headers)
    assert mine.json()["id"] == a.id


async def test_find_by_phone_normalises_the_number(client: httpx.AsyncClient) -> None:
    """A formatted phone number finds the same user as its E.164 form."""
    a, b = await login(client), await login(client)
    spaced = f"{a.phone[:2]} {a.phone[2:5]} {a.phone[5:8]} {a.phone[8:]}"
    found = await client.get("/api/users", params={"phone": spaced}, headers=b.headers)
    assert found.json()["id"] == a.id


@pytest.mark.parametrize(
    ("params", "status", "code"),
    [
        pytest.param({}, 400, "bad_query", id="neither"),
        pytest.param({"handle": "x", "phone": "+14155550100"}, 400, "bad_query", id="both"),
        pytest.param({"phone": "123"}, 422, "bad_phone", id="bad-phone"),
    ],
)
async def test_find_needs_exactly_one_valid_key(
    client: httpx.AsyncClient, params: dict[str, str], status: int, code: str
) -> None:
    """GET /api/users takes exactly one of handle or phone."""
    account = await login(client)
    found = await client.get("/api/users", params=params, headers=account.headers)
    expect_error(found, status, code)


async def test_qr_encodes_the_add_link_with_the_handle(client: httpx.AsyncClient) -> None:
    """My QR code is a PNG of echosphere://add/<handle> once I have a handle."""
    account = await login(client)
    await _patch_me(client, account, handle="qr_person")
    qr = await client.get("/api/me/qr", headers=account.headers)
    assert qr.status_code == 200
    assert qr.headers["content-type"] == "image/png"
    assert qr.content.startswith(PNG_MAGIC)
    assert qr.content == qr_png("echosphere://add/qr_person")


async def test_qr_falls_back_to_the_user_id(client: httpx.AsyncClient) -> None:
    """Without a handle the QR code carries echosphere://add/<user id>."""
    account = await login(client)
    qr = await client.get("/api/me/qr", headers=account.headers)
    assert qr.content == qr_png(f"echosphere://add/{account.id}")
