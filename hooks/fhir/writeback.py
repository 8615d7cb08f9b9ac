"""What the stage card's suggestion may record, and how our own Observations are recognised
when they come back.

Only what is determined is recorded (AJCC Cancer Staging Manual 8th ed., ch. 40-44, and FNCLCC
grading, via NCI PDQ Tables 1-7):

- nothing when the stage group depends on missing data (the core gives more than one possible
  stage: grade GX, T unknown, site group unknown), when the chart's recorded staging disagrees
  with the rules (the discrepancy card asks which is right first), or for a tumor outside the
  soft tissue sarcoma chapters;
- never a grade that depends on a differentiation score assumed from an unspecific histology
  (e.g. leiomyosarcoma NOS), never the assumed score itself as an FNCLCC score, never a GX
  grade (an unknown is not a finding);
- nothing the chart already holds with the same value, whoever wrote it: the stage card then
  says where it is recorded;
- N0 or M0 that rest on the AJCC convention for unrecorded nodal or distant status (AJCC 8 has
  no NX or MX for soft tissue sarcoma) only with the clinician's explicit agreement: the
  suggestion's label says so and each such Observation carries a note and a tag.

Every Observation we write carries an identifier (``IDENTIFIER_SYSTEM``; the value is derived
from the Condition, the kind of Observation and the staging inputs, so it is stable for a
chart) and ``meta.tag`` ``TAG_SYSTEM|accepted-suggestion``; read back, either marks it as ours.
"""

from __future__ import annotations

import hashlib
import operator
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, replace
from functools import lru_cache
from typing import Any, Final, TypeVar

from cds.frozen import builder
from cds.grading import fnclcc_grade
from cds.model import (
    Assessment,
    Basis,
    Grade,
    M,
    N,
    Problem,
    SiteGroup,
    Stage,
    Status,
    T,
    TumorInputs,
)
from hooks.fhir import codes
from hooks.fhir.model import PrimaryTumor, Source, TumorReport
from hooks.fhir.text import MEMO_TEXT_MAX

IDENTIFIER_SYSTEM: Final = f"{codes.CANONICAL_BASE}/staging-observation"
TAG_SYSTEM: Final = f"{codes.CANONICAL_BASE}/CodeSystem/write-back"
TAG_ACCEPTED: Final = "accepted-suggestion"
TAG_CONVENTION: Final = "ajcc-convention"
TAG_DISPLAY: Final = {
    TAG_ACCEPTED: "Recorded from an accepted sarcoma-cds suggestion",
    TAG_CONVENTION: "Category by the AJCC convention for unrecorded nodal or distant status",
}

#: ``Source.accepted`` of a value read back from one of our Observations.
ACCEPTED: Final = "suggestion"
CONVENTION: Final = "convention"  # an accepted N0/M0 that rests on the AJCC convention

#: Notes on N0 and M0 that rest on the AJCC 8 convention (no NX, no MX for soft tissue sarcoma).
CONVENTION_NOTE: Final = {
    "n": (
        "{value} follows the AJCC 8th edition convention for unrecorded nodal status: no "
        "regional nodal disease was recorded in the chart when this was written (soft tissue "
        "sarcoma has no NX). It is not a finding of nodal evaluation."
    ),
    "m": (
        "{value} follows the AJCC 8th edition convention for unrecorded distant status: no "
        "distant metastasis was recorded in the chart when this was written (there is no MX). "
        "It is not a finding of staging imaging."
    ),
}

# Problem codes of the core that report a disagreement between the chart and the rules (the
# discrepancy card shows them): markers in the code, and recorded values the rules reject.
DISCREPANCY_MARKERS: Final = ("disagree", "differs", "discrepan", "conflict", "mismatch")
REJECTED_RECORDED: Final = frozenset(
    {"t-invalid-for-site", "t-recorded-tx-with-size", "grade-recorded-for-ungraded-histology"}
)
_SCORES = ("differentiation", "mitotic", "necrosis", "total")


def disagrees(problem: Problem) -> bool:
    """Whether a problem of the core reports the chart disagreeing with the AJCC 8 rules."""
    return _disagreeing_code(problem.code)


@lru_cache(maxsize=512)  # the core's problem codes are a few dozen constants: 1 us a call saved
def _disagreeing_code(code: str) -> bool:
    return code in REJECTED_RECORDED or any(m in code for m in DISCREPANCY_MARKERS)


@dataclass(frozen=True, slots=True)
class Plan:
    """What one tumor's suggestion records.

    ``write``: the kinds to create, in order (``stage``, ``t``, ``n``, ``m``, ``grade``, then
    the FNCLCC scores ``differentiation``, ``mitotic``, ``necrosis``, ``total``). ``recorded``:
    the kinds the chart already holds with the same value, with their source. ``assumed``:
    ``n`` / ``m`` written by the AJCC convention. ``blocked``: why nothing is recorded.
    """

    write: tuple[str, ...] = ()
    recorded: tuple[tuple[str, Source], ...] = ()
    assumed: tuple[str, ...] = ()
    blocked: str | None = None

    @property
    def is_recorded(self) -> bool:
        """The chart already holds everything this service would record."""
        return not self.write and not self.blocked and bool(self.recorded)


_new_plan = builder(Plan)

_T = TypeVar("_T")
_KEPT = 32  # the last few reports and tumors (one call's worth, and the next call's)


def _by_identity(memory: dict[int, tuple[Any, _T]], key: object, compute: Callable[[], _T]) -> _T:
    """``compute()`` remembered for ``key`` by identity. The entry holds ``key`` itself, so its
    id cannot be reused by another object while remembered; reports and tumors are immutable
    values once built."""
    kept = memory.get(id(key))
    if kept is not None and kept[0] is key:
        return kept[1]
    value = compute()
    if len(memory) >= _KEPT:
        memory.clear()
    memory[id(key)] = (key, value)
    return value


# The stage card and the Observations it suggests (hooks.fhir.emit) each ask for the plan of the
# same report, one right after the other: remembering it saves one of the two (0.004 ms per
# chart).
_PLANS: dict[int, tuple[Any, Plan]] = {}


def plan(report: TumorReport) -> Plan:
    """What this report's suggestion records (see ``Plan``)."""
    return _by_identity(_PLANS, report, lambda: direct_plan(report))


def direct_plan(report: TumorReport) -> Plan:
    """``plan`` without the memory."""
    tumor, a = report.tumor, report.assessment
    if not a.ajcc_sts:
        return Plan(blocked="the AJCC 8 soft tissue sarcoma chapters do not cover this tumor")
    possible = tuple(dict.fromkeys(a.alternatives))
    if len(possible) > 1:
        return Plan(
            blocked="the stage group depends on missing data (possible: "
            + ", ".join(s.value for s in possible)
            + ")"
        )
    if a.stage is None and a.status is Status.INSUFFICIENT_DATA:
        return Plan(blocked="no stage group can be assigned yet")
    for problem in (*a.grade.problems, *a.problems):  # a plain loop: no generator
        if _disagreeing_code(problem.code):
            return Plan(blocked="the chart's recorded staging disagrees with the AJCC 8 rules")
    grade_known = a.grade.grade is not Grade.GX
    if grade_known and grade_rests_on_assumption(tumor, a):
        return Plan(blocked="the grade depends on the differentiation score, which is not recorded")
    # The kinds considered in order, each written unless the chart holds it as an Observation
    # (an N1 read from a nodal metastasis Condition is recorded as an N category Observation);
    # written out without a closure per call, the plan built through its slots (cds.frozen):
    # 47,100 -> 34,800 instructions a plan.
    src = tumor.sources
    recorded: list[tuple[str, Source]] = []
    write: list[str] = []
    considered = [] if a.stage is None else [("stage", tumor.inputs.stage is a.stage)]
    considered += (
        ("t", a.t_basis is Basis.RECORDED),
        ("n", a.n_basis is Basis.RECORDED),
        ("m", a.m_basis is Basis.RECORDED),
    )
    if grade_known:
        considered.append(("grade", a.grade.basis is Basis.RECORDED))
    for kind, already in considered:
        if already and kind in src and src[kind].reference.startswith("Observation/"):
            recorded.append((kind, src[kind]))
        else:
            write.append(kind)
    if grade_known and "grade" in write:
        write += _scores(tumor, a)
    assumed = []
    if a.n_basis is Basis.ASSUMED and "n" in write:
        assumed.append("n")
    if a.m_basis is Basis.ASSUMED and "m" in write:
        assumed.append("m")
    return _new_plan(tuple(write), tuple(recorded), tuple(assumed), None)


def _differentiation_assumed(a: Assessment) -> bool:
    return any(p.code == "differentiation-assumed" for p in a.grade.problems)


def grade_rests_on_assumption(tumor: PrimaryTumor, a: Assessment) -> bool:
    """Whether the computed grade would change with another differentiation score (1-3) than
    the one assumed for an unspecific histology (the core's ``differentiation-assumed``)."""
    if a.grade.basis is Basis.RECORDED or not _differentiation_assumed(a):
        return False
    grades = {fnclcc_grade(replace(tumor.inputs, differentiation=d)).grade for d in (1, 2, 3)}
    return len(grades) > 1


def _scores(tumor: PrimaryTumor, a: Assessment) -> list[str]:
    """FNCLCC component scores recorded with a computed grade: an assumed differentiation
    score (and the total resting on it) is never written, nor one the chart already states."""
    scores = a.grade.scores
    assumed = _differentiation_assumed(a)
    out = []
    stated = "differentiation" in tumor.sources
    if scores.differentiation is not None and not assumed and not stated:
        out.append("differentiation")
    if scores.mitotic is not None:
        out.append("mitotic")
    if scores.necrosis is not None:
        out.append("necrosis")
    if scores.total is not None and not assumed:
        out.append("total")
    return out


def identifier(tumor: PrimaryTumor, kind: str, value: str) -> dict[str, str]:
    """``IDENTIFIER_SYSTEM|<Condition id>-<kind>-<digest>``: the digest covers the Condition,
    the kind, the value and every staging input with its source, so the same chart gives the
    same identifier (a second acceptance is recognisable; ``ifNoneExist`` can use it)."""
    # The repr of the 5-tuple (condition, kind, value, inputs, sources), its last two items
    # written once per tumor (10 us; a chart staged from its measurements records up to nine).
    material = f"({tumor.condition!r}, {kind!r}, {value!r}, {_tumor_material(tumor)})"
    digest = hashlib.sha256(material.encode()).hexdigest()[:24]
    condition_id = tumor.condition.rsplit("/", 1)[-1]
    return {"system": IDENTIFIER_SYSTEM, "value": f"{condition_id}-{kind}-{digest}"}


# The identifier material of the last tumors (a chart staged from its measurements writes up to
# nine identifiers for one tumor).
_MATERIAL: dict[int, tuple[Any, str]] = {}


def _tumor_material(tumor: PrimaryTumor) -> str:
    """``repr(inputs), repr(sources)`` of the identifier's material (see ``identifier``)."""
    return _by_identity(_MATERIAL, tumor, lambda: tumor_material_text(tumor))


# ``direct_tumor_material`` written out: the fields in their sorted order once, the repr of an
# enum member or a constant looked up (Enum.__repr__ is Python code, 0.7 us a member), each
# item formatted directly instead of by tuple repr (13 us a tumor down to 5.5 us).
_INPUT_FIELDS: Final = tuple(sorted(TumorInputs.__dataclass_fields__))
_INPUT_VALUES: Final = operator.attrgetter(*_INPUT_FIELDS)
_INPUT_HEADS: Final = tuple(f"({name!r}, " for name in _INPUT_FIELDS)
# Keyed by (type, value): a StrEnum member equals its str value, whose repr differs.
_REPRS: Final[dict[tuple[type, object], str]] = {
    (type(value), value): repr(value)
    for value in (*SiteGroup, *T, *N, *M, *Grade, *Stage, None, True, False, ())
}


# The inputs apart from the three measured numbers (a new value almost every chart, and equal
# Decimals such as 7.0 and 7.00 have different reprs) take a few values from chart to chart,
# and so do the names of the sourced fields: the material is one %-format per combination of
# those, filled with the measured numbers and the sources' references and dates by %r (its repr,
# in C). Kept only for values whose repr their type and equality decide (None, bool, int, str
# and the core's enums; typed memo, so 1, True and a str equal to a member are told apart),
# empty tuples and short texts. 104,500 -> ~16,000 instructions per tumor.
_MEASURED: Final = ("mitoses", "necrosis_pct", "size_cm")
_STEADY_FIELDS: Final = tuple(name for name in _INPUT_FIELDS if name not in _MEASURED)
_STEADY_VALUES: Final = operator.attrgetter(*_STEADY_FIELDS)
_MEASURED_VALUES: Final = operator.attrgetter(*_MEASURED)
_STEADY_TYPES: Final = frozenset(
    {type(None), bool, int, str, tuple, SiteGroup, T, N, M, Grade, Stage}
)
_NAME_TYPES: Final = frozenset({str})


def _material_format(steady: tuple[Any, ...], names: tuple[str, ...]) -> str:
    """The material with ``%r`` where the measured numbers, references and dates go (the
    reprs written in kept as they are: "%" doubled)."""
    values = dict(zip(_STEADY_FIELDS, steady, strict=True))
    fields = []
    for name in _INPUT_FIELDS:
        shown = "%r" if name in _MEASURED else repr(values[name]).replace("%", "%%")
        fields.append(f"({name!r}, {shown})")
    items = ["(" + repr(name).replace("%", "%%") + ", %r, %r)" for name in names]
    return f"({', '.join(fields)}), ({', '.join(items)})"


@lru_cache(maxsize=1024, typed=True)
def _remembered_format(*key: Any) -> str:
    """``_material_format`` by the steady inputs and the source names, each typed."""
    split = len(_STEADY_FIELDS)
    return _material_format(key[:split], key[split:])


def _short(text: str | None) -> bool:
    return text is None or (type(text) is str and len(text) <= MEMO_TEXT_MAX)


def tumor_material_text(tumor: PrimaryTumor) -> str:
    """``direct_tumor_material(tumor)``, the same text made faster."""
    inputs, sources = tumor.inputs, tumor.sources
    if type(inputs) is not TumorInputs or len(sources) < 2:  # (x,) and () have their own reprs
        return direct_tumor_material(tumor)
    steady = _STEADY_VALUES(inputs)
    if (
        _STEADY_TYPES.issuperset(map(type, steady))
        and not (inputs.grade_caveats or inputs.grade_options or inputs.unreadable)
        and _short(inputs.histology)
        and _short(inputs.topography)
    ):
        names = sorted(sources)
        if _NAME_TYPES.issuperset(map(type, names)):
            filled: list[Any] = [*_MEASURED_VALUES(inputs)]
            for name in names:
                source = sources[name]
                filled += (source.reference, source.date or "")
            return _remembered_format(*steady, *names) % tuple(filled)
    return _written_out(tumor)


def _written_out(tumor: PrimaryTumor) -> str:
    """``tumor_material_text`` value by value, for inputs the format memo does not keep."""
    inputs, sources = tumor.inputs, tumor.sources
    try:
        values = [_REPRS.get((type(v), v)) or repr(v) for v in _INPUT_VALUES(inputs)]
    except TypeError:  # an unhashable value (not one TumorInputs declares)
        return direct_tumor_material(tumor)
    fields = "(" + "), ".join(map(operator.add, _INPUT_HEADS, values)) + "))"
    # Field names are unique: sorting by name is sorting the (name, reference, date) triples.
    items = []
    for name in sorted(sources):
        source = sources[name]
        items.append(f"({name!r}, {source.reference!r}, {source.date or ''!r})")
    return f"{fields}, ({', '.join(items)})"


def direct_tumor_material(tumor: PrimaryTumor) -> str:
    """``_tumor_material`` without the memory, written as the reprs of two tuples."""
    inputs = tumor.inputs
    fields = tuple(
        (name, getattr(inputs, name))
        for name in sorted(inputs.__dataclass_fields__)  # stable field order
    )
    sources = tuple(sorted((k, s.reference, s.date or "") for k, s in tumor.sources.items()))
    return f"{fields!r}, {sources!r}"


_TAG: Final = {c: {"system": TAG_SYSTEM, "code": c, "display": d} for c, d in TAG_DISPLAY.items()}


def tags(convention: bool) -> list[dict[str, str]]:
    """``meta.tag`` of an Observation we write: fresh copies of the two tags made once (a list
    comprehension of dict literals cost 0.3 us an Observation)."""
    if convention:
        return [_TAG[TAG_ACCEPTED].copy(), _TAG[TAG_CONVENTION].copy()]
    return [_TAG[TAG_ACCEPTED].copy()]


def label(report: TumorReport, p: Plan) -> str:
    """The suggestion's label: what is recorded and, when N0/M0 rest on the AJCC convention,
    that they were assumed."""
    a, tumor = report.assessment, report.tumor
    if "stage" in p.write and a.stage is not None:
        head = f"Record stage {a.stage.value}"
    else:
        values = {
            "t": f"{tumor.classification.value}{a.t.value}",
            "n": a.n.value,
            "m": a.m.value,
            "grade": a.grade.grade.value,
        }
        head = "Record AJCC 8th edition " + " ".join(values[k] for k in p.write if k in values)
    assumed = [{"n": a.n.value, "m": a.m.value}[k] for k in p.assumed]
    if not assumed:
        return head
    what = {
        ("n",): "no nodal disease recorded",
        ("m",): "no distant disease recorded",
        ("n", "m"): "no nodal or distant disease recorded",
    }[p.assumed]
    return f"{head} ({' and '.join(assumed)} assumed: {what})"


def accepted_observations(resources: Iterable[Mapping[str, Any]]) -> dict[str, str]:
    """Our own Observations among ``resources`` (identifier system or tag), as
    ``{"Observation/<id>": ACCEPTED | CONVENTION}``."""
    out: dict[str, str] = {}
    for resource in resources:
        if type(resource) is not dict and not isinstance(resource, Mapping):
            continue  # (the dict test first: the Mapping ABC test is slow)
        if resource.get("resourceType") != "Observation":
            continue
        idents = resource.get("identifier")
        meta = resource.get("meta")
        tag_list = meta.get("tag") if isinstance(meta, dict) else None
        if not idents and not tag_list:
            continue  # most Observations: neither an identifier nor a tag to look at
        # Plain loops, not a generator and a set comprehension per Observation (most charts'
        # Observations carry the lab's identifier and no tag): 93,000 -> 59,000 instructions
        # per bench chart; the id read and the set of tags made only when needed: 59,000 ->
        # 45,500.
        ours = False
        if isinstance(idents, list):
            for ident in idents:
                if isinstance(ident, dict) and ident.get("system") == IDENTIFIER_SYSTEM:
                    ours = True
                    break
        if tag_list:
            if not isinstance(resource.get("id"), str):
                continue  # before the tags are read, as before (an odd tag code may raise)
            found = set()
            for tag in tag_list:
                if isinstance(tag, dict) and tag.get("system") == TAG_SYSTEM:
                    found.add(tag.get("code"))
            if ours or TAG_ACCEPTED in found:
                out[f"Observation/{resource['id']}"] = (
                    CONVENTION if TAG_CONVENTION in found else ACCEPTED
                )
        elif ours and isinstance(resource.get("id"), str):
            out[f"Observation/{resource['id']}"] = ACCEPTED
    return out


def mark_accepted(tumor: PrimaryTumor, ours: Mapping[str, str]) -> PrimaryTumor:
    """``tumor`` with the sources that are our own accepted Observations marked as such."""
    if not ours or not any(s.reference in ours for s in tumor.sources.values()):
        return tumor
    sources = {
        k: replace(s, accepted=ours[s.reference]) if s.reference in ours else s
        for k, s in tumor.sources.items()
    }
    return replace(tumor, sources=sources)


__all__ = [
    "ACCEPTED",
    "CONVENTION",
    "IDENTIFIER_SYSTEM",
    "TAG_SYSTEM",
    "Plan",
    "accepted_observations",
    "disagrees",
    "identifier",
    "label",
    "mark_accepted",
    "plan",
]
