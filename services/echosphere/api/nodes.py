"""Node discovery for installs without an ingress: pick the least-loaded live chat node."""

from __future__ import annotations

from typing import Any

from echosphere.api.routing import Call, Router
from echosphere.core.errors import Unavailable

router = Router("nodes")


@router.route(
    "GET",
    "/api/nodes/pick",
    summary="The websocket address of the least-loaded live chat node",
    errors=("no_nodes",),
)
async def pick_node(call: Call[None]) -> dict[str, Any]:
    live = [n for n in await call.platform.registry.live_nodes() if not n.draining]
    if not live:
        raise Unavailable("no_nodes", "no chat node is available; retry shortly")
    best = min(live, key=lambda n: (n.connections, n.id))
    return {"node": best.id, "address": best.address, "connections": best.connections}
