"""The worksheet's what-if: the clinician's values in place of the chart's, assessed again by
the clinical core (``cds.assess``: AJCC Cancer Staging Manual, 8th edition, and the FNCLCC
grade via the NCI PDQ Adult Soft Tissue Sarcoma Treatment summary). The result is always
marked hypothetical and is never written to the chart.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import replace
from decimal import Decimal, InvalidOperation

from cds.model import Assessment, M, N, TumorInputs
from hooks.fhir.model import TumorReport
from hooks.smart.worksheet import TumorView, form_values, view


class WhatIfError(ValueError):
    """A what-if value the clinician typed cannot be used; the message says which and why."""


def _decimal(raw: str, label: str, low: Decimal, high: Decimal) -> Decimal:
    try:
        value = Decimal(raw)
    except InvalidOperation:
        raise WhatIfError(f"{label}: enter a number") from None
    if not value.is_finite() or not low <= value <= high:
        raise WhatIfError(f"{label}: enter a number from {low} to {high}")
    return value


def _integer(raw: str, label: str, low: int, high: int) -> int:
    if not raw.isdigit() or not low <= int(raw) <= high:
        raise WhatIfError(f"{label}: enter a whole number from {low} to {high}")
    return int(raw)


def what_if(
    report: TumorReport,
    form: Mapping[str, str],
    assess: Callable[[TumorInputs], Assessment],
) -> TumorView:
    """Assess ``report`` again with the clinician's values; blank fields keep the chart's.

    A size replaces a recorded T (the size then decides T), FNCLCC components replace a
    recorded grade (the scores then decide it), and an N or M replaces the recorded one; a
    recorded stage group is set aside (it is only compared with the derived one).
    """
    inputs = report.tumor.inputs
    current = form_values(inputs)
    changes: dict[str, object] = {}
    changed: list[str] = []

    def entered(name: str) -> str | None:
        raw = (form.get(name) or "").strip()
        return raw if raw and raw != current[name] else None

    if (raw := entered("size_cm")) is not None:
        changes.update(size_cm=_decimal(raw, "Size", Decimal("0.1"), Decimal(100)), t=None)
        changed.append("size")
    grade_parts: dict[str, Callable[[str], object]] = {
        "mitoses": lambda r: _integer(r, "Mitotic count", 0, 500),
        "necrosis_pct": lambda r: _decimal(r, "Necrosis", Decimal(0), Decimal(100)),
        "differentiation": lambda r: _integer(r, "Differentiation score", 1, 3),
    }
    for name, parse in grade_parts.items():
        if (raw := entered(name)) is not None:
            changes[name] = parse(raw)
            changes["grade"] = None
            changed.append(name.replace("_pct", "").replace("mitoses", "mitotic count"))
    for name, enum in (("n", N), ("m", M)):
        if (raw := entered(name)) is not None:
            if raw not in enum.__members__:
                raise WhatIfError(f"{name.upper()}: choose {' or '.join(enum.__members__)}")
            changes[name] = enum(raw)
            changed.append(name.upper())
    if not changes:
        return view(report)
    hypothetical = replace(inputs, stage=None, **changes)  # type: ignore[arg-type]
    tumor = replace(report.tumor, inputs=hypothetical)
    return view(TumorReport(tumor, assess(hypothetical)), hypothetical=True, changed=tuple(changed))
