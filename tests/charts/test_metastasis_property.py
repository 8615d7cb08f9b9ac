"""Property (issue 9): adding a metastasis Condition, in any encoding the service supports,
never lowers the stage of a staged primary. AJCC 8 (PDQ Table 7): M1 is stage IV whatever
T, N and G are; regional N1 is IV (trunk and extremities) or IIIB (retroperitoneum), never
lower than the N0 group of the same tumor."""

from __future__ import annotations

from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from cds.assess import assess
from hooks.fhir.extract import extract
from hooks.fhir.secondary import SECONDARY_SCT, regional
from tests.charts import builders as b
from tests.charts.cases import PID

ORDER = ["IA", "IB", "II", "IIIA", "IIIB", "IV"]
SITES = {  # SNOMED CT body structures of the site table (trunk, limbs, retroperitoneum)
    "68367000": "thigh",
    "14975008": "forearm",
    "78904004": "chest wall",
    "72696002": "knee region",
    "82849001": "retroperitoneum",
}
ICD10_METASTASES = [
    "C78.00",
    "C78.01",
    "C78.1",
    "C78.2",
    "C78.6",
    "C78.7",
    "C79.31",
    "C79.51",
    "C79.9",
    "C77.0",
    "C77.1",
    "C77.2",
    "C77.3",
    "C77.4",
    "C77.5",
    "C77.8",
    "C77.9",
]
TEXTS = ["Lung mets", "Metastatic disease to liver", "Secondary deposit, T8 vertebra", "Mets"]


@st.composite
def metastasis(draw: st.DrawFn) -> dict[str, Any]:
    kind = draw(st.sampled_from(["snomed", "icd10", "profile", "text"]))
    text = draw(st.sampled_from([None, *TEXTS, "Cancer"]))
    if kind == "snomed":
        code = b.concept(b.SCT, draw(st.sampled_from(sorted(SECONDARY_SCT))), text)
        return b.condition("met", PID, code=code)
    if kind == "icd10":
        code = b.concept(b.ICD10, draw(st.sampled_from(ICD10_METASTASES)), text)
        return b.condition("met", PID, code=code)
    if kind == "profile":
        code = b.concept("urn:oid:1.2.840.114350.1.13.0.1.7.2.696580", "8841", text)
        return b.condition("met", PID, code=code, profile="mcode-secondary-cancer-condition")
    return b.condition("met", PID, code={"text": draw(st.sampled_from(TEXTS))})


def stage_of(resources: list[dict[str, Any]]) -> str | None:
    extraction = extract(PID, resources)
    [tumor] = extraction.primaries
    stage = assess(tumor.inputs).stage
    return stage.value if stage else None


@settings(max_examples=150, deadline=None)
@given(
    primary=st.tuples(
        st.sampled_from(sorted(SITES)),
        st.integers(min_value=5, max_value=250),
        st.sampled_from(["G1", "G2", "G3"]),
        st.sampled_from(["8890/3", "8858/3", "8802/3", "9040/3"]),
    ),
    met=metastasis(),
    named=st.booleans(),
)
def test_adding_a_metastasis_never_lowers_the_stage(
    primary: tuple[str, int, str, str], met: dict[str, Any], named: bool
) -> None:
    site, size_mm, grade, morphology = primary
    chart = [
        b.patient(PID),
        b.condition(
            "primary",
            PID,
            code=b.concept(b.SCT, "363346000"),
            morphology=(b.ICDO3, morphology),
            site=b.concept(b.SCT, site),
        ),
        b.size("size", PID, "primary", size_mm),
        b.grade("grade", PID, "primary", grade),
    ]
    before = stage_of(chart)
    assert before is not None  # trunk/extremity and retroperitoneum are always grouped
    if named:
        met["extension"] = [
            {"url": b.RELATED_EXT, "valueReference": {"reference": "Condition/primary"}}
        ]
    after = stage_of([*chart, met])
    assert after is not None
    assert ORDER.index(after) >= ORDER.index(before), (before, after, met["code"])
    nodal = any(c.get("code", "").startswith("C77") for c in met["code"].get("coding", []))
    if not nodal:  # a distant metastasis read by code (or, with no code, by its words): M1
        assert after == "IV", (before, after, met["code"])


def test_the_nodal_rule_decides_regional_or_distant() -> None:
    # AJCC 8 general rules: inguinal nodes drain the lower limb; axillary nodes do not.
    assert regional("inguinal and lower limb", "C49.2", None).regional is True
    assert regional("axilla and upper limb", "C49.2", None).regional is False
    assert regional(None, "C49.2", None).regional is None
