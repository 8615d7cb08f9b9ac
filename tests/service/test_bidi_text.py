"""Unicode bidirectional controls in chart text never reach what a clinician reads.

Every golden chart is sent again with controls (right-to-left override, isolates, marks)
inserted into every piece of free text: ``text``, ``display``, ``valueString``,
``diagnostics``. What staging reads from it (descriptions, notes, values) must be what it reads
from the clean chart, and the response must hold none of the controls.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import asdict
from pathlib import Path
from typing import Any

import orjson
import pytest

from hooks.fhir.text import BIDI_CONTROLS, visible, visible_utf8
from hooks.services.staging import stage_patient
from tests.service.conftest import ClientFactory, golden_request, prefetched_resources

pytestmark = pytest.mark.anyio

GOLDEN = Path(__file__).parents[1] / "golden" / "cases"
CASES = sorted(p.name.split(".")[0] for p in GOLDEN.glob("*.request.json"))
FREE_TEXT = {"text", "display", "valueString", "diagnostics", "comment"}
CONTROLS = sorted(BIDI_CONTROLS)


def poisoned(node: Any, counter: Iterator[int]) -> Any:
    """A copy of ``node`` with a control before, inside and after every free-text string."""
    if isinstance(node, dict):
        out = {}
        for key, value in node.items():
            if key in FREE_TEXT and isinstance(value, str) and value:
                a, b, c = (CONTROLS[next(counter) % len(CONTROLS)] for _ in range(3))
                middle = len(value) // 2
                out[key] = f"{a}{value[:middle]}{b}{value[middle:]}{c}"
            else:
                out[key] = poisoned(value, counter)
        return out
    if isinstance(node, list):
        return [poisoned(item, counter) for item in node]
    return node


def has_controls(text: str) -> bool:
    return not BIDI_CONTROLS.isdisjoint(text)


@pytest.mark.parametrize("case", CASES)
def test_staging_reads_the_same_from_poisoned_text(case: str) -> None:
    request = golden_request(case)
    patient = request["context"]["patientId"]
    clean = prefetched_resources(request)
    dirty = poisoned(clean, iter(range(10**6)))
    assert has_controls(orjson.dumps(dirty).decode())
    clean_extraction, clean_reports = stage_patient(patient, clean)
    extraction, reports = stage_patient(patient, dirty)
    shown = repr([asdict(r) for r in reports]) + repr(extraction.notes)
    assert not has_controls(shown)
    assert [asdict(r) for r in reports] == [asdict(r) for r in clean_reports]
    assert extraction.notes == clean_extraction.notes


@pytest.mark.parametrize("case", CASES)
async def test_responses_hold_no_bidi_controls(make_client: ClientFactory, case: str) -> None:
    from hooks.services.registry import default_pipeline  # noqa: PLC0415

    request = poisoned(golden_request(case), iter(range(10**6)))
    async with make_client(pipeline=default_pipeline()) as client:
        response = await client.post("/cds-services/sarcoma-staging", json=request)
    assert response.status_code == 200
    assert not has_controls(response.text)


def test_visible_removes_every_control_and_nothing_else() -> None:
    text = "Leiomyosarcoma \u05d0\u05d1 of thigh, 8 cm \u00e9"
    assert visible(text) == text
    assert visible("".join(CONTROLS) + "pT2" + "".join(CONTROLS)) == "pT2"
    assert len(CONTROLS) == 12
    data = ("\u202epT2\u2066x\u061c " + text).encode()
    assert visible_utf8(data).decode() == "pT2x " + text
