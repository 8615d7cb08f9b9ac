"""Versioned schema migrations for the feedback and JWT ``jti`` replay tables (both backends).

No ORM: each migration is a version number, a description and the SQL for SQLite and for
PostgreSQL. ``schema_version`` records what was applied. Migrations run at start-up in one
transaction under a lock (``BEGIN IMMEDIATE`` in SQLite, an advisory transaction lock in
PostgreSQL), so several workers or instances starting together apply each migration once.
Migrations only ever add: a release never drops what an older replica still reads, which keeps
rolling upgrades safe. A database already at a newer version than this release knows is used
as it is (with a warning).
"""

from __future__ import annotations

import logging
import sqlite3
from dataclasses import dataclass
from typing import Any

log = logging.getLogger("hooks.store")

#: pg_advisory_xact_lock key: "sarcoma-cds migrations" (any constant shared by all replicas).
ADVISORY_LOCK = 5_117_200_015


@dataclass(frozen=True, slots=True)
class Migration:
    version: int
    description: str
    sqlite: tuple[str, ...]
    postgres: tuple[str, ...]


_FEEDBACK_COLUMNS = """
    service_id TEXT NOT NULL,
    card TEXT NOT NULL,
    outcome TEXT NOT NULL CHECK (outcome IN ('accepted', 'overridden')),
    outcome_timestamp TEXT NOT NULL,
    accepted_suggestions TEXT NOT NULL DEFAULT '',
    override_system TEXT NOT NULL DEFAULT '',
    override_code TEXT NOT NULL DEFAULT '',
    override_display TEXT NOT NULL DEFAULT '',
    user_comment TEXT NOT NULL DEFAULT '',
    received_at TEXT NOT NULL,
    UNIQUE (service_id, card, outcome, outcome_timestamp, accepted_suggestions,
            override_system, override_code, user_comment)
"""

MIGRATIONS: tuple[Migration, ...] = (
    Migration(
        1,
        "card feedback and JWT jti replay tables",
        sqlite=(
            "CREATE TABLE IF NOT EXISTS feedback ("
            " id INTEGER PRIMARY KEY AUTOINCREMENT," + _FEEDBACK_COLUMNS + ")",
            "CREATE TABLE IF NOT EXISTS auth_jti ("
            " iss TEXT NOT NULL, jti TEXT NOT NULL, expires_at REAL NOT NULL,"
            " PRIMARY KEY (iss, jti)) WITHOUT ROWID",
            "CREATE INDEX IF NOT EXISTS auth_jti_expiry ON auth_jti (expires_at)",
        ),
        postgres=(
            "CREATE TABLE IF NOT EXISTS feedback ("
            " id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY," + _FEEDBACK_COLUMNS + ")",
            "CREATE TABLE IF NOT EXISTS auth_jti ("
            " iss TEXT NOT NULL, jti TEXT NOT NULL, expires_at DOUBLE PRECISION NOT NULL,"
            " PRIMARY KEY (iss, jti))",
            "CREATE INDEX IF NOT EXISTS auth_jti_expiry ON auth_jti (expires_at)",
        ),
    ),
)

LATEST = MIGRATIONS[-1].version

_VERSION_TABLE = (
    "CREATE TABLE IF NOT EXISTS schema_version ("
    " version INTEGER PRIMARY KEY, description TEXT NOT NULL, applied_at TEXT NOT NULL)"
)
_NOW = {"sqlite": "strftime('%Y-%m-%dT%H:%M:%SZ', 'now')", "postgres": "now()::text"}


def _pending(current: int, where: str) -> list[Migration]:
    if current > LATEST:
        log.warning(
            "%s: schema version %d is newer than this release knows (%d); using it as it is",
            where,
            current,
            LATEST,
        )
    return [m for m in MIGRATIONS if m.version > current]


def migrate_sqlite(conn: sqlite3.Connection, where: str = "SQLite database") -> int:
    """Apply pending migrations (``conn`` in autocommit mode); return the schema version."""
    conn.execute("BEGIN IMMEDIATE")
    try:
        conn.execute(_VERSION_TABLE)
        current = int(
            conn.execute("SELECT coalesce(max(version), 0) FROM schema_version").fetchone()[0]
        )
        for migration in _pending(current, where):
            for statement in migration.sqlite:
                conn.execute(statement)
            conn.execute(
                f"INSERT INTO schema_version VALUES (?, ?, {_NOW['sqlite']})",  # noqa: S608 - constant
                (migration.version, migration.description),
            )
            log.info(
                "%s: applied migration %d (%s)", where, migration.version, migration.description
            )
            current = migration.version
        conn.execute("COMMIT")
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    return current


def migrate_postgres(conn: Any, where: str = "PostgreSQL database") -> int:
    """Apply pending migrations on a psycopg connection; return the schema version."""
    with conn.transaction():
        conn.execute("SELECT pg_advisory_xact_lock(%s)", (ADVISORY_LOCK,))
        conn.execute(_VERSION_TABLE)
        row = conn.execute("SELECT coalesce(max(version), 0) FROM schema_version").fetchone()
        current = int(row[0])
        for migration in _pending(current, where):
            for statement in migration.postgres:
                conn.execute(statement)
            conn.execute(
                f"INSERT INTO schema_version VALUES (%s, %s, {_NOW['postgres']})",  # noqa: S608 - constant
                (migration.version, migration.description),
            )
            log.info(
                "%s: applied migration %d (%s)", where, migration.version, migration.description
            )
            current = migration.version
    return current
