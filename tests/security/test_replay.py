"""The jti replay store: one acceptance per (iss, jti), shared across worker processes."""

from __future__ import annotations

import json
import multiprocessing
import sqlite3
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from hooks.store.replay import MemoryReplayStore, ReplayStore, SqliteReplayStore
from tests.security.servers import uvicorn_process
from tests.security.test_attacks import REQUEST
from tests.security.tokens import PUBLIC_BASE, SERVICE_AUD, SERVICE_PATH, Signer


@pytest.fixture(params=["sqlite", "memory"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[ReplayStore]:
    if request.param == "memory":
        yield MemoryReplayStore()
        return
    sqlite = SqliteReplayStore(tmp_path / "replay.sqlite3")
    yield sqlite
    sqlite.close()


def test_first_use_accepted_second_refused(store: ReplayStore) -> None:
    exp = time.time() + 300
    assert store.remember("iss-a", "jti-1", exp) is True
    assert store.remember("iss-a", "jti-1", exp) is False
    assert store.remember("iss-b", "jti-1", exp) is True  # jti is unique per issuer
    assert store.remember("iss-a", "jti-2", exp) is True


def test_an_expired_entry_frees_its_jti(store: ReplayStore) -> None:
    assert store.remember("iss", "old", time.time() - 1) is True
    assert store.remember("iss", "old", time.time() + 300) is True
    assert store.remember("iss", "old", time.time() + 300) is False


def test_sqlite_store_purges_expired_rows(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    store = SqliteReplayStore(tmp_path / "replay.sqlite3")
    for i in range(20):
        store.remember("iss", f"gone-{i}", time.time() - 10)
    monkeypatch.setattr("hooks.store.replay.PURGE_INTERVAL", 0.0)
    store.remember("iss", "fresh", time.time() + 300)
    assert store.count() == 1
    store.close()


def test_sqlite_store_uses_wal(tmp_path: Path) -> None:
    SqliteReplayStore(tmp_path / "r.sqlite3").close()
    db = sqlite3.connect(tmp_path / "r.sqlite3")
    assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    db.close()


def _race(path: str, jtis: list[str], results: multiprocessing.Queue[int]) -> None:
    store = SqliteReplayStore(Path(path))
    accepted = sum(store.remember("iss", jti, time.time() + 300) for jti in jtis)
    store.close()
    results.put(accepted)


def test_two_processes_racing_on_the_same_jtis(tmp_path: Path) -> None:
    """Every jti is accepted exactly once, whichever process sees it first."""
    path = str(tmp_path / "race.sqlite3")
    SqliteReplayStore(Path(path)).close()
    jtis = [f"jti-{i}" for i in range(300)]
    context = multiprocessing.get_context("spawn")
    results: multiprocessing.Queue[int] = context.Queue()
    workers = [context.Process(target=_race, args=(path, jtis, results)) for _ in range(2)]
    for worker in workers:
        worker.start()
    totals = [results.get(timeout=60) for _ in workers]
    for worker in workers:
        worker.join(timeout=30)
        assert worker.exitcode == 0
    assert sum(totals) == len(jtis)


def test_replay_refused_across_two_worker_processes(tmp_path: Path) -> None:
    """Two uvicorn workers sharing one database: a token used on one is refused on the other."""
    signer = Signer(iss="https://ehr.example.org", alg="ES384")
    issuers = tmp_path / "issuers.json"
    issuers.write_text(json.dumps({"issuers": [{"iss": signer.iss, "jwks": signer.jwks()}]}))
    env = {
        "SARCOMA_CDS_AUTH": "on",
        "SARCOMA_CDS_TRUSTED_ISSUERS": str(issuers),
        "SARCOMA_CDS_PUBLIC_BASE_URL": PUBLIC_BASE,
        "SARCOMA_CDS_DB": str(tmp_path / "shared.sqlite3"),
    }
    target = "tests.security.app_under_test:create"
    with (
        uvicorn_process(target, env, factory=True, ready_path="/cds-services") as first,
        uvicorn_process(target, env, factory=True, ready_path="/cds-services") as second,
    ):
        assert first.process.pid != second.process.pid
        token = signer.token(SERVICE_AUD)
        headers = {"Authorization": f"Bearer {token}"}
        accepted = httpx.post(first.base + SERVICE_PATH, json=REQUEST, headers=headers)
        assert accepted.status_code == 200
        replayed = httpx.post(second.base + SERVICE_PATH, json=REQUEST, headers=headers)
        assert replayed.status_code == 401
        assert replayed.content == b""
        again = httpx.post(first.base + SERVICE_PATH, json=REQUEST, headers=headers)
        assert again.status_code == 401
        fresh = {"Authorization": f"Bearer {signer.token(SERVICE_AUD)}"}
        assert (
            httpx.post(second.base + SERVICE_PATH, json=REQUEST, headers=fresh).status_code == 200
        )
