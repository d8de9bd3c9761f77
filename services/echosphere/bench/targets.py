"""What a run drives: a server it starts itself, or one that already runs.

- ``embedded``: ``echosphere dev`` in a child process, data in a temporary
  directory;
- ``cluster``: an API process and chat nodes over Redis, RabbitMQ and
  ZooKeeper (``ECHO_TEST_*`` or ``--redis/--amqp/--zookeeper``);
- ``relay``: the bare relay of ``echosphere.bench.relay``, the ceiling;
- a URL: a running EchoSphere API; its websocket is taken from the same
  address unless ``--ws`` names the nodes. ``--pid`` names processes whose
  CPU to count.

Processes the bench starts are measured (CPU seconds, memory) through
``/proc``; the bench's own CPU is counted as ``bench``.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from echosphere.bench import launcher


class TargetError(Exception):
    """The target cannot be started or reached; the message says what is missing."""


@dataclass(slots=True)
class Target:
    name: str
    kind: Literal["echosphere", "relay"]
    api_url: str
    ws_urls: list[str]
    pids: dict[str, int] = field(default_factory=dict)
    """Server processes to measure, by name."""
    nodes: dict[str, int] = field(default_factory=dict)
    """The chat-node processes among them (for memory per connection)."""

    def ws_for(self, index: int) -> str:
        """The node a client connects to: spread round-robin over the nodes."""
        return self.ws_urls[index % len(self.ws_urls)]


@dataclass(frozen=True, slots=True)
class ServiceUrls:
    redis: str | None = None
    amqp: str | None = None
    zookeeper: str | None = None

    def missing(self, environ: Mapping[str, str]) -> list[str]:
        given = {
            "ECHO_TEST_REDIS_URL": self.redis,
            "ECHO_TEST_AMQP_URL": self.amqp,
            "ECHO_TEST_ZOOKEEPER_URL": self.zookeeper,
        }
        return [name for name in launcher.services_missing(environ) if not given[name]]


def _scratch(keep: Path | None) -> contextlib.AbstractContextManager[str]:
    if keep is not None:
        keep.mkdir(parents=True, exist_ok=True)
        return contextlib.nullcontext(str(keep))
    return tempfile.TemporaryDirectory(prefix="echosphere-bench-")


@contextlib.contextmanager
def embedded(*, env: Mapping[str, str], workdir: Path | None = None) -> Iterator[Target]:
    with _scratch(workdir) as root:
        process = launcher.start_embedded(Path(root), env)
        try:
            pids = {"embedded": process.pid}
            yield Target("embedded", "echosphere", process.url, [process.ws_url], pids, pids)
        finally:
            launcher.stop([process])


@contextlib.contextmanager
def cluster(
    *, nodes: int, services: ServiceUrls, env: Mapping[str, str], workdir: Path | None = None
) -> Iterator[Target]:
    missing = services.missing(os.environ)
    if missing:
        raise TargetError(
            "the cluster target needs Redis, RabbitMQ and ZooKeeper: set "
            + ", ".join(missing)
            + ' (eval "$(scripts/services up)" starts them) or pass --redis/--amqp/--zookeeper'
        )
    with (
        _scratch(workdir) as root,
        launcher.run_cluster(
            Path(root),
            nodes=nodes,
            redis_url=services.redis,
            amqp_url=services.amqp,
            zookeeper_url=services.zookeeper,
            ECHO_LOG_FORMAT="json",
            **env,
        ) as running,
    ):
        node_pids = {p.name: p.pid for p in running.nodes}
        pids = {"api": running.api.pid, **node_pids}
        urls = [p.ws_url for p in running.nodes]
        yield Target("cluster", "echosphere", running.api.url, urls, pids, node_pids)


@contextlib.contextmanager
def relay(*, workdir: Path | None = None) -> Iterator[Target]:
    with _scratch(workdir) as root:
        port = launcher.free_port()
        process = launcher.spawn(
            "relay", ["echosphere.bench.relay"], Path(root), launcher.child_environ({}), port
        )
        try:
            launcher.wait_ready(process)
            url = f"ws://127.0.0.1:{port}/relay"
            pids = {"relay": process.pid}
            yield Target("relay", "relay", process.url, [url], pids, pids)
        finally:
            launcher.stop([process])


@contextlib.contextmanager
def given(url: str, *, ws: Sequence[str], pids: Mapping[str, int]) -> Iterator[Target]:
    api = url.rstrip("/")
    if not api.startswith(("http://", "https://")):
        raise TargetError(f"--target: expected embedded, cluster, relay or an http(s) URL: {url}")
    sockets = list(ws) or [api.replace("http", "ws", 1) + "/ws"]
    yield Target(api, "echosphere", api, sockets, dict(pids), dict(pids))
