#!/usr/bin/env python3
"""Bulk issuance's part of `make bench` (alone: `make bench-bulk`), issue
36's figures side by side in one run, on the built-in issuer and Postgres
(release build, Kafka disabled):

- single issue requests at 16 connections (wrk, a new learner each), idle:
  their rate and p99;
- the same while a 20,000-row job runs (BULK_CONCURRENCY as configured):
  their p99 (goal: at most twice the idle p99);
- the rate of that job (sharing the box with the single requests), and of
  a second 20,000-row job alone, from their reports (goal: the job alone at
  least the single requests' rate at 16 connections).

Appends the table to BENCHMARKS.md. Nothing here asserts a figure.
"""

import json
import os
import sys
import time
import urllib.request
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import run as bench  # noqa: E402  (the helpers of bench/run.py)
from render import start_service  # noqa: E402  (the built-in issuer on the bench's database)
from status import stop  # noqa: E402

ROWS = int(os.environ.get("BENCH_BULK_ROWS", "20000"))
SECONDS = int(os.environ.get("BENCH_BULK_SECONDS", "6"))
CONCURRENCY = os.environ.get("BULK_CONCURRENCY", "32")
CONNECTIONS = 16
BASE = f"http://127.0.0.1:{bench.SERVICE_PORT}"
log = bench.log


def cohort(rows):
    lines = ["userId,courseId,courseName,firstName,lastName,issuanceDate,expirationDate"]
    course = f"bulk-{uuid.uuid4().hex[:8]}"
    lines += [f"{uuid.uuid4()},{course},Introduction to Programming,Learner,No {n},2026-01-01,2099-01-01"
              for n in range(rows)]
    return ("\n".join(lines) + "\n").encode()


def submit(body):
    request = urllib.request.Request(f"{BASE}/certificate/issue/bulk", data=body, method="POST",
                                     headers={"Content-Type": "text/csv"})
    with urllib.request.urlopen(request, timeout=120) as response:
        return json.load(response)["data"]["url"]


def summary(url):
    with urllib.request.urlopen(f"{BASE}{url}?rows=false", timeout=30) as response:
        return json.load(response)["data"]


def singles(label, warm_up_s):
    bench.wrk(CONNECTIONS, warm_up_s, f"bulk-{label}-warm-{uuid.uuid4().hex[:6]}")
    result = bench.wrk(CONNECTIONS, SECONDS, f"bulk-{label}-{uuid.uuid4().hex[:6]}")
    return {"label": label, "per_s": (result["requests"] - result["non_2xx"]) / (result["duration_us"] / 1e6),
            "p50_ms": result["p50_us"] / 1000, "p99_ms": result["p99_us"] / 1000, "non_2xx": result["non_2xx"]}


def job_done(url):
    while (state := summary(url))["state"] != "done":
        time.sleep(1)
    return {"rows": state["counts"]["total"], "seconds": state["elapsedSeconds"], "per_s": state["rowsPerSecond"],
            "issued": state["counts"]["issued"], "failed": state["counts"]["failed"]}


def table(report):
    idle, busy, shared, alone = report["idle"], report["busy"], report["job"], report["alone"]
    lines = [f"## Bulk issuance — {report['date']} ({report['commit']}, {report['machine']})", "",
             f"The built-in issuer on Postgres, Kafka disabled, `RUST_LOG={bench.RUST_LOG}`, "
             f"`BULK_CONCURRENCY={CONCURRENCY}`; single issue requests by wrk at {CONNECTIONS} connections "
             f"(a new learner each, {SECONDS} s measured after a warm-up of 10 s idle, 3 s with the job), without and while a {ROWS}-row job runs.", "",
             "| single requests | per second | p50 | p99 | failed |", "|---|---|---|---|---|"]
    for run in (idle, busy):
        lines.append(f"| {run['label']} | {run['per_s']:.0f} | {run['p50_ms']:.1f} ms | {run['p99_ms']:.1f} ms | "
                     f"{run['non_2xx']} |")
    running = "yes" if busy["job_running_throughout"] else "NO: the job ended first; make it longer (BENCH_BULK_ROWS)"
    lines += ["", f"The job was still running when the measurement ended: {running}."]
    lines += ["", "| job | rows | seconds | rows per second | issued | failed |", "|---|---|---|---|---|---|"]
    for label, job in (("sharing the box with the single requests", shared), ("alone", alone)):
        lines.append(f"| {label} | {job['rows']} | {job['seconds']:.1f} | {job['per_s']:.0f} | {job['issued']} | "
                     f"{job['failed']} |")
    lines += ["", f"Goals: live p99 with the job at most 2× idle: {busy['p99_ms'] / idle['p99_ms']:.2f}×; "
              f"the job alone at least the single requests' rate at {CONNECTIONS} connections: "
              f"{alone['per_s'] / idle['per_s']:.2f}×.", ""]
    return "\n".join(lines)


def main():
    bench.prepared()
    bench.reset_database()
    service = start_service(extra_env={"BULK_CONCURRENCY": CONCURRENCY})
    try:
        log(f"single issue requests at {CONNECTIONS} connections, no job running")
        idle = singles("idle", 10)  # a fresh service and database: past their first seconds
        log(f"submitting a {ROWS}-row job, and single requests while it runs")
        url = submit(cohort(ROWS))
        busy = singles("with a job running", 3)
        # The measurement counts only if the job ran all along it.
        busy["job_running_throughout"] = summary(url)["state"] != "done"
        log("waiting for the job to end")
        job = job_done(url)
        log(f"a second {ROWS}-row job, alone")
        alone = job_done(submit(cohort(ROWS)))
    finally:
        stop(service)
    report = bench.stamped(idle=idle, busy=busy, job=job, alone=alone, rows=ROWS)
    bench.publish(report, table(report), "bulk-last")


if __name__ == "__main__":
    main()
