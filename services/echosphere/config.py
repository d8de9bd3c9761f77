"""Settings: one typed object, built once at start from ``ECHO_*`` variables.

Nothing else in EchoSphere reads the environment. ``load_settings`` takes the
variables as a mapping, so tests pass their own, and turns every bad value
into one ``SettingsError`` line naming the variable, the value and what is
accepted. Adapter URLs pick the technology by scheme.
"""

from __future__ import annotations

import dataclasses
import math
import socket
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import urlsplit

SCHEMES: dict[str, tuple[str, ...]] = {
    "ECHO_STORE_URL": ("sqlite", "mongodb"),
    "ECHO_KV_URL": ("memory", "redis"),
    "ECHO_BUS_URL": ("memory", "amqp"),
    "ECHO_REGISTRY_URL": ("memory", "zookeeper", "k8s-lease"),
    "ECHO_SMS_URL": ("log",),
    "ECHO_MEDIA_URL": ("file", "s3"),
    "ECHO_GEO_URL": ("sqlite", "memory", "opensearch"),
}
"""Accepted URL schemes per adapter variable."""


class SettingsError(ValueError):
    """A setting is missing or wrong; the message is one line for an operator."""


@dataclass(frozen=True, slots=True)
class RateLimit:
    """A token bucket: ``rate`` tokens per second refilled up to ``burst``."""

    rate: float
    burst: int


@dataclass(frozen=True, slots=True)
class Limits:
    rate_ip: RateLimit = RateLimit(rate=50.0, burst=200)
    """Every HTTP request, per client IP (ECHO_RATE_IP="rate/burst")."""
    rate_user: RateLimit = RateLimit(rate=20.0, burst=100)
    """Every authenticated HTTP request, per user (ECHO_RATE_USER)."""
    rate_auth: RateLimit = RateLimit(rate=0.2, burst=10)
    """Auth routes, per client IP: tighter, they guard login codes (ECHO_RATE_AUTH)."""
    rate_send: RateLimit = RateLimit(rate=50.0, burst=200)
    """Websocket sends per connection (ECHO_RATE_SEND); past it the socket closes."""
    group_max_members: int = 500
    """Largest group, owner included (ECHO_GROUP_MAX_MEMBERS)."""
    max_frame_bytes: int = 64 * 1024
    """Largest websocket frame accepted (ECHO_MAX_FRAME_BYTES)."""
    max_text_chars: int = 4000
    """Longest text message body (ECHO_MAX_TEXT_CHARS)."""
    bad_frames: int = 20
    """Bad frames tolerated per ``bad_frames_window`` before closing (ECHO_BAD_FRAMES)."""
    bad_frames_window: float = 10.0
    """Seconds over which bad frames are counted (ECHO_BAD_FRAMES_WINDOW)."""
    max_image_bytes: int = 10 * 1024 * 1024
    """Largest image upload (ECHO_MAX_IMAGE_BYTES)."""
    max_voice_bytes: int = 5 * 1024 * 1024
    """Largest voice upload (ECHO_MAX_VOICE_BYTES)."""
    max_video_bytes: int = 100 * 1024 * 1024
    """Largest video upload (ECHO_MAX_VIDEO_BYTES)."""
    max_file_bytes: int = 100 * 1024 * 1024
    """Largest file upload (ECHO_MAX_FILE_BYTES)."""
    bottle_throws_per_day: int = 10
    """Bottles one user may throw per UTC day (ECHO_BOTTLE_THROWS_PER_DAY)."""
    bottle_fishes_per_day: int = 20
    """Times one user may fish per UTC day, found or not (ECHO_BOTTLE_FISHES_PER_DAY)."""


@dataclass(frozen=True, slots=True)
class Settings:
    store_url: str = "sqlite:///.echosphere/echosphere.db"
    """Durable store: ``sqlite:///path``."""
    kv_url: str = "memory://"
    """Presence, codes, rate limits, counters: ``memory://``."""
    bus_url: str = "memory://"
    """Node-to-node delivery: ``memory://``."""
    registry_url: str = "memory://"
    """Chat node liveness: ``memory://``."""
    sms_url: str = "log://"
    """Login code delivery: ``log://`` logs codes and returns them to the client."""
    media_url: str = "file://"
    """Uploads: ``file:///abs/dir`` (the API serves signed URLs itself; ``file://``
    alone means ``<data_dir>/media``) or ``s3://access:secret@host:port/bucket``."""
    geo_url: str = "sqlite://"
    """Bottle search: ``sqlite://`` (the store's SQLite file), ``sqlite:///path``,
    ``memory://`` or ``opensearch://user:pass@host:9200/index``."""
    bottle_ttl_days: float = 7.0
    """Days a drifting bottle floats before it expires (ECHO_BOTTLE_TTL_DAYS)."""
    data_dir: Path = Path(".echosphere")
    """Where embedded mode keeps its database, media and generated key."""
    node_id: str = field(default_factory=socket.gethostname)
    """This chat node's id (ECHO_NODE_ID); the pod name in Kubernetes."""
    node_address: str = "ws://127.0.0.1:8080/ws"
    """How clients and peers reach this node (ECHO_NODE_ADDRESS)."""
    jwt_keys: tuple[tuple[str, str], ...] = ()
    """Signing keys as (kid, secret); the first signs, all verify."""
    access_ttl: int = 15 * 60
    """Access token lifetime, seconds (ECHO_ACCESS_TTL)."""
    refresh_ttl: int = 30 * 24 * 3600
    """Refresh token lifetime since its last use, seconds (ECHO_REFRESH_TTL)."""
    code_ttl: int = 5 * 60
    """Login code lifetime, seconds (ECHO_CODE_TTL)."""
    code_attempts: int = 5
    """Wrong tries before a login code is void (ECHO_CODE_ATTEMPTS)."""
    code_interval: int = 60
    """Seconds between two codes for one phone (ECHO_CODE_INTERVAL)."""
    handle_change_days: int = 30
    """Days between two handle changes (ECHO_HANDLE_CHANGE_DAYS)."""
    heartbeat: float = 25.0
    """Seconds between client pings the node asks for (ECHO_HEARTBEAT)."""
    idle_timeout: float = 75.0
    """A websocket silent this long is closed (ECHO_IDLE_TIMEOUT)."""
    recall_window: float = 120.0
    """Seconds a sender may recall a message (ECHO_RECALL_WINDOW)."""
    presence_ttl: float = 90.0
    """Seconds a presence entry lives without a heartbeat (ECHO_PRESENCE_TTL)."""
    drain_timeout: float = 30.0
    """Seconds a draining node waits for its connections to leave (ECHO_DRAIN_TIMEOUT)."""
    admin_token: str | None = None
    """Bearer token for node administration such as ``POST /node/drain`` (ECHO_ADMIN_TOKEN)."""
    limits: Limits = Limits()
    log_format: str = "text"
    """``text`` for people, ``json`` for log collectors (ECHO_LOG_FORMAT)."""
    otlp_endpoint: str | None = None
    """OTLP/HTTP collector to send traces to, e.g. ``http://otel:4318`` (ECHO_OTLP_ENDPOINT);
    tracing is off without it."""


_T = TypeVar("_T")


def _url(name: str, value: str) -> str:
    scheme = urlsplit(value).scheme
    accepted = SCHEMES[name]
    if scheme not in accepted:
        shown = scheme or value
        raise SettingsError(f"{name}: unknown scheme {shown!r}; expected {', '.join(accepted)}")
    return value


def _positive(kind: Callable[[str], _T]) -> Callable[[str, str], _T]:
    def parse(name: str, value: str) -> _T:
        try:
            parsed = kind(value)
        except ValueError:
            raise SettingsError(
                f"{name}: {value!r} is not a {kind.__name__}; expected a positive number"
            ) from None
        if not parsed > 0 or not math.isfinite(parsed):  # type: ignore[operator,arg-type]
            raise SettingsError(f"{name}: {value!r} must be positive")
        return parsed

    return parse


def _rate(name: str, value: str) -> RateLimit:
    rate, _, burst = value.partition("/")
    try:
        parsed = RateLimit(rate=float(rate), burst=int(burst))
    except ValueError:
        raise SettingsError(
            f"{name}: {value!r} is not a rate; expected '<tokens per second>/<burst>', e.g. 5/20"
        ) from None
    if not math.isfinite(parsed.rate) or parsed.rate <= 0 or parsed.burst < 1:
        raise SettingsError(f"{name}: {value!r} must have a positive rate and burst")
    return parsed


def _choice(*options: str) -> Callable[[str, str], str]:
    def parse(name: str, value: str) -> str:
        if value not in options:
            raise SettingsError(f"{name}: {value!r} is not accepted; expected {', '.join(options)}")
        return value

    return parse


def _http_url(name: str, value: str) -> str:
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise SettingsError(f"{name}: {value!r} is not an http(s) URL such as http://otel:4318")
    return value


def _secret(name: str, value: str) -> str:
    if len(value) < 16:
        raise SettingsError(f"{name}: too short; use at least 16 random characters")
    return value


def parse_jwt_keys(name: str, value: str) -> tuple[tuple[str, str], ...]:
    keys: list[tuple[str, str]] = []
    for pair in value.split(","):
        kid, sep, secret = pair.strip().partition(":")
        if not sep or not kid or len(secret) < 32:
            raise SettingsError(
                f"{name}: expected comma-separated 'kid:secret' pairs with secrets of "
                "at least 32 characters"
            )
        if any(kid == known for known, _ in keys):
            raise SettingsError(f"{name}: key id {kid!r} appears twice; key ids must be unique")
        keys.append((kid, secret))
    return tuple(keys)


_FIELDS: dict[str, tuple[str, Callable[[str, str], Any]]] = {
    "ECHO_STORE_URL": ("store_url", _url),
    "ECHO_KV_URL": ("kv_url", _url),
    "ECHO_BUS_URL": ("bus_url", _url),
    "ECHO_REGISTRY_URL": ("registry_url", _url),
    "ECHO_SMS_URL": ("sms_url", _url),
    "ECHO_MEDIA_URL": ("media_url", _url),
    "ECHO_GEO_URL": ("geo_url", _url),
    "ECHO_BOTTLE_TTL_DAYS": ("bottle_ttl_days", _positive(float)),
    "ECHO_DATA_DIR": ("data_dir", lambda _n, v: Path(v)),
    "ECHO_NODE_ID": ("node_id", lambda _n, v: v),
    "ECHO_NODE_ADDRESS": ("node_address", lambda _n, v: v),
    "ECHO_JWT_KEYS": ("jwt_keys", parse_jwt_keys),
    "ECHO_ACCESS_TTL": ("access_ttl", _positive(int)),
    "ECHO_REFRESH_TTL": ("refresh_ttl", _positive(int)),
    "ECHO_CODE_TTL": ("code_ttl", _positive(int)),
    "ECHO_CODE_ATTEMPTS": ("code_attempts", _positive(int)),
    "ECHO_CODE_INTERVAL": ("code_interval", _positive(int)),
    "ECHO_HANDLE_CHANGE_DAYS": ("handle_change_days", _positive(int)),
    "ECHO_HEARTBEAT": ("heartbeat", _positive(float)),
    "ECHO_IDLE_TIMEOUT": ("idle_timeout", _positive(float)),
    "ECHO_RECALL_WINDOW": ("recall_window", _positive(float)),
    "ECHO_PRESENCE_TTL": ("presence_ttl", _positive(float)),
    "ECHO_LOG_FORMAT": ("log_format", _choice("text", "json")),
    "ECHO_OTLP_ENDPOINT": ("otlp_endpoint", _http_url),
    "ECHO_DRAIN_TIMEOUT": ("drain_timeout", _positive(float)),
    "ECHO_ADMIN_TOKEN": ("admin_token", _secret),
}

_LIMIT_FIELDS: dict[str, tuple[str, Callable[[str, str], Any]]] = {
    "ECHO_RATE_IP": ("rate_ip", _rate),
    "ECHO_RATE_USER": ("rate_user", _rate),
    "ECHO_RATE_AUTH": ("rate_auth", _rate),
    "ECHO_RATE_SEND": ("rate_send", _rate),
    "ECHO_GROUP_MAX_MEMBERS": ("group_max_members", _positive(int)),
    "ECHO_MAX_FRAME_BYTES": ("max_frame_bytes", _positive(int)),
    "ECHO_MAX_TEXT_CHARS": ("max_text_chars", _positive(int)),
    "ECHO_BAD_FRAMES": ("bad_frames", _positive(int)),
    "ECHO_BAD_FRAMES_WINDOW": ("bad_frames_window", _positive(float)),
    "ECHO_MAX_IMAGE_BYTES": ("max_image_bytes", _positive(int)),
    "ECHO_MAX_VOICE_BYTES": ("max_voice_bytes", _positive(int)),
    "ECHO_MAX_VIDEO_BYTES": ("max_video_bytes", _positive(int)),
    "ECHO_MAX_FILE_BYTES": ("max_file_bytes", _positive(int)),
    "ECHO_BOTTLE_THROWS_PER_DAY": ("bottle_throws_per_day", _positive(int)),
    "ECHO_BOTTLE_FISHES_PER_DAY": ("bottle_fishes_per_day", _positive(int)),
}


def load_settings(environ: Mapping[str, str], **overrides: Any) -> Settings:
    """Build settings from ``ECHO_*`` variables; ``overrides`` are defaults the
    command line supplies (e.g. ``echosphere dev --data-dir``), which variables beat."""
    known = {*_FIELDS, *_LIMIT_FIELDS, "ECHO_JWT_KEYS_FILE"}
    unknown = sorted(k for k in environ if k.startswith("ECHO_") and not k.startswith("ECHO_TEST_"))
    unknown = [k for k in unknown if k not in known]
    if unknown:
        raise SettingsError(f"{unknown[0]}: unknown setting; see docs/operations.md")

    values: dict[str, Any] = dict(overrides)
    for name, (attr, parse) in _FIELDS.items():
        if name in environ:
            values[attr] = parse(name, environ[name])
    if "ECHO_JWT_KEYS_FILE" in environ and "ECHO_JWT_KEYS" not in environ:
        path = Path(environ["ECHO_JWT_KEYS_FILE"])
        try:
            text = path.read_text().strip()
        except OSError as error:
            raise SettingsError(f"ECHO_JWT_KEYS_FILE: cannot read {str(path)!r}: {error}") from None
        values["jwt_keys"] = parse_jwt_keys("ECHO_JWT_KEYS_FILE", text)

    limits: dict[str, Any] = {}
    for name, (attr, parse) in _LIMIT_FIELDS.items():
        if name in environ:
            limits[attr] = parse(name, environ[name])
    values["limits"] = dataclasses.replace(values.get("limits", Limits()), **limits)
    return Settings(**values)
