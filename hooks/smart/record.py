"""The worksheet's "Record staging": the mCODE Observations (built by
``hooks.api.stage.observations_for``, the same as the card's suggestion) with the clinician as
performer, and their description on the confirmation page.

mCODE STU4 staging and grade Observations allow ``performer`` (Practitioner, PractitionerRole);
the clinician who confirms the recording is the one named, from the ``fhirUser`` of the
launch (SMART App Launch 2.0, "fhirUser" claim).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

PERFORMER_TYPES = ("Practitioner/", "PractitionerRole/")


@dataclass(frozen=True, slots=True)
class Item:
    what: str
    value: str
    status: str
    note: str


def with_performer(observations: list[dict[str, Any]], fhir_user: str) -> list[dict[str, Any]]:
    """The Observations with ``performer`` set to the clinician (when a Practitioner or
    PractitionerRole; a Patient or RelatedPerson user is not recorded as performer)."""
    if not fhir_user.startswith(PERFORMER_TYPES):
        return observations
    return [{**o, "performer": [{"reference": fhir_user}]} for o in observations]


def _text(concept: Any) -> str:
    if not isinstance(concept, dict):
        return ""
    if isinstance(concept.get("text"), str):
        return str(concept["text"])
    for coding in concept.get("coding", []):
        if coding.get("display"):
            return str(coding["display"])
        if coding.get("code"):
            return str(coding["code"])
    return ""


def describe(observation: dict[str, Any]) -> Item:
    """One line of the confirmation page: what, which value, status, the note."""
    if "valueInteger" in observation:
        value = str(observation["valueInteger"])
    else:
        value = _text(observation.get("valueCodeableConcept"))
    notes = observation.get("note") or [{}]
    return Item(
        what=_text(observation.get("code")),
        value=value,
        status=str(observation.get("status", "")),
        note=str(notes[0].get("text", "")),
    )
