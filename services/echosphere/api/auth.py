"""Phone login and sessions: login codes, tokens, refresh rotation, devices.

A login code is six digits kept hashed in the KV port with a TTL and a
count of wrong tries. A session is a device: a refresh token chain that
rotates on every use. Presenting a refresh token that was already rotated
means two parties hold it, so the device is revoked.
"""

from __future__ import annotations

import logging
from typing import Any

import msgspec

from echosphere.api import views
from echosphere.api.routing import Call, Router
from echosphere.chat.platform import Platform
from echosphere.core import tokens
from echosphere.core.errors import NotFound, RateLimited, Unauthorized
from echosphere.core.ids import DeviceId, UserId, new_id
from echosphere.core.models import Device, User
from echosphere.core.phone import normalize_phone

logger = logging.getLogger(__name__)
router = Router("auth")


class CodeRequest(msgspec.Struct, forbid_unknown_fields=True):
    phone: str


class LoginRequest(msgspec.Struct, forbid_unknown_fields=True):
    phone: str
    code: str
    device: str = "unnamed device"


class RefreshRequest(msgspec.Struct, forbid_unknown_fields=True):
    refresh_token: str


@router.route(
    "POST",
    "/api/auth/code",
    summary="Send a login code to a phone",
    body=CodeRequest,
    auth=False,
    status=202,
    limit="auth",
    errors=("bad_phone", "rate_limited"),
)
async def send_code(call: Call[CodeRequest]) -> dict[str, Any]:
    platform, settings = call.platform, call.platform.settings
    phone = normalize_phone(call.body.phone)
    now = platform.clock()
    if not await platform.kv.add(f"code:gate:{phone}", str(now), ttl=settings.code_interval):
        sent_at = float(await platform.kv.get(f"code:gate:{phone}") or now)
        raise RateLimited(settings.code_interval - (now - sent_at), "code_too_soon")

    code = tokens.new_login_code()
    digest = tokens.hash_code(code, phone=phone, pepper=platform.pepper)
    await platform.kv.set(f"code:{phone}", digest, ttl=settings.code_ttl)
    await platform.kv.delete(f"code:tries:{phone}")
    await platform.sms.send_code(phone, code)
    answer: dict[str, Any] = {"expires_in": settings.code_ttl}
    if platform.sms.exposes_codes:
        answer["dev_code"] = code
    return answer


async def _check_code(platform: Platform, phone: str, code: str) -> None:
    settings = platform.settings
    digest = await platform.kv.get(f"code:{phone}")
    if digest is None:
        raise Unauthorized("code_invalid", "no valid code for this phone; request one")
    tries = await platform.kv.incr(f"code:tries:{phone}", ttl=settings.code_ttl)
    if tries > settings.code_attempts:
        await platform.kv.delete(f"code:{phone}")
        raise Unauthorized("code_locked", "too many wrong codes; request a new one")
    if not tokens.same(digest, tokens.hash_code(code, phone=phone, pepper=platform.pepper)):
        raise Unauthorized("code_invalid", "the code is wrong or expired")
    await platform.kv.delete(f"code:{phone}")
    await platform.kv.delete(f"code:tries:{phone}")


def _session(platform: Platform, device: Device, refresh: str) -> dict[str, Any]:
    access = platform.signer.issue(device.user, device.id, now=platform.clock())
    return {
        "access_token": access,
        "refresh_token": refresh,
        "token_type": "Bearer",
        "expires_in": platform.signer.ttl,
        "device": device.id,
    }


@router.route(
    "POST",
    "/api/auth/login",
    summary="Exchange a login code for a session",
    body=LoginRequest,
    auth=False,
    limit="auth",
    errors=("bad_phone", "code_invalid", "code_locked"),
)
async def login(call: Call[LoginRequest]) -> dict[str, Any]:
    platform = call.platform
    phone = normalize_phone(call.body.phone)
    await _check_code(platform, phone, call.body.code.strip())

    now = platform.clock()
    user = await platform.store.find_user_by_phone(phone)
    if user is None:
        user = await platform.store.create_user(
            User(id=UserId(new_id()), phone=phone, created_at=now)
        )
        logger.info("user created", extra={"user": user.id})
    device_id = DeviceId(new_id())
    refresh = tokens.new_refresh_token(device_id)
    device = Device(
        id=device_id,
        user=user.id,
        name=call.body.device.strip()[:64] or "unnamed device",
        refresh_hash=tokens.hash_secret(refresh),
        created_at=now,
        last_used_at=now,
    )
    await platform.store.create_device(device)
    logger.info("device logged in", extra={"user": user.id, "device": device_id})
    return {**_session(platform, device, refresh), "user": views.own_user(user)}


@router.route(
    "POST",
    "/api/auth/refresh",
    summary="Rotate a refresh token into a new session pair",
    body=RefreshRequest,
    auth=False,
    limit="auth",
    errors=("refresh_invalid", "refresh_expired", "refresh_reused"),
)
async def refresh(call: Call[RefreshRequest]) -> dict[str, Any]:
    platform = call.platform
    now = platform.clock()
    presented = call.body.refresh_token
    device_id = tokens.refresh_device(presented)
    device = await platform.store.get_device(device_id) if device_id else None
    if device is None or device.revoked:
        raise Unauthorized("refresh_invalid", "this refresh token is not valid")
    if device.last_used_at + platform.settings.refresh_ttl < now:
        raise Unauthorized("refresh_expired", "the session expired; log in again")

    fresh = tokens.new_refresh_token(device.id)
    old_hash = tokens.hash_secret(presented)
    if not tokens.same(old_hash, device.refresh_hash) or not await platform.store.rotate_refresh(
        device.id, old_hash=old_hash, new_hash=tokens.hash_secret(fresh), now=now
    ):
        await platform.sessions.revoke(device.id)
        logger.warning("rotated refresh token reused; device revoked", extra={"device": device.id})
        raise Unauthorized("refresh_reused", "this refresh token was already used; log in again")
    return _session(platform, device, fresh)


@router.route("POST", "/api/auth/logout", summary="Log this device out", status=204)
async def logout(call: Call[None]) -> None:
    await call.platform.sessions.revoke(call.device)


@router.route("GET", "/api/auth/devices", summary="List my logged-in devices")
async def list_devices(call: Call[None]) -> dict[str, Any]:
    devices = await call.platform.store.list_devices(call.user)
    return {"devices": [views.device(d, current=call.device) for d in devices if not d.revoked]}


@router.route(
    "DELETE",
    "/api/auth/devices/{device_id}",
    summary="Log one of my devices out",
    status=204,
    errors=("device_not_found",),
)
async def delete_device(call: Call[None]) -> None:
    device = await call.platform.store.get_device(DeviceId(call.path("device_id")))
    if device is None or device.user != call.user:
        raise NotFound("device_not_found", "no such device")
    await call.platform.sessions.revoke(device.id)
