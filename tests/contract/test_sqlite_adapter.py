"""What only the SQLite adapter promises: its URL form, migrations and file setup."""

from __future__ import annotations

import asyncio
import sqlite3
from pathlib import Path

import pytest

from echosphere.backends.sqlite import SqliteStore
from echosphere.backends.sqlite.migrations import MIGRATIONS, split_statements
from echosphere.core.ids import UserId, direct_conv, new_id
from tests.contract.test_store_contract_messages import draft


def test_from_url_relative_and_absolute() -> None:
    """Three slashes give a relative path, four an absolute one."""
    assert SqliteStore.from_url("sqlite:///data/echo.db").path == "data/echo.db"
    assert SqliteStore.from_url("sqlite:////var/lib/echo.db").path == "/var/lib/echo.db"


@pytest.mark.parametrize("url", ["sqlite://", "sqlite:///", "postgres:///x", "data/echo.db"])
def test_from_url_rejects_others(url: str) -> None:
    """Anything but sqlite:/// followed by a path is refused."""
    with pytest.raises(ValueError, match="sqlite"):
        SqliteStore.from_url(url)


async def test_start_creates_file_with_schema(tmp_path: Path) -> None:
    """start creates missing directories, a WAL file and the latest schema version."""
    path = tmp_path / "deep" / "dir" / "echo.db"
    store = SqliteStore(str(path))
    await store.start()
    await store.close()

    with sqlite3.connect(path) as conn:
        assert conn.execute("PRAGMA user_version").fetchone()[0] == MIGRATIONS[-1][0]
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    conn.close()


async def test_migrations_run_once(tmp_path: Path) -> None:
    """Restarting on a migrated file applies nothing again."""
    path = str(tmp_path / "echo.db")
    for _ in range(2):
        store = SqliteStore(path)
        await store.start()
        await store.ping()
        await store.close()


def test_migration_versions_increase() -> None:
    """Versions are unique and ascending, and every script splits cleanly."""
    versions = [version for version, _ in MIGRATIONS]
    assert versions == sorted(set(versions))
    for _, script in MIGRATIONS:
        assert split_statements(script)


def test_split_statements() -> None:
    """Scripts split at statement ends; an unfinished statement is an error."""
    script = "CREATE TABLE a (x TEXT DEFAULT ';');\nCREATE INDEX b\n  ON a (x);\n"
    assert split_statements(script) == [
        "CREATE TABLE a (x TEXT DEFAULT ';');",
        "CREATE INDEX b\n  ON a (x);",
    ]
    with pytest.raises(ValueError, match="incomplete"):
        split_statements("CREATE TABLE a (x TEXT)")


async def test_unstarted_store_refuses() -> None:
    """Using a store before start is a programming error, reported clearly."""
    with pytest.raises(RuntimeError, match="not started"):
        await SqliteStore("unused.db").ping()


async def test_concurrent_retries_of_one_cid_leave_no_hole(tmp_path: Path) -> None:
    """Embedded, racing retries of one cid take a single seq and leave none unused."""
    store = SqliteStore(str(tmp_path / "echo.db"))
    await store.start()
    a, b = UserId(new_id()), UserId(new_id())
    conv = direct_conv(a, b)
    results = await asyncio.gather(
        *(store.append_message(draft(conv, a, cid="dup")) for _ in range(10))
    )
    assert {message.seq for message, _ in results} == {1}
    assert await store.last_seq(conv) == 1
    await store.close()
