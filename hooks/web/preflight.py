"""Start-up checks for ``sarcoma-cds serve``: every configuration problem is one line naming
the variable, found before uvicorn starts (where it would be a traceback in the lifespan).

Checked: the ``SARCOMA_CDS_*`` settings, the request limits, client authentication (the
trusted issuers file is read and validated as the service will read it) and the SQLite
database (created or opened, WAL mode, the feedback schema), all as the service does at start.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Mapping
from contextlib import closing
from pathlib import Path

from hooks.web.settings import PREFIX, Settings, SettingsError


def configuration_problem(environ: Mapping[str, str] | None = None) -> str | None:
    """The first configuration problem as one line, or None when the service can start."""
    try:
        settings = Settings.from_env(environ)
    except SettingsError as exc:
        return str(exc)
    from hooks.web.limits import Limits  # noqa: PLC0415

    try:
        Limits.from_env(environ)
    except ValueError as exc:
        return str(exc)
    return _auth_problem(settings, environ) or database_problem(settings)


def _auth_problem(settings: Settings, environ: Mapping[str, str] | None) -> str | None:
    if not settings.auth:
        return None
    from hooks.auth import AuthConfig  # noqa: PLC0415
    from hooks.auth.issuers import load_trusted_issuers  # noqa: PLC0415

    hint = (
        " (client authentication is on, the default: configure it as SECURITY.md says, or "
        "for local development only set SARCOMA_CDS_AUTH=off)"
    )
    try:
        config = AuthConfig.from_settings(settings, environ)
    except ValueError as exc:
        return f"{exc}{hint}"
    if config.trusted_issuers is None:  # pragma: no cover (AuthConfig requires it)
        return f"{PREFIX}TRUSTED_ISSUERS: required{hint}"
    try:
        load_trusted_issuers(config.trusted_issuers, allow_http=config.allow_insecure_http)
    except ValueError as exc:
        reason = str(exc).removeprefix(f"{config.trusted_issuers}: ")
        return f"{PREFIX}TRUSTED_ISSUERS={config.trusted_issuers}: {reason}{hint}"
    return None


def database_problem(settings: Settings) -> str | None:
    """Whether ``SARCOMA_CDS_DB`` can be created or opened as the service's database (an SQLite
    file; a PostgreSQL server is reached at start-up by the service itself)."""
    from hooks.store.database import is_postgres_url  # noqa: PLC0415
    from hooks.store.feedback import SqliteFeedbackStore  # noqa: PLC0415

    if is_postgres_url(settings.db):
        return None
    path = Path(settings.db)
    where = f"{PREFIX}DB={path}"
    try:
        SqliteFeedbackStore(path).initialize()
        with closing(sqlite3.connect(path, timeout=5.0)) as conn:
            conn.execute("SELECT count(*) FROM feedback").fetchone()
    except (OSError, sqlite3.Error, RuntimeError) as exc:
        reason = getattr(exc, "strerror", None) or str(exc) or type(exc).__name__
        return f"{where}: cannot create or open the SQLite database ({reason})"
    return None
