"""CDS Hooks 2.0 wire models (https://cds-hooks.hl7.org/2.0/), names as in the spec.

Inbound models tolerate unknown keys and ``extension`` objects (rejecting them is a known
interoperability bug). Outbound models forbid extras and are always dumped with
``exclude_none``, so optional fields are omitted rather than null; builders never set empty
strings, lists or objects (a recursive test checks every response).
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, SecretStr, StringConstraints, model_validator

NonEmpty = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1)]


class _Inbound(BaseModel):
    model_config = ConfigDict(extra="allow", populate_by_name=True)


class _Outbound(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    def wire(self) -> dict[str, Any]:
        return self.model_dump(mode="json", by_alias=True, exclude_none=True)


# --- request (spec section "HTTP Request") ---------------------------------------------------


class FhirAuthorization(_Inbound):
    """``fhirAuthorization``: an OAuth 2.0 bearer token for ``fhirServer`` (never logged)."""

    access_token: SecretStr
    token_type: NonEmpty
    expires_in: int | None = None
    scope: str | None = None
    subject: str | None = None
    patient: str | None = None


class PatientViewContext(_Inbound):
    """patient-view context (hook version 1.0): ``patientId`` required, ``userId``,
    ``encounterId`` optional."""

    patientId: NonEmpty
    userId: str | None = None
    encounterId: str | None = None


class HookRequest(_Inbound):
    """The body POSTed to ``{baseUrl}/cds-services/{id}``."""

    hook: NonEmpty
    hookInstance: NonEmpty
    fhirServer: str | None = None
    fhirAuthorization: FhirAuthorization | None = None
    context: PatientViewContext
    prefetch: dict[str, Any] | None = None

    @model_validator(mode="after")
    def _server_with_authorization(self) -> HookRequest:
        if self.fhirAuthorization is not None and not self.fhirServer:
            raise ValueError("fhirServer is required when fhirAuthorization is present")
        return self


# --- feedback (spec section "Feedback") ------------------------------------------------------


class Coding(_Outbound):
    """CDS Hooks Coding (spec "Data Types"): ``code`` and ``system`` required; ``display``
    required for the override reasons a service offers, optional for a source ``topic``."""

    code: NonEmpty
    system: NonEmpty
    display: NonEmpty | None = None


class InboundCoding(_Inbound):
    code: NonEmpty
    system: str | None = None
    display: str | None = None


class AcceptedSuggestion(_Inbound):
    id: NonEmpty


class OverrideReason(_Inbound):
    reason: InboundCoding | None = None
    userComment: str | None = None


class FeedbackEntry(_Inbound):
    card: NonEmpty
    outcome: Literal["accepted", "overridden"]
    acceptedSuggestions: list[AcceptedSuggestion] | None = None
    overrideReason: OverrideReason | None = None
    outcomeTimestamp: NonEmpty

    @model_validator(mode="after")
    def _accepted_needs_suggestions(self) -> FeedbackEntry:
        if self.outcome == "accepted" and not self.acceptedSuggestions:
            raise ValueError("acceptedSuggestions is required when outcome is accepted")
        return self


class FeedbackRequest(_Inbound):
    feedback: list[FeedbackEntry] = Field(min_length=1)


# --- discovery (spec section "Discovery") ----------------------------------------------------


class ServiceDescription(_Outbound):
    """One service in the discovery response. ``version`` (RECOMMENDED) and ``hookVersion``
    (OPTIONAL) are CDS Hooks 3.0 additions (HL7/cds-hooks main, input/pagecontent/index.md,
    "Discovery"): the semantic version of the CDS Hooks specification the service implements,
    and the ``hookVersion`` of the published hook definition it supports."""

    hook: str
    id: str
    title: str
    description: str
    prefetch: dict[str, str] | None = None
    usageRequirements: str | None = None
    version: NonEmpty | None = None
    hookVersion: NonEmpty | None = None


class Discovery(_Outbound):
    services: list[ServiceDescription]


# --- response (spec section "CDS Service Response") ------------------------------------------


class CardSource(_Outbound):
    label: str
    url: str | None = None
    topic: Coding | None = None


class Action(_Outbound):
    type: Literal["create", "update", "delete"]
    description: str
    resource: dict[str, Any] | None = None
    resourceId: str | None = None


class Suggestion(_Outbound):
    label: str
    uuid: str
    isRecommended: bool | None = None
    actions: list[Action] | None = None


class Link(_Outbound):
    label: str
    url: str
    type: Literal["absolute", "smart"] = "absolute"
    appContext: str | None = None  # passed to a SMART app by the EHR at launch
    autoLaunchable: bool | None = None


class Card(_Outbound):
    uuid: str
    summary: str = Field(max_length=139)
    detail: str | None = None
    indicator: Literal["info", "warning", "critical"]
    source: CardSource
    suggestions: list[Suggestion] | None = None
    selectionBehavior: Literal["at-most-one", "any"] | None = None
    overrideReasons: list[Coding] | None = None
    links: list[Link] | None = None

    @model_validator(mode="after")
    def _selection_with_suggestions(self) -> Card:
        if self.suggestions and self.selectionBehavior is None:
            raise ValueError("selectionBehavior is required when suggestions exist")
        if any(reason.display is None for reason in self.overrideReasons or ()):
            raise ValueError("an override reason needs a display")
        return self


class CardsResponse(_Outbound):
    cards: list[Card]
