"""The settings the API and the nodes share: a ConfigMap of ``ECHO_*``
variables, the Secret of signing keys, and the environment that points at
the connection Secrets the user referenced.

Connection URLs never pass through the operator into a manifest: the pods
read them straight from the user's Secrets (``secretKeyRef``), so rotating a
password is a Secret edit and a rollout, not an operator change. The JWT
keys and the node admin token are generated once, kept in a Secret the
operator owns, and never rewritten, so sessions survive every reconcile.
"""

from __future__ import annotations

import base64
import hashlib
import json
import secrets
from typing import Any

from echosphere_operator.builders.common import Manifest, metadata
from echosphere_operator.names import ClusterRef
from echosphere_operator.spec import ClusterSpec, SecretRef

KEYS_MOUNT = "/etc/echosphere/keys"
JWT_KEYS = "jwt-keys"
ADMIN_TOKEN = "admin-token"  # noqa: S105 - the key in the Secret, not a token


def registry_url(cluster: ClusterRef, spec: ClusterSpec) -> str:
    if spec.registry.type == "zookeeper":
        return f"zookeeper://{spec.registry.zookeeper}"
    return f"k8s-lease://{cluster.namespace}?cluster={cluster.name}"


def settings(cluster: ClusterRef, spec: ClusterSpec) -> dict[str, str]:
    """The non-secret ``ECHO_*`` settings; the user's own come last and win."""
    return {
        "ECHO_LOG_FORMAT": "json",
        # The root filesystem is read-only; /tmp is the pods' one writable place.
        "ECHO_DATA_DIR": "/tmp/echosphere",  # noqa: S108
        "ECHO_REGISTRY_URL": registry_url(cluster, spec),
        "ECHO_DRAIN_TIMEOUT": str(spec.nodes.drain_timeout),
        "ECHO_JWT_KEYS_FILE": f"{KEYS_MOUNT}/{JWT_KEYS}",
        **spec.settings,
    }


def config_map(cluster: ClusterRef, spec: ClusterSpec) -> Manifest:
    return {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": metadata(cluster, cluster.config, "config", spec),
        "data": settings(cluster, spec),
    }


def new_keys() -> dict[str, str]:
    """Fresh signing key and admin token (as Secret ``stringData``)."""
    return {
        JWT_KEYS: f"k1:{secrets.token_urlsafe(48)}",
        ADMIN_TOKEN: secrets.token_urlsafe(32),
    }


def keys_secret(cluster: ClusterRef, keys: dict[str, str]) -> Manifest:
    """The Secret of signing keys; created once, never updated by the operator."""
    return {
        "apiVersion": "v1",
        "kind": "Secret",
        "metadata": metadata(cluster, cluster.keys, "config"),
        "type": "Opaque",
        "data": {k: base64.b64encode(v.encode()).decode() for k, v in keys.items()},
    }


def read_secret_value(secret: dict[str, Any], key: str) -> str | None:
    encoded = (secret.get("data") or {}).get(key)
    if encoded is None:
        return (secret.get("stringData") or {}).get(key)
    return base64.b64decode(encoded).decode()


def _from_secret(variable: str, ref: SecretRef) -> Manifest:
    return {"name": variable, "valueFrom": {"secretKeyRef": {"name": ref.name, "key": ref.key}}}


def connection_env(cluster: ClusterRef, spec: ClusterSpec) -> list[Manifest]:
    """Environment from Secrets: connection URLs and the admin token."""
    env = [
        _from_secret("ECHO_BUS_URL", spec.messaging.secret),
        _from_secret("ECHO_KV_URL", spec.redis),
        _from_secret("ECHO_STORE_URL", spec.mongodb),
    ]
    if spec.object_storage is not None:
        env.append(_from_secret("ECHO_MEDIA_URL", spec.object_storage.secret))
    if spec.search is not None:
        env.append(_from_secret("ECHO_GEO_URL", spec.search.secret))
    env.append(_from_secret("ECHO_ADMIN_TOKEN", SecretRef(cluster.keys, ADMIN_TOKEN)))
    return env


def keys_volume(cluster: ClusterRef) -> tuple[Manifest, Manifest]:
    """The signing keys as a read-only file, not an environment variable."""
    volume = {
        "name": "keys",
        "secret": {
            "secretName": cluster.keys,
            "items": [{"key": JWT_KEYS, "path": JWT_KEYS}],
            "defaultMode": 0o440,
        },
    }
    mount = {"name": "keys", "mountPath": KEYS_MOUNT, "readOnly": True}
    return volume, mount


def config_hash(cluster: ClusterRef, spec: ClusterSpec) -> str:
    """A digest of what the pods read at start; it changes exactly when they must restart."""
    content = {
        "settings": settings(cluster, spec),
        "env": connection_env(cluster, spec),
    }
    return hashlib.sha256(json.dumps(content, sort_keys=True).encode()).hexdigest()[:16]
