"""Node registry on Kubernetes Leases (``k8s-lease://<namespace>?cluster=<name>``).

Each chat node holds a ``coordination.k8s.io/v1`` Lease named
``echosphere-node-<node id>``, labelled with the cluster name, with its
connection count, drain flag, address and start time in ``echosphere.io/``
annotations. The node renews it every third of its duration; a Lease whose
renew time plus duration has passed belongs to a dead node. The operator
reads the same Leases to see live nodes and connections before scaling.

Talks to the API server with plain HTTP (httpx): in a pod, with the service
account's token and CA; elsewhere at the ``api=`` URL given in the query
(tests point it at a Kubernetes API emulator). Selectors are applied on
this side too, so an API without label selection still gives right answers.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime
import logging
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx

from echosphere.core.errors import Unavailable
from echosphere.core.ports import NodeInfo

logger = logging.getLogger(__name__)

PREFIX = "echosphere.io"
ACCOUNT = Path("/var/run/secrets/kubernetes.io/serviceaccount")
IN_CLUSTER_API = "https://kubernetes.default.svc"


def lease_name(node_id: str) -> str:
    return f"echosphere-node-{node_id}"


def _now() -> datetime.datetime:
    return datetime.datetime.now(tz=datetime.UTC)


def _stamp(moment: datetime.datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _parse_stamp(value: str) -> datetime.datetime | None:
    with contextlib.suppress(ValueError):
        return datetime.datetime.fromisoformat(value.replace("Z", "+00:00"))
    return None


def lease_body(info: NodeInfo, *, cluster: str, duration: int) -> dict[str, Any]:
    """The Lease a node holds, as a pure function of what it reports."""
    now = _stamp(_now())
    return {
        "apiVersion": "coordination.k8s.io/v1",
        "kind": "Lease",
        "metadata": {
            "name": lease_name(info.id),
            "labels": {f"{PREFIX}/cluster": cluster, f"{PREFIX}/role": "node"},
            "annotations": node_annotations(info),
        },
        "spec": {
            "holderIdentity": info.id,
            "leaseDurationSeconds": duration,
            "acquireTime": now,
            "renewTime": now,
        },
    }


def node_annotations(info: NodeInfo) -> dict[str, str]:
    return {
        f"{PREFIX}/connections": str(info.connections),
        f"{PREFIX}/draining": "true" if info.draining else "false",
        f"{PREFIX}/address": info.address,
        f"{PREFIX}/started-at": f"{info.started_at:.3f}",
    }


def node_from_lease(lease: dict[str, Any], *, now: datetime.datetime) -> NodeInfo | None:
    """The node a Lease describes, or None when it expired or is not one of ours."""
    spec = lease.get("spec") or {}
    notes = (lease.get("metadata") or {}).get("annotations") or {}
    renewed = _parse_stamp(str(spec.get("renewTime", "")))
    duration = spec.get("leaseDurationSeconds")
    holder = spec.get("holderIdentity")
    if renewed is None or not isinstance(duration, int) or not isinstance(holder, str):
        return None
    if renewed + datetime.timedelta(seconds=duration) < now:
        return None
    try:
        return NodeInfo(
            id=holder,
            address=notes.get(f"{PREFIX}/address", ""),
            connections=int(notes.get(f"{PREFIX}/connections", "0")),
            draining=notes.get(f"{PREFIX}/draining") == "true",
            started_at=float(notes.get(f"{PREFIX}/started-at", "0")),
        )
    except ValueError:
        return None


class LeaseRegistry:
    def __init__(
        self,
        *,
        namespace: str,
        cluster: str,
        api: str | None = None,
        duration: int = 15,
    ):
        self._namespace = namespace
        self._cluster = cluster
        self._api = api
        self._duration = duration
        self._http: httpx.AsyncClient | None = None
        self._me: NodeInfo | None = None
        self._renewer: asyncio.Task[None] | None = None

    @classmethod
    def from_url(cls, url: str) -> LeaseRegistry:
        parts = urlsplit(url)
        query = {k: v[0] for k, v in parse_qs(parts.query).items()}
        return cls(
            namespace=parts.netloc or "default",
            cluster=query.get("cluster", "echosphere"),
            api=query.get("api"),
            duration=int(query.get("duration", "15")),
        )

    @property
    def _path(self) -> str:
        return f"/apis/coordination.k8s.io/v1/namespaces/{self._namespace}/leases"

    def _client(self) -> httpx.AsyncClient:
        if self._api is not None:
            return httpx.AsyncClient(base_url=self._api, timeout=5)
        token = (ACCOUNT / "token").read_text().strip()
        return httpx.AsyncClient(
            base_url=IN_CLUSTER_API,
            headers={"Authorization": f"Bearer {token}"},
            verify=str(ACCOUNT / "ca.crt"),
            timeout=5,
        )

    async def _request(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        assert self._http is not None
        try:
            return await self._http.request(method, path, **kwargs)
        except httpx.HTTPError as error:
            raise Unavailable("registry_unavailable", f"kubernetes api: {error!r}") from None

    async def start(self, info: NodeInfo | None) -> None:
        self._http = self._client()
        if info is None:
            return
        self._me = info
        body = lease_body(info, cluster=self._cluster, duration=self._duration)
        created = await self._request("POST", self._path, json=body)
        if created.status_code == 409:
            await self._renew()
        elif created.is_error:
            raise Unavailable("registry_unavailable", f"lease create: {created.status_code}")
        self._renewer = asyncio.create_task(self._renew_forever(), name="lease-renewer")

    async def _renew(self) -> None:
        if self._me is None:
            return
        patch = {
            "metadata": {"annotations": node_annotations(self._me)},
            "spec": {"renewTime": _stamp(_now()), "holderIdentity": self._me.id},
        }
        answer = await self._request(
            "PATCH",
            f"{self._path}/{lease_name(self._me.id)}",
            json=patch,
            headers={"Content-Type": "application/merge-patch+json"},
        )
        if answer.status_code == 404:
            # Deleted under us (by hand, or by the operator cleaning up): hold it again.
            body = lease_body(self._me, cluster=self._cluster, duration=self._duration)
            await self._request("POST", self._path, json=body)

    async def _renew_forever(self) -> None:
        while True:
            await asyncio.sleep(self._duration / 3)
            try:
                await self._renew()
            except Unavailable:
                logger.warning("lease renewal failed; retrying", extra={"node": self._me})

    async def update(self, *, connections: int, draining: bool) -> None:
        if self._me is None:
            return
        me = self._me
        self._me = NodeInfo(me.id, me.address, connections, draining, me.started_at)
        await self._renew()

    async def close(self) -> None:
        if self._renewer is not None:
            self._renewer.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._renewer
        if self._http is None:
            return
        if self._me is not None:
            with contextlib.suppress(Unavailable):
                await self._request("DELETE", f"{self._path}/{lease_name(self._me.id)}")
        await self._http.aclose()
        self._http = None

    async def live_nodes(self) -> list[NodeInfo]:
        selector = f"{PREFIX}/cluster={self._cluster}"
        answer = await self._request("GET", self._path, params={"labelSelector": selector})
        if answer.is_error:
            raise Unavailable("registry_unavailable", f"lease list: {answer.status_code}")
        now = _now()
        nodes = []
        for lease in answer.json().get("items", []):
            labels = (lease.get("metadata") or {}).get("labels") or {}
            if labels.get(f"{PREFIX}/cluster") != self._cluster:
                continue
            node = node_from_lease(lease, now=now)
            if node is not None:
                nodes.append(node)
        return nodes
