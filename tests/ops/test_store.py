"""The storage suite, run on both backends (SQLite file and a real PostgreSQL server):
versioned migrations, idempotent feedback, the jti replay store, concurrency, readiness."""

from __future__ import annotations

import sqlite3
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import psycopg
import pytest

from hooks.store.database import Database, describe, is_postgres_url, open_database
from hooks.store.errors import StoreUnavailable
from hooks.store.feedback import FeedbackRecord
from hooks.store.migrations import LATEST, MIGRATIONS
from tests.ops.postgres_server import PostgresServer


@pytest.fixture(params=["sqlite", "postgresql"])
def target(request: pytest.FixtureRequest, tmp_path: Path) -> str | Path:
    if request.param == "sqlite":
        return tmp_path / "var" / "store.sqlite3"
    server: PostgresServer = request.getfixturevalue("postgres")
    return server.create_database()


@pytest.fixture
def database(target: str | Path) -> Iterator[Database]:
    db = open_database(target, pool_size=4, timeout=3.0)
    db.initialize()
    yield db
    db.close()


def versions(target: str | Path) -> list[tuple[int, str]]:
    sql = "SELECT version, description FROM schema_version ORDER BY version"
    if is_postgres_url(target):
        with psycopg.connect(str(target)) as conn:
            return [(int(v), str(d)) for v, d in conn.execute(sql).fetchall()]
    with sqlite3.connect(target) as conn:
        return [(int(v), str(d)) for v, d in conn.execute(sql).fetchall()]


def record(card: str, outcome: str = "accepted", **kw: str) -> FeedbackRecord:
    return FeedbackRecord(
        service_id="sarcoma-staging",
        card=card,
        outcome=outcome,
        outcome_timestamp=kw.pop("when", "2026-03-02T14:05:00Z"),
        **kw,  # type: ignore[arg-type]
    )


def test_start_up_applies_every_migration_once(database: Database, target: str | Path) -> None:
    assert versions(target) == [(m.version, m.description) for m in MIGRATIONS]
    assert versions(target)[-1][0] == LATEST
    again = open_database(target)
    again.initialize()  # a second instance starting on the same database
    again.close()
    assert versions(target) == [(m.version, m.description) for m in MIGRATIONS]


def test_concurrent_start_ups_migrate_once(target: str | Path) -> None:
    def start() -> None:
        db = open_database(target, pool_size=1)
        db.initialize()
        db.close()

    with ThreadPoolExecutor(4) as pool:
        for future in [pool.submit(start) for _ in range(4)]:
            future.result()
    assert [v for v, _ in versions(target)] == [m.version for m in MIGRATIONS]


def test_feedback_is_stored_once_and_exported_in_order(database: Database) -> None:
    first = [
        record("card-1", accepted_suggestions=("s2", "s1")),
        record(
            "card-2",
            "overridden",
            override_system="http://example.org/override-reasons",
            override_code="patient-declined",
            override_display="Patient declined",
            user_comment="discussed at tumour board",
        ),
    ]
    assert database.feedback.add(first) == 2
    assert database.feedback.add(first) == 0  # a retried call: nothing new
    assert database.feedback.add([record("card-1", accepted_suggestions=("s1", "s2"))]) == 0
    assert database.feedback.add([record("card-3", when="2026-03-02T14:06:00Z")]) == 1
    exported = list(database.feedback.export())
    assert [r.card for r in exported] == ["card-1", "card-2", "card-3"]
    assert exported[0].accepted_suggestions == ("s1", "s2")
    assert exported[1].override_code == "patient-declined"
    assert exported[1].user_comment == "discussed at tumour board"
    assert all(r.received_at.endswith("Z") for r in exported)


def test_concurrent_feedback_from_many_threads_is_all_stored(database: Database) -> None:
    def post(i: int) -> int:
        return database.feedback.add([record(f"card-{i}"), record(f"card-{i}")])

    with ThreadPoolExecutor(8) as pool:
        added = list(pool.map(post, range(60)))
    assert added == [1] * 60
    assert sorted(r.card for r in database.feedback.export()) == sorted(
        f"card-{i}" for i in range(60)
    )


def test_replay_first_use_wins(database: Database) -> None:
    replay = database.replay
    exp = time.time() + 300
    assert replay.remember("https://ehr.example.org", "jti-1", exp) is True
    assert replay.remember("https://ehr.example.org", "jti-1", exp) is False
    assert replay.remember("https://other.example.org", "jti-1", exp) is True
    assert replay.remember("https://ehr.example.org", "jti-2", exp) is True


def test_an_expired_jti_may_be_used_again(database: Database) -> None:
    replay = database.replay
    assert replay.remember("iss", "old", time.time() - 1) is True
    assert replay.remember("iss", "old", time.time() + 300) is True
    assert replay.remember("iss", "old", time.time() + 300) is False


def test_one_winner_per_jti_across_threads(target: str | Path, database: Database) -> None:
    # Separate store objects (as separate processes have), racing on the same jtis.
    others = [open_database(target, pool_size=2) for _ in range(3)]
    for other in others:
        other.initialize()
    stores = [database.replay, *(o.replay for o in others)]
    barrier = threading.Barrier(len(stores))
    exp = time.time() + 300

    def race(index: int) -> int:
        barrier.wait()
        return sum(stores[index].remember("iss", f"jti-{j}", exp) for j in range(40))

    with ThreadPoolExecutor(len(stores)) as pool:
        wins = list(pool.map(race, range(len(stores))))
    for other in others:
        other.close()
    assert sum(wins) == 40


def test_ping_answers_when_the_store_is_up(database: Database) -> None:
    database.ping()  # raises StoreUnavailable otherwise


def test_an_unreachable_postgresql_is_store_unavailable_not_a_crash() -> None:
    from tests.service.fhir_server import free_port  # noqa: PLC0415

    db = open_database(f"postgresql://postgres@127.0.0.1:{free_port()}/none", timeout=1.0)
    with pytest.raises(StoreUnavailable, match="database is unavailable"):
        db.initialize()
    with pytest.raises(StoreUnavailable):
        db.ping()
    with pytest.raises(StoreUnavailable):
        db.replay.remember("iss", "jti", time.time() + 60)
    with pytest.raises(StoreUnavailable):
        db.feedback.add([record("card-x")])
    db.close()


def test_describe_masks_the_password() -> None:
    url = "postgresql://cds:s3cr3t-pw@db.example.org:5432/cds?sslmode=verify-full"
    assert "s3cr3t-pw" not in describe(url)
    assert describe(url) == "postgresql://cds:***@db.example.org:5432/cds?sslmode=verify-full"
    assert describe(Path("var/x.sqlite3")) == "var/x.sqlite3"


def test_a_database_of_the_release_before_migrations_is_adopted_with_its_rows(
    tmp_path: Path,
) -> None:
    """Earlier releases created the SQLite tables without ``schema_version``: start-up records
    version 1 over them and keeps every stored row."""
    path = tmp_path / "old.sqlite3"
    with sqlite3.connect(path) as conn:
        for statement in MIGRATIONS[0].sqlite:
            conn.execute(statement)
        conn.execute(
            "INSERT INTO feedback (service_id, card, outcome, outcome_timestamp, received_at)"
            " VALUES ('sarcoma-staging', 'old-card', 'overridden', '2025-12-01T10:00:00Z',"
            " '2025-12-01T10:00:01Z')"
        )
    db = open_database(path)
    db.initialize()
    assert [v for v, _ in versions(path)] == [m.version for m in MIGRATIONS]
    assert [r.card for r in db.feedback.export()] == ["old-card"]
    db.close()
