"""One patient's chart as extraction sees it: the input flattened (Bundles unpacked), the
resources of other patients, ignored statuses and (on the fully validated path) malformed
resources set aside with a note, each kept resource by its ``Type/id`` reference.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from hooks.fhir import conditions, r4b
from hooks.fhir.read import IGNORED_STATUSES, JSON, as_list, reference
from hooks.fhir.text import visible

_TYPES = frozenset({"Condition", "Observation", "BodyStructure"})


@dataclass
class Chart:
    """The patient's own, non-ignored resources, by reference, in input order."""

    resources: dict[str, JSON] = field(default_factory=dict)
    # The Conditions and the Observations of ``resources``, in the same order: extraction reads
    # each kind on its own, not every resource tested by its reference's prefix.
    conditions: dict[str, JSON] = field(default_factory=dict)
    observations: dict[str, JSON] = field(default_factory=dict)
    aliases: dict[str, str] = field(default_factory=dict)  # Bundle fullUrl -> "Type/id"
    notes: list[str] = field(default_factory=list)
    other_patient: int = 0  # resources about another patient, ignored
    patient: JSON | None = None  # the Patient resource itself, when the input holds it


_new = object.__new__


def _new_chart() -> Chart:
    """``Chart()`` without its generated ``__init__`` (five default factories, a test of each
    argument): the same fields, stored directly, one chart per request (callgrind, bench
    charts: 5.3 to 3.5 thousand instructions a chart)."""
    data: Chart = _new(Chart)
    data.resources = {}
    data.conditions = {}
    data.observations = {}
    data.aliases = {}
    data.notes = []
    data.other_patient = 0
    data.patient = None
    return data


def flatten(items: Iterable[Mapping[str, Any]]) -> tuple[list[JSON], list[str]]:
    """Every resource in ``items`` (Bundle entries unpacked), and notes on what was skipped."""
    data = Chart()
    out: list[JSON] = []
    _flatten(items, out, data)
    return out, data.notes


def subject_of(resource: JSON) -> str | None:
    """The ``Patient/<id>`` a Condition, Observation or BodyStructure is about."""
    key = "patient" if resource.get("resourceType") == "BodyStructure" else "subject"
    return reference(resource.get(key), {})


def collect(patient_id: str, items: Iterable[Mapping[str, Any]], validate_all: bool) -> Chart:
    data = _new_chart()
    flat: list[JSON] = []
    _flatten(items, flat, data)
    patient = f"Patient/{patient_id}"
    other_patient: list[str] = []
    subjects: dict[str, str | None] = {}  # reference text -> Patient/<id>
    for resource in flat:
        resource_type = resource["resourceType"]
        if resource_type not in _TYPES:
            if resource_type == "Patient" and resource.get("id") == patient_id:
                data.patient = data.patient or resource  # for the age (Patient.birthDate)
            continue
        rid = resource.get("id")
        if not isinstance(rid, str) or not rid:
            data.notes.append(f"A {resource_type} without an id was skipped (it cannot be cited).")
            continue
        ref = f"{resource_type}/{rid}"
        said = resource.get("patient" if resource_type == "BodyStructure" else "subject")
        # Every resource names the same patient, most often in the same words: read once.
        text = said.get("reference") if isinstance(said, dict) and len(said) == 1 else None
        if isinstance(text, str):
            subject = subjects.get(text, _UNREAD)
            if subject is _UNREAD:
                subject = subjects[text] = reference(said, data.aliases)
        else:
            subject = reference(said, data.aliases)
        if subject is None:
            data.notes.append(f"{ref} does not name its patient and was ignored.")
            continue
        if subject != patient:
            other_patient.append(ref)
            continue
        if ref in data.resources:
            if data.resources[ref] != resource:
                data.notes.append(
                    f"{ref} appears twice with different content; the first was used."
                )
            continue
        observation = resource_type == "Observation"
        maybe = (  # ``_maybe_ignored`` of an Observation, without its call
            type(given := resource.get("status")) is not str or given in _SKIPPED_OBSERVATION
            if observation
            else _maybe_ignored(resource, resource_type)
        )
        if maybe and (status := _ignored_status(resource)) is not None:
            data.notes.append(f"{ref} is {status} and was ignored.")
            continue
        if validate_all and (reason := r4b.problem(resource)) is not None:
            data.notes.append(f"{ref} is not valid FHIR R4 and was skipped ({reason}).")
            continue
        data.resources[ref] = resource
        if observation:
            data.observations[ref] = resource
        elif resource_type == "Condition":
            data.conditions[ref] = resource
    data.other_patient = len(other_patient)
    if other_patient:
        data.notes.insert(
            0,
            f"Ignored {len(other_patient)} resource(s) of another patient: "
            + ", ".join(other_patient)
            + ".",
        )
    return data


def _plain(value: Any) -> Any:
    """``value`` with every Mapping made a dict: the reader tests ``isinstance(x, dict)`` on its
    hot path (an ABC check costs several times more), and JSON parsers give dicts anyway."""
    if isinstance(value, Mapping):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value


def _flatten(items: Iterable[Any], out: list[JSON], data: Chart) -> None:
    for given in items:
        # Most items are plain resources: appended after two type tests (with ``_maybe_ignored``:
        # collect of a bench chart 177 to 155 thousand instructions).
        if type(given) is dict:
            kind = given.get("resourceType")
            if type(kind) is str and kind not in _UNPACKED:
                out.append(given)
                continue
        item = given
        # A dict (every item a JSON parser gives) is told apart before the Mapping ABC test,
        # which costs several times more (extract of a bench chart: 4.46 to 4.42 million).
        if not isinstance(given, dict) and isinstance(given, Mapping):
            item = _plain(given)  # e.g. a MappingProxyType from a caller: read as JSON objects
        if not isinstance(item, dict) or not isinstance(item.get("resourceType"), str):
            data.notes.append("An input item is not a FHIR resource and was skipped.")
            continue
        if item["resourceType"] == "Bundle":
            entries = [e for e in as_list(item.get("entry")) if isinstance(e, dict)]
            for entry in entries:
                resource = entry.get("resource")
                full_url = entry.get("fullUrl")
                if isinstance(resource, dict) and isinstance(full_url, str):
                    data.aliases[full_url] = f"{resource.get('resourceType')}/{resource.get('id')}"
            _flatten((e["resource"] for e in entries if "resource" in e), out, data)
        elif item["resourceType"] == "OperationOutcome":
            issues = [i for i in as_list(item.get("issue")) if isinstance(i, dict)]
            said = next(
                (visible(str(i.get("diagnostics"))) for i in issues if i.get("diagnostics")), None
            )
            data.notes.append(
                "The data source reported an error (OperationOutcome), ignored"
                + (f": {said}" if said else "")
                + "."
            )
        else:
            out.append(item)


_UNPACKED = frozenset({"Bundle", "OperationOutcome"})  # items read for what they hold
_UNREAD: Any = object()  # a subject text not read yet (its reading may be None)
_SKIPPED_OBSERVATION = IGNORED_STATUSES | {"registered"}
_SKIPPED_CONDITION = frozenset({"entered-in-error", "refuted"})


def _maybe_ignored(resource: JSON, resource_type: str) -> bool:
    """False when ``_ignored_status(resource)`` is surely None, told by the commonest shapes
    without its calls: an Observation's status str, a Condition's verificationStatus with a
    code on its first coding (with the typed dicts and the plain-item path of ``_flatten``:
    collect of a bench chart 177 to 155 thousand instructions)."""
    if resource_type == "Observation":
        status = resource.get("status")
        return type(status) is not str or status in _SKIPPED_OBSERVATION
    if resource_type == "Condition":
        concept = resource.get("verificationStatus")
        if concept is None:
            return False
        if type(concept) is dict:
            coding = concept.get("coding")
            if type(coding) is list and coding and type(first := coding[0]) is dict:
                code = first.get("code")
                if type(code) is str and code:
                    return code in _SKIPPED_CONDITION
        return True
    return False  # a BodyStructure: no status is ignored


def _ignored_status(resource: JSON) -> str | None:
    if resource["resourceType"] == "Observation":
        status = resource.get("status")
        if not isinstance(status, str):
            return None  # validation reports it
        if status in IGNORED_STATUSES:
            return str(status)
        if status == "registered":
            return "registered (no result yet)"
    elif resource["resourceType"] == "Condition":
        status = conditions.verification(resource)
        if status in {"entered-in-error", "refuted"}:
            return str(status)
    return None
