"""Card feedback (CDS Hooks 2.0 "Feedback"): a small store interface and its SQLite version.

SQLite is the embedded default (PostgreSQL for several instances: ``hooks.store.postgres``;
the schema is in ``hooks.store.migrations``): the file is created at start-up, runs in WAL
mode, and every operation opens its own short-lived connection with a busy timeout, so several
worker processes can write to one file. Calls run in a worker thread (``asyncio.to_thread``) to keep
sqlite off the event loop. A repeated report of the same feedback is stored once (unique key).
Tokens are never stored: only the fields below.
"""

from __future__ import annotations

import asyncio
import sqlite3
import time
from collections.abc import Iterator, Sequence
from contextlib import closing
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Protocol

from hooks.store.errors import StoreUnavailable
from hooks.store.migrations import migrate_sqlite

BUSY_TIMEOUT_MS = 5000


@dataclass(frozen=True, slots=True)
class FeedbackRecord:
    service_id: str
    card: str
    outcome: str  # "accepted" | "overridden"
    outcome_timestamp: str
    accepted_suggestions: tuple[str, ...] = ()
    override_system: str = ""
    override_code: str = ""
    override_display: str = ""
    user_comment: str = ""
    received_at: str = ""

    def as_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["accepted_suggestions"] = list(self.accepted_suggestions)
        return data


class FeedbackStore(Protocol):
    """Where feedback goes: SQLite here, PostgreSQL in ``hooks.store.postgres``."""

    def initialize(self) -> None:
        """Create the storage if needed; raise at start-up when it cannot be used."""

    def add(self, records: Sequence[FeedbackRecord]) -> int:
        """Store records, ignoring exact repeats; return how many were new."""

    def export(self) -> Iterator[FeedbackRecord]:
        """Every stored record, oldest first."""


_COLUMNS = (
    "service_id",
    "card",
    "outcome",
    "outcome_timestamp",
    "accepted_suggestions",
    "override_system",
    "override_code",
    "override_display",
    "user_comment",
    "received_at",
)


def enable_wal(conn: sqlite3.Connection) -> str:
    """Switch to WAL. Changing the journal mode of a new database needs an exclusive lock and
    SQLite answers "database is locked" at once, without its busy handler, while another
    process (a second worker starting) holds the file: retry for up to the busy timeout."""
    deadline = time.monotonic() + BUSY_TIMEOUT_MS / 1000
    while True:
        try:
            return str(conn.execute("PRAGMA journal_mode = WAL").fetchone()[0])
        except sqlite3.OperationalError as error:
            if "locked" not in str(error) or time.monotonic() > deadline:
                raise
            time.sleep(0.02)


class SqliteFeedbackStore:
    def __init__(self, path: Path) -> None:
        self.path = path

    def _connect(self) -> sqlite3.Connection:
        conn = sqlite3.connect(self.path, timeout=BUSY_TIMEOUT_MS / 1000, isolation_level=None)
        conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
        return conn

    def initialize(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with closing(self._connect()) as conn:
            mode = enable_wal(conn)
            if str(mode).lower() != "wal":
                raise RuntimeError(f"feedback database {self.path} cannot use WAL mode")
            migrate_sqlite(conn, f"SQLite database {self.path}")

    def ping(self) -> None:
        """Raise ``StoreUnavailable`` unless the database answers (readiness)."""
        try:
            with closing(self._connect()) as conn:
                conn.execute("SELECT max(version) FROM schema_version").fetchone()
        except sqlite3.Error:
            raise StoreUnavailable("readiness check") from None

    def add(self, records: Sequence[FeedbackRecord]) -> int:
        try:
            return self._add(records)
        except sqlite3.OperationalError:
            raise StoreUnavailable("storing feedback") from None

    def _add(self, records: Sequence[FeedbackRecord]) -> int:
        rows = feedback_rows(records)
        placeholders = ", ".join("?" for _ in _COLUMNS)
        sql = f"INSERT OR IGNORE INTO feedback ({', '.join(_COLUMNS)}) VALUES ({placeholders})"  # noqa: S608 - fixed column names
        with closing(self._connect()) as conn:
            conn.execute("BEGIN IMMEDIATE")
            try:
                before = conn.total_changes
                conn.executemany(sql, rows)
                added = conn.total_changes - before
                conn.execute("COMMIT")
            except BaseException:
                conn.execute("ROLLBACK")
                raise
        return added

    def export(self) -> Iterator[FeedbackRecord]:
        sql = f"SELECT {', '.join(_COLUMNS)} FROM feedback ORDER BY id"  # noqa: S608 - fixed column names
        with closing(self._connect()) as conn:
            for row in conn.execute(sql):
                yield record_from_row(row)


def feedback_rows(records: Sequence[FeedbackRecord]) -> list[tuple[str, ...]]:
    """Rows in ``_COLUMNS`` order; suggestions sorted so a repeat is an exact duplicate."""
    now = datetime.now(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")
    return [
        (
            r.service_id,
            r.card,
            r.outcome,
            r.outcome_timestamp,
            " ".join(sorted(r.accepted_suggestions)),
            r.override_system,
            r.override_code,
            r.override_display,
            r.user_comment,
            r.received_at or now,
        )
        for r in records
    ]


def record_from_row(row: Sequence[Any]) -> FeedbackRecord:
    values = dict(zip(_COLUMNS, row, strict=True))
    suggestions = values.pop("accepted_suggestions")
    return FeedbackRecord(
        accepted_suggestions=tuple(suggestions.split()) if suggestions else (), **values
    )


async def add_feedback(store: FeedbackStore, records: Sequence[FeedbackRecord]) -> int:
    """Store feedback without blocking the event loop."""
    return await asyncio.to_thread(store.add, records)
