"""Realistic charts for issue 9, each with its expectation derived by hand from the NCI PDQ
Adult Soft Tissue Sarcoma Treatment summary (Tables 1-7, the AJCC 8th edition staging it
reproduces) or the AJCC 8th edition general rules, cited in the case.

Shared tumor: leiomyosarcoma (ICD-O-3 8890/3) of the left thigh, 70 mm, FNCLCC G3 recorded.
AJCC 8 ch. 41 (PDQ Tables 1 and 7): 70 mm is T2 (> 5 cm, <= 10 cm); T2 N0 M0 G3 is stage
IIIA; any T, any N, M1 is stage IV; N1 M0 (trunk and extremities) is stage IV.
Retroperitoneal tumor: dedifferentiated liposarcoma (8858/3), 180 mm, G3: T4 (> 15 cm);
T4 N0 M0 G3 is IIIB; retroperitoneum N1 M0 is IIIB (PDQ Table 7, AJCC 8 ch. 44).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from tests.charts import builders as b

PID = "e9a1b2c3"
THIGH = b.concept(b.SCT, "68367000")  # thigh structure, no display (as exported)
LMS = (b.ICDO3, "8890/3")


def thigh_lms(cid: str = "lms", **kw: Any) -> b.JSON:
    return b.condition(
        cid,
        PID,
        code=b.concept(b.ICD10, "C49.22", "Leiomyosarcoma L thigh"),
        morphology=LMS,
        site=THIGH,
        **kw,
    )


def rp_ddlps(cid: str = "ddlps") -> b.JSON:
    return b.condition(
        cid,
        PID,
        code=b.concept(b.SCT, "363346000", "Retroperitoneal DDLPS"),
        morphology=(b.ICDO3, "8858/3"),
        site=b.concept(b.SCT, "82849001"),
        onset="2024-11-02",
    )


def thigh_chart(*extra: b.JSON, birth: str | None = "1961-04-12") -> list[b.JSON]:
    return [
        b.patient(PID, birth),
        thigh_lms(),
        *b.comorbidities(PID),
        b.size("mri-size", PID, "lms", 70, when="2025-02-20"),
        b.grade("bx-grade", PID, "lms", "G3"),
        *extra,
    ]


def rp_chart(*extra: b.JSON) -> list[b.JSON]:
    return [
        b.patient(PID),
        rp_ddlps(),
        b.size("ct-size", PID, "ddlps", 180, when="2024-11-10"),
        b.grade("rp-grade", PID, "ddlps", "G3", when="2024-11-20"),
        *extra,
    ]


def metastasis(cid: str, code: b.JSON, **kw: Any) -> b.JSON:
    return b.condition(
        cid, PID, code=code, category="encounter-diagnosis", onset="2025-03-04", **kw
    )


@dataclass(frozen=True)
class Expect:
    """Per primary Condition id: what stage-fhir --json and the stage card must say."""

    stage: str | None
    t: str | None = None
    n: str | None = None
    m: str | None = None
    classification: str | None = None
    note: str | None = None  # a substring of one of the tumor's notes
    keys: dict[str, Any] = field(default_factory=dict)  # further stage-fhir --json keys


@dataclass(frozen=True)
class Case:
    name: str
    source: str  # the hand derivation and its citation
    resources: list[b.JSON]
    expect: dict[str, Expect]
    card_summaries: tuple[str, ...] = ()  # substrings some card summary must contain
    card_details: tuple[str, ...] = ()  # substrings some card detail must contain
    no_card: tuple[str, ...] = ()  # substrings no card summary may contain
    no_detail: tuple[str, ...] = ()  # substrings no card detail may contain


CASES = [
    Case(
        "lung-mets-snomed-with-own-text",
        "SNOMED CT 94391008 (secondary malignant neoplasm of lung) with the clinician's text: M1;"
        " T2 N0 M1 G3 -> IV (PDQ Table 7: any T, any N, M1, any G is stage IV)",
        thigh_chart(metastasis("mets", b.concept(b.SCT, "94391008", "Lung metastases"))),
        {"lms": Expect("IV", "T2", "N0", "M1", note="SNOMED CT 94391008")},
        card_summaries=("AJCC 8 stage IV",),
    ),
    Case(
        "lung-mets-icd10-without-display",
        "ICD-10-CM C78.01 (secondary malignant neoplasm of right lung), no display or text: M1 ->"
        " IV (PDQ Table 7)",
        thigh_chart(metastasis("mets", b.concept(b.ICD10, "C78.01"))),
        {"lms": Expect("IV", "T2", "N0", "M1", note="ICD-10-CM C78.01")},
        card_summaries=("AJCC 8 stage IV",),
    ),
    Case(
        "mets-mcode-profile-local-code",
        "mCODE SecondaryCancerCondition profile on a Condition coded in a local (Epic) code "
        "system: M1 -> IV (mCODE STU4; PDQ Table 7)",
        thigh_chart(
            metastasis(
                "mets",
                b.concept("urn:oid:1.2.840.114350.1.13.0.1.7.2.696580", "3455", "Pulm nodules"),
                profile="mcode-secondary-cancer-condition",
            )
        ),
        {"lms": Expect("IV", m="M1", note="SecondaryCancerCondition profile")},
    ),
    Case(
        "mets-text-only",
        "no code at all, text 'Lung mets': read from the text as the fallback, M1 -> IV, and "
        "the note says it was read from text (PDQ Table 7)",
        thigh_chart(metastasis("mets", {"text": "Lung mets"})),
        {"lms": Expect("IV", m="M1", note="read as a metastasis from its text")},
    ),
    Case(
        "nodes-regional-groin-for-thigh",
        "ICD-10-CM C77.4 (inguinal and lower limb nodes) drain the thigh: regional, N1 M0; "
        "trunk/extremity N1 M0 -> IV (AJCC 8 general rules; PDQ Table 7)",
        thigh_chart(metastasis("nodes", b.concept(b.ICD10, "C77.4", "Groin node mets"))),
        {"lms": Expect("IV", "T2", "N1", "M0", note="are regional")},
    ),
    Case(
        "nodes-non-regional-axilla-for-thigh",
        "ICD-10-CM C77.3 (axillary nodes) do not drain the thigh: non-regional nodal disease "
        "is M1 (AJCC 8 general rules) -> N0 M1, IV",
        thigh_chart(metastasis("nodes", b.concept(b.ICD10, "C77.3"))),
        {"lms": Expect("IV", "T2", "N0", "M1", note="non-regional")},
    ),
    Case(
        "nodes-unspecified-code-region-in-words",
        "ICD-10-CM C77.9 (lymph node, unspecified) with the text 'Axillary LN mets' for a thigh "
        "primary: the region comes from the words (axilla), which does not drain the thigh: "
        "M1 -> IV (AJCC 8 general rules; PDQ Table 7)",
        thigh_chart(metastasis("nodes", b.concept(b.ICD10, "C77.9", "Axillary LN mets"))),
        {"lms": Expect("IV", "T2", "N0", "M1", note="node region read from its words")},
    ),
    Case(
        "nodes-no-region-read-as-regional-with-warning",
        "ICD-10-CM C77.9 with no text: the region is unknown; read as N1 (regional) and the note "
        "says non-regional nodes would be M1; trunk/extremity N1 M0 -> IV (PDQ Table 7)",
        thigh_chart(metastasis("nodes", b.concept(b.ICD10, "C77.9"))),
        {"lms": Expect("IV", "T2", "N1", "M0", note="if these nodes are not regional")},
    ),
    Case(
        "mcode-metastasis-at-an-axillary-node-body-site",
        "mCODE shape: SNOMED CT 128462008 with bodySite 68171009 (axillary lymph node) and no "
        "text, for a thigh primary: nodal, axillary nodes do not drain the thigh: M1 -> IV "
        "(AJCC 8 general rules; PDQ Table 7)",
        thigh_chart(
            metastasis(
                "nodes",
                b.concept(b.SCT, "128462008"),
                site=b.concept(b.SCT, "68171009"),
                profile="mcode-secondary-cancer-condition",
            )
        ),
        {"lms": Expect("IV", "T2", "N0", "M1", note="a lymph node")},
    ),
    Case(
        "retroperitoneum-regional-nodes",
        "retroperitoneal DDLPS 180 mm G3 (T4) with intra-abdominal nodes (C77.2): regional, N1 "
        "M0 -> IIIB for the retroperitoneum (PDQ Table 7; AJCC 8 ch. 44)",
        rp_chart(metastasis("nodes", b.concept(b.ICD10, "C77.2"))),
        {"ddlps": Expect("IIIB", "T4", "N1", "M0")},
    ),
    Case(
        "retroperitoneum-neck-nodes-are-distant",
        "retroperitoneal DDLPS with cervical nodes (C77.0): not regional, M1 -> IV (AJCC 8 "
        "general rules; PDQ Table 7)",
        rp_chart(metastasis("nodes", b.concept(b.ICD10, "C77.0"))),
        {"ddlps": Expect("IV", "T4", "N0", "M1")},
    ),
    Case(
        "two-primaries-unattributed-metastasis",
        "two primaries (thigh LMS T2 G3 -> IIIA; retroperitoneal DDLPS T4 G3 -> IIIB) and a lung "
        "metastasis naming neither: neither stage counts it; each shows IV if it belongs to it "
        "(PDQ Table 7)",
        [
            *thigh_chart(),
            rp_ddlps(),
            b.size("ct-size", PID, "ddlps", 180, when="2024-11-10"),
            b.grade("rp-grade", PID, "ddlps", "G3", when="2024-11-20"),
            metastasis("mets", b.concept(b.SCT, "94391008")),
        ],
        {
            "lms": Expect(
                "IIIA",
                m="M0",
                note="M1 if this metastasis belongs to it (stage IV)",
                keys={
                    "possible_metastases": ["Condition/mets"],
                    "stage_if_metastasis_belongs": "IV",
                },
            ),
            "ddlps": Expect(
                "IIIB",
                m="M0",
                keys={
                    "possible_metastases": ["Condition/mets"],
                    "stage_if_metastasis_belongs": "IV",
                },
            ),
        },
        card_details=("M1 if this metastasis belongs to it", "M1, stage IV"),
    ),
    Case(
        "snomed-morphology-read-by-code",
        "histology as SNOMED CT 1163022006 (leiomyosarcoma) with a misleading display, at the "
        "knee region (SNOMED CT 72696002, no display): ICD-O-3 8890/3, lower limb; 70 mm G3 -> "
        "T2 G3 -> IIIA (PDQ Tables 1, 7)",
        [
            b.patient(PID),
            b.condition(
                "lms",
                PID,
                code=b.concept(b.SCT, "363346000"),
                morphology=(b.SCT, "1163022006"),
                site=b.concept(b.SCT, "72696002"),
                extra={},
            ),
            b.size("mri-size", PID, "lms", 70),
            b.grade("bx-grade", PID, "lms", "G3"),
        ],
        {
            "lms": Expect(
                "IIIA", "T2", keys={"histology_name": "leiomyosarcoma", "site": "trunk-extremity"}
            )
        },
    ),
    Case(
        "unknown-site-code-is-reported",
        "a body site coded with a SNOMED CT concept the site table does not hold: the site "
        "group is unknown and the note names the code (never 'not recorded')",
        [
            b.patient(PID),
            b.condition(
                "lms",
                PID,
                code={"text": "Leiomyosarcoma"},
                morphology=LMS,
                site=b.concept(b.SCT, "12345"),
            ),
            b.size("mri-size", PID, "lms", 70),
            b.grade("bx-grade", PID, "lms", "G3"),
        ],
        {"lms": Expect(None, note="body site SNOMED CT 12345 is not in the site table")},
    ),
    Case(
        "yp-values-after-neoadjuvant-therapy",
        "pretreatment MRI 120 mm (T3, > 10 and <= 15 cm) and G3 -> IIIB (PDQ Table 7); the "
        "resection after neoadjuvant chemoradiation (40 mm, ypT1) is the treated tumor (AJCC y "
        "prefix): shown, not used, never pT",
        [
            b.patient(PID),
            thigh_lms(),
            b.size("mri-size", PID, "lms", 120, when="2025-02-20"),
            b.grade("bx-grade", PID, "lms", "G3"),
            b.size(
                "resection-size",
                PID,
                "lms",
                40,
                when="2025-06-15",
                note="Resection specimen following neoadjuvant chemoradiation",
            ),
            b.category(
                "resection-pt", PID, "lms", (b.LNC, "21899-0"), text="ypT1", when="2025-06-15"
            ),
        ],
        {"lms": Expect("IIIB", "T3", classification="c", note="after neoadjuvant therapy")},
        card_details=("After neoadjuvant therapy",),
    ),
    Case(
        "several-lesions-same-day",
        "two lesions of the thigh tumor measured on the same MRI (68 mm and 42 mm): T by the "
        "largest (AJCC 8 general rules), T2; T2 G3 -> IIIA (PDQ Table 7)",
        [
            b.patient(PID),
            thigh_lms(),
            b.size("mri-a", PID, "lms", 68, body_site="distal thigh lesion"),
            b.size("mri-b", PID, "lms", 42, body_site="proximal thigh lesion"),
            b.grade("bx-grade", PID, "lms", "G3"),
        ],
        {"lms": Expect("IIIA", "T2", note="T is assigned by the largest")},
    ),
    Case(
        "two-sizes-same-day-lesion-not-said",
        "two different final sizes on the same day (42 mm, then 68 mm on the path report) "
        "that do not say which lesion each measures: the largest is used (AJCC 8: multiple "
        "tumors, T by the largest), T2; T2 G3 -> IIIA (PDQ Table 7), and the note asks to check",
        [
            b.patient(PID),
            thigh_lms(),
            b.size("mri-a", PID, "lms", 68, when="2025-02-20T09:10:00Z"),
            b.size("mri-b", PID, "lms", 42, when="2025-02-20T16:40:00Z"),
            b.grade("bx-grade", PID, "lms", "G3"),
        ],
        {"lms": Expect("IIIA", "T2", note="without saying which lesion each measures")},
    ),
    Case(
        "duplicate-conditions-one-tumor",
        "a problem-list entry and an encounter diagnosis for the same LMS of the thigh: one "
        "tumor, both cited; 70 mm (on one) and G3 (on the other) -> T2 G3 -> IIIA (PDQ Table 7)",
        [
            b.patient(PID),
            thigh_lms("lms"),
            thigh_lms("lms-enc", category="encounter-diagnosis", onset="2025-02-21"),
            b.size("mri-size", PID, "lms-enc", 70),
            b.grade("bx-grade", PID, "lms", "G3"),
        ],
        {"lms": Expect("IIIA", "T2", keys={"also": ["lms-enc"]}, note="Condition/lms-enc")},
    ),
    Case(
        "resolved-disease-follow-up-first",
        "clinicalStatus resolved with an abatement date: staged as recorded (T2 G3 -> IIIA, PDQ"
        " Table 7); the treatment card leads with follow-up (PDQ Follow-Up Testing)",
        [
            b.patient(PID),
            thigh_lms(status="resolved", extra={"abatementDateTime": "2025-09-30"}),
            b.size("mri-size", PID, "lms", 70),
            b.grade("bx-grade", PID, "lms", "G3"),
        ],
        {
            "lms": Expect(
                "IIIA", note="follow-up first", keys={"resolved": "clinicalStatus resolved"}
            )
        },
        card_summaries=("Recorded as resolved: follow-up first",),
        card_details=("recorded as resolved",),
    ),
    Case(
        "patient-under-18",
        "a 14-year-old (birthDate 2012): AJCC staging still applies (IIIA), but the adult PDQ "
        "summary does not (PDQ: separate Childhood Soft Tissue Sarcoma Treatment summary): no "
        "adult treatment options",
        thigh_chart(birth="2012-03-05"),
        {"lms": Expect("IIIA", keys={"treatment": []}, note="does not apply")},
        card_summaries=("Patient under 18",),
        no_card=("Treatment options",),
        no_detail=("function-sparing wide excision", "Treatment Options for Stage"),
    ),
    Case(
        "gist-icd10-c49a-not-staged",
        "ICD-10-CM C49.A2 is a gastrointestinal stromal tumor of the stomach: AJCC 8 ch. 43, "
        "outside the soft tissue sarcoma chapters: not staged, and the chart notes say why",
        [
            b.patient(PID),
            b.condition("gist", PID, code=b.concept(b.ICD10, "C49.A2", "GIST stomach")),
            *b.comorbidities(PID),
        ],
        {},
        card_details=("gastrointestinal stromal tumor",),
    ),
]
