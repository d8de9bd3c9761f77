"""``echosphere dev`` as a user runs it: a child process whose data outlives it, and
whose wrong settings stop it at start with one clear line."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from tests.support.accounts import befriend, login, make_group
from tests.support.server import dev_process, free_port


async def test_data_and_sessions_survive_a_restart(tmp_path: Path) -> None:
    """Users, friends, groups, messages and access tokens all outlive a restart."""
    data = tmp_path / "data"
    with dev_process(data) as dev:
        async with httpx.AsyncClient(base_url=dev.url, timeout=10) as client:
            a, b, c = [await login(client) for _ in range(3)]
            await client.patch("/api/me", json={"handle": "restart_me"}, headers=a.headers)
            await befriend(client, a, b)
            await befriend(client, a, c)
            group = await make_group(client, a, [b, c], name="survivors")
            sent = await client.post(
                f"/api/conversations/{group['conv']}/messages",
                json={"cid": "before-restart", "kind": "text", "body": {"text": "still here?"}},
                headers=a.headers,
            )
            assert sent.status_code == 201, sent.text

    key = data / "jwt.key"
    assert stat.S_IMODE(key.stat().st_mode) == 0o600

    with dev_process(data) as dev:
        async with httpx.AsyncClient(base_url=dev.url, timeout=10) as client:
            me = await client.get("/api/me", headers=a.headers)
            assert me.status_code == 200, me.text
            assert me.json()["handle"] == "restart_me"
            friends = (await client.get("/api/friends", headers=a.headers)).json()["friends"]
            assert {f["user"]["id"] for f in friends} == {b.id, c.id}
            groups = (await client.get("/api/groups", headers=c.headers)).json()["groups"]
            assert [g["name"] for g in groups] == ["survivors"]
            page = await client.get(
                f"/api/conversations/{group['conv']}/messages", headers=b.headers
            )
            assert [m["cid"] for m in page.json()["messages"]] == ["before-restart"]
            refreshed = await client.post(
                "/api/auth/refresh", json={"refresh_token": b.refresh_token}
            )
            assert refreshed.status_code == 200, refreshed.text
            again = await login(client, a.phone)
            assert again.id == a.id


async def test_logout_survives_a_restart(tmp_path: Path) -> None:
    """An access token of a device logged out before a restart is still refused after it."""
    data = tmp_path / "data"
    with dev_process(data) as dev:
        async with httpx.AsyncClient(base_url=dev.url, timeout=10) as client:
            account = await login(client)
            out = await client.post("/api/auth/logout", headers=account.headers)
            assert out.status_code == 204

    with dev_process(data) as dev:
        async with httpx.AsyncClient(base_url=dev.url, timeout=10) as client:
            me = await client.get("/api/me", headers=account.headers)
            assert me.status_code == 401


def _start_with(tmp_path: Path, **env: str) -> subprocess.CompletedProcess[str]:
    """Run ``python -m echosphere dev`` with only ``env`` as ECHO_* settings."""
    environ = {k: v for k, v in os.environ.items() if not k.startswith("ECHO_")}
    environ.update(env)
    command = [sys.executable, "-m", "echosphere", "dev", "--port", str(free_port())]
    return subprocess.run(
        [*command, "--data-dir", str(tmp_path / "data")],
        env=environ,
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )


def test_unknown_store_scheme_stops_dev_with_one_line(tmp_path: Path) -> None:
    """ECHO_STORE_URL=mysql://x exits 2 with one line: variable, scheme, accepted ones."""
    result = _start_with(tmp_path, ECHO_STORE_URL="mysql://x")
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    prefix = "echosphere: configuration error: ECHO_STORE_URL: unknown scheme 'mysql'; expected "
    assert lines[0].startswith(prefix), lines[0]
    assert "sqlite" in lines[0].removeprefix(prefix).split(", ")
    assert "Traceback" not in result.stderr + result.stdout


@pytest.mark.parametrize(
    ("name", "value", "shown"),
    [
        pytest.param("ECHO_RATE_IP", "fast", "'fast'", id="rate-not-a-rate"),
        pytest.param("ECHO_ACCESS_TTL", "-5", "'-5'", id="ttl-negative"),
        pytest.param("ECHO_LOG_FORMAT", "xml", "'xml'", id="log-format-unknown"),
        pytest.param("ECHO_STORE_PATH", "/tmp/x", "unknown setting", id="unknown-variable"),
    ],
)
def test_bad_setting_stops_dev_with_one_line(
    tmp_path: Path, name: str, value: str, shown: str
) -> None:
    """Any wrong setting exits 2 before serving, with one line that names it."""
    result = _start_with(tmp_path, **{name: value})
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith(f"echosphere: configuration error: {name}: "), lines[0]
    assert shown in lines[0]
