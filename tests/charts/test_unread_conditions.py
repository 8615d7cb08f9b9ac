"""A Condition the reader cannot read at all is named on the stage card, never taken as absent.

Real exports carry codes without displays. A secondary malignant neoplasm coded by a SNOMED CT
concept that is not in ``hooks/fhir/tables/metastases.toml`` (only cited concepts are shipped)
and with no text or display cannot be recognised as a metastasis; the staging then rests on
"M0: no distant metastasis recorded" (AJCC 8 has no MX). That must not happen silently: the
stage card's "Could not read" line names the Condition and says it would make M1 (stage IV at
the trunk and extremities, AJCC 8th ed. ch. 41, PDQ Table 7) if it is a metastasis.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.charts.build import GRADE, SCT, SIZE, SUBJECT, chart, observation, quantity
from tests.charts.run import service_cards, stage_fhir, unescape

ICD10CM = "http://hl7.org/fhir/sid/icd-10-cm"

# 7 cm (T2), G3: T2 N0 M0 G3 is IIIA at the trunk and extremities (PDQ Table 7).
VALUES = (
    observation("size", SIZE, valueQuantity=quantity(70, "mm")),
    observation("grade", GRADE, valueString="Grade 3"),
)


def condition(cid: str, code: dict[str, Any], status: str = "active") -> dict[str, Any]:
    return {
        "resourceType": "Condition",
        "id": cid,
        "clinicalStatus": {
            "coding": [
                {
                    "system": "http://terminology.hl7.org/CodeSystem/condition-clinical",
                    "code": status,
                }
            ]
        },
        "code": code,
        "subject": SUBJECT,
        "onsetDateTime": "2025-10-01",
    }


# A SNOMED CT concept outside our tables, coded with neither display nor text (as an export
# that drops displays sends it). 94579000 is not shipped: no cited source gave it.
OPAQUE = condition("opaque", {"coding": [{"system": SCT, "code": "94579000"}]})


def test_stage_fhir_names_the_condition_it_could_not_read(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (item,) = stage_fhir([*chart(*VALUES), OPAQUE], tmp_path, capsys)
    assert item["stage"] == "IIIA"  # M0 by the AJCC convention: the Condition is not read
    assert item["m"] == "M0"
    (said,) = [u for u in item["unreadable"] if "Condition/opaque" in u]
    assert "SNOMED CT 94579000" in said
    assert "M1" in said


@pytest.mark.anyio
async def test_the_stage_card_says_what_it_could_not_read(tmp_path: Path) -> None:
    cards = await service_cards([*chart(*VALUES), OPAQUE], tmp_path)
    detail = unescape(cards[0]["detail"])
    assert "**Could not read**" in cards[0]["detail"]
    assert "Condition/opaque (SNOMED CT 94579000)" in detail
    assert "M is M1" in detail


@pytest.mark.parametrize(
    "readable",
    [
        # a display: the reader classifies it by its words (here: not a cancer)
        condition(
            "htn2", {"coding": [{"system": SCT, "code": "59621000", "display": "Hypertension"}]}
        ),
        # text only
        condition("dm", {"coding": [{"system": SCT, "code": "44054006"}], "text": "Diabetes"}),
        # ICD-10-CM outside C00-D49 is known not to be a cancer, display or not
        condition("copd", {"coding": [{"system": ICD10CM, "code": "J44.9"}]}),
        # not an active problem
        condition("old", {"coding": [{"system": SCT, "code": "94579000"}]}, status="resolved"),
    ],
    ids=["display", "text", "icd10cm", "resolved"],
)
def test_readable_or_inactive_conditions_are_not_reported(
    readable: dict[str, Any], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (item,) = stage_fhir([*chart(*VALUES), readable], tmp_path, capsys)
    assert not [u for u in item["unreadable"] if "Condition/" in u]
    assert item["stage"] == "IIIA"


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"
