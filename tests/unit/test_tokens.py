"""Access tokens signed under several keys, and the refresh-token and login-code helpers."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time

import jwt
import pytest

from echosphere.core import tokens
from echosphere.core.errors import Unauthorized
from echosphere.core.ids import DeviceId, UserId
from echosphere.core.tokens import TokenSigner

OLD = ("2024", "o" * 40)
NEW = ("2025", "n" * 40)
USER, DEVICE = UserId("U1"), DeviceId("D1")
NOW = 1_700_000_000.0
"""A fixed past time: verify is told the time, so tokens need not be fresh."""


def _refused(signer: TokenSigner, token: str, code: str, *, now: float = NOW) -> None:
    with pytest.raises(Unauthorized) as caught:
        signer.verify(token, now=now)
    assert caught.value.code == code


def test_token_round_trips() -> None:
    """A token issued by a signer verifies to the same user, device and expiry."""
    signer = TokenSigner((NEW,), ttl=900)
    claims = signer.verify(signer.issue(USER, DEVICE, now=NOW), now=NOW + 1)
    assert (claims.user, claims.device, claims.expires_at) == (USER, DEVICE, int(NOW) + 900)


def test_token_names_its_key_and_carries_the_claims() -> None:
    """The header kid is the first key's; the payload holds sub, dev, iat and exp."""
    token = TokenSigner((NEW, OLD), ttl=60).issue(USER, DEVICE, now=NOW)
    assert jwt.get_unverified_header(token) == {"alg": "HS256", "kid": "2025", "typ": "JWT"}
    payload = jwt.decode(token, NEW[1], algorithms=["HS256"], options={"verify_exp": False})
    assert payload == {"sub": USER, "dev": DEVICE, "iat": int(NOW), "exp": int(NOW) + 60}


def test_old_key_still_verifies_after_rotation() -> None:
    """After a new key is put first, tokens of the old key verify and new ones use the new kid."""
    before = TokenSigner((OLD,), ttl=900).issue(USER, DEVICE, now=NOW)
    rotated = TokenSigner((NEW, OLD), ttl=900)
    assert rotated.verify(before, now=NOW).user == USER
    after = rotated.issue(USER, DEVICE, now=NOW)
    assert jwt.get_unverified_header(after)["kid"] == NEW[0]
    assert TokenSigner((NEW,), ttl=900).verify(after, now=NOW).device == DEVICE


def test_retired_key_no_longer_verifies() -> None:
    """Once the old key is dropped its tokens are refused as token_invalid."""
    before = TokenSigner((OLD,), ttl=900).issue(USER, DEVICE, now=NOW)
    _refused(TokenSigner((NEW,), ttl=900), before, "token_invalid")


def test_same_kid_with_another_secret_is_refused() -> None:
    """A token whose kid is known but whose signature is not is token_invalid."""
    forged = TokenSigner((("2025", "x" * 40),), ttl=900).issue(USER, DEVICE, now=NOW)
    _refused(TokenSigner((NEW,), ttl=900), forged, "token_invalid")


def test_expiry_is_judged_by_the_given_time() -> None:
    """A token is valid until just before exp and token_expired from exp on."""
    signer = TokenSigner((NEW,), ttl=900)
    token = signer.issue(USER, DEVICE, now=NOW)
    assert signer.verify(token, now=NOW + 899).user == USER
    _refused(signer, token, "token_expired", now=NOW + 900)


def _b64(data: dict[str, object]) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()


def _signed(header: dict[str, object], secret: str) -> str:
    """An HS256 token with any header, which PyJWT itself would refuse to write."""
    payload = {"sub": USER, "dev": DEVICE, "iat": int(NOW), "exp": int(NOW) + 60}
    signing_input = f"{_b64(header)}.{_b64(payload)}"
    digest = hmac.new(secret.encode(), signing_input.encode(), hashlib.sha256).digest()
    signature = base64.urlsafe_b64encode(digest).rstrip(b"=").decode()
    return f"{signing_input}.{signature}"


def _tampered(token: str) -> str:
    header, _, signature = token.split(".")
    payload = {"sub": "someone-else", "dev": DEVICE, "iat": int(NOW), "exp": int(NOW) + 900}
    return f"{header}.{_b64(payload)}.{signature}"


@pytest.mark.parametrize(
    "make",
    [
        pytest.param(lambda token: "garbage", id="not-a-jwt"),
        pytest.param(lambda token: "", id="empty"),
        pytest.param(_tampered, id="payload-changed"),
        pytest.param(
            lambda token: jwt.encode(
                {"sub": USER, "dev": DEVICE, "iat": int(NOW), "exp": int(NOW) + 60},
                None,
                algorithm="none",
                headers={"kid": NEW[0]},
            ),
            id="alg-none",
        ),
        pytest.param(
            lambda token: jwt.encode(
                {"sub": USER, "iat": int(NOW), "exp": int(NOW) + 60},
                NEW[1],
                headers={"kid": NEW[0]},
            ),
            id="no-device-claim",
        ),
        pytest.param(
            lambda token: jwt.encode(
                {"sub": USER, "dev": DEVICE, "iat": int(NOW), "exp": int(NOW) + 60}, NEW[1]
            ),
            id="no-kid",
        ),
        pytest.param(
            lambda token: _signed({"alg": "HS256", "kid": 2025}, NEW[1]),
            id="kid-not-a-string",
        ),
    ],
)
def test_malformed_tokens_are_refused(make: object) -> None:
    """Anything but a well-signed token with all claims is token_invalid, never a crash."""
    signer = TokenSigner((NEW,), ttl=900)
    token = make(signer.issue(USER, DEVICE, now=NOW))  # type: ignore[operator]
    _refused(signer, token, "token_invalid")


def test_hand_signed_token_with_a_string_kid_verifies() -> None:
    """The hand-made tokens above fail for their flaw alone: a proper one verifies."""
    token = _signed({"alg": "HS256", "typ": "JWT", "kid": NEW[0]}, NEW[1])
    assert TokenSigner((NEW,), ttl=900).verify(token, now=NOW).device == DEVICE


def test_a_signer_needs_a_key() -> None:
    """A signer without keys cannot be built."""
    with pytest.raises(ValueError, match="key"):
        TokenSigner((), ttl=900)


def test_issued_at_is_judged_by_the_given_time_too() -> None:
    """A token issued a few seconds ahead of this machine's clock still verifies."""
    signer = TokenSigner((NEW,), ttl=900)
    ahead = time.time() + 5
    assert signer.verify(signer.issue(USER, DEVICE, now=ahead), now=ahead).user == USER


def test_refresh_token_names_its_device() -> None:
    """A refresh token leads with its device id; two for one device differ."""
    first, second = tokens.new_refresh_token(DEVICE), tokens.new_refresh_token(DEVICE)
    assert first != second
    assert tokens.refresh_device(first) == DEVICE


@pytest.mark.parametrize("token", ["nodot", ".secret", "device.", ""])
def test_malformed_refresh_token_names_no_device(token: str) -> None:
    """A refresh token without both a device and a secret part names no device."""
    assert tokens.refresh_device(token) is None


def test_login_code_hash_depends_on_phone_and_pepper() -> None:
    """The same code hashes differently for another phone or another server key."""
    base = tokens.hash_code("123456", phone="+14155550100", pepper="p1")
    assert base == tokens.hash_code("123456", phone="+14155550100", pepper="p1")
    assert base != tokens.hash_code("123456", phone="+14155550101", pepper="p1")
    assert base != tokens.hash_code("123456", phone="+14155550100", pepper="p2")
    assert tokens.same(base, base) and not tokens.same(base, base[::-1])


def test_login_codes_are_six_digits() -> None:
    """Login codes are always six decimal digits, leading zeros kept."""
    codes = {tokens.new_login_code() for _ in range(200)}
    assert all(len(c) == 6 and c.isdigit() for c in codes)
    assert len(codes) > 150
