"""Log lines carry the id of the request or connection they were written for; spans join up."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator

import httpx
import msgspec
import pytest
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import PlainTextResponse
from starlette.routing import Route

from echosphere.api.observe import RequestIds
from echosphere.backends.memory_bus import MemoryBus
from echosphere.backends.memory_kv import MemoryKV
from echosphere.chat import tracing
from echosphere.chat.delivery import Delivery, Envelope, Outgoing
from echosphere.chat.presence import Presence
from echosphere.core.ids import DeviceId, UserId
from echosphere.logs import CorrelationFilter, JsonFormatter, TextFormatter

log = logging.getLogger("tests.correlation")


class Lines(logging.Handler):
    def __init__(self, formatter: logging.Formatter) -> None:
        super().__init__()
        self.lines: list[str] = []
        self.setFormatter(formatter)
        self.addFilter(CorrelationFilter())

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(self.format(record))


@pytest.fixture
def json_lines() -> Iterator[Lines]:
    handler = Lines(JsonFormatter())
    log.addHandler(handler)
    log.setLevel(logging.INFO)
    try:
        yield handler
    finally:
        log.removeHandler(handler)


async def _handler(request: Request) -> PlainTextResponse:
    log.info("handling", extra={"user": "u1"})
    return PlainTextResponse("ok")


async def test_every_line_of_a_request_carries_its_id(json_lines: Lines) -> None:
    """The id comes back in X-Request-ID and is in each JSON log line of that request."""
    app = Starlette(routes=[Route("/", _handler)], middleware=[Middleware(RequestIds)])
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as http:
        fresh = await http.get("/")
        given = await http.get("/", headers={"X-Request-ID": "abc-123"})
        odd = await http.get("/", headers={"X-Request-ID": "no spaces allowed"})
    ids = [r.headers["x-request-id"] for r in (fresh, given, odd)]
    assert ids[1] == "abc-123"
    assert len({*ids}) == 3
    lines = [json.loads(line) for line in json_lines.lines]
    assert [line["request_id"] for line in lines] == ids
    assert all(line["user"] == "u1" and line["msg"] == "handling" for line in lines)


def test_a_connection_id_reaches_text_lines() -> None:
    """Lines written while a connection is handled name it, in the text format too."""
    handler = Lines(TextFormatter())
    log.addHandler(handler)
    token = tracing.connection_id.set("c0ffee")
    try:
        log.warning("slow reader")
    finally:
        tracing.connection_id.reset(token)
        log.removeHandler(handler)
    assert handler.lines[0].endswith("slow reader connection_id=c0ffee")


@pytest.fixture
def spans(monkeypatch: pytest.MonkeyPatch) -> InMemorySpanExporter:
    """Tracing on, into memory, for this test only."""
    exporter = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    monkeypatch.setattr(tracing, "_enabled", True)
    monkeypatch.setattr(tracing, "_tracer", provider.get_tracer("test"))
    return exporter


def test_spans_are_free_when_tracing_is_off() -> None:
    """Off, a span is a bare block and there is no trace context to pass on."""
    assert not tracing.enabled()
    with tracing.span("nothing"):
        assert tracing.traceparent() == ""
        assert tracing.current_trace_id() is None


async def test_a_delivery_continues_the_senders_trace(spans: InMemorySpanExporter) -> None:
    """The envelope carries the send's trace context; the receiving node's span joins it."""
    kv = MemoryKV()
    delivered: list[Outgoing] = []

    async def local(users: object, skip: DeviceId | None, item: Outgoing) -> None:
        delivered.append(item)

    receiving = Delivery(
        node_id="node-b", presence=Presence(kv, ttl=30), bus=MemoryBus(), local=local
    )
    with tracing.span("message.send"):
        parent = tracing.traceparent()
        trace_id = tracing.current_trace_id()
    envelope = Envelope([UserId("u1")], None, b"{}", "msg", 1.0, parent)
    await receiving.on_bus(msgspec.msgpack.encode(envelope))
    assert delivered == [Outgoing(b"{}", "msg", 1.0)]
    finished = {span.name: span for span in spans.get_finished_spans()}
    deliver = finished["deliver"]
    assert format(deliver.context.trace_id, "032x") == trace_id
    assert deliver.parent is not None
    assert deliver.parent.span_id == finished["message.send"].context.span_id
