"""Extraction: one patient's FHIR R4 resources in, per primary soft tissue sarcoma the inputs
for the clinical core with their provenance and data-quality notes out.

Safety rules (issue 3): resources of another patient are ignored and reported;
``entered-in-error`` and ``cancelled`` are ignored; final, amended and corrected values win
over preliminary ones, and a result resting on preliminary data is marked; of several values
the most recent by effective time is used and the others are reported; a resource malformed
for its type is skipped with a note and never fails the request. Observations attach to a
primary through ``focus`` (the Condition, or an mCODE Tumor BodyStructure naming it), the
mCODE related-condition extension, ``derivedFrom``, ``hasMember``, a shared specimen, or by
default when the patient has exactly one primary sarcoma; anything ambiguous is reported. A
cancer Condition with a generic code (SNOMED CT 363346000) and no histology of its own is read
as a sarcoma when an ICD-O-3 histology Observation attached to it says so, the same way.

Modules: ``chart`` (input, patient and status rules), ``conditions`` (which Conditions are
primary sarcomas, secondaries or other cancers), ``read`` (one value per Observation),
``attach`` (which primary an Observation belongs to), ``tumor`` (choosing among values).

Performance: resources are picked from the raw JSON first and only those the result may rest
on are validated with ``fhir.resources.R4B``; ``validate_all=True`` validates every resource
first (tests assert both paths give the same tumors).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import replace
from datetime import UTC, date, datetime
from typing import Any

from cds.frozen import builder
from hooks.fhir import conditions, shape, triage
from hooks.fhir import context as clinical
from hooks.fhir.attach import attach, condition_targets, decide_histology
from hooks.fhir.chart import Chart, collect, flatten, subject_of
from hooks.fhir.conditions import ConditionInfo, Kind, site_words
from hooks.fhir.model import Extraction
from hooks.fhir.read import Finding, Links, feature_of, observation_finding, shared_links
from hooks.fhir.tumor import new_context, tumor

__all__ = ["extract", "flatten", "subject_of"]

# Built through its slots, not its frozen __init__ (cds.frozen): one per chart.
_new_extraction = builder(Extraction)


def extract(
    patient_id: str,
    resources: Iterable[Mapping[str, Any]],
    *,
    validate_all: bool = False,
    today: date | None = None,
    max_primaries: int | None = None,
) -> Extraction:
    """Read one patient's resources (single resources and Bundles in any mix). ``today`` is
    the date the patient's age is computed for (default: today in UTC). With
    ``max_primaries``, only the first that many primary sarcomas (in chart order) are read;
    the others are listed in ``Extraction.left_out``. The resources are JSON as a parser gives
    it (objects as dicts); an item that is another kind of Mapping is copied into dicts."""
    data = collect(patient_id, resources, validate_all)
    valid: dict[str, bool] = {}

    def usable(ref: str) -> bool:
        """Validate on first use (fast path): a malformed resource is skipped with a note."""
        if validate_all:
            return True
        verdict = valid.get(ref)  # one lookup, not a test and a read
        if verdict is None:
            reason = shape.problem(data.resources[ref])
            verdict = valid[ref] = reason is None
            if reason is not None:
                data.notes.append(f"{ref} is not valid FHIR R4 and was skipped ({reason}).")
        return verdict

    infos, unread_conditions = _classify_conditions(data, usable)
    mark = len(data.notes)  # notes on the cancers go before those on Observations

    findings: dict[str, Finding] = {}
    obs_links: dict[str, Links] = {}
    focused: dict[str, Links] = {}  # the Links of each single focus reference of this chart
    for ref, resource in data.observations.items():
        feature = feature_of(resource.get("code"))
        panel = feature is None and bool(resource.get("hasMember"))  # e.g. tumor morphology
        if (feature is None and not panel) or not usable(ref):
            continue
        if feature is not None:
            findings[ref] = observation_finding(
                resource, feature[0], feature[1], ref, str(resource.get("status"))
            )
        obs_links[ref] = shared_links(resource, data.aliases, focused)

    targets = condition_targets(data, usable, infos=infos, obs_links=obs_links)
    infos |= decide_histology(
        data, infos=infos, findings=findings, obs_links=obs_links, targets=targets
    )
    primaries = [ref for ref, info in infos.items() if info.kind is Kind.SARCOMA]
    # One tumor recorded twice (problem list and encounter diagnosis): read as one, both cited;
    # Observations naming either belong to it.
    merged = clinical.duplicates(primaries, infos, data.resources) if len(primaries) > 1 else {}
    primaries = [ref for ref in primaries if ref not in merged]
    if merged:  # else every set stays as read (extract of a bench chart: with the typed walks
        # of chart.collect and attach's shortcuts, 2.35 to 2.18 million instructions)
        for obs, linked in targets.items():
            targets[obs] = {merged.get(c, c) for c in linked}
    others = [ref for ref, info in infos.items() if info.kind is Kind.OTHER_CANCER]
    unlinked = [
        ref
        for ref, f in findings.items()
        if f.field == "histology" and f.value is not None and not targets.get(ref)
    ]
    data.notes[mark:mark] = [
        _not_staged(ref, infos[ref], data.resources[ref], unlinked) for ref in others
    ]
    histology_needed = tuple(
        ref for ref in others if _histology_needed(infos[ref], data.resources[ref])
    )

    owner = attach(data, primaries=primaries, others=others, findings=findings, targets=targets)
    secondaries = [ref for ref, info in infos.items() if info.kind is Kind.SECONDARY]
    context = new_context(data, infos, primaries, others, secondaries, findings, owner, merged)
    tumors = tuple(tumor(context, ref) for ref in primaries[:max_primaries])
    if unread_conditions:  # each stage card names them: one may be a metastasis
        said = (
            f"could not read {', '.join(unread_conditions)}: coded outside our tables with no "
            "text or display; if it records a metastasis of this tumor, M is M1"
        )
        tumors = tuple(replace(t, unreadable=(*t.unreadable, said)) for t in tumors)
    patient = [data.patient] if data.patient is not None else []
    age, age_note = clinical.age_years(patient_id, patient, today or datetime.now(UTC).date())
    if age_note:
        data.notes.append(age_note)
    unattributed = tuple(dict.fromkeys(m for t in tumors for m in t.possible_metastases))
    data.notes.extend(
        f"{ref} is a metastasis that names no primary tumor, and the patient has "
        f"{len(primaries)} primary sarcomas ({', '.join(primaries)}): it could not be "
        "attributed; record which primary it belongs to."
        for ref in unattributed
    )
    return _new_extraction(
        patient_id=patient_id,
        primaries=tumors,
        notes=tuple(data.notes),
        other_patient=data.other_patient,
        histology_needed=histology_needed,
        unattributed_metastases=unattributed,
        age_years=age,
        out_of_scope=tuple(r for r in others if infos[r].reason == conditions.GIST_REASON),
        left_out=tuple(primaries[len(tumors) :]),
    )


def _classify_conditions(
    data: Chart, usable: Callable[[str], bool]
) -> tuple[dict[str, ConditionInfo], list[str]]:
    """Every usable Condition that is a cancer or a metastasis, and those that could not be
    read at all (``conditions.opaque_code``); negated or suspected metastases are noted."""
    infos: dict[str, ConditionInfo] = {}
    unread_conditions: list[str] = []
    for ref, resource in data.conditions.items():
        if usable(ref):
            verdict = triage.read(resource)
            if verdict.info.kind is not Kind.NONE:
                infos[ref] = verdict.info
            elif (opaque := verdict.opaque) is not None:
                unread_conditions.append(f"{ref} ({opaque})")
            elif (words := verdict.uncertain) is not None:
                data.notes.append(
                    f"{ref} ({words}) mentions a metastasis as negated, historical or suspected "
                    "and was not counted as one."
                )
    return infos, unread_conditions


def _histology_needed(info: ConditionInfo, resource: Mapping[str, Any]) -> bool:
    """A cancer at a soft tissue site with no histology anywhere: it may be a sarcoma."""
    return (
        not info.reason
        and info.morphology is None
        and conditions.site(resource).soft_tissue
        and conditions.site(resource).site is not None
    )


def _not_staged(
    ref: str, info: ConditionInfo, resource: Mapping[str, Any], unlinked: list[str]
) -> str:
    """Why a cancer Condition was not staged as a soft tissue sarcoma."""
    if info.reason:
        return f"{ref} is {info.reason}, not a soft tissue sarcoma, and was not staged."
    if info.morphology is not None:
        source = f", from {info.histology_source}" if info.histology_source else ""
        return (
            f"{ref} (ICD-O-3 {info.morphology}{source}) is not a soft tissue sarcoma and was "
            "not staged."
        )
    where = conditions.site(resource)
    if _histology_needed(info, resource) and where.site is not None:
        place = site_words(where.name) if where.name else where.site.topography
        note = (
            f"{ref} is a cancer at a soft tissue site ({place}) with no recorded histology and "
            "was not staged: its histology is needed to know whether it is a soft tissue "
            "sarcoma (the mCODE histology extension on the Condition, or an ICD-O-3 histology "
            "Observation, LOINC 31206-6 or 59847-4, that names it)."
        )
    else:
        note = (
            f"{ref} is a cancer with no recorded histology and no soft tissue site and was not "
            "staged as a soft tissue sarcoma."
        )
    if unlinked:
        note += (
            f" {', '.join(unlinked)} (histology) names no Condition and the patient has several "
            "cancer Conditions, so it was not used for this one."
        )
    return note
