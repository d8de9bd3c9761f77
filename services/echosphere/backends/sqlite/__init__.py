"""The ``Store`` port on SQLite (``sqlite:///path``): embedded, single-file."""

from echosphere.backends.sqlite.store import SqliteStore

__all__ = ["SqliteStore"]
