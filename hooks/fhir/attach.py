"""Which primary sarcoma each Observation belongs to.

An Observation attaches to a primary through ``focus`` (the Condition, or an mCODE Tumor
BodyStructure whose related-condition extension names it), the mCODE related-condition
extension, the Condition's ``stage.assessment``, and from there further through
``derivedFrom``, ``hasMember`` and a shared specimen; with no link it attaches by default when
the patient has exactly one primary sarcoma. Anything ambiguous is reported, never guessed.

A cancer Condition with a generic code and no histology of its own is decided first, by the
ICD-O-3 histology Observations attached to it the same way (``decide_histology``).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import replace

from hooks.fhir import codes
from hooks.fhir.chart import Chart
from hooks.fhir.conditions import ConditionInfo, Kind
from hooks.fhir.read import Finding, Links, as_list, extension_refs, latest, reference

FIELD_NAMES = {
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


def condition_targets(
    data: Chart,
    usable: Callable[[str], bool],
    *,
    infos: Mapping[str, ConditionInfo],
    obs_links: Mapping[str, Links],
) -> dict[str, set[str]]:
    """The cancer Conditions each Observation is linked to (Observation ref -> Condition refs;
    empty when it names none)."""
    targets: dict[str, set[str]] = {}
    # The Observations of a chart share their Links (read.shared_links): each Links is read
    # once, its Conditions copied to every Observation holding it (condition_targets of a bench
    # chart: 64 to 44 thousand instructions). A pure reading of the Links for one chart;
    # ``usable`` notes a malformed BodyStructure the first time it is asked either way.
    read: dict[int, set[str]] = {}
    for ref, link in obs_links.items():
        named_here = read.get(id(link))
        if named_here is None:
            named = set(link.conditions)
            for body in link.body_structures:
                if body in data.resources and usable(body):
                    named.update(
                        extension_refs(
                            data.resources[body], codes.RELATED_CONDITION_EXTENSION, data.aliases
                        )
                    )
            named_here = read[id(link)] = {c for c in named if c in infos}
        targets[ref] = set(named_here)
    for condition in infos:  # Condition.stage.assessment (mCODE: the stage group Observation)
        for stage in as_list(data.resources[condition].get("stage")):
            if not isinstance(stage, dict):
                continue
            for assessment in as_list(stage.get("assessment")):
                stage_ref = reference(assessment, data.aliases)
                if stage_ref in targets and not targets[stage_ref]:
                    targets[stage_ref] = {condition}
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
    return targets


def decide_histology(
    data: Chart,
    *,
    infos: Mapping[str, ConditionInfo],
    findings: Mapping[str, Finding],
    obs_links: Mapping[str, Links],
    targets: Mapping[str, set[str]],
) -> dict[str, ConditionInfo]:
    """Undecided cancer Conditions (a generic code, no histology of their own) decided by the
    ICD-O-3 histology Observations attached to them: linked to that Condition alone, or, when
    it is the patient's only cancer Condition, linked to none. Of several, the final before the
    preliminary, then the most recent. Returns the Conditions whose reading changed."""
    undecided = [ref for ref, info in infos.items() if info.undecided]
    if not undecided:
        return {}
    cancers = [ref for ref, info in infos.items() if info.kind in (Kind.SARCOMA, Kind.OTHER_CANCER)]
    histologies = [
        ref for ref, f in findings.items() if f.field == "histology" and f.value is not None
    ]
    unlinked = [ref for ref in histologies if not targets.get(ref)]
    decided: dict[str, ConditionInfo] = {}
    for condition in undecided:
        info = infos[condition]
        linked = [ref for ref in histologies if targets.get(ref) == {condition}]
        by_default = not linked and cancers == [condition]
        chosen = latest([findings[ref] for ref in (unlinked if by_default else linked)])
        if chosen is None:
            continue
        obs = chosen.source.reference
        morphology = str(chosen.value)
        if by_default:
            how = "which names no Condition; it is the patient's only cancer Condition"
        elif condition in obs_links[obs].conditions:
            how = "which names it"
        else:
            how = "linked to it through another Observation or a shared specimen"
        if codes.is_sarcoma(morphology):
            note = (
                f"{condition} has a generic cancer code and no histology of its own: read as a "
                f"soft tissue sarcoma from the histology in {obs} (ICD-O-3 {morphology}), {how}."
            )
            decided[condition] = replace(info, kind=Kind.SARCOMA, undecided=False, notes=(note,))
        else:
            decided[condition] = replace(
                info, morphology=morphology, undecided=False, histology_source=obs
            )
    return decided


def attach(
    data: Chart,
    *,
    primaries: list[str],
    others: list[str],
    findings: dict[str, Finding],
    targets: Mapping[str, set[str]],
) -> dict[str, str]:
    """Which primary each Observation belongs to (Observation ref -> Condition ref)."""
    owner: dict[str, str] = {}
    for ref, linked in targets.items():
        if ref not in findings:
            continue  # a panel: it only carries links to its members
        if len(linked) == 1:
            # Linked to one Condition, as most are: it owns the Observation when it is a primary,
            # else the Observation concerns another cancer (the general reading below gives the
            # same; attach of a bench chart: 87 to 37 thousand instructions).
            (condition,) = linked
            if condition in primaries:
                owner[ref] = condition
            continue
        found = {c if c in primaries else "other" for c in linked}
        sarcomas = sorted(found - {"other"})
        what = FIELD_NAMES[findings[ref].field]
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
