"""Real servers for tests: uvicorn in this event loop, or ``echosphere dev`` as a process.

Both bind to 127.0.0.1 on a free port. The in-loop server is quick to start
and lets a test reach into the platform; the process is what a user runs,
for restart and command-line tests.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import os
import signal
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import httpx
import uvicorn
from starlette.applications import Starlette

from echosphere.bench.launcher import free_port
from echosphere.chat.platform import Platform
from echosphere.composition import Role, build_app, build_platform, dev_settings
from echosphere.config import Limits, RateLimit, Settings, load_settings

GENEROUS = RateLimit(rate=10_000.0, burst=10_000)


def embedded_settings(data_dir: Path, **changes: object) -> Settings:
    """Embedded settings with rate limits out of the way unless a test sets them."""
    limits = Limits(rate_ip=GENEROUS, rate_user=GENEROUS, rate_auth=GENEROUS, rate_send=GENEROUS)
    base = load_settings({}, limits=limits, node_id="node-test", code_interval=1)
    return dataclasses.replace(dev_settings(base, data_dir), **changes)  # type: ignore[arg-type]


@dataclasses.dataclass
class RunningServer:
    url: str
    platform: Platform
    app: Starlette

    @property
    def ws_url(self) -> str:
        return self.url.replace("http://", "ws://") + "/ws"


@contextlib.asynccontextmanager
async def serve(
    settings: Settings, *, roles: tuple[Role, ...] = ("api", "node")
) -> AsyncIterator[RunningServer]:
    platform = build_platform(settings)
    app = build_app(platform, roles=roles)
    port = free_port()
    config = uvicorn.Config(
        app, host="127.0.0.1", port=port, log_config=None, lifespan="on", ws_ping_interval=None
    )
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve())
    deadline = time.monotonic() + 10
    while not server.started:
        if task.done() or time.monotonic() > deadline:
            raise RuntimeError("test server did not start")
        await asyncio.sleep(0.01)
    try:
        yield RunningServer(f"http://127.0.0.1:{port}", platform, app)
    finally:
        server.should_exit = True
        await asyncio.wait_for(task, timeout=10)


@dataclasses.dataclass
class DevProcess:
    url: str
    process: subprocess.Popen[bytes]
    log: Path

    def output(self) -> str:
        return self.log.read_text(errors="replace")


@contextlib.contextmanager
def dev_process(
    data_dir: Path, *, env: dict[str, str] | None = None, port: int | None = None
) -> Iterator[DevProcess]:
    """``echosphere dev`` in a child process, stopped with SIGTERM at the end."""
    port = port or free_port()
    log = data_dir.parent / f"dev-{port}.log"
    environ = {k: v for k, v in os.environ.items() if not k.startswith("ECHO_")}
    environ.update(env or {})
    with log.open("wb") as sink:
        process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "echosphere",
                "dev",
                "--port",
                str(port),
                "--data-dir",
                str(data_dir),
            ],
            stdout=sink,
            stderr=subprocess.STDOUT,
            env=environ,
        )
    running = DevProcess(f"http://127.0.0.1:{port}", process, log)
    try:
        _wait_healthy(running)
        yield running
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def _wait_healthy(running: DevProcess) -> None:
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        if running.process.poll() is not None:
            raise RuntimeError(f"echosphere dev exited:\n{running.output()}")
        with contextlib.suppress(httpx.HTTPError):
            if httpx.get(running.url + "/healthz", timeout=1).status_code == 200:
                return
        time.sleep(0.1)
    raise RuntimeError(f"echosphere dev did not become healthy:\n{running.output()}")
