"""Logging in over HTTP: login codes, sessions and refresh rotation.

A ``Session`` is one logged-in device. Its refresh token rotates: every
``refresh`` returns a new session and the old refresh token stops working
(presenting it again revokes the device), so an application must keep the
newest session and only that one.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from dataclasses import dataclass, field
from typing import Any

import httpx

from echosphere.client.errors import ApiError, AuthError, ClientError
from echosphere.core.ids import DeviceId, UserId

logger = logging.getLogger(__name__)

TIMEOUT = 10.0
"""Seconds an HTTP call may take when the caller gives no client of its own."""
DEFAULT_DEVICE = "echosphere-python"
LONGEST_CODE_WAIT = 60.0
"""``dev_login`` waits at most this long for the next login code to be allowed."""


@dataclass(frozen=True, slots=True)
class Session:
    """One logged-in device. Tokens stay out of ``repr`` so they never reach a log."""

    base_url: str
    user: UserId
    device: DeviceId
    access_token: str = field(repr=False)
    refresh_token: str = field(repr=False)
    expires_at: float
    """When the access token expires, in seconds since the epoch (client clock)."""

    def expired(self, *, margin: float = 0.0) -> bool:
        return time.time() + margin >= self.expires_at


async def request_code(
    base_url: str, phone: str, *, http: httpx.AsyncClient | None = None
) -> dict[str, Any]:
    """Ask for a login code to be texted to ``phone``.

    The answer holds ``expires_in``, and ``dev_code`` when the server runs in
    embedded dev mode, where codes are not texted.
    """
    return await _post(base_url, "/api/auth/code", {"phone": phone}, http)


async def login(
    base_url: str,
    phone: str,
    code: str,
    device: str = DEFAULT_DEVICE,
    *,
    http: httpx.AsyncClient | None = None,
) -> Session:
    """Exchange a login code for a session of a new device."""
    payload = {"phone": phone, "code": code, "device": device}
    answer = await _post(base_url, "/api/auth/login", payload, http)
    return _session(base_url, answer, user=UserId(answer["user"]["id"]))


async def refresh(session: Session, *, http: httpx.AsyncClient | None = None) -> Session:
    """Rotate the refresh token into a new session; the given one is spent."""
    payload = {"refresh_token": session.refresh_token}
    answer = await _post(session.base_url, "/api/auth/refresh", payload, http)
    return _session(session.base_url, answer, user=session.user)


async def dev_login(
    base_url: str,
    phone: str,
    device: str = DEFAULT_DEVICE,
    *,
    http: httpx.AsyncClient | None = None,
) -> Session:
    """Log in with the code an embedded dev server hands back (``dev_code``).

    If a code was sent to this phone moments ago, wait out the server's
    interval once rather than fail.
    """
    try:
        sent = await request_code(base_url, phone, http=http)
    except ApiError as error:
        if error.code != "code_too_soon" or error.retry_after is None:
            raise
        await asyncio.sleep(min(error.retry_after, LONGEST_CODE_WAIT))
        sent = await request_code(base_url, phone, http=http)
    code = sent.get("dev_code")
    if not isinstance(code, str):
        raise ClientError(
            "no_dev_code", "this server texts its login codes; use request_code and login"
        )
    return await login(base_url, phone, code, device, http=http)


async def pick_node(session: Session, *, http: httpx.AsyncClient | None = None) -> str:
    """The websocket URL of the least-loaded live chat node (for installs without an
    ingress); usable as a ``ChatClient`` locator: ``lambda: pick_node(session)``."""
    async with contextlib.AsyncExitStack() as stack:
        if http is None:
            http = await stack.enter_async_context(httpx.AsyncClient(timeout=TIMEOUT))
        response = await http.get(
            session.base_url.rstrip("/") + "/api/nodes/pick",
            headers={"Authorization": f"Bearer {session.access_token}"},
        )
    if not response.is_success:
        raise _refusal(response)
    return str(response.json()["address"])


def _session(base_url: str, answer: dict[str, Any], *, user: UserId) -> Session:
    return Session(
        base_url=base_url,
        user=user,
        device=DeviceId(answer["device"]),
        access_token=answer["access_token"],
        refresh_token=answer["refresh_token"],
        expires_at=time.time() + float(answer["expires_in"]),
    )


async def _post(
    base_url: str, path: str, payload: dict[str, Any], http: httpx.AsyncClient | None
) -> dict[str, Any]:
    async with contextlib.AsyncExitStack() as stack:
        if http is None:
            http = await stack.enter_async_context(httpx.AsyncClient(timeout=TIMEOUT))
        response = await http.post(base_url.rstrip("/") + path, json=payload)
    if response.is_success:
        answer: dict[str, Any] = response.json()
        return answer
    raise _refusal(response)


def _refusal(response: httpx.Response) -> ClientError:
    """Turn an error answer (``{"error": {"code", "message"}}``) into an exception."""
    try:
        error = response.json()["error"]
        code, message = str(error["code"]), str(error["message"])
    except (ValueError, KeyError, TypeError):
        code, message = f"http_{response.status_code}", response.reason_phrase
    if response.status_code == 401:
        return AuthError(code, message)
    retry_after = response.headers.get("retry-after")
    return ApiError(
        code,
        message,
        status=response.status_code,
        retry_after=float(retry_after) if retry_after and retry_after.isdigit() else None,
    )
