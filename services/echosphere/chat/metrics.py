"""The Prometheus series of the API and the chat nodes, defined once.

Every process serves them at ``GET /metrics`` (text format). They count
what an operator asks first: how many sockets, how many frames, how many
messages stored and delivered and how fast, how much fan-out each message
costs across nodes, how the store, KV and bus answer, what was refused and
why. Label values are op names, error codes, port and method names: never
user ids or anything unbounded.

Helpers here take the few label lookups off the hot path (children per op
are cached), and ``render`` produces the exposition text.
"""

from __future__ import annotations

from functools import cache

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
)

_LATENCY_BUCKETS = (
    0.0005,
    0.001,
    0.0025,
    0.005,
    0.01,
    0.025,
    0.05,
    0.1,
    0.25,
    0.5,
    1.0,
    2.5,
    5.0,
    10.0,
)

CONNECTIONS = Gauge("echosphere_connections", "Websocket connections open on this node")
CONNECTIONS_OPENED = Counter(
    "echosphere_connections_opened", "Websocket connections authenticated on this node"
)
FRAMES_IN = Counter("echosphere_frames_in", "Websocket frames received, by op", ["op"])
FRAMES_OUT = Counter("echosphere_frames_out", "Websocket frames written, by op", ["op"])
MESSAGES_STORED = Counter(
    "echosphere_messages_stored", "Messages stored (a repeated cid is not counted)", ["conv"]
)
DELIVERY_SECONDS = Histogram(
    "echosphere_delivery_seconds",
    "From a message stored to it written to a recipient's socket",
    buckets=_LATENCY_BUCKETS,
)
FANOUT_MESSAGES = Counter("echosphere_fanout_messages", "Messages routed to their recipients")
FANOUT_NODE_DELIVERIES = Counter(
    "echosphere_fanout_node_deliveries",
    "Nodes a routed message went to (divide by fanout_messages for the amplification)",
)
SOCKET_DELIVERIES = Counter(
    "echosphere_socket_deliveries", "Frames queued to local sockets by fan-out"
)
BUS_PUBLISHES = Counter("echosphere_bus_publishes", "Envelopes handed to the bus", ["kind"])
BUS_CONSUMED = Counter("echosphere_bus_consumed", "Envelopes taken from the bus")
PORT_SECONDS = Histogram(
    "echosphere_port_call_seconds",
    "Duration of calls to the store, KV and bus adapters",
    ["port", "method"],
    buckets=_LATENCY_BUCKETS,
)
PORT_FAILURES = Counter(
    "echosphere_port_call_failures", "Calls to an adapter that failed with an outage", ["port"]
)
REFUSALS = Counter(
    "echosphere_refusals", "Requests and frames refused, by error code", ["code", "via"]
)
RATE_LIMITED = Counter("echosphere_rate_limited", "Requests refused by a rate limit", ["scope"])
HTTP_REQUESTS = Counter(
    "echosphere_http_requests", "HTTP requests answered", ["method", "route", "status"]
)
HTTP_SECONDS = Histogram(
    "echosphere_http_request_seconds",
    "HTTP request duration",
    ["method", "route"],
    buckets=_LATENCY_BUCKETS,
)
DRAINS = Counter("echosphere_drains", "Drains started on this node")
DRAINING = Gauge("echosphere_draining", "1 while this node drains")
DRAIN_LEFT = Gauge("echosphere_drain_connections_left", "Connections left when the drain ended")


@cache
def frame_in(op: str) -> Counter:
    return FRAMES_IN.labels(op)


@cache
def frame_out(op: str) -> Counter:
    return FRAMES_OUT.labels(op)


@cache
def port_timer(port: str, method: str) -> Histogram:
    return PORT_SECONDS.labels(port, method)


def refused(code: str, via: str) -> None:
    REFUSALS.labels(code, via).inc()


def render() -> tuple[bytes, str]:
    """The exposition text of every series, and its content type."""
    return generate_latest(REGISTRY), CONTENT_TYPE_LATEST
