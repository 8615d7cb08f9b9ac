"""Settings from SARCOMA_CDS_* variables and the serve / feedback export commands."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

import orjson
import pytest

from hooks import service_cli
from hooks.store.feedback import FeedbackRecord, SqliteFeedbackStore
from hooks.web.server import RequestDeadlineProtocol
from hooks.web.settings import Settings, SettingsError


def parse(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="sarcoma-cds")
    service_cli.register(parser.add_subparsers(dest="command", required=True))
    return parser.parse_args(argv)


def test_defaults_need_no_configuration() -> None:
    settings = Settings.from_env({})
    assert settings.auth is True
    assert settings.fhir_deadline == 2.0
    assert settings.db == Path("var/sarcoma-cds.sqlite3")
    assert settings.cors_allow_localhost is True
    assert settings.allow_insecure_http is False


def test_values_are_read_and_validated() -> None:
    settings = Settings.from_env(
        {
            "SARCOMA_CDS_AUTH": "off",
            "SARCOMA_CDS_FHIR_TIMEOUT": "0.5",
            "SARCOMA_CDS_FHIR_DEADLINE": "1.5",
            "SARCOMA_CDS_DB": "/tmp/x.sqlite3",  # noqa: S108 - only parsed
            "SARCOMA_CDS_CORS_ORIGINS": "https://sandbox.cds-hooks.org, https://ehr.example.org/",
            "SARCOMA_CDS_PUBLIC_BASE_URL": "https://cds.example.org/",
            "SARCOMA_CDS_TRUSTED_ISSUERS": "left to hooks.auth",
        }
    )
    assert settings.auth is False
    assert settings.fhir_timeout == 0.5
    assert settings.cors_origins == ("https://sandbox.cds-hooks.org", "https://ehr.example.org")
    assert settings.public_base_url == "https://cds.example.org"


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("SARCOMA_CDS_AUTH", "maybe"),
        ("SARCOMA_CDS_FHIR_DEADLINE", "-1"),
        ("SARCOMA_CDS_FHIR_DEADLINE", "nan"),
        ("SARCOMA_CDS_FHIR_TIMEOUT", "soon"),
        ("SARCOMA_CDS_FHIR_MAX_PAGES", "0"),
        ("SARCOMA_CDS_CORS_ORIGINS", "sandbox.cds-hooks.org"),
        ("SARCOMA_CDS_PUBLIC_BASE_URL", "cds.example.org"),
        ("SARCOMA_CDS_LOG_LEVEL", "LOUD"),
    ],
)
def test_a_bad_value_names_the_variable(name: str, value: str) -> None:
    with pytest.raises(SettingsError, match=name):
        Settings.from_env({name: value})


def test_timeout_may_not_exceed_deadline() -> None:
    with pytest.raises(SettingsError, match="FHIR_TIMEOUT"):
        Settings.from_env({"SARCOMA_CDS_FHIR_TIMEOUT": "3", "SARCOMA_CDS_FHIR_DEADLINE": "2"})


def test_settings_table_lists_every_variable() -> None:
    names = [row[0] for row in Settings().table()]
    assert "SARCOMA_CDS_AUTH" in names
    assert all(n.startswith("SARCOMA_CDS_") for n in names)


def test_feedback_export_prints_json_lines(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    db = tmp_path / "fb.sqlite3"
    store = SqliteFeedbackStore(db)
    store.initialize()
    store.add(
        [
            FeedbackRecord("sarcoma-staging", "c1", "accepted", "2026-01-01T00:00:00Z", ("s1",)),
            FeedbackRecord("sarcoma-staging", "c2", "overridden", "2026-01-01T00:01:00Z"),
        ]
    )
    args = parse(["feedback", "export", "--db", str(db)])
    assert args.handler(args) == 0
    lines = [orjson.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [(x["card"], x["outcome"], x["accepted_suggestions"]) for x in lines] == [
        ("c1", "accepted", ["s1"]),
        ("c2", "overridden", []),
    ]
    assert lines[0]["service_id"] == "sarcoma-staging"
    assert lines[0]["received_at"].endswith("Z")


def test_feedback_export_without_database(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    args = parse(["feedback", "export", "--db", str(tmp_path / "none.sqlite3")])
    assert args.handler(args) == 2  # every CLI error exits 2
    assert "no feedback database" in capsys.readouterr().err


@pytest.fixture
def no_uvicorn(monkeypatch: pytest.MonkeyPatch) -> list[dict[str, Any]]:
    calls: list[dict[str, Any]] = []
    import uvicorn  # noqa: PLC0415

    monkeypatch.setattr(uvicorn, "run", lambda app, **kw: calls.append({"app": app, **kw}))
    for name in ("SARCOMA_CDS_AUTH", "SARCOMA_CDS_TRUSTED_ISSUERS", "SARCOMA_CDS_PUBLIC_BASE_URL"):
        monkeypatch.delenv(name, raising=False)
    return calls


def test_serve_with_auth_off_warns_loudly(
    no_uvicorn: list[dict[str, Any]],
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv("SARCOMA_CDS_AUTH", "off")
    args = parse(["serve", "--port", "8099"])
    assert args.handler(args) == 0
    out = capsys.readouterr()
    assert "authentication is DISABLED" in out.err
    assert "localhost" in out.out
    assert len(no_uvicorn) == 1
    call = no_uvicorn[0]
    assert {k: call[k] for k in ("app", "host", "port", "log_level", "server_header")} == {
        "app": "hooks.app:app",
        "host": "127.0.0.1",
        "port": 8099,
        "log_level": "info",
        "server_header": False,
    }
    assert call["access_log"] is False
    assert call["workers"] == 1
    assert call["timeout_graceful_shutdown"] == 20
    # the connection limits and the request deadline (hooks.web.server)
    assert call["http"] is RequestDeadlineProtocol
    assert call["limit_concurrency"] == 100
    assert call["backlog"] == 256
    assert call["timeout_keep_alive"] == 5
    assert call["h11_max_incomplete_event_size"] == 16384


def test_serve_workers_flag_overrides_the_setting(
    no_uvicorn: list[dict[str, Any]], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SARCOMA_CDS_AUTH", "off")
    monkeypatch.setenv("SARCOMA_CDS_WORKERS", "3")
    args = parse(["serve"])
    assert args.handler(args) == 0
    args = parse(["serve", "--workers", "2"])
    assert args.handler(args) == 0
    assert [c["workers"] for c in no_uvicorn] == [3, 2]
    args = parse(["serve", "--workers", "0"])
    assert args.handler(args) == 2


def test_serve_with_auth_on_but_unconfigured_stops(
    no_uvicorn: list[dict[str, Any]], capsys: pytest.CaptureFixture[str]
) -> None:
    args = parse(["serve"])
    assert args.handler(args) == 2
    err = capsys.readouterr().err
    assert "SARCOMA_CDS_TRUSTED_ISSUERS" in err
    assert "SARCOMA_CDS_AUTH=off" in err
    assert no_uvicorn == []


def test_serve_with_auth_configured_says_so(
    no_uvicorn: list[dict[str, Any]],
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    config = Path(__file__).parents[2] / "config" / "trusted-issuers.example.toml"
    monkeypatch.setenv("SARCOMA_CDS_TRUSTED_ISSUERS", str(config))
    monkeypatch.setenv("SARCOMA_CDS_PUBLIC_BASE_URL", "https://cds.example.org")
    args = parse(["serve"])
    assert args.handler(args) == 0
    assert "authentication ON" in capsys.readouterr().out


def test_serve_with_a_bad_setting_stops(
    no_uvicorn: list[dict[str, Any]],
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv("SARCOMA_CDS_FHIR_DEADLINE", "later")
    args = parse(["serve"])
    assert args.handler(args) == 2
    assert "SARCOMA_CDS_FHIR_DEADLINE" in capsys.readouterr().err
