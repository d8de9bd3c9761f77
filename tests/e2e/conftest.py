"""End-to-end tests on a real Kubernetes cluster (kind), marked ``e2e``.

They need a cluster prepared as .github/workflows/e2e-kind.yaml does (images
built and loaded, ingress-nginx, the dependencies of tests/e2e/manifests,
the chart installed with charts/echosphere/ci/ci-values.yaml) and
``ECHO_E2E_KUBECONFIG`` naming its kubeconfig. Without it, every test here
is skipped with that reason, so the README's test command says plainly
that they did not run.
"""

from __future__ import annotations

import os

import pytest

KUBECONFIG_VARIABLE = "ECHO_E2E_KUBECONFIG"
SKIP_REASON = (
    f"e2e: no Kubernetes cluster configured ({KUBECONFIG_VARIABLE} is not set); "
    "these run in the kind workflow, .github/workflows/e2e-kind.yaml"
)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if os.environ.get(KUBECONFIG_VARIABLE):
        return
    skip = pytest.mark.skip(reason=SKIP_REASON)
    for item in items:
        if "e2e" in item.keywords:
            item.add_marker(skip)
