"""CDS Hooks request context of the order hooks (HL7 CDS Hooks Library, ``order-select`` and
``order-sign``, hookVersion 1.0): names as in the hook definitions.

``userId``, ``patientId`` and ``draftOrders`` are required for both hooks, ``selections`` for
``order-select``; ``encounterId`` is optional. Unknown keys are tolerated, as for every
inbound model.
"""

from __future__ import annotations

from typing import Any

from pydantic import Field, field_validator

from hooks.web.wire import NonEmpty, PatientViewContext


class OrderContext(PatientViewContext):
    """order-sign context; ``selections`` (order-select) is checked by the service."""

    userId: NonEmpty  # REQUIRED by both order hooks (optional in patient-view)
    draftOrders: dict[str, Any]
    selections: list[NonEmpty] | None = Field(default=None, max_length=1000)

    @field_validator("draftOrders")
    @classmethod
    def _a_bundle(cls, value: dict[str, Any]) -> dict[str, Any]:
        if value.get("resourceType") != "Bundle":
            raise ValueError("draftOrders must be a FHIR Bundle")
        entries = value.get("entry", [])
        if not isinstance(entries, list) or not all(isinstance(e, dict) for e in entries):
            raise ValueError("draftOrders.entry must be a list of Bundle entries")
        return value
