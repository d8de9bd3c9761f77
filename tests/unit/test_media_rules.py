"""Upload declarations, media keys and app links: the pure rules."""

from __future__ import annotations

import pytest

from echosphere.core.errors import EchoError, InvalidInput
from echosphere.core.links import (
    AddLink,
    JoinLink,
    add_link,
    check_join_token,
    join_link,
    join_token,
    parse_link,
)
from echosphere.core.media import (
    MIB,
    MediaKind,
    check_upload,
    is_media_key,
    kind_of_key,
    new_media_key,
)

LIMITS = {
    MediaKind.IMAGE: 10 * MIB,
    MediaKind.VOICE: 5 * MIB,
    MediaKind.VIDEO: 100 * MIB,
    MediaKind.FILE: 100 * MIB,
}


@pytest.mark.parametrize(
    ("kind", "content_type", "size", "expected"),
    [
        ("image", "image/png", 10 * MIB, ("image", "image/png")),
        ("image", "Image/JPEG; q=1", 1, ("image", "image/jpeg")),
        ("voice", "audio/ogg", 5 * MIB, ("voice", "audio/ogg")),
        ("video", "video/mp4", 100 * MIB, ("video", "video/mp4")),
        ("file", "application/pdf", 3, ("file", "application/pdf")),
        ("file", "text/html", 3, ("file", "text/html")),
    ],
)
def test_accepted_uploads(
    kind: str, content_type: str, size: int, expected: tuple[str, str]
) -> None:
    """Within the kind's limit and types, a declaration is accepted and normalised."""
    assert check_upload(kind, content_type, size, limits=LIMITS) == expected


@pytest.mark.parametrize(
    ("kind", "content_type", "size", "status", "code"),
    [
        ("image", "image/png", 10 * MIB + 1, 413, "media_too_large"),
        ("voice", "audio/ogg", 5 * MIB + 1, 413, "media_too_large"),
        ("video", "video/mp4", 100 * MIB + 1, 413, "media_too_large"),
        ("file", "application/zip", 100 * MIB + 1, 413, "media_too_large"),
        ("image", "image/svg+xml", 10, 415, "unsupported_media_type"),
        ("voice", "video/mp4", 10, 415, "unsupported_media_type"),
        ("video", "image/gif", 10, 415, "unsupported_media_type"),
        ("file", "not a type", 10, 415, "unsupported_media_type"),
        ("sticker", "image/png", 10, 422, "bad_kind"),
        ("image", "image/png", 0, 422, "bad_size"),
    ],
)
def test_refused_uploads(kind: str, content_type: str, size: int, status: int, code: str) -> None:
    """Too large is 413, a type the kind does not take is 415, each with a clear code."""
    with pytest.raises(EchoError) as caught:
        check_upload(kind, content_type, size, limits=LIMITS)
    assert (caught.value.status, caught.value.code) == (status, code)


def test_media_keys() -> None:
    """Keys name their kind and are recognised; anything else is not a key."""
    key = new_media_key(MediaKind.VOICE)
    assert is_media_key(key) and kind_of_key(key) is MediaKind.VOICE
    for other in ("", "voice.", "voice/../x", "audio.01ARZ3NDEKTSV4RRFFQ69G5FAV", key + "x"):
        assert not is_media_key(other)


def test_links_round_trip() -> None:
    """Add and join links parse back to what made them."""
    assert parse_link(add_link("ada")) == AddLink("ada")
    group = "01ARZ3NDEKTSV4RRFFQ69G5FAV"
    assert parse_link(join_link(group, "123.abc")) == JoinLink(group, "123.abc")


@pytest.mark.parametrize(
    "url",
    [
        "https://example.com/add/ada",
        "echosphere://add/",
        "echosphere://join/not-an-id?t=1.x",
        "echosphere://join/01ARZ3NDEKTSV4RRFFQ69G5FAV",
        "echosphere://kick/ada",
    ],
)
def test_bad_links(url: str) -> None:
    """Other schemes, actions, and join links without a group id or token are refused."""
    with pytest.raises(InvalidInput) as caught:
        parse_link(url)
    assert caught.value.code == "bad_link"


def test_join_tokens() -> None:
    """A token is valid for its group until its expiry; tampering and other groups fail."""
    token = join_token("secret", "G1", expires_at=1000)
    assert check_join_token("secret", "G1", token, now=999) == 1000
    cases = [
        ("secret", "G1", token, 1000, "link_expired"),
        ("secret", "G2", token, 1, "bad_link"),
        ("other", "G1", token, 1, "bad_link"),
        ("secret", "G1", "2000" + token[4:], 1, "bad_link"),
        ("secret", "G1", "garbage", 1, "bad_link"),
    ]
    for secret, group, given, now, code in cases:
        with pytest.raises(EchoError) as caught:
            check_join_token(secret, group, given, now=now)
        assert caught.value.code == code
