"""A cluster on this machine: one API process and several chat-node processes.

They share a SQLite file (the store), and use the real Redis, RabbitMQ and
ZooKeeper that ``scripts/services up`` started (their URLs come from the
``ECHO_TEST_*`` variables). Each cluster gets its own Redis key prefix and
ZooKeeper chroot, so tests never see each other's state. Used by the
integration tests and by the load generator.
"""

from __future__ import annotations

import contextlib
import dataclasses
import os
import secrets
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx

from tests.support.server import free_port

SERVICES = ("ECHO_TEST_REDIS_URL", "ECHO_TEST_AMQP_URL", "ECHO_TEST_ZOOKEEPER_URL")


def services_missing() -> list[str]:
    return [name for name in SERVICES if not os.environ.get(name)]


@dataclasses.dataclass
class Process:
    name: str
    url: str
    process: subprocess.Popen[bytes]
    log: Path

    @property
    def ws_url(self) -> str:
        return self.url.replace("http://", "ws://") + "/ws"

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


def cluster_env(root: Path, *, amqp_url: str | None = None, **extra: str) -> dict[str, str]:
    tag = secrets.token_hex(4)
    redis = os.environ["ECHO_TEST_REDIS_URL"]
    joiner = "&" if "?" in redis else "?"
    env = {
        "ECHO_STORE_URL": f"sqlite:///{root / 'cluster.db'}",
        "ECHO_KV_URL": f"{redis}{joiner}prefix=echo-{tag}:",
        "ECHO_BUS_URL": amqp_url or os.environ["ECHO_TEST_AMQP_URL"],
        "ECHO_REGISTRY_URL": f"{os.environ['ECHO_TEST_ZOOKEEPER_URL']}/echosphere-{tag}",
        "ECHO_SMS_URL": "log://",
        "ECHO_JWT_KEYS": f"k1:{secrets.token_urlsafe(40)}",
        "ECHO_ADMIN_TOKEN": secrets.token_urlsafe(24),
        "ECHO_PRESENCE_TTL": "3",
        "ECHO_CODE_INTERVAL": "1",
        "ECHO_RATE_IP": "100000/100000",
        "ECHO_RATE_USER": "100000/100000",
        "ECHO_RATE_AUTH": "100000/100000",
        "ECHO_RATE_SEND": "100000/100000",
        "ECHO_DRAIN_TIMEOUT": "20",
    }
    env.update(extra)
    return env


def start_process(role: str, name: str, root: Path, env: dict[str, str]) -> Process:
    port = free_port()
    environ = {k: v for k, v in os.environ.items() if not k.startswith("ECHO_")}
    environ.update(env)
    environ["ECHO_NODE_ID"] = name
    environ["ECHO_NODE_ADDRESS"] = f"ws://127.0.0.1:{port}/ws"
    log = root / f"{name}.log"
    with log.open("wb") as sink:
        process = subprocess.Popen(
            [sys.executable, "-m", "echosphere", "serve", role, "--port", str(port)],
            stdout=sink,
            stderr=subprocess.STDOUT,
            env=environ,
        )
    running = Process(name, f"http://127.0.0.1:{port}", process, log)
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


@contextlib.contextmanager
def run_cluster(root: Path, *, nodes: int = 2, **extra: str) -> Iterator[Cluster]:
    root.mkdir(parents=True, exist_ok=True)
    env = cluster_env(root, **extra)
    started: list[Process] = []
    try:
        api = start_process("api", "api", root, env)
        started.append(api)
        for index in range(nodes):
            started.append(start_process("node", f"node-{index}", root, env))
        yield Cluster(api=api, nodes=started[1:], env=env)
    finally:
        for process in started:
            if process.alive():
                process.process.send_signal(signal.SIGINT)
        for process in started:
            try:
                process.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
