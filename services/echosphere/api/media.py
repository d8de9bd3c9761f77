"""Media over HTTP: declare an upload, download what I may see, and the signed
blob URLs the API serves itself when media are kept on its own disk.

``POST /api/media/uploads`` answers where to send the bytes (a presigned
URL straight to storage). ``GET /api/media/{key}`` checks that the caller may
see the object and redirects to a fresh, short-lived signed URL. The blob
routes check the signature instead of a session: the URL is the permission.
Blobs of types a browser could run (HTML, SVG, scripts) are served as
attachments in a sandbox, never inline.
"""

from __future__ import annotations

from typing import Any

import msgspec
from starlette.requests import Request
from starlette.responses import FileResponse, RedirectResponse, Response

from echosphere.api.routing import Call, Router, json_response
from echosphere.chat.media import DOWNLOAD_URL_TTL, MediaLibrary
from echosphere.core.errors import NotFound, TooLarge
from echosphere.core.media import INLINE_TYPES, LOCAL_BLOB_PATH, kind_of_key
from echosphere.core.ports import LocalBlobs

router = Router("media")

_SIGNED_ERRORS = ("bad_signature", "url_expired", "not_local")


class NewUpload(msgspec.Struct, forbid_unknown_fields=True):
    kind: str
    content_type: str
    size: int


def absolute(request: Request, url: str) -> str:
    """Signed URLs of the file adapter are paths on this API; make them absolute."""
    if url.startswith("/"):
        return str(request.base_url).rstrip("/") + url
    return url


def media_ref(key: str) -> dict[str, str]:
    """How a body names an object: its key and kind (download it with ``GET /api/media/{key}``)."""
    return {"key": key, "kind": kind_of_key(key).value}


@router.route(
    "POST",
    "/api/media/uploads",
    summary="Declare an upload (kind, content_type, size); answers the URL to send its bytes to",
    body=NewUpload,
    status=201,
    errors=("bad_kind", "bad_size", "media_too_large", "unsupported_media_type"),
)
async def create_upload(call: Call[NewUpload]) -> dict[str, Any]:
    media, presigned = await MediaLibrary(call.platform).declare(
        call.user, kind=call.body.kind, content_type=call.body.content_type, size=call.body.size
    )
    return {
        "key": media.key,
        "upload_url": absolute(call.request, presigned.url),
        "method": presigned.method,
        "headers": presigned.headers,
        "expires_in": presigned.expires_in,
    }


@router.route(
    "GET",
    "/api/media/{key}",
    summary="Download media I may see: 302 to a fresh signed URL (as=json: the URL in JSON)",
    status=302,
    query=("as",),
    errors=("media_not_found", "forbidden"),
)
async def download(call: Call[None]) -> Response:
    library = MediaLibrary(call.platform)
    media = await library.visible(call.user, call.path("key"))
    url = absolute(call.request, await library.download_url(media))
    if call.query("as") == "json":
        described = {
            "url": url,
            "expires_in": DOWNLOAD_URL_TTL,
            "content_type": media.content_type,
            "size": media.size,
        }
        return json_response(described, headers={"Cache-Control": "private, no-store"})
    return RedirectResponse(url, status_code=302, headers={"Cache-Control": "private, no-store"})


def _local(call: Call[Any]) -> LocalBlobs:
    local = call.platform.media.local
    if local is None:
        raise NotFound("not_local", "media are not stored by this API")
    return local


@router.route(
    "PUT",
    LOCAL_BLOB_PATH + "/{key}",
    summary="Upload bytes to a signed upload URL (media kept by the API itself)",
    auth=False,
    status=204,
    query=("exp", "size", "ct", "sig"),
    errors=(*_SIGNED_ERRORS, "media_too_large", "already_uploaded"),
)
async def put_blob(call: Call[None]) -> None:
    local = _local(call)
    query = dict(call.request.query_params)
    grant = local.grant(method="PUT", key=call.path("key"), query=query, now=call.platform.clock())
    length = call.request.headers.get("content-length", "")
    if length.isdigit() and int(length) > grant.size:
        raise TooLarge("media_too_large", f"this upload is limited to {grant.size} bytes")
    await local.write(grant, call.request.stream())


@router.route(
    "GET",
    LOCAL_BLOB_PATH + "/{key}",
    summary="Fetch bytes from a signed download URL (media kept by the API itself)",
    auth=False,
    query=("exp", "sig"),
    produces="application/octet-stream",
    errors=(*_SIGNED_ERRORS, "media_not_found"),
)
async def get_blob(call: Call[None]) -> Response:
    local = _local(call)
    key = call.path("key")
    query = dict(call.request.query_params)
    local.grant(method="GET", key=key, query=query, now=call.platform.clock())
    path = local.path(key)
    stored = await call.platform.media.stat(key)
    if path is None or stored is None:
        raise NotFound("media_not_found", "no such media")
    inline = stored.content_type in INLINE_TYPES
    headers = {
        "Cache-Control": f"private, max-age={DOWNLOAD_URL_TTL}",
        "X-Content-Type-Options": "nosniff",
        "Content-Security-Policy": "sandbox; default-src 'none'",
        "Content-Disposition": "inline" if inline else "attachment",
    }
    return FileResponse(path, media_type=stored.content_type, headers=headers)
