"""The ``jti`` replay store: a token's id is accepted once within the token's lifetime.

CDS Hooks 2.0 asks services to refuse a JWT whose ``jti`` was already seen. Workers are
separate processes, so the store must be shared: by default the service's embedded SQLite
database (its own table, WAL journal), where a unique key makes "first insert wins" atomic
across processes; with several instances, PostgreSQL (``hooks.store.postgres``). A store that
cannot answer raises ``StoreUnavailable``: the call is refused with 503, never let through.
"""

from __future__ import annotations

import sqlite3
import threading
import time
from pathlib import Path
from typing import Protocol

from hooks.store.errors import StoreUnavailable
from hooks.store.feedback import enable_wal

#: Expired rows are purged at most this often (seconds) by each process.
PURGE_INTERVAL = 60.0


class ReplayStore(Protocol):
    def remember(self, iss: str, jti: str, expires_at: float) -> bool:
        """Record ``(iss, jti)`` until ``expires_at`` (epoch seconds).

        ``True`` the first time; ``False`` when the pair is already recorded and unexpired.
        """
        ...


class MemoryReplayStore:
    """One process only: for tests and single-worker development."""

    def __init__(self) -> None:
        self._seen: dict[tuple[str, str], float] = {}
        self._lock = threading.Lock()

    def remember(self, iss: str, jti: str, expires_at: float) -> bool:
        now = time.time()
        with self._lock:
            for key in [k for k, exp in self._seen.items() if exp <= now]:
                del self._seen[key]
            if (iss, jti) in self._seen:
                return False
            self._seen[(iss, jti)] = expires_at
            return True


class SqliteReplayStore:
    """Shared by every worker process using the same database file."""

    def __init__(self, path: Path) -> None:
        self._path = path
        self._lock = threading.Lock()
        self._last_purge = 0.0
        path.parent.mkdir(parents=True, exist_ok=True)
        # isolation_level=None: we issue BEGIN ourselves, so each call is one short transaction.
        self._db = sqlite3.connect(path, timeout=5.0, isolation_level=None, check_same_thread=False)
        enable_wal(self._db)
        self._db.execute("PRAGMA synchronous=NORMAL")
        self._db.execute(
            "CREATE TABLE IF NOT EXISTS auth_jti ("
            " iss TEXT NOT NULL, jti TEXT NOT NULL, expires_at REAL NOT NULL,"
            " PRIMARY KEY (iss, jti)) WITHOUT ROWID"
        )
        self._db.execute("CREATE INDEX IF NOT EXISTS auth_jti_expiry ON auth_jti (expires_at)")

    def remember(self, iss: str, jti: str, expires_at: float) -> bool:
        try:
            return self._remember(iss, jti, expires_at)
        except sqlite3.OperationalError:  # locked past the busy timeout, disk full, ...
            raise StoreUnavailable("checking the token against replay") from None

    def _remember(self, iss: str, jti: str, expires_at: float) -> bool:
        now = time.time()
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                if now - self._last_purge >= PURGE_INTERVAL:
                    self._db.execute("DELETE FROM auth_jti WHERE expires_at <= ?", (now,))
                    self._last_purge = now
                else:
                    # An expired entry for this very pair must not block its (legal) reuse.
                    self._db.execute(
                        "DELETE FROM auth_jti WHERE iss = ? AND jti = ? AND expires_at <= ?",
                        (iss, jti, now),
                    )
                try:
                    self._db.execute(
                        "INSERT INTO auth_jti (iss, jti, expires_at) VALUES (?, ?, ?)",
                        (iss, jti, expires_at),
                    )
                except sqlite3.IntegrityError:
                    self._db.execute("ROLLBACK")
                    return False
                self._db.execute("COMMIT")
                return True
            except BaseException:
                if self._db.in_transaction:
                    self._db.execute("ROLLBACK")
                raise

    def count(self) -> int:
        """Rows currently stored (expired ones included until the next purge)."""
        with self._lock:
            row = self._db.execute("SELECT COUNT(*) FROM auth_jti").fetchone()
        return int(row[0])

    def close(self) -> None:
        with self._lock:
            self._db.close()
