"""``python -m bench.instructions``: CPU instructions per new chart, part by part, counted by
valgrind's callgrind (Debian package ``valgrind``; not installed by ``make``).

Throughput on a shared 2-core machine moves with whatever else runs; an instruction count does
not: the same code, charts and interpreter give the same count, under any load. Each part is
run over distinct bench charts (bench/charts.py) twice under callgrind, once with no measured
charts and once with ``COUNT`` of them, after the same warm-up and the same preparation (both
runs generate, serialize and parse the same ``COUNT`` charts); the difference divided by
``COUNT`` is the count per chart. Parts:

- ``extract``: hooks.fhir.extract (the reader, with its validity check)
- ``stage``: extraction and cds.assess (hooks.services.staging.stage_patient)
- ``respond``: the whole answer in process: parse the body, gather the prefetch, stage, build
  and serialize the cards (hooks.services.bounds.staged_template), fill ids; built as a
  template, as a chart asked for again is (a patient's first chart is built directly, for
  less), so that the figure compares with those of earlier versions

Figures only, nothing asserted; used to compare two versions of the hot path exactly.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from typing import Any

PARTS = ("extract", "stage", "respond")
COUNT = int(os.environ.get("BENCH_COUNT", "200"))
WARM = 200  # charts run before counting: tables loaded, memories warm, as in a serving worker


def main() -> int:
    valgrind = shutil.which("valgrind")
    if valgrind is None:
        raise SystemExit("valgrind not found (Debian: apt-get install valgrind)")
    parts = sys.argv[1:] or list(PARTS)
    for part in parts:
        if part not in PARTS:
            raise SystemExit(f"unknown part {part!r}; one of {', '.join(PARTS)}")
        counts = [_instructions(valgrind, part, n) for n in (0, COUNT)]
        print(
            f"{part:8s} {(counts[1] - counts[0]) / COUNT / 1e6:6.2f} million instructions per chart"
        )
    return 0


def _instructions(valgrind: str, part: str, count: int) -> int:
    command = [
        valgrind, "--tool=callgrind", "--callgrind-out-file=/dev/null",
        sys.executable, "-m", "bench.instructions", "--run", part, str(count), str(COUNT),
    ]  # fmt: skip
    done = subprocess.run(command, capture_output=True, text=True, check=True)
    found = re.search(r"Collected : (\d+)", done.stderr)
    if found is None:
        raise SystemExit(f"callgrind printed no count:\n{done.stderr[-2000:]}")
    return int(found.group(1))


def _run(part: str, count: int, prepared: int) -> None:
    """Prepare ``WARM + prepared`` charts, warm up on ``WARM`` of them, then run ``count`` new
    ones (the measured section: everything before it is the same in both runs)."""
    import uuid  # noqa: PLC0415 - imported in the measured process only

    import orjson  # noqa: PLC0415

    from bench import charts  # noqa: PLC0415
    from hooks.fhir import json_numbers  # noqa: PLC0415
    from hooks.fhir.extract import extract  # noqa: PLC0415
    from hooks.services.bounds import WorkLimits, staged_template  # noqa: PLC0415
    from hooks.services.prefetch import _classify  # noqa: PLC0415
    from hooks.services.registry import default_pipeline  # noqa: PLC0415
    from hooks.services.staging import stage_patient  # noqa: PLC0415
    from hooks.web.wire import HookRequest  # noqa: PLC0415

    bodies = [orjson.dumps(charts.chart_request(n)) for n in range(WARM + prepared)]
    steps = default_pipeline(max_primaries=10)
    limits = WorkLimits(max_primaries=10, max_cards=50, max_response_bytes=2 * 1024 * 1024)

    def gathered(raw: bytes) -> tuple[str, list[dict[str, Any]]]:
        req = HookRequest.model_validate(json_numbers.loads(raw))
        resources: list[dict[str, Any]] = []
        for key, value in (req.prefetch or {}).items():
            usable = _classify(key, value)
            if usable is not None:
                resources.extend(usable.resources)
        return req.context.patientId, resources

    def respond(raw: bytes) -> None:
        patient, resources = gathered(raw)
        template = staged_template(steps, patient, resources, limits)
        template.render(lambda: str(uuid.uuid4()), "2026-01-01T00:00:00Z")

    if part == "respond":
        run = respond
        inputs: list[Any] = bodies
    else:
        inputs = [gathered(raw) for raw in bodies]
        if part == "extract":
            run = lambda item: extract(*item, max_primaries=10)  # noqa: E731
        else:
            run = lambda item: stage_patient(*item, max_primaries=10)  # noqa: E731
    for item in inputs[:WARM]:
        run(item)
    for item in inputs[WARM : WARM + count]:
        run(item)


if __name__ == "__main__":
    if sys.argv[1:2] == ["--run"]:
        _run(sys.argv[2], int(sys.argv[3]), int(sys.argv[4]))
    else:
        sys.exit(main())
