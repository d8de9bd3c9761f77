"""Prometheus metrics of the operator, and the small HTTP server that serves
them with ``/healthz`` (the probe the chart's Deployment uses).

A registry of our own, not the process-wide default, so importing the
operator into a test or another program adds nothing to theirs.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import socket
import threading

from aiohttp import web
from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram
from prometheus_client.exposition import CONTENT_TYPE_LATEST, generate_latest

logger = logging.getLogger(__name__)

REGISTRY = CollectorRegistry(auto_describe=True)

RECONCILES = Counter(
    "echosphere_operator_reconciles",
    "Reconciles of EchoClusters, by result (ok, error, paused, invalid)",
    ["result"],
    registry=REGISTRY,
)
RECONCILE_SECONDS = Histogram(
    "echosphere_operator_reconcile_seconds",
    "Time one reconcile of an EchoCluster took",
    registry=REGISTRY,
)
WIRING_FAILURES = Counter(
    "echosphere_operator_wiring_failures",
    "Failed attempts to wire a dependency, by condition and reason",
    ["condition", "reason"],
    registry=REGISTRY,
)
NODES = Gauge(
    "echosphere_operator_nodes",
    "Chat nodes of a cluster, by state (desired, ready, live, draining)",
    ["namespace", "cluster", "state"],
    registry=REGISTRY,
)
CONNECTIONS = Gauge(
    "echosphere_operator_connections",
    "Websocket connections on a cluster's live nodes, from their Leases",
    ["namespace", "cluster"],
    registry=REGISTRY,
)


NODE_STATES = ("desired", "ready", "live", "draining")


def forget(namespace: str, cluster: str) -> None:
    """Drop a deleted cluster's series."""
    for state in NODE_STATES:
        with contextlib.suppress(KeyError):
            NODES.remove(namespace, cluster, state)
    with contextlib.suppress(KeyError):
        CONNECTIONS.remove(namespace, cluster)


class Probes:
    """``/healthz`` answers 200 once the operator is up; ``/metrics`` is Prometheus text."""

    def __init__(self, ready: asyncio.Event | threading.Event):
        self._ready = ready
        self._runner: web.AppRunner | None = None
        self.port: int | None = None

    async def healthz(self, request: web.Request) -> web.Response:
        if not self._ready.is_set():
            return web.json_response({"status": "starting"}, status=503)
        return web.json_response({"status": "ok"})

    async def metrics(self, request: web.Request) -> web.Response:
        body = generate_latest(REGISTRY)
        return web.Response(body=body, headers={"Content-Type": CONTENT_TYPE_LATEST})

    async def start(self, host: str, port: int) -> None:
        app = web.Application()
        app.router.add_get("/healthz", self.healthz)
        app.router.add_get("/metrics", self.metrics)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        listener = socket.create_server((host, port), reuse_port=False)
        await web.SockSite(self._runner, listener).start()
        self.port = listener.getsockname()[1]
        logger.info("probes on http://%s:%s (/healthz, /metrics)", host, self.port)

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None
