"""The chat node: accepts websockets, keeps presence, consumes the bus.

A client authenticates with its access token, either in the first frame
(``{"op": "auth", "token": ...}``) or as a ``bearer.<token>`` entry of the
``Sec-WebSocket-Protocol`` header, never in the URL. One connection per
device: a second connection of the same device replaces the first.
"""

from __future__ import annotations

import asyncio
import contextlib
import hmac
import logging

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route, WebSocketRoute
from starlette.websockets import WebSocket, WebSocketDisconnect

from echosphere.chat import metrics, tracing
from echosphere.chat.delivery import Delivery
from echosphere.chat.messenger import Messenger
from echosphere.chat.platform import Platform
from echosphere.chat.presence import Presence
from echosphere.core import protocol
from echosphere.core.errors import EchoError
from echosphere.core.ids import DeviceId, UserId
from echosphere.core.ports import NodeInfo
from echosphere.core.tokens import Claims
from echosphere.node.drain import drain
from echosphere.node.hub import Hub
from echosphere.node.session import CLOSE_AUTH, CLOSE_REPLACED, Session

logger = logging.getLogger(__name__)

AUTH_TIMEOUT = 10.0


class ChatNode:
    def __init__(self, platform: Platform):
        self.platform = platform
        settings = platform.settings
        self.node_id = settings.node_id
        self.hub = Hub()
        self.presence = Presence(platform.kv, ttl=settings.presence_ttl)
        self.delivery = Delivery(
            node_id=self.node_id, presence=self.presence, bus=platform.bus, local=self.hub.deliver
        )
        self.messenger = Messenger(platform, self.delivery)
        self.draining = False
        self._drain: asyncio.Future[int] | None = None
        self._live_seen: set[str] = set()
        self._tasks: list[asyncio.Task[None]] = []

    async def start(self) -> None:
        settings = self.platform.settings
        await self.platform.bus.start(self.node_id, self.delivery.on_bus)
        info = NodeInfo(
            id=self.node_id,
            address=settings.node_address,
            connections=0,
            draining=False,
            started_at=self.platform.clock(),
        )
        await self.platform.registry.start(info)
        await self.presence.register_node(self.node_id)
        self._tasks.append(asyncio.create_task(self._heartbeat(), name="node-heartbeat"))
        logger.info("chat node started", extra={"node": self.node_id})

    async def stop(self) -> None:
        for task in self._tasks:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        for outlet in self.hub.outlets():
            with contextlib.suppress(Exception):
                await self.presence.disconnected(outlet.user, outlet.device, self.node_id)
        await self.platform.registry.close()
        await self.platform.bus.close()

    async def _heartbeat(self) -> None:
        """Keep this node's presence entries and registry record alive, learn which
        nodes live, and sweep the presence of dead ones."""
        interval = self.platform.settings.presence_ttl / 3
        while True:
            await asyncio.sleep(interval)
            try:
                await self.beat()
            except Exception:
                logger.warning("node heartbeat failed; retrying", exc_info=True)

    async def beat(self) -> None:
        """One heartbeat (also called directly by tests)."""
        for outlet in self.hub.outlets():
            await self.presence.refresh(outlet.user, outlet.device, self.node_id)
        registry = self.platform.registry
        await registry.update(connections=len(self.hub), draining=self.draining)
        live = {node.id for node in await registry.live_nodes()} | {self.node_id}
        gone = self._live_seen - live
        self.presence.dead = (set(self.presence.dead) | gone) - live
        self._live_seen = live
        self.delivery.live_nodes = len(live)
        swept = await self.presence.sweep(live=live, sweeper=self.node_id)
        if swept:
            logger.info("presence of dead nodes swept", extra={"nodes": ",".join(swept)})

    def _verify(self, token: str) -> Claims:
        return self.platform.signer.verify(token, now=self.platform.clock())

    async def _authenticate(self, websocket: WebSocket) -> Claims:
        """Check the token of an accepted socket: from the subprotocol header or the
        first frame."""
        offered = websocket.scope.get("subprotocols", [])
        bearer = next((p for p in offered if p.startswith("bearer.")), None)
        if bearer is not None:
            claims = self._verify(bearer.removeprefix("bearer."))
        else:
            raw = await asyncio.wait_for(websocket.receive_text(), timeout=AUTH_TIMEOUT)
            frame = protocol.decode_frame(raw)
            if not isinstance(frame, protocol.Auth):
                raise EchoError("auth_required", "the first frame must be auth")
            claims = self._verify(frame.token)
        await self.platform.sessions.check(claims.user, claims.device)
        return claims

    async def serve(self, websocket: WebSocket) -> None:
        tracing.connection_id.set(tracing.new_correlation_id())  # this connection's task only
        # Accept before judging, so a refusal reaches the client as a close code
        # with a reason rather than a bare HTTP 403 at the handshake.
        offered = websocket.scope.get("subprotocols", [])
        chosen = protocol.SUBPROTOCOL if protocol.SUBPROTOCOL in offered else None
        await websocket.accept(subprotocol=chosen)
        if self.draining:
            await websocket.close(1013, "node draining; connect to another node")
            return
        try:
            claims = await self._authenticate(websocket)
        except (EchoError, TimeoutError, WebSocketDisconnect, KeyError) as error:
            reason = error.code if isinstance(error, EchoError) else "auth_required"
            with contextlib.suppress(Exception):
                await websocket.close(CLOSE_AUTH, reason)
            return
        await self._run(websocket, claims.user, claims.device)

    async def _run(self, websocket: WebSocket, user: UserId, device: DeviceId) -> None:
        session = Session(self, websocket, user, device)
        previous = self.hub.add(session)
        if isinstance(previous, Session):
            previous.end(CLOSE_REPLACED, "replaced by a newer connection of this device")
        await self.presence.connected(user, device, self.node_id)
        metrics.CONNECTIONS_OPENED.inc()
        metrics.CONNECTIONS.inc()
        logger.debug("session opened", extra={"user": user, "device": device})
        hello = {
            "op": "hello",
            "v": protocol.VERSION,
            "user": user,
            "device": device,
            "node": self.node_id,
            "heartbeat": self.platform.settings.heartbeat,
        }
        try:
            await session.run(hello)
        finally:
            metrics.CONNECTIONS.dec()
            self.hub.remove(session)
            if self.hub.current(user, device) is None:
                with contextlib.suppress(Exception):
                    await self.presence.disconnected(user, device, self.node_id)
            logger.debug("session closed", extra={"user": user, "device": device})

    async def drain(self) -> int:
        """Drain this node (see ``echosphere.node.drain``); connections left."""
        if self._drain is None:
            self.draining = True
            timeout = self.platform.settings.drain_timeout
            self._drain = asyncio.ensure_future(drain(self, within=timeout))
        return await asyncio.shield(self._drain)

    def _admin(self, request: Request) -> bool:
        token = self.platform.settings.admin_token
        given = request.headers.get("authorization", "").removeprefix("Bearer ").strip()
        return token is not None and hmac.compare_digest(given.encode(), token.encode())

    def _status(self) -> dict[str, object]:
        return {"node": self.node_id, "connections": len(self.hub), "draining": self.draining}

    async def drain_route(self, request: Request) -> Response:
        """Start draining this node and answer at once (admin token required)."""
        if not self._admin(request):
            return _admin_required()
        task = asyncio.ensure_future(self.drain())
        self._tasks.append(task)  # type: ignore[arg-type]
        return JSONResponse(self._status(), status_code=202)

    async def status_route(self, request: Request) -> Response:
        """This node's id, connection count and drain state (admin token required)."""
        if not self._admin(request):
            return _admin_required()
        return JSONResponse(self._status())


def _admin_required() -> Response:
    error = {"code": "unauthorized", "message": "the admin token is required"}
    return JSONResponse({"error": error}, status_code=401)


def node_routes(node: ChatNode) -> list[BaseRoute]:
    return [
        WebSocketRoute("/ws", node.serve),
        Route("/node/drain", node.drain_route, methods=["POST"]),
        Route("/node/status", node.status_route, methods=["GET"]),
    ]
