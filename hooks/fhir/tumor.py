"""One primary tumor's inputs for the core: the value chosen for each field (final before
preliminary, then the most recent), the values set aside, M1/N1 from secondary-neoplasm
Conditions, the c/p classification, and the notes found on the way.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from cds.frozen import builder, every_field_builder
from cds.interval import Interval
from cds.model import Stage, TumorInputs
from hooks.fhir import codes, conditions, metastases
from hooks.fhir import context as clinical
from hooks.fhir.attach import FIELD_NAMES
from hooks.fhir.chart import Chart
from hooks.fhir.conditions import ConditionInfo
from hooks.fhir.measures import COULD_NOT_READ, IMPLAUSIBLE
from hooks.fhir.model import Classification, PrimaryTumor, Source
from hooks.fhir.read import (
    JSON,
    Finding,
    as_list,
    codings,
    concept_text,
    latest,
    new_finding,
    new_source,
    parse_when,
)

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


# Built through its slots, not its frozen __init__ (cds.frozen): one per tumor, 19 fields (with
# Assessment and Extraction: extract of a bench chart 3.48 to 3.47 million instructions, stage
# 4.03 to 3.98).
_new_inputs = builder(TumorInputs)
# Every field given, through its slots: one per tumor, 19 fields (not the frozen __init__'s
# object.__setattr__ per field).
_new_tumor = every_field_builder(PrimaryTumor)


@dataclass(frozen=True, slots=True)
class Context:
    """Everything extraction found for the patient, shared by the tumors it builds."""

    data: Chart
    infos: dict[str, ConditionInfo]
    primaries: list[str]
    others: list[str]
    secondaries: list[str]
    findings: dict[str, Finding]
    owner: dict[str, str]
    merged: dict[str, str]  # duplicate Condition -> the Condition it was merged into


# Built through its slots, not its frozen __init__ (cds.frozen): one per chart.
new_context = builder(Context)


def tumor(context: Context, ref: str) -> PrimaryTumor:
    resource = context.data.resources[ref]
    info = context.infos[ref]
    notes: list[str] = list(info.notes)
    # Most charts merge no Condition and hold no post-treatment value: the generator and the
    # dict comprehension below are skipped when there is nothing to read (with
    # ``_classification``: extract of a bench chart, 3.185 to 3.167 million instructions).
    also = tuple(d for d, kept in context.merged.items() if kept == ref) if context.merged else ()
    notes.extend(_merged_note(ref, also))
    onset, onset_at = conditions.onset_when(resource)  # parse_when(onset), read once
    verified = conditions.verification(resource)
    condition_final = verified in (None, "confirmed")
    condition_status = verified
    by_field, post = _owned(context, ref, notes)
    if info.morphology:
        code_text = info.morphology_text or info.morphology
        by_field.setdefault("histology", []).insert(
            0,
            new_finding(  # through its slots (cds.frozen), as the Observations' findings
                field="histology",
                value=info.morphology,
                source=new_source(ref, onset, verified, code_text),
                final=condition_final,
                when=onset_at,
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
                sources[key] = new_source(ref, onset, condition_status, text)
        if site.problem:
            notes.append(site.problem)
    else:
        notes.extend(_unplaced_site(where))

    possible = metastases.apply(context, ref, values, sources, notes)
    classification = _classification(values, by_field, sources)
    if preliminary:
        notes.append("Rests on preliminary data: " + ", ".join(sorted(set(preliminary))) + ".")
    inputs = _inputs(values, unread_sources, conditions.recurrent(resource))
    return _new_tumor(
        condition=ref,
        description=conditions.description(
            resource,
            where.name,
            sources["histology"].text if "histology" in sources else None,
            values.get("histology"),
        ),
        inputs=inputs,
        classification=classification,
        also=also,
        clinical_status=clinical.clinical_status(resource),
        resolved=clinical.resolved(resource),
        post_treatment={k: tuple(v) for k, v in post.items()} if post else {},
        possible_metastases=possible,
        sources=sources,
        others=unused,
        preliminary=bool(preliminary),
        notes=tuple(notes),
        prefixes=prefixes,
        unreadable=tuple(unreadable),
        unread_sources=unread_sources,
    )


def _unplaced_site(where: conditions.SiteInfo) -> list[str]:
    """A body site recorded but not placed in a site group: reported by code when coded."""
    if where.unknown:
        shown = f" ({where.text})" if where.text else ""
        return [
            f"body site {', '.join(where.unknown)}{shown} is not in the site table: the AJCC "
            "site group could not be read from it"
        ]
    if where.text:
        return [f"body site {where.text!r} is not one we can place in an AJCC site group"]
    return []


def _merged_note(ref: str, also: tuple[str, ...]) -> list[str]:
    if not also:
        return []
    return [
        f"{', '.join(also)} records the same tumor as {ref} (same histology and site, e.g. a "
        "problem-list entry and an encounter diagnosis): read as one tumor; both are cited."
    ]


def _owned(
    context: Context, ref: str, notes: list[str]
) -> tuple[dict[str, list[Finding]], dict[str, list[Source]]]:
    """This tumor's Observation values by field, less those measured after neoadjuvant
    therapy (returned apart); several lesions measured together give T by the largest."""
    by_field: dict[str, list[Finding]] = {}
    post: dict[str, list[Source]] = {}
    owner, resources = context.owner, context.data.resources
    for obs_ref, finding in context.findings.items():
        if owner.get(obs_ref) != ref:
            continue
        marker = clinical.post_treatment(resources[obs_ref])
        if marker is not None and finding.field != "histology":
            # After neoadjuvant therapy: the treated tumor, not the pretreatment T (AJCC y
            # prefix). Shown as such; never used for this stage nor relabelled pT.
            post.setdefault(finding.field, []).append(finding.source)
            notes.append(
                f"{obs_ref} ({FIELD_NAMES[finding.field]} {finding.source.text or ''}".rstrip()
                + f") was measured after neoadjuvant therapy ({marker}): shown as a "
                "post-treatment (yp) value, not used for the pretreatment stage."
            )
            continue
        by_field.setdefault(finding.field, []).append(finding)
    if len(by_field.get("size_cm", [])) > 1:
        largest = clinical.largest_lesion(
            by_field["size_cm"], context.data.resources, context.data.aliases
        )
        if largest is not None:
            chosen_size, said = largest
            day = str(chosen_size.source.date)[:10]
            by_field["size_cm"] = [chosen_size] + [
                f for f in by_field["size_cm"] if str(f.source.date)[:10] != day
            ]
            notes.append(said)
    return by_field, post


def _choose(
    name: str, candidates: list[Finding]
) -> tuple[Finding | None, list[Finding], list[str]]:
    """Most recent usable value, final before preliminary; notes for what was set aside."""
    what = FIELD_NAMES[name]
    # Most fields of a chart have one value, usable: it is chosen and nothing is set aside,
    # without the lists below (extract of a bench chart: 3.28 to 3.22 million instructions).
    if len(candidates) == 1 and candidates[0].value is not None:
        only = candidates[0]
        return only, [], [f"{what}: {p}" for p in only.problems] if only.problems else []
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
        if len(candidates) == 1 and candidates[0].value is not None:
            continue  # one value, usable: nothing unread (most fields; 3.22 to 3.19 million)
        unread = [f for f in candidates if f.value is None and could_not_read(f)]
        sentences.extend(unreadable_sentence(f) for f in unread)
        if unread and all(f.value is None for f in candidates):
            sources[name] = unread[-1].source
    return sentences, sources


def _inputs(
    values: dict[str, Any], unread_sources: dict[str, Source], recurrent: bool
) -> TumorInputs:
    """The core's inputs: intervals and grade sets go to their own fields (and leave
    ``values``)."""
    # Each field read once, no dict of ranges and no generator for an empty ``unread_sources``
    # (with the four shortcuts of this round: extract of a bench chart 2.697 to 2.643 million
    # instructions; tests/fhir/test_tumor_round5.py compares it with the plain building).
    get = values.get
    size, mitoses, necrosis, grade = (
        get("size_cm"),
        get("mitoses"),
        get("necrosis_pct"),
        get("grade"),
    )
    size_range = mitoses_range = necrosis_range = None
    if isinstance(size, Interval):
        size_range, size = values.pop("size_cm"), None
    if isinstance(mitoses, Interval):
        mitoses_range, mitoses = values.pop("mitoses"), None
    if isinstance(necrosis, Interval):
        necrosis_range, necrosis = values.pop("necrosis_pct"), None
    grade_options = ()
    if isinstance(grade, tuple):
        grade_options, grade = values.pop("grade"), None
    return _new_inputs(
        site=get("site"),
        topography=get("topography"),
        histology=get("histology"),
        size_cm=size,
        differentiation=get("differentiation"),
        mitoses=mitoses,
        necrosis_pct=necrosis,
        grade=grade,
        t=get("t"),
        n=get("n"),
        m=get("m"),
        stage=get("stage"),
        recurrent=recurrent,
        size_range=size_range,
        mitoses_range=mitoses_range,
        necrosis_range=necrosis_range,
        grade_options=grade_options,
        unreadable=tuple(CORE_NAMES[k] for k in unread_sources if k in CORE_NAMES)
        if unread_sources
        else (),
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


def _classification(
    values: dict[str, Any], by_field: dict[str, list[Finding]], sources: dict[str, Source]
) -> Classification:
    """Pathologic when T rests on pT or a specimen, else clinical (AJCC 8 classification)."""

    def chosen(name: str) -> Finding | None:
        # The first finding whose source is the chosen one, by a plain loop: no generator per
        # look-up, three look-ups per tumor (tests/fhir/test_tumor_shortcuts.py).
        if name not in sources:
            return None
        source = sources[name]
        for f in by_field.get(name, ()):
            if f.source is source:
                return f
        return None

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
        if not isinstance(stage, dict) or not isinstance(stage.get("summary"), Mapping):
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
