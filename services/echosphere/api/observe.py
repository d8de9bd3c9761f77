"""Watching the HTTP side: request ids, Prometheus metrics, spans around requests.

``RequestIds`` gives each HTTP request an id (the caller's ``X-Request-ID``
when it is a sane token, else a new one), puts it in the logging context
for everything handled on its behalf and returns it in the response
headers. ``metrics_route`` serves this process's series at ``GET
/metrics``; it sits beside the endpoint table, like the node's admin
routes, so it is neither rate limited nor authenticated. ``observed``
wraps an endpoint's handling with its metrics and span.
"""

from __future__ import annotations

import re
import time
from collections.abc import Awaitable, Callable

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from echosphere.chat import metrics, tracing
from echosphere.core.errors import EchoError

_SANE_ID = re.compile(r"^[A-Za-z0-9._-]{1,64}$")


class RequestIds:
    """ASGI middleware: a correlation id per HTTP request."""

    def __init__(self, app: ASGIApp):
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        given = dict(scope.get("headers", ())).get(b"x-request-id", b"").decode("latin-1")
        rid = given if _SANE_ID.match(given) else tracing.new_correlation_id()
        token = tracing.request_id.set(rid)

        async def send_with_id(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = [*message.get("headers", ()), (b"x-request-id", rid.encode())]
                message = {**message, "headers": headers}
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        finally:
            tracing.request_id.reset(token)


async def serve_metrics(request: Request) -> Response:
    """Prometheus metrics of this process (text exposition format)"""
    body, content_type = metrics.render()
    return Response(body, headers={"content-type": content_type})


def metrics_route() -> Route:
    return Route("/metrics", serve_metrics, methods=["GET"], name="metrics")


Serve = Callable[[Request], Awaitable[Response]]


def observed(method: str, path: str, serve: Serve) -> Serve:
    """``serve`` counted by route and status, timed, and traced when tracing is on."""
    timer = metrics.HTTP_SECONDS.labels(method, path)
    name = f"{method} {path}"

    async def handle(request: Request) -> Response:
        started = time.perf_counter()
        status = 500
        try:
            parent = dict(request.headers) if tracing.enabled() else None
            with tracing.span(name, parent=parent, **{"http.route": path}):
                response = await serve(request)
            status = response.status_code
            return response
        except EchoError as error:
            status = error.status
            metrics.refused(error.code, "http")
            raise
        finally:
            timer.observe(time.perf_counter() - started)
            metrics.HTTP_REQUESTS.labels(method, path, str(status)).inc()

    return handle
