"""A small async Kubernetes client for the children of an EchoCluster.

kopf watches and patches the EchoClusters itself; everything else goes
through here. It speaks plain REST by path through the official client's
``ApiClient`` (which knows in-cluster and kubeconfig credentials), without
its generated models: manifests stay the plain dicts the builders return.
The blocking client runs in worker threads.

Children are written with server-side apply (``fieldManager:
echosphere-operator``, forced): the operator states the fields it owns and
the API server merges them, so fields owned by others (an HPA's replicas,
defaults, other controllers' annotations) are left alone, and re-applying
an unchanged manifest changes nothing.
"""

from __future__ import annotations

import asyncio
import json
import logging
from dataclasses import dataclass
from typing import Any

from kubernetes import client as k8s
from kubernetes import config as k8s_config
from kubernetes.client.exceptions import ApiException
from urllib3.exceptions import HTTPError

from echosphere_operator.names import API_VERSION, MANAGER, PLURAL

logger = logging.getLogger(__name__)

Object = dict[str, Any]


class KubeError(Exception):
    """The API refused or could not be reached; ``status`` 0 means unreachable."""

    def __init__(self, status: int, reason: str, message: str):
        super().__init__(f"{status} {reason}: {message}")
        self.status = status
        self.reason = reason
        self.message = message


@dataclass(frozen=True, slots=True)
class Kind:
    api_version: str
    plural: str
    namespaced: bool = True

    def path(self, namespace: str | None, name: str | None = None, sub: str | None = None) -> str:
        root = "/api/v1" if self.api_version == "v1" else f"/apis/{self.api_version}"
        scope = f"/namespaces/{namespace}" if self.namespaced and namespace else ""
        tail = "".join(f"/{part}" for part in (name, sub) if part)
        return f"{root}{scope}/{self.plural}{tail}"


KINDS: dict[tuple[str, str], Kind] = {
    ("v1", "ConfigMap"): Kind("v1", "configmaps"),
    ("v1", "Secret"): Kind("v1", "secrets"),
    ("v1", "Service"): Kind("v1", "services"),
    ("v1", "ServiceAccount"): Kind("v1", "serviceaccounts"),
    ("v1", "Pod"): Kind("v1", "pods"),
    ("apps/v1", "Deployment"): Kind("apps/v1", "deployments"),
    ("apps/v1", "StatefulSet"): Kind("apps/v1", "statefulsets"),
    ("networking.k8s.io/v1", "Ingress"): Kind("networking.k8s.io/v1", "ingresses"),
    ("policy/v1", "PodDisruptionBudget"): Kind("policy/v1", "poddisruptionbudgets"),
    ("autoscaling/v2", "HorizontalPodAutoscaler"): Kind(
        "autoscaling/v2", "horizontalpodautoscalers"
    ),
    ("rbac.authorization.k8s.io/v1", "Role"): Kind("rbac.authorization.k8s.io/v1", "roles"),
    ("rbac.authorization.k8s.io/v1", "RoleBinding"): Kind(
        "rbac.authorization.k8s.io/v1", "rolebindings"
    ),
    ("coordination.k8s.io/v1", "Lease"): Kind("coordination.k8s.io/v1", "leases"),
    (API_VERSION, "EchoCluster"): Kind(API_VERSION, PLURAL),
}


def kind(api_version: str, kind_name: str) -> Kind:
    return KINDS[(api_version, kind_name)]


def kind_of(manifest: Object) -> Kind:
    return kind(manifest["apiVersion"], manifest["kind"])


SECRET = kind("v1", "Secret")
POD = kind("v1", "Pod")
LEASE = kind("coordination.k8s.io/v1", "Lease")
STATEFULSET = kind("apps/v1", "StatefulSet")


def api_client(server: str | None = None) -> k8s.ApiClient:
    """A client for ``server`` as given (tests, ``kubectl proxy``), else from the
    pod's service account, else from the kubeconfig."""
    if server is not None:
        configuration = k8s.Configuration()
        configuration.host = server.rstrip("/")
        return k8s.ApiClient(configuration)
    try:
        k8s_config.load_incluster_config()
    except k8s_config.ConfigException:
        k8s_config.load_kube_config()
    return k8s.ApiClient()


class Kube:
    def __init__(self, api: k8s.ApiClient, *, timeout: float = 10.0):
        self._api = api
        self._timeout = timeout

    def close(self) -> None:
        self._api.close()

    def _call(
        self,
        method: str,
        path: str,
        *,
        body: object = None,
        query: list[tuple[str, str]] | None = None,
        content_type: str = "application/json",
    ) -> Object:
        try:
            answer = self._api.call_api(
                path,
                method,
                query_params=query or [],
                header_params={"Content-Type": content_type, "Accept": "application/json"},
                body=body,
                auth_settings=["BearerToken"],
                _preload_content=False,
                _return_http_data_only=True,
                _request_timeout=self._timeout,
            )
        except ApiException as error:
            raise _refusal(error) from None
        except (HTTPError, OSError) as error:
            raise KubeError(0, "Unreachable", repr(error)) from None
        data = answer.data
        return json.loads(data) if data else {}

    async def request(self, method: str, path: str, **kwargs: Any) -> Object:
        return await asyncio.to_thread(self._call, method, path, **kwargs)

    async def get(self, kind: Kind, namespace: str, name: str) -> Object | None:
        try:
            return await self.request("GET", kind.path(namespace, name))
        except KubeError as error:
            if error.status == 404:
                return None
            raise

    async def list(
        self, kind: Kind, namespace: str, *, selector: str | None = None
    ) -> list[Object]:
        query = [("labelSelector", selector)] if selector else None
        answer = await self.request("GET", kind.path(namespace), query=query)
        items: list[Object] = answer.get("items") or []
        return items

    async def create(self, kind: Kind, namespace: str, body: Object) -> Object:
        return await self.request("POST", kind.path(namespace), body=body)

    async def apply(self, manifest: Object) -> Object:
        """Server-side apply of a whole manifest: create it or bring our fields in line."""
        meta = manifest["metadata"]
        return await self.request(
            "PATCH",
            kind_of(manifest).path(meta.get("namespace"), meta["name"]),
            body=manifest,
            query=[("fieldManager", MANAGER), ("force", "true")],
            content_type="application/apply-patch+yaml",
        )

    async def patch(
        self, kind: Kind, namespace: str, name: str, patch: Object, *, sub: str | None = None
    ) -> Object:
        return await self.request(
            "PATCH",
            kind.path(namespace, name, sub),
            body=patch,
            content_type="application/merge-patch+json",
        )

    async def delete(self, kind: Kind, namespace: str, name: str) -> bool:
        """Delete if present; False when it was already gone."""
        try:
            await self.request("DELETE", kind.path(namespace, name))
        except KubeError as error:
            if error.status == 404:
                return False
            raise
        return True


def _refusal(error: ApiException) -> KubeError:
    status = int(error.status or 0)
    reason = str(error.reason or "")
    message = ""
    try:
        details = json.loads(error.body or "{}")
        reason = str(details.get("reason") or reason)
        message = str(details.get("message") or "")
    except (TypeError, ValueError):
        message = str(error.body or "")[:200]
    return KubeError(status, reason, message)
