"""The ``echosphere`` command: ``dev`` runs everything in one process;
``serve api`` and ``serve node`` run one role of a cluster."""

from __future__ import annotations

import argparse
import asyncio
import gc
import logging
import os
import signal
import socket
import sys
from collections.abc import Sequence
from pathlib import Path
from types import FrameType

import uvicorn

from echosphere import __version__
from echosphere.bench import command as bench
from echosphere.chat import tracing
from echosphere.composition import Role, build_app, build_platform, dev_settings
from echosphere.config import Settings, SettingsError, load_settings
from echosphere.logs import configure_logging
from echosphere.node.app import ChatNode

logger = logging.getLogger("echosphere")

WS_MAX_BYTES = 1024 * 1024
"""Frames past this are cut off by the server itself; below it, the node answers
an oversized frame with an error and keeps the connection."""


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="echosphere", description=__doc__)
    parser.add_argument("--version", action="version", version=__version__)
    commands = parser.add_subparsers(dest="command", required=True)

    dev = commands.add_parser("dev", help="run the whole platform in one process")
    dev.add_argument("--host", default="127.0.0.1")
    dev.add_argument("--port", type=int, default=8080)
    dev.add_argument("--data-dir", type=Path, default=Path(".echosphere"))

    serve = commands.add_parser("serve", help="run one role of a cluster")
    serve.add_argument("role", choices=["api", "node"])
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8080)

    bench.add_parser(commands)
    commands.add_parser(
        "operator",
        help="run the Kubernetes operator (needs the 'operator' extra: kopf, kubernetes)",
    )
    return parser


class Server(uvicorn.Server):
    """uvicorn, but the first SIGTERM to a chat node drains it before stopping."""

    def __init__(self, config: uvicorn.Config, node: ChatNode | None):
        super().__init__(config)
        self.node = node
        self._loop: asyncio.AbstractEventLoop | None = None

    async def startup(self, sockets: list[socket.socket] | None = None) -> None:
        self._loop = asyncio.get_running_loop()
        await super().startup(sockets)
        if self.started:
            host, port = self.config.host, self.config.port
            logger.info("EchoSphere ready at http://%s:%d (websocket /ws)", host, port)

    def handle_exit(self, sig: int, frame: FrameType | None) -> None:
        node, loop = self.node, self._loop
        if sig != signal.SIGTERM or node is None or node.draining or loop is None:
            super().handle_exit(sig, frame)
            return
        self._captured_signals.append(sig)
        loop.call_soon_threadsafe(lambda: asyncio.ensure_future(self._drain_then_exit(node)))

    async def _drain_then_exit(self, node: ChatNode) -> None:
        try:
            await node.drain()
        finally:
            self.should_exit = True


def _run(settings: Settings, roles: tuple[Role, ...], host: str, port: int) -> None:
    configure_logging(settings.log_format)
    service = "echosphere-" + ("dev" if len(roles) > 1 else roles[0])
    tracing.configure(settings.otlp_endpoint, service=service, node=settings.node_id)
    app = build_app(build_platform(settings), roles=roles)
    config = uvicorn.Config(
        app,
        host=host,
        port=port,
        log_config=None,
        access_log=False,
        ws_max_size=WS_MAX_BYTES,
        ws_ping_interval=None,
        # Chat frames are a few hundred bytes: compressing them costs more CPU than it
        # saves bytes, and each connection's zlib state costs tens of KB.
        ws_per_message_deflate=False,
        lifespan="on",
    )
    server = Server(config, app.state.node)
    # What exists now (modules, settings, the app) lives as long as the process: keep
    # it out of the cyclic collector, whose full passes over it would stall the loop.
    gc.collect()
    gc.freeze()
    logger.info("EchoSphere %s starting", __version__, extra={"roles": ",".join(roles)})
    server.run()


def _operator() -> None:
    """The operator lives in its own package, installed with the 'operator' extra."""
    try:
        from echosphere_operator.__main__ import main as operator_main
    except ImportError as error:
        print(
            f"echosphere: the operator is not installed ({error.name}); "
            "pip install 'echosphere[operator]'",
            file=sys.stderr,
        )
        sys.exit(2)
    operator_main()


def main(argv: Sequence[str] | None = None) -> None:
    args = _parser().parse_args(argv)
    try:
        if args.command == "bench":
            sys.exit(bench.run(args))
        if args.command == "operator":
            _operator()
            return
        if args.command == "dev":
            settings = load_settings(os.environ, data_dir=args.data_dir)
            settings = dev_settings(settings, args.data_dir)
            _run(settings, ("api", "node"), args.host, args.port)
        else:
            # A cluster's logs go to a collector: JSON unless ECHO_LOG_FORMAT says otherwise.
            settings = load_settings(os.environ, log_format="json")
            _run(settings, (args.role,), args.host, args.port)
    except SettingsError as error:
        print(f"echosphere: configuration error: {error}", file=sys.stderr)
        sys.exit(2)
    except KeyboardInterrupt:
        # uvicorn re-raises the Ctrl-C it handled; the shutdown already ran.
        sys.exit(130)


if __name__ == "__main__":
    main()
