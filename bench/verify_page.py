#!/usr/bin/env python3
"""The verification page's part of `make bench` (alone: `make bench-page`),
issue 34's figure side by side in one run: the page a browser gets from
`GET /certificate/{id}/verify` (Accept: text/html) and the JSON an API
client gets from the same route, over 2,000 Open Badges issued by the
built-in issuer on Postgres (release build, Kafka disabled), wrk at 64
connections, each request another certificate. The goal: at least 5,000
pages/s with p99 at most 20 ms on this box. Appends the table to
BENCHMARKS.md. Nothing here asserts a figure.
"""

import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import run as bench  # noqa: E402  (the helpers of bench/run.py)
from render import issue_learners, start_service  # noqa: E402  (as bench/render.py issues and starts)
from status import stop  # noqa: E402

STATE = bench.STATE
CERTIFICATES = int(os.environ.get("BENCH_PAGE_CERTIFICATES", "2000"))
SECONDS = int(os.environ.get("BENCH_PAGE_SECONDS", "20"))
CONNECTIONS = 64
log = bench.log


def measured(label, html, ids_file):
    os.environ.update(BENCH_IDS_FILE=str(ids_file), BENCH_ACCEPT_HTML="1" if html else "0")
    bench.wrk(CONNECTIONS, 5, f"page-{label}-warm", script="verify.lua")
    result = bench.wrk(CONNECTIONS, SECONDS, f"page-{label}", script="verify.lua")
    return {"label": label, "per_s": (result["requests"] - result["non_2xx"]) / (result["duration_us"] / 1e6),
            "p50_ms": result["p50_us"] / 1000, "p99_ms": result["p99_us"] / 1000, "non_2xx": result["non_2xx"]}


def table(report):
    lines = [f"## Verification page — {report['date']} ({report['commit']}, {report['machine']})", "",
             f"`GET /certificate/{{id}}/verify` over {report['certificates']} Open Badges of the built-in issuer on "
             f"Postgres, Kafka disabled, `RUST_LOG={bench.RUST_LOG}`, wrk at {CONNECTIONS} connections, each request "
             f"another certificate, 5 s warm-up, {SECONDS} s measured.", "",
             "| answer | per second | p50 | p99 | failed |", "|---|---|---|---|---|"]
    for run in report["runs"]:
        lines.append(f"| {run['label']} | {run['per_s']:.0f} | {run['p50_ms']:.1f} ms | {run['p99_ms']:.1f} ms | "
                     f"{run['non_2xx']} |")
    page = report["runs"][0]
    lines += ["", f"Goal: at least 5,000 pages/s with p99 at most 20 ms: {page['per_s']:.0f}/s, "
              f"p99 {page['p99_ms']:.1f} ms.", ""]
    return "\n".join(lines)


def main():
    bench.prepared()
    bench.reset_database()
    service = start_service()
    try:
        log(f"issuing {CERTIFICATES} Open Badges")
        ids_file = STATE / "page-ids.txt"
        ids_file.write_text("\n".join(issue_learners(CERTIFICATES)) + "\n")
        runs = []
        for label, html in (("the page (Accept: text/html)", True), ("the JSON (Accept: application/json)", False)):
            log(f"wrk at {CONNECTIONS} connections: {label}")
            runs.append(measured(label, html, ids_file))
    finally:
        stop(service)
    report = bench.stamped(certificates=CERTIFICATES, runs=runs)
    bench.publish(report, table(report), "verify-page-last")


if __name__ == "__main__":
    main()
