"""One interface for both backends: ``open_database(SARCOMA_CDS_DB)``.

``SARCOMA_CDS_DB`` is either a file path (SQLite, the embedded default for one host) or a
``postgresql://`` URL (several instances on one database). Either way the result gives the
feedback store, the JWT ``jti`` replay store, a readiness ``ping`` and its life cycle; the
schema and its versions are in ``hooks.store.migrations``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Protocol
from urllib.parse import urlsplit, urlunsplit

from hooks.store.errors import StoreUnavailable
from hooks.store.feedback import FeedbackStore, SqliteFeedbackStore
from hooks.store.replay import ReplayStore, SqliteReplayStore

POSTGRES_SCHEMES = ("postgresql", "postgres")


class Database(Protocol):
    feedback: FeedbackStore

    @property
    def replay(self) -> ReplayStore: ...
    def initialize(self) -> None: ...
    def ping(self) -> None: ...
    def close(self) -> None: ...


def is_postgres_url(db: str | Path) -> bool:
    return isinstance(db, str) and urlsplit(db).scheme in POSTGRES_SCHEMES


def describe(db: str | Path) -> str:
    """The setting as safe to print or log: a URL's password is masked."""
    if not is_postgres_url(db):
        return str(db)
    parts = urlsplit(str(db))
    if parts.password is None:
        return str(db)
    netloc = parts.netloc.replace(":" + parts.password + "@", ":***@", 1)
    return urlunsplit(parts._replace(netloc=netloc))


class SqliteDatabase:
    """The embedded default: one file, WAL journal, safe for the workers of one host."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._sqlite = SqliteFeedbackStore(path)
        self.feedback: FeedbackStore = self._sqlite
        self._replay: SqliteReplayStore | None = None

    @property
    def replay(self) -> ReplayStore:
        if self._replay is None:
            self._replay = SqliteReplayStore(self.path)
        return self._replay

    def initialize(self) -> None:
        self._sqlite.initialize()

    def ping(self) -> None:
        self._sqlite.ping()

    def close(self) -> None:
        if self._replay is not None:
            self._replay.close()
            self._replay = None


class PostgresDatabase:
    def __init__(self, url: str, *, pool_size: int, timeout: float) -> None:
        from hooks.store.postgres import PostgresStore  # noqa: PLC0415 - psycopg only when used

        self._store = PostgresStore(url, pool_size=pool_size, timeout=timeout)
        self.feedback: FeedbackStore = self._store

    @property
    def replay(self) -> ReplayStore:
        return self._store

    def initialize(self) -> None:
        self._store.initialize()

    def ping(self) -> None:
        self._store.ping()

    def close(self) -> None:
        self._store.close()


def open_database(db: str | Path, *, pool_size: int = 10, timeout: float = 3.0) -> Database:
    """The store for ``SARCOMA_CDS_DB``; nothing is opened until ``initialize``."""
    if is_postgres_url(db):
        return PostgresDatabase(str(db), pool_size=pool_size, timeout=timeout)
    return SqliteDatabase(Path(db))


__all__ = ["Database", "StoreUnavailable", "describe", "is_postgres_url", "open_database"]
