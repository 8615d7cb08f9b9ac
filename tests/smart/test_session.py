"""Worksheet sessions (hooks.smart.session): expiry, token lifetime, CSRF, cookie flags,
the write permission read from the granted scopes."""

from __future__ import annotations

import pytest

from hooks.smart.session import SessionStore, cookie_secure, csrf_ok


class Clock:
    def __init__(self) -> None:
        self.now = 1_000.0

    def __call__(self) -> float:
        return self.now


def test_a_session_expires_after_its_ttl() -> None:
    clock = Clock()
    store = SessionStore(ttl=60, clock=clock)
    session = store.create()
    clock.now += 59
    assert store.get(session.id) is session
    clock.now += 1
    assert store.get(session.id) is None
    clock.now -= 30  # once expired it is gone, whatever the clock says later
    assert store.get(session.id) is None


def test_a_session_never_outlives_its_access_token() -> None:
    clock = Clock()
    store = SessionStore(ttl=1800, clock=clock)
    session = store.create()
    store.limit_to(session, 300)
    clock.now += 300
    assert store.get(session.id) is None
    longer = store.create()
    store.limit_to(longer, 7200)  # a longer token does not extend the session
    clock.now += 1800
    assert store.get(longer.id) is None


def test_ids_and_csrf_tokens_are_random_and_distinct() -> None:
    store = SessionStore(ttl=60)
    sessions = [store.create() for _ in range(100)]
    values = {s.id for s in sessions} | {s.csrf for s in sessions}
    assert len(values) == 200
    assert all(len(s.id) >= 43 for s in sessions)
    assert store.get("") is None
    assert store.get(None) is None
    assert store.get("x" * 43) is None


def test_dropped_sessions_are_gone() -> None:
    store = SessionStore(ttl=60)
    session = store.create()
    store.drop(session.id)
    assert store.get(session.id) is None


def test_csrf() -> None:
    session = SessionStore(ttl=60).create()
    assert csrf_ok(session, session.csrf)
    assert not csrf_ok(session, None)
    assert not csrf_ok(session, "")
    assert not csrf_ok(session, session.csrf[:-1])
    assert not csrf_ok(session, SessionStore(ttl=60).create().csrf)


@pytest.mark.parametrize(
    ("base", "secure"),
    [
        ("https://cds.example.org", True),
        ("https://localhost:8443", True),
        ("http://127.0.0.1:8080", False),
        ("http://localhost:8080", False),
        ("http://[::1]:8080", False),
        ("http://cds.example.org", True),  # plain http elsewhere still gets Secure
        ("http://localhost.evil.example:80", True),
    ],
)
def test_cookies_are_secure_except_on_plain_http_localhost(base: str, secure: bool) -> None:
    assert cookie_secure(base) is secure


@pytest.mark.parametrize(
    ("scopes", "open_server", "writes"),
    [
        ({"patient/Observation.c"}, False, True),
        ({"patient/Observation.cruds"}, False, True),
        ({"patient/Observation.write"}, False, True),
        ({"patient/*.c"}, False, True),
        ({"patient/Observation.rs"}, False, False),
        ({"patient/Condition.c"}, False, False),
        ({"system/Observation.c"}, False, False),
        ({"patient/Observation.cx"}, False, False),
        (set(), False, False),
        (set(), True, True),  # an open server (demo mode) needs no token
    ],
)
def test_can_write(scopes: set[str], open_server: bool, writes: bool) -> None:
    session = SessionStore(ttl=60).create()
    session.scopes = frozenset(scopes)
    session.open_server = open_server
    assert session.can_write() is writes


def test_the_token_is_not_in_the_repr() -> None:
    session = SessionStore(ttl=60).create()
    session.access_token = "very-secret-token"  # noqa: S105
    assert "very-secret-token" not in repr(session)
