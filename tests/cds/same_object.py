"""The check that a value built another way is exactly the object a dataclass's ``__init__``
makes (shared by the tests of ``cds.frozen`` and of the slot-built values)."""

from __future__ import annotations

import dataclasses
from typing import Any


def same_object(a: Any, b: Any) -> None:
    """Same type, equal, the same repr, and every field the very same object."""
    assert type(a) is type(b)
    assert a == b
    assert repr(a) == repr(b)
    for f in dataclasses.fields(a):
        assert getattr(a, f.name) is getattr(b, f.name), f.name
