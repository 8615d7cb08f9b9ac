"""Feedback endpoint and store: validation, persistence, idempotence, concurrent writers."""

from __future__ import annotations

import subprocess
import sys
import threading
from pathlib import Path
from typing import Any

import httpx
import pytest

from hooks.store.feedback import FeedbackRecord, SqliteFeedbackStore
from hooks.web.settings import Settings
from tests.service.conftest import ClientFactory
from tests.service.invariants import is_operation_outcome

pytestmark = pytest.mark.anyio

FEEDBACK = "/cds-services/sarcoma-staging/feedback"
CARD = "4e0a3a1e-3283-4575-ab82-028d55fe2719"
SUGGESTION = "e56e1945-20b3-4393-8503-a1a20fd73152"

ACCEPTED = {
    "feedback": [
        {
            "card": CARD,
            "outcome": "accepted",
            "acceptedSuggestions": [{"id": SUGGESTION}],
            "outcomeTimestamp": "2026-01-02T10:05:31Z",
        }
    ]
}
OVERRIDDEN = {
    "feedback": [
        {
            "card": CARD,
            "outcome": "overridden",
            "overrideReason": {
                "reason": {"code": "d7ecf885", "system": "https://example.com/override"},
                "userComment": "Staged at the tumor board already.",
            },
            "outcomeTimestamp": "2026-01-02T10:06:00Z",
            "extension": {"x": 1},
        }
    ]
}


def stored(settings: Settings) -> list[FeedbackRecord]:
    return list(SqliteFeedbackStore(settings.db).export())


async def test_accepted_feedback_is_stored(client: httpx.AsyncClient, settings: Settings) -> None:
    response = await client.post(FEEDBACK, json=ACCEPTED)
    assert response.status_code == 200
    assert response.json() == {"received": 1, "stored": 1}
    [record] = stored(settings)
    assert record.service_id == "sarcoma-staging"
    assert record.card == CARD
    assert record.outcome == "accepted"
    assert record.accepted_suggestions == (SUGGESTION,)
    assert record.outcome_timestamp == "2026-01-02T10:05:31Z"


async def test_override_reason_is_stored(client: httpx.AsyncClient, settings: Settings) -> None:
    assert (await client.post(FEEDBACK, json=OVERRIDDEN)).status_code == 200
    [record] = stored(settings)
    assert record.outcome == "overridden"
    assert record.override_code == "d7ecf885"
    assert record.override_system == "https://example.com/override"
    assert record.user_comment == "Staged at the tumor board already."


async def test_duplicates_are_idempotent(client: httpx.AsyncClient, settings: Settings) -> None:
    first = await client.post(FEEDBACK, json=ACCEPTED)
    second = await client.post(FEEDBACK, json=ACCEPTED)
    assert first.json() == {"received": 1, "stored": 1}
    assert second.status_code == 200
    assert second.json() == {"received": 1, "stored": 0}
    assert len(stored(settings)) == 1


def _entry(**changes: Any) -> dict[str, Any]:
    entry: dict[str, Any] = dict(ACCEPTED["feedback"][0])
    entry.update(changes)
    return {"feedback": [{k: v for k, v in entry.items() if v is not None}]}


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"feedback": []},
        {"feedback": "yes"},
        _entry(card=None),
        _entry(card=""),
        _entry(outcome="ignored"),
        _entry(acceptedSuggestions=None),
        _entry(acceptedSuggestions=[]),
        _entry(acceptedSuggestions=[{"uuid": SUGGESTION}]),
        _entry(outcomeTimestamp=None),
    ],
)
async def test_invalid_feedback_is_400(
    client: httpx.AsyncClient, settings: Settings, body: dict[str, Any]
) -> None:
    response = await client.post(FEEDBACK, json=body)
    assert response.status_code == 400
    assert is_operation_outcome(response.json())
    assert stored(settings) == []


async def test_malformed_feedback_json_is_400(client: httpx.AsyncClient) -> None:
    response = await client.post(
        FEEDBACK, content=b"{", headers={"Content-Type": "application/json"}
    )
    assert response.status_code == 400
    assert is_operation_outcome(response.json())


async def test_feedback_survives_an_app_restart(
    make_client: ClientFactory, settings: Settings
) -> None:
    async with make_client() as client:
        assert (await client.post(FEEDBACK, json=ACCEPTED)).status_code == 200
    async with make_client() as client:
        assert (await client.post(FEEDBACK, json=OVERRIDDEN)).json()["stored"] == 1
        assert (await client.post(FEEDBACK, json=ACCEPTED)).json()["stored"] == 0
    assert [r.outcome for r in stored(settings)] == ["accepted", "overridden"]
    assert settings.db.is_file()


def test_store_is_created_in_wal_mode(tmp_path: Path) -> None:
    import sqlite3  # noqa: PLC0415

    path = tmp_path / "new" / "dir" / "fb.sqlite3"
    SqliteFeedbackStore(path).initialize()
    with sqlite3.connect(path) as conn:
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


def _record(i: int, writer: str) -> FeedbackRecord:
    return FeedbackRecord(
        service_id="sarcoma-staging",
        card=f"card-{writer}-{i}",
        outcome="overridden",
        outcome_timestamp="2026-01-02T10:00:00Z",
    )


def test_concurrent_writers_threads_and_processes(tmp_path: Path) -> None:
    path = tmp_path / "fb.sqlite3"
    SqliteFeedbackStore(path).initialize()
    per_writer = 40

    def write(writer: str) -> None:
        store = SqliteFeedbackStore(path)
        for i in range(per_writer):
            store.add([_record(i, writer), _record(i, "shared")])

    script = (
        "import sys; from pathlib import Path;"
        "from hooks.store.feedback import SqliteFeedbackStore, FeedbackRecord as R;"
        "s = SqliteFeedbackStore(Path(sys.argv[1]));"
        "[s.add([R('sarcoma-staging', f'card-{sys.argv[2]}-{i}', 'overridden',"
        " '2026-01-02T10:00:00Z'), R('sarcoma-staging', f'card-shared-{i}', 'overridden',"
        " '2026-01-02T10:00:00Z')]) for i in range(int(sys.argv[3]))]"
    )
    processes = [
        subprocess.Popen([sys.executable, "-c", script, str(path), f"proc{n}", str(per_writer)])
        for n in range(2)
    ]
    threads = [threading.Thread(target=write, args=(f"thread{n}",)) for n in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    for p in processes:
        assert p.wait(timeout=60) == 0
    cards = [r.card for r in SqliteFeedbackStore(path).export()]
    assert len(cards) == len(set(cards))
    # 5 writers x 40 own cards, plus the 40 "shared" cards stored once despite 5 writers
    assert len(cards) == 5 * per_writer + per_writer


def test_feedback_never_stores_tokens(tmp_path: Path) -> None:
    store = SqliteFeedbackStore(tmp_path / "fb.sqlite3")
    store.initialize()
    store.add([_record(1, "x")])
    fields = set(next(iter(store.export())).as_json())
    assert not {f for f in fields if "token" in f or "auth" in f}
