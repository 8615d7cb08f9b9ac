"""``python -m bench.profile``: where a new chart's time goes, under the real server.

Serves the service on one uvicorn worker, loads it with wrk with distinct charts
(bench/charts.py) and samples the worker with py-spy (the ``bench`` extra) for a few seconds;
prints the share of samples spent in each part of the path and the busiest lines. Figures
only, nothing asserted (the profile in ARCHITECTURE.md's hot path section comes from here).
"""

from __future__ import annotations

import collections
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import orjson

from bench import charts
from bench.__main__ import CHARTS, PATH, SERVICE, Server, _ensure_wrk, _lua_charts

SECONDS = int(os.environ.get("BENCH_SECONDS", "10"))
PARTS = {
    "call_service (all the application's work)": "call_service",
    "  extraction (hooks/fhir/extract.py)": "hooks/fhir/extract.py",
    "    validity check (hooks/fhir/shape.py)": "hooks/fhir/shape.py",
    "    R4B models (hooks/fhir/r4b.py)": "hooks/fhir/r4b.py",
    "  cds.assess": "cds/assess.py",
    "  cards and serialization (hooks/services/responses.py)": "hooks/services/responses.py",
    "  JSON parse (hooks/fhir/json_numbers.py)": "hooks/fhir/json_numbers.py",
}


def main() -> int:
    spy = shutil.which("py-spy") or str(Path(sys.executable).with_name("py-spy"))
    if not Path(spy).exists():
        raise SystemExit("py-spy not found: pip install '.[bench]'")
    wrk = _ensure_wrk()
    bodies = [orjson.dumps(charts.chart_request(n)) for n in range(CHARTS)]
    with tempfile.TemporaryDirectory() as tmp:
        script = _lua_charts(Path(tmp), bodies)
        raw = Path(tmp) / "samples.txt"
        server = Server(SERVICE, 1).start(bodies[0])
        try:
            assert server.proc is not None
            load = subprocess.Popen(
                [wrk, "-t2", "-c16", f"-d{SECONDS + 4}s", "-s", str(script), server.url + PATH],
                stdout=subprocess.PIPE,
                text=True,
            )
            time.sleep(2)
            record = ["record", "-p", str(server.proc.pid), "-d", str(SECONDS), "-r", "200"]
            subprocess.run(
                [spy, *record, "-f", "raw", "-o", str(raw)],
                check=True,
                capture_output=True,
            )
            out, _ = load.communicate()
        finally:
            server.stop()
        _report(raw.read_text(), out)
    return 0


def _report(samples: str, wrk_out: str) -> None:
    total = 0
    parts: collections.Counter[str] = collections.Counter(dict.fromkeys(PARTS, 0))
    lines: collections.Counter[str] = collections.Counter()
    for row in samples.splitlines():
        stack, _, count = row.rpartition(" ")
        n = int(count)
        total += n
        for name, marker in PARTS.items():
            if marker in stack:
                parts[name] += n
        leaf = stack.split(";")[-1]
        if "call_service" not in stack:
            parts["outside call_service (server, middleware, routing, sending)"] += n
            if "hooks/web/limits.py" in leaf:
                parts["  body limits' own code (hooks/web/limits.py)"] += n
        lines[leaf] += n
    print(next((x.strip() for x in wrk_out.splitlines() if x.startswith("Requests/sec")), ""))
    print(f"{total} samples of the worker under load, distinct charts")
    for name in parts:
        print(f"{100 * parts[name] / max(total, 1):5.1f} %  {name}")
    print("\nbusiest lines:")
    for line, n in lines.most_common(15):
        print(f"{100 * n / max(total, 1):5.1f} %  {line}")


if __name__ == "__main__":
    sys.exit(main())
