#!/usr/bin/env python3
"""The rendering half of `make bench` (alone: `make bench-render`): HTML and
PDF renderings per second at 1, 4 and 16 clients, uncached (a credential
never rendered before, each request) and cached (one credential again and
again, wrk), the first PDF of a cold browser, latencies, failures, and peak
memory of the service and of its Chromium; then the same certificate
through the NestJS service's PDF path (puppeteer-core on the same Debian
chromium, bench/puppeteer) in the same run, for the ratio. Appends the table
to BENCHMARKS.md. Nothing here asserts a figure.

The service runs in release mode with the built-in issuer on Postgres,
Kafka disabled (rendering touches no broker), PDF_CONCURRENCY at its default.
"""

import http.client
import json
import os
import subprocess
import sys
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import run as bench  # noqa: E402  (the helpers of bench/run.py)

ROOT = bench.ROOT
STATE = bench.STATE
PORT = bench.SERVICE_PORT
CLIENTS = [int(c) for c in os.environ.get("BENCH_RENDER_CLIENTS", "1,4,16").split(",")]
PDF_S = int(os.environ.get("BENCH_PDF_S", "20"))
HTML_S = int(os.environ.get("BENCH_HTML_S", "2"))
CACHED_S = int(os.environ.get("BENCH_CACHED_S", "10"))
LEARNERS = int(os.environ.get("BENCH_RENDER_LEARNERS", "20000"))
SEED = "z2rUunsq5fxGSjaHbUgj8cQbx4cR8DbPNrdcHwhG1yzJL"
PUPPETEER = ROOT / "bench" / "puppeteer"
log = bench.log


def service_env():
    key = STATE / "render-issuer.key"
    key.write_text(SEED)
    key.chmod(0o600)  # the service refuses a key file others may read
    env = dict(os.environ)
    env.update({
        "DATABASE_URL": f"{bench.ADMIN_URL}/{bench.DATABASE}",
        "CREDENTIAL_ISSUER": "local",
        "ISSUER_KEY_FILE": str(key),
        "kafkaEnabled": "false",
        "PORT": str(PORT),
        "LOG_FORMAT": "json",
        "RUST_LOG": bench.RUST_LOG,
    })
    return env


def start_service(binary=None, extra_env=None):
    """The built-in issuer on the bench's database, Kafka disabled; `binary`: another build (bench/status.py);
    `extra_env`: more variables (bench/open_badges.py's CREDENTIAL_FORMAT)."""
    process = subprocess.Popen([str(binary or bench.RELEASE / "certificate-service")],
                               env={**service_env(), **(extra_env or {})},
                               stdout=open(STATE / "render-service.log", "a"), stderr=subprocess.STDOUT)
    bench.wait_for(lambda: bench.http_status(f"http://127.0.0.1:{PORT}/health/ready") == 200, 60, "ready")
    return process


def post(connection, path, body):
    """(status, body bytes, seconds) of one POST on a kept-alive connection."""
    started = time.monotonic()
    connection.request("POST", path, body=json.dumps(body), headers={"Content-Type": "application/json"})
    response = connection.getresponse()
    data = response.read()
    return response.status, data, time.monotonic() - started


def issue_learners(count):
    """Issues `count` certificates (8 clients) and answers their credential ids."""
    ids, lock = [], threading.Lock()
    per_client = count // 8

    def client(n):
        connection = http.client.HTTPConnection("127.0.0.1", PORT, timeout=30)
        for i in range(per_client):
            body = {"userId": f"{n:08x}-0000-4000-8000-{i:012x}", "courseId": f"render-{int(time.time())}-{n}-{i}",
                    "courseName": "Introduction to Programming", "firstName": "अनन्या", "lastName": "शर्मा",
                    "issuanceDate": "2025-10-13T00:00:00.000Z", "expirationDate": "2099-10-13T00:00:00.000Z"}
            status, data, _ = post(connection, "/certificate/issue", body)
            if status == 200:
                with lock:
                    ids.append(json.loads(data)["data"]["credential"]["id"])

    threads = [threading.Thread(target=client, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return ids


def process_tree(root_pid):
    """The pid and every descendant of it."""
    children = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                ppid = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
                children.setdefault(ppid, []).append(int(entry.name))
            except (OSError, IndexError):
                pass
    tree, todo = [], [root_pid]
    while todo:
        pid = todo.pop()
        tree.append(pid)
        todo.extend(children.get(pid, []))
    return tree


def pss_mib(pids):
    """Proportional set size, summed: Chromium's processes share most of
    their pages, which a sum of RSS would count once per process."""
    total = 0
    for pid in pids:
        try:
            rollup = Path(f"/proc/{pid}/smaps_rollup").read_text()
            total += int(next(line.split()[1] for line in rollup.splitlines() if line.startswith("Pss:")))
        except (OSError, StopIteration):
            pass
    return total / 1024


class PeakMemory:
    """Samples, every 0.2 s, the memory (PSS) of a process and, apart, of its descendants."""

    def __init__(self, pid):
        self.pid, self.own, self.children, self.running = pid, 0.0, 0.0, True
        self.thread = threading.Thread(target=self.sample, daemon=True)
        self.thread.start()

    def sample(self):
        while self.running:
            tree = process_tree(self.pid)
            self.own = max(self.own, pss_mib(tree[:1]))
            self.children = max(self.children, pss_mib(tree[1:]))
            time.sleep(0.2)

    def stop(self):
        self.running = False
        self.thread.join()
        return self.own, self.children


def quantile(values, q):
    values = sorted(values)
    return values[min(len(values) - 1, int(q * len(values)))] * 1000 if values else float("nan")


def uncached(path, ids, clients, seconds):
    """Each request renders a credential never rendered before: (per second,
    p50 ms, p99 ms, failures, requests)."""
    lock, latencies, failures = threading.Lock(), [], [0]
    deadline = time.monotonic() + seconds

    def client():
        connection = http.client.HTTPConnection("127.0.0.1", PORT, timeout=60)
        while time.monotonic() < deadline:
            with lock:
                if not ids:
                    return
                credential_id = ids.pop()
            try:
                status, _, elapsed = post(connection, path, {"credentialId": credential_id})
            except OSError:
                status, elapsed = 0, 0
                connection = http.client.HTTPConnection("127.0.0.1", PORT, timeout=60)
            with lock:
                if status in (200, 201):
                    latencies.append(elapsed)
                else:
                    failures[0] += 1

    started = time.monotonic()
    threads = [threading.Thread(target=client) for _ in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.monotonic() - started
    return {"clients": clients, "per_s": len(latencies) / elapsed, "p50_ms": quantile(latencies, 0.5),
            "p99_ms": quantile(latencies, 0.99), "failures": failures[0], "requests": len(latencies) + failures[0]}


def cached(path, credential_id, connections, seconds):
    env = dict(os.environ, BENCH_RENDER_PATH=path, BENCH_CREDENTIAL_ID=credential_id)
    output = bench.run(["wrk", f"-t{bench.WRK_THREADS}", f"-c{connections}", f"-d{seconds}s", "--latency",
                        "--timeout", "10s", "-s", str(ROOT / "bench" / "render.lua"), f"http://127.0.0.1:{PORT}"], env=env)
    result = bench.bench_json(output)
    seconds = result["duration_us"] / 1e6
    return {"connections": connections, "per_s": (result["requests"] - result["non_2xx"]) / seconds,
            "p50_ms": result["p50_us"] / 1000, "p99_ms": result["p99_us"] / 1000,
            "failures": result["non_2xx"] + result["socket_errors"]}


def puppeteer(html_file, clients, seconds):
    process = subprocess.Popen(["node", str(PUPPETEER / "pdf.mjs"), str(html_file), str(clients), str(seconds)],
                               stdout=subprocess.PIPE, text=True, cwd=PUPPETEER)
    memory = PeakMemory(process.pid)
    output, _ = process.communicate(timeout=seconds + 120)
    own, children = memory.stop()
    result = json.loads(output.strip().splitlines()[-1])
    return {"clients": clients, "per_s": result["pdfs"] / result["seconds"], "p50_ms": result["p50_ms"],
            "p99_ms": result["p99_ms"], "failures": result["failures"], "errors": result["errors"],
            "rss_mib": own + children}


def table(report):
    lines = [f"## Rendering — {report['date']} ({report['commit']}, {report['machine']})", "",
             f"The built-in certificate (A4, CSS, a Devanagari name, an SVG QR code, Noto fonts), built-in issuer on "
             f"Postgres, release build, `RUST_LOG={bench.RUST_LOG}`, PDF_CONCURRENCY default ({os.cpu_count()} cores). "
             f"Uncached: a credential never rendered before on each request ({PDF_S} s per PDF point, {HTML_S} s per "
             f"HTML point); cached: one credential again and again (wrk, {CACHED_S} s). NestJS path: puppeteer-core "
             f"{report['puppeteer_version']} on the same chromium, the NestJS service's options, the same page.", "",
             "| what | clients | per s | p50 | p99 | failures |", "|---|---|---|---|---|---|"]
    row = lambda what, r, who="clients": lines.append(
        f"| {what} | {r[who]} | {r['per_s']:.1f} | {r['p50_ms']:.1f} ms | {r['p99_ms']:.1f} ms | {r['failures']} |")
    for r in report["pdf"]:
        row("PDF, uncached (this service)", r)
    for r in report["puppeteer"]:
        row("PDF, NestJS path (puppeteer)", r)
    for r in report["html"]:
        row("HTML, uncached", r)
    row("PDF, cached", report["pdf_cached"], "connections")
    row("HTML, cached", report["html_cached"], "connections")
    best = {r["clients"]: r["per_s"] for r in report["puppeteer"]}
    ratios = ", ".join(f"{r['clients']} clients {r['per_s'] / best[r['clients']]:.1f}×" for r in report["pdf"]
                       if best.get(r["clients"]))
    lines += ["",
              f"- Ratio to the NestJS path, uncached PDFs: {ratios}. Its failures by kind: "
              + "; ".join(f"{r['clients']} clients {r['errors'] or 'none'}" for r in report["puppeteer"]) + ".",
              f"- First PDF after start (Chromium launched by it): {report['first_pdf_s'] * 1000:.0f} ms; "
              f"the next, uncached: {report['second_pdf_s'] * 1000:.0f} ms.",
              f"- Memory: service idle {report['idle_rss_mib']:.1f} MiB RSS before any PDF; peak during the PDF "
              f"points (PSS, summed over processes) {report['service_peak_mib']:.1f} MiB, its Chromium "
              f"{report['chromium_peak_mib']:.1f} MiB, together "
              f"{report['service_peak_mib'] + report['chromium_peak_mib']:.1f} MiB; the NestJS path's node and "
              f"chromium peaked at {max(r['rss_mib'] for r in report['puppeteer']):.1f} MiB.",
              f"- Ran out of credentials to render before the end of a window: "
              f"{', '.join(f'{r[0]} {r[1]}' for r in report['exhausted']) or 'none'}.", ""]
    return "\n".join(lines)


def main():
    bench.prepared("-p", "certificate-bench")
    if not (PUPPETEER / "node_modules" / "puppeteer-core").exists():
        log("installing puppeteer-core for the NestJS path (npm, bench/puppeteer)")
        subprocess.run(["npm", "ci", "--no-audit", "--no-fund", "--silent"], check=True, cwd=PUPPETEER,
                       env=dict(os.environ, PUPPETEER_SKIP_DOWNLOAD="1"))
    bench.reset_database()
    service = start_service()
    try:
        time.sleep(1)
        idle_rss_mib = bench.proc_status(service.pid, "VmRSS") / 1024
        log(f"issuing {LEARNERS} certificates to render")
        ids = issue_learners(LEARNERS)
        connection = http.client.HTTPConnection("127.0.0.1", PORT, timeout=60)
        first = post(connection, "/certificate/render-PDF", {"credentialId": ids.pop()})[2]
        second = post(connection, "/certificate/render-PDF", {"credentialId": ids.pop()})[2]
        html_page = ids.pop()
        status, page, _ = post(connection, "/certificate/render", {"credentialId": html_page})
        html_file = STATE / "certificate.html"
        html_file.write_text(json.loads(page)["data"])
        memory = PeakMemory(service.pid)
        pdf, html, exhausted = [], [], []
        for clients in CLIENTS:
            log(f"uncached PDFs, {clients} clients, {PDF_S} s")
            pdf.append(uncached("/certificate/render-PDF", ids, clients, PDF_S))
            exhausted += [("PDF", clients)] if not ids else []
        service_peak, chromium_peak = memory.stop()
        for clients in CLIENTS:
            log(f"uncached HTML, {clients} clients, {HTML_S} s")
            html.append(uncached("/certificate/render", ids, clients, HTML_S))
            exhausted += [("HTML", clients)] if not ids else []
        log("cached PDF and HTML, 16 connections")
        pdf_cached = cached("/certificate/render-PDF", html_page, 16, CACHED_S)
        html_cached = cached("/certificate/render", html_page, 16, CACHED_S)
    finally:
        service.terminate()
        service.wait(timeout=60)
    nestjs = []
    for clients in CLIENTS:
        log(f"the NestJS path (puppeteer), {clients} clients, {PDF_S} s")
        nestjs.append(puppeteer(html_file, clients, PDF_S))
    version = json.loads((PUPPETEER / "node_modules" / "puppeteer-core" / "package.json").read_text())["version"]
    report = bench.stamped(pdf=pdf, html=html, pdf_cached=pdf_cached, html_cached=html_cached, puppeteer=nestjs,
                           puppeteer_version=version, first_pdf_s=first, second_pdf_s=second,
                           idle_rss_mib=idle_rss_mib, service_peak_mib=service_peak,
                           chromium_peak_mib=chromium_peak, exhausted=exhausted)
    bench.publish(report, table(report), "render-last")


if __name__ == "__main__":
    main()
