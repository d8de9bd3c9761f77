"""Liveness (``/healthz``: the process answers) and readiness (``/readyz``:
its dependencies answer too)."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from starlette.responses import Response

from echosphere.api.routing import Call, Router, json_response

logger = logging.getLogger(__name__)
router = Router("health")


@router.route("GET", "/healthz", summary="The process is alive", auth=False)
async def healthz(call: Call[None]) -> dict[str, Any]:
    return {"status": "ok"}


@router.route(
    "GET",
    "/readyz",
    summary="The store and KV answer and the node is not draining; 503 otherwise",
    auth=False,
    errors=("unavailable",),
)
async def readyz(call: Call[None]) -> Response:
    platform = call.platform
    checks: dict[str, str] = {}
    for name, ping in (("store", platform.store.ping), ("kv", platform.kv.ping)):
        try:
            await asyncio.wait_for(ping(), timeout=2.0)
            checks[name] = "ok"
        except Exception as error:  # any failure means not ready
            logger.warning("readiness check failed", extra={"dependency": name})
            checks[name] = type(error).__name__
    if call.request.app.state.draining():
        checks["node"] = "draining"
    ready = all(v == "ok" for v in checks.values())
    return json_response({"ready": ready, "checks": checks}, 200 if ready else 503)
