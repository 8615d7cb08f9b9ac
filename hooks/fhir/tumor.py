"""One primary tumor's inputs for the core: the value chosen for each field (final before
preliminary, then the most recent), the values set aside, M1/N1 from secondary-neoplasm
Conditions, the c/p classification, and the notes found on the way.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from cds.interval import Interval
from cds.model import M, N, Stage, TumorInputs
from hooks.fhir import codes, conditions
from hooks.fhir.attach import FIELD_NAMES
from hooks.fhir.chart import Chart
from hooks.fhir.conditions import ConditionInfo
from hooks.fhir.measures import COULD_NOT_READ, IMPLAUSIBLE
from hooks.fhir.model import Classification, PrimaryTumor, Source
from hooks.fhir.read import JSON, Finding, as_list, codings, concept_text, latest, parse_when

# TumorInputs fields whose value may be an interval (a comparator or "<50 %").
RANGED = ("size_cm", "mitoses", "necrosis_pct")
# TumorInputs field -> the name the core uses for it in ``missing`` and ``unreadable``.
CORE_NAMES = {
    "size_cm": "size",
    "mitoses": "mitotic-count",
    "necrosis_pct": "necrosis",
    "differentiation": "differentiation",
    "grade": "grade",
}


@dataclass(frozen=True)
class Context:
    """Everything extraction found for the patient, shared by the tumors it builds."""

    data: Chart
    infos: dict[str, ConditionInfo]
    primaries: list[str]
    others: list[str]
    secondaries: list[str]
    findings: dict[str, Finding]
    owner: dict[str, str]


def tumor(context: Context, ref: str) -> PrimaryTumor:
    resource = context.data.resources[ref]
    info = context.infos[ref]
    notes: list[str] = list(info.notes)
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
    summary = _stage_summary(resource, ref, onset, verified, final=condition_final)
    if summary is not None:
        by_field.setdefault("stage", []).insert(0, summary)

    sources: dict[str, Source] = {}
    unused: dict[str, tuple[Source, ...]] = {}
    values: dict[str, Any] = {}
    preliminary: list[str] = []
    prefixes: dict[str, str] = {}
    unreadable, unread_sources = _unreadable(by_field)
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
    inputs = _inputs(values, unread_sources, conditions.recurrent(resource))
    return PrimaryTumor(
        condition=ref,
        description=conditions.description(
            resource,
            where.name,
            sources["histology"].text if "histology" in sources else None,
            values.get("histology"),
        ),
        inputs=inputs,
        classification=classification,
        sources=sources,
        others=unused,
        preliminary=bool(preliminary),
        notes=tuple(notes),
        prefixes=prefixes,
        unreadable=tuple(unreadable),
        unread_sources=unread_sources,
    )


def _choose(
    name: str, candidates: list[Finding]
) -> tuple[Finding | None, list[Finding], list[str]]:
    """Most recent usable value, final before preliminary; notes for what was set aside."""
    what = FIELD_NAMES[name]
    notes = [
        f"{f.source.reference} ({what}) was not used: {'; '.join(f.problems)}."
        for f in candidates
        if f.value is None and not could_not_read(f)  # those are said in ``unreadable``
    ]
    usable = [f for f in candidates if f.value is not None]
    chosen = latest(usable)
    if chosen is None:
        return None, [], notes
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


def _unreadable(by_field: dict[str, list[Finding]]) -> tuple[list[str], dict[str, Source]]:
    """Sentences for every value present but unreadable; per field with no usable value, the
    resource that could not be read."""
    sentences: list[str] = []
    sources: dict[str, Source] = {}
    for name, candidates in by_field.items():
        unread = [f for f in candidates if f.value is None and could_not_read(f)]
        sentences.extend(unreadable_sentence(f) for f in unread)
        if unread and all(f.value is None for f in candidates):
            sources[name] = unread[-1].source
    return sentences, sources


def _inputs(
    values: dict[str, Any], unread_sources: dict[str, Source], recurrent: bool
) -> TumorInputs:
    """The core's inputs: intervals and grade sets go to their own fields."""
    ranges = {k: values.pop(k) for k in RANGED if isinstance(values.get(k), Interval)}
    grade_options = values.pop("grade") if isinstance(values.get("grade"), tuple) else ()
    return TumorInputs(
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
        recurrent=recurrent,
        size_range=ranges.get("size_cm"),
        mitoses_range=ranges.get("mitoses"),
        necrosis_range=ranges.get("necrosis_pct"),
        grade_options=grade_options,
        unreadable=tuple(CORE_NAMES[k] for k in unread_sources if k in CORE_NAMES),
    )


def could_not_read(finding: Finding) -> bool:
    """A value is present but could not be read, or is impossible (``hooks.fhir.measures``)."""
    return bool(finding.problems) and finding.problems[0].startswith((COULD_NOT_READ, IMPLAUSIBLE))


def unreadable_sentence(finding: Finding) -> str:
    """The sentence for the card: could not read '>>5 cm' in Observation/abc (tumor size): ..."""
    what = FIELD_NAMES[finding.field]
    problem = finding.problems[0]
    shown = repr(finding.source.text) if finding.source.text is not None else "the value"
    where = f"{shown} in {finding.source.reference} ({what})"
    if problem.startswith(IMPLAUSIBLE):
        return f"implausible value {where}: {problem.removeprefix(IMPLAUSIBLE)}"
    return f"could not read {where}: {problem.removeprefix(COULD_NOT_READ)}"


def _secondaries(
    context: Context,
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


def _stage_summary(
    resource: JSON, ref: str, onset: str | None, verified: str | None, *, final: bool
) -> Finding | None:
    """The recorded stage group of ``Condition.stage.summary`` (mCODE: stage at last staging)."""
    for stage in as_list(resource.get("stage")):
        if not isinstance(stage, Mapping) or not isinstance(stage.get("summary"), Mapping):
            continue
        summary = stage["summary"]
        shown = concept_text(summary)
        options = [(s, c, None) for s, c in codings(summary)] + [(None, None, shown)]
        problems = []
        for system, code, text in options:
            parsed = codes.parse_category("stage", system, code, text)
            if parsed.value is not None:
                return Finding(
                    field="stage",
                    value=Stage(parsed.value),
                    source=Source(ref, onset, verified, shown or parsed.value),
                    final=final,
                    when=parse_when(onset),
                )
            if parsed.problem and (code or text):
                problems.append(parsed.problem)
        return Finding(
            field="stage",
            value=None,
            source=Source(ref, onset, verified, shown),
            final=final,
            when=parse_when(onset),
            problems=tuple(problems[:1]) or ("no stage value",),
        )
    return None
