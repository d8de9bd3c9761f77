"""Logging in through the SDK's HTTP calls."""

from __future__ import annotations

import pytest

from echosphere.client import ApiError, AuthError, login, refresh, request_code
from tests.support.accounts import new_phone
from tests.support.server import RunningServer


async def test_login_with_a_code(server: RunningServer) -> None:
    """A requested code logs a new device in; the session keeps its tokens out of repr."""
    phone = new_phone()
    sent = await request_code(server.url, phone)
    session = await login(server.url, phone, sent["dev_code"], "tablet")

    assert sent["expires_in"] > 0
    assert session.base_url == server.url and session.user and session.device
    assert not session.expired(margin=60)
    assert session.access_token not in repr(session)
    assert session.refresh_token not in repr(session)


async def test_refresh_rotates_and_a_reused_token_revokes(server: RunningServer) -> None:
    """Refresh gives a new pair; presenting the spent one again revokes the device."""
    phone = new_phone()
    first = await login(server.url, phone, (await request_code(server.url, phone))["dev_code"])
    second = await refresh(first)

    assert second.refresh_token != first.refresh_token
    assert (second.user, second.device) == (first.user, first.device)
    with pytest.raises(AuthError) as reused:
        await refresh(first)
    assert reused.value.code == "refresh_reused"
    with pytest.raises(AuthError) as revoked:
        await refresh(second)
    assert revoked.value.code == "refresh_invalid"


async def test_refusals_carry_the_server_code(server: RunningServer) -> None:
    """A wrong code is an AuthError, a bad phone or a too early code an ApiError."""
    phone = new_phone()
    await request_code(server.url, phone)
    with pytest.raises(AuthError) as wrong:
        await login(server.url, phone, "not-it")
    assert wrong.value.code == "code_invalid"
    with pytest.raises(ApiError) as early:
        await request_code(server.url, phone)
    assert early.value.code == "code_too_soon" and early.value.retry_after == 1
    with pytest.raises(ApiError) as bad:
        await request_code(server.url, "not a phone")
    assert bad.value.code == "bad_phone" and 400 <= bad.value.status < 500
