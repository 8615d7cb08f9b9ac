"""mCODE STU4 staging Observations for one tumor's assessment, as JSON-ready dicts.

Per primary: TNMPrimaryTumorCategory, TNMRegionalNodesCategory, TNMDistantMetastasesCategory,
a TNMStageGroup when a stage group applies (``hasMember`` the T, N and M), a HistologicGrade
(NCIT C18000, SNOMED CT AJCC grade value, method FNCLCC) with the FNCLCC component scores as
Observations coded in our CodeSystem (``hasMember`` of the grade). Profiles: mCODE STU4
(hl7.fhir.us.mcode 4.0.0) and our own in ``fhir_profiles/``; codes: ``hooks/fhir/codes.py``.

References among the new Observations: each gets an ``id`` from ``new_id`` and the others
point at it as ``Observation/<id>``. CDS Hooks 2.0 (Suggestion.actions) says the actions of
one suggestion "SHOULD be processed as per FHIR's rules for processing transactions with the
CDS Client's fhirServer as the base url for the inferred full URL of the transaction bundle
entries": the inferred full URL of each created resource is ``{fhirServer}/Observation/<id>``,
so the relative references resolve inside that one transaction and are rewritten when the
server assigns its own ids. ``as_transaction_bundle`` writes the same set as a standalone
transaction Bundle with ``urn:uuid`` full URLs and references.
"""

from __future__ import annotations

import html
import uuid
from collections.abc import Callable, Iterable, Mapping
from functools import lru_cache
from typing import Any, NamedTuple

from cds.model import Assessment, Basis, TraceStep
from hooks.fhir import codes, writeback
from hooks.fhir.model import Classification, PrimaryTumor, TumorReport

JSONDict = dict[str, Any]

PROFILE_T = codes.MCODE_PROFILE + "mcode-tnm-primary-tumor-category"
PROFILE_N = codes.MCODE_PROFILE + "mcode-tnm-regional-nodes-category"
PROFILE_M = codes.MCODE_PROFILE + "mcode-tnm-distant-metastases-category"
PROFILE_STAGE = codes.MCODE_PROFILE + "mcode-tnm-stage-group"
PROFILE_GRADE = codes.MCODE_PROFILE + "mcode-histologic-grade"
PROFILE_SCORE = f"{codes.CANONICAL_BASE}/StructureDefinition/sarcoma-fnclcc-score"

#: FNCLCC scores in our CodeSystem (``fhir_profiles/CodeSystem-fnclcc.json``).
SCORE_CODES: dict[str, str] = {
    "differentiation": "differentiation-score",
    "mitotic": "mitotic-count-score",
    "necrosis": "necrosis-score",
    "total": "total-score",
}
SCORE_DISPLAY: dict[str, str] = {
    "differentiation-score": "FNCLCC tumor differentiation score",
    "mitotic-count-score": "FNCLCC mitotic count score",
    "necrosis-score": "FNCLCC tumor necrosis score",
    "total-score": "FNCLCC total score",
}
# Which inputs each emitted Observation rests on (TumorInputs field names).
_INPUTS: dict[str, tuple[str, ...]] = {
    "t": ("size_cm", "t"),
    "n": ("n",),
    "m": ("m",),
    "grade": ("histology", "differentiation", "mitoses", "necrosis_pct", "grade"),
    "differentiation": ("histology", "differentiation"),
    "mitotic": ("mitoses",),
    "necrosis": ("necrosis_pct",),
    "total": ("histology", "differentiation", "mitoses", "necrosis_pct"),
}
_BASIS = {
    Basis.RECORDED: "recorded in the chart",
    Basis.DERIVED: "derived by the AJCC 8 rules",
    Basis.ASSUMED: "assumed by the AJCC 8 default",
    Basis.UNKNOWN: "could not be determined",
}


def _concept(coded: codes.Coded, text: str | None = None) -> JSONDict:
    coding: JSONDict = {"system": coded[0], "code": coded[1]}
    display = codes.DISPLAY.get(coded)
    if display:
        coding["display"] = display
    concept: JSONDict = {"coding": [coding]}
    if text:
        concept["text"] = text
    return concept


# The concepts of ``Texts``, one per code and text (a few dozen in all): templates, copied by
# ``observation`` for each Observation, never handed out themselves.
_template = lru_cache(maxsize=512)(_concept)


_XHTML_DIV = '<div xmlns="http://www.w3.org/1999/xhtml">%s</div>'


def _explain(steps: Iterable[TraceStep]) -> list[str]:
    """Each table row that decided, as a sentence naming its source."""
    return [f"{s.explanation[:1].upper()}{s.explanation[1:]} ({s.source})." for s in steps]


_LABEL = {
    "size_cm": "tumor size",
    "mitoses": "mitotic count",
    "necrosis_pct": "necrosis",
    "differentiation": "differentiation score",
    "grade": "recorded grade",
    "histology": "histology",
    "t": "recorded T",
    "n": "recorded N",
    "m": "recorded M",
}


def _sources(tumor: PrimaryTumor, fields: Iterable[str]) -> list[str]:
    """Where the inputs came from, e.g. "Tumor size 8.2 cm from Observation/abc."."""
    words = []
    for name in fields:
        source = tumor.sources.get(name)
        if source is not None:
            shown = f" {source.text}" if source.text else ""
            label = _LABEL.get(name, name)
            words.append(f"{label[:1].upper()}{label[1:]}{shown} from {source.reference}.")
    return words


def _refs(tumor: PrimaryTumor, fields: Iterable[str]) -> list[JSONDict]:
    refs = sorted(
        {
            tumor.sources[name].reference
            for name in fields
            if name in tumor.sources and tumor.sources[name].reference.startswith("Observation/")
        }
    )
    return [{"reference": r} for r in refs]


def staging_observations(
    patient_id: str,
    report: TumorReport,
    *,
    effective: str,
    new_id: Callable[[], str],
) -> list[dict[str, Any]]:
    """The Observations recording what is determined of one tumor's T, N, M, stage group, grade
    and FNCLCC scores and not yet in the chart (``hooks.fhir.writeback.plan``).

    None when the stage group depends on missing data, when the chart's recorded staging
    disagrees with the rules, when the chart already holds it all, or for a tumor the AJCC 8
    soft tissue sarcoma chapters do not cover (GIST, uterine sarcoma, Kaposi sarcoma,
    non-malignant tumors): recording AJCC soft tissue sarcoma categories or an FNCLCC grade for
    it would put the wrong staging system in the chart.
    """
    tumor, assessment = report.tumor, report.assessment
    chosen = writeback.plan(report)
    if not chosen.write:
        return []
    status = "preliminary" if tumor.preliminary else "final"
    subject = f"Patient/{patient_id}"
    condition = tumor.condition

    # One dict literal per Observation from its texts (``Texts``: worked out once per clinical
    # picture for the stage group), the value's key passed in rather than a dict unpacked into
    # it; the texts' concepts copied, never shared between responses (with the material below
    # and derivedFrom in C: 274,000 -> 231,000 instructions a bench chart's suggestion;
    # tests/fhir/test_emit_oracle.py compares it with the former build).
    def observation(texts: Texts, kind: str, shown: str) -> JSONDict:
        profile, convention, div, category, code, value_key, value, method, notes = texts
        return {
            "resourceType": "Observation",
            "id": new_id(),
            "meta": {"profile": [profile], "tag": writeback.tags(convention)},
            "text": {"status": "generated", "div": div},
            "identifier": [writeback.identifier(tumor, kind, shown)],
            "status": status,
            "category": [{"coding": [{"system": codes.OBSERVATION_CATEGORY, "code": category}]}],
            "code": {**code, "coding": [code["coding"][0].copy()]},
            "subject": {"reference": subject},
            "focus": [{"reference": condition}],
            "effectiveDateTime": effective,
            value_key: {**value, "coding": [value["coding"][0].copy()]}
            if type(value) is dict
            else value,
            "method": {**method, "coding": [method["coding"][0].copy()]},
            "note": [{"text": notes[0]}] if len(notes) == 1 else [{"text": n} for n in notes],
        }

    out: list[JSONDict] = []
    members: list[JSONDict] = []
    recorded = dict(chosen.recorded)
    for name, profile in (("t", PROFILE_T), ("n", PROFILE_N), ("m", PROFILE_M)):
        if name in recorded:
            members.append({"reference": recorded[name].reference})
            continue
        resource = _category_observation(
            tumor, assessment, name, profile, observation, assumed=name in chosen.assumed
        )
        members.append({"reference": f"Observation/{resource['id']}"})
        out.append(resource)

    grade: list[JSONDict] = []
    scores: list[JSONDict] = []
    if "grade" in chosen.write:
        scores = _score_observations(tumor, assessment, observation, chosen.write)
        grade = [_grade_observation(tumor, assessment, observation)]
        if scores:
            grade[0]["hasMember"] = [{"reference": f"Observation/{s['id']}"} for s in scores]

    if "stage" in chosen.write:
        stage = _stage_observation(tumor, assessment, observation)
        stage["hasMember"] = members
        out.insert(0, stage)
    return [*out, *grade, *scores]


class Texts(NamedTuple):
    """What an Observation says apart from its ids, subject, focus, date and references: the
    profile, whether it rests on the AJCC convention (its tag), the narrative ``div``, the
    category code, the code, the value's key and value, the method and the notes. Concepts are
    templates: ``observation`` writes copies of them."""

    profile: str
    convention: bool
    div: str
    category: str
    code: JSONDict
    value_key: str
    value: Any
    method: JSONDict
    notes: tuple[str, ...]


#: ``observation`` of ``staging_observations``: an Observation from its texts, kind and value.
Observation = Callable[[Texts, str, str], JSONDict]

_CAVEAT = "Rests on preliminary data: confirm before relying on it."


def texts(
    profile: str,
    code: JSONDict,
    value: tuple[str, Any, JSONDict],
    note: list[str],
    *,
    preliminary: bool,
    lab: bool,
    convention: str | None = None,
) -> Texts:
    """An Observation's ``Texts`` from its notes (the preliminary caveat appended to them and a
    convention note put before them)."""
    words = " ".join([*note, _CAVEAT]) if preliminary else " ".join(note)
    value_key, value_value, method = value
    if convention:
        narrative = f"{convention} {words}" if words else convention
        notes: tuple[str, ...] = (convention, words)
    else:
        narrative = words
        notes = (words,)
    return Texts(
        profile,
        convention is not None,
        _XHTML_DIV % html.escape(narrative),
        "laboratory" if lab else "exam",
        code,
        value_key,
        value_value,
        method,
        notes,
    )


def _prefix(tumor: PrimaryTumor, name: str, assessment: Assessment) -> str:
    """c or p for one category: T follows the tumor's classification; N and M are pathologic
    only when a pathologic value was recorded (AJCC: cN0/cM0 stand in pathologic staging)."""
    if name == "t":
        return tumor.classification.value
    basis = assessment.n_basis if name == "n" else assessment.m_basis
    if basis is Basis.RECORDED and tumor.prefixes.get(name) == "p":
        return "p"
    return "c"


def _category_observation(
    tumor: PrimaryTumor,
    assessment: Assessment,
    name: str,
    profile: str,
    observation: Observation,
    *,
    assumed: bool,
) -> JSONDict:
    value = {"t": assessment.t, "n": assessment.n, "m": assessment.m}[name]
    basis = {"t": assessment.t_basis, "n": assessment.n_basis, "m": assessment.m_basis}[name]
    prefix = _prefix(tumor, name, assessment)
    if name == "m" and str(value) == "M0":
        prefix = "c"  # AJCC 8 has no pM0
    note = [f"{prefix}{value}: {_BASIS[basis]}."]
    if name == "m" and tumor.classification is Classification.PATHOLOGIC and prefix == "c":
        note.append("AJCC 8 has no pM0; pathologic staging uses the clinical M category.")
    elif name == "n" and tumor.classification is Classification.PATHOLOGIC and prefix == "c":
        note.append("No pathologic N was recorded; pathologic staging uses the clinical N.")
    steps = [s for s in assessment.trace if s.table.startswith(f"ajcc8-{name}")]
    note += _explain(steps) + _sources(tumor, _INPUTS[name])
    note += [p.message for p in assessment.problems if p.field in _FIELD_OF.get(name, ())]
    shown = f"{prefix}{value}"
    said = texts(
        profile,
        _template(codes.OUTPUT_CODE[prefix][name]),
        (
            "valueCodeableConcept",
            _template(codes.output_value(name, prefix, str(value)), shown),
            _template(codes.AJCC8_METHOD),
        ),
        note,
        preliminary=tumor.preliminary,
        lab=prefix == "p",
        convention=writeback.CONVENTION_NOTE[name].format(value=shown) if assumed else None,
    )
    resource = observation(said, name, shown)
    derived = _refs(tumor, _INPUTS[name])
    if derived:
        resource["derivedFrom"] = derived
    return resource


_FIELD_OF: dict[str, tuple[str, ...]] = {
    "t": ("size", "t-category", "t"),
    "n": ("n", "n-category"),
    "m": ("m", "m-category"),
}


def _stage_observation(
    tumor: PrimaryTumor, assessment: Assessment, observation: Observation
) -> JSONDict:
    said, shown = _stage_texts(tumor, assessment)
    resource = observation(said, "stage", shown)
    derived = [{"reference": r} for r in tumor.input_references]
    if derived:
        resource["derivedFrom"] = derived
    return resource


def stage_texts(tumor: PrimaryTumor, assessment: Assessment) -> tuple[Texts, str]:
    """The stage group Observation's ``Texts`` and its value as the identifier shows it."""
    prefix = tumor.classification.value
    stage = str(assessment.stage)
    note = [f"Stage {stage} (AJCC 8th edition, {assessment.status.value})."]
    note += _explain(s for s in assessment.trace if "stage" in s.table)
    others = [str(a) for a in assessment.alternatives if a != assessment.stage]
    if others:
        missing = ", ".join(assessment.missing) or "missing data"
        note.append(f"With {missing} known the stage could also be {', '.join(others)}.")
    said = texts(
        PROFILE_STAGE,
        _template(codes.OUTPUT_CODE[prefix]["stage"]),
        (
            "valueCodeableConcept",
            _template(codes.output_value("stage", prefix, stage), f"Stage {stage}"),
            _template(codes.AJCC8_METHOD),
        ),
        note,
        preliminary=tumor.preliminary,
        lab=prefix == "p",
    )
    return said, f"{prefix}{stage}"


# The stage group's texts by exactly what ``stage_texts`` reads: the classification, stage,
# status, alternatives, missing inputs, preliminary flag and the stage rows of the trace (equal
# rows, equal explanations); every chart of one clinical picture says the same.
_STAGE_TEXTS: dict[tuple[Any, ...], tuple[Texts, str]] = {}
_STAGE_KEPT = 256


def _stage_texts(tumor: PrimaryTumor, assessment: Assessment) -> tuple[Texts, str]:
    """``stage_texts`` remembered."""
    key = (
        tumor.classification,
        assessment.stage,
        assessment.status,
        assessment.alternatives,
        assessment.missing,
        tumor.preliminary,
        *[s for s in assessment.trace if "stage" in s.table],
    )
    found = _STAGE_TEXTS.get(key)
    if found is None:
        found = stage_texts(tumor, assessment)
        if len(_STAGE_TEXTS) >= _STAGE_KEPT:
            _STAGE_TEXTS.clear()
        _STAGE_TEXTS[key] = found
    return found


def _grade_observation(
    tumor: PrimaryTumor, assessment: Assessment, observation: Observation
) -> JSONDict:
    result = assessment.grade
    grade = str(result.grade)
    note = [f"FNCLCC grade {grade}: {_BASIS[result.basis]}."]
    if result.scores.total is not None:
        note.append(f"Total score {result.scores.total}.")
    if result.missing:
        note.append("Missing for a grade: " + ", ".join(result.missing) + ".")
    if result.provisional:
        note.append("Provisional grade.")
    if any(p.code == "differentiation-assumed" for p in result.problems):
        note.append(
            f"The differentiation score was not recorded; the grade is {grade} with any "
            "differentiation score (1, 2 or 3), so no score is recorded for it."
        )
    note += _explain(result.trace) + [p.message for p in result.problems]
    note += _sources(tumor, _INPUTS["grade"])
    said = texts(
        PROFILE_GRADE,
        _template(codes.OUTPUT_CODE["grade"]["grade"]),
        (
            "valueCodeableConcept",
            _template(codes.output_value("grade", "", grade), grade),
            _template(codes.FNCLCC_GRADING, "FNCLCC"),
        ),
        note,
        preliminary=tumor.preliminary,
        lab=True,
    )
    resource = observation(said, "grade", grade)
    derived = _refs(tumor, _INPUTS["grade"])
    if derived:
        resource["derivedFrom"] = derived
    return resource


def _score_observations(
    tumor: PrimaryTumor, assessment: Assessment, observation: Observation, write: tuple[str, ...]
) -> list[JSONDict]:
    scores = assessment.grade.scores
    values = {
        "differentiation": scores.differentiation,
        "mitotic": scores.mitotic,
        "necrosis": scores.necrosis,
        "total": scores.total,
    }
    out = []
    for name, score in values.items():
        if score is None or name not in write:
            continue
        code = SCORE_CODES[name]
        note = [f"{SCORE_DISPLAY[code]} {score}."]
        note += _explain(s for s in assessment.grade.trace if _score_step(s, name))
        note += _sources(tumor, _INPUTS[name])
        said = texts(
            PROFILE_SCORE,
            {"coding": [{"system": codes.SARC, "code": code, "display": SCORE_DISPLAY[code]}]},
            ("valueInteger", score, _template(codes.FNCLCC_GRADING, "FNCLCC")),
            note,
            preliminary=tumor.preliminary,
            lab=True,
        )
        resource = observation(said, name, str(score))
        derived = _refs(tumor, _INPUTS[name])
        if derived:
            resource["derivedFrom"] = derived
        out.append(resource)
    return out


def _score_step(step: TraceStep, name: str) -> bool:
    table = step.table
    return {
        "differentiation": "differentiation" in table,
        "mitotic": "mitotic" in table,
        "necrosis": "necrosis" in table,
        "total": table.endswith("grade"),
    }[name]


def as_transaction_bundle(resources: Iterable[Mapping[str, Any]]) -> dict[str, Any]:
    """A FHIR transaction Bundle creating ``resources`` (references among them resolved).

    Each resource becomes a POST entry with a ``urn:uuid`` fullUrl, and every
    ``Observation/<id>`` reference to another resource of the set is rewritten to that
    ``urn:uuid``, as FHIR transaction processing expects. Our identifier makes each a
    conditional create (``ifNoneExist``): a second transaction creates no duplicate.
    """
    items = [dict(r) for r in resources]
    urns: dict[str, str] = {}
    for item in items:
        key = f"{item['resourceType']}/{item['id']}"
        try:
            urns[key] = f"urn:uuid:{uuid.UUID(str(item['id']))}"
        except ValueError:
            urns[key] = f"urn:uuid:{uuid.uuid5(uuid.NAMESPACE_URL, key)}"

    def rewrite(value: Any) -> Any:
        if isinstance(value, dict):
            return {
                k: (urns.get(v, v) if k == "reference" and isinstance(v, str) else rewrite(v))
                for k, v in value.items()
            }
        if isinstance(value, list):
            return [rewrite(v) for v in value]
        return value

    entries = []
    for item in items:
        key = f"{item['resourceType']}/{item['id']}"
        body = rewrite({k: v for k, v in item.items() if k != "id"})
        request = {"method": "POST", "url": item["resourceType"]}
        condition = if_none_exist(item)
        if condition:
            request["ifNoneExist"] = condition
        entries.append({"fullUrl": urns[key], "resource": body, "request": request})
    return {"resourceType": "Bundle", "type": "transaction", "entry": entries}


def if_none_exist(resource: Mapping[str, Any]) -> str | None:
    """``identifier=<system>|<value>`` for a resource carrying our identifier: the FHIR
    conditional create that makes recording the same staging twice create nothing new."""
    for ident in resource.get("identifier") or ():
        if isinstance(ident, dict) and ident.get("system") == writeback.IDENTIFIER_SYSTEM:
            return f"identifier={ident['system']}|{ident['value']}"
    return None
