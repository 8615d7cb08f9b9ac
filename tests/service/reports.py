"""Hand-built TumorReports (the FHIR extraction contract) and a stand-in pipeline.

Values are typed from CLINICAL.md (AJCC 8th edition via NCI PDQ): a 7 cm trunk/extremity
tumor is T2 (> 5 and <= 10 cm); FNCLCC leiomyosarcoma (conventional) differentiation 2,
25 mitoses/10 HPF score 3, 60 % necrosis score 2, total 7 -> G3; T2 N0 M0 G3 -> IIIA; GX
groups with G1, so T2 N0 M0 GX -> IB (IIIA with G2/G3).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from decimal import Decimal
from typing import Any

from cds.model import (
    Assessment,
    Basis,
    FnclccScores,
    Grade,
    GradeResult,
    M,
    N,
    Problem,
    Severity,
    SiteGroup,
    Stage,
    Status,
    T,
    TraceStep,
    TreatmentOption,
    TumorInputs,
)
from hooks.fhir.model import Classification, Extraction, PrimaryTumor, Source, TumorReport
from hooks.services.registry import Pipeline

PDQ = "NCI PDQ Adult Soft Tissue Sarcoma Treatment"

STAGE_III_OPTIONS = (
    TreatmentOption(
        id="stage-ii-iii-surgery-rt",
        title="Surgery with radiation therapy",
        detail="Wide excision with preoperative or postoperative radiation therapy.",
        evidence="Lowers local recurrence; no proven overall survival gain.",
        source=PDQ + ", Stage II and III",
        kind="stage",
    ),
)


def lms_thigh(patient: str = "lms-thigh") -> TumorReport:
    """Leiomyosarcoma of left thigh, 7 cm, G3 from FNCLCC scores: pT2 N0 M0 G3, IIIA."""
    inputs = TumorInputs(
        site=SiteGroup.TRUNK_EXTREMITY,
        topography="C49.2",
        histology="8890/3",
        size_cm=Decimal("7.0"),
        mitoses=25,
        necrosis_pct=Decimal("60"),
    )
    tumor = PrimaryTumor(
        condition=f"Condition/{patient}-primary",
        description="Leiomyosarcoma of left thigh",
        inputs=inputs,
        classification=Classification.PATHOLOGIC,
        sources={
            "histology": Source(f"Condition/{patient}-primary", "2024-03-01", "active", "8890/3"),
            "site": Source(f"Condition/{patient}-primary", "2024-03-01", "active", "Left thigh"),
            "size_cm": Source(f"Observation/{patient}-size", "2024-03-05", "final", "70 mm"),
            "mitoses": Source(f"Observation/{patient}-mitoses", "2024-03-05", "final", "25"),
            "necrosis_pct": Source(
                f"Observation/{patient}-necrosis", "2024-03-05", "final", "60 %"
            ),
        },
    )
    grade = GradeResult(
        grade=Grade.G3,
        basis=Basis.DERIVED,
        scores=FnclccScores(differentiation=2, mitotic=3, necrosis=2),
        trace=(TraceStep("fnclcc-grade", "G3", "PDQ Table 6", "FNCLCC total 7 (6-8): G3"),),
    )
    assessment = Assessment(
        status=Status.STAGED,
        site=SiteGroup.TRUNK_EXTREMITY,
        t=T.T2,
        t_basis=Basis.DERIVED,
        n=N.N0,
        n_basis=Basis.ASSUMED,
        m=M.M0,
        m_basis=Basis.ASSUMED,
        grade=grade,
        stage=Stage.IIIA,
        histology_name="Leiomyosarcoma",
        trace=(
            TraceStep(
                "ajcc8-t-trunk-extremity",
                "T2",
                "AJCC 8 ch. 41",
                "greatest dimension 7.0 cm is > 5 cm and <= 10 cm: T2",
            ),
            TraceStep("ajcc8-stage-trunk-extremity", "IIIA", "AJCC 8 ch. 41", "T2 N0 M0 G3: IIIA"),
        ),
        treatment=STAGE_III_OPTIONS,
    )
    return TumorReport(tumor=tumor, assessment=assessment)


def lms_thigh_gx(patient: str = "lms-gx") -> TumorReport:
    """Same tumor without mitoses or necrosis: GX, stage IB, IIIA if G2 or G3."""
    base = lms_thigh(patient)
    inputs = TumorInputs(site=SiteGroup.TRUNK_EXTREMITY, histology="8890/3", size_cm=Decimal("7.0"))
    grade = GradeResult(
        grade=Grade.GX,
        basis=Basis.UNKNOWN,
        scores=FnclccScores(differentiation=2, mitotic=None, necrosis=None),
        missing=("mitotic-count", "necrosis"),
    )
    assessment = replace(
        base.assessment,
        grade=grade,
        stage=Stage.IB,
        alternatives=(Stage.IB, Stage.IIIA),
        missing=("mitotic-count", "necrosis"),
        trace=base.assessment.trace[:1],
        treatment=(),
    )
    tumor = PrimaryTumor(
        condition=base.tumor.condition,
        description=base.tumor.description,
        inputs=inputs,
        classification=Classification.CLINICAL,
        sources={
            k: v for k, v in base.tumor.sources.items() if k in {"histology", "site", "size_cm"}
        },
    )
    return TumorReport(tumor=tumor, assessment=assessment)


def discrepancy(patient: str = "lms-discrepant") -> TumorReport:
    """Recorded pT3 for a 7 cm tumor (T2 by size): a discrepancy the card must name."""
    base = lms_thigh(patient)
    problem = Problem(
        code="t-disagrees-with-size",
        message="Recorded T3 disagrees with the greatest dimension 7.0 cm (T2).",
        severity=Severity.WARNING,
        field="t",
    )
    assessment = replace(
        base.assessment,
        t=T.T3,
        t_basis=Basis.RECORDED,
        stage=Stage.IIIB,
        problems=(problem,),
    )
    sources = dict(base.tumor.sources)
    sources["t"] = Source(f"Observation/{patient}-pt", "2024-03-06", "final", "pT3")
    tumor = PrimaryTumor(
        condition=base.tumor.condition,
        description="Leiomyosarcoma of left thigh",
        inputs=base.tumor.inputs,
        classification=Classification.PATHOLOGIC,
        sources=sources,
    )
    return TumorReport(tumor=tumor, assessment=assessment)


def head_neck_angiosarcoma(patient: str = "angio-scalp") -> TumorReport:
    """Angiosarcoma of the scalp: AJCC 8 gives no stage group for head and neck."""
    inputs = TumorInputs(site=SiteGroup.HEAD_NECK, histology="9120/3", size_cm=Decimal("3.0"))
    grade = GradeResult(grade=Grade.GX, basis=Basis.UNKNOWN, scores=FnclccScores(None, None, None))
    assessment = Assessment(
        status=Status.NOT_APPLICABLE,
        site=SiteGroup.HEAD_NECK,
        t=T.T2,
        t_basis=Basis.DERIVED,
        n=N.N0,
        n_basis=Basis.ASSUMED,
        m=M.M0,
        m_basis=Basis.ASSUMED,
        grade=grade,
        stage=None,
        reason="AJCC 8 has no prognostic stage grouping for head and neck sarcoma",
        histology_name="Angiosarcoma",
        treatment=(
            TreatmentOption(
                "note-nodal",
                "Nodal evaluation",
                "Angiosarcoma spreads to lymph nodes more often than most sarcomas.",
                "",
                PDQ + ", General information",
                "note",
            ),
        ),
    )
    tumor = PrimaryTumor(
        condition=f"Condition/{patient}-primary",
        description="Angiosarcoma of scalp [see *note*] <b>",
        inputs=inputs,
    )
    return TumorReport(tumor=tumor, assessment=assessment)


def fake_observations(
    patient_id: str, report: TumorReport, *, effective: str, new_id: Callable[[], str]
) -> list[dict[str, Any]]:
    """Two Observations shaped like the emitted ones (stage group and T), enough for cards."""
    a = report.assessment
    out = [
        {
            "resourceType": "Observation",
            "id": new_id(),
            "status": "final",
            "code": {
                "coding": [
                    {
                        "system": "http://snomed.info/sct",
                        "code": "384625004",
                        "display": "pT category",
                    }
                ]
            },
            "subject": {"reference": f"Patient/{patient_id}"},
            "effectiveDateTime": effective,
            "valueCodeableConcept": {"text": f"p{a.t.value}"},
        }
    ]
    if a.stage is not None:
        out.append(
            {
                "resourceType": "Observation",
                "id": new_id(),
                "status": "final",
                "code": {"text": "AJCC 8th edition pathologic stage group"},
                "subject": {"reference": f"Patient/{patient_id}"},
                "effectiveDateTime": effective,
                "valueCodeableConcept": {"text": a.stage.value},
            }
        )
    return out


@dataclass
class FakeStager:
    """Returns prepared reports for a patient id and records what it was given."""

    reports: dict[str, list[TumorReport]] = field(default_factory=dict)
    seen: list[tuple[str, list[dict[str, Any]]]] = field(default_factory=list)
    fail: bool = False

    def __call__(
        self, patient_id: str, resources: Sequence[dict[str, Any]]
    ) -> tuple[Extraction, list[TumorReport]]:
        self.seen.append((patient_id, list(resources)))
        if self.fail:
            raise RuntimeError("boom: simulated bug in staging")
        reports = self.reports.get(patient_id, [])
        extraction = Extraction(patient_id=patient_id, primaries=tuple(r.tumor for r in reports))
        return extraction, reports


def fake_pipeline(stager: FakeStager | None = None) -> Pipeline:
    stager = stager or FakeStager(
        reports={
            "lms-thigh": [lms_thigh()],
            "lms-gx": [lms_thigh_gx()],
            "lms-discrepant": [discrepancy()],
            "angio-scalp": [head_neck_angiosarcoma()],
        }
    )
    return Pipeline(stage=stager, emit=fake_observations, assess=None)
