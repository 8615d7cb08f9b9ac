"""What kind of Condition a resource is, remembered by the elements that decide it.

``conditions.classify``, ``conditions.opaque_code`` and ``secondary.uncertain`` read only a
Condition's ``code``, ``extension``, ``meta.profile``, ``bodySite`` and ``clinicalStatus``. Most
Conditions in a chart are comorbidities whose codes recur from patient to patient (hypertension,
diabetes, sleep apnea), so the verdict is remembered under those elements as JSON: a Condition
with the same elements gets the same verdict without reading them again, whatever its id,
patient, dates or notes. The verdicts are immutable values that name no resource; the tests
compare the remembered verdict with a direct reading on every Condition of every fixture.
Measured on the bench charts (callgrind): extraction of a new chart from 6.01 to 5.35 million
instructions.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import Any

import orjson

from hooks.fhir import conditions, secondary
from hooks.fhir.conditions import ConditionInfo, Kind
from hooks.fhir.read import JSON
from hooks.fhir.text import MEMO_TEXT_MAX

_KEPT = 4096  # verdicts remembered (a few hundred bytes each); forgotten all at once when full
# A key holds five elements' JSON: a Condition whose deciding elements are longer is read
# directly and not kept (hooks.fhir.text.MEMO_TEXT_MAX: hostile long texts never kept).
_KEY_MAX = 4 * MEMO_TEXT_MAX


@dataclass(frozen=True, slots=True)
class Verdict:
    info: ConditionInfo
    opaque: str | None = None  # codes of a Condition that could not be read at all
    uncertain: str | None = None  # words of a negated, historical or suspected metastasis


def read(resource: JSON) -> Verdict:
    """The verdict on one Condition, as ``decide`` gives it."""
    key = _key(resource)
    if key is None or len(key) > _KEY_MAX:
        return decide(resource)
    found = _verdicts.get(key)
    if found is None:
        found = decide(resource)
        with _lock:
            if len(_verdicts) >= _KEPT:
                _verdicts.clear()
            _verdicts[key] = found
    return found


def decide(resource: JSON) -> Verdict:
    """Read the Condition: a cancer or metastasis (``info.kind`` not NONE), else whether its
    code cannot be read at all, else whether it mentions a metastasis that does not count."""
    info = conditions.classify(resource)
    if info.kind is not Kind.NONE:
        return Verdict(info)
    opaque = conditions.opaque_code(resource)
    if opaque is not None:
        return Verdict(info, opaque=opaque)
    return Verdict(info, uncertain=secondary.uncertain(resource))


_verdicts: dict[bytes, Verdict] = {}
_lock = threading.Lock()


def _key(resource: JSON) -> bytes | None:
    meta = resource.get("meta")
    profile = meta.get("profile") if isinstance(meta, dict) else None
    deciding: list[Any] = [
        resource.get("code"),
        resource.get("extension"),
        profile,
        resource.get("bodySite"),
        resource.get("clinicalStatus"),
    ]
    try:
        return orjson.dumps(deciding)
    except (TypeError, orjson.JSONEncodeError):  # not plain JSON: read it directly
        return None
