"""The core's treatment options as a cheap memo key.

The treatment and notes cards remember their text per tuple of the core's options
(``cds.model.TreatmentOption``, frozen dataclasses). Hashing that tuple calls each option's
generated ``__hash__`` in Python: about 15,000 instructions a card, for a tuple the core hands
out again and again (it keeps its options per combination of its inputs: the same object from
chart to chart). ``numbered`` gives each options value a number instead: an ``int`` hashed and
compared in C, carrying the tuple it stands for. Equal tuples get the same number while it is
remembered; different values never share one (numbers are not reused). The memories are small
and bounded: forgotten, a number is made again.
"""

from __future__ import annotations

import itertools
from typing import Any

from cds.model import TreatmentOption

Options = tuple[TreatmentOption, ...]
_KEPT = 64  # distinct options values and tuple objects remembered (a few dozen exist)
_NEXT = itertools.count()


class Numbered(int):
    """A number standing for one value of an options tuple, with the tuple (``options``)."""

    options: Options


_BY_OBJECT: dict[int, tuple[Options, Numbered]] = {}
_BY_VALUE: dict[Options, Numbered] = {}


def numbered(options: Options) -> Numbered:
    """The number of ``options``' value: by the tuple's identity first (the entry holds the
    tuple, so its id is not reused while remembered), else by its value (hashed once)."""
    kept = _BY_OBJECT.get(id(options))
    if kept is not None and kept[0] is options:
        return kept[1]
    key = _BY_VALUE.get(options)
    if key is None:
        key = Numbered(next(_NEXT))
        key.options = options
        _remember(_BY_VALUE, options, key)
    _remember(_BY_OBJECT, id(options), (options, key))
    return key


def _remember(memory: dict[Any, Any], key: object, value: object) -> None:
    if len(memory) >= _KEPT:
        memory.clear()
    memory[key] = value
