"""Logging test users in over HTTP, the way a client does."""

from __future__ import annotations

import dataclasses
import itertools
from typing import Any

import httpx

_numbers = itertools.count(100)


def new_phone() -> str:
    """A distinct valid phone number (US 415-555 range) per call."""
    return f"+1415555{next(_numbers) % 10000:04d}"


@dataclasses.dataclass
class Account:
    id: str
    phone: str
    access_token: str
    refresh_token: str
    device: str

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.access_token}"}


async def login(
    client: httpx.AsyncClient, phone: str | None = None, *, device: str = "test"
) -> Account:
    phone = phone or new_phone()
    sent = await client.post("/api/auth/code", json={"phone": phone})
    assert sent.status_code == 202, sent.text
    code = sent.json()["dev_code"]
    answer = await client.post(
        "/api/auth/login", json={"phone": phone, "code": code, "device": device}
    )
    assert answer.status_code == 200, answer.text
    body = answer.json()
    return Account(
        id=body["user"]["id"],
        phone=phone,
        access_token=body["access_token"],
        refresh_token=body["refresh_token"],
        device=body["device"],
    )


async def befriend(client: httpx.AsyncClient, a: Account, b: Account) -> None:
    sent = await client.post("/api/friend-requests", json={"to": b.id}, headers=a.headers)
    assert sent.status_code == 201, sent.text
    accepted = await client.post(
        f"/api/friend-requests/{sent.json()['id']}/accept", headers=b.headers
    )
    assert accepted.status_code == 200, accepted.text


async def make_group(
    client: httpx.AsyncClient, owner: Account, members: list[Account], name: str = "team"
) -> dict[str, Any]:
    created = await client.post(
        "/api/groups",
        json={"name": name, "members": [m.id for m in members]},
        headers=owner.headers,
    )
    assert created.status_code == 201, created.text
    group: dict[str, Any] = created.json()
    return group
