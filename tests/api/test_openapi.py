"""The OpenAPI document against the application that serves it."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import httpx
import pytest
from starlette.routing import Route, WebSocketRoute

from echosphere.composition import build_app, build_platform
from tests.support.accounts import login
from tests.support.server import embedded_settings

METHODS = {"get", "put", "post", "delete", "patch", "options", "head", "trace"}


def _served(tmp_path: Path) -> tuple[set[tuple[str, str]], list[Any]]:
    """The (METHOD, path) pairs the full application answers over HTTP, and its other routes."""
    app = build_app(build_platform(embedded_settings(tmp_path / "routes")))
    pairs: set[tuple[str, str]] = set()
    others = []
    for route in app.routes:
        if isinstance(route, Route):
            pairs |= {(m, route.path) for m in route.methods or () if m != "HEAD"}
        else:
            others.append(route)
    return pairs, others


def _documented(document: dict[str, Any]) -> set[tuple[str, str]]:
    return {
        (method.upper(), path)
        for path, item in document["paths"].items()
        for method in item
        if method in METHODS
    }


@pytest.fixture
async def document(client: httpx.AsyncClient) -> dict[str, Any]:
    answer = await client.get("/api/openapi.json")
    assert answer.status_code == 200
    assert answer.headers["content-type"] == "application/json"
    served: dict[str, Any] = answer.json()
    return served


async def test_document_lists_exactly_the_served_routes(
    document: dict[str, Any], tmp_path: Path
) -> None:
    """Every HTTP route the app serves is in the document, and nothing else is."""
    served, others = _served(tmp_path)
    assert _documented(document) == served
    assert [(type(r), r.path) for r in others] == [(WebSocketRoute, "/ws")]


async def test_document_is_openapi_3_1(document: dict[str, Any]) -> None:
    """The document declares OpenAPI 3.1 with a title, a version and bearer security."""
    assert document["openapi"].startswith("3.1.")
    assert document["info"]["title"] and document["info"]["version"]
    assert document["components"]["securitySchemes"]["bearer"]["scheme"] == "bearer"


def _operations(document: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    return [
        (method, path, operation)
        for path, item in document["paths"].items()
        for method, operation in item.items()
        if method in METHODS
    ]


async def test_operations_are_complete(document: dict[str, Any]) -> None:
    """Each operation has a unique id, a summary, responses and its path parameters."""
    ids = [op["operationId"] for _, _, op in _operations(document)]
    assert len(ids) == len(set(ids))
    for method, path, operation in _operations(document):
        where = f"{method} {path}"
        assert operation["summary"], where
        assert operation["responses"], where
        declared = {p["name"] for p in operation.get("parameters", ()) if p["in"] == "path"}
        assert declared == set(re.findall(r"{(\w+)}", path)), where


def _refs(node: Any) -> list[str]:
    if isinstance(node, dict):
        found = [node["$ref"]] if isinstance(node.get("$ref"), str) else []
        return found + [r for value in node.values() for r in _refs(value)]
    if isinstance(node, list):
        return [r for value in node for r in _refs(value)]
    return []


async def test_every_reference_resolves(document: dict[str, Any]) -> None:
    """Every $ref points at a component the document defines."""
    refs = _refs(document)
    assert refs
    for ref in refs:
        node: Any = document
        for part in ref.removeprefix("#/").split("/"):
            assert part in node, ref
            node = node[part]


async def test_errors_share_one_schema(document: dict[str, Any]) -> None:
    """Authenticated routes document 401 and every route 429, as the error envelope."""
    error = {"$ref": "#/components/responses/Error"}
    for method, path, operation in _operations(document):
        if path.startswith(("/api/", "/healthz", "/readyz")):
            assert operation["responses"]["429"] == error, f"{method} {path}"
        if operation.get("security"):
            assert operation["responses"]["401"] == error, f"{method} {path}"


async def test_every_documented_operation_is_routed(
    client: httpx.AsyncClient, document: dict[str, Any]
) -> None:
    """Calling each documented operation never hits route_not_found or method_not_allowed."""
    account = await login(client)
    for method, path, _ in _operations(document):
        url = re.sub(r"{\w+}", "x", path)
        answer = await client.request(method, url, headers=account.headers)
        assert answer.status_code not in (404, 405) or answer.json()["error"]["code"] not in (
            "route_not_found",
            "method_not_allowed",
        ), f"{method} {path}"
