"""The typed spec: its defaults are the CRD's, and a bad spec names its field."""

from __future__ import annotations

import dataclasses
from typing import Any

import pytest

from echosphere_operator.names import ClusterRef
from echosphere_operator.settings import ConfigError, load_config
from echosphere_operator.spec import SpecError, parse_spec
from tests.operator.support.crd import defaulted

REQUIRED = {
    "messaging": {"secretRef": {"name": "rabbitmq"}},
    "redis": {"secretRef": {"name": "redis"}},
    "mongodb": {"secretRef": {"name": "mongodb"}},
    "objectStorage": {"secretRef": {"name": "minio"}},
    "search": {"secretRef": {"name": "opensearch"}},
}


def test_operator_defaults_are_the_crds() -> None:
    """The operator, given a bare spec, decides exactly as it does with the API's defaults."""
    bare = parse_spec(REQUIRED)
    body = defaulted({"metadata": {"name": "demo"}, "spec": dict(REQUIRED)})
    assert parse_spec(body["spec"]) == bare
    assert dataclasses.asdict(bare)["nodes"]["drain_timeout"] == 30


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"messaging": None}, "spec.messaging"),
        ({"redis": {"secretRef": {}}}, "spec.redis.secretRef.name"),
        ({"registry": {"type": "zookeeper"}}, "spec.registry.zookeeper.connect"),
        ({"registry": {"type": "etcd"}}, "spec.registry.type"),
        ({"nodes": {"drainTimeoutSeconds": 90, "terminationGracePeriodSeconds": 10}}, "spec.nodes"),
        (
            {"nodes": {"autoscaling": {"minReplicas": 5, "maxReplicas": 2}}},
            "spec.nodes.autoscaling",
        ),
        ({"deletionPolicy": "Orphan"}, "spec.deletionPolicy"),
    ],
)
def test_bad_spec_names_the_field(change: dict[str, Any], field: str) -> None:
    raw = {**REQUIRED, **change}
    with pytest.raises(SpecError, match=field.replace(".", r"\.")):
        parse_spec({k: v for k, v in raw.items() if v is not None})


def test_node_pod_names_and_ordinals() -> None:
    cluster = ClusterRef("demo", "chat", "u")
    assert cluster.node_pod(3) == "demo-node-3"
    assert cluster.ordinal_of("demo-node-12") == 12
    assert cluster.ordinal_of("other-node-1") is None
    assert cluster.ordinal_of("demo-node-x") is None


def test_operator_settings_from_the_environment() -> None:
    config = load_config(
        {
            "ECHO_OPERATOR_NAMESPACES": "a, b,",
            "ECHO_OPERATOR_INTERVAL": "2.5",
            "ECHO_OPERATOR_LOG_LEVEL": "debug",
            "ECHO_OPERATOR_PROBE_PORT": "9000",
            "ECHO_STORE_URL": "ignored: not the operator's",
        }
    )
    assert config.namespaces == ("a", "b") and config.interval == 2.5
    assert config.log_level == "DEBUG" and config.probe_port == 9000
    assert load_config({}).namespaces == ()


@pytest.mark.parametrize(
    ("environ", "message"),
    [
        ({"ECHO_OPERATOR_INTERVAL": "0"}, "ECHO_OPERATOR_INTERVAL"),
        ({"ECHO_OPERATOR_INTERVAL": "soon"}, "not a number"),
        ({"ECHO_OPERATOR_PROBE_PORT": "99999"}, "not a port"),
        ({"ECHO_OPERATOR_LOG_FORMAT": "xml"}, "text, json"),
        ({"ECHO_OPERATOR_NODE_ADMIN_URL": "http://x"}, "{pod}"),
        ({"ECHO_OPERATOR_TYPO": "1"}, "unknown setting"),
    ],
)
def test_bad_operator_settings_stop_the_start(environ: dict[str, str], message: str) -> None:
    with pytest.raises(ConfigError, match=message.replace("{", r"\{").replace("}", r"\}")):
        load_config(environ)
