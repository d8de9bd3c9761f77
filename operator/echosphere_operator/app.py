"""Running the operator: the Kubernetes client, the probes, and kopf.

``run`` is what the container's ``python -m echosphere_operator`` calls and
what the tests call against a Kubernetes API emulator: one path, so the
tests exercise the real start-up. kopf runs standalone (one replica, no
peering): the chart's Deployment uses the Recreate strategy so two
operators never act on the same cluster.
"""

from __future__ import annotations

import asyncio
import logging
import threading

import kopf

from echosphere_operator.handlers import build_registry, operator_settings
from echosphere_operator.kube import Kube, api_client
from echosphere_operator.metrics import Probes
from echosphere_operator.reconcile import Context
from echosphere_operator.settings import OperatorConfig

logger = logging.getLogger(__name__)


Flag = asyncio.Event | threading.Event
"""Stop and ready flags: asyncio's in the same loop, threading's from another thread."""


async def run(
    config: OperatorConfig,
    *,
    stop: Flag | None = None,
    ready: Flag | None = None,
    context: Context | None = None,
) -> None:
    """Serve EchoClusters until ``stop`` is set (or a signal arrives)."""
    ready = ready or asyncio.Event()
    ctx = context or Context.create(Kube(api_client(config.api_url)), config)
    probes = Probes(ready)
    if config.probe_port is not None:
        await probes.start(config.probe_host, config.probe_port)
    scope = ", ".join(config.namespaces) or "all namespaces"
    logger.info("echosphere operator starting; watching %s", scope)
    try:
        await kopf.operator(
            registry=build_registry(config),
            settings=operator_settings(config),
            standalone=True,
            clusterwide=not config.namespaces,
            namespaces=list(config.namespaces),
            memo=ctx,
            stop_flag=stop,
            ready_flag=ready,
        )
    finally:
        await probes.stop()
        ctx.kube.close()
