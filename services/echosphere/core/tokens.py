"""Session credentials: JWT access tokens and opaque refresh tokens.

Access tokens are short-lived JWTs (HS256) verified locally by API and chat
nodes; the ``kid`` header names the key, so several keys can verify while
the first one signs, and keys rotate without logging anyone out.

A refresh token is ``<device id>.<secret>``; only a hash of it is stored.
Naming the device lets the server tell a stale (already rotated) token from
a forged one: presenting a stale token is treated as theft and revokes the
device.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass

import jwt

from echosphere.core.errors import Unauthorized
from echosphere.core.ids import DeviceId, UserId

_ALGORITHM = "HS256"


@dataclass(frozen=True, slots=True)
class Claims:
    user: UserId
    device: DeviceId
    expires_at: int


class TokenSigner:
    def __init__(self, keys: tuple[tuple[str, str], ...], *, ttl: int):
        if not keys:
            raise ValueError("at least one signing key is needed")
        self._keys = dict(keys)
        self._signing_kid, self._signing_secret = keys[0]
        self.ttl = ttl

    def issue(self, user: UserId, device: DeviceId, *, now: float) -> str:
        issued = int(now)
        claims = {"sub": user, "dev": device, "iat": issued, "exp": issued + self.ttl}
        return jwt.encode(
            claims,
            self._signing_secret,
            algorithm=_ALGORITHM,
            headers={"kid": self._signing_kid},
        )

    def verify(self, token: str, *, now: float) -> Claims:
        try:
            kid = jwt.get_unverified_header(token).get("kid")
            secret = self._keys.get(kid) if isinstance(kid, str) else None
            if secret is None:
                raise Unauthorized("token_invalid", "unknown signing key")
            claims = jwt.decode(
                token,
                secret,
                algorithms=[_ALGORITHM],
                # Expiry is checked below against the caller's clock; the library's own
                # time checks would use this machine's clock and refuse tokens minted
                # by a node whose clock runs a little ahead.
                options={
                    "require": ["sub", "dev", "exp", "iat"],
                    "verify_exp": False,
                    "verify_iat": False,
                    "verify_nbf": False,
                },
            )
        except jwt.PyJWTError:
            raise Unauthorized("token_invalid", "the access token is not valid") from None
        if int(claims["exp"]) <= now:
            raise Unauthorized("token_expired", "the access token has expired; refresh it")
        return Claims(UserId(claims["sub"]), DeviceId(claims["dev"]), int(claims["exp"]))


def new_refresh_token(device: DeviceId) -> str:
    return f"{device}.{secrets.token_urlsafe(32)}"


def refresh_device(token: str) -> DeviceId | None:
    device, sep, secret = token.partition(".")
    return DeviceId(device) if sep and device and secret else None


def hash_secret(value: str) -> str:
    """Hash a high-entropy secret (refresh token) for storage."""
    return hashlib.sha256(value.encode()).hexdigest()


def hash_code(code: str, *, phone: str, pepper: str) -> str:
    """Hash a low-entropy login code with a server-side key, so a leaked
    KV dump cannot be brute-forced offline."""
    return hmac.new(pepper.encode(), f"{phone}:{code}".encode(), hashlib.sha256).hexdigest()


def new_login_code() -> str:
    return f"{secrets.randbelow(1_000_000):06d}"


def same(a: str, b: str) -> bool:
    return hmac.compare_digest(a, b)
