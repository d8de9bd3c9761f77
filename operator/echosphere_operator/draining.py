"""Asking a chat node to drain: ``POST /node/drain`` with the admin token.

The node answers at once (202) and drains in the background: it stops
accepting, turns its readiness to 503, tells its clients to reconnect
elsewhere and closes them in batches, reporting its remaining connections
in its Lease. The call is idempotent, so asking twice is harmless; a node
that cannot be reached is not an error here, since the drain timeout still
bounds the wait.
"""

from __future__ import annotations

import logging

import httpx

from echosphere_operator.names import ClusterRef

logger = logging.getLogger(__name__)


class Drainer:
    def __init__(self, url_template: str, *, timeout: float = 5.0):
        self._template = url_template
        self._timeout = timeout

    def url(self, cluster: ClusterRef, pod: str) -> str:
        base = self._template.format(
            pod=pod, service=cluster.nodes_headless, namespace=cluster.namespace
        )
        return base.rstrip("/") + "/node/drain"

    async def drain(self, cluster: ClusterRef, pod: str, *, token: str) -> bool:
        """True when the node took the request."""
        url = self.url(cluster, pod)
        try:
            async with httpx.AsyncClient(timeout=self._timeout) as http:
                answer = await http.post(url, headers={"Authorization": f"Bearer {token}"})
        except httpx.HTTPError as error:
            logger.warning("node %s not reached to drain: %r", pod, error)
            return False
        if answer.status_code != 202:
            logger.warning("node %s refused to drain: HTTP %d", pod, answer.status_code)
            return False
        logger.info("node %s is draining", pod)
        return True
