"""The operator's own settings, read once from ``ECHO_OPERATOR_*`` variables.

They are the operator's, not the services': the chat services never see
them (the Helm chart sets them on the operator's pod only). Every value is
checked here and a wrong one stops the start with one line naming it.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field


class ConfigError(ValueError):
    """A setting of the operator is wrong; the message names the variable."""


@dataclass(frozen=True, slots=True)
class OperatorConfig:
    namespaces: tuple[str, ...] = ()
    """Namespaces to serve (ECHO_OPERATOR_NAMESPACES, comma-separated); empty: all."""
    interval: float = 10.0
    """Seconds between two reconciles of a cluster with nothing new (ECHO_OPERATOR_INTERVAL)."""
    retry_delay: float = 15.0
    """Seconds before retrying after the Kubernetes API failed (ECHO_OPERATOR_RETRY_DELAY)."""
    wiring_timeout: float = 10.0
    """Seconds one call to RabbitMQ, object storage or OpenSearch may take
    (ECHO_OPERATOR_WIRING_TIMEOUT)."""
    wiring_resync: float = 300.0
    """Seconds after which wired dependencies are checked again (ECHO_OPERATOR_WIRING_RESYNC)."""
    backoff_first: float = 5.0
    """First retry delay of a failed dependency, doubling each time (ECHO_OPERATOR_BACKOFF)."""
    backoff_most: float = 300.0
    """Longest retry delay of a failed dependency (ECHO_OPERATOR_BACKOFF_MAX)."""
    degraded_after: float = 120.0
    """Seconds pods may stay unready, with no rollout, before Degraded (ECHO_OPERATOR_PATIENCE)."""
    node_admin_url: str = "http://{pod}.{service}.{namespace}.svc:8080"
    """Where a node's admin routes are; ``{pod}``, ``{service}`` and ``{namespace}``
    are filled in (ECHO_OPERATOR_NODE_ADMIN_URL)."""
    api_url: str | None = None
    """The Kubernetes API to use instead of the service account or kubeconfig,
    e.g. ``http://127.0.0.1:8001`` behind ``kubectl proxy`` (ECHO_OPERATOR_API_URL)."""
    probe_port: int | None = 8080
    """Port of ``/healthz`` and ``/metrics``; 0 picks a free one (ECHO_OPERATOR_PROBE_PORT)."""
    probe_host: str = "0.0.0.0"  # noqa: S104 - the kubelet and Prometheus reach it from outside
    """Address the probe server binds (ECHO_OPERATOR_PROBE_HOST)."""
    log_format: str = "text"
    """``text`` or ``json`` (ECHO_OPERATOR_LOG_FORMAT)."""
    log_level: str = "INFO"
    """DEBUG, INFO, WARNING or ERROR (ECHO_OPERATOR_LOG_LEVEL)."""
    extra: Mapping[str, str] = field(default_factory=dict)


def _seconds(name: str, value: str) -> float:
    try:
        parsed = float(value)
    except ValueError:
        raise ConfigError(f"{name}: {value!r} is not a number of seconds") from None
    if not math.isfinite(parsed) or parsed <= 0:
        raise ConfigError(f"{name}: {value!r} must be a positive number of seconds")
    return parsed


def _port(name: str, value: str) -> int:
    if not value.isdigit() or int(value) > 65535:
        raise ConfigError(f"{name}: {value!r} is not a port number")
    return int(value)


def _choice(name: str, value: str, options: tuple[str, ...]) -> str:
    if value not in options:
        raise ConfigError(f"{name}: {value!r} is not one of {', '.join(options)}")
    return value


_SECONDS = {
    "ECHO_OPERATOR_INTERVAL": "interval",
    "ECHO_OPERATOR_RETRY_DELAY": "retry_delay",
    "ECHO_OPERATOR_WIRING_TIMEOUT": "wiring_timeout",
    "ECHO_OPERATOR_WIRING_RESYNC": "wiring_resync",
    "ECHO_OPERATOR_BACKOFF": "backoff_first",
    "ECHO_OPERATOR_BACKOFF_MAX": "backoff_most",
    "ECHO_OPERATOR_PATIENCE": "degraded_after",
}


def load_config(environ: Mapping[str, str]) -> OperatorConfig:
    known = {
        *_SECONDS,
        "ECHO_OPERATOR_NAMESPACES",
        "ECHO_OPERATOR_NODE_ADMIN_URL",
        "ECHO_OPERATOR_API_URL",
        "ECHO_OPERATOR_PROBE_PORT",
        "ECHO_OPERATOR_PROBE_HOST",
        "ECHO_OPERATOR_LOG_FORMAT",
        "ECHO_OPERATOR_LOG_LEVEL",
    }
    unknown = sorted(k for k in environ if k.startswith("ECHO_OPERATOR_") and k not in known)
    if unknown:
        raise ConfigError(f"{unknown[0]}: unknown setting; see docs/kubernetes.md")

    values: dict[str, object] = {
        attr: _seconds(name, environ[name]) for name, attr in _SECONDS.items() if name in environ
    }
    if "ECHO_OPERATOR_NAMESPACES" in environ:
        listed = environ["ECHO_OPERATOR_NAMESPACES"].split(",")
        values["namespaces"] = tuple(n.strip() for n in listed if n.strip())
    if "ECHO_OPERATOR_NODE_ADMIN_URL" in environ:
        template = environ["ECHO_OPERATOR_NODE_ADMIN_URL"]
        if "{pod}" not in template:
            raise ConfigError("ECHO_OPERATOR_NODE_ADMIN_URL: must contain {pod}")
        values["node_admin_url"] = template
    if environ.get("ECHO_OPERATOR_API_URL"):
        values["api_url"] = environ["ECHO_OPERATOR_API_URL"]
    if "ECHO_OPERATOR_PROBE_PORT" in environ:
        values["probe_port"] = _port(
            "ECHO_OPERATOR_PROBE_PORT", environ["ECHO_OPERATOR_PROBE_PORT"]
        )
    if "ECHO_OPERATOR_PROBE_HOST" in environ:
        values["probe_host"] = environ["ECHO_OPERATOR_PROBE_HOST"]
    if "ECHO_OPERATOR_LOG_FORMAT" in environ:
        values["log_format"] = _choice(
            "ECHO_OPERATOR_LOG_FORMAT", environ["ECHO_OPERATOR_LOG_FORMAT"], ("text", "json")
        )
    if "ECHO_OPERATOR_LOG_LEVEL" in environ:
        values["log_level"] = _choice(
            "ECHO_OPERATOR_LOG_LEVEL",
            environ["ECHO_OPERATOR_LOG_LEVEL"].upper(),
            ("DEBUG", "INFO", "WARNING", "ERROR"),
        )
    return OperatorConfig(**values)  # type: ignore[arg-type]
