"""Every refusal, whatever raises it, is ``{"error": {"code", "message"}}`` and nothing more."""

from __future__ import annotations

import httpx
import pytest

from tests.support.accounts import login
from tests.support.checks import expect_error
from tests.support.server import RunningServer


async def test_unknown_route_is_json_404(client: httpx.AsyncClient) -> None:
    """A path no route serves is 404 route_not_found in the error envelope."""
    expect_error(await client.get("/api/nothing-here"), 404, "route_not_found")


async def test_wrong_method_is_json_405(client: httpx.AsyncClient) -> None:
    """A known path with a method it does not take is 405 method_not_allowed."""
    expect_error(await client.delete("/api/auth/code"), 405, "method_not_allowed")


@pytest.mark.parametrize(
    ("content", "status", "code"),
    [
        pytest.param(b"", 400, "bad_body", id="missing"),
        pytest.param(b"{", 400, "bad_json", id="not-json"),
        pytest.param(b"[1]", 422, "invalid", id="not-an-object"),
        pytest.param(b'{"phone": 5}', 422, "invalid", id="wrong-type"),
        pytest.param(b'{"phone": "+14155550100", "x": 1}', 422, "invalid", id="unknown-field"),
        pytest.param(b"{}", 422, "invalid", id="missing-field"),
    ],
)
async def test_bad_request_body_is_refused(
    client: httpx.AsyncClient, content: bytes, status: int, code: str
) -> None:
    """A body that is missing, not JSON or not the declared shape is refused with a code."""
    answer = await client.post(
        "/api/auth/code", content=content, headers={"content-type": "application/json"}
    )
    expect_error(answer, status, code)


async def test_crash_is_a_bare_500(
    server: RunningServer, client: httpx.AsyncClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An unexpected exception answers 500 internal without its text or a traceback."""
    account = await login(client)

    async def broken(*args: object) -> None:
        raise RuntimeError("disk on fire at /var/secret/path")

    monkeypatch.setattr(server.platform.store, "get_user", broken)
    answer = await client.get("/api/me", headers=account.headers)
    expect_error(answer, 500, "internal")
    assert "fire" not in answer.text
    assert "/var/secret" not in answer.text
