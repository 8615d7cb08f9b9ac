"""``make bench``: the service against a bare FastAPI baseline, in the same run.

Both apps are served by uvicorn with the same settings and loaded by wrk with the same
requests. The headline is real traffic: every request a different patient's chart
(bench/charts.py: distinct realistic charts, each request with its own patient id, so nothing
remembered about a chart can be reused). The same chart sent again and again
(bench/request.py) is the secondary line. Runs alternate A B A B and medians are
reported, so a machine that slows down part-way penalises both sides alike. Nothing here
asserts a time: the figures are printed, written to bench/results/latest.json and drawn in
bench/results/bench.png.
"""

from __future__ import annotations

import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx
import orjson

from bench import charts, fallback, orders, request

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results"
ROUNDS = int(os.environ.get("BENCH_ROUNDS", "3"))
SECONDS = int(os.environ.get("BENCH_SECONDS", "8"))
CONNECTIONS = (16, 64)
SERVICE = "hooks.app:app"
BASELINE = "bench.baseline:app"
PATH = "/cds-services/sarcoma-staging"
# Distinct charts cycled by wrk: more than twice what the service's response memory holds.
CHARTS = int(os.environ.get("BENCH_CHARTS", "3000"))  # an even number: see _lua_charts


def _server_env() -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        {
            "SARCOMA_CDS_AUTH": "off",  # the bench measures staging, not JWT verification
            "SARCOMA_CDS_LOG_LEVEL": "WARNING",
            "SARCOMA_CDS_DB": str(Path(tempfile.gettempdir()) / "sarcoma-bench.sqlite3"),
            "SARCOMA_CDS_ALLOW_INSECURE_HTTP": "true",  # the local FHIR server speaks http
            "PYTHONPATH": str(ROOT),
        }
    )
    return env


class Server:
    """A uvicorn process serving one app on a free loopback port."""

    def __init__(self, app: str, workers: int) -> None:
        self.app = app
        self.workers = workers
        self.port = fallback.free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.proc: subprocess.Popen[bytes] | None = None
        self.cold_start_s = 0.0

    def start(self, body: bytes, path: str = PATH) -> Server:
        command = [
            sys.executable, "-m", "uvicorn", self.app,
            "--host", "127.0.0.1", "--port", str(self.port),
            "--workers", str(self.workers),
            "--no-access-log", "--log-level", "warning",
        ]  # fmt: skip
        started = time.perf_counter()
        self.proc = subprocess.Popen(command, env=_server_env(), cwd=ROOT)
        deadline = started + 60
        while time.perf_counter() < deadline:
            try:
                response = httpx.post(
                    self.url + path,
                    content=body,
                    headers={"Content-Type": "application/json"},
                    timeout=5,
                )
                if response.status_code == 200:
                    self.cold_start_s = time.perf_counter() - started
                    return self
                raise SystemExit(f"{self.app} answered {response.status_code}: {response.text}")
            except httpx.TransportError:
                time.sleep(0.02)
        raise SystemExit(f"{self.app} did not answer within 60 s")

    def rss_mb_per_worker(self) -> float:
        """Resident memory of each process that serves requests (the workers, not the master)."""
        assert self.proc is not None
        pids = _children(self.proc.pid) if self.workers > 1 else [self.proc.pid]
        sizes = [_rss_kb(pid) / 1024 for pid in pids]
        return max(sizes) if sizes else 0.0

    def stop(self) -> None:
        if self.proc is not None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


def _children(pid: int) -> list[int]:
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid:
            found.append(int(stat.parent.name))
    return found


def _rss_kb(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


def _ensure_wrk() -> str:
    found = shutil.which("wrk")
    if found:
        return found
    print("wrk not found: installing it from Debian (apt-get install wrk)", flush=True)
    subprocess.run(["apt-get", "update", "-qq"], check=False)
    subprocess.run(["apt-get", "install", "-y", "-qq", "wrk"], check=True)
    found = shutil.which("wrk")
    if not found:
        raise SystemExit("wrk is needed for the benchmark and could not be installed")
    return found


_UNITS = {"us": 1e-3, "ms": 1.0, "s": 1e3}


def _ms(text: str) -> float:
    for unit in ("us", "ms", "s"):
        if text.endswith(unit):
            return float(text[: -len(unit)]) * _UNITS[unit]
    raise ValueError(f"unknown wrk latency {text!r}")


def run_wrk(
    wrk: str, url: str, script: Path, connections: int, path: str = PATH
) -> dict[str, float]:
    command = [
        wrk, "-t2", f"-c{connections}", f"-d{SECONDS}s", "--timeout", "10s", "--latency",
        "-s", str(script), url + path,
    ]  # fmt: skip
    out = subprocess.run(command, capture_output=True, text=True, check=True).stdout
    result: dict[str, float] = {}
    for line in out.splitlines():
        words = line.split()
        if line.startswith("Requests/sec:"):
            result["rps"] = float(words[1])
        elif words[:1] == ["50%"]:
            result["p50_ms"] = _ms(words[1])
        elif words[:1] == ["99%"]:
            result["p99_ms"] = _ms(words[1])
        elif words[:1] == ["Latency"] and len(words) >= 4:
            result["max_ms"] = _ms(words[3])
        elif len(words) > 2 and words[1] == "requests" and words[2] == "in":
            result["requests"] = float(words[0])
        elif "Non-2xx" in line:
            raise SystemExit(f"wrk saw failed requests against {url}: {line.strip()}")
        elif "Socket errors" in line:
            # A request slower than wrk's --timeout is counted, not fatal (it is a figure);
            # a connection that failed is.
            counts = dict(part.split() for part in line.split(":", 1)[1].split(","))
            if any(int(counts[k]) for k in ("connect", "read", "write")):
                raise SystemExit(f"wrk saw failed requests against {url}: {line.strip()}")
            result["timeouts"] = float(counts["timeout"])
    result.setdefault("timeouts", 0.0)
    if set(result) != {"rps", "p50_ms", "p99_ms", "max_ms", "requests", "timeouts"}:
        raise SystemExit(f"could not read wrk output:\n{out}")
    return result


def _median(runs: list[dict[str, float]]) -> dict[str, float]:
    """Medians of each figure, except the worst latency (the maximum over all runs) and the
    request count (the total)."""
    out = {key: round(statistics.median(r[key] for r in runs), 3) for key in runs[0]}
    out["max_ms"] = max(r["max_ms"] for r in runs)
    out["requests"] = sum(r["requests"] for r in runs)
    out["timeouts"] = sum(r["timeouts"] for r in runs)  # requests over 10 s, all runs
    return out


def throughput(
    wrk: str, script: Path, body: bytes, connections_list: tuple[int, ...] = CONNECTIONS
) -> dict[str, Any]:
    """Service and baseline, one worker each, alternating rounds at each connection count."""
    servers = {"service": Server(SERVICE, 1), "baseline": Server(BASELINE, 1)}
    runs: dict[str, dict[int, list[dict[str, float]]]] = {
        name: {c: [] for c in connections_list} for name in servers
    }
    try:
        for server in servers.values():
            server.start(body)
        for connections in connections_list:
            for _ in range(ROUNDS):
                for name, server in servers.items():
                    runs[name][connections].append(run_wrk(wrk, server.url, script, connections))
        rss = {name: round(s.rss_mb_per_worker(), 1) for name, s in servers.items()}
    finally:
        for server in servers.values():
            server.stop()
    report: dict[str, Any] = {"rss_mb_per_worker": rss}
    for connections in connections_list:
        service = _median(runs["service"][connections])
        baseline = _median(runs["baseline"][connections])
        report[f"c{connections}"] = {
            "service": service,
            "baseline": baseline,
            "ratio": round(service["rps"] / baseline["rps"], 3),
        }
    return report


def two_workers(wrk: str, script: Path, body: bytes) -> dict[str, Any]:
    """The service alone on 2 workers at 64 connections (p99 and the worst request)."""
    server = Server(SERVICE, 2).start(body)
    try:
        result = _median([run_wrk(wrk, server.url, script, 64) for _ in range(ROUNDS)])
        result["rss_mb_per_worker"] = round(server.rss_mb_per_worker(), 1)
    finally:
        server.stop()
    return result


def cold_start(body: bytes) -> dict[str, float]:
    """Seconds from process start to the first 200 on a real patient-view call."""
    figures: dict[str, list[float]] = {"service": [], "baseline": []}
    for _ in range(ROUNDS):
        for name, app in (("service", SERVICE), ("baseline", BASELINE)):
            server = Server(app, 1).start(body)
            figures[name].append(server.cold_start_s)
            server.stop()
    return {name: round(statistics.median(values), 3) for name, values in figures.items()}


def _lua(tmp: Path, body: bytes) -> Path:
    """The wrk script for the same chart: the same body every time."""
    body_file = tmp / "body.json"
    body_file.write_bytes(body)
    script = tmp / "post.lua"
    lines = [
        'wrk.method = "POST"',
        'wrk.headers["Content-Type"] = "application/json"',
        f'local f = assert(io.open("{body_file}", "rb"))',
        "wrk.body = f:read('*a')",
        "f:close()",
    ]
    script.write_text("\n".join(lines) + "\n")
    return script


def _lua_charts(tmp: Path, bodies: list[bytes]) -> Path:
    """The wrk script for distinct charts: cycles through ``bodies`` (one a line, each its own
    patient). Each request is formatted once and kept, so the load generator does no more work
    per request than for the same chart (a rewrite of every body in Lua cost wrk as much CPU
    as a fast server, and the two share the machine's cores). There are more charts than any
    memory of the service holds (1,024 responses), and those forget the oldest first, so a
    chart comes back only after it has been forgotten: nothing remembered is ever reused."""
    lines_file = tmp / "charts.jsonl"
    lines_file.write_bytes(b"\n".join(bodies) + b"\n")
    script = tmp / "post-distinct-charts.lua"
    script.write_text(
        "\n".join(
            [
                'wrk.method = "POST"',
                'wrk.headers["Content-Type"] = "application/json"',
                "local bodies = {}",
                f'for line in io.lines("{lines_file}") do bodies[#bodies + 1] = line end',
                "local formatted = {}",
                "local counter = nil",
                "local threads = 0",
                # wrk runs 2 threads (-t2): one takes the odd charts, the other the even ones
                "setup = function(thread)",
                '  thread:set("offset", threads)',
                "  threads = threads + 1",
                "end",
                "request = function()",
                "  counter = ((counter or (offset - 1)) + 2) % #bodies",
                "  local r = formatted[counter + 1]",
                "  if r == nil then",
                "    r = wrk.format(nil, nil, nil, bodies[counter + 1])",
                "    formatted[counter + 1] = r",
                "  end",
                "  return r",
                "end",
            ]
        )
        + "\n"
    )
    return script


def main() -> int:
    wrk = _ensure_wrk()
    body = orjson.dumps(request.patient_view_request())
    bodies = [orjson.dumps(charts.chart_request(n)) for n in range(CHARTS)]
    RESULTS.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        script = _lua(Path(tmp), body)
        distinct = _lua_charts(Path(tmp), bodies)
        sizes = sorted(len(b) for b in bodies)
        print(f"distinct charts: {CHARTS} of {sizes[0]}-{sizes[-1]} bytes; same chart: "
              f"{len(body)} bytes; {ROUNDS} rounds of {SECONDS} s", flush=True)  # fmt: skip
        results: dict[str, Any] = {
            "machine": {
                "cores": os.cpu_count(),
                "python": sys.version.split()[0],
                "load_average_at_start": os.getloadavg(),
            },
            "request_bytes": len(body),
            "distinct_chart_bytes": [sizes[0], sizes[-1]],
            "rounds": ROUNDS,
            "seconds_per_run": SECONDS,
            "one_worker_distinct_charts": throughput(wrk, distinct, bodies[0], (16,)),
            "one_worker": throughput(wrk, script, body),
            "two_workers_c64_distinct_charts": two_workers(wrk, distinct, bodies[0]),
            "two_workers_c64": two_workers(wrk, script, body),
            "cold_start_s": cold_start(body),
            "fallback": fallback.measure(Server, _server_env, PATH),
            "order_select": orders.measure(Server, run_wrk, wrk, ROUNDS),
        }
    (RESULTS / "latest.json").write_text(json.dumps(results, indent=2) + "\n")
    _print(results)
    _chart(results)
    return 0


def _print(results: dict[str, Any]) -> None:
    new = results["one_worker_distinct_charts"]["c16"]
    print("\nDISTINCT CHARTS (every request a different patient), 1 worker, 16 connections:")
    print(f"  service {new['service']['rps']:.0f} rps, p50 {new['service']['p50_ms']:.2f} ms, "
          f"p99 {new['service']['p99_ms']:.2f} ms; baseline {new['baseline']['rps']:.0f} rps; "
          f"ratio {new['ratio']:.3f}")  # fmt: skip
    two_new = results["two_workers_c64_distinct_charts"]
    print(f"  2 workers, 64 connections: {two_new['rps']:.0f} rps, p99 {two_new['p99_ms']:.2f} ms"
          f", slowest request {two_new['max_ms']:.0f} ms "
          f"({two_new['timeouts']:.0f} over 10 s)")  # fmt: skip
    print(
        f"  RSS per worker after {new['service']['requests']:.0f} "
        f"distinct charts: {results['one_worker_distinct_charts']['rss_mb_per_worker']} MB"
    )
    one = results["one_worker"]
    print("\nsame chart every time, throughput, 1 worker (medians)")
    print(f"{'conn':>5} {'service rps':>12} {'p50 ms':>8} {'p99 ms':>8} "
          f"{'baseline rps':>13} {'p50 ms':>8} {'p99 ms':>8} {'ratio':>6}")  # fmt: skip
    for c in CONNECTIONS:
        s, b = one[f"c{c}"]["service"], one[f"c{c}"]["baseline"]
        print(f"{c:>5} {s['rps']:>12.0f} {s['p50_ms']:>8.2f} {s['p99_ms']:>8.2f} "
              f"{b['rps']:>13.0f} {b['p50_ms']:>8.2f} {b['p99_ms']:>8.2f} "
              f"{one[f'c{c}']['ratio']:>6.2f}")  # fmt: skip
    two = results["two_workers_c64"]
    print(f"\n2 workers, 64 connections: {two['rps']:.0f} rps, p50 {two['p50_ms']:.2f} ms, "
          f"p99 {two['p99_ms']:.2f} ms")  # fmt: skip
    print(f"RSS per worker (MB): {one['rss_mb_per_worker']}, 2 workers: {two['rss_mb_per_worker']}")
    print(f"cold start to first 200 (s): {results['cold_start_s']}")
    fb = results["fallback"]
    print(f"fallback: FHIR server alone p50 {fb['fhir_server_p50_ms']:.2f} ms, service p50 "
          f"{fb['service_p50_ms']:.2f} ms, added {fb['added_p50_ms']:.2f} ms "
          f"(p99 added {fb['added_p99_ms']:.2f} ms)")  # fmt: skip
    order = results["order_select"]["c16"]
    print(f"order-select (Rx View, staging of the chart remembered), 1 worker, 16 connections: "
          f"{order['rps']:.0f} rps, p50 {order['p50_ms']:.2f} ms, "
          f"p99 {order['p99_ms']:.2f} ms")  # fmt: skip
    print(f"\nwritten: {RESULTS / 'latest.json'}")


def _chart(results: dict[str, Any]) -> None:
    try:
        import matplotlib  # noqa: PLC0415 - optional, only for the picture

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt  # noqa: PLC0415
    except ImportError:
        print("matplotlib not installed: no chart drawn (pip install '.[bench]')")
        return
    one = results["one_worker"]
    rows = [("distinct charts\n16 conn", results["one_worker_distinct_charts"]["c16"])] + [
        (f"same chart\n{c} conn", one[f"c{c}"]) for c in CONNECTIONS
    ]
    fig, (left, right) = plt.subplots(1, 2, figsize=(10, 3.8))
    width = 0.38
    xs = range(len(rows))
    for offset, name in ((-width / 2, "baseline"), (width / 2, "service")):
        left.bar([x + offset for x in xs], [r[name]["rps"] for _, r in rows], width, label=name)
        right.bar([x + offset for x in xs], [r[name]["p99_ms"] for _, r in rows], width, label=name)
    left.set_title("requests/s, 1 worker")
    right.set_title("p99 latency (ms), 1 worker")
    for axis in (left, right):
        axis.set_xticks(list(xs), [label for label, _ in rows], fontsize=8)
        axis.legend()
    fig.suptitle("sarcoma-cds patient-view vs bare FastAPI (same requests, same server settings)")
    fig.tight_layout()
    fig.savefig(RESULTS / "bench.png", dpi=110)
    print(f"chart: {RESULTS / 'bench.png'}")


if __name__ == "__main__":
    sys.exit(main())
