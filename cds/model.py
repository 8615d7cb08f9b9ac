"""Domain values of the clinical core: what goes in, what comes out.

Notation follows the AJCC Cancer Staging Manual, 8th edition (2017), soft tissue sarcoma
chapters 40 (head and neck), 41 (trunk and extremities), 42 (abdomen and thoracic visceral
organs) and 44 (retroperitoneum), as reproduced in NCI PDQ "Adult Soft Tissue Sarcoma
Treatment" Tables 1-7. Enum values equal the source notation so that tables, JSON and cards
all speak the book's language.

Everything here is a frozen value: the core never mutates what it is given, and a result can
be shared between threads and requests.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from enum import StrEnum

from cds.interval import Interval


class SiteGroup(StrEnum):
    """AJCC 8 soft tissue sarcoma site groups (one chapter each)."""

    TRUNK_EXTREMITY = "trunk-extremity"  # chapter 41
    RETROPERITONEUM = "retroperitoneum"  # chapter 44
    HEAD_NECK = "head-neck"  # chapter 40
    VISCERAL = "visceral"  # chapter 42, abdomen and thoracic visceral organs


class T(StrEnum):
    """Primary tumor category (PDQ Table 1)."""

    TX = "TX"
    T0 = "T0"
    T1 = "T1"
    T2 = "T2"
    T2a = "T2a"
    T2b = "T2b"
    T3 = "T3"
    T4 = "T4"
    T4a = "T4a"
    T4b = "T4b"
    T4c = "T4c"


class N(StrEnum):
    """Regional lymph node category (PDQ Table 2). AJCC 8 STS has no NX: unknown is N0."""

    N0 = "N0"
    N1 = "N1"


class M(StrEnum):
    """Distant metastasis category (PDQ Table 3)."""

    M0 = "M0"
    M1 = "M1"


class Grade(StrEnum):
    """FNCLCC histologic grade (PDQ Table 6)."""

    GX = "GX"
    G1 = "G1"
    G2 = "G2"
    G3 = "G3"


class Stage(StrEnum):
    """AJCC 8 prognostic stage groups (PDQ Table 7)."""

    IA = "IA"
    IB = "IB"
    II = "II"
    IIIA = "IIIA"
    IIIB = "IIIB"
    IV = "IV"


class Status(StrEnum):
    """Outcome of staging one tumor."""

    STAGED = "staged"  # a stage group was assigned (possibly with GX or assumed N0/M0)
    INSUFFICIENT_DATA = "insufficient-data"  # a stage group applies but cannot be assigned
    NOT_APPLICABLE = "not-applicable"  # no AJCC 8 STS stage group exists for this tumor


class Basis(StrEnum):
    """Where a value came from, shown to the clinician next to it."""

    RECORDED = "recorded"  # stated in the chart (authoritative for T, N, M and G1-G3)
    DERIVED = "derived"  # computed by the rules from measurements
    ASSUMED = "assumed"  # an AJCC default (unknown N is N0, unknown M is M0)
    UNKNOWN = "unknown"  # could not be determined


class Severity(StrEnum):
    INFO = "info"  # explanation, nothing to act on
    WARNING = "warning"  # something a clinician should look at (missing data, disagreement)


@dataclass(frozen=True, slots=True)
class TumorInputs:
    """Everything the core needs to grade and stage one primary soft tissue sarcoma.

    Every field is optional: an unknown stays ``None`` and the result says what is missing.
    Recorded categories (``t``, ``n``, ``m``, ``grade``, ``stage``) are what the chart states;
    the core treats recorded T, N, M and grade as authoritative and reports any disagreement
    with what it derives from measurements. A recorded TX or GX ("cannot be assessed") is
    not a finding: it gives way to a known size or to a complete FNCLCC score.
    """

    site: SiteGroup | None = None
    topography: str | None = None  # ICD-O-3 topography such as "C49.2", when known
    histology: str | None = None  # ICD-O-3 morphology with behavior, e.g. "8890/3"
    size_cm: Decimal | None = None  # greatest dimension of the primary tumor
    differentiation: int | None = None  # FNCLCC differentiation score 1-3, when stated
    mitoses: int | None = None  # mitotic count per 10 high-power fields
    necrosis_pct: Decimal | None = None  # percent of tumor necrotic, 0-100
    grade: Grade | None = None  # recorded FNCLCC grade
    t: T | None = None  # recorded T category (without c/p prefix)
    n: N | None = None  # recorded N category
    m: M | None = None  # recorded M category
    stage: Stage | None = None  # recorded stage group, compared with the derived one
    recurrent: bool = False
    grade_caveats: tuple[str, ...] = ()  # e.g. "graded after neoadjuvant therapy"
    # Values known only as an interval (a FHIR Quantity.comparator, "> 5 cm", "< 50 %"): each
    # is used when the matching exact field (size_cm, mitoses, necrosis_pct) is None.
    size_range: Interval | None = None
    mitoses_range: Interval | None = None
    necrosis_range: Interval | None = None
    # A recorded grade known only as a set of FNCLCC grades (two-tier "high grade" = G2 or G3)
    grade_options: tuple[Grade, ...] = ()
    # Inputs the chart holds but that could not be read ("size", "mitotic-count", "necrosis",
    # "grade", ...): unknown, and said to be unreadable rather than missing.
    unreadable: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class TraceStep:
    """One table row that decided part of the result, in words a clinician can check."""

    table: str  # table id, e.g. "ajcc8-t-trunk-extremity"
    row: str  # the row's own key in the source notation, e.g. "T2"
    source: str  # edition, chapter and table the row comes from
    explanation: str  # e.g. "greatest dimension 7 cm is > 5 cm and <= 10 cm: T2"


@dataclass(frozen=True, slots=True)
class Problem:
    """A data problem or caveat found while grading or staging."""

    code: str  # stable machine id, e.g. "t-disagrees-with-size", "n-assumed"
    message: str  # one sentence for the clinician
    severity: Severity = Severity.INFO
    field: str | None = None  # the input it concerns ("size", "mitotic-count", ...)


@dataclass(frozen=True, slots=True)
class FnclccScores:
    """FNCLCC component scores (PDQ Tables 4-6). ``None`` means not determinable."""

    differentiation: int | None
    mitotic: int | None
    necrosis: int | None

    @property
    def total(self) -> int | None:
        # Three tests and two additions, not two generators (read a few times per tumor;
        # tests/cds/test_assess_round6.py compares it with the sum of the parts)
        differentiation, mitotic, necrosis = self.differentiation, self.mitotic, self.necrosis
        if differentiation is None or mitotic is None or necrosis is None:
            return None
        return differentiation + mitotic + necrosis


@dataclass(frozen=True, slots=True)
class GradeResult:
    grade: Grade
    basis: Basis
    scores: FnclccScores
    missing: tuple[str, ...] = ()  # components that would be needed: "differentiation", ...
    provisional: bool = False  # e.g. graded after neoadjuvant therapy or on a core biopsy
    problems: tuple[Problem, ...] = ()
    trace: tuple[TraceStep, ...] = ()
    # The grades still possible when ``grade`` is GX because only part of the FNCLCC score or
    # a two-tier grade is known (e.g. (G2, G3)); empty when the grade is determined or when
    # nothing narrows GX down.
    options: tuple[Grade, ...] = ()


@dataclass(frozen=True, slots=True)
class TreatmentOption:
    """One treatment option for the tumor, paraphrasing the NCI PDQ summary."""

    id: str  # stable id, e.g. "stage-i-surgery"
    title: str  # clinician-readable, short
    detail: str  # our own words
    evidence: str  # the evidence note (what it does and does not improve)
    source: str  # the PDQ section it comes from
    kind: str  # "stage", "histology", "site", "follow-up" or "note"


@dataclass(frozen=True, slots=True)
class Assessment:
    """The whole answer for one tumor: grade, T/N/M, stage group, treatment.

    ``missing`` lists the inputs whose absence limits the answer, by stable names:
    "site", "size", "t-category", "histology", "differentiation", "mitotic-count",
    "necrosis". ``alternatives`` lists every stage group consistent with what is missing
    (including ``stage`` itself when one was assigned); it is empty when nothing is missing.
    """

    status: Status
    site: SiteGroup | None
    t: T
    t_basis: Basis
    n: N
    n_basis: Basis
    m: M
    m_basis: Basis
    grade: GradeResult
    stage: Stage | None
    alternatives: tuple[Stage, ...] = ()
    missing: tuple[str, ...] = ()
    reason: str | None = None  # why no stage group, when there is none
    histology_name: str | None = None
    problems: tuple[Problem, ...] = ()
    trace: tuple[TraceStep, ...] = ()
    treatment: tuple[TreatmentOption, ...] = field(default=())
    # False when the AJCC 8 soft tissue sarcoma chapters do not cover the tumor at all (another
    # chapter such as GIST ch. 43 or uterine sarcoma ch. 54, Kaposi sarcoma, or a tumor that is
    # not malignant): then no AJCC soft tissue sarcoma T, N, M or FNCLCC grade is to be recorded.
    # True for the ch. 45 unusual histologies and sites without a stage group, whose T, N, M
    # and grade are still AJCC 8 soft tissue sarcoma categories.
    ajcc_sts: bool = True
    # The T categories still possible when ``t`` is TX because the size is known only as an
    # interval (e.g. "> 5 cm" at the trunk: (T2, T3, T4)); empty otherwise.
    t_options: tuple[T, ...] = ()
