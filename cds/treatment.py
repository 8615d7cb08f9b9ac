"""Treatment options for one tumor, from the NCI PDQ Adult Soft Tissue Sarcoma Treatment
summary (health professional version, updated 2024-04-10,
https://www.cancer.gov/types/soft-tissue-sarcoma/hp/adult-soft-tissue-treatment-pdq).

PDQ groups options by AJCC stage. The section is chosen by ``pdq-treatment-extent`` (stage,
or disease extent and grade where no stage group exists); the options, histology-specific
agents and notes come from ``pdq-treatment-by-stage``, ``pdq-histology-agents`` and
``pdq-treatment-notes`` (site notes by site group and, from the ICD-O-3 topography, by body
region: ``icdo3-topography-regions``). The text is our paraphrase; every option names the
PDQ section it comes from.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

from cds.histology import Histology, Scope
from cds.model import Grade, M, N, SiteGroup, Stage, TraceStep, TreatmentOption
from cds.tables import Row, table

EXTENT = table("pdq-treatment-extent")
BY_STAGE = table("pdq-treatment-by-stage")
AGENTS = table("pdq-histology-agents")
NOTES = table("pdq-treatment-notes")
NOT_GRADED = table("fnclcc-not-graded")
REGIONS = table("icdo3-topography-regions")


@dataclass(frozen=True, slots=True)
class TreatmentPlan:
    options: tuple[TreatmentOption, ...]
    trace: tuple[TraceStep, ...] = ()


_OPTIONS: dict[tuple[str, str, str], TreatmentOption] = {}


def _option(row: Row, detail_suffix: str = "") -> TreatmentOption:
    """The option a table row describes (built once per row and suffix: options are frozen)."""
    key = (row.table, row.key, detail_suffix)
    option = _OPTIONS.get(key)
    if option is None:
        if len(_OPTIONS) >= 4096:  # suffixes come from tables, so this stays small; bound it
            _OPTIONS.clear()
        option = _OPTIONS[key] = _build_option(row, detail_suffix)
    return option


def _build_option(row: Row, detail_suffix: str) -> TreatmentOption:
    detail = row.text("detail")
    if detail_suffix:
        detail = f"{detail} {detail_suffix}"
    return TreatmentOption(
        id=row.key,
        title=row.text("title"),
        detail=detail,
        evidence=row.text("evidence"),
        source=row.text("section"),
        kind=row.text("kind"),
    )


def treatment_options(
    *,
    site: SiteGroup | None,
    stage: Stage | None,
    n: N,
    m: M,
    grade: Grade,
    histology: Histology | None,
    scope: Scope,
    recurrent: bool = False,
    no_stage_why: str | None = None,
    topography: str | None = None,
) -> TreatmentPlan:
    """The PDQ options for this tumor, with the trace of how the PDQ section was chosen.

    ``no_stage_why`` says, in words, why no stage group was used (shown in the option detail
    when options are chosen by disease extent and grade instead of stage).
    """
    return _plan(
        plan=scope.treatment,
        site=site,
        stage=stage,
        n=n,
        m=m,
        grade=grade,
        morphology=histology.morphology if histology else None,
        family=histology.family if histology else None,
        adipocytic=bool(histology and histology.adipocytic),
        recurrent=recurrent,
        no_stage_why=no_stage_why,
        topography=topography,
    )


# The options are a pure function of these few values (enums and short texts) and are frozen:
# remembering them made cds.assess 0.082 -> 0.064 ms per new chart. Typed: a StrEnum member and its
# text are equal but must not share an answer.
@lru_cache(maxsize=1024, typed=True)
def _plan(
    *,
    plan: str,
    site: SiteGroup | None,
    stage: Stage | None,
    n: N,
    m: M,
    grade: Grade,
    morphology: str | None,
    family: str | None,
    adipocytic: bool,
    recurrent: bool,
    no_stage_why: str | None,
    topography: str | None,
) -> TreatmentPlan:
    """``treatment_options`` from the values it reads."""
    trace: list[TraceStep] = []
    options: list[TreatmentOption] = []

    if plan == "sts":
        if recurrent:
            extent = "recurrent"
            trace.append(
                TraceStep(
                    table=BY_STAGE.id,
                    row="recurrent",
                    source=BY_STAGE.source,
                    explanation=(
                        "recurrent tumor: options from Treatment Options for Recurrent Soft "
                        "Tissue Sarcoma (the stage is still given, noted as recurrent)"
                    ),
                )
            )
            suffix = ""
        else:
            high = NOT_GRADED.first(morphology=morphology) if morphology else None
            row = EXTENT.first(
                m=m.value,
                n=n.value,
                stage=stage.value if stage else "none",
                grade=grade.value,
                high_grade_histology=bool(high and high.flag("high_grade")),
            )
            if row is None:  # the last rows cover every grade; integrity tests check it
                raise LookupError("pdq-treatment-extent has no row")
            extent = row.text("extent")
            suffix = ""
            if row.opt_text("explain"):
                suffix = f"({row.text('explain')})"
            elif row.flag("by_grade"):
                why = no_stage_why or "no AJCC stage group applies"
                suffix = (
                    f"(PDQ groups treatment options by AJCC stage; {why}, so the options shown "
                    f"are those PDQ lists for {row.text('basis')}.)"
                )
            trace.append(
                EXTENT.step(row, f"{row.text('basis')}: options from {row.text('section')}")
            )
        options.extend(_option(r, suffix) for r in BY_STAGE.every(extent=extent))
    else:
        extent = "histology-only"

    if plan in {"sts", "histology"}:
        options.extend(
            _option(r)
            for r in AGENTS.every(
                extent=extent,
                morphology=morphology,
                family=family,
                adipocytic=adipocytic,
            )
        )
    region = REGIONS.first(topography=topography)
    if region is None:  # the last row matches any topography; integrity tests check it
        raise LookupError("icdo3-topography-regions has no row")
    options.extend(
        _option(r)
        for r in NOTES.every(
            plan=plan,
            site=site.value if site else None,
            region=region.text("region"),
            grade=grade.value,
            morphology=morphology,
            n=n.value,
        )
    )
    return TreatmentPlan(tuple(options), tuple(trace))
