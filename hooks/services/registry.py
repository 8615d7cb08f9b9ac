"""The registry of CDS services: one entry per service id, feeding discovery and routing.

A service is a hook, its descriptive fields, its prefetch templates and the code that turns a
patient's FHIR resources into cards.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from cds.model import Assessment, TumorInputs
from hooks.fhir.model import Extraction, TumorReport
from hooks.services.prefetch import PATIENT, PREFETCH_TEMPLATES
from hooks.web.wire import ServiceDescription


class Stager(Protocol):
    def __call__(
        self, patient_id: str, resources: Sequence[dict[str, Any]]
    ) -> tuple[Extraction, list[TumorReport]]: ...


class Emitter(Protocol):
    def __call__(
        self,
        patient_id: str,
        report: TumorReport,
        *,
        effective: str,
        new_id: Callable[[], str],
    ) -> list[dict[str, Any]]: ...


Assess = Callable[[TumorInputs], Assessment]


#: The CDS Hooks specification these services implement, as discovery's ``version`` reports
#: it (a semantic version of the specification, not of this package): release 2.0.1, with the
#: 3.0 additions a 2.0 client ignores (``version``, ``hookVersion``, OperationOutcome errors).
CDS_HOOKS_VERSION = "2.0.1"


@dataclass(frozen=True, slots=True)
class CdsService:
    id: str
    hook: str
    title: str
    description: str
    usage_requirements: str
    hook_version: str  # the hookVersion of the hook's definition in the CDS Hooks Library
    prefetch: dict[str, str] = field(default_factory=dict)

    def describe(self) -> ServiceDescription:
        return ServiceDescription(
            hook=self.hook,
            id=self.id,
            title=self.title,
            description=self.description,
            prefetch=self.prefetch or None,
            usageRequirements=self.usage_requirements,
            version=CDS_HOOKS_VERSION,
            hookVersion=self.hook_version,
        )


SARCOMA_STAGING = CdsService(
    id="sarcoma-staging",
    hook="patient-view",
    title="Soft tissue sarcoma staging (AJCC 8th edition, FNCLCC grade)",
    description=(
        "Clinical decision support for adults with soft tissue sarcoma: computes the AJCC 8th "
        "edition T, N, M, FNCLCC grade and stage group from the chart, shows how each value was "
        "derived, what data is missing or disagrees, and the NCI PDQ treatment options. Supports, "
        "and never replaces, the judgement of the treating team."
    ),
    usage_requirements=(
        "Needs read access to the patient's Patient, Condition and Observation resources "
        "(prefetch, or fhirServer with fhirAuthorization). Accepting the stage card's suggestion "
        "creates mCODE staging Observations in the chart."
    ),
    hook_version="1.0",  # patient-view, HL7/cds-hooks-library input/pagecontent/patient-view.md
    prefetch=dict(PREFETCH_TEMPLATES),
)

# Order review (hooks.services.order_review): the staging chart plus the patient's medication
# history, read for earlier anthracycline-containing chemotherapy.
ORDER_PREFETCH: dict[str, str] = {
    **PREFETCH_TEMPLATES,
    "medicationRequests": f"MedicationRequest?patient={PATIENT}",
    "medicationStatements": f"MedicationStatement?patient={PATIENT}",
}
_ORDER_DESCRIPTION = (
    "Reviews the systemic agents being ordered for an adult with soft tissue sarcoma against "
    "the AJCC 8th edition stage, the histology and the anthracyclines on record, by the NCI "
    "PDQ treatment summary: chemotherapy for stage I, pazopanib for liposarcoma, eribulin, "
    "trabectedin or pazopanib without earlier chemotherapy or outside their approved "
    "histologies, and a generic regimen where PDQ lists subtype-specific agents. Silent when "
    "the order fits. Supports, and never replaces, the judgement of the treating team."
)
_ORDER_USAGE = (
    "Needs read access to the patient's Patient, Condition, Observation, MedicationRequest and "
    "MedicationStatement resources (prefetch, or fhirServer with fhirAuthorization). Reads "
    "MedicationRequests in draftOrders coded with RxNorm or named in text."
)
THERAPY_SELECT = CdsService(
    id="sarcoma-therapy-select",
    hook="order-select",
    title="Soft tissue sarcoma therapy review when a medication is selected (NCI PDQ)",
    description=_ORDER_DESCRIPTION,
    usage_requirements=_ORDER_USAGE,
    hook_version="1.0",  # order-select, HL7/cds-hooks-library input/pagecontent/order-select.md
    prefetch=dict(ORDER_PREFETCH),
)
THERAPY_SIGN = CdsService(
    id="sarcoma-therapy-sign",
    hook="order-sign",
    title="Soft tissue sarcoma therapy review before orders are signed (NCI PDQ)",
    description=_ORDER_DESCRIPTION,
    usage_requirements=_ORDER_USAGE,
    hook_version="1.0",  # order-sign, HL7/cds-hooks-library input/pagecontent/order-sign.md
    prefetch=dict(ORDER_PREFETCH),
)

REGISTRY: dict[str, CdsService] = {s.id: s for s in (SARCOMA_STAGING, THERAPY_SELECT, THERAPY_SIGN)}


@dataclass(frozen=True, slots=True)
class Pipeline:
    """The clinical steps behind the cards, injectable for tests."""

    stage: Stager
    emit: Emitter
    assess: Assess | None = None


def default_pipeline(max_primaries: int | None = None) -> Pipeline:
    """The real pipeline: FHIR extraction + the clinical core + mCODE emission.

    Imported on first use so that the app (and the CLI) start without loading FHIR models.
    ``max_primaries`` stops extraction after that many primaries (``hooks.services.bounds``).
    """
    from cds.assess import assess  # noqa: PLC0415
    from hooks.fhir.emit import staging_observations  # noqa: PLC0415
    from hooks.services.staging import stage_patient  # noqa: PLC0415

    def stage(
        patient_id: str, resources: Sequence[dict[str, Any]]
    ) -> tuple[Extraction, list[TumorReport]]:
        return stage_patient(patient_id, resources, max_primaries=max_primaries)

    return Pipeline(stage=stage, emit=staging_observations, assess=assess)
