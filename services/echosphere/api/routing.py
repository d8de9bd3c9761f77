"""Endpoints declared once: the route table, the checks and the OpenAPI entry.

Each handler is registered with what it reads (a msgspec body type), whether
it needs a session and which errors it may answer. The same declaration
builds the starlette route (with rate limiting, authentication, body
decoding and JSON encoding around the handler) and the OpenAPI document, so
the two cannot drift apart.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, Generic, Literal, TypeVar

import msgspec
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from echosphere.api import observe
from echosphere.chat import metrics
from echosphere.chat.platform import Platform
from echosphere.core.errors import EchoError, InvalidInput, RateLimited, Unauthorized
from echosphere.core.ids import DeviceId, UserId

logger = logging.getLogger(__name__)

Limit = Literal["default", "auth"]
BodyT = TypeVar("BodyT")


@dataclass(slots=True)
class Call(Generic[BodyT]):
    """One request as a handler sees it."""

    request: Request
    platform: Platform
    body: BodyT
    user: UserId = UserId("")
    device: DeviceId = DeviceId("")

    def path(self, name: str) -> str:
        return str(self.request.path_params[name])

    def query(self, name: str, default: str | None = None) -> str | None:
        return self.request.query_params.get(name, default)


Handler = Callable[[Call[Any]], Awaitable[Any]]


@dataclass(frozen=True, slots=True)
class Endpoint:
    method: str
    path: str
    handler: Handler
    summary: str
    tag: str
    body: type[Any] | None
    auth: bool
    status: int
    limit: Limit
    errors: tuple[str, ...]
    query: tuple[str, ...]
    produces: str


@dataclass
class Router:
    """Collects endpoints of one area of the API."""

    tag: str
    endpoints: list[Endpoint] = field(default_factory=list)

    def route(
        self,
        method: str,
        path: str,
        *,
        summary: str,
        body: type[Any] | None = None,
        auth: bool = True,
        status: int = 200,
        limit: Limit = "default",
        errors: tuple[str, ...] = (),
        query: tuple[str, ...] = (),
        produces: str = "application/json",
    ) -> Callable[[Handler], Handler]:
        def register(handler: Handler) -> Handler:
            self.endpoints.append(
                Endpoint(
                    method=method,
                    path=path,
                    handler=handler,
                    summary=summary,
                    tag=self.tag,
                    body=body,
                    auth=auth,
                    status=status,
                    limit=limit,
                    errors=errors,
                    query=query,
                    produces=produces,
                )
            )
            return handler

        return register


def json_response(
    payload: Any, status: int = 200, headers: dict[str, str] | None = None
) -> Response:
    return Response(
        msgspec.json.encode(payload),
        status_code=status,
        media_type="application/json",
        headers=headers,
    )


def client_ip(request: Request) -> str:
    return request.client.host if request.client else "unknown"


async def check_rate(platform: Platform, key: str, limit: Any) -> None:
    wait = await platform.kv.take_token(f"rl:{key}", rate=limit.rate, burst=limit.burst)
    if wait > 0:
        metrics.RATE_LIMITED.labels(key.partition(":")[0]).inc()
        raise RateLimited(wait)


async def authenticate(platform: Platform, request: Request) -> tuple[UserId, DeviceId]:
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token:
        raise Unauthorized("unauthorized", "send 'Authorization: Bearer <access token>'")
    claims = platform.signer.verify(token.strip(), now=platform.clock())
    await platform.sessions.check(claims.user, claims.device)
    return claims.user, claims.device


def decode_body(raw: bytes, body_type: type[BodyT]) -> BodyT:
    if not raw:
        raise InvalidInput("bad_body", "a JSON request body is required", status=400)
    try:
        return msgspec.json.decode(raw, type=body_type)
    except msgspec.ValidationError as error:
        raise InvalidInput("invalid", str(error)) from None
    except msgspec.DecodeError:
        raise InvalidInput("bad_json", "the request body is not valid JSON", status=400) from None


def to_route(endpoint: Endpoint, platform: Platform) -> Route:
    limits = platform.settings.limits

    async def serve(request: Request) -> Response:
        ip = client_ip(request)
        await check_rate(platform, f"ip:{ip}", limits.rate_ip)
        if endpoint.limit == "auth":
            await check_rate(platform, f"auth:{ip}", limits.rate_auth)
        call: Call[Any] = Call(request=request, platform=platform, body=None)
        if endpoint.auth:
            call.user, call.device = await authenticate(platform, request)
            await check_rate(platform, f"user:{call.user}", limits.rate_user)
        if endpoint.body is not None:
            call.body = decode_body(await request.body(), endpoint.body)
        result = await endpoint.handler(call)
        if isinstance(result, Response):
            return result
        if result is None:
            return Response(status_code=204)
        return json_response(result, endpoint.status)

    handle = observe.observed(endpoint.method, endpoint.path, serve)
    return Route(endpoint.path, handle, methods=[endpoint.method], name=endpoint.summary)


def error_response(error: EchoError) -> Response:
    headers = None
    if isinstance(error, RateLimited):
        headers = {"Retry-After": str(error.retry_after)}
    return json_response({"error": error.to_dict()}, error.status, headers)
