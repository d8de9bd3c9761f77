"""The starlette application of the HTTP API."""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from typing import Any

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from echosphere.api import (
    auth,
    bottles,
    conversations,
    feed,
    friends,
    groups,
    health,
    links,
    media,
    nodes,
    observe,
    openapi,
    users,
    web,
)
from echosphere.api.routing import Call, Endpoint, Router, error_response, json_response, to_route
from echosphere.chat.messenger import Messenger
from echosphere.chat.platform import Platform
from echosphere.core.errors import EchoError

logger = logging.getLogger(__name__)

meta = Router("meta")


@meta.route("GET", "/api/openapi.json", summary="This API's OpenAPI 3.1 document", auth=False)
async def serve_openapi(call: Call[None]) -> Response:
    return json_response(call.request.app.state.openapi)


ROUTERS = (
    meta,
    health.router,
    auth.router,
    users.router,
    friends.router,
    groups.router,
    conversations.router,
    nodes.router,
    web.router,
    media.router,
    feed.router,
    bottles.router,
    links.router,
)


def endpoints(*, api: bool = True) -> list[Endpoint]:
    """Every declared endpoint; only the health checks when ``api`` is False (a bare node)."""
    routers = ROUTERS if api else (health.router,)
    return [e for router in routers for e in router.endpoints]


async def _echo_error(request: Request, error: Exception) -> Response:
    assert isinstance(error, EchoError)
    return error_response(error)


async def _http_error(request: Request, error: Exception) -> Response:
    assert isinstance(error, HTTPException)
    codes = {404: "route_not_found", 405: "method_not_allowed"}
    code = codes.get(error.status_code, "bad_request")
    return error_response(EchoError(code, str(error.detail), status=error.status_code))


async def _crash(request: Request, error: Exception) -> Response:
    logger.exception("request failed", extra={"path": request.url.path})
    return error_response(EchoError("internal", "internal error", status=500))


EXCEPTION_HANDLERS: dict[Any, Any] = {
    EchoError: _echo_error,
    HTTPException: _http_error,
    Exception: _crash,
}


def build_api(
    platform: Platform,
    *,
    messenger: Messenger,
    api: bool = True,
    extra_routes: Sequence[BaseRoute] = (),
    draining: Callable[[], bool] = lambda: False,
) -> Starlette:
    extra_routes = [*extra_routes, observe.metrics_route()]
    app = Starlette(
        routes=[*(to_route(e, platform) for e in endpoints(api=api)), *extra_routes],
        exception_handlers=EXCEPTION_HANDLERS,
        middleware=[Middleware(observe.RequestIds)],
    )
    mounted = [r for r in extra_routes if isinstance(r, Route)]
    app.state.openapi = openapi.build_document(endpoints(), mounted=mounted)
    app.state.messenger = messenger
    app.state.draining = draining
    return app
