"""``sarcoma-cds serve`` and ``sarcoma-cds feedback export``.

Registration is cheap; uvicorn, FastAPI and the feedback store are imported in the handlers.
"""

from __future__ import annotations

import argparse
import os
import socket
import sqlite3
import sys
from contextlib import closing
from pathlib import Path
from typing import Any

EXIT_CONFIG = 2


def register(subparsers: Any) -> None:
    serve = subparsers.add_parser(
        "serve",
        help="run the CDS Hooks service",
        description=(
            "Run the CDS Hooks service (hooks.app:app) with uvicorn. Configuration comes from "
            "SARCOMA_CDS_* environment variables; see the README's configuration table."
        ),
    )
    serve.add_argument("--host", default="127.0.0.1", help="interface (default 127.0.0.1)")
    serve.add_argument("--port", type=int, default=8080, help="port (default 8080)")
    serve.add_argument(
        "--workers",
        type=int,
        default=None,
        help="worker processes (default: SARCOMA_CDS_WORKERS, else 1)",
    )
    serve.add_argument(
        "--exit-with-parent",
        action="store_true",
        help="stop when the parent process (e.g. make) ends (Linux; used by `make run`)",
    )
    serve.set_defaults(handler=_serve)

    feedback = subparsers.add_parser("feedback", help="card feedback stored by the service")
    actions = feedback.add_subparsers(dest="feedback_command", required=True, metavar="ACTION")
    export = actions.add_parser(
        "export", help="print the stored feedback as JSON lines (oldest first)"
    )
    export.add_argument(
        "--db",
        help="SQLite file or postgresql:// URL (default: SARCOMA_CDS_DB or "
        "var/sarcoma-cds.sqlite3)",
    )
    export.set_defaults(handler=_export)


def _settings() -> Any:
    from hooks.web.settings import Settings, SettingsError  # noqa: PLC0415

    try:
        return Settings.from_env()
    except SettingsError as exc:
        print(f"sarcoma-cds: configuration error: {exc}", file=sys.stderr)
        return None


def _serve(args: argparse.Namespace) -> int:
    if not 0 < args.port < 65536:
        print(f"sarcoma-cds: --port {args.port} is not a TCP port", file=sys.stderr)
        return EXIT_CONFIG
    cannot = _cannot_listen(args.host, args.port)
    if cannot is not None:
        print(f"sarcoma-cds: cannot listen on {args.host}:{args.port}: {cannot}", file=sys.stderr)
        return EXIT_CONFIG
    from hooks.web.preflight import configuration_problem  # noqa: PLC0415

    # Every problem uvicorn would otherwise meet at import or start-up, as one line.
    problem = configuration_problem()
    if problem is not None:
        print(f"sarcoma-cds: configuration error: {problem}", file=sys.stderr)
        return EXIT_CONFIG
    settings = _settings()
    if settings is None:  # pragma: no cover (checked above)
        return EXIT_CONFIG
    from hooks.web.settings import AUTH_OFF_WARNING  # noqa: PLC0415

    if settings.auth:
        print("sarcoma-cds: authentication ON: CDS clients must send a JWT from a trusted issuer")
    else:
        banner = "!" * 78
        print(f"{banner}\n{AUTH_OFF_WARNING}\n{banner}", file=sys.stderr)
    origins = list(settings.cors_origins)
    if settings.cors_allow_localhost:
        origins.append("http(s)://localhost and 127.0.0.1 on any port")
    print(f"sarcoma-cds: CORS origins: {', '.join(origins) or 'none'}")
    workers = settings.workers if args.workers is None else args.workers
    if workers < 1:
        print(f"sarcoma-cds: --workers {workers} must be at least 1", file=sys.stderr)
        return EXIT_CONFIG
    from hooks.store.database import describe  # noqa: PLC0415

    print(f"sarcoma-cds: feedback and replay database: {describe(settings.db)}")
    print(f"sarcoma-cds: discovery at http://{args.host}:{args.port}/cds-services")

    if args.exit_with_parent:
        _exit_with_parent()
    from hooks.ops.serving import metrics_directory  # noqa: PLC0415
    from hooks.web.server import uvicorn_options  # noqa: PLC0415

    with metrics_directory():
        import uvicorn  # noqa: PLC0415

        from hooks.ops.logs import uvicorn_log_config  # noqa: PLC0415

        if settings.metrics_port:
            from hooks.ops.metrics import start_metrics_server  # noqa: PLC0415

            start_metrics_server(settings.metrics_host, settings.metrics_port)
            print(f"sarcoma-cds: metrics at {settings.metrics_host}:{settings.metrics_port}")
        print(f"sarcoma-cds: {workers} worker process(es)")
        uvicorn.run(
            "hooks.app:app",
            host=args.host,
            port=args.port,
            workers=workers,
            log_level=settings.log_level.lower(),
            log_config=uvicorn_log_config(settings.log_level, settings.log_format),
            server_header=False,
            access_log=False,  # the app logs one line per request, with its correlation id
            # SIGTERM: stop accepting, let requests in flight finish (up to this many seconds)
            timeout_graceful_shutdown=round(settings.shutdown_timeout),
            **uvicorn_options(settings),  # connection limits and timeouts (hooks.web.server)
        )
    return 0


def _cannot_listen(host: str, port: int) -> str | None:
    """Why uvicorn could not bind ``host:port`` (a bad --host, a port in use), or None."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)
        family, kind, proto, _, address = infos[0]
        with socket.socket(family, kind, proto) as probe:
            probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            probe.bind(address)
    except (OSError, UnicodeError) as exc:
        return getattr(exc, "strerror", None) or str(exc)
    return None


def _exit_with_parent() -> None:
    """Ask Linux to send SIGTERM when the parent ends (prctl PR_SET_PDEATHSIG), so that
    killing ``make run`` stops the server it started; elsewhere a no-op."""
    import ctypes  # noqa: PLC0415
    import ctypes.util  # noqa: PLC0415
    import signal  # noqa: PLC0415

    parent = os.getppid()
    if not sys.platform.startswith("linux"):
        return
    libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)
    pr_set_pdeathsig = 1
    if libc.prctl(pr_set_pdeathsig, int(signal.SIGTERM), 0, 0, 0) != 0:
        return
    if os.getppid() != parent:  # the parent ended before the request took effect
        os.kill(os.getpid(), signal.SIGTERM)


def _not_a_feedback_database(path: Path) -> str | None:
    """Why ``path`` is not a sarcoma-cds SQLite feedback database (read only: an export must
    never write into somebody else's file), or None."""
    if not path.is_file():
        return f"no feedback database at {path}"
    try:
        with closing(sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=5.0)) as conn:
            found = conn.execute(
                "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'feedback'"
            ).fetchone()
    except sqlite3.Error as exc:
        return f"{path} is not a sarcoma-cds feedback database ({exc})"
    if found is None:
        return f"{path} is not a sarcoma-cds feedback database (no feedback table)"
    return None


def _export(args: argparse.Namespace) -> int:
    import orjson  # noqa: PLC0415

    from hooks.store.database import describe, is_postgres_url, open_database  # noqa: PLC0415
    from hooks.store.errors import StoreUnavailable  # noqa: PLC0415

    db: Path | str | None = args.db
    if db is None:
        settings = _settings()
        if settings is None:
            return EXIT_CONFIG
        db = settings.db
    if not is_postgres_url(db):
        db = Path(db)
        problem = _not_a_feedback_database(db)
        if problem is not None:
            print(f"sarcoma-cds feedback export: {problem}", file=sys.stderr)
            return EXIT_CONFIG
    database = open_database(db)
    out = sys.stdout.buffer
    try:
        database.initialize()
        for record in database.feedback.export():
            out.write(orjson.dumps(record.as_json()) + b"\n")
    except StoreUnavailable:
        print(
            f"sarcoma-cds feedback export: the database {describe(db)} cannot be reached",
            file=sys.stderr,
        )
        return EXIT_CONFIG
    finally:
        database.close()
    out.flush()
    return 0
