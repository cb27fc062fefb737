#!/usr/bin/env python3
"""The status lists' part of `make bench` (alone: `make bench-status`): with
the built-in issuer on Postgres, Kafka disabled, release build:
- issuance with the built-in issuer (wrk, 16 connections, fresh learners),
  whose every credential takes a status list entry: of this tree's binary,
  and of BENCH_BEFORE_BINARY when it is set (a build from before the status
  lists), in the same run, for the before/after;
- revocations per second through `POST /certificate/{id}/revoke` (16 clients);
- `GET /status/{listId}` of a 131,072-entry list with bits set, 16
  connections, plain and with `If-None-Match` (wrk), p50/p99.
Appends the table to BENCHMARKS.md. Nothing here asserts a figure.
"""

import http.client
import json
import os
import sys
import threading
import time
import urllib.request
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import run as bench  # noqa: E402  (the helpers of bench/run.py)
from render import start_service  # noqa: E402  (the built-in issuer's service, as bench/render.py starts it)

ROOT = bench.ROOT
STATE = bench.STATE
PORT = bench.SERVICE_PORT
ISSUE_S = int(os.environ.get("BENCH_STATUS_ISSUE_S", "20"))
LIST_S = int(os.environ.get("BENCH_STATUS_LIST_S", "10"))
REVOCATIONS = int(os.environ.get("BENCH_REVOCATIONS", "2000"))
BEFORE = os.environ.get("BENCH_BEFORE_BINARY")
log = bench.log


def stop(process):
    process.terminate()
    process.wait(timeout=60)


def issuance(binary, label, extra_env=None):
    """wrk on the issue route against a fresh database: warm-up, then the measured window."""
    bench.reset_database()
    service = start_service(binary, extra_env)
    try:
        bench.wrk(16, 5, f"status-{label}-warm")
        result = bench.wrk(16, ISSUE_S, f"status-{label}")
    finally:
        stop(service)
    return {"label": label, "per_s": (result["requests"] - result["non_2xx"]) / (result["duration_us"] / 1e6),
            "p50_ms": result["p50_us"] / 1000, "p99_ms": result["p99_us"] / 1000, "non_2xx": result["non_2xx"]}


def post(connection, path, body):
    connection.request("POST", path, body=json.dumps(body), headers={"Content-Type": "application/json"})
    response = connection.getresponse()
    return response.status, response.read()


def in_parallel(items, work, clients=16):
    """Runs work(connection, item) for every item on `clients` kept-alive connections; answers (statuses, seconds)."""
    statuses, lock, queue = [], threading.Lock(), list(items)

    def client():
        connection = http.client.HTTPConnection("127.0.0.1", PORT, timeout=30)
        while True:
            with lock:
                if not queue:
                    return
                item = queue.pop()
            status = work(connection, item)
            with lock:
                statuses.append(status)

    started = time.monotonic()
    threads = [threading.Thread(target=client) for _ in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return statuses, time.monotonic() - started


def issue_one(connection, n):
    body = {"userId": f"{n:08x}-0000-4000-8000-{n:012x}", "courseId": f"status-{n}",
            "courseName": "Introduction to Programming", "firstName": "John", "lastName": "Doe",
            "issuanceDate": "2025-10-13T00:00:00.000Z", "expirationDate": "2099-10-13T00:00:00.000Z"}
    status, data = post(connection, "/certificate/issue", body)
    return json.loads(data)["data"]["credential"] if status == 200 else None


def lists_and_revocations():
    bench.reset_database()
    service = start_service(ROOT / "target" / "release" / "certificate-service")
    try:
        log(f"issuing {REVOCATIONS} certificates to revoke")
        credentials, _ = in_parallel(range(REVOCATIONS), issue_one)
        ids = [credential["id"] for credential in credentials if credential]
        log(f"revoking {len(ids)} through the route, 16 clients")
        revoke = lambda connection, id: post(connection, f"/certificate/{id}/revoke", {"reason": "bench"})[0]
        statuses, seconds = in_parallel(ids, revoke)
        list_url = credentials[0]["credentialStatus"][0]["statusListCredential"]
        list_id = list_url.rsplit("/", 1)[1]
        with urllib.request.urlopen(f"http://127.0.0.1:{PORT}/status/{list_id}", timeout=10) as answer:
            etag, size = answer.headers["ETag"], len(answer.read())
        log(f"GET /status/{list_id}, 16 connections, {LIST_S} s, plain and with If-None-Match")
        # bench.wrk hands its own environment to wrk: the script reads these.
        os.environ["BENCH_LIST_ID"] = list_id
        plain = bench.wrk(16, LIST_S, "status-list", script="status.lua")
        os.environ["BENCH_ETAG"] = etag
        conditional = bench.wrk(16, LIST_S, "status-list", script="status.lua")
        del os.environ["BENCH_ETAG"], os.environ["BENCH_LIST_ID"]
        rss_mib = bench.proc_status(service.pid, "VmHWM") / 1024
    finally:
        stop(service)
    return {"revoked": statuses.count(200), "revoke_failures": len(statuses) - statuses.count(200),
            "revocations_per_s": len(statuses) / seconds, "list_bytes": size, "plain": plain,
            "conditional": conditional, "peak_rss_mib": rss_mib}


def rate(result):
    return (result["requests"] - result["non_2xx"]) / (result["duration_us"] / 1e6)


def table(report):
    lines = [f"## Status lists — {report['date']} ({report['commit']}, {report['machine']})", "",
             f"Built-in issuer on Postgres, Kafka disabled, release build, `RUST_LOG={bench.RUST_LOG}`; wrk, "
             "Postgres and the service on this box. Issuance: fresh learners, 16 connections, 5 s warm-up, "
             f"{ISSUE_S} s measured, a fresh database each. Lists: {LIST_S} s per point.", "",
             "| what | per s | p50 | p99 | failures |", "|---|---|---|---|---|"]
    for run in report["issuance"]:
        lines.append(f"| issuance, built-in issuer ({run['label']}) | {run['per_s']:.0f} | {run['p50_ms']:.1f} ms | "
                     f"{run['p99_ms']:.1f} ms | {run['non_2xx']} |")
    lists = report["lists"]
    lines.append(f"| revocations through the route (16 clients) | {lists['revocations_per_s']:.0f} | — | — | "
                 f"{lists['revoke_failures']} |")
    for name, key in (("GET /status/{listId}", "plain"), ("GET /status/{listId}, If-None-Match (304)", "conditional")):
        result = lists[key]
        lines.append(f"| {name} (16 connections) | {rate(result):.0f} | {result['p50_us'] / 1000:.2f} ms | "
                     f"{result['p99_us'] / 1000:.2f} ms | {result['non_2xx']} |")
    lines += ["", f"- The list: 131,072 entries, {lists['revoked']} bits set, {lists['list_bytes']} bytes "
                  "(the signed credential, the bitstring GZIP-compressed).",
              f"- Peak RSS of the service over the revocations and the list points: {lists['peak_rss_mib']:.1f} MiB.", ""]
    return "\n".join(lines)


def main():
    bench.prepared()
    runs = []
    if BEFORE:
        log(f"issuance with the built-in issuer, before ({BEFORE})")
        runs.append(issuance(Path(BEFORE), "before the status lists"))
    log("issuance with the built-in issuer, this tree")
    runs.append(issuance(ROOT / "target" / "release" / "certificate-service", "this tree"))
    lists = lists_and_revocations()
    report = bench.stamped(issuance=runs, lists=lists)
    bench.publish(report, table(report), "status-last")


if __name__ == "__main__":
    main()
