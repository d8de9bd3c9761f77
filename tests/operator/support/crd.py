"""The EchoCluster CRD as an API server would apply it, offline.

No Kubernetes API server runs here, so this module stands in for the two
things it does with a CRD's schema on every write: defaulting (missing
fields get their ``default``, top-down, so a defaulted ``{}`` gets its own
nested defaults) and validation. Validation is the structural schema turned
into JSON Schema (checked with ``jsonschema``), with unknown fields rejected
as ``kubectl``'s strict field validation does, plus the CEL rules through
the Python twins in ``tests.operator.support.cel``. CEL itself is not
evaluated: a twin states the rule's intent and is tested on its own.
"""

from __future__ import annotations

import copy
from collections.abc import Iterator
from functools import cache
from pathlib import Path
from typing import Any

import jsonschema
import yaml

from tests.operator.support.cel import TWINS

ROOT = Path(__file__).resolve().parents[3]
CRD_PATH = ROOT / "crds" / "echoclusters.echosphere.io.yaml"


@cache
def load_crd() -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load(CRD_PATH.read_text())
    return loaded


def version_schema(crd: dict[str, Any] | None = None) -> dict[str, Any]:
    crd = crd or load_crd()
    (version,) = [v for v in crd["spec"]["versions"] if v["storage"]]
    schema: dict[str, Any] = version["schema"]["openAPIV3Schema"]
    return schema


def to_json_schema(node: dict[str, Any]) -> dict[str, Any]:
    """A structural OpenAPI v3 schema as JSON Schema, with strict unknown fields."""
    out: dict[str, Any] = {}
    for key, value in node.items():
        if key == "properties":
            out[key] = {name: to_json_schema(sub) for name, sub in value.items()}
        elif key in ("items", "not"):
            out[key] = to_json_schema(value)
        elif key == "additionalProperties":
            out[key] = to_json_schema(value) if isinstance(value, dict) else value
        elif key in ("anyOf", "allOf", "oneOf"):
            out[key] = [to_json_schema(sub) for sub in value]
        elif key.startswith("x-kubernetes-") or key in ("nullable", "description", "format"):
            continue
        else:
            out[key] = value
    if node.get("x-kubernetes-int-or-string"):
        out.pop("type", None)
    if node.get("nullable") and "type" in out:
        out["type"] = [out["type"], "null"]
    strict = (
        node.get("type") == "object"
        and "properties" in node
        and "additionalProperties" not in node
        and not node.get("x-kubernetes-preserve-unknown-fields")
    )
    if strict:
        out["additionalProperties"] = False
    return out


def apply_defaults(schema: dict[str, Any], value: Any) -> Any:
    """``value`` with the schema's defaults filled in, as the API server stores it."""
    if isinstance(value, dict) and schema.get("type") == "object":
        for name, sub in (schema.get("properties") or {}).items():
            if name not in value and "default" in sub:
                value[name] = copy.deepcopy(sub["default"])
            if name in value:
                value[name] = apply_defaults(sub, value[name])
        extra = schema.get("additionalProperties")
        if isinstance(extra, dict):
            for name in set(value) - set(schema.get("properties") or {}):
                value[name] = apply_defaults(extra, value[name])
    elif isinstance(value, list) and isinstance(schema.get("items"), dict):
        return [apply_defaults(schema["items"], item) for item in value]
    return value


def defaulted(obj: dict[str, Any]) -> dict[str, Any]:
    return apply_defaults(version_schema(), copy.deepcopy(obj))  # type: ignore[no-any-return]


def _path(parts: Iterator[Any] | list[Any]) -> str:
    text = ""
    for part in parts:
        text += f"[{part}]" if isinstance(part, int) else f".{part}" if text else str(part)
    return text or "<root>"


def schema_errors(obj: dict[str, Any]) -> list[str]:
    validator = jsonschema.Draft7Validator(to_json_schema(version_schema()))
    errors = sorted(validator.iter_errors(obj), key=lambda e: list(e.absolute_path))
    return [f"{_path(list(e.absolute_path))}: {e.message}" for e in errors]


def rules(schema: dict[str, Any] | None = None, path: tuple[str, ...] = ()) -> Iterator[Any]:
    """Every CEL rule with the schema path it sits on: (path, rule, message)."""
    schema = schema if schema is not None else version_schema()
    for rule in schema.get("x-kubernetes-validations") or ():
        yield path, rule["rule"], rule.get("message", "")
    for name, sub in (schema.get("properties") or {}).items():
        yield from rules(sub, (*path, name))
    if isinstance(schema.get("items"), dict):
        yield from rules(schema["items"], (*path, "[]"))


_MISSING = object()


def _at(value: Any, path: tuple[str, ...]) -> Any:
    for part in path:
        if not isinstance(value, dict) or part not in value:
            return _MISSING
        value = value[part]
    return value


def cel_errors(obj: dict[str, Any], old: dict[str, Any] | None = None) -> list[str]:
    """Messages of the CEL rules the object breaks (through the Python twins)."""
    errors = []
    for path, rule, message in rules():
        here = _at(obj, path)
        if here is _MISSING:
            continue
        transition = "oldSelf" in rule
        before = _at(old, path) if old is not None else _MISSING
        if transition and before is _MISSING:
            continue
        twin = TWINS[rule]
        if not (twin(here, before) if transition else twin(here, None)):
            errors.append(f"{_path(list(path))}: Invalid value: {message}")
    return errors


def admit(
    obj: dict[str, Any], old: dict[str, Any] | None = None
) -> tuple[dict[str, Any], list[str]]:
    """Default then validate, as an API server does: the stored object and the errors."""
    stored = defaulted(obj)
    return stored, [*schema_errors(stored), *cel_errors(stored, old)]
