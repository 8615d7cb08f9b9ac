"""The ASGI entry point kept at ``hooks.app:app`` (the app itself lives in :mod:`hooks.web.app`)."""

from hooks.web.app import app, create_app

__all__ = ["app", "create_app"]
