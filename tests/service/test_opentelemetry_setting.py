"""``SARCOMA_CDS_OPENTELEMETRY``: FastAPI's own OpenTelemetry instrumentation is off by default
(the service has its own metrics and logs) and on when the setting asks for it."""

from __future__ import annotations

from dataclasses import replace

import pytest
from fastapi.telemetry import _asgi

from hooks.web.app import create_app
from hooks.web.settings import Settings


@pytest.mark.parametrize(("value", "on"), [("on", True), ("off", False), (None, False)])
def test_fastapi_telemetry_follows_the_setting(
    value: str | None, on: bool, monkeypatch: pytest.MonkeyPatch, settings: Settings
) -> None:
    env = {"SARCOMA_CDS_OPENTELEMETRY": value} if value is not None else {}
    chosen = Settings.from_env({**env, "SARCOMA_CDS_AUTH": "off"})
    assert chosen.opentelemetry is on
    app = create_app(settings=replace(settings, opentelemetry=chosen.opentelemetry))
    # As if an OpenTelemetry SDK had been configured in the process: FastAPI instruments the
    # requests only when the setting is on.
    monkeypatch.setattr(_asgi, "_unconfigured", lambda provider: False)
    assert app._native_telemetry.enabled() is on
