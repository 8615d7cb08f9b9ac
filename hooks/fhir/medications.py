"""Medication orders and medication history as the order review reads them (FHIR R4
MedicationRequest, MedicationStatement, Medication).

An order's agents are identified by RxNorm first: a coding of the medication whose code is in
``hooks/fhir/tables/rxnorm_agents.toml`` (ingredient, clinical or branded drug, each code
checked against the source its row names). Only when no coding is listed there are the
agents' ingredient and brand names looked for, as whole words, in the codings' display, the
CodeableConcept text, a contained or referenced Medication (code and ingredients) and a
reference's display. An order in which neither finds an agent is not identified, and the
review says nothing about it: a drug is never guessed.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

from hooks.fhir.chart import flatten, subject_of
from hooks.fhir.read import JSON, as_list, reference

_TABLE: Final = Path(__file__).with_name("tables") / "rxnorm_agents.toml"
RXNORM_SYSTEMS: Final = frozenset(
    {"http://www.nlm.nih.gov/research/umls/rxnorm", "urn:oid:2.16.840.1.113883.6.88"}
)
ORDER_TYPES: Final = frozenset({"MedicationRequest"})
# MedicationRequest.status values of an order that is or was carried out; MedicationStatement
# statuses of a medication that is or was taken. "draft", "cancelled", "entered-in-error",
# "unknown", "intended" and "not-taken" do not show that the patient received the drug.
REQUEST_STATUSES: Final = ("active", "on-hold", "completed", "stopped")
STATEMENT_STATUSES: Final = ("active", "on-hold", "completed", "stopped")
# An order that is only a proposal (MedicationRequest.intent "proposal") is not therapy given.
SKIPPED_INTENTS: Final = frozenset({"proposal"})
_NOT_ORDERS: Final = frozenset({"entered-in-error", "cancelled", "revoked"})


@dataclass(frozen=True, slots=True)
class CodeRow:
    code: str
    agent: str
    level: str
    source: str  # the source's citation
    display: str | None = None


def _load() -> tuple[dict[str, CodeRow], dict[str, tuple[str, ...]], str]:
    with _TABLE.open("rb") as handle:
        data = tomllib.load(handle)
    for key in ("id", "title", "source", "system"):
        if not isinstance(data.get(key), str):
            raise ValueError(f"hooks/fhir/tables/rxnorm_agents.toml lacks {key!r}")
    sources: dict[str, str] = data["sources"]
    codes: dict[str, CodeRow] = {}
    for row in data["codes"]:
        code = str(row["code"])
        if code in codes or row["source"] not in sources or not code.isdigit():
            raise ValueError(f"rxnorm_agents.toml: code {code} repeated, not numeric or unsourced")
        codes[code] = CodeRow(
            code, row["agent"], row["level"], sources[row["source"]], row.get("display")
        )
    names = {row["agent"]: tuple(n.lower() for n in row["names"]) for row in data["names"]}
    return codes, names, str(data["id"])


CODES, NAMES, TABLE_ID = _load()
_PATTERNS: Final = {
    agent: re.compile("|".join(rf"(?<![a-z]){re.escape(n)}(?![a-z])" for n in names))
    for agent, names in NAMES.items()
}


@dataclass(frozen=True, slots=True)
class Identified:
    """One agent found in an order, and how (shown in the card)."""

    agent: str
    code: str | None  # the RxNorm code that identified it, or None (identified by name)
    basis: str  # how, in our words: "RxNorm 867502 (SCD ...), verified against <source>"
    chart_text: str | None = None  # the order text the name was found in (chart text)


@dataclass(frozen=True, slots=True)
class MedicationOrder:
    reference: str  # "MedicationRequest/<id>"
    text: str  # what the order says it is, as the EHR wrote it
    agents: tuple[Identified, ...]  # empty: not identified


@dataclass(frozen=True, slots=True)
class DraftOrders:
    orders: tuple[MedicationOrder, ...]  # every medication order of the session, request order
    selected: tuple[MedicationOrder, ...]  # those to review
    resources: frozenset[str]  # "Type/id" of every resource in draftOrders
    notes: tuple[str, ...] = ()  # orders skipped and why


@dataclass(frozen=True, slots=True)
class Given:
    """One history record showing that known agents were given."""

    reference: str  # "MedicationRequest/<id>" or "MedicationStatement/<id>"
    agents: tuple[str, ...]
    status: str

    def __str__(self) -> str:
        return f"{self.reference} ({', '.join(self.agents)}, {self.status})"


@dataclass(frozen=True, slots=True)
class MedicationHistory:
    """What the record says about earlier therapy, and what was searched to say it."""

    requests: int  # MedicationRequests of the patient searched
    statements: int  # MedicationStatements of the patient searched
    records: tuple[Given, ...]  # those showing a known agent was given
    other_patient: int = 0  # history resources of another patient, ignored

    def earlier(self, drafts: frozenset[str]) -> tuple[Given, ...]:
        """The records other than the draft orders themselves (an order being re-signed may
        also be on the server, active)."""
        return tuple(r for r in self.records if r.reference not in drafts)

    def searched(self) -> str:
        statuses = ", ".join(REQUEST_STATUSES)
        return (
            f"{self.requests} MedicationRequest and {self.statements} MedicationStatement "
            f"resource(s) of this patient (counted when {statuses}; proposals, drafts, "
            "cancelled, not-taken and entered-in-error records are not)"
        )


def _concepts(resource: JSON, medications: Mapping[str, JSON]) -> list[JSON]:
    """The CodeableConcepts (and bare displays) that say what a medication resource is."""
    out: list[JSON] = []

    def add_medication(med: Any) -> None:
        if not isinstance(med, Mapping):
            return
        if isinstance(med.get("code"), Mapping):
            out.append(med["code"])
        for ingredient in as_list(med.get("ingredient")):
            if not isinstance(ingredient, Mapping):
                continue
            for key in ("itemCodeableConcept", "item"):
                item = ingredient.get(key)
                if isinstance(item, Mapping):
                    out.append(item.get("concept", item) if key == "item" else item)
            ref = ingredient.get("itemReference")
            if isinstance(ref, Mapping) and isinstance(ref.get("display"), str):
                out.append({"text": ref["display"]})

    def add_reference(ref: Any) -> None:
        if not isinstance(ref, Mapping):
            return
        target = ref.get("reference")
        if isinstance(target, str) and target.startswith("#"):
            for contained in as_list(resource.get("contained")):
                if isinstance(contained, Mapping) and contained.get("id") == target[1:]:
                    add_medication(contained)
        elif (key := reference(ref, {})) is not None and key in medications:
            add_medication(medications[key])
        if isinstance(ref.get("display"), str):
            out.append({"text": ref["display"]})

    concept = resource.get("medicationCodeableConcept")
    if isinstance(concept, Mapping):
        out.append(concept)
    add_reference(resource.get("medicationReference"))
    r5 = resource.get("medication")  # R5 CodeableReference, sent by some newer clients
    if isinstance(r5, Mapping):
        if isinstance(r5.get("concept"), Mapping):
            out.append(r5["concept"])
        add_reference(r5.get("reference"))
    return out


def identify(concepts: Sequence[Mapping[str, Any]]) -> tuple[Identified, ...]:
    """The agents these concepts name: by listed RxNorm code, else by name (never guessed)."""
    found: dict[str, Identified] = {}
    for concept in concepts:
        for coding in as_list(concept.get("coding")):
            if not isinstance(coding, Mapping) or coding.get("system") not in RXNORM_SYSTEMS:
                continue
            row = CODES.get(str(coding.get("code", "")).strip())
            if row is not None and row.agent not in found:
                what = f"{row.level}, {row.display}" if row.display else row.level
                found[row.agent] = Identified(
                    row.agent,
                    row.code,
                    f"RxNorm {row.code} ({what}), a code checked against {row.source}",
                )
    if found:
        return tuple(found.values())
    for concept in concepts:
        texts = [concept.get("text")]
        texts += [
            c.get("display") for c in as_list(concept.get("coding")) if isinstance(c, Mapping)
        ]
        for text in texts:
            if not isinstance(text, str) or not text.strip():
                continue
            lowered = text.lower()
            for agent, pattern in _PATTERNS.items():
                match = pattern.search(lowered)
                if match is not None and agent not in found:
                    found[agent] = Identified(
                        agent,
                        None,
                        f'the name "{match.group(0)}" in the order text (no RxNorm code of '
                        "the order is in our checked list)",
                        text.strip()[:200],
                    )
    return tuple(found.values())


def describe(concepts: Sequence[Mapping[str, Any]]) -> str:
    for concept in concepts:
        if isinstance(concept.get("text"), str) and concept["text"].strip():
            return str(concept["text"]).strip()[:200]
        for coding in as_list(concept.get("coding")):
            if isinstance(coding, Mapping) and isinstance(coding.get("display"), str):
                return str(coding["display"]).strip()[:200]
    return "a medication order without a name"


def _medication_index(resources: Iterable[JSON]) -> dict[str, JSON]:
    return {
        f"Medication/{r['id']}": r
        for r in resources
        if r.get("resourceType") == "Medication" and isinstance(r.get("id"), str)
    }


def draft_orders(
    patient_id: str, bundle: Mapping[str, Any], selections: Sequence[str] | None
) -> DraftOrders:
    """The MedicationRequests of ``draftOrders``: every one is reviewed (order-sign), or those
    ``selections`` names (order-select). Other request types (NutritionOrder, ServiceRequest)
    are not medication orders and are left alone; an order of another patient is skipped."""
    entries, _ = flatten([bundle])
    medications = _medication_index(entries)
    patient = f"Patient/{patient_id}"
    wanted = set(selections) if selections is not None else None
    orders: list[MedicationOrder] = []
    selected: list[MedicationOrder] = []
    present: set[str] = set()
    notes: list[str] = []
    for resource in entries:
        kind = resource.get("resourceType")
        rid = resource.get("id")
        if isinstance(kind, str) and isinstance(rid, str):
            present.add(f"{kind}/{rid}")
        if kind not in ORDER_TYPES:
            continue
        if not isinstance(rid, str) or not rid:
            notes.append(f"A {kind} without an id was not reviewed (it cannot be cited).")
            continue
        ref = f"{kind}/{rid}"
        subject = subject_of(resource)
        if subject is not None and subject != patient:
            notes.append(f"{ref} is an order for another patient and was not reviewed.")
            continue
        if resource.get("status") in _NOT_ORDERS:
            continue
        concepts = _concepts(resource, medications)
        order = MedicationOrder(ref, describe(concepts), identify(concepts))
        orders.append(order)
        if wanted is None or ref in wanted:
            selected.append(order)
    return DraftOrders(tuple(orders), tuple(selected), frozenset(present), tuple(notes))


def medication_history(patient_id: str, resources: Iterable[JSON]) -> MedicationHistory:
    """The patient's MedicationRequests and MedicationStatements, and the known agents among
    those that show the drug was given (statuses above)."""
    flat = [r for r in resources if isinstance(r, Mapping)]
    medications = _medication_index(flat)
    patient = f"Patient/{patient_id}"
    counts = {"MedicationRequest": 0, "MedicationStatement": 0}
    other = 0
    records: list[Given] = []
    for resource in flat:
        kind = resource.get("resourceType")
        if kind not in counts:
            continue
        if subject_of(resource) != patient:
            other += 1
            continue
        counts[kind] += 1
        status = resource.get("status")
        allowed = REQUEST_STATUSES if kind == "MedicationRequest" else STATEMENT_STATUSES
        if status not in allowed or resource.get("intent") in SKIPPED_INTENTS:
            continue
        agents = tuple(i.agent for i in identify(_concepts(resource, medications)))
        if agents:
            records.append(Given(f"{kind}/{resource.get('id')}", agents, str(status)))
    return MedicationHistory(
        counts["MedicationRequest"], counts["MedicationStatement"], tuple(records), other
    )
