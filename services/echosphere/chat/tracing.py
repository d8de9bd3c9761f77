"""Following one request or connection: correlation ids for logs, OpenTelemetry spans.

Correlation ids live in context variables: the API sets ``request_id`` for
each HTTP request, the node sets ``connection_id`` for each websocket, and
every task started while handling them inherits the value. The log
formatters (``echosphere.logs``) add whichever is set to every line.

Tracing is off unless ``ECHO_OTLP_ENDPOINT`` names an OTLP/HTTP collector:
then spans cover HTTP requests, calls to the store, KV and bus, and a
message's delivery on the node that writes it to sockets, which continues
the sender's trace through the bus envelope (a W3C ``traceparent``). When
off, the helpers here cost one flag check.
"""

from __future__ import annotations

import contextlib
import logging
import secrets
from collections.abc import Iterator, Mapping
from contextvars import ContextVar
from typing import Any

from opentelemetry import propagate, trace

logger = logging.getLogger(__name__)

request_id: ContextVar[str | None] = ContextVar("echosphere_request_id", default=None)
connection_id: ContextVar[str | None] = ContextVar("echosphere_connection_id", default=None)

_enabled = False
_tracer: trace.Tracer = trace.NoOpTracer()


def new_correlation_id() -> str:
    return secrets.token_hex(8)


def enabled() -> bool:
    return _enabled


def configure(endpoint: str | None, *, service: str, node: str) -> None:
    """Export spans to ``endpoint`` (OTLP over HTTP); nothing when it is None."""
    global _enabled, _tracer
    if not endpoint:
        return
    from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
    from opentelemetry.sdk.resources import Resource
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import BatchSpanProcessor

    resource = Resource.create({"service.name": service, "service.instance.id": node})
    provider = TracerProvider(resource=resource)
    exporter = OTLPSpanExporter(endpoint=endpoint.rstrip("/") + "/v1/traces")
    provider.add_span_processor(BatchSpanProcessor(exporter))
    trace.set_tracer_provider(provider)
    _tracer = trace.get_tracer("echosphere")
    _enabled = True
    logger.info("tracing to an OTLP collector", extra={"service": service})


@contextlib.contextmanager
def span(
    name: str, *, parent: Mapping[str, str] | None = None, **attributes: Any
) -> Iterator[None]:
    """A span around the block when tracing is on; ``parent`` carries a remote context."""
    if not _enabled:
        yield
        return
    context = propagate.extract(parent) if parent else None
    with _tracer.start_as_current_span(name, context=context, attributes=attributes):
        yield


def traceparent() -> str:
    """The current trace context as a ``traceparent`` value ("" when off or none)."""
    if not _enabled:
        return ""
    carrier: dict[str, str] = {}
    propagate.inject(carrier)
    return carrier.get("traceparent", "")


def current_trace_id() -> str | None:
    """The id of the active trace, for log lines; None when off or outside a span."""
    if not _enabled:
        return None
    context = trace.get_current_span().get_span_context()
    return format(context.trace_id, "032x") if context.is_valid else None
