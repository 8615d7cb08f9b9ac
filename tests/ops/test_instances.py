"""Several instances on one PostgreSQL, as a hospital deploys them: two ``sarcoma-cds serve
--workers 2`` processes, authentication on, sharing the replay store and the feedback table."""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest

from tests.ops.instances import Instance, auth_env, export, instance, post_feedback
from tests.ops.postgres_server import PostgresServer
from tests.security.service import hook_request
from tests.security.tokens import SERVICE_PATH, Signer


@pytest.fixture
def signer() -> Signer:
    return Signer(iss="https://ehr.example.org", alg="ES384")


@pytest.fixture
def db(postgres: PostgresServer) -> str:
    return postgres.create_database()


@pytest.fixture
def pair(signer: Signer, db: str, tmp_path: Path) -> Iterator[tuple[Instance, Instance]]:
    env = auth_env(signer, tmp_path, db)
    with instance(env, tmp_path) as first, instance(env, tmp_path) as second:
        yield first, second


def call(server: Instance, token: str) -> httpx.Response:
    headers = {"Authorization": f"Bearer {token}"}
    body = hook_request("p1")  # every prefetch key answered: staged from prefetch
    return httpx.post(server.base + SERVICE_PATH, json=body, headers=headers, timeout=30)


def test_a_token_replayed_to_the_other_instance_is_refused(
    pair: tuple[Instance, Instance], signer: Signer
) -> None:
    first, second = pair
    token = signer.token()
    assert call(first, token).status_code == 200
    replayed = call(second, token)
    assert replayed.status_code == 401
    assert replayed.content == b""
    assert call(first, token).status_code == 401  # and on the first instance's other worker
    assert call(second, signer.token()).status_code == 200


def test_feedback_posted_to_both_instances_is_all_exported(
    pair: tuple[Instance, Instance], signer: Signer, db: str
) -> None:
    cards = [str(uuid.uuid4()) for _ in range(40)]
    with httpx.Client(timeout=30) as client, ThreadPoolExecutor(4) as pool:
        responses = list(
            pool.map(lambda i: post_feedback(client, pair[i % 2], signer, cards[i]), range(40))
        )
    assert [r.status_code for r in responses] == [200] * 40
    assert all(r.json() == {"received": 1, "stored": 1} for r in responses)
    exported = export(db)
    assert sorted(row["card"] for row in exported) == sorted(cards)
    assert {row["service_id"] for row in exported} == {"sarcoma-staging"}


def test_sigkill_of_one_instance_loses_no_acknowledged_feedback(
    pair: tuple[Instance, Instance], signer: Signer, db: str
) -> None:
    victim, survivor = pair
    acknowledged: list[str] = []
    lock = threading.Lock()
    enough = threading.Event()
    stop = threading.Event()

    def stream() -> None:
        with httpx.Client(timeout=30) as client:
            while not stop.is_set():
                card = str(uuid.uuid4())
                try:
                    response = post_feedback(client, victim, signer, card)
                except httpx.TransportError:
                    continue  # the instance is gone: this row was never acknowledged
                if response.status_code == 200 and response.json()["stored"] == 1:
                    with lock:
                        acknowledged.append(card)
                        if len(acknowledged) >= 30:
                            enough.set()

    threads = [threading.Thread(target=stream) for _ in range(4)]
    for thread in threads:
        thread.start()
    try:
        assert enough.wait(timeout=120), "the stream of feedback never got going"
        victim.kill()  # SIGKILL to the supervisor and both workers, mid-stream
        victim.process.wait(timeout=30)
    finally:
        stop.set()
        for thread in threads:
            thread.join(timeout=60)
    with lock:
        acked = set(acknowledged)
    exported = {row["card"] for row in export(db)}
    assert acked <= exported, f"{len(acked - exported)} acknowledged rows lost"
    with httpx.Client(timeout=30) as client:  # the other instance carries on
        assert post_feedback(client, survivor, signer, str(uuid.uuid4())).status_code == 200


def test_a_postgresql_restart_gives_503_outcomes_then_recovers_without_a_service_restart(
    pair: tuple[Instance, Instance], signer: Signer, postgres: PostgresServer, db: str
) -> None:
    first, second = pair
    pids = (first.process.pid, second.process.pid)
    answers: list[tuple[str, httpx.Response]] = []
    stop = threading.Event()

    def traffic(server: Instance) -> None:  # feedback keeps coming throughout
        with httpx.Client(timeout=30) as own:
            while not stop.is_set():
                card = str(uuid.uuid4())
                answers.append((card, post_feedback(own, server, signer, card)))
                time.sleep(0.05)

    streams = [threading.Thread(target=traffic, args=(s,)) for s in pair]
    for stream in streams:
        stream.start()
    with httpx.Client(timeout=30) as client:
        assert post_feedback(client, first, signer, str(uuid.uuid4())).status_code == 200
        postgres.stop()
        try:
            for server in pair:
                down = post_feedback(client, server, signer, str(uuid.uuid4()))
                refused = call(server, signer.token())  # the replay check needs the store
                for response in (down, refused):
                    assert response.status_code == 503
                    assert response.headers["content-type"] == "application/fhir+json"
                    outcome = response.json()
                    assert outcome["resourceType"] == "OperationOutcome"
                    assert outcome["issue"][0]["code"] == "transient"
                    assert "database is unavailable" in outcome["issue"][0]["diagnostics"]
                    assert response.headers["retry-after"]
                assert "token" in refused.json()["issue"][0]["diagnostics"]
                not_ready = client.get(server.base + "/readyz")
                assert not_ready.status_code == 503
                assert "database" in not_ready.text
                assert client.get(server.base + "/healthz").status_code == 200  # still alive
        finally:
            postgres.start()
        # Each instance has two workers, each with its own pool reconnecting on its own: the
        # readiness answer comes from one of them, so every call below may first meet the
        # other one still reconnecting (503). Recovery means each call type succeeds again,
        # on both instances, with the same processes.
        for server in pair:
            recovered = first_success(lambda s=server: client.get(s.base + "/readyz"))
            assert recovered.status_code == 200
            stored = first_success(
                lambda s=server: post_feedback(client, s, signer, str(uuid.uuid4()))
            )
            assert stored.status_code == 200
            assert stored.json()["stored"] == 1
            assert first_success(lambda s=server: call(s, signer.token())).status_code == 200
    stop.set()
    for stream in streams:
        stream.join(timeout=60)
    statuses = {response.status_code for _, response in answers}
    assert statuses == {200, 503}  # served, refused while down, served again; nothing else
    for _, response in answers:
        if response.status_code == 503:
            assert response.json()["resourceType"] == "OperationOutcome"
    acknowledged = {card for card, response in answers if response.status_code == 200}
    assert acknowledged <= {row["card"] for row in export(db)}
    assert (first.process.pid, second.process.pid) == pids
    assert first.process.poll() is None
    assert second.process.poll() is None


def first_success(request: Callable[[], httpx.Response], attempts: int = 60) -> httpx.Response:
    """Repeat until 200 (the pools reconnect on their own), at most ``attempts`` times."""
    response = request()
    for _ in range(attempts):
        if response.status_code == 200:
            break
        time.sleep(0.5)
        response = request()
    return response
