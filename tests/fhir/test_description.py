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


# A generic code (SNOMED CT 363346000 or "malignant neoplasm" / "cancer" / "neoplasm" wordings)
# leads with the histology name and the body site, even when the histology is only a code.
ICDO3_ONLY = {"coding": [{"system": codes.ICDO3, "code": "8890/3"}]}
GENERIC_CODES = [
    {"coding": [{"system": SCT, "code": "363346000", "display": "Malignant neoplastic disease"}]},
    {
        "coding": [{"system": SCT, "code": "363346000", "display": "Malignant neoplastic disease"}],
        "text": "Cancer",
    },
    {"text": "Malignant neoplasm"},
    {"text": "Neoplasm"},
]


@pytest.mark.parametrize("code", GENERIC_CODES)
@pytest.mark.parametrize(
    ("body_site", "left", "expected"),
    [
        ({"coding": [THIGH]}, True, "Leiomyosarcoma of left thigh"),
        ({"coding": [{"system": SCT, "code": "68367000"}]}, False, "Leiomyosarcoma of thigh"),
        (None, False, "Leiomyosarcoma"),
    ],
)
def test_generic_code_leads_with_histology_from_extension_code(
    code: dict[str, Any], body_site: dict[str, Any] | None, left: bool, expected: str
) -> None:
    resource = condition(code, body_site, left) | {
        "subject": {"reference": "Patient/p1"},
        "extension": [{"url": codes.HISTOLOGY_EXTENSION, "valueCodeableConcept": ICDO3_ONLY}],
    }
    (tumor,) = extract("p1", [resource]).primaries
    assert tumor.description == expected


def test_generic_code_leads_with_histology_from_observation() -> None:
    resource = condition(GENERIC_CODES[0], {"coding": [THIGH]}, True) | {
        "subject": {"reference": "Patient/p1"}
    }
    histology = {
        "resourceType": "Observation",
        "id": "h",
        "status": "final",
        "code": {"coding": [{"system": "http://loinc.org", "code": "31206-6"}]},
        "subject": {"reference": "Patient/p1"},
        "focus": [{"reference": "Condition/c1"}],
        "valueCodeableConcept": {"coding": [{"system": codes.ICDO3, "code": "8853/3"}]},
    }
    (tumor,) = extract("p1", [resource, histology]).primaries
    assert tumor.description == "Round cell liposarcoma of left thigh"


def test_two_generic_primaries_read_differently() -> None:
    def primary(cid: str, morphology: str) -> dict[str, Any]:
        return condition(GENERIC_CODES[0], {"coding": [THIGH]}) | {
            "id": cid,
            "subject": {"reference": "Patient/p1"},
            "extension": [
                {
                    "url": codes.HISTOLOGY_EXTENSION,
                    "valueCodeableConcept": {
                        "coding": [{"system": codes.ICDO3, "code": morphology}]
                    },
                }
            ],
        }

    found = extract("p1", [primary("a", "8890/3"), primary("b", "8852/3")]).primaries
    assert sorted(t.description for t in found) == [
        "Leiomyosarcoma of thigh",
        "Myxoid liposarcoma of thigh",
    ]
