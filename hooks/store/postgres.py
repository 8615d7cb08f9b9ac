"""PostgreSQL store: card feedback and the JWT ``jti`` replay table, shared by every instance.

Several replicas of the service (each with several worker processes) use one database. Each
process has a small psycopg 3 connection pool; connections are checked before use, so after a
database restart broken connections are dropped and new ones made without restarting the
service. While the database cannot be reached a call waits at most ``timeout`` seconds for a
connection and then raises :class:`StoreUnavailable` (answered as 503 by the app).

"Acknowledged means stored": ``add`` returns only after the transaction holding the rows has
committed (PostgreSQL's default ``synchronous_commit = on`` makes the commit durable), so a
feedback call is answered 200 only for rows that survive a crash of the service.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator, Sequence
from typing import Any

import psycopg
from psycopg_pool import ConnectionPool

from hooks.store.errors import StoreUnavailable
from hooks.store.feedback import _COLUMNS, FeedbackRecord, feedback_rows, record_from_row
from hooks.store.migrations import migrate_postgres
from hooks.store.replay import PURGE_INTERVAL

_INSERT = (
    f"INSERT INTO feedback ({', '.join(_COLUMNS)}) "  # noqa: S608 - fixed column names
    f"VALUES ({', '.join('%s' for _ in _COLUMNS)}) ON CONFLICT DO NOTHING"
)
_EXPORT = f"SELECT {', '.join(_COLUMNS)} FROM feedback ORDER BY id"  # noqa: S608 - fixed names
# First use wins atomically; an expired entry for the same pair may be taken over (its reuse
# is legal once the token it belonged to has expired). No row returned: a replay.
_REMEMBER = (
    "INSERT INTO auth_jti (iss, jti, expires_at) VALUES (%s, %s, %s) "
    "ON CONFLICT (iss, jti) DO UPDATE SET expires_at = EXCLUDED.expires_at "
    "WHERE auth_jti.expires_at <= %s RETURNING 1"
)
_ERRORS = (psycopg.OperationalError, psycopg.InterfaceError)


class PostgresStore:
    """Feedback store and replay store on one PostgreSQL database (``postgresql://`` URL)."""

    def __init__(self, url: str, *, pool_size: int = 10, timeout: float = 3.0) -> None:
        self._timeout = timeout
        self._pool = ConnectionPool(
            url,
            min_size=1,
            max_size=max(1, pool_size),
            open=False,
            timeout=timeout,
            check=ConnectionPool.check_connection,
            kwargs={"connect_timeout": max(1, round(timeout)), "application_name": "sarcoma-cds"},
            name="sarcoma-cds",
        )
        self._purge_lock = threading.Lock()
        self._last_purge = 0.0
        self._opened = False

    # -- life cycle ---------------------------------------------------------------------------

    def initialize(self, wait: float | None = None) -> None:
        """Open the pool and apply pending migrations; raise ``StoreUnavailable`` if the
        database does not answer within ``wait`` seconds (default: the call timeout)."""
        if not self._opened:
            self._pool.open(wait=False)
            self._opened = True
        try:
            with self._pool.connection(timeout=wait or self._timeout) as conn:
                migrate_postgres(conn)
        except _ERRORS:
            raise StoreUnavailable("start-up migration") from None

    def close(self) -> None:
        if self._opened:
            self._pool.close()
            self._opened = False

    def ping(self) -> None:
        try:
            with self._pool.connection() as conn:
                conn.execute("SELECT max(version) FROM schema_version").fetchone()
        except _ERRORS:
            raise StoreUnavailable("readiness check") from None

    # -- feedback -----------------------------------------------------------------------------

    def add(self, records: Sequence[FeedbackRecord]) -> int:
        rows = feedback_rows(records)
        try:
            with self._pool.connection() as conn, conn.transaction():
                added = 0
                with conn.cursor() as cur:
                    for row in rows:
                        cur.execute(_INSERT, row)
                        added += max(cur.rowcount, 0)
        except _ERRORS:
            # The transaction did not commit (or its outcome is unknown): nothing is
            # acknowledged, and a retry by the client is stored once (unique key).
            raise StoreUnavailable("storing feedback") from None
        return added

    def export(self) -> Iterator[FeedbackRecord]:
        try:
            with self._pool.connection() as conn:
                rows = conn.execute(_EXPORT).fetchall()
        except _ERRORS:
            raise StoreUnavailable("exporting feedback") from None
        for row in rows:
            yield record_from_row(row)

    # -- JWT replay ---------------------------------------------------------------------------

    def remember(self, iss: str, jti: str, expires_at: float) -> bool:
        now = time.time()
        try:
            with self._pool.connection() as conn, conn.transaction():
                # Visible to every instance at commit; not waiting for the WAL flush saves a
                # disk sync per call. A database crash could forget the last few jtis (tokens
                # of minutes); feedback, by contrast, always waits for the flush.
                conn.execute("SET LOCAL synchronous_commit TO OFF")
                fresh = conn.execute(_REMEMBER, (iss, jti, expires_at, now)).fetchone()
            self._maybe_purge(now)
        except _ERRORS:
            # Never "accept because the store is down": the caller answers 503.
            raise StoreUnavailable("checking the token against replay") from None
        return fresh is not None

    def _maybe_purge(self, now: float) -> None:
        with self._purge_lock:
            if now - self._last_purge < PURGE_INTERVAL:
                return
            self._last_purge = now
        with self._pool.connection() as conn:
            conn.execute("DELETE FROM auth_jti WHERE expires_at <= %s", (now,))

    def count(self) -> int:
        """Rows in the replay table (expired ones included until the next purge)."""
        with self._pool.connection() as conn:
            row: Any = conn.execute("SELECT count(*) FROM auth_jti").fetchone()
        return int(row[0])
