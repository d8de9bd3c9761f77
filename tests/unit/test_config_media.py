"""Settings and adapter choice for media, the geo index and bottles."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from echosphere.backends.file_media import FileMedia
from echosphere.backends.memory_geo import MemoryGeoIndex
from echosphere.backends.opensearch_geo import OpenSearchGeoIndex
from echosphere.backends.s3_media import S3Media
from echosphere.backends.sqlite.geo import SqliteGeoIndex
from echosphere.composition import build_geo, build_media, dev_settings
from echosphere.config import SettingsError, load_settings

KEYS = {"ECHO_JWT_KEYS": "k1:" + "s" * 40}


def test_defaults() -> None:
    """Media on disk under the data dir, bottles in the store's SQLite file, 7 days,
    10 throws and 20 fishes a day, 10/5/100/100 MiB uploads."""
    settings = load_settings({})
    assert (settings.media_url, settings.geo_url, settings.bottle_ttl_days) == (
        "file://",
        "sqlite://",
        7.0,
    )
    limits = settings.limits
    assert (limits.bottle_throws_per_day, limits.bottle_fishes_per_day) == (10, 20)
    mib = 1024 * 1024
    assert (
        limits.max_image_bytes,
        limits.max_voice_bytes,
        limits.max_video_bytes,
        limits.max_file_bytes,
    ) == (10 * mib, 5 * mib, 100 * mib, 100 * mib)


def test_values_parse() -> None:
    """Each new variable reaches its field."""
    settings = load_settings(
        {
            "ECHO_MEDIA_URL": "s3://a:b@minio:9000/media?secure=false",
            "ECHO_GEO_URL": "opensearch://search:9200/bottles",
            "ECHO_BOTTLE_TTL_DAYS": "0.5",
            "ECHO_BOTTLE_THROWS_PER_DAY": "3",
            "ECHO_BOTTLE_FISHES_PER_DAY": "4",
            "ECHO_MAX_IMAGE_BYTES": "1000",
        }
    )
    assert settings.media_url.startswith("s3://") and settings.geo_url.startswith("opensearch:")
    assert settings.bottle_ttl_days == 0.5
    assert (settings.limits.bottle_throws_per_day, settings.limits.bottle_fishes_per_day) == (3, 4)
    assert settings.limits.max_image_bytes == 1000


@pytest.mark.parametrize(
    ("variables", "fragment"),
    [
        (
            {"ECHO_MEDIA_URL": "ftp://x/y"},
            "ECHO_MEDIA_URL: unknown scheme 'ftp'; expected file, s3",
        ),
        ({"ECHO_GEO_URL": "redis://x"}, "ECHO_GEO_URL: unknown scheme 'redis'"),
        ({"ECHO_BOTTLE_TTL_DAYS": "-1"}, "ECHO_BOTTLE_TTL_DAYS: '-1' must be positive"),
        ({"ECHO_MAX_VIDEO_BYTES": "lots"}, "ECHO_MAX_VIDEO_BYTES: 'lots' is not a int"),
    ],
)
def test_wrong_values_get_one_line(variables: dict[str, str], fragment: str) -> None:
    """A wrong value is one SettingsError line naming the variable."""
    with pytest.raises(SettingsError) as caught:
        load_settings(variables)
    assert fragment in str(caught.value) and "\n" not in str(caught.value)


def test_adapters_by_scheme(tmp_path: Path) -> None:
    """The URL scheme picks the adapter; dev mode keeps media in the data dir."""
    base = dev_settings(load_settings({}), tmp_path)
    assert base.media_url == f"file://{(tmp_path / 'media').resolve()}"
    media = build_media(base)
    assert isinstance(media, FileMedia) and media.root == (tmp_path / "media").resolve()
    assert isinstance(build_geo(base), SqliteGeoIndex)

    s3 = dataclasses.replace(base, media_url="s3://a:b@127.0.0.1:9/bucket?secure=false")
    assert isinstance(build_media(s3), S3Media)
    for url, kind in (("memory://", MemoryGeoIndex), ("opensearch://h:9200/i", OpenSearchGeoIndex)):
        assert isinstance(build_geo(dataclasses.replace(base, geo_url=url)), kind)


def test_misfit_urls(caplog: pytest.LogCaptureFixture) -> None:
    """Without a SQLite store the default geo index falls back to memory, with a warning;
    malformed media URLs are a settings error."""
    settings = load_settings({**KEYS, "ECHO_STORE_URL": "mongodb://db:27017/echo"})
    assert isinstance(build_geo(settings), MemoryGeoIndex)
    assert "ECHO_GEO_URL is not set" in caplog.text
    with pytest.raises(SettingsError, match="ECHO_MEDIA_URL: an S3 URL"):
        build_media(dataclasses.replace(settings, media_url="s3://host-only"))
    with pytest.raises(SettingsError, match="ECHO_MEDIA_URL: a media directory"):
        build_media(dataclasses.replace(settings, media_url="file://relative/dir"))
