"""``hooks.web.ids.uuid4_text``: canonical random UUIDs, from batched random bytes."""

from __future__ import annotations

import os
import uuid

import pytest

from hooks.web import ids


def test_ids_are_canonical_version_4_and_unique_across_batches() -> None:
    made = [ids.uuid4_text() for _ in range(3 * ids._BATCH + 7)]
    assert len(set(made)) == len(made)
    for text in made:
        parsed = uuid.UUID(text)
        assert (parsed.version, parsed.variant) == (4, uuid.RFC_4122)
        assert str(parsed) == text


def test_a_forked_child_does_not_reuse_the_parents_ids() -> None:
    ids.uuid4_text()  # the pool holds ids now
    assert ids._pool
    upcoming = ids._pool[-1]
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # pragma: no cover (the child)
        os.close(read)
        os.write(write, ids.uuid4_text().encode())
        os._exit(0)
    os.close(write)
    child = os.read(read, 64).decode()
    os.close(read)
    os.waitpid(pid, 0)
    assert uuid.UUID(child).version == 4
    assert child != upcoming
    assert ids.uuid4_text() == upcoming


def test_a_batch_is_the_uuid_modules_text_of_the_random_bytes(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Each id of a batch is ``str(uuid.UUID(bytes=..., version=4))`` of its 16 random bytes,
    in order, for bytes that set every bit and none."""
    for fill in (os.urandom(16 * ids._BATCH), b"\xff" * (16 * ids._BATCH), bytes(16 * ids._BATCH)):
        monkeypatch.setattr(ids.os, "urandom", lambda n, fill=fill: fill[:n])
        ids._pool.clear()
        made = [ids.uuid4_text() for _ in range(ids._BATCH)]
        expected = [
            str(uuid.UUID(bytes=fill[k : k + 16], version=4)) for k in range(0, 16 * ids._BATCH, 16)
        ]
        assert made == expected
    ids._pool.clear()
