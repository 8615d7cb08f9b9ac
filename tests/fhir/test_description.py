"""The tumor description shown in card summaries: the site said once, the histology kept."""

from __future__ import annotations

from typing import Any

import pytest

from hooks.fhir import codes
from hooks.fhir.conditions import description, site
from hooks.fhir.extract import extract

SCT = "http://snomed.info/sct"
THIGH = {"system": SCT, "code": "68367000", "display": "Thigh structure (body structure)"}
LEFT = {
    "url": codes.LATERALITY_EXTENSION,
    "valueCodeableConcept": {
        "coding": [{"system": SCT, "code": "7771000", "display": "Left (qualifier value)"}]
    },
}


def condition(
    code: dict[str, Any] | None, body_site: dict[str, Any] | None, left: bool = False
) -> dict[str, Any]:
    resource: dict[str, Any] = {"resourceType": "Condition", "id": "c1"}
    if code is not None:
        resource["code"] = code
    if body_site is not None:
        resource["bodySite"] = [dict(body_site, extension=[LEFT]) if left else body_site]
    return resource


def describe(resource: dict[str, Any], histology: str | None = None) -> str:
    return description(resource, site(resource).text, histology)


LMS_TEXT = {"text": "Leiomyosarcoma"}
LMS_DISPLAY = {"coding": [{"system": SCT, "code": "302856006", "display": "Leiomyosarcoma"}]}


@pytest.mark.parametrize(
    ("code", "body_site", "left", "histology", "expected"),
    [
        # Condition.code.text already names the site: nothing is added.
        (
            {"text": "Leiomyosarcoma of left thigh"},
            {"text": "Thigh structure"},
            True,
            None,
            "Leiomyosarcoma of left thigh",
        ),
        (
            {"text": "Leiomyosarcoma of left thigh"},
            {"coding": [THIGH]},
            True,
            None,
            "Leiomyosarcoma of left thigh",
        ),
        (
            {"text": "Leiomyosarcoma of left thigh"},
            {"text": "Left thigh"},
            False,
            None,
            "Leiomyosarcoma of left thigh",
        ),
        # The name says the site without its side: the side goes in once.
        (
            {"text": "Leiomyosarcoma of thigh"},
            {"coding": [THIGH]},
            True,
            None,
            "Leiomyosarcoma of left thigh",
        ),
        (
            {"text": "Leiomyosarcoma of thigh"},
            {"text": "Right thigh"},
            False,
            None,
            "Leiomyosarcoma of right thigh",
        ),
        # Site from bodySite text or display variants.
        (LMS_TEXT, {"text": "Thigh structure"}, True, None, "Leiomyosarcoma of left thigh"),
        (LMS_TEXT, {"coding": [THIGH]}, True, None, "Leiomyosarcoma of left thigh"),
        (LMS_TEXT, {"text": "Structure of left thigh"}, True, None, "Leiomyosarcoma of left thigh"),
        (LMS_TEXT, {"text": "Entire thigh"}, False, None, "Leiomyosarcoma of thigh"),
        (LMS_TEXT, {"text": "Left Upper Arm"}, False, None, "Leiomyosarcoma of left upper arm"),
        (
            LMS_TEXT,
            {"text": "Retroperitoneal structure"},
            False,
            None,
            "Leiomyosarcoma of retroperitoneum",
        ),
        # A code display only, with or without its semantic tag.
        (LMS_DISPLAY, {"coding": [THIGH]}, True, None, "Leiomyosarcoma of left thigh"),
        (
            {
                "coding": [
                    {"system": SCT, "code": "302856006", "display": "Leiomyosarcoma (disorder)"}
                ]
            },
            {"coding": [THIGH]},
            False,
            None,
            "Leiomyosarcoma of thigh",
        ),
        # A generic code never hides the histology recorded elsewhere.
        (
            {"text": "Malignant neoplastic disease"},
            {"coding": [THIGH]},
            True,
            "Leiomyosarcoma",
            "Leiomyosarcoma of left thigh",
        ),
        (
            {"text": "Sarcoma of thigh"},
            None,
            False,
            "Myxoid liposarcoma",
            "Myxoid liposarcoma of thigh",
        ),
        (None, {"text": "Thigh"}, True, "Leiomyosarcoma, NOS", "Leiomyosarcoma of left thigh"),
        (
            {"text": "Leiomyosarcoma of left thigh"},
            None,
            False,
            "Leiomyosarcoma, NOS",
            "Leiomyosarcoma of left thigh",
        ),
        (
            {"text": "Malignant neoplastic disease"},
            None,
            False,
            "8890/3",
            "Malignant neoplastic disease",
        ),
        (None, None, False, None, "Soft tissue sarcoma"),
    ],
)
def test_description(
    code: dict[str, Any] | None,
    body_site: dict[str, Any] | None,
    left: bool,
    histology: str | None,
    expected: str,
) -> None:
    assert describe(condition(code, body_site, left), histology) == expected


def test_extracted_description_keeps_histology_from_the_extension() -> None:
    resource = condition({"text": "Malignant neoplastic disease"}, {"coding": [THIGH]}, True)
    resource |= {
        "subject": {"reference": "Patient/p1"},
        "extension": [
            {
                "url": codes.HISTOLOGY_EXTENSION,
                "valueCodeableConcept": {
                    "coding": [{"system": codes.ICDO3, "code": "8890/3"}],
                    "text": "Leiomyosarcoma",
                },
            }
        ],
    }
    (tumor,) = extract("p1", [resource]).primaries
    assert tumor.description == "Leiomyosarcoma of left thigh"
