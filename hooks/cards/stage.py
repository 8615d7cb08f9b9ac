"""The stage card: AJCC 8th edition T, N, M, FNCLCC grade and stage group of one primary soft
tissue sarcoma in a compact table (value, basis, source resource and date), what is missing,
assumed or could not be read, and the suggestion recording what is determined as mCODE
Observations (AJCC Cancer Staging Manual 8th ed., ch. 40-44, and FNCLCC grading, via NCI PDQ
Tables 1-7).

A clinician takes it in at a glance: the full derivation (every table row that decided) stays
in the CLI report and in ``stage-fhir --json`` (trace); the card cites its human sources once.
"""

from __future__ import annotations

import operator
import re
from collections.abc import Callable
from functools import lru_cache
from typing import Any

from cds.grade_sets import PARTIAL_SUM
from cds.model import Assessment, Basis, Grade, Problem, SiteGroup, Status
from hooks.cards import context as clinical_context
from hooks.cards import plain
from hooks.cards.common import (
    FIELD_SOURCES,
    OVERRIDE_REASONS_WIRE,
    PDQ_URL,
    SITE_NAMES,
    STAGE_SOURCE_WIRE,
    Assess,
    NewUuid,
    Observations,
    problems,
    short,
    tnmg,
)
from hooks.cards.data_gaps import GRADE_PARTS
from hooks.cards.markdown import DISCLAIMER, ROUTINE_STATUSES, link, md, md_once, summary
from hooks.fhir import writeback
from hooks.fhir.model import PrimaryTumor, Source, TumorReport

CHAPTERS = {site: name.rsplit("chapter ", 1)[-1].rstrip(")") for site, name in SITE_NAMES.items()}
_PDQ_TABLES = re.compile(r"PDQ Tables? ((?:\d+(?:, | and )?)+)")


def stage_card(
    report: TumorReport,
    *,
    new_uuid: NewUuid,
    observations: Observations,
    assess: Assess | None = None,
    launch_url: str | None = None,
) -> plain.WireCard:
    tumor, a = report.tumor, report.assessment
    if a.status is Status.STAGED and a.stage is not None:
        prefix = f"AJCC 8 stage {a.stage} ({tnmg(tumor, a)})"
        if tumor.preliminary:
            prefix = "Preliminary: " + prefix
    elif a.status is Status.NOT_APPLICABLE:
        prefix = f"No AJCC 8 stage group ({tnmg(tumor, a)})"
    else:
        prefix = f"AJCC 8 stage needs more data ({tnmg(tumor, a)})"
    plan = writeback.plan(report)
    lines = [_headline(tumor, a), ""]
    lines += clinical_context.stage_lines(tumor, assess, md)  # before the values
    lines += [*_values_table(tumor, a), ""]
    status_lines = [f"- **{k}**: {v}" for k, v in _status(report, plan) if v]
    if status_lines:
        lines += [*status_lines, ""]
    lines.append(f"{DISCLAIMER} {_sources(a)}")
    suggestion = _record_suggestion(report, plan, new_uuid=new_uuid, observations=observations)
    return plain.card(
        uuid=new_uuid(),
        summary=summary(prefix, tumor.description),
        detail="\n".join(lines),
        indicator="info",
        source=STAGE_SOURCE_WIRE,
        suggestions=[suggestion] if suggestion else None,
        selection_behavior="at-most-one" if suggestion else None,
        override_reasons=OVERRIDE_REASONS_WIRE,
        links=_worksheet_link(tumor, launch_url),
    )


def _worksheet_link(tumor: PrimaryTumor, launch_url: str | None) -> list[plain.WireDict] | None:
    """The SMART link opening the staging worksheet on this tumor (CDS Hooks 2.0 Link:
    ``type`` smart, ``appContext`` handed to the app by the EHR at launch)."""
    if not launch_url:
        return None
    return [
        plain.link(
            label="Open the staging worksheet",
            url=launch_url,
            type="smart",
            app_context=tumor.condition,
            auto_launchable=False,
        )
    ]


def _headline(tumor: PrimaryTumor, a: Assessment) -> str:
    name = md(tumor.description) or "Primary sarcoma"
    site = SITE_NAMES.get(a.site, "site group unknown") if a.site else "site group unknown"
    if a.status is Status.STAGED and a.stage is not None:
        head = f"**{name}**: AJCC 8th edition stage **{a.stage}**, {site}."
    elif a.status is Status.NOT_APPLICABLE:
        reason = md(a.reason.rstrip(". ")) if a.reason else "no AJCC 8 stage group applies"
        head = f"**{name}**: no AJCC 8th edition stage group. {reason}."
    else:
        head = f"**{name}**: the AJCC 8th edition stage group cannot be assigned yet, {site}."
    if tumor.preliminary:
        head += " Some of the data is preliminary: the result may change."
    return head


def _where(*sources: Source | None) -> str:
    """The resources a value came from, each once, with the date (once when they share it)."""
    if len(sources) == 1 and sources[0] is not None:  # most values: the same text, 1 us sooner
        return _where_one(sources[0])
    found = list({s.reference: s for s in sources if s is not None}.values())
    if len(found) == 1:  # the FNCLCC scores from one report: the same text, 0.5 us sooner
        return _where_one(found[0])
    return _where_found(found)


def _where_found(found: list[Source]) -> str:
    if not found:
        return "not recorded"
    dates = {(s.date or "")[:10] for s in found}
    shared = len(dates) == 1
    parts = []
    for s in found:
        part = md_once(s.reference)
        if s.date and not shared:
            part += f" {md(s.date[:10])}"
        if s.status and s.status not in ROUTINE_STATUSES:
            part += f" ({md(s.status)})"
        if s.accepted:
            part += " (accepted suggestion)"
        parts.append(part)
    date = next(iter(dates))
    return ", ".join(parts) + (f", {md(date)}" if shared and date else "")


def _where_one(s: Source) -> str:
    """``_where(s)``: one source, its date shared with itself."""
    part = md_once(s.reference)  # a chart's own reference: not kept in md's memory
    status = s.status
    if status and status not in ROUTINE_STATUSES:
        part += f" ({md(status)})"
    if s.accepted:
        part += " (accepted suggestion)"
    date = s.date
    return f"{part}, {md(date[:10])}" if date else part


def _basis(basis: Basis, source: Source | None) -> str:
    if source is not None and source.accepted == writeback.CONVENTION:
        return "AJCC convention, accepted"
    return basis  # a StrEnum is its value: no ``.value`` (0.1 us each)


def _values_table(tumor: PrimaryTumor, a: Assessment) -> list[str]:
    src: Callable[[str], Source | None] = tumor.sources.get  # no unreadable value: 1 us sooner
    if tumor.unread_sources:

        def src(name: str) -> Source | None:  # an unreadable value is named, not "not recorded"
            unread = tumor.unread_sources.get(name)
            if name in tumor.sources or unread is None:
                return tumor.sources.get(name)
            return Source(
                unread.reference, unread.date, unread.status, f"could not read {unread.text!r}"
            )

    size = src("size_cm")
    if size is not None and size.text:
        size_text = md(size.text)
    elif tumor.inputs.size_cm is not None:
        size_text = f"{tumor.inputs.size_cm} cm"
    elif tumor.inputs.size_range is not None:  # known as an interval ("> 5 cm")
        size_text = md(tumor.inputs.size_range.describe("cm"))
    else:
        size_text = ""
    t_value = f"{tumor.classification}{a.t}" + (f" ({size_text})" if size_text else "")
    if a.t_options:
        t_value += f", {' or '.join(a.t_options)}"
    g = a.grade
    grade_value = g.grade + (", provisional" if g.provisional else "")
    if g.options:
        grade_value += f" ({' or '.join(g.options)})"
    t_source, n_source, m_source, grade_source = src("t"), src("n"), src("m"), src("grade")
    if g.basis is Basis.RECORDED:  # a recorded grade is shown without its FNCLCC scores
        grade_from: tuple[Source | None, ...] = (grade_source,)
    else:
        grade_value += _scores_text(a)
        grade_from = (src("differentiation"), src("mitoses"), src("necrosis_pct"))
    stage_value = a.stage if a.stage else "none"
    recorded_stage = src("stage") if a.stage and tumor.inputs.stage is a.stage else None
    stage_basis = "recorded" if recorded_stage else "derived" if a.stage else "-"
    stage_from = (
        _where(recorded_stage)
        if recorded_stage
        else f"AJCC 8th ed. ch. {CHAPTERS[a.site]}"
        if a.site
        else "-"
    )
    rows = [
        ("T", t_value, _basis(a.t_basis, t_source), _where(t_source or size)),
        ("N", a.n, _basis(a.n_basis, n_source), _where(n_source)),
        ("M", a.m, _basis(a.m_basis, m_source), _where(m_source)),
        ("Grade", grade_value, _basis(g.basis, grade_source), _where(*grade_from)),
        ("Stage", stage_value, stage_basis, stage_from),
    ]
    out = ["| | Value | Basis | Source |", "|---|---|---|---|"]
    out += [f"| {item} | {value} | {basis} | {where} |" for item, value, basis, where in rows]
    return out


def _scores_text(a: Assessment) -> str:
    """`` (FNCLCC <scores>)`` after a computed grade: the partial sum when some score is known
    only as a range, else the scores and their total (empty when no score is known)."""
    partial = _partial_sum(a)
    if partial:
        return f" (FNCLCC {md(partial)})"
    s = a.grade.scores
    parts = [
        f"differentiation {s.differentiation}" if s.differentiation else None,
        f"mitoses {s.mitotic}" if s.mitotic else None,
        f"necrosis {s.necrosis}" if s.necrosis is not None else None,
    ]
    score_text = " + ".join(p for p in parts if p)
    if s.total is not None:
        score_text += f" = {s.total}"
    return f" (FNCLCC {score_text})" if score_text else ""


def _partial_sum(a: Assessment) -> str | None:
    """The sum when some FNCLCC score is known only as a range or not at all ("differentiation
    2 + mitotic count 3 + necrosis unknown 0-2 = 5-7"), from the core's trace
    (``cds.grade_sets.possible_grades``): every number shown has its derivation."""
    for step in a.grade.trace:
        if step.explanation.startswith(PARTIAL_SUM):
            return step.explanation.removeprefix(PARTIAL_SUM).split(":", 1)[0]
    return None


def _status(report: TumorReport, plan: writeback.Plan) -> list[tuple[str, str]]:
    """The "Missing", "Assumed", "Could not read" and "Recorded" lines (empty when none)."""
    tumor, a = report.tumor, report.assessment
    # A value present but unreadable is not "missing": it is named under "Could not read".
    unread = tumor.unread_sources
    missing = [short(m) for m in a.missing if FIELD_SOURCES.get(m, m) not in unread]
    found = problems(a)  # once for the card: 1 us a call
    if a.grade.grade is Grade.GX and not a.grade.options:  # the grade unknown
        ungraded = any(p.code == "grade-not-applicable" for p in found)
        if not ungraded and not set(a.missing) & set(GRADE_PARTS):
            missing.append("FNCLCC grade")
    if writeback.grade_rests_on_assumption(tumor, a):
        missing.append("differentiation score (it decides the grade)")
    unreadable = [md(x) for x in tumor.unreadable]
    unreadable += [md(p.message) for p in found if p.code.startswith("invalid-")]
    return [
        ("Missing", "; ".join(dict.fromkeys(missing))),
        ("Assumed", " ".join(_assumptions(tumor, a, found))),
        ("Could not read", " ".join(dict.fromkeys(unreadable))),
        ("Recorded", _recorded(plan, a)),
    ]


def _assumptions(tumor: PrimaryTumor, a: Assessment, found: list[Problem]) -> list[str]:
    """N0/M0 by the AJCC convention first (most often assumed), then the core's own stated
    assumptions (a differentiation score) and GX grouped with G1, each once."""
    out = []
    n_assumed, m_assumed = a.n_basis is Basis.ASSUMED, a.m_basis is Basis.ASSUMED
    if n_assumed and m_assumed:
        out.append(
            "N0 and M0: no nodal or distant disease is recorded (AJCC 8 has no NX or MX); "
            "confirm M0 by staging imaging."
        )
    elif n_assumed:
        out.append("N0: no regional node finding is recorded (AJCC 8 has no NX).")
    elif m_assumed:
        out.append(
            "M0: no distant metastasis is recorded (AJCC 8 has no MX); confirm by staging imaging."
        )
    convention = [
        v
        for k, v in (("n", a.n), ("m", a.m))
        if (s := tumor.sources.get(k)) is not None and s.accepted == writeback.CONVENTION
    ]
    if convention:
        out.append(
            f"{' and '.join(convention)} by the AJCC convention for unrecorded nodal or distant "
            "status, recorded from an accepted suggestion: not a finding."
        )
    out += [
        md(p.message)
        for p in found
        if p.code.endswith("-assumed") and p.code not in {"n-assumed", "m-assumed"}
    ]
    out += [md(p.message) for p in found if p.code == "gx-grouped-with-g1"]
    return list(dict.fromkeys(out))


def _recorded(plan: writeback.Plan, a: Assessment) -> str:
    if plan.blocked:
        return f"nothing to record yet: {md(plan.blocked)}" if a.ajcc_sts else ""
    if not plan.is_recorded:
        return ""
    _kind, source = plan.recorded[0]  # the stage group when there is one, else T
    when = f"on {md(source.date[:10])} " if source.date else ""
    by = ", from an accepted suggestion" if source.accepted else ""
    return f"{when}({md(source.reference)}){by}; nothing new to record."


_SOURCE_OF = operator.attrgetter("source")


def _sources(a: Assessment) -> str:
    """The human sources of the values shown, once: AJCC chapter and PDQ tables."""
    # The steps' sources gathered in C, not by a generator each (0.5 us a card).
    grade_sources = tuple(map(_SOURCE_OF, a.grade.trace))
    return _sources_text(a.site, grade_sources, tuple(map(_SOURCE_OF, a.trace)))


# Trace sources are the core's table texts: a few combinations recur (2 us a card saved).
@lru_cache(maxsize=1024)
def _sources_text(
    site: SiteGroup | None, grade_sources: tuple[str, ...], other_sources: tuple[str, ...]
) -> str:
    tables: set[int] = set()
    for source in (*grade_sources, *other_sources):
        tables.update(_tables_cited(source))
    tables.discard(9)  # treatment agents by histology: cited on the treatment card
    chapter = f"ch. {CHAPTERS[site]}" if site else "ch. 40-44"
    pdq = f", via {link('NCI PDQ', PDQ_URL)} {_table_list(sorted(tables))}" if tables else ""
    graded = any("FNCLCC" in source for source in grade_sources)
    fnclcc = ", and FNCLCC grading" if graded else ""
    return f"Sources: AJCC Cancer Staging Manual 8th ed., {chapter}{fnclcc}{pdq}."


@lru_cache(maxsize=1024)  # trace sources are the core's table texts: 0.03 ms a card saved
def _tables_cited(source: str) -> tuple[int, ...]:
    """The PDQ table numbers a trace step's source cites ("PDQ Tables 4, 5 and 6")."""
    return tuple(
        int(n) for match in _PDQ_TABLES.finditer(source) for n in re.findall(r"\d+", match.group(1))
    )


def _table_list(numbers: list[int]) -> str:
    runs: list[list[int]] = []
    for n in numbers:
        if runs and n == runs[-1][-1] + 1:
            runs[-1].append(n)
        else:
            runs.append([n])
    text = ", ".join(f"{r[0]}-{r[-1]}" if len(r) > 2 else ", ".join(map(str, r)) for r in runs)
    return ("Table " if len(numbers) == 1 else "Tables ") + text


def _record_suggestion(
    report: TumorReport, plan: writeback.Plan, *, new_uuid: NewUuid, observations: Observations
) -> plain.WireDict | None:
    resources = observations(report)
    if not resources:
        return None
    actions = [plain.create(describe_observation(r), r) for r in resources]
    return plain.suggestion(
        label=writeback.label(report, plan),
        uuid=new_uuid(),
        # A suggestion resting on the AJCC convention for N0/M0 needs the clinician's explicit
        # agreement: never pre-selected (CDS Hooks 2.0 Suggestion.isRecommended).
        is_recommended=not plan.assumed,
        actions=actions,
    )


def describe_observation(resource: dict[str, Any]) -> str:
    """``Create <what>: <value>`` for an action, from the Observation's own code and value."""
    what = _concept_text(resource.get("code")) or "staging Observation"
    value = _concept_text(resource.get("valueCodeableConcept"))
    if value is None:
        quantity = resource.get("valueQuantity")
        if isinstance(quantity, dict) and "value" in quantity:
            value = f"{quantity['value']} {quantity.get('unit', '')}".strip()
        elif "valueInteger" in resource:
            value = str(resource["valueInteger"])
    return f"Create {what}: {value}" if value else f"Create {what}"


def _concept_text(concept: Any) -> str | None:
    if not isinstance(concept, dict):
        return None
    text = concept.get("text")
    if isinstance(text, str) and text:
        return text
    for coding in concept.get("coding", []) if isinstance(concept.get("coding"), list) else []:
        if isinstance(coding, dict):
            label = coding.get("display") or coding.get("code")
            if isinstance(label, str) and label:
                return label
    return None
