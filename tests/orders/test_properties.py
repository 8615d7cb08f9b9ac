"""Properties of reading orders (hypothesis): arbitrary and malformed draft orders and
history never crash the reading, and an agent is never guessed: every agent identified is
named in the order (a listed RxNorm code, or the agent's name as a whole word in its text)."""

from __future__ import annotations

import re
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cds.assess import assess
from cds.model import SiteGroup, TumorInputs
from cds.therapy import History, TumorContext, review_agent, tumor_context
from hooks.fhir.medications import CODES, NAMES, draft_orders, medication_history
from tests.orders.charts import RXNORM

FUZZ = settings(
    max_examples=200,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
WORDS = [n for names in NAMES.values() for n in names] + ["amoxicillin", "mesna", "placebo"]
CODE_CHOICES = [*sorted(CODES)[:20], "617993", "3639", ""]

texts = st.one_of(
    st.text(max_size=30),
    st.lists(st.sampled_from(WORDS), max_size=3).map(" ".join),
    st.sampled_from(WORDS).map(str.upper),
    st.sampled_from(WORDS).map(lambda w: w + "ol"),
)
codings = st.fixed_dictionaries(
    {},
    optional={
        "system": st.sampled_from([RXNORM, "http://snomed.info/sct", 7, None]),
        "code": st.one_of(st.sampled_from(CODE_CHOICES), st.integers(), st.none()),
        "display": st.one_of(texts, st.integers()),
    },
)
concepts = st.fixed_dictionaries(
    {},
    optional={
        "coding": st.one_of(st.lists(st.one_of(codings, st.integers()), max_size=3), st.text()),
        "text": st.one_of(texts, st.none(), st.integers()),
    },
)
medications = st.fixed_dictionaries(
    {"resourceType": st.just("Medication"), "id": st.sampled_from(["m", "x", ""])},
    optional={
        "code": concepts,
        "ingredient": st.lists(
            st.one_of(
                st.fixed_dictionaries({"itemCodeableConcept": concepts}),
                st.fixed_dictionaries({"itemReference": st.fixed_dictionaries({"display": texts})}),
                st.text(),
            ),
            max_size=2,
        ),
    },
)
orders = st.fixed_dictionaries(
    {
        "resourceType": st.sampled_from(["MedicationRequest", "NutritionOrder", "Medication"]),
        "id": st.sampled_from(["a", "b", "c"]),
    },
    optional={
        "status": st.sampled_from(["draft", "active", "cancelled", "entered-in-error", 3]),
        "subject": st.one_of(
            st.fixed_dictionaries({"reference": st.sampled_from(["Patient/p1", "Patient/p2"])}),
            st.text(),
        ),
        "medicationCodeableConcept": st.one_of(concepts, st.text()),
        "medicationReference": st.fixed_dictionaries(
            {"reference": st.sampled_from(["#m", "Medication/m", "Medication/x", "m"])},
            optional={"display": texts},
        ),
        "contained": st.lists(st.one_of(medications, st.integers()), max_size=2),
    },
)


def _named(agent: str, order: Any) -> bool:
    blob = repr(order).lower()
    if any(re.search(rf"(?<![a-z]){re.escape(n)}(?![a-z])", blob) for n in NAMES[agent]):
        return True
    return any(row.agent == agent and f"'{code}'" in blob for code, row in CODES.items())


@FUZZ
@given(st.lists(orders, max_size=4), st.sampled_from([None, ["MedicationRequest/a"]]))
def test_reading_draft_orders_never_crashes_nor_guesses(
    entries: list[dict[str, Any]], selections: list[str] | None
) -> None:
    bundle = {"resourceType": "Bundle", "entry": [{"resource": e} for e in entries]}
    drafts = draft_orders("p1", bundle, selections)
    for order in drafts.orders:
        for identified in order.agents:
            assert _named(identified.agent, bundle), identified
    assert {o.reference for o in drafts.selected} <= {o.reference for o in drafts.orders}


@FUZZ
@given(st.lists(orders, max_size=5))
def test_reading_history_never_crashes_and_counts_only_this_patient(
    entries: list[dict[str, Any]],
) -> None:
    history = medication_history("p1", entries)
    for record in history.records:
        kind, _, rid = record.reference.partition("/")
        assert any(
            e["resourceType"] == kind
            and e["id"] == rid
            and e.get("subject") == {"reference": "Patient/p1"}
            for e in entries
        )


def test_review_of_every_known_agent_without_a_tumor_context_is_silent() -> None:
    # Nothing known about the tumor (no extent, stage or histology) and earlier therapy on
    # record: no rule can rest on anything, so nothing is said.

    empty = TumorContext(extent=None, stage=None, histology=None)
    for agent in NAMES:
        assert review_agent(agent, empty, History(True, False, True)) == ()
    inputs = TumorInputs(site=SiteGroup.TRUNK_EXTREMITY)
    assert tumor_context(inputs, assess(inputs)).histology is None
