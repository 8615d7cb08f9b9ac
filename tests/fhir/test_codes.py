"""Code tables and value parsing (expected codes typed from CLINICAL.md section 4)."""

from __future__ import annotations

from decimal import Decimal

import pytest

from cds.model import SiteGroup
from hooks.fhir import codes

SCT = "http://snomed.info/sct"
AJCC = "http://cancerstaging.org"


@pytest.mark.parametrize(
    ("feature", "system", "code", "text", "expected"),
    [
        ("t", AJCC, "cT2", None, ("T2", "c")),
        ("t", None, None, "pT2", ("T2", "p")),
        ("t", None, None, "T2", ("T2", "")),
        ("t", None, None, "cT2b", ("T2b", "c")),
        ("t", None, None, "pT4a", ("T4a", "p")),
        ("t", None, None, "TX", ("TX", "")),
        ("t", SCT, "1228929004", None, ("T2", "c")),  # cT2
        ("t", SCT, "1229852009", None, ("T2", "p")),  # pT2
        ("t", SCT, "1229867008", None, ("T4c", "p")),  # pT4c
        ("t", SCT, "1222604002", None, ("TX", "c")),  # cTX
        ("n", SCT, "1229967007", None, ("N0", "c")),
        ("n", SCT, "1229951001", None, ("N1", "p")),
        ("n", AJCC, "cN1", None, ("N1", "c")),
        ("m", SCT, "1229901006", None, ("M0", "c")),
        ("m", SCT, "1229916009", None, ("M1", "p")),
        ("m", None, None, "cM1", ("M1", "c")),
        ("stage", None, None, "Stage IIIA", ("IIIA", "")),
        ("stage", AJCC, "3B", None, ("IIIB", "")),
        ("stage", None, None, "IV", ("IV", "")),
        ("stage", None, None, "stage 4", ("IV", "")),
        ("stage", None, None, "1B", ("IB", "")),
        ("stage", SCT, "1222724007", None, ("IA", "")),
        ("stage", SCT, "1222805004", None, ("IIIB", "")),
        ("stage", SCT, "1222765007", None, ("II", "")),
    ],
)
def test_parse_category(
    feature: str, system: str | None, code: str | None, text: str | None, expected: tuple[str, str]
) -> None:
    parsed = codes.parse_category(feature, system, code, text)
    assert (parsed.value, parsed.prefix, parsed.problem) == (*expected, None)


@pytest.mark.parametrize(
    ("feature", "system", "code", "text"),
    [
        ("t", None, None, "T5"),
        ("t", None, None, "N1"),  # an N value in a T Observation
        ("t", SCT, "1229967007", None),  # cN0 in a T Observation
        ("t", None, None, "ypT2"),  # post-therapy: not used
        ("n", None, None, "NX"),  # AJCC 8 STS has no NX
        ("n", None, None, "N2"),
        ("stage", None, None, "Stage III"),  # no plain III in AJCC 8 STS
        ("stage", None, None, "IIC"),
        ("stage", SCT, "1222806003", None),  # IIIC exists for other cancers, not STS
        ("m", None, None, ""),
    ],
)
def test_unreadable_category(
    feature: str, system: str | None, code: str | None, text: str | None
) -> None:
    parsed = codes.parse_category(feature, system, code, text)
    assert parsed.value is None
    assert parsed.problem


@pytest.mark.parametrize(
    ("system", "code", "text", "value", "problem"),
    [
        (SCT, "1228845001", None, "GX", False),
        (SCT, "1228855002", None, "GX", False),  # low-quality GX code, read as GX
        (SCT, "1228848004", None, "G1", False),
        (SCT, "1228850007", None, "G2", False),
        (SCT, "1228851006", None, "G3", False),
        (None, None, "G2", "G2", False),
        (None, None, "Grade 3", "G3", False),
        (None, None, "FNCLCC grade 1", "G1", False),
        (None, None, "high grade", "GX", True),
        (None, None, "poorly differentiated", "GX", True),
        (SCT, "1155707008", None, "GX", True),  # mCODE "High histologic grade"
    ],
)
def test_parse_grade(
    system: str | None, code: str | None, text: str | None, value: str, problem: bool
) -> None:
    parsed = codes.parse_grade(system, code, text)
    assert parsed.value == value
    assert bool(parsed.problem) is problem


@pytest.mark.parametrize(
    ("feature", "prefix", "value", "code"),
    [
        ("t", "c", "T1", "1228889001"),
        ("t", "p", "T1", "1228957006"),
        ("t", "c", "T3", "1228938002"),
        ("t", "p", "T4", "1229864001"),
        ("n", "c", "N0", "1229967007"),
        ("n", "p", "N0", "1229947003"),
        ("n", "c", "N1", "1229973008"),
        ("m", "c", "M0", "1229901006"),
        ("m", "p", "M0", "1229901006"),  # no pM0: the cM0 concept
        ("m", "p", "M1", "1229916009"),
        ("m", "c", "M1", "1229903009"),
        ("stage", "c", "IA", "1222724007"),
        ("stage", "p", "IB", "1222728005"),
        ("stage", "c", "IIIA", "1222802001"),
        ("stage", "c", "IV", "1222837003"),
        ("grade", "", "GX", "1228845001"),
        ("grade", "", "G3", "1228851006"),
    ],
)
def test_output_values(feature: str, prefix: str, value: str, code: str) -> None:
    assert codes.output_value(feature, prefix, value) == (SCT, code)


def test_output_observation_codes() -> None:
    assert codes.OUTPUT_CODE["c"] == {
        "t": (SCT, "399504009"),
        "n": (SCT, "399534004"),
        "m": (SCT, "399387003"),
        "stage": (SCT, "399537006"),
    }
    assert codes.OUTPUT_CODE["p"] == {
        "t": (SCT, "384625004"),
        "n": (SCT, "371494008"),
        "m": (SCT, "371497001"),
        "stage": (SCT, "399588009"),
    }
    assert codes.AJCC8_METHOD == (SCT, "897275008")
    assert codes.FNCLCC_GRADING == (SCT, "426757001")


@pytest.mark.parametrize(
    ("system", "code", "feature"),
    [
        ("http://loinc.org", "21889-1", ("size", "")),
        ("http://loinc.org", "33728-7", ("size", "")),
        (SCT, "371472000", ("mitoses", "")),
        (SCT, "405921002", ("necrosis", "")),
        ("http://ncicb.nci.nih.gov/xml/owl/EVS/Thesaurus.owl", "C18000", ("grade", "")),
        ("http://loinc.org", "33732-9", ("grade", "")),
        ("http://loinc.org", "21858-6", ("grade", "")),
        ("http://loinc.org", "31206-6", ("histology", "")),
        ("http://loinc.org", "59847-4", ("histology", "")),
        (SCT, "399504009", ("t", "c")),
        (SCT, "384625004", ("t", "p")),
        ("http://loinc.org", "21905-5", ("t", "c")),
        ("http://loinc.org", "21899-0", ("t", "p")),
        ("http://loinc.org", "21906-3", ("n", "c")),
        ("http://loinc.org", "21900-6", ("n", "p")),
        ("http://loinc.org", "21907-1", ("m", "c")),
        ("http://loinc.org", "21901-4", ("m", "p")),
        (SCT, "399537006", ("stage", "c")),
        (SCT, "399588009", ("stage", "p")),
        ("http://loinc.org", "21908-9", ("stage", "c")),
        ("http://loinc.org", "21902-2", ("stage", "p")),
        ("http://loinc.org", "21914-7", ("stage", "")),
    ],
)
def test_observation_codes(system: str, code: str, feature: tuple[str, str]) -> None:
    assert codes.observation_feature([(system, code)]) == feature


@pytest.mark.parametrize(
    ("value", "unit", "cm"),
    [
        ("55", "mm", "5.5"),
        ("50", "mm", "5.0"),
        ("51", "mm", "5.1"),
        ("5.1", "cm", "5.1"),
        ("2", "[in_i]", "5.08"),
        ("0.12", "m", "12"),
    ],
)
def test_size_conversion_is_exact(value: str, unit: str, cm: str) -> None:
    converted = codes.size_in_cm(Decimal(value), "http://unitsofmeasure.org", unit, None)
    assert converted == Decimal(cm)


@pytest.mark.parametrize(
    ("system", "unit"),
    [("http://unitsofmeasure.org", "in"), ("http://other.org", "cm"), (None, "")],
)
def test_unknown_units_are_not_guessed(system: str | None, unit: str) -> None:
    assert codes.size_in_cm(Decimal(3), system, unit, None) is None


@pytest.mark.parametrize(
    ("code", "site", "topography"),
    [
        ("C49.2", SiteGroup.TRUNK_EXTREMITY, "C49.2"),
        ("C49.22", SiteGroup.TRUNK_EXTREMITY, "C49.2"),  # ICD-10-CM laterality digit
        ("C47.1", SiteGroup.TRUNK_EXTREMITY, "C47.1"),
        ("C49.6", SiteGroup.TRUNK_EXTREMITY, "C49.6"),
        ("C49.0", SiteGroup.HEAD_NECK, "C49.0"),
        ("C48.0", SiteGroup.RETROPERITONEUM, "C48.0"),
        ("C48.2", SiteGroup.VISCERAL, "C48.2"),
        ("C54.1", None, "C54.1"),
    ],
)
def test_topography(code: str, site: SiteGroup | None, topography: str) -> None:
    found = codes.site_of_topography(code)
    assert found is not None
    assert (found.site, found.topography, found.problem) == (site, topography, None)


@pytest.mark.parametrize("code", ["C47.3", "C47.5", "C49.3", "C49.4", "C49.5"])
def test_ambiguous_topography_asks_for_a_finer_site(code: str) -> None:
    found = codes.site_of_topography(code)
    assert found is not None
    assert found.site is None
    assert found.problem is not None
    assert "finer site" in found.problem


@pytest.mark.parametrize(
    ("code", "site"),
    [
        ("68367000", SiteGroup.TRUNK_EXTREMITY),  # thigh
        ("78904004", SiteGroup.TRUNK_EXTREMITY),  # chest wall
        ("82849001", SiteGroup.RETROPERITONEUM),
        ("774007", SiteGroup.HEAD_NECK),
        ("69695003", SiteGroup.VISCERAL),  # stomach
    ],
)
def test_snomed_sites(code: str, site: SiteGroup) -> None:
    found = codes.site_of_snomed(code)
    assert found is not None
    assert found.site is site


def test_uterus_is_topography_c54() -> None:
    found = codes.site_of_snomed("35039007")
    assert found is not None
    assert found.site is None
    assert found.topography is not None
    assert found.topography.startswith("C54")


@pytest.mark.parametrize(
    ("text", "morphology"),
    [
        ("Myxoid liposarcoma (morphologic abnormality)", "8852/3"),
        ("Liposarcoma", "8850/3"),
        ("Dedifferentiated liposarcoma", "8858/3"),
        ("Leiomyosarcoma of left thigh", "8890/3"),
        ("Synovial sarcoma, biphasic", "9040/3"),
        ("Undifferentiated pleomorphic sarcoma", "8802/3"),
    ],
)
def test_histology_from_name(text: str, morphology: str) -> None:
    assert codes.histology_from_name(text) == morphology


@pytest.mark.parametrize(
    "text", ["Carcinosarcoma of uterus", "Osteosarcoma of femur", "Lymphosarcoma", "Chondrosarcoma"]
)
def test_sarcoma_names_match_whole_words_only(text: str) -> None:
    assert codes.histology_from_name(text) is None


@pytest.mark.parametrize(
    ("morphology", "sarcoma"),
    [
        ("8890/3", True),
        ("8850/1", True),
        ("9040/3", True),
        ("8936/3", True),  # GIST: handed to the core, which says it is not AJCC STS
        ("8850/0", False),  # lipoma
        ("8890/6", False),  # metastasis
        ("8500/3", False),  # ductal carcinoma
    ],
)
def test_is_sarcoma(morphology: str, sarcoma: bool) -> None:
    assert codes.is_sarcoma(morphology) is sarcoma


def test_parse_morphology() -> None:
    assert codes.parse_morphology("8890/3") == "8890/3"
    assert codes.parse_morphology("8890 / 3") == "8890/3"
    assert codes.parse_morphology("C49.2") is None


def test_r4b_warm_up_and_problems() -> None:
    from hooks.fhir import r4b  # noqa: PLC0415

    r4b.warm()
    assert r4b.problem({"resourceType": "Condition"}) is not None  # subject is required in R4
    assert r4b.problem({"resourceType": "NotAType"}) is not None
    assert r4b.problem({"id": "x"}) == "it has no resourceType"
    with pytest.raises(ValueError, match="Condition"):
        r4b.validate({"resourceType": "Condition"})
