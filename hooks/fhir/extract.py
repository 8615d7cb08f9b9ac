"""Extraction: one patient's FHIR R4 resources in, per primary soft tissue sarcoma the inputs
for the clinical core with their provenance and data-quality notes out.

Safety rules (issue 3): resources of another patient are ignored and reported;
``entered-in-error`` and ``cancelled`` are ignored; final, amended and corrected values win
over preliminary ones, and a result resting on preliminary data is marked; of several values
the most recent by effective time is used and the others are reported; a resource malformed
for its type is skipped with a note and never fails the request. Observations attach to a
primary through ``focus`` (the Condition, or an mCODE Tumor BodyStructure naming it), the
mCODE related-condition extension, ``derivedFrom``, ``hasMember``, a shared specimen, or by
default when the patient has exactly one primary sarcoma; anything ambiguous is reported.

Performance: resources are picked from the raw JSON first and only those the result may rest
on are validated with ``fhir.resources.R4B``; ``validate_all=True`` validates every resource
first (tests assert both paths give the same tumors).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from cds.model import M, N, TumorInputs
from hooks.fhir import codes, conditions, r4b
from hooks.fhir.conditions import ConditionInfo, Kind
from hooks.fhir.model import Classification, Extraction, PrimaryTumor, Source
from hooks.fhir.read import (
    IGNORED_STATUSES,
    JSON,
    Finding,
    Links,
    as_list,
    codings,
    concept_text,
    extension_refs,
    links,
    observation_finding,
    parse_when,
    reference,
)

_OLDEST = datetime.min.replace(tzinfo=UTC)
_TYPES = frozenset({"Condition", "Observation", "BodyStructure"})
_FIELD_NAMES = {
    "size_cm": "tumor size",
    "mitoses": "mitotic count",
    "necrosis_pct": "necrosis",
    "differentiation": "differentiation score",
    "grade": "grade",
    "histology": "histology",
    "t": "T category",
    "n": "N category",
    "m": "M category",
    "stage": "stage group",
}


@dataclass
class _Input:
    """The patient's own, non-ignored resources, by reference, in input order."""

    resources: dict[str, JSON] = field(default_factory=dict)
    aliases: dict[str, str] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)


def extract(
    patient_id: str, resources: Iterable[Mapping[str, Any]], *, validate_all: bool = False
) -> Extraction:
    """Read one patient's resources (single resources and Bundles in any mix)."""
    data = _collect(patient_id, resources, validate_all)
    valid: dict[str, bool] = {}

    def usable(ref: str) -> bool:
        """Validate on first use (fast path): a malformed resource is skipped with a note."""
        if validate_all:
            return True
        if ref not in valid:
            reason = r4b.problem(data.resources[ref])
            valid[ref] = reason is None
            if reason is not None:
                data.notes.append(f"{ref} is not valid FHIR R4 and was skipped ({reason}).")
        return valid[ref]

    infos: dict[str, ConditionInfo] = {}
    for ref, resource in data.resources.items():
        if ref.startswith("Condition/") and usable(ref):
            info = conditions.classify(resource)
            if info.kind is not Kind.NONE:
                infos[ref] = info
    primaries = [ref for ref, info in infos.items() if info.kind is Kind.SARCOMA]
    others = [ref for ref, info in infos.items() if info.kind is Kind.OTHER_CANCER]
    for ref in others:
        if infos[ref].morphology is None:
            data.notes.append(
                f"{ref} is a cancer without a recorded sarcoma histology or soft tissue site "
                "and was not staged as a soft tissue sarcoma."
            )
        else:
            data.notes.append(
                f"{ref} (ICD-O-3 {infos[ref].morphology}) is not a soft tissue sarcoma and was "
                "not staged."
            )

    findings: dict[str, Finding] = {}
    obs_links: dict[str, Links] = {}
    for ref, resource in data.resources.items():
        if not ref.startswith("Observation/"):
            continue
        feature = codes.observation_feature(codings(resource.get("code")))
        panel = feature is None and bool(resource.get("hasMember"))  # e.g. tumor morphology
        if (feature is None and not panel) or not usable(ref):
            continue
        if feature is not None:
            findings[ref] = observation_finding(
                resource, feature[0], feature[1], ref, str(resource.get("status"))
            )
        obs_links[ref] = links(resource, data.aliases)

    owner = _attach(
        data,
        usable,
        primaries=primaries,
        others=others,
        infos=infos,
        findings=findings,
        obs_links=obs_links,
    )
    secondaries = [ref for ref, info in infos.items() if info.kind is Kind.SECONDARY]
    context = _Context(data, infos, primaries, others, secondaries, findings, owner)
    tumors = tuple(_tumor(context, ref) for ref in primaries)
    return Extraction(patient_id=patient_id, primaries=tumors, notes=tuple(data.notes))


# ------------------------------------------------------------------------------- input


def flatten(items: Iterable[Mapping[str, Any]]) -> tuple[list[JSON], list[str]]:
    """Every resource in ``items`` (Bundle entries unpacked), and notes on what was skipped."""
    data = _Input()
    out: list[JSON] = []
    _flatten(items, out, data)
    return out, data.notes


def subject_of(resource: JSON) -> str | None:
    """The ``Patient/<id>`` a Condition, Observation or BodyStructure is about."""
    key = "patient" if resource.get("resourceType") == "BodyStructure" else "subject"
    return reference(resource.get(key), {})


def _collect(patient_id: str, items: Iterable[Mapping[str, Any]], validate_all: bool) -> _Input:
    data = _Input()
    flat: list[JSON] = []
    _flatten(items, flat, data)
    patient = f"Patient/{patient_id}"
    other_patient: list[str] = []
    for resource in flat:
        resource_type = resource["resourceType"]
        if resource_type not in _TYPES:
            continue
        rid = resource.get("id")
        if not isinstance(rid, str) or not rid:
            data.notes.append(f"A {resource_type} without an id was skipped (it cannot be cited).")
            continue
        ref = f"{resource_type}/{rid}"
        subject = reference(
            resource.get("patient" if resource_type == "BodyStructure" else "subject"),
            data.aliases,
        )
        if subject is None:
            data.notes.append(f"{ref} does not name its patient and was ignored.")
            continue
        if subject != patient:
            other_patient.append(ref)
            continue
        if ref in data.resources:
            if data.resources[ref] != resource:
                data.notes.append(
                    f"{ref} appears twice with different content; the first was used."
                )
            continue
        status = _ignored_status(resource)
        if status is not None:
            data.notes.append(f"{ref} is {status} and was ignored.")
            continue
        if validate_all:
            reason = r4b.problem(resource)
            if reason is not None:
                data.notes.append(f"{ref} is not valid FHIR R4 and was skipped ({reason}).")
                continue
        data.resources[ref] = resource
    if other_patient:
        data.notes.insert(
            0,
            f"Ignored {len(other_patient)} resource(s) of another patient: "
            + ", ".join(other_patient)
            + ".",
        )
    return data


def _flatten(items: Iterable[Any], out: list[JSON], data: _Input) -> None:
    for item in items:
        if not isinstance(item, Mapping) or not isinstance(item.get("resourceType"), str):
            data.notes.append("An input item is not a FHIR resource and was skipped.")
            continue
        if item["resourceType"] == "Bundle":
            entries = [e for e in as_list(item.get("entry")) if isinstance(e, Mapping)]
            for entry in entries:
                resource = entry.get("resource")
                full_url = entry.get("fullUrl")
                if isinstance(resource, Mapping) and isinstance(full_url, str):
                    data.aliases[full_url] = f"{resource.get('resourceType')}/{resource.get('id')}"
            _flatten((e["resource"] for e in entries if "resource" in e), out, data)
        elif item["resourceType"] == "OperationOutcome":
            issues = [i for i in as_list(item.get("issue")) if isinstance(i, Mapping)]
            said = next((str(i.get("diagnostics")) for i in issues if i.get("diagnostics")), None)
            data.notes.append(
                "The data source reported an error (OperationOutcome), ignored"
                + (f": {said}" if said else "")
                + "."
            )
        else:
            out.append(item)


def _ignored_status(resource: JSON) -> str | None:
    if resource["resourceType"] == "Observation":
        status = resource.get("status")
        if not isinstance(status, str):
            return None  # validation reports it
        if status in IGNORED_STATUSES:
            return str(status)
        if status == "registered":
            return "registered (no result yet)"
    elif resource["resourceType"] == "Condition":
        status = conditions.verification(resource)
        if status in {"entered-in-error", "refuted"}:
            return str(status)
    return None


# -------------------------------------------------------------------------- attachment


def _attach(
    data: _Input,
    usable: Any,
    *,
    primaries: list[str],
    others: list[str],
    infos: dict[str, ConditionInfo],
    findings: dict[str, Finding],
    obs_links: dict[str, Links],
) -> dict[str, str]:
    """Which primary each Observation belongs to (Observation ref -> Condition ref)."""
    targets: dict[str, set[str]] = {}
    for ref, link in obs_links.items():
        named = set(link.conditions)
        for body in link.body_structures:
            if body in data.resources and usable(body):
                named.update(
                    extension_refs(
                        data.resources[body], codes.RELATED_CONDITION_EXTENSION, data.aliases
                    )
                )
        targets[ref] = {c if c in primaries else "other" for c in named if c in infos}
    for condition in infos:  # Condition.stage.assessment (mCODE: the stage group Observation)
        for stage in as_list(data.resources[condition].get("stage")):
            if not isinstance(stage, Mapping):
                continue
            for assessment in as_list(stage.get("assessment")):
                stage_ref = reference(assessment, data.aliases)
                if stage_ref in targets and not targets[stage_ref]:
                    targets[stage_ref] = {condition if condition in primaries else "other"}
    changed = True
    while changed:  # derivedFrom, hasMember and shared specimens carry the link further
        changed = False
        for ref, link in obs_links.items():
            if targets[ref]:
                continue
            found: set[str] = set()
            for source in link.derived_from:
                found |= targets.get(source, set())
            for parent, parent_link in obs_links.items():
                if ref in parent_link.members:
                    found |= targets[parent]
                if parent != ref and set(link.specimens) & set(parent_link.specimens):
                    found |= targets[parent]
            if found:
                targets[ref] = found
                changed = True
    owner: dict[str, str] = {}
    for ref, found in targets.items():
        if ref not in findings:
            continue  # a panel: it only carries links to its members
        sarcomas = sorted(found - {"other"})
        what = _FIELD_NAMES[findings[ref].field]
        if len(sarcomas) == 1:
            owner[ref] = sarcomas[0]
        elif len(sarcomas) > 1:
            data.notes.append(
                f"{ref} ({what}) is linked to several tumors ({', '.join(sarcomas)}) and was "
                "not used."
            )
        elif found:
            continue  # it concerns another cancer
        elif len(primaries) == 1:
            if findings[ref].field == "histology" and not _sarcoma_value(findings[ref]):
                data.notes.append(f"{ref} (histology) is not linked to a tumor and not used.")
                continue
            owner[ref] = primaries[0]
            if others:
                data.notes.append(
                    f"{ref} ({what}) is not linked to a tumor; it was attributed to the only "
                    f"sarcoma, {primaries[0]}, although the patient has another cancer "
                    f"({', '.join(others)})."
                )
        elif len(primaries) > 1:
            data.notes.append(
                f"{ref} ({what}) does not say which of the {len(primaries)} sarcomas it "
                "concerns and was not used."
            )
    return owner


def _sarcoma_value(finding: Finding) -> bool:
    return isinstance(finding.value, str) and codes.is_sarcoma(finding.value)


# ------------------------------------------------------------------------------ tumors


@dataclass(frozen=True)
class _Context:
    data: _Input
    infos: dict[str, ConditionInfo]
    primaries: list[str]
    others: list[str]
    secondaries: list[str]
    findings: dict[str, Finding]
    owner: dict[str, str]


def _tumor(context: _Context, ref: str) -> PrimaryTumor:
    resource = context.data.resources[ref]
    info = context.infos[ref]
    notes: list[str] = []
    onset = conditions.onset(resource)
    verified = conditions.verification(resource)
    condition_final = verified in (None, "confirmed")
    condition_status = verified
    by_field: dict[str, list[Finding]] = {}
    for obs_ref, finding in context.findings.items():
        if context.owner.get(obs_ref) == ref:
            by_field.setdefault(finding.field, []).append(finding)
    if info.morphology:
        code_text = info.morphology_text or info.morphology
        by_field.setdefault("histology", []).insert(
            0,
            Finding(
                field="histology",
                value=info.morphology,
                source=Source(ref, onset, verified, code_text),
                final=condition_final,
                when=parse_when(onset),
                problems=info.problems,
            ),
        )

    sources: dict[str, Source] = {}
    unused: dict[str, tuple[Source, ...]] = {}
    values: dict[str, Any] = {}
    preliminary: list[str] = []
    prefixes: dict[str, str] = {}
    for name, candidates in by_field.items():
        chosen, rest, said = _choose(name, candidates)
        notes.extend(said)
        if chosen is None:
            continue
        values[name] = chosen.value
        sources[name] = chosen.source
        if name in {"t", "n", "m", "stage"} and chosen.classification:
            prefixes[name] = chosen.classification
        if rest:
            unused[name] = tuple(f.source for f in rest)
        if not chosen.final:
            preliminary.append(chosen.source.reference)

    where = conditions.site(resource)
    site = where.site
    if site is not None:
        values["site"], values["topography"] = site.site, site.topography
        text = where.text or site.topography
        for key in ("site", "topography"):
            if values[key] is not None:
                sources[key] = Source(ref, onset, condition_status, text)
        if site.problem:
            notes.append(site.problem)
    elif where.text:
        notes.append(f"body site {where.text!r} is not one we can place in an AJCC site group")

    _secondaries(context, ref, values, sources, notes)
    classification = _classification(values, by_field, sources)
    if preliminary:
        notes.append("Rests on preliminary data: " + ", ".join(sorted(set(preliminary))) + ".")
    inputs = TumorInputs(
        site=values.get("site"),
        topography=values.get("topography"),
        histology=values.get("histology"),
        size_cm=values.get("size_cm"),
        differentiation=values.get("differentiation"),
        mitoses=values.get("mitoses"),
        necrosis_pct=values.get("necrosis_pct"),
        grade=values.get("grade"),
        t=values.get("t"),
        n=values.get("n"),
        m=values.get("m"),
        stage=values.get("stage"),
        recurrent=conditions.recurrent(resource),
    )
    return PrimaryTumor(
        condition=ref,
        description=conditions.description(resource, where.text),
        inputs=inputs,
        classification=classification,
        sources=sources,
        others=unused,
        preliminary=bool(preliminary),
        notes=tuple(notes),
        prefixes=prefixes,
    )


def _choose(
    name: str, candidates: list[Finding]
) -> tuple[Finding | None, list[Finding], list[str]]:
    """Most recent usable value, final before preliminary; notes for what was set aside."""
    what = _FIELD_NAMES[name]
    notes = [
        f"{f.source.reference} ({what}) was not used: {'; '.join(f.problems)}."
        for f in candidates
        if f.value is None
    ]
    usable = [f for f in candidates if f.value is not None]
    if not usable:
        return None, [], notes
    pool = [f for f in usable if f.final] or usable
    order = {id(f): i for i, f in enumerate(usable)}
    chosen = max(pool, key=lambda f: (f.when or _OLDEST, order[id(f)]))
    notes.extend(f"{what}: {p}" for p in chosen.problems)
    rest = [f for f in usable if f is not chosen]
    for other in rest:
        if other.value == chosen.value:
            continue
        when = other.source.date or "undated"
        if other.when is not None and other.when == chosen.when:
            reason = "at the same time"
        elif not other.final and chosen.final:
            reason = "preliminary; the final value was used"
        else:
            reason = "older; the most recent was used"
        notes.append(
            f"{what} disagrees: {other.source.reference} says {other.source.text or other.value} "
            f"({when}, {reason}); {chosen.source.reference} says "
            f"{chosen.source.text or chosen.value}."
        )
    return chosen, rest, notes


def _secondaries(
    context: _Context,
    ref: str,
    values: dict[str, Any],
    sources: dict[str, Source],
    notes: list[str],
) -> None:
    """M1 / N1 from secondary-neoplasm Conditions of this tumor (recorded M and N win)."""
    for sec_ref in context.secondaries:
        resource = context.data.resources[sec_ref]
        named = conditions.related_primaries(resource, context.data.aliases)
        if named and ref not in named:
            continue
        if not named and len(context.primaries) != 1:
            continue
        info = context.infos[sec_ref]
        text = concept_text(resource.get("code")) or "secondary malignant neoplasm"
        source = Source(
            sec_ref, conditions.onset(resource), conditions.verification(resource), text
        )
        field_name, value = ("n", N.N1) if info.nodal else ("m", M.M1)
        recorded = values.get(field_name)
        if recorded is None:
            values[field_name] = value
            sources[field_name] = source
            if info.nodal:
                notes.append(
                    f"N1 read from {sec_ref} ({text}): check that these nodes are regional "
                    "(non-regional nodal disease is M1)."
                )
            else:
                notes.append(f"M1 read from {sec_ref} ({text}).")
        elif recorded != value:
            notes.append(
                f"recorded {recorded} but {sec_ref} records {text}"
                + (f" (onset {source.date})" if source.date else "")
                + f"; the recorded {recorded} was used."
            )
        if not named and context.others:
            notes.append(
                f"{sec_ref} does not name its primary; the patient also has another cancer "
                f"({', '.join(context.others)})."
            )


def _classification(
    values: dict[str, Any], by_field: dict[str, list[Finding]], sources: dict[str, Source]
) -> Classification:
    """Pathologic when T rests on pT or a specimen, else clinical (AJCC 8 classification)."""

    def chosen(name: str) -> Finding | None:
        return next(
            (f for f in by_field.get(name, []) if name in sources and f.source is sources[name]),
            None,
        )

    t, size, n = chosen("t"), chosen("size_cm"), chosen("n")
    if t is not None:
        pathologic = t.classification == "p"
    elif size is not None:
        pathologic = size.specimen_based
    else:
        pathologic = n is not None and n.classification == "p"
    return Classification.PATHOLOGIC if pathologic else Classification.CLINICAL
