"""The browser client: ``/`` serves its page, ``/web/<name>`` its scripts and styles.

The client is plain files in the package's ``web`` folder, no build step.
Every answer carries a strict Content-Security-Policy: scripts and styles
only from this origin and never inline, sockets only to this host, media
only from here or the object store, no plugins, no framing. Files are revalidated
on each load (``no-cache`` with an ETag), since their names carry no version.
Only flat names are served, so a request can never reach outside the folder.
"""

from __future__ import annotations

import hashlib
import re
from importlib import resources
from urllib.parse import parse_qsl, urlsplit

from starlette.responses import Response

from echosphere.api.routing import Call, Router
from echosphere.core.errors import NotFound

router = Router("web")

CONTENT_TYPES = {
    ".html": "text/html; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".svg": "image/svg+xml",
    ".png": "image/png",
    ".webmanifest": "application/manifest+json",
}

_ASSET = re.compile(r"[a-z0-9][a-z0-9_-]*(\.[a-z]+)")
_HOST = re.compile(r"[^A-Za-z0-9.:\[\]-]")
"""Anything that cannot be in a host and port is dropped before it reaches a header."""

SECURITY_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-cache",
}


def media_origin(media_url: str) -> str | None:
    """Where presigned media URLs point when objects live outside this API (S3):
    ``s3://key:secret@host:port/bucket?secure=false&public=https://media.example``."""
    parts = urlsplit(media_url)
    if parts.scheme != "s3":
        return None
    query = dict(parse_qsl(parts.query))
    if "public" in query:
        public = urlsplit(query["public"])
        return f"{public.scheme}://{public.netloc}"
    scheme = "http" if query.get("secure", "true").lower() == "false" else "https"
    return f"{scheme}://{parts.netloc.rpartition('@')[2]}"


def content_security_policy(host: str, media: str | None) -> str:
    """Scripts and styles from this origin only, never inline; sockets to this host;
    images, audio and uploads also to the object store when it is elsewhere."""
    sockets = f" ws://{host} wss://{host}" if host else ""
    store = f" {media}" if media else ""
    return "; ".join(
        (
            "default-src 'self'",
            "script-src 'self'",
            "style-src 'self'",
            f"img-src 'self' blob: data:{store}",
            f"media-src 'self' blob:{store}",
            f"connect-src 'self'{sockets}{store}",
            "object-src 'none'",
            "base-uri 'none'",
            "form-action 'self'",
            "frame-ancestors 'none'",
        )
    )


def _read(name: str) -> bytes | None:
    asset = resources.files("echosphere") / "web" / name
    try:
        return asset.read_bytes()
    except (FileNotFoundError, IsADirectoryError, NotADirectoryError):
        return None


def _file_response(call: Call[None], name: str, content: bytes) -> Response:
    suffix = name[name.rfind(".") :]
    etag = '"' + hashlib.sha256(content).hexdigest()[:32] + '"'
    policy = content_security_policy(
        _HOST.sub("", call.request.headers.get("host", "")),
        media_origin(call.platform.settings.media_url),
    )
    headers = {**SECURITY_HEADERS, "Content-Security-Policy": policy, "ETag": etag}
    if call.request.headers.get("if-none-match") == etag:
        return Response(status_code=304, headers=headers)
    return Response(content, media_type=CONTENT_TYPES[suffix], headers=headers)


@router.route(
    "GET",
    "/",
    summary="The browser client",
    auth=False,
    produces="text/html",
    errors=("asset_not_found",),
)
async def index(call: Call[None]) -> Response:
    content = _read("index.html")
    if content is None:
        raise NotFound("asset_not_found", "the web client is not installed")
    return _file_response(call, "index.html", content)


@router.route(
    "GET",
    "/web/{name}",
    summary="A script, style sheet or image of the browser client",
    auth=False,
    produces="application/octet-stream",
    errors=("asset_not_found",),
)
async def asset(call: Call[None]) -> Response:
    name = call.path("name")
    match = _ASSET.fullmatch(name)
    content = _read(name) if match and match.group(1) in CONTENT_TYPES else None
    if content is None:
        raise NotFound("asset_not_found", "no such file of the web client")
    return _file_response(call, name, content)
