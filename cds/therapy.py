"""Order review: a systemic agent being ordered, checked against the stage, the histology and
the therapy on record, by the NCI PDQ Adult Soft Tissue Sarcoma Treatment summary (health
professional version, updated 2024-04-10,
https://www.cancer.gov/types/soft-tissue-sarcoma/hp/adult-soft-tissue-treatment-pdq).

The rules are data: ``pdq-therapy-agents`` (agents and their classes), ``pdq-therapy-options``
(subtype-specific agents, PDQ Table 9) and ``pdq-therapy-rules`` (what gives a card). Every
finding names its rule and the PDQ section and sentence it rests on. An agent the tables do
not know, or one that fits the options for the tumor, gives no finding.
"""

from __future__ import annotations

from dataclasses import dataclass

from cds.histology import Histology, ajcc_scope, read_histology
from cds.model import Assessment, Stage, TumorInputs
from cds.tables import Row, table

AGENTS = table("pdq-therapy-agents")
OPTIONS = table("pdq-therapy-options")
RULES = table("pdq-therapy-rules")
EXTENT = table("pdq-treatment-extent")
NOT_GRADED = table("fnclcc-not-graded")

ANTHRACYCLINE = "anthracycline"


@dataclass(frozen=True, slots=True)
class TumorContext:
    """What the rules read about one primary tumor."""

    extent: str | None  # PDQ section key ("stage-i", "stage-iv", "histology-only", ...)
    stage: Stage | None  # the stage group, when every consistent stage group is that one
    histology: Histology | None  # None when no valid ICD-O-3 histology is recorded


@dataclass(frozen=True, slots=True)
class History:
    """The therapy on record that the rules read (what was searched is reported by hooks)."""

    prior_anthracycline: bool  # an anthracycline before this order
    with_anthracycline: bool  # an anthracycline ordered in the same session
    prior_chemotherapy: bool = False  # any agent of pdq-therapy-agents before this order


@dataclass(frozen=True, slots=True)
class Finding:
    """One card's worth: an ordered agent, the rule it meets and what that rests on."""

    rule: str  # pdq-therapy-rules row key
    agent: str
    agent_name: str
    indicator: str  # "info" or "warning"
    reason: str  # a few words, for the card summary
    detail: str  # our paraphrase of the PDQ text
    section: str  # the PDQ section
    quote: str  # the PDQ sentence the rule rests on (exact words)
    subtype: str | None = None  # for the Table 9 rule: the subtype and its agents
    subtype_agents: tuple[str, ...] = ()
    history: bool = False  # the rule rests on the therapy on record (the card says what was read)


def known_agent(agent: str) -> bool:
    return AGENTS.first(agent=agent) is not None


def agent_name(agent: str) -> str:
    row = AGENTS.first(agent=agent)
    return row.text("name") if row else agent


def is_anthracycline(agent: str) -> bool:
    row = AGENTS.first(agent=agent)
    return row is not None and ANTHRACYCLINE in row.texts("classes")


def tumor_context(inputs: TumorInputs, assessment: Assessment) -> TumorContext:
    """The PDQ section and determined stage of one assessed tumor (as ``cds.treatment``
    chooses the section), and its histology."""
    histology = read_histology(inputs.histology) if inputs.histology else None
    scope = ajcc_scope(histology, assessment.site, inputs.topography)
    extent: str | None = None
    if not assessment.ajcc_sts or scope.treatment == "none":
        extent = None  # outside the STS chapters: no stage-dependent rule applies
    elif scope.treatment == "histology":
        extent = "histology-only"
    elif inputs.recurrent:
        extent = "recurrent"
    else:
        morphology = histology.morphology if histology else None
        high = NOT_GRADED.first(morphology=morphology) if morphology else None
        row = EXTENT.first(
            m=assessment.m.value,
            n=assessment.n.value,
            stage=assessment.stage.value if assessment.stage else "none",
            grade=assessment.grade.grade.value,
            high_grade_histology=bool(high and high.flag("high_grade")),
        )
        extent = row.text("extent") if row else None
    return TumorContext(extent=extent, stage=_determined_stage(assessment), histology=histology)


_STAGE_I = frozenset({Stage.IA, Stage.IB})


def _determined_stage(assessment: Assessment) -> Stage | None:
    """The stage group when the chart leaves no doubt about the PDQ section it falls in: a
    stage group was assigned and every stage group consistent with what is missing falls in
    the same section (stage IA or IB are both stage I)."""
    stage = assessment.stage
    if stage is None:
        return None
    others = set(assessment.alternatives) | {stage}
    if stage in _STAGE_I and not others <= _STAGE_I:
        return None
    if stage not in _STAGE_I and others != {stage}:
        return None
    return stage


def review_agent(agent: str, tumor: TumorContext, history: History) -> tuple[Finding, ...]:
    """Every rule of ``pdq-therapy-rules`` the ordered ``agent`` meets for this tumor."""
    agent_row = AGENTS.first(agent=agent)
    if agent_row is None:
        return ()  # an agent the tables do not know is never guessed at
    histology = tumor.histology
    family = histology.family if histology else None
    morphology = histology.morphology if histology else None
    classes = agent_row.texts("classes")
    listed = any(
        OPTIONS.every(
            agent_class=cls,
            extent=tumor.extent,
            morphology=morphology,
            family=family,
            with_anthracycline=history.with_anthracycline,
        )
        for cls in classes
    )
    subtype_rows = _subtype_options(tumor, morphology, family)
    approved = agent_row.texts("approved_families")
    in_approved: bool | None = None
    if approved and family is not None:
        in_approved = family in approved
    rows = RULES.every(
        agent=agent,
        extent=tumor.extent,
        stage=tumor.stage.value if tumor.stage else None,
        adipocytic=histology.adipocytic if histology and family else None,
        in_approved_histology=in_approved,
        listed=listed,
        prior_anthracycline=history.prior_anthracycline,
        prior_chemotherapy=history.prior_chemotherapy or history.prior_anthracycline,
        subtype_options=bool(subtype_rows),
    )
    return tuple(_finding(row, agent, agent_row, subtype_rows) for row in rows)


def _subtype_options(tumor: TumorContext, morphology: str | None, family: str | None) -> list[Row]:
    """The Table 9 rows for this tumor, whatever the agent (in table order, no repeats)."""
    found: dict[str, Row] = {}
    for cls in _OPTION_CLASSES:
        for row in OPTIONS.every(
            agent_class=cls,
            extent=tumor.extent,
            morphology=morphology,
            family=family,
            with_anthracycline=False,
        ):
            if row.flag("table_9"):
                found.setdefault(row.key, row)
    order = {row.key: i for i, row in enumerate(OPTIONS.rows)}
    return sorted(found.values(), key=lambda r: order[r.key])


_OPTION_CLASSES: tuple[str, ...] = tuple(
    dict.fromkeys(
        str(value)
        for row in OPTIONS.rows
        if isinstance(cond := row.condition("agent_class"), tuple)
        for value in cond
    )
)


def _finding(row: Row, agent: str, agent_row: Row, subtype_rows: list[Row]) -> Finding:
    names_them = row.condition("subtype_options") is not None
    subtype = subtype_rows[0].text("subtype") if subtype_rows and names_them else None
    agents = tuple(r.text("agents") for r in subtype_rows) if subtype else ()
    return Finding(
        rule=row.key,
        agent=agent,
        agent_name=agent_row.text("name"),
        indicator=row.text("indicator"),
        reason=row.text("reason"),
        detail=row.text("detail"),
        section=row.text("section"),
        quote=row.text("quote"),
        subtype=subtype,
        subtype_agents=agents,
        history=any(
            row.condition(c) is not None for c in ("prior_anthracycline", "prior_chemotherapy")
        ),
    )
