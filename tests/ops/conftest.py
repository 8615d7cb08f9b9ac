"""Fixtures for the operations tests: one real PostgreSQL server for the whole session."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.ops.postgres_server import PostgresServer, remove_server, start_server


@pytest.fixture(scope="session")
def postgres() -> Iterator[PostgresServer]:
    server = start_server()  # fails (never skips) when PostgreSQL is not installed
    try:
        yield server
    finally:
        remove_server(server)
