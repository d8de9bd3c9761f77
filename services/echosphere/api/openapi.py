"""The OpenAPI 3.1 document, built from the same endpoint declarations as the routes.

HTTP routes that other parts mount beside the API (the chat node's admin
routes) are listed too, from their path, methods and docstring, so the
document names every HTTP route the application serves.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

import msgspec
from starlette.routing import Route

import echosphere
from echosphere.api.routing import Endpoint

_PATH_PARAM = re.compile(r"{(\w+)}")

_ERROR_SCHEMA = {
    "type": "object",
    "required": ["error"],
    "properties": {
        "error": {
            "type": "object",
            "required": ["code", "message"],
            "properties": {
                "code": {"type": "string", "description": "stable machine code"},
                "message": {"type": "string", "description": "for people; may change"},
            },
        }
    },
}


def _operation(endpoint: Endpoint) -> dict[str, Any]:
    parameters = [
        {"name": name, "in": "path", "required": True, "schema": {"type": "string"}}
        for name in _PATH_PARAM.findall(endpoint.path)
    ]
    parameters += [
        {"name": name, "in": "query", "required": False, "schema": {"type": "string"}}
        for name in endpoint.query
    ]
    success: dict[str, Any] = {"description": "success"}
    if endpoint.status != 204:
        success["content"] = {endpoint.produces: {"schema": {}}}
    error = {"$ref": "#/components/responses/Error"}
    responses: dict[str, Any] = {str(endpoint.status): success, "429": error}
    if endpoint.auth:
        responses["401"] = error
    if endpoint.errors or endpoint.body is not None:
        responses["4XX"] = error
    operation: dict[str, Any] = {
        "summary": endpoint.summary,
        "operationId": f"{endpoint.tag}_{endpoint.handler.__name__}",
        "tags": [endpoint.tag],
        "responses": responses,
        "x-error-codes": sorted(set(endpoint.errors)),
    }
    if parameters:
        operation["parameters"] = parameters
    if endpoint.body is not None:
        operation["requestBody"] = {
            "required": True,
            "content": {
                "application/json": {
                    "schema": {"$ref": f"#/components/schemas/{endpoint.body.__name__}"}
                }
            },
        }
    if endpoint.auth:
        operation["security"] = [{"bearer": []}]
    return operation


def _mounted_operation(route: Route, method: str) -> dict[str, Any]:
    """An operation for a route declared outside the endpoint table."""
    doc = (route.endpoint.__doc__ or route.path).strip().splitlines()[0]
    error = {"$ref": "#/components/responses/Error"}
    return {
        "summary": doc,
        "operationId": f"{route.name}_{method.lower()}",
        "tags": ["node"],
        "responses": {"2XX": {"description": "success"}, "4XX": error},
    }


def build_document(
    endpoints: Sequence[Endpoint], *, mounted: Sequence[Route] = ()
) -> dict[str, Any]:
    paths: dict[str, dict[str, Any]] = {}
    for endpoint in endpoints:
        paths.setdefault(endpoint.path, {})[endpoint.method.lower()] = _operation(endpoint)
    for route in mounted:
        for method in sorted((route.methods or set()) - {"HEAD"}):
            paths.setdefault(route.path, {})[method.lower()] = _mounted_operation(route, method)
    bodies = sorted({e.body for e in endpoints if e.body is not None}, key=lambda t: t.__name__)
    _, schemas = msgspec.json.schema_components(bodies, ref_template="#/components/schemas/{name}")
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "EchoSphere API",
            "version": echosphere.__version__,
            "description": "Accounts, the social graph, groups and conversations. "
            "Real-time chat uses the websocket protocol in docs/protocol.md.",
        },
        "paths": paths,
        "components": {
            "schemas": {**schemas, "Error": _ERROR_SCHEMA},
            "responses": {
                "Error": {
                    "description": "an error with a stable code",
                    "content": {
                        "application/json": {"schema": {"$ref": "#/components/schemas/Error"}}
                    },
                }
            },
            "securitySchemes": {
                "bearer": {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"}
            },
        },
    }
