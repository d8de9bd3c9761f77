"""Assertions shared by the HTTP tests: the error envelope every refusal uses."""

from __future__ import annotations

import httpx


def expect_error(response: httpx.Response, status: int, code: str) -> str:
    """Check that ``response`` is the error ``code`` with ``status``; return its message."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/json"), response.headers
    body = response.json()
    assert set(body) == {"error"}, body
    assert set(body["error"]) == {"code", "message"}, body
    assert body["error"]["code"] == code, body
    message = body["error"]["message"]
    assert isinstance(message, str) and message, body
    assert "Traceback" not in response.text
    return message
