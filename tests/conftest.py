"""Fixtures shared across test packages (keep this small; package fixtures live beside them)."""

from __future__ import annotations

from collections.abc import Callable

import pytest


@pytest.fixture
def sequential_uuids() -> Callable[[], str]:
    """A uuid factory giving 00000000-0000-4000-8000-000000000001, ...2, ... (stable files)."""
    from tests.service.harness import sequential_uuid_factory  # noqa: PLC0415

    return sequential_uuid_factory()
