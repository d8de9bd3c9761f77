"""kmock's Kubernetes API emulator, taught what kopf, the Kubernetes client
and the operator rely on.

No Kubernetes API server can run here; kmock (from kopf's author) serves
the REST API from memory. It stores what it is sent and streams changes to
watchers, but leaves out what the operator's code depends on. This subclass
adds, as a real API server does:

- object identity: ``uid``, ``resourceVersion`` (bumped on every change),
  ``generation`` (bumped when anything but metadata and status changes),
  ``creationTimestamp``, and a name for ``generateName`` (kopf's Events);
- writes by content type: JSON merge patch, JSON patch with ``test`` ops
  (kopf's optimistic finalizer edits; a failed test is a 422), strategic
  merge patch (as merge), server-side apply (creates when missing), PUT;
- the ``status`` subresource (status only moves through it) and the
  ``scale`` subresource of EchoClusters, mapped through the CRD's paths;
- EchoCluster admission: the CRD's defaults, its schema and its CEL rules
  (through their Python twins), with a 422 listing what is wrong;
- label selectors on lists, and typed list answers (``kind: ...List``);
- deletion with finalizers, and garbage collection of dependents by owner
  reference once their owner is gone.

It has no controllers: no StatefulSet makes pods, nothing becomes ready.
Tests play the controllers with ``set_status`` and ``put``.
"""

from __future__ import annotations

import copy
import datetime
import itertools
import json
import uuid
import warnings
from collections.abc import Iterator, Mapping
from typing import Any

import aiohttp.web
import attrs
import jsonpatch
import kmock
from kmock._internal import k8s as kmock_k8s
from kmock._internal import rendering

from tests.operator.support import crd

ECHOCLUSTERS = kmock.resource("echosphere.io", "v1alpha1", "echoclusters")
UNPROCESSABLE = 422


def _now() -> str:
    return datetime.datetime.now(tz=datetime.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def merge_patch(target: Any, patch: Any) -> Any:
    """RFC 7396 JSON merge patch."""
    if not isinstance(patch, dict):
        return copy.deepcopy(patch)
    result = dict(target) if isinstance(target, dict) else {}
    for key, value in patch.items():
        if value is None:
            result.pop(key, None)
        else:
            result[key] = merge_patch(result.get(key), value)
    return result


def selects(selector: str, labels: Mapping[str, str]) -> bool:
    """Equality-based label selectors: ``a=b,c!=d,e`` (all must hold)."""
    for term in filter(None, (t.strip() for t in selector.split(","))):
        if "!=" in term:
            key, value = term.split("!=", 1)
            if labels.get(key) == value:
                return False
        elif "=" in term:
            key, value = term.split("=", 1)
            if labels.get(key) != value.removeprefix("="):
                return False
        elif term.startswith("!"):
            if term[1:] in labels:
                return False
        elif term not in labels:
            return False
    return True


def _scale_path(which: str) -> list[str]:
    version = next(v for v in crd.load_crd()["spec"]["versions"] if v["storage"])
    return str(version["subresources"]["scale"][which]).strip(".").split(".")


def _dig(obj: Mapping[str, Any], path: list[str]) -> Any:
    for part in path:
        if not isinstance(obj, Mapping):
            return None
        obj = obj.get(part)  # type: ignore[assignment]
    return obj


@attrs.define(kw_only=True)
class KubeEmulator(kmock.KubernetesEmulator):
    _versions: Iterator[int] = attrs.field(factory=lambda: itertools.count(1), init=False)

    def __attrs_post_init__(self) -> None:
        super().__attrs_post_init__()
        with warnings.catch_warnings():
            # kmock reads its bundled resource list with a deprecated importlib call.
            warnings.simplefilter("ignore", DeprecationWarning)
            self.resources.load_bundled()
        names = crd.load_crd()["spec"]["names"]
        self.resources[ECHOCLUSTERS] = kmock.ResourceInfo(
            kind=names["kind"],
            singular=names["singular"],
            namespaced=True,
            shortnames=set(names["shortNames"]),
            verbs={"get", "list", "watch", "create", "update", "patch", "delete"},
            subresources={"status", "scale"},
        )

    # --- helpers for tests (playing the controllers) -------------------------

    def read(self, resource: Any, namespace: str, name: str) -> dict[str, Any] | None:
        key = (kmock.resource(resource), namespace, name)
        if key not in self.objects or self.objects[key].deleted:
            return None
        return copy.deepcopy(self.objects[key].raw)

    async def put(self, resource: Any, namespace: str, body: dict[str, Any]) -> dict[str, Any]:
        """Create or replace an object as a controller would."""
        res, name = kmock.resource(resource), body["metadata"]["name"]
        async with self._lock:
            return await self._store(
                res, namespace, name, body, create=not self._exists(res, namespace, name)
            )

    async def set_status(
        self, resource: Any, namespace: str, name: str, status: dict[str, Any]
    ) -> None:
        res = kmock.resource(resource)
        async with self._lock:
            current = self._current(res, namespace, name)
            await self._store(res, namespace, name, {**current, "status": status})

    async def remove(self, resource: Any, namespace: str, name: str) -> None:
        async with self._lock:
            await self._delete(kmock.resource(resource), namespace, name)

    # --- the API ---------------------------------------------------------------

    async def _handle(self, request: rendering.Request) -> aiohttp.web.StreamResponse:
        if request.resource is None:
            return await super()._handle(request)
        try:
            if request.subresource == "scale":
                return aiohttp.web.json_response(await self._scale(request))
            if request.method in ("POST", "PATCH", "PUT", "DELETE"):
                async with self._lock:
                    return aiohttp.web.json_response(await self._write(request))
        except kmock.KubernetesError as error:
            return await self._render_error(error)
        return await super()._handle(request)

    async def _serve_list(self, request: rendering.Request) -> rendering.Payload:
        answer: dict[str, Any] = await super()._serve_list(request)  # type: ignore[assignment]
        selector = request.params.get("labelSelector", "")
        items = [
            item
            for item in answer["items"]
            if selects(selector, (item.get("metadata") or {}).get("labels") or {})
        ]
        info = self.resources[request.resource] if request.resource else None
        kind = getattr(info, "kind", None) or "Object"
        resource = request.resource
        api_version = (
            resource.version
            if resource is not None and resource.group == ""
            else f"{getattr(resource, 'group', '')}/{getattr(resource, 'version', '')}"
        )
        return {
            "apiVersion": api_version,
            "kind": f"{kind}List",
            "metadata": {"resourceVersion": str(next(self._versions))},
            "items": items,
        }

    def _exists(self, resource: Any, namespace: str | None, name: str) -> bool:
        key = (resource, namespace, name)
        return key in self.objects and not self.objects[key].deleted

    def _current(self, resource: Any, namespace: str | None, name: str) -> dict[str, Any]:
        key = (resource, namespace, name)
        if key not in self.objects or self.objects[key].deleted:
            raise kmock.KubernetesObjectNotFoundError()
        return copy.deepcopy(self.objects[key].raw)

    async def _write(self, request: rendering.Request) -> dict[str, Any]:
        resource, namespace, name = request.resource, request.namespace, request.name
        headers = {k.lower(): v for k, v in request.headers.items()}
        content_type = headers.get("content-type", "application/json").split(";")[0].strip()
        if request.method == "POST":
            body = copy.deepcopy(request.data or {})
            meta = body.setdefault("metadata", {})
            if not meta.get("name") and meta.get("generateName"):
                meta["name"] = meta["generateName"] + uuid.uuid4().hex[:5]
            if not meta.get("name"):
                raise kmock_k8s.KubernetesError(UNPROCESSABLE, "Invalid", "metadata.name: Required")
            return await self._store(resource, namespace, meta.get("name", ""), body, create=True)
        assert name is not None
        if request.method == "DELETE":
            return await self._delete(resource, namespace, name)
        if content_type == "application/apply-patch+yaml" and not self._exists(
            resource, namespace, name
        ):
            return await self._store(
                resource, namespace, name, copy.deepcopy(request.data), create=True
            )
        current = self._current(resource, namespace, name)
        if request.method == "PUT":
            updated = copy.deepcopy(request.data)
        elif content_type == "application/json-patch+json":
            try:
                updated = jsonpatch.apply_patch(current, request.data)
            except (jsonpatch.JsonPatchException, jsonpatch.JsonPointerException) as error:
                raise kmock_k8s.KubernetesError(UNPROCESSABLE, "Invalid", str(error)) from None
        else:
            updated = merge_patch(current, request.data)
        if request.subresource == "status":
            updated = {**current, "status": updated.get("status") or {}}
        elif self._has_status(resource):
            updated.pop("status", None)
            if "status" in current:
                updated["status"] = current["status"]
        return await self._store(resource, namespace, name, updated)

    def _has_status(self, resource: Any) -> bool:
        info = self.resources[resource] if resource in list(self.resources) else None
        return info is not None and "status" in getattr(info, "subresources", set())

    async def _store(
        self,
        resource: Any,
        namespace: str | None,
        name: str,
        body: dict[str, Any],
        *,
        create: bool = False,
    ) -> dict[str, Any]:
        key = (resource, namespace, name)
        exists = self._exists(resource, namespace, name)
        if create and exists:
            raise kmock_k8s.KubernetesObjectConflictError()
        old = self.objects[key].raw if exists else None
        body = self._admit(resource, body, old)
        meta = body.setdefault("metadata", {})
        meta.update(name=name, resourceVersion=str(next(self._versions)))
        if namespace is not None:
            meta["namespace"] = namespace
        if old is None:
            meta.update(uid=str(uuid.uuid4()), creationTimestamp=_now(), generation=1)
            if self._has_status(resource) and resource == ECHOCLUSTERS:
                body.pop("status", None)
        else:
            kept = old["metadata"]
            meta.update(uid=kept["uid"], creationTimestamp=kept["creationTimestamp"])
            meta["generation"] = kept.get("generation", 1) + (1 if _spec_changed(old, body) else 0)
            if kept.get("deletionTimestamp"):
                meta["deletionTimestamp"] = kept["deletionTimestamp"]
        if key in self.objects:
            self.objects[key].create(body)
        else:
            self.objects[key] = body
        await self._buses[resource].put(
            {"type": "ADDED" if old is None else "MODIFIED", "object": body}
        )
        if meta.get("deletionTimestamp") and not meta.get("finalizers"):
            await self._delete(resource, namespace, name)
        return copy.deepcopy(body)

    def _admit(
        self, resource: Any, body: dict[str, Any], old: Mapping[str, Any] | None
    ) -> dict[str, Any]:
        if resource != ECHOCLUSTERS:
            return body
        stored, errors = crd.admit(body, dict(old) if old is not None else None)
        if errors:
            name = body.get("metadata", {}).get("name", "")
            message = f'EchoCluster.echosphere.io "{name}" is invalid: ' + "; ".join(errors)
            raise kmock_k8s.KubernetesError(UNPROCESSABLE, "Invalid", message)
        return stored

    async def _delete(self, resource: Any, namespace: str | None, name: str) -> dict[str, Any]:
        current = self._current(resource, namespace, name)
        meta = current["metadata"]
        if meta.get("finalizers"):
            if not meta.get("deletionTimestamp"):
                meta["deletionTimestamp"] = _now()
                meta["resourceVersion"] = str(next(self._versions))
                self.objects[(resource, namespace, name)].create(current)
                await self._buses[resource].put({"type": "MODIFIED", "object": current})
            return current
        self.objects[(resource, namespace, name)].delete()
        await self._buses[resource].put({"type": "DELETED", "object": current})
        await self._collect_garbage(meta["uid"])
        return current

    async def _collect_garbage(self, owner_uid: str) -> None:
        """Delete the dependents of a deleted owner, as the garbage collector does."""
        for (resource, namespace, name), obj in list(self.objects.items()):
            if obj.deleted:
                continue
            owners = obj.raw.get("metadata", {}).get("ownerReferences") or ()
            if any(owner.get("uid") == owner_uid for owner in owners):
                await self._delete(resource, namespace, name)

    async def _scale(self, request: rendering.Request) -> dict[str, Any]:
        """The ``scale`` subresource of EchoClusters, through the CRD's paths."""
        assert request.name is not None
        spec_path = _scale_path("specReplicasPath")
        async with self._lock:
            if request.method in ("PATCH", "PUT"):
                replicas = (request.data or {}).get("spec", {}).get("replicas")
                current = self._current(request.resource, request.namespace, request.name)
                patch: dict[str, Any] = {}
                node = patch
                for part in spec_path[:-1]:
                    node = node.setdefault(part, {})
                node[spec_path[-1]] = replicas
                await self._store(
                    request.resource, request.namespace, request.name, merge_patch(current, patch)
                )
            obj = self._current(request.resource, request.namespace, request.name)
        return {
            "apiVersion": "autoscaling/v1",
            "kind": "Scale",
            "metadata": {
                "name": request.name,
                "namespace": request.namespace,
                "resourceVersion": obj["metadata"]["resourceVersion"],
            },
            "spec": {"replicas": _dig(obj, spec_path)},
            "status": {
                "replicas": _dig(obj, _scale_path("statusReplicasPath")) or 0,
                "selector": _dig(obj, _scale_path("labelSelectorPath")) or "",
            },
        }


def _spec_changed(old: Mapping[str, Any], new: Mapping[str, Any]) -> bool:
    def essence(obj: Mapping[str, Any]) -> str:
        return json.dumps(
            {k: v for k, v in obj.items() if k not in ("metadata", "status")}, sort_keys=True
        )

    return essence(old) != essence(new)
