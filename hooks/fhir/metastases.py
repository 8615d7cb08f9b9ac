"""M1 and N1 of one primary from the patient's metastasis Conditions (``hooks.fhir.secondary``
says which Conditions are metastases and how they were recognised).

AJCC 8th edition: a recorded M or N wins over a Condition; nodal metastasis is N1 when the
nodes drain the primary site and M1 otherwise (general rules); with several primaries a
metastasis that names none is not counted for any of them but kept as possibly theirs.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from cds.model import M, N, SiteGroup
from hooks.fhir import conditions, secondary
from hooks.fhir.model import Source

if TYPE_CHECKING:
    from hooks.fhir.tumor import Context


def apply(
    context: Context,
    ref: str,
    values: dict[str, Any],
    sources: dict[str, Source],
    notes: list[str],
) -> tuple[str, ...]:
    """M1 / N1 from the metastasis Conditions of this tumor (recorded M and N win). Nodal
    disease is N1 when the nodes are regional to this primary, M1 when they are not (AJCC 8).
    Returns the metastases that name no primary while the patient has several: each may be
    this tumor's, and is not counted here (the card shows the stage if it were)."""
    possible: list[str] = []
    for sec_ref in context.secondaries:
        resource = context.data.resources[sec_ref]
        named = [
            context.merged.get(c, c)
            for c in conditions.related_primaries(resource, context.data.aliases)
        ]
        if named and ref not in named:
            continue
        info = context.infos[sec_ref]
        found = info.secondary or secondary.Secondary("its code", nodal=info.nodal)
        text = secondary.name_of(resource)
        if not named and len(context.primaries) != 1:
            possible.append(sec_ref)
            notes.append(
                f"{sec_ref} ({text}, a metastasis by {found.how}) names no primary tumor and "
                f"the patient has {len(context.primaries)} primary sarcomas: it could not be "
                "attributed and is not counted in this stage."
            )
            continue
        if found.problem:
            notes.append(f"{sec_ref}: {found.problem}.")
        source = Source(
            sec_ref, conditions.onset(resource), conditions.verification(resource), text
        )
        value: M | N = M.M1
        field_name, why = "m", f"a metastasis by {found.how}"
        if found.nodal:
            site = values.get("site")
            rule = secondary.regional(
                found.region,
                values.get("topography"),
                site if isinstance(site, SiteGroup) else None,
            )
            if rule.regional is False:
                why = f"nodal metastasis by {found.how}; {rule.reason}"
            else:
                field_name, value = "n", N.N1
                why = f"nodal metastasis by {found.how}; " + (
                    rule.reason
                    if rule.regional
                    else f"{rule.reason}: read as regional (N1); if these nodes are not "
                    "regional this is distant metastasis (M1, stage IV)"
                )
        recorded = values.get(field_name)
        if recorded is None:
            values[field_name] = value
            sources[field_name] = source
            notes.append(f"{value} read from {sec_ref} ({text}): {why}.")
        elif recorded != value:
            notes.append(
                f"recorded {recorded} but {sec_ref} records {text} ({why})"
                + (f", onset {source.date}" if source.date else "")
                + f"; the recorded {recorded} was used."
            )
        if not named and context.others:
            notes.append(
                f"{sec_ref} does not name its primary; the patient also has another cancer "
                f"({', '.join(context.others)})."
            )
    return tuple(possible)
