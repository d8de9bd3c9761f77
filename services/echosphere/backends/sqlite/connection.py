"""One aiosqlite connection, shared by every task of the process.

The key decision: every use of the connection, read or write, holds one
``asyncio.Lock``. Tasks interleave at each ``await``, so without the lock a
read could run inside another task's open transaction and see rows that are
later rolled back. Writes open with ``BEGIN IMMEDIATE``: other processes may
share the file, and taking the write lock up front (waiting up to
``busy_timeout``) avoids the deadlock of two readers upgrading to writers.
"""

from __future__ import annotations

import asyncio
import logging
import sqlite3
from collections.abc import AsyncIterator, Callable, Iterable, Sequence
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any, TypeVar

import aiosqlite

from echosphere.core.errors import Unavailable

logger = logging.getLogger(__name__)

Params = Sequence[Any] | dict[str, Any]
_T = TypeVar("_T")

_PRAGMAS = (
    "PRAGMA journal_mode=WAL",
    "PRAGMA busy_timeout=5000",
    "PRAGMA foreign_keys=ON",
    "PRAGMA synchronous=NORMAL",
)


class Session:
    """Statements on the connection while the caller holds the lock."""

    def __init__(self, conn: aiosqlite.Connection):
        self._conn = conn

    async def run(self, sql: str, params: Params = ()) -> int:
        """Execute one statement; returns the number of rows it changed."""
        async with self._conn.execute(sql, params) as cursor:
            return cursor.rowcount

    async def run_many(self, sql: str, rows: Iterable[Params]) -> int:
        async with self._conn.executemany(sql, rows) as cursor:
            return cursor.rowcount

    async def one(self, sql: str, params: Params = ()) -> sqlite3.Row | None:
        async with self._conn.execute(sql, params) as cursor:
            return await cursor.fetchone()

    async def all(self, sql: str, params: Params = ()) -> list[sqlite3.Row]:
        return list(await self._conn.execute_fetchall(sql, params))

    async def scalar(self, sql: str, params: Params = ()) -> Any:
        """The first column of the first row, or ``None`` when there is no row."""
        row = await self.one(sql, params)
        return None if row is None else row[0]


class Database:
    """Opens the file, hands out locked sessions and immediate transactions."""

    def __init__(self, path: str):
        self.path = path
        self._conn: aiosqlite.Connection | None = None
        self._lock = asyncio.Lock()

    async def open(self) -> None:
        Path(self.path).parent.mkdir(parents=True, exist_ok=True)
        # isolation_level=None: no implicit BEGIN, transactions are ours to open.
        conn = await aiosqlite.connect(self.path, isolation_level=None)
        conn.row_factory = sqlite3.Row
        for pragma in _PRAGMAS:
            await conn.execute(pragma)
        self._conn = conn
        logger.info("sqlite database opened", extra={"path": self.path})

    async def close(self) -> None:
        if self._conn is None:
            return
        async with self._lock:
            await self._conn.close()
            self._conn = None
        logger.info("sqlite database closed", extra={"path": self.path})

    @asynccontextmanager
    async def session(self) -> AsyncIterator[Session]:
        """Exclusive use of the connection, statements autocommitting."""
        async with self._lock, _busy_as_unavailable():
            yield Session(self._connection())

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[Session]:
        """Exclusive use of the connection inside ``BEGIN IMMEDIATE``."""
        async with self._lock, _busy_as_unavailable():
            conn = self._connection()
            await conn.execute("BEGIN IMMEDIATE")
            try:
                yield Session(conn)
            except BaseException:
                await conn.rollback()
                raise
            await conn.commit()

    # Shortcuts for the common single-statement cases.

    async def one(self, sql: str, params: Params = ()) -> sqlite3.Row | None:
        async with self.session() as s:
            return await s.one(sql, params)

    async def all(self, sql: str, params: Params = ()) -> list[sqlite3.Row]:
        async with self.session() as s:
            return await s.all(sql, params)

    async def scalar(self, sql: str, params: Params = ()) -> Any:
        async with self.session() as s:
            return await s.scalar(sql, params)

    async def write(self, sql: str, params: Params = ()) -> int:
        """One write statement in its own immediate transaction; returns rows changed."""
        async with self.transaction() as s:
            return await s.run(sql, params)

    async def call(self, work: Callable[[sqlite3.Connection], _T]) -> _T:
        """Run ``work`` with the raw connection on the database's thread, holding the lock.

        Each statement through aiosqlite is a hop to its thread and back, and
        under load the hop, not SQLite, is what a statement costs; ``work``
        runs many statements for the price of one hop. It must open and end
        its own transaction.
        """
        async with self._lock, _busy_as_unavailable():
            conn = self._connection()
            # aiosqlite's own queue to its thread, so work and statements stay in order.
            execute: Any = conn._execute
            result: _T = await execute(work, conn._conn)
            return result

    def _connection(self) -> aiosqlite.Connection:
        if self._conn is None:
            raise RuntimeError("the sqlite store is not started")
        return self._conn


@asynccontextmanager
async def _busy_as_unavailable() -> AsyncIterator[None]:
    """Report a file locked past ``busy_timeout`` as a retryable outage."""
    try:
        yield
    except sqlite3.OperationalError as exc:
        if "locked" not in str(exc) and "busy" not in str(exc):
            raise
        logger.warning("sqlite database busy past the timeout: %s", exc)
        raise Unavailable("store_busy", "the database is busy; retry later") from exc
