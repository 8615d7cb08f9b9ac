"""Clinical-context rules of ``hooks.fhir.context`` and ``hooks.fhir.secondary`` one by one
(issue 9; CLINICAL.md section 5)."""

from __future__ import annotations

from datetime import date

import pytest

from cds.model import SiteGroup
from hooks.fhir import conditions, context, secondary
from hooks.fhir.conditions import Kind
from hooks.fhir.extract import extract
from tests.charts import builders as b

TODAY = date(2026, 6, 15)


@pytest.mark.parametrize(
    ("birth", "age"),
    [
        ("2008-06-15", 18),  # 18th birthday today: adult
        ("2008-06-16", 17),  # tomorrow
        ("1961-04-12", 65),
        ("2010", 15),  # a year alone: 15 or 16, under 18 either way
        ("1990", 35),  # 35 or 36: the lower bound is given
    ],
)
def test_age_from_birth_date(birth: str, age: int) -> None:
    assert context.age_years("p", [b.patient("p", birth)], TODAY) == (age, None)


def test_a_birth_year_on_the_boundary_gives_no_age_and_says_so() -> None:
    age, note = context.age_years("p", [b.patient("p", "2008")], TODAY)
    assert age is None
    assert note is not None
    assert "2008" in note


def test_another_patients_birth_date_is_not_used() -> None:
    assert context.age_years("p", [b.patient("q", "2015-01-01")], TODAY) == (None, None)


@pytest.mark.parametrize(
    ("text", "marked"),
    [
        ("ypT1", True),
        ("ypT2", True),
        ("pT2", False),
        ("cT3", False),
        ("Resection following neoadjuvant chemoradiation", True),
        ("post-treatment measurement", True),
        ("Resection specimen", False),
        ("typical", False),
    ],
)
def test_post_treatment_marker(text: str, marked: bool) -> None:
    observation = {"resourceType": "Observation", "valueCodeableConcept": {"text": text}}
    assert (context.post_treatment(observation) is not None) is marked


@pytest.mark.parametrize(
    ("extra", "why"),
    [
        ({"clinicalStatus": {"coding": [{"code": "remission"}]}}, "clinicalStatus remission"),
        ({"clinicalStatus": {"coding": [{"code": "inactive"}]}}, "clinicalStatus inactive"),
        ({"abatementDateTime": "2025-10-01"}, "abatement recorded 2025-10-01"),
        ({"clinicalStatus": {"coding": [{"code": "active"}]}}, None),
        ({"clinicalStatus": {"coding": [{"code": "recurrence"}]}}, None),
    ],
)
def test_resolved(extra: dict[str, object], why: str | None) -> None:
    assert context.resolved({"resourceType": "Condition", **extra}) == why


def test_a_left_and_a_right_thigh_tumor_are_two_tumors() -> None:
    pid = "p2"
    left = b.condition(
        "left",
        pid,
        code=b.concept(b.ICD10, "C49.22", "LMS left thigh"),
        morphology=(b.ICDO3, "8890/3"),
        site=b.concept(b.SCT, "68367000"),
    )
    right = b.condition(
        "right",
        pid,
        code=b.concept(b.ICD10, "C49.21", "LMS right thigh"),
        morphology=(b.ICDO3, "8890/3"),
        site=b.concept(b.SCT, "68367000"),
    )
    extraction = extract(pid, [b.patient(pid), left, right])
    assert [t.condition for t in extraction.primaries] == ["Condition/left", "Condition/right"]


@pytest.mark.parametrize(
    ("code", "how", "nodal", "region"),
    [
        (b.concept(b.SCT, "94391008", "Lung metastases"), "SNOMED CT 94391008", False, None),
        (b.concept(b.ICD10, "c79.51"), "ICD-10-CM C79.51", False, None),
        (b.concept(b.ICD10, "C77.3"), "ICD-10-CM C77.3", True, "axilla and upper limb"),
        (b.concept(b.ICD10, "C77.9"), "ICD-10-CM C77.9", True, None),
    ],
)
def test_metastasis_by_code(code: b.JSON, how: str, nodal: bool, region: str | None) -> None:
    found = secondary.by_code({"resourceType": "Condition", "code": code})
    assert found is not None
    assert (found.how, found.nodal, found.region) == (how, nodal, region)


@pytest.mark.parametrize(
    "text",
    ["No evidence of metastatic disease", "History of lung mets", "Suspected liver metastasis"],
)
def test_negated_or_historical_words_are_not_a_metastasis(text: str) -> None:
    info = conditions.classify({"resourceType": "Condition", "code": {"text": text}})
    assert info.kind is not Kind.SECONDARY


def test_an_unknown_snomed_code_with_metastasis_words_is_read_by_text_and_says_so() -> None:
    code = b.concept(b.SCT, "1234567", "Liver mets")
    info = conditions.classify({"resourceType": "Condition", "code": code})
    assert info.kind is Kind.SECONDARY
    assert info.secondary is not None
    assert info.secondary.by_text
    assert "SNOMED CT 1234567 is not in the metastasis table" in (info.secondary.problem or "")


def test_a_primary_named_metastatic_is_still_the_primary() -> None:
    # "Metastatic leiomyosarcoma" names the histology of a primary: its words never make it
    # a secondary (text is only the fallback when nothing else is known).
    code = {"text": "Metastatic leiomyosarcoma of thigh"}
    assert conditions.classify({"resourceType": "Condition", "code": code}).kind is Kind.SARCOMA


def test_gist_icd10cm_is_out_of_scope() -> None:
    code = b.concept(b.ICD10, "C49.A0")
    info = conditions.classify({"resourceType": "Condition", "code": code})
    assert info.kind is Kind.OTHER_CANCER
    assert info.reason is not None
    assert "gastrointestinal stromal tumor" in info.reason


@pytest.mark.parametrize(
    ("region", "topography", "site", "regional"),
    [
        ("axilla and upper limb", "C49.1", None, True),
        ("inguinal and lower limb", "C49.1", None, False),
        ("inguinal and lower limb", "C49.6", None, True),  # trunk: both basins
        ("intra-abdominal", "C48.0", None, True),
        ("head, face and neck", None, SiteGroup.RETROPERITONEUM, False),
        ("axilla and upper limb", None, SiteGroup.TRUNK_EXTREMITY, None),  # limb or trunk?
    ],
)
def test_regional_nodes(
    region: str, topography: str | None, site: SiteGroup | None, regional: bool | None
) -> None:
    assert secondary.regional(region, topography, site).regional is regional


def test_unknown_snomed_morphology_is_reported_by_code() -> None:
    concept = {"coding": [{"system": b.SCT, "code": "999999999"}], "text": "Leiomyosarcoma"}
    from hooks.fhir.read import histology  # noqa: PLC0415

    found = histology(concept)
    assert found.morphology == "8890/3"
    assert any("SNOMED CT morphology 999999999" in p for p in found.problems)


@pytest.mark.parametrize(
    ("code", "region"),
    [
        (b.concept(b.ICD10, "C77.9", "Inguinal node mets"), "inguinal and lower limb"),
        ({"text": "Axillary lymph node metastasis"}, "axilla and upper limb"),
        ({"text": "Lymph node metastases"}, None),
        # two regions named: not decided from words
        (b.concept(b.ICD10, "C77.8", "Axillary and inguinal nodes"), None),
        # the code's region wins over words
        (b.concept(b.ICD10, "C77.3", "Groin nodes"), "axilla and upper limb"),
    ],
)
def test_node_region_from_words_only_when_the_code_names_none(
    code: b.JSON, region: str | None
) -> None:
    info = conditions.classify({"resourceType": "Condition", "code": code})
    assert info.kind is Kind.SECONDARY
    assert info.secondary is not None
    assert info.secondary.nodal
    assert info.secondary.region == region


def test_a_suspected_metastasis_is_not_counted_and_the_chart_notes_say_so() -> None:
    pid = "p3"
    primary = b.condition(
        "lms",
        pid,
        code=b.concept(b.ICD10, "C49.22", "LMS thigh"),
        morphology=(b.ICDO3, "8890/3"),
        site=b.concept(b.SCT, "68367000"),
    )
    suspected = b.condition("susp", pid, code={"text": "Suspected lung metastases"})
    extraction = extract(pid, [b.patient(pid), primary, suspected])
    [tumor] = extraction.primaries
    assert tumor.inputs.m is None
    assert any("Condition/susp" in n and "not counted" in n for n in extraction.notes)


def test_a_remembered_response_is_for_one_day_only(monkeypatch: pytest.MonkeyPatch) -> None:
    # The cards depend on the age on the day of the call (an 18th birthday changes them), so
    # the key responses are remembered under includes the date.
    from datetime import UTC, datetime  # noqa: PLC0415

    from hooks.services import staging  # noqa: PLC0415

    class Day:
        value = datetime(2026, 3, 4, 23, 59, tzinfo=UTC)

        @classmethod
        def now(cls, tz: object = None) -> datetime:
            return cls.value

    monkeypatch.setattr(staging, "datetime", Day)
    chart = [b.patient("p", "2008-03-05")]
    before = staging.chart_key("p", chart)
    Day.value = datetime(2026, 3, 5, 0, 1, tzinfo=UTC)
    assert staging.chart_key("p", chart) != before


@pytest.mark.parametrize(
    ("site", "region"),
    [
        ("68171009", "axilla and upper limb"),  # axillary lymph node structure
        ("279763008", "inguinal and lower limb"),  # inguinofemoral lymph node group
        ("59441001", None),  # structure of lymph node: no region
    ],
)
def test_a_metastasis_at_a_lymph_node_body_site_is_nodal(site: str, region: str | None) -> None:
    resource = {
        "resourceType": "Condition",
        "code": b.concept(b.SCT, "128462008"),
        "bodySite": [b.concept(b.SCT, site)],
    }
    info = conditions.classify(resource)
    assert info.secondary is not None
    assert info.secondary.nodal
    assert info.secondary.region == region


def test_icd10cm_without_the_dot_names_the_node_region() -> None:
    found = secondary.by_code({"resourceType": "Condition", "code": b.concept(b.ICD10, "C774")})
    assert found is not None
    assert found.region == "inguinal and lower limb"


@pytest.mark.parametrize(
    "link",
    [
        {"extension": [{"url": b.RELATED_EXT, "valueReference": {"reference": "Condition/a"}}]},
        {
            "extension": [
                {
                    "url": b.MCODE + "mcode-related-primary-cancer-condition",
                    "valueReference": {"reference": "Condition/a"},
                }
            ]
        },
        {"evidence": [{"detail": [{"reference": "Condition/a"}]}]},
    ],
)
def test_a_metastasis_names_its_primary(link: dict[str, object]) -> None:
    resource = {"resourceType": "Condition", **link}
    assert conditions.related_primaries(resource, {}) == ["Condition/a"]
