"""Store failures the service answers with 503 (not a clinical module: no clinical source).

A store that cannot be reached (PostgreSQL down or restarting, the pool exhausted, an SQLite
file locked past its busy timeout) raises :class:`StoreUnavailable`. The app answers the call
with a 503 OperationOutcome; the next call tries again, so the service recovers by itself when
the database is back.
"""

from __future__ import annotations


class StoreUnavailable(RuntimeError):
    """The feedback or replay store cannot be used right now; the message is safe to show."""

    def __init__(self, operation: str) -> None:
        super().__init__(f"the service's database is unavailable ({operation}); try again shortly")
        self.operation = operation
