"""Authorization matrices: rows of who calls what, and the one check every row runs.

A row names an ``actor`` of a prepared world, a method and a path (with
``{name}`` placeholders filled from the world), an optional body, and the
status (and error code) the actor must get. Whoever is not the owner must
never see the owner's phone number in any answer.
"""

from __future__ import annotations

import dataclasses
from typing import Any

import httpx
import pytest

from tests.support.accounts import Account
from tests.support.checks import expect_error

COLUMNS = ("actor", "method", "path", "body", "status", "code")


@dataclasses.dataclass
class World:
    accounts: dict[str, Account]
    names: dict[str, str]
    """Values for the placeholders in a row's path: ids, conversations, phones."""


def row(
    name: str,
    actor: str,
    method: str,
    path: str,
    status: int,
    code: str | None = None,
    body: dict[str, Any] | None = None,
) -> Any:
    """One matrix row: ``actor`` calls ``method path`` and gets ``status`` (and ``code``)."""
    return pytest.param(actor, method, path, body, status, code, id=name)


def fill(value: Any, names: dict[str, str]) -> Any:
    if isinstance(value, str):
        return value.format(**names)
    if isinstance(value, list):
        return [fill(v, names) for v in value]
    if isinstance(value, dict):
        return {k: fill(v, names) for k, v in value.items()}
    return value


async def check_row(
    client: httpx.AsyncClient,
    world: World,
    *,
    actor: str,
    method: str,
    path: str,
    body: dict[str, Any] | None,
    status: int,
    code: str | None,
) -> None:
    answer = await client.request(
        method,
        fill(path, world.names),
        json=fill(body, world.names),
        headers=world.accounts[actor].headers,
    )
    if code is None:
        assert answer.status_code == status, answer.text
    else:
        expect_error(answer, status, code)
    if actor != "owner":
        assert world.accounts["owner"].phone not in answer.text
