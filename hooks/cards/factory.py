"""CDS Hooks cards for each primary soft tissue sarcoma: stage, treatment options, data gaps,
discrepancies and notes.

Cards are decision support: each says so, cites its source (AJCC 8th edition via the NCI PDQ
"Adult Soft Tissue Sarcoma Treatment" summary, paraphrased), and shows where every value came
from. Text taken from the chart is escaped before it goes into Markdown. Indicators are
``info`` unless the clinician has something to act on (``warning``). The staging Observations
are delivered only as the ``create`` actions of the stage card's one suggestion.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from functools import lru_cache
from typing import Any
from urllib.parse import quote_plus

from cds.interval import Interval
from cds.model import (
    Assessment,
    Basis,
    Grade,
    Problem,
    SiteGroup,
    Stage,
    Status,
    T,
    TumorInputs,
)
from hooks.fhir.codes import CANONICAL_BASE
from hooks.fhir.model import Extraction, PrimaryTumor, Source, TumorReport
from hooks.web.wire import Action, Card, CardSource, Coding, Link, Suggestion

PDQ_URL = "https://www.cancer.gov/types/soft-tissue-sarcoma/hp/adult-soft-tissue-treatment-pdq"
STAGE_SOURCE = CardSource(label="AJCC 8th edition via NCI PDQ", url=PDQ_URL)
TREATMENT_SOURCE = CardSource(label="NCI PDQ Adult Soft Tissue Sarcoma Treatment", url=PDQ_URL)
TRIALS_SEARCH = "https://clinicaltrials.gov/search?cond="
SUMMARY_MAX = 139
SUGGESTION_LABEL = "Record AJCC 8th edition staging"
DISCLAIMER = (
    "_Decision support only: check against the pathology report and the treating team's "
    "judgement before acting._"
)

SITE_NAMES = {
    SiteGroup.TRUNK_EXTREMITY: "trunk and extremities (AJCC 8 chapter 41)",
    SiteGroup.RETROPERITONEUM: "retroperitoneum (AJCC 8 chapter 44)",
    SiteGroup.HEAD_NECK: "head and neck (AJCC 8 chapter 40)",
    SiteGroup.VISCERAL: "abdomen and thoracic visceral organs (AJCC 8 chapter 42)",
}

# How the core names an input in ``Assessment.missing`` / ``Problem.field``, mapped to the
# ``TumorInputs`` field whose source ``PrimaryTumor.sources`` records, and what to record.
FIELD_SOURCES = {
    "site": "site",
    "size": "size_cm",
    "t-category": "t",
    "histology": "histology",
    "differentiation": "differentiation",
    "mitotic-count": "mitoses",
    "necrosis": "necrosis_pct",
    "grade": "grade",
    "t": "t",
    "n": "n",
    "m": "m",
    "stage": "stage",
}
WHAT_TO_RECORD = {
    "site": "the primary site (Condition.bodySite; ICD-O-3 C47.3-C47.5 and C49.3-C49.5 "
    "need a finer site: trunk wall or visceral)",
    "size": "the greatest dimension of the tumor (LOINC 33728-7, in mm or cm)",
    "t-category": "the T category, or the tumor size it follows from",
    "histology": "the histology as an ICD-O-3 morphology code",
    "differentiation": "the FNCLCC differentiation score (1-3) for the histology",
    "mitotic-count": "the mitotic count per 10 high-power fields (SNOMED CT 371472000)",
    "necrosis": "the percentage of tumor necrosis (SNOMED CT 405921002)",
    "grade": "the FNCLCC grade (G1-G3)",
}
# The inputs a computed value rests on, named next to a recorded value that disagrees.
RELATED_SOURCES = {
    "t": ("size_cm",),
    "grade": ("differentiation", "mitoses", "necrosis_pct"),
    "differentiation": ("histology",),
    "stage": ("t", "n", "m", "grade", "size_cm"),
}
# Problem codes from the core that report a disagreement between the chart and the rules.
DISCREPANCY_MARKERS = ("disagree", "differs", "discrepan", "conflict", "mismatch")
# Recorded values the AJCC 8 rules reject or override: the chart disagrees with the rules too.
REJECTED_RECORDED = frozenset(
    {"t-invalid-for-site", "t-recorded-tx-with-size", "grade-recorded-for-ungraded-histology"}
)

# Reasons a clinician can pick when dismissing a warning card (CDS Hooks 2.0 ``overrideReasons``);
# they come back in feedback as ``overrideReason.reason``.
OVERRIDE_SYSTEM = f"{CANONICAL_BASE}/CodeSystem/override-reason"
OVERRIDE_REASONS = (
    Coding(
        code="recorded-elsewhere",
        system=OVERRIDE_SYSTEM,
        display="The data is recorded elsewhere (e.g. a pathology report not yet coded)",
    ),
    Coding(
        code="chart-is-right",
        system=OVERRIDE_SYSTEM,
        display="The chart is right; the computed value does not apply to this patient",
    ),
    Coding(
        code="not-needed-now", system=OVERRIDE_SYSTEM, display="Not needed for the current decision"
    ),
)

# Resource statuses not worth showing next to a value (anything else, e.g. preliminary, is).
ROUTINE_STATUSES = frozenset({"final", "amended", "corrected", "active", "confirmed"})

Assess = Callable[[TumorInputs], Assessment]
Observations = Callable[[TumorReport], list[dict[str, Any]]]


_MD_ESCAPES = str.maketrans({c: "\\" + c for c in "\\`*_{}[]()<>#+-.!|~&"})


@lru_cache(maxsize=8192)  # the same texts (chart values, table rows) recur in every response
def md(text: str) -> str:
    """Escape chart text for GitHub-flavoured Markdown (no emphasis, links, HTML or tables)."""
    return " ".join(text.split()).translate(_MD_ESCAPES)


def truncate(text: str, limit: int = SUMMARY_MAX) -> str:
    if len(text) <= limit:
        return text
    cut = text[: limit - 1]
    space = cut.rfind(" ")
    if space > limit // 2:
        cut = cut[:space]
    return cut.rstrip(" ,;:") + "…"


def _summary(prefix: str, description: str) -> str:
    """``prefix, description`` under 140 characters, shortening the description first."""
    desc = " ".join(description.split())
    if desc and len(desc) > 1 and not desc[1].isupper():
        desc = desc[0].lower() + desc[1:]
    if not desc:
        return truncate(prefix)
    room = SUMMARY_MAX - len(prefix) - 2
    if room < 12:
        return truncate(prefix)
    return f"{prefix}, {truncate(desc, room)}"


def tnmg(tumor: PrimaryTumor, a: Assessment) -> str:
    # Only T carries the c/p prefix: N and M are often clinical or assumed (N0/M0) even when
    # the tumor was measured on a resection specimen.
    return f"{tumor.classification.value}{a.t.value} {a.n.value} {a.m.value} {a.grade.grade.value}"


def _source_text(source: Source | None) -> str:
    if source is None:
        return "not recorded"
    parts = []
    if source.text:
        parts.append(md(source.text))
    parts.append(md(source.reference))
    if source.date:
        parts.append(md(source.date[:10]))
    if source.status and source.status not in ROUTINE_STATUSES:
        parts.append(f"status {md(source.status)}")
    return ", ".join(parts)


@dataclass(frozen=True, slots=True)
class CardFactory:
    """Builds the cards of one response; ``new_uuid`` gives every card and suggestion its id."""

    new_uuid: Callable[[], str]
    observations: Observations
    assess: Assess | None = None  # the core, for "what would change" in the data-gaps card

    def cards(self, extraction: Extraction, reports: Sequence[TumorReport]) -> list[Card]:
        """Per primary sarcoma: stage, treatment, data gaps, discrepancy, notes; then the data
        notes of the extraction. No primary sarcoma: no cards."""
        out: list[Card] = []
        for report in reports:
            out.append(self.stage_card(report))
            for build in (self.treatment_card, self.data_gaps_card, self.discrepancy_card):
                card = build(report)
                if card is not None:
                    out.append(card)
            notes = self.notes_card(report)
            if notes is not None:
                out.append(notes)
        # Without a sarcoma the chart's notes are not ours to show (a breast cancer patient
        # gets no sarcoma card), except resources about another patient (an integration fault
        # the clinician and the EHR team must hear about rather than an empty answer) and a
        # cancer at a soft tissue site whose histology is missing (it may be a sarcoma).
        if extraction.notes and (
            reports or extraction.other_patient or extraction.histology_needed
        ):
            out.append(self.data_notes_card(extraction))
        return out

    def data_notes_card(self, extraction: Extraction) -> Card:
        """What extraction set aside (other patients' resources, entered-in-error, ...)."""
        lines = ["While reading the chart:", "", *[f"- {md(n)}" for n in extraction.notes]]
        if extraction.other_patient:
            lines += [
                "",
                "The EHR sent data about another patient with this chart. It was not used; "
                "please report this to the team that runs the EHR integration.",
            ]
        lines += ["", DISCLAIMER]
        return Card(
            uuid=self.new_uuid(),
            summary=(
                "Sarcoma staging: data about another patient was sent and ignored"
                if extraction.other_patient
                else "Sarcoma staging: record the histology of a cancer at a soft tissue site"
                if extraction.histology_needed and not extraction.primaries
                else "Sarcoma staging: notes on the data read from the chart"
            ),
            detail="\n".join(lines),
            indicator="warning" if extraction.other_patient else "info",
            source=STAGE_SOURCE,
        )

    # --- stage -----------------------------------------------------------------------------

    def stage_card(self, report: TumorReport) -> Card:
        tumor, a = report.tumor, report.assessment
        if a.status is Status.STAGED and a.stage is not None:
            prefix = f"AJCC 8 stage {a.stage.value} ({tnmg(tumor, a)})"
            if tumor.preliminary:
                prefix = "Preliminary: " + prefix
        elif a.status is Status.NOT_APPLICABLE:
            prefix = f"No AJCC 8 stage group ({tnmg(tumor, a)})"
        else:
            prefix = f"AJCC 8 stage needs more data ({tnmg(tumor, a)})"
        lines = [self._headline(tumor, a), "", *self._values_table(tumor, a), ""]
        if a.trace or a.grade.trace:
            lines += ["**How it was decided**", ""]
            steps = {(s.table, s.row, s.explanation): s for s in (*a.grade.trace, *a.trace)}
            for step in steps.values():
                lines.append(
                    f"- {md(step.explanation)} ({md(step.table)} row {md(step.row)}; "
                    f"{md(step.source)})"
                )
            lines.append("")
        assumptions = self._assumptions(a)
        if assumptions:
            lines += ["**Assumptions**", "", *[f"- {x}" for x in assumptions], ""]
        unused = _not_used(a)
        if unused:
            lines += ["**Chart data not used**", "", *[f"- {x}" for x in unused], ""]
        if tumor.unreadable:
            lines += ["**Could not read**", "", *[f"- {md(x)}" for x in tumor.unreadable], ""]
        lines.append(DISCLAIMER)
        suggestion = self._record_suggestion(report)
        return Card(
            uuid=self.new_uuid(),
            summary=_summary(prefix, tumor.description),
            detail="\n".join(lines),
            indicator="info",
            source=STAGE_SOURCE,
            suggestions=[suggestion] if suggestion else None,
            selectionBehavior="at-most-one" if suggestion else None,
        )

    def _headline(self, tumor: PrimaryTumor, a: Assessment) -> str:
        name = md(tumor.description) or "Primary sarcoma"
        site = SITE_NAMES.get(a.site, "site group unknown") if a.site else "site group unknown"
        if a.status is Status.STAGED and a.stage is not None:
            head = f"**{name}**: AJCC 8th edition stage **{a.stage.value}**, {site}."
        elif a.status is Status.NOT_APPLICABLE:
            reason = md(a.reason.rstrip(". ")) if a.reason else "no AJCC 8 stage group applies"
            head = f"**{name}**: no AJCC 8th edition stage group. {reason}."
        else:
            head = f"**{name}**: the AJCC 8th edition stage group cannot be assigned yet, {site}."
        if tumor.preliminary:
            head += " Some of the data is preliminary: the result may change."
        return head

    def _values_table(self, tumor: PrimaryTumor, a: Assessment) -> list[str]:
        def src(name: str) -> Source | None:  # an unreadable value is named, not "not recorded"
            unread = tumor.unread_sources.get(name)
            if name in tumor.sources or unread is None:
                return tumor.sources.get(name)
            return Source(
                unread.reference, unread.date, unread.status, f"could not read {unread.text!r}"
            )

        g = a.grade
        scores = g.scores
        parts = [
            f"differentiation {scores.differentiation}" if scores.differentiation else None,
            f"mitotic {scores.mitotic}" if scores.mitotic else None,
            f"necrosis {scores.necrosis}" if scores.necrosis is not None else None,
        ]
        score_text = ", ".join(p for p in parts if p)
        if scores.total is not None:
            score_text += f"; total {scores.total}"
        grade_value = g.grade.value + (" (provisional)" if g.provisional else "")
        if g.options:
            grade_value += f" ({' or '.join(g.options)})"
        rows = [
            (
                "Histology",
                md(a.histology_name or tumor.inputs.histology or "unknown"),
                "",
                _source_text(src("histology")),
            ),
            (
                "Site group",
                SITE_NAMES[a.site] if a.site else "unknown",
                "",
                _source_text(src("site") or Source(reference=tumor.condition)),
            ),
            (
                "Greatest dimension",
                _shown(tumor.inputs.size_cm, tumor.inputs.size_range, " cm"),
                "",
                _source_text(src("size_cm")),
            ),
            (
                "T",
                f"{tumor.classification.value}{a.t.value}"
                + (f" ({' or '.join(a.t_options)})" if a.t_options else ""),
                a.t_basis.value,
                _source_text(src("t") or src("size_cm")),
            ),
            ("N", a.n.value, a.n_basis.value, _source_text(src("n"))),
            ("M", a.m.value, a.m_basis.value, _source_text(src("m"))),
            (
                "Mitotic count (per 10 HPF)",
                _shown(tumor.inputs.mitoses, tumor.inputs.mitoses_range, ""),
                "",
                _source_text(src("mitoses")),
            ),
            (
                "Necrosis",
                _shown(tumor.inputs.necrosis_pct, tumor.inputs.necrosis_range, " %"),
                "",
                _source_text(src("necrosis_pct")),
            ),
            (
                "FNCLCC grade",
                grade_value + (f" ({score_text})" if score_text else ""),
                g.basis.value,
                _source_text(src("grade"))
                if src("grade") or g.basis is not Basis.DERIVED
                else "FNCLCC scores from the rows above",
            ),
            (
                "Stage group",
                a.stage.value if a.stage else "none",
                "derived" if a.stage else "",
                "AJCC 8th edition stage table",
            ),
        ]
        out = ["| Item | Value | Basis | Source (value, resource, date) |", "|---|---|---|---|"]
        out += [
            f"| {item} | {value} | {basis or '-'} | {source} |"
            for item, value, basis, source in rows
        ]
        return out

    def _assumptions(self, a: Assessment) -> list[str]:
        # The core states its own assumptions (N0, M0, a differentiation score): say each once.
        stated = [p for p in _problems(a) if p.code.endswith("-assumed")]
        codes = {p.code for p in stated}
        out = []
        if a.n_basis is Basis.ASSUMED and "n-assumed" not in codes:
            out.append(
                "N0 assumed: no regional node finding is recorded (AJCC 8 has no NX for "
                "soft tissue sarcoma; unknown nodal status is N0)."
            )
        if a.m_basis is Basis.ASSUMED and "m-assumed" not in codes:
            out.append("M0 assumed: no distant metastasis is recorded.")
        out += [md(p.message) for p in stated]
        higher = [p for p in _problems(a) if p.code == "gx-grouped-with-g1"]
        if higher:  # the core names the stage with G2 or G3 (CLINICAL.md section 1)
            out += [md(p.message) for p in higher]
        elif a.grade.grade is Grade.GX and not a.grade.options:
            out.append(
                "GX: the FNCLCC grade cannot be assessed from the chart; AJCC groups GX "
                "with G1, so the stage shown is the lower of the possibilities."
            )
        if a.grade.provisional:
            out.append(
                "The grade is provisional (graded after neoadjuvant therapy or on a core biopsy)."
            )
        return list(dict.fromkeys(out))

    def _record_suggestion(self, report: TumorReport) -> Suggestion | None:
        resources = self.observations(report)
        if not resources:
            return None
        actions = [
            Action(type="create", description=describe_observation(r), resource=r)
            for r in resources
        ]
        return Suggestion(label=SUGGESTION_LABEL, uuid=self.new_uuid(), actions=actions)

    # --- treatment ---------------------------------------------------------------------------

    def treatment_card(self, report: TumorReport) -> Card | None:
        tumor, a = report.tumor, report.assessment
        options = [o for o in a.treatment if o.kind in {"stage", "histology"}]
        if not options:
            return None
        stage = f"stage {a.stage.value}" if a.stage else "this tumor"
        if a.stage and _extent_row(a) == GRADE_UNKNOWN_EXTENT:
            # GX groups with G1 for the stage, but PDQ's options depend on the grade: the
            # options shown are not those for the stage I group named.
            stage = f"stage {a.stage.value} (grade unknown)"
            said = (
                f"localized disease of unknown grade (GX; AJCC 8 stage {a.stage.value} "
                "counts GX as G1)"
            )
        else:
            said = stage
        lines = [
            f"Options the NCI PDQ summary describes for {said} "
            f"({md(tumor.description) or 'primary sarcoma'}), in our words:",
            "",
        ]
        for option in options:
            lines.append(
                f"- **{md(option.title)}**: {md(option.detail)} "
                f"_{md(option.evidence)}_ ({md(option.source)})"
            )
        lines += [
            "",
            "Discuss in a multidisciplinary sarcoma team; clinical trials are an "
            "option at every stage.",
            "",
            DISCLAIMER,
        ]
        links = [Link(label="NCI PDQ: Adult Soft Tissue Sarcoma Treatment", url=PDQ_URL)]
        term = a.histology_name or "soft tissue sarcoma"
        links.append(
            Link(
                label=f"Clinical trials: {term}"[:80], url=TRIALS_SEARCH + quote_plus(term.lower())
            )
        )
        prefix = f"Treatment options for {stage}" if a.stage else "Treatment options"
        return Card(
            uuid=self.new_uuid(),
            summary=_summary(prefix, tumor.description),
            detail="\n".join(lines),
            indicator="info",
            source=TREATMENT_SOURCE,
            links=links,
        )

    # --- data gaps ---------------------------------------------------------------------------

    def data_gaps_card(self, report: TumorReport) -> Card | None:
        tumor, a = report.tumor, report.assessment
        if a.status is Status.NOT_APPLICABLE:
            return None  # no stage group to complete; the stage card says why
        missing = list(a.missing)
        ungradable = any(p.code == "grade-not-applicable" for p in a.grade.problems)
        grade_parts = ("differentiation", "mitotic-count", "necrosis")
        if (
            a.grade.grade is Grade.GX
            and not a.grade.options  # a set of grades is a grade the stage can rest on
            and not ungradable
            and "grade" not in missing
            and not any(m in missing for m in grade_parts)
        ):
            missing.append("grade")
        if not missing:
            return None
        lines = ["Recording these would complete the AJCC 8th edition staging:", ""]
        for item in missing:
            lines.append(f"- {WHAT_TO_RECORD.get(item, md(item))}")
        if any(m in missing for m in grade_parts):
            lines.append("- or the FNCLCC grade itself (G1-G3) as stated in the pathology report")
        effects = self._what_if(tumor.inputs, a)
        lines.append("")
        if effects:
            lines.append(f"How the stage would change: {effects}.")
        elif len(a.alternatives) > 1:
            lines.append(
                "Possible stage groups: " + ", ".join(s.value for s in a.alternatives) + "."
            )
        lines += ["", DISCLAIMER]
        names = ", ".join(dict.fromkeys(_short(m) for m in missing))
        prefix = f"Record {names} to complete staging"
        if effects:
            prefix = f"{prefix} ({effects})"
            if len(prefix) > 100:
                prefix = f"Record {names} to complete staging"
        return Card(
            uuid=self.new_uuid(),
            summary=_summary(prefix, tumor.description),
            detail="\n".join(lines),
            indicator="warning",
            source=STAGE_SOURCE,
            overrideReasons=list(OVERRIDE_REASONS),
        )

    def _what_if(self, inputs: TumorInputs, a: Assessment) -> str:
        """Stage groups under each possible value of the missing item, from the core itself."""
        if self.assess is None or a.status is Status.NOT_APPLICABLE:
            return ""
        # One unknown at a time, in the order that decides most: site (which table), then the
        # grade, then T. Each hypothetical is answered by the core itself.
        trials: list[tuple[str, TumorInputs]] = []
        if a.site is None:
            trials = [(_site_short(s), replace(inputs, site=s)) for s in SiteGroup]
        elif a.grade.grade is Grade.GX:
            grades = a.grade.options or (Grade.G1, Grade.G2, Grade.G3)  # only those still possible
            trials = [(g.value, replace(inputs, grade=g)) for g in grades]
        elif a.t is T.TX or "size" in a.missing:
            t_values = a.t_options or (T.T1, T.T2, T.T3, T.T4)
            trials = [(t.value, replace(inputs, t=t)) for t in t_values]
        if not trials:
            return ""
        by_stage: dict[str, list[str]] = {}
        for label, hypo in trials:
            result = self.assess(hypo)
            key = result.stage.value if result.stage else "no stage group"
            by_stage.setdefault(key, []).append(label)
        if len(by_stage) < 2:
            return ""
        return "; ".join(f"{stage} if {' or '.join(labels)}" for stage, labels in by_stage.items())

    # --- discrepancies -----------------------------------------------------------------------

    def discrepancy_card(self, report: TumorReport) -> Card | None:
        tumor, a = report.tumor, report.assessment
        problems = [p for p in _problems(a) if is_discrepancy(p)]
        if not problems:
            return None
        lines = ["The chart and the AJCC 8th edition rules disagree:", ""]
        for problem in dict.fromkeys(problems):
            key = FIELD_SOURCES.get(problem.field or "", problem.field or "")
            source = tumor.sources.get(key)
            where = f" Recorded: {_source_text(source)}." if source else ""
            lines.append(f"- {md(problem.message)}{where}")
            for other in tumor.others.get(key, ()):
                lines.append(f"  - also found: {_source_text(other)}")
            for related in RELATED_SOURCES.get(key, ()):
                if related in tumor.sources:
                    lines.append(f"  - computed from: {_source_text(tumor.sources[related])}")
        lines += ["", "Check which value is right and correct the chart.", "", DISCLAIMER]
        fields = ", ".join(dict.fromkeys(_short(p.field or "value") for p in problems))
        return Card(
            uuid=self.new_uuid(),
            summary=_summary(f"Recorded {fields} disagrees with computed", tumor.description),
            detail="\n".join(lines),
            indicator="warning",
            source=STAGE_SOURCE,
            overrideReasons=list(OVERRIDE_REASONS),
        )

    # --- notes -------------------------------------------------------------------------------

    def notes_card(self, report: TumorReport) -> Card | None:
        tumor, a = report.tumor, report.assessment
        lines = []
        if a.status is Status.NOT_APPLICABLE and a.reason:
            lines.append(f"- No AJCC 8 stage group: {md(a.reason)}")
        for option in a.treatment:
            if option.kind not in {"stage", "histology"}:
                lines.append(f"- **{md(option.title)}**: {md(option.detail)} ({md(option.source)})")
        if tumor.preliminary:
            lines.append(
                "- Part of the data is preliminary (not final): recheck when the final "
                "report is available."
            )
        lines += [f"- {md(note)}" for note in tumor.notes]
        if not lines:
            return None
        body = ["Notes for this tumor:", "", *lines, "", DISCLAIMER]
        return Card(
            uuid=self.new_uuid(),
            summary=_summary("Sarcoma notes", tumor.description),
            detail="\n".join(body),
            indicator="info",
            source=TREATMENT_SOURCE,
        )


# The pdq-treatment-extent row that picks PDQ's stage II-III options for localized GX disease.
GRADE_UNKNOWN_EXTENT = "localized, grade unknown (GX)"


def _extent_row(a: Assessment) -> str | None:
    """The pdq-treatment-extent row that chose the PDQ section, from the trace."""
    return next((s.row for s in a.trace if s.table == "pdq-treatment-extent"), None)


def is_discrepancy(problem: Problem) -> bool:
    return problem.code in REJECTED_RECORDED or any(
        marker in problem.code for marker in DISCREPANCY_MARKERS
    )


def _problems(a: Assessment) -> list[Problem]:
    """The core's problems, each once (the grade's are also among the assessment's)."""
    return list(dict.fromkeys((*a.grade.problems, *a.problems)))


def _not_used(a: Assessment) -> list[str]:
    """Chart values the core set aside as malformed or out of range (``invalid-*``: size,
    histology, differentiation, mitotic count, necrosis), which no other card states."""
    return list(dict.fromkeys(md(p.message) for p in _problems(a) if p.code.startswith("invalid-")))


def _shown(value: object, interval: Interval | None, unit: str) -> str:
    """A measured value, or the interval it is known as ("> 5 cm"), or "unknown"."""
    if value is not None:
        return f"{value}{unit}"
    if interval is not None:
        return md(interval.describe(unit.strip()))
    return "unknown"


def _short(name: str) -> str:
    return {
        "mitotic-count": "mitotic count",
        "t-category": "T category",
        "size": "size",
        "t": "T",
        "n": "N",
        "m": "M",
    }.get(name, name.replace("-", " ").replace("_", " "))


def _site_short(site: SiteGroup) -> str:
    return {
        SiteGroup.TRUNK_EXTREMITY: "trunk or extremity",
        SiteGroup.RETROPERITONEUM: "retroperitoneal",
        SiteGroup.HEAD_NECK: "head and neck",
        SiteGroup.VISCERAL: "visceral",
    }[site]


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


__all__ = ["CardFactory", "Stage", "describe_observation", "md", "truncate"]
