#!/usr/bin/env python3
"""The Open Badges' part of `make bench` (alone: `make bench-badges`), the
two figures of issue 32, side by side in one run:
- microseconds to make and sign one Open Badge with eddsa-rdfc-2022 on one
  core: the service's own signer (crates/certificate-local-issuer/examples/
  sign.rs, which also times the earlier eddsa-jcs-2022 CourseCertificate)
  and Digital Bazaar's eddsa-rdfc-2022 cryptosuite in node
  (tests/verifier/sign-bench.mjs) on the same credential;
- issuance with the built-in issuer on Postgres (release build, Kafka
  disabled), wrk at 16 connections, fresh learners, a fresh database each:
  CREDENTIAL_FORMAT=open-badge against course-certificate.
Appends the table to BENCHMARKS.md. Nothing here asserts a figure.
"""

import json
import os
import subprocess
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import run as bench  # noqa: E402  (the helpers of bench/run.py)
from render import start_service  # noqa: E402  (the built-in issuer's service, as bench/render.py starts it)
from status import issuance  # noqa: E402  (issuance through the route, as bench/status.py measures it)

ROOT = bench.ROOT
STATE = bench.STATE
SIGNATURES = int(os.environ.get("BENCH_SIGNATURES", "2000"))
log = bench.log


def ours():
    """The service's signer, per format: microseconds per credential."""
    output = bench.run([str(bench.RELEASE / "examples" / "sign"), str(SIGNATURES)], cwd=ROOT)
    return json.loads(output.strip().splitlines()[-1])


def digital_bazaar(credential):
    """Digital Bazaar's eddsa-rdfc-2022 cryptosuite in node on `credential`."""
    count = max(SIGNATURES // 10, 50)
    output = subprocess.run(["node", str(ROOT / "tests" / "verifier" / "sign-bench.mjs"), str(count)],
                            input=json.dumps(credential), capture_output=True, text=True, check=True).stdout
    return json.loads(output.strip().splitlines()[-1])


def a_badge():
    """An Open Badge as the service issues it, for node to sign the same."""
    service = start_service()
    try:
        body = {"userId": "af771398-bc1a-4350-b849-907561d25957", "courseId": "do_21430769261883392012483",
                "courseName": "Introduction to Programming", "firstName": "John", "lastName": "Doe",
                "issuanceDate": "2025-10-13T00:00:00.000Z", "expirationDate": "2099-10-13T00:00:00.000Z"}
        answer = bench.run(["curl", "-s", f"http://127.0.0.1:{bench.SERVICE_PORT}/certificate/issue",
                            "-H", "Content-Type: application/json", "-d", json.dumps(body)])
        return json.loads(answer)["data"]["credential"]
    finally:
        service.terminate()
        service.wait(timeout=60)


def table(report):
    signing, node = report["signing"], report["node"]
    runs = {run["label"]: run for run in report["issuance"]}
    badge, course = runs["Open Badge, eddsa-rdfc-2022"], runs["CourseCertificate, eddsa-jcs-2022"]
    lines = [f"## Open Badges — {report['date']} ({report['commit']}, {report['machine']})", "",
             "Signing: one credential made and signed after another on one core (release build), "
             f"{signing['count']} for the service, {node['count']} for node, the same Open Badge. Issuance: the "
             f"built-in issuer on Postgres, Kafka disabled, `RUST_LOG={bench.RUST_LOG}`, wrk at 16 connections, "
             "fresh learners, 5 s warm-up, a fresh database each.", "",
             "| what | figure |", "|---|---|",
             f"| Open Badge signed with eddsa-rdfc-2022, this service | {signing['open_badge_us']:.0f} µs |",
             f"| the same, Digital Bazaar's cryptosuite in node | {node['us']:.0f} µs |",
             f"| node ÷ this service (goal ≥ 10×) | {node['us'] / signing['open_badge_us']:.1f}× |",
             f"| CourseCertificate signed with eddsa-jcs-2022, this service | {signing['course_certificate_us']:.0f} µs |"]
    for run in (badge, course):
        lines.append(f"| issuance, {run['label']} | {run['per_s']:.0f}/s, p50 {run['p50_ms']:.1f} ms, "
                     f"p99 {run['p99_ms']:.1f} ms, {run['non_2xx']} failed |")
    lines += [f"| Open Badges ÷ CourseCertificates issued per second (goal ≥ 85%) | "
              f"{100 * badge['per_s'] / course['per_s']:.0f}% |", ""]
    return "\n".join(lines)


def main():
    bench.prepared()
    log("building the signing example")
    subprocess.run(["cargo", "build", "--release", "--quiet", "-p", "certificate-local-issuer", "--example", "sign"],
                   check=True, cwd=ROOT)
    log(f"signing: {SIGNATURES} credentials per format with the service's signer")
    signing = ours()
    log("signing: the same Open Badge with Digital Bazaar's cryptosuite in node")
    bench.reset_database()
    node = digital_bazaar(a_badge())
    service = ROOT / "target" / "release" / "certificate-service"
    runs = []
    for label, form in (("Open Badge, eddsa-rdfc-2022", "open-badge"),
                        ("CourseCertificate, eddsa-jcs-2022", "course-certificate")):
        log(f"issuance at 16 connections: {label}")
        runs.append(issuance(service, label, {"CREDENTIAL_FORMAT": form}))
    report = bench.stamped(signing=signing, node=node, issuance=runs)
    bench.publish(report, table(report), "open-badges-last")


if __name__ == "__main__":
    main()
