"""``sarcoma-cds serve`` and ``sarcoma-cds feedback export``.

Registration is cheap; uvicorn, FastAPI and the feedback store are imported in the handlers.
"""

from __future__ import annotations

import argparse
import sys
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
    settings = _settings()
    if settings is None:
        return EXIT_CONFIG
    if not 0 < args.port < 65536:
        print(f"sarcoma-cds: --port {args.port} is not a TCP port", file=sys.stderr)
        return EXIT_CONFIG
    from hooks.web.settings import AUTH_OFF_WARNING  # noqa: PLC0415

    if settings.auth:
        try:
            from hooks.auth import AuthConfig  # noqa: PLC0415

            AuthConfig.from_settings(settings)
        except ValueError as exc:
            print(
                f"sarcoma-cds: client authentication is on (SARCOMA_CDS_AUTH, the default) but "
                f"not configured: {exc}\n"
                "  Configure it (SECURITY.md), or for local development only run with "
                "SARCOMA_CDS_AUTH=off.",
                file=sys.stderr,
            )
            return EXIT_CONFIG
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

    from hooks.ops.serving import metrics_directory  # noqa: PLC0415

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
        )
    return 0


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
        if not db.is_file():
            print(f"sarcoma-cds: no feedback database at {db}", file=sys.stderr)
            return 1
    database = open_database(db)
    out = sys.stdout.buffer
    try:
        database.initialize()
        for record in database.feedback.export():
            out.write(orjson.dumps(record.as_json()) + b"\n")
    except StoreUnavailable:
        print(f"sarcoma-cds: the database {describe(db)} cannot be reached", file=sys.stderr)
        return 1
    finally:
        database.close()
    out.flush()
    return 0
