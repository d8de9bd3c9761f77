"""Phone login, sessions, refresh rotation and devices, over HTTP against a real server."""

from __future__ import annotations

import asyncio
import secrets
import time
from pathlib import Path

import httpx
import jwt
import pytest

from tests.support.accounts import Account, login, new_phone
from tests.support.checks import expect_error
from tests.support.server import RunningServer, embedded_settings, serve


def _spaced(phone: str) -> str:
    """``+14155550123`` written the way people type it: ``+1 (415) 555-0123``."""
    return f"{phone[:2]} ({phone[2:5]}) {phone[5:8]}-{phone[8:]}"


async def _code(client: httpx.AsyncClient, phone: str) -> str:
    sent = await client.post("/api/auth/code", json={"phone": phone})
    assert sent.status_code == 202, sent.text
    code: str = sent.json()["dev_code"]
    return code


async def _login(client: httpx.AsyncClient, phone: str, code: str) -> httpx.Response:
    return await client.post(
        "/api/auth/login", json={"phone": phone, "code": code, "device": "phone"}
    )


def _wrong(code: str) -> str:
    return f"{(int(code) + 1) % 1_000_000:06d}"


async def test_code_request_answers_202_with_lifetime_and_dev_code(
    client: httpx.AsyncClient,
) -> None:
    """A code request is accepted with its lifetime; the log sender returns a 6-digit code."""
    sent = await client.post("/api/auth/code", json={"phone": new_phone()})
    assert sent.status_code == 202
    body = sent.json()
    assert body["expires_in"] == 300
    assert len(body["dev_code"]) == 6
    assert body["dev_code"].isdigit()


@pytest.mark.parametrize(
    "phone",
    [
        pytest.param("12345", id="too-short-no-country"),
        pytest.param("not a phone", id="letters"),
        pytest.param("+1 555", id="incomplete"),
        pytest.param("", id="empty"),
        pytest.param("+999 1234567", id="unknown-country-code"),
    ],
)
async def test_bad_phone_is_422(client: httpx.AsyncClient, phone: str) -> None:
    """A number that is not a valid international one is refused as bad_phone."""
    expect_error(await client.post("/api/auth/code", json={"phone": phone}), 422, "bad_phone")


async def test_phone_is_normalised_to_e164(client: httpx.AsyncClient) -> None:
    """A formatted number logs in as its E.164 form, the same user either way."""
    phone = new_phone()
    first = await _login(client, _spaced(phone), await _code(client, _spaced(phone)))
    assert first.status_code == 200, first.text
    assert first.json()["user"]["phone"] == phone

    await asyncio.sleep(1.05)  # the test server allows one code per phone per second
    again = await _login(client, phone, await _code(client, phone))
    assert again.json()["user"]["id"] == first.json()["user"]["id"]


async def test_second_code_too_soon_is_429_with_retry_after(tmp_path: Path) -> None:
    """Within code_interval a phone gets no new code: 429 with Retry-After."""
    settings = embedded_settings(tmp_path / "data", code_interval=60)
    async with serve(settings) as server, httpx.AsyncClient(base_url=server.url) as client:
        phone = new_phone()
        await _code(client, phone)
        again = await client.post("/api/auth/code", json={"phone": _spaced(phone)})
        expect_error(again, 429, "code_too_soon")
        assert 1 <= int(again.headers["retry-after"]) <= 60

        other = await client.post("/api/auth/code", json={"phone": new_phone()})
        assert other.status_code == 202


async def test_login_answers_a_session_and_the_user(client: httpx.AsyncClient) -> None:
    """Login returns access and refresh tokens, their lifetime and my own profile."""
    phone = new_phone()
    answer = await _login(client, phone, await _code(client, phone))
    assert answer.status_code == 200
    body = answer.json()
    assert {"access_token", "refresh_token", "expires_in", "user"} <= set(body)
    assert body["expires_in"] == 900
    assert body["user"]["phone"] == phone


async def test_first_login_creates_the_user_and_later_ones_find_it(
    client: httpx.AsyncClient,
) -> None:
    """Two logins of one phone are one user with two devices."""
    first = await login(client, device="laptop")
    await asyncio.sleep(1.05)
    second = await login(client, first.phone, device="phone")
    assert second.id == first.id
    assert second.device != first.device


async def test_wrong_code_is_refused(client: httpx.AsyncClient) -> None:
    """A wrong code is 401 code_invalid and the right one still works after it."""
    phone = new_phone()
    code = await _code(client, phone)
    expect_error(await _login(client, phone, _wrong(code)), 401, "code_invalid")
    assert (await _login(client, phone, code)).status_code == 200


async def test_code_works_once(client: httpx.AsyncClient) -> None:
    """A used code cannot log in a second time."""
    phone = new_phone()
    code = await _code(client, phone)
    assert (await _login(client, phone, code)).status_code == 200
    expect_error(await _login(client, phone, code), 401, "code_invalid")


async def test_no_code_requested_is_refused(client: httpx.AsyncClient) -> None:
    """Logging in with a phone that never asked for a code is 401."""
    expect_error(await _login(client, new_phone(), "123456"), 401, "code_invalid")


async def test_five_wrong_tries_void_the_code(client: httpx.AsyncClient) -> None:
    """After five wrong codes even the right one is refused (code_locked)."""
    phone = new_phone()
    code = await _code(client, phone)
    for _ in range(5):
        expect_error(await _login(client, phone, _wrong(code)), 401, "code_invalid")
    expect_error(await _login(client, phone, code), 401, "code_locked")
    expect_error(await _login(client, phone, code), 401, "code_invalid")


async def test_four_wrong_tries_leave_the_code_usable(client: httpx.AsyncClient) -> None:
    """Four wrong codes still leave the fifth try for the right one."""
    phone = new_phone()
    code = await _code(client, phone)
    for _ in range(4):
        expect_error(await _login(client, phone, _wrong(code)), 401, "code_invalid")
    assert (await _login(client, phone, code)).status_code == 200


async def test_code_expires(tmp_path: Path) -> None:
    """A code past its lifetime no longer logs in."""
    settings = embedded_settings(tmp_path / "data", code_ttl=1)
    async with serve(settings) as server, httpx.AsyncClient(base_url=server.url) as client:
        phone = new_phone()
        code = await _code(client, phone)
        await asyncio.sleep(1.2)
        expect_error(await _login(client, phone, code), 401, "code_invalid")


async def test_access_token_carries_claims_and_kid(
    server: RunningServer, client: httpx.AsyncClient
) -> None:
    """The access token is a JWT with sub, dev, iat, exp and a kid header."""
    account = await login(client)
    kid, secret = server.platform.settings.jwt_keys[0]
    assert jwt.get_unverified_header(account.access_token)["kid"] == kid
    claims = jwt.decode(account.access_token, secret, algorithms=["HS256"])
    assert claims["sub"] == account.id
    assert claims["dev"] == account.device
    assert claims["exp"] - claims["iat"] == 900


async def test_me_needs_a_bearer_token(client: httpx.AsyncClient) -> None:
    """No Authorization header, or another scheme, is 401 unauthorized."""
    expect_error(await client.get("/api/me"), 401, "unauthorized")
    basic = {"Authorization": "Basic dXNlcjpwYXNz"}
    expect_error(await client.get("/api/me", headers=basic), 401, "unauthorized")


async def test_forged_token_is_refused(server: RunningServer, client: httpx.AsyncClient) -> None:
    """A token signed with a secret the server does not hold is 401 token_invalid."""
    account = await login(client)
    kid, _ = server.platform.settings.jwt_keys[0]
    now = int(time.time())
    claims = {"sub": account.id, "dev": account.device, "iat": now, "exp": now + 60}
    forged = jwt.encode(claims, secrets.token_urlsafe(48), headers={"kid": kid})
    headers = {"Authorization": f"Bearer {forged}"}
    expect_error(await client.get("/api/me", headers=headers), 401, "token_invalid")
    garbage = {"Authorization": "Bearer not.a.jwt"}
    expect_error(await client.get("/api/me", headers=garbage), 401, "token_invalid")


async def test_expired_access_token_is_refused(
    server: RunningServer, client: httpx.AsyncClient
) -> None:
    """Past its lifetime an access token is 401 token_expired."""
    account = await login(client)
    server.platform.clock = lambda: time.time() + 901
    expect_error(await client.get("/api/me", headers=account.headers), 401, "token_expired")


async def _refresh(client: httpx.AsyncClient, token: str) -> httpx.Response:
    return await client.post("/api/auth/refresh", json={"refresh_token": token})


async def test_refresh_rotates_the_pair(client: httpx.AsyncClient) -> None:
    """Refresh returns a new access and refresh token for the same device."""
    account = await login(client)
    answer = await _refresh(client, account.refresh_token)
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert body["refresh_token"] != account.refresh_token
    assert body["device"] == account.device
    fresh = {"Authorization": f"Bearer {body['access_token']}"}
    assert (await client.get("/api/me", headers=fresh)).json()["id"] == account.id


async def test_reusing_a_rotated_refresh_token_revokes_the_device(
    client: httpx.AsyncClient,
) -> None:
    """The old refresh token is refused, and its reuse ends the whole session."""
    account = await login(client)
    rotated = (await _refresh(client, account.refresh_token)).json()

    expect_error(await _refresh(client, account.refresh_token), 401, "refresh_reused")
    expect_error(await _refresh(client, rotated["refresh_token"]), 401, "refresh_invalid")
    newest = {"Authorization": f"Bearer {rotated['access_token']}"}
    expect_error(await client.get("/api/me", headers=newest), 401, "session_revoked")


async def test_refresh_reuse_leaves_other_devices_alone(client: httpx.AsyncClient) -> None:
    """Revoking one device for refresh reuse keeps the user's other devices."""
    laptop = await login(client, device="laptop")
    await asyncio.sleep(1.05)
    phone = await login(client, laptop.phone, device="phone")
    await _refresh(client, laptop.refresh_token)
    await _refresh(client, laptop.refresh_token)
    assert (await client.get("/api/me", headers=phone.headers)).status_code == 200
    assert (await _refresh(client, phone.refresh_token)).status_code == 200


@pytest.mark.parametrize(
    "token",
    [
        pytest.param("nodot", id="no-device-part"),
        pytest.param("01HZZZZZZZZZZZZZZZZZZZZZZZ.secret", id="unknown-device"),
        pytest.param(".secret", id="empty-device"),
    ],
)
async def test_malformed_refresh_token_is_refused(client: httpx.AsyncClient, token: str) -> None:
    """A refresh token that names no known device is 401 refresh_invalid."""
    expect_error(await _refresh(client, token), 401, "refresh_invalid")


async def test_forged_refresh_secret_revokes_the_device(client: httpx.AsyncClient) -> None:
    """A right device id with a wrong secret counts as theft: the device is revoked."""
    account = await login(client)
    expect_error(await _refresh(client, f"{account.device}.guess"), 401, "refresh_reused")
    expect_error(await client.get("/api/me", headers=account.headers), 401, "session_revoked")


async def test_refresh_expires_after_idle_lifetime(
    server: RunningServer, client: httpx.AsyncClient
) -> None:
    """A refresh token unused for refresh_ttl is 401 refresh_expired."""
    account = await login(client)
    ttl = server.platform.settings.refresh_ttl
    server.platform.clock = lambda: time.time() + ttl + 60
    expect_error(await _refresh(client, account.refresh_token), 401, "refresh_expired")


async def test_logout_revokes_access_and_refresh(client: httpx.AsyncClient) -> None:
    """After logout the device's access and refresh tokens are both refused."""
    account = await login(client)
    out = await client.post("/api/auth/logout", headers=account.headers)
    assert out.status_code == 204
    assert out.content == b""
    expect_error(await client.get("/api/me", headers=account.headers), 401, "session_revoked")
    expect_error(await _refresh(client, account.refresh_token), 401, "refresh_invalid")


async def test_logout_keeps_other_devices(client: httpx.AsyncClient) -> None:
    """Logging one device out leaves the same user's other device logged in."""
    laptop = await login(client, device="laptop")
    await asyncio.sleep(1.05)
    phone = await login(client, laptop.phone, device="phone")
    await client.post("/api/auth/logout", headers=laptop.headers)
    assert (await client.get("/api/me", headers=phone.headers)).status_code == 200


async def _two_devices(client: httpx.AsyncClient) -> tuple[Account, Account]:
    laptop = await login(client, device="laptop")
    await asyncio.sleep(1.05)
    return laptop, await login(client, laptop.phone, device="phone")


async def test_devices_lists_my_sessions_and_marks_this_one(client: httpx.AsyncClient) -> None:
    """The device list names each logged-in device and flags the caller's."""
    laptop, phone = await _two_devices(client)
    listed = (await client.get("/api/auth/devices", headers=phone.headers)).json()["devices"]
    assert {d["id"]: d["name"] for d in listed} == {laptop.device: "laptop", phone.device: "phone"}
    assert [d["id"] for d in listed if d["current"]] == [phone.device]


async def test_deleting_a_device_logs_it_out(client: httpx.AsyncClient) -> None:
    """DELETE /api/auth/devices/{id} ends that device's session and drops it from the list."""
    laptop, phone = await _two_devices(client)
    gone = await client.delete(f"/api/auth/devices/{laptop.device}", headers=phone.headers)
    assert gone.status_code == 204
    expect_error(await client.get("/api/me", headers=laptop.headers), 401, "session_revoked")
    expect_error(await _refresh(client, laptop.refresh_token), 401, "refresh_invalid")
    listed = (await client.get("/api/auth/devices", headers=phone.headers)).json()["devices"]
    assert [d["id"] for d in listed] == [phone.device]


async def test_deleting_an_unknown_device_is_404(client: httpx.AsyncClient) -> None:
    """A device id that is not one of mine is 404 device_not_found."""
    account = await login(client)
    missing = await client.delete("/api/auth/devices/nope", headers=account.headers)
    expect_error(missing, 404, "device_not_found")


async def test_token_of_a_retired_signing_key_still_verifies(tmp_path: Path) -> None:
    """After rotation old tokens verify and new ones use the new kid; a dropped kid fails."""
    data = tmp_path / "data"
    old, new = ("old", secrets.token_urlsafe(48)), ("new", secrets.token_urlsafe(48))

    async with (
        serve(embedded_settings(data, jwt_keys=(old,))) as server,
        httpx.AsyncClient(base_url=server.url) as client,
    ):
        account = await login(client)

    async with (
        serve(embedded_settings(data, jwt_keys=(new, old))) as server,
        httpx.AsyncClient(base_url=server.url) as client,
    ):
        assert (await client.get("/api/me", headers=account.headers)).status_code == 200
        fresh = await _refresh(client, account.refresh_token)
        assert jwt.get_unverified_header(fresh.json()["access_token"])["kid"] == "new"

    async with (
        serve(embedded_settings(data, jwt_keys=(new,))) as server,
        httpx.AsyncClient(base_url=server.url) as client,
    ):
        refused = await client.get("/api/me", headers=account.headers)
        expect_error(refused, 401, "token_invalid")
