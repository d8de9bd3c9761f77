"""Server processes on this machine: one embedded server, or an API with chat nodes.

A cluster shares one SQLite file (the store) and uses a real Redis, RabbitMQ
and ZooKeeper, by default those ``scripts/services up`` started (their URLs
come from the ``ECHO_TEST_*`` variables). Each cluster gets its own Redis
key prefix and ZooKeeper chroot, so runs never see each other's state. Used
by the load generator and by the integration tests.
"""

from __future__ import annotations

import contextlib
import dataclasses
import os
import secrets
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping
from pathlib import Path

import httpx

SERVICES = ("ECHO_TEST_REDIS_URL", "ECHO_TEST_AMQP_URL", "ECHO_TEST_ZOOKEEPER_URL")
"""Where the shared services are, as ``scripts/services up`` exports them."""

GENEROUS_LIMITS = {
    "ECHO_RATE_IP": "100000/100000",
    "ECHO_RATE_USER": "100000/100000",
    "ECHO_RATE_AUTH": "100000/100000",
    "ECHO_RATE_SEND": "100000/100000",
    "ECHO_CODE_INTERVAL": "1",
}
"""Rate limits out of the way: a load test logs in and sends far faster than people."""


def services_missing(environ: Mapping[str, str] | None = None) -> list[str]:
    """The ``ECHO_TEST_*`` service variables that are not set."""
    environ = os.environ if environ is None else environ
    return [name for name in SERVICES if not environ.get(name)]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclasses.dataclass
class Process:
    name: str
    url: str
    process: subprocess.Popen[bytes]
    log: Path

    @property
    def ws_url(self) -> str:
        return self.url.replace("http://", "ws://") + "/ws"

    @property
    def pid(self) -> int:
        return self.process.pid

    def output(self) -> str:
        return self.log.read_text(errors="replace")

    def alive(self) -> bool:
        return self.process.poll() is None

    def kill(self) -> None:
        self.process.kill()
        self.process.wait(timeout=10)

    def terminate(self, timeout: float = 30) -> int:
        self.process.send_signal(signal.SIGTERM)
        return self.process.wait(timeout=timeout)


@dataclasses.dataclass
class Cluster:
    api: Process
    nodes: list[Process]
    env: dict[str, str]


def cluster_env(
    root: Path,
    *,
    redis_url: str | None = None,
    amqp_url: str | None = None,
    zookeeper_url: str | None = None,
    **extra: str,
) -> dict[str, str]:
    """The settings every process of one cluster shares; URLs default to ``ECHO_TEST_*``."""
    tag = secrets.token_hex(4)
    redis = redis_url or os.environ["ECHO_TEST_REDIS_URL"]
    zookeeper = zookeeper_url or os.environ["ECHO_TEST_ZOOKEEPER_URL"]
    joiner = "&" if "?" in redis else "?"
    env = {
        "ECHO_STORE_URL": f"sqlite:///{root / 'cluster.db'}",
        "ECHO_KV_URL": f"{redis}{joiner}prefix=echo-{tag}:",
        "ECHO_BUS_URL": amqp_url or os.environ["ECHO_TEST_AMQP_URL"],
        "ECHO_REGISTRY_URL": f"{zookeeper.rstrip('/')}/echosphere-{tag}",
        "ECHO_SMS_URL": "log://",
        "ECHO_JWT_KEYS": f"k1:{secrets.token_urlsafe(40)}",
        "ECHO_ADMIN_TOKEN": secrets.token_urlsafe(24),
        "ECHO_PRESENCE_TTL": "3",
        "ECHO_DRAIN_TIMEOUT": "20",
        **GENEROUS_LIMITS,
    }
    env.update(extra)
    return env


def child_environ(env: Mapping[str, str]) -> dict[str, str]:
    """This process's environment without its ECHO_* settings, plus ``env``."""
    environ = {k: v for k, v in os.environ.items() if not k.startswith("ECHO_")}
    environ.update(env)
    return environ


def spawn(name: str, args: list[str], root: Path, env: dict[str, str], port: int) -> Process:
    log = root / f"{name}.log"
    with log.open("wb") as sink:
        process = subprocess.Popen(  # noqa: S603 - our own interpreter and module
            [sys.executable, "-m", *args, "--port", str(port)],
            stdout=sink,
            stderr=subprocess.STDOUT,
            env=env,
        )
    return Process(name, f"http://127.0.0.1:{port}", process, log)


def start_process(role: str, name: str, root: Path, env: dict[str, str]) -> Process:
    """``echosphere serve <role>`` on a free port, once it answers ``/readyz``."""
    port = free_port()
    environ = child_environ(env)
    environ["ECHO_NODE_ID"] = name
    environ["ECHO_NODE_ADDRESS"] = f"ws://127.0.0.1:{port}/ws"
    running = spawn(name, ["echosphere", "serve", role], root, environ, port)
    wait_ready(running)
    return running


def start_embedded(root: Path, env: Mapping[str, str] | None = None) -> Process:
    """``echosphere dev`` with its data under ``root``, once it answers ``/readyz``."""
    root.mkdir(parents=True, exist_ok=True)
    environ = child_environ({**GENEROUS_LIMITS, **(env or {})})
    args = ["echosphere", "dev", "--data-dir", str(root / "data")]
    running = spawn("embedded", args, root, environ, free_port())
    wait_ready(running)
    return running


def wait_ready(process: Process, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not process.alive():
            raise RuntimeError(f"{process.name} exited:\n{process.output()}")
        with contextlib.suppress(httpx.HTTPError):
            if httpx.get(process.url + "/readyz", timeout=1).status_code == 200:
                return
        time.sleep(0.1)
    raise RuntimeError(f"{process.name} did not become ready:\n{process.output()}")


def stop(processes: list[Process], *, timeout: float = 10) -> None:
    """Interrupt every process, then kill those still running after ``timeout``."""
    for process in processes:
        if process.alive():
            process.process.send_signal(signal.SIGINT)
    for process in processes:
        try:
            process.process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            process.kill()


@contextlib.contextmanager
def run_cluster(
    root: Path,
    *,
    nodes: int = 2,
    redis_url: str | None = None,
    amqp_url: str | None = None,
    zookeeper_url: str | None = None,
    **extra: str,
) -> Iterator[Cluster]:
    """An API process and ``nodes`` chat nodes, stopped on exit."""
    root.mkdir(parents=True, exist_ok=True)
    env = cluster_env(
        root, redis_url=redis_url, amqp_url=amqp_url, zookeeper_url=zookeeper_url, **extra
    )
    started: list[Process] = []
    try:
        api = start_process("api", "api", root, env)
        started.append(api)
        for index in range(nodes):
            started.append(start_process("node", f"node-{index}", root, env))
        yield Cluster(api=api, nodes=started[1:], env=env)
    finally:
        stop(started)
