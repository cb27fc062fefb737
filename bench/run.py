#!/usr/bin/env python3
"""`make bench`: measures the service against the real stack and against the
physical limit of the same writes, prints the table and appends it to
BENCHMARKS.md.

It starts what it needs itself: Postgres (deploy/local/postgres.sh), a tansu
broker of its own on port 9192, the upstream fake, and the service built in
release mode with the real adapters. Nothing here asserts a figure.
"""

import json
import os
import re
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from datetime import datetime, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RELEASE = ROOT / "target" / "release"
STATE = ROOT / ".tmp" / "bench"
ADMIN_URL = "postgres://postgres:postgres@127.0.0.1:5432"
DATABASE = "certificates_bench"
BROKER_PORT = 9192
BROKERS = f"127.0.0.1:{BROKER_PORT}"
UPSTREAM = "127.0.0.1:4100"
SERVICE_PORT = 3100
WARMUP_S = int(os.environ.get("BENCH_WARMUP_S", "10"))
MEASURE_S = int(os.environ.get("BENCH_MEASURE_S", "30"))
CONNECTIONS = [int(c) for c in os.environ.get("BENCH_CONNECTIONS", "16,64").split(",")]
RELAY_BACKLOG = int(os.environ.get("BENCH_RELAY_BACKLOG", "100000"))
RELAY_KEYS = [int(k) for k in os.environ.get("BENCH_RELAY_KEYS", f"1,10,{RELAY_BACKLOG}").split(",")]
# The level production runs at: every published event is one info line.
RUST_LOG = os.environ.get("BENCH_RUST_LOG", "info")
SEED_PER_THREAD = 150_000
WRK_THREADS = 2
CLK_TCK = os.sysconf("SC_CLK_TCK")


def log(message):
    print(f"bench: {message}", file=sys.stderr, flush=True)


def run(command, **kwargs):
    return subprocess.run(command, check=True, text=True, capture_output=True, **kwargs).stdout


def psql(sql, database=DATABASE):
    return run(["psql", f"{ADMIN_URL}/{database}", "-qtAX", "-v", "ON_ERROR_STOP=1", "-c", sql]).strip()


def bench_json(output):
    line = next(l for l in output.splitlines() if l.startswith("BENCH_JSON "))
    return json.loads(line[len("BENCH_JSON "):])


def wait_for(predicate, timeout, what, every=0.01):
    started = time.monotonic()
    while time.monotonic() - started < timeout:
        if predicate():
            return time.monotonic() - started
        time.sleep(every)
    raise RuntimeError(f"timed out waiting for {what}")


# Each look at the outbox starts a psql process: on two cores, looking every
# 10 ms would take CPU from the relay being measured.
DRAIN_POLL_S = 0.1


def http_status(url):
    try:
        with urllib.request.urlopen(url, timeout=2) as response:
            return response.status
    except urllib.error.HTTPError as error:
        return error.code
    except OSError:
        return 0


def proc_status(pid, field):
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])  # kB
    return 0


def cpu_ticks(pid):
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return int(fields[11]) + int(fields[12])


def postgres_pids():
    pids = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if (entry / "comm").read_text().strip() == "postgres":
                    pids.append(int(entry.name))
            except OSError:
                pass
    return pids


def postgres_ticks():
    total = 0
    for pid in postgres_pids():
        try:
            total += cpu_ticks(pid)
        except OSError:
            pass
    return total


class Service:
    """The release binary with the real adapters."""

    def __init__(self, topic, extra_env=None):
        self.topic = topic
        self.extra_env = extra_env or {}
        self.process = None

    def env(self):
        env = dict(os.environ)
        env.update({
            "DATABASE_URL": f"{ADMIN_URL}/{DATABASE}",
            "RC_IDENTITY_API_BASE_URL": f"http://{UPSTREAM}",
            "RC_CREDENTIALS_API_BASE_URL": f"http://{UPSTREAM}",
            "VERIFICATION_SCHEMA_URL": "https://schema.example/course-certificate/v1",
            "VERIFICATION_SCHEMA_NAME": "CourseCertificate",
            "CERTIFICATE_ISSUER_DID": "did:upai:issuer",
            "SCHEMA_ID": "schema-course-certificate",
            "kafkaEnabled": "true",
            "KAFKA_BROKERS": BROKERS,
            "KAFKA_TOPIC": self.topic,
            "PORT": str(SERVICE_PORT),
            "LOG_FORMAT": "json",
            "RUST_LOG": RUST_LOG,
        })
        env.update(self.extra_env)
        return env

    @property
    def client(self):
        return self.extra_env.get("UPSTREAM_CLIENT", "reqwest")

    def start(self):
        started = time.monotonic()
        self.process = subprocess.Popen(
            [str(RELEASE / "certificate-service")], env=self.env(),
            stdout=open(STATE / "service.log", "a"), stderr=subprocess.STDOUT)
        ready = wait_for(lambda: http_status(f"http://127.0.0.1:{SERVICE_PORT}/health/ready") == 200, 60, "ready")
        return time.monotonic() - started if ready is not None else None

    def stop(self):
        if self.process:
            self.process.send_signal(signal.SIGTERM)
            self.process.wait(timeout=60)
            self.process = None

    @property
    def pid(self):
        return self.process.pid


def undelivered():
    return int(psql("SELECT count(*) FROM certificate_outbox_pending"))


def count_events(topic, prefix):
    return json.loads(run([str(RELEASE / "certificate-bench"), "count-events", topic, BROKERS, prefix]))


def seed_rows(prefix):
    """Enrolled learners for the existing-row path: the formula of issue.lua."""
    psql(f"""
        INSERT INTO user_course_certificate ("userId", "courseId", status, progress)
        SELECT format('%s-0000-4000-8000-%s', lpad(to_hex(t), 8, '0'), lpad(to_hex(n), 12, '0'))::uuid,
               format('{prefix}-%s-%s', t, n), 'enrolled', 100
          FROM generate_series(1, {WRK_THREADS}) AS t, generate_series(1, {SEED_PER_THREAD}) AS n""")


def wrk(connections, seconds, prefix, script="issue.lua", url=None, hot=False):
    env = dict(os.environ, BENCH_PREFIX=prefix, BENCH_HOT_COURSE="1" if hot else "0")
    output = run(["wrk", f"-t{WRK_THREADS}", f"-c{connections}", f"-d{seconds}s", "--latency", "--timeout", "10s",
                  "-s", str(ROOT / "bench" / script), url or f"http://127.0.0.1:{SERVICE_PORT}"], env=env)
    return bench_json(output)


def scrape():
    with urllib.request.urlopen(f"http://127.0.0.1:{SERVICE_PORT}/metrics", timeout=5) as response:
        return response.read().decode()


def batched():
    """(statements, jobs) of the service's group commit so far."""
    text = scrape()
    value = lambda name: float(re.search(rf"^{name} (\S+)$", text, re.M).group(1))
    return value("certificate_db_batched_statements_total"), value("certificate_db_batched_jobs_total")


def lag_histogram():
    """The service's certificate_event_publish_lag_seconds buckets: (le, count)."""
    text = scrape()
    return [(float(re.search(r'le="([^"]+)"', line).group(1)), float(line.rsplit(" ", 1)[1]))
            for line in text.splitlines() if line.startswith("certificate_event_publish_lag_seconds_bucket")]


def lag_quantile_ms(q, before, after):
    """The q-quantile of the events observed between two scrapes, interpolated
    within its bucket as Prometheus's histogram_quantile does."""
    cumulative = [(le, count_after - count_before) for (le, count_after), (_, count_before) in zip(after, before)]
    rank = q * cumulative[-1][1]
    lower, below = 0.0, 0.0
    for le, count in cumulative:
        if count >= rank and count > below:
            upper = le if le != float("inf") else lower
            return (lower + (upper - lower) * (rank - below) / (count - below)) * 1000
        lower, below = le, count
    return float("nan")


def issue_run(service, connections, path, run_id, cold=False):
    """path: new (a fresh course per request), existing (an enrolled learner's
    row), hot (a fresh learner per request, every request the same course).
    cold: no warm-up, from the service's first request on a database whose
    tables were analyzed empty."""
    prefix = f"{run_id}-{path}-c{connections}"
    hot = path == "hot"
    if path == "existing":
        seed_rows(prefix)
        seed_rows(prefix + "-warm")
    if not cold:
        wrk(connections, WARMUP_S, prefix + "-warm", hot=hot)
        wait_for(lambda: undelivered() == 0, 120, "the relay to drain the warm-up")
    Path(f"/proc/{service.pid}/clear_refs").write_text("5")
    lag_before, batched_before = lag_histogram(), batched()
    service_ticks, pg_ticks = cpu_ticks(service.pid), postgres_ticks()
    result = wrk(connections, MEASURE_S, prefix, hot=hot)
    pending_at_stop = undelivered()
    drain_s = wait_for(lambda: undelivered() == 0, 300, "the relay to drain", every=DRAIN_POLL_S)
    seconds = result["duration_us"] / 1e6
    service_cpu = (cpu_ticks(service.pid) - service_ticks) / CLK_TCK / seconds
    pg_cpu = (postgres_ticks() - pg_ticks) / CLK_TCK / seconds
    peak_rss_kb = proc_status(service.pid, "VmHWM")
    ok = result["requests"] - result["non_2xx"]
    course_pattern = prefix if hot else f"{prefix}-%"
    rows = int(psql(f"""SELECT count(*) FROM user_course_certificate
                        WHERE status = 'viewCertificate' AND "courseId" LIKE '{course_pattern}'
                          AND "courseId" NOT LIKE '{prefix}-warm%'"""))
    lag_after, batched_after = lag_histogram(), batched()
    statements, jobs = (after - before for after, before in zip(batched_after, batched_before))
    lag_p50_ms, lag_p99_ms = (lag_quantile_ms(q, lag_before, lag_after) for q in (0.5, 0.99))
    events = count_events(service.topic, prefix if hot else prefix + "-")
    warm_events = count_events(service.topic, prefix + "-warm")
    return {
        "path": path, "connections": connections, "rps": ok / seconds, "requests": result["requests"],
        "non_2xx": result["non_2xx"], "socket_errors": result["socket_errors"],
        "p50_ms": result["p50_us"] / 1000, "p90_ms": result["p90_us"] / 1000,
        "p99_ms": result["p99_us"] / 1000, "max_ms": result["max_us"] / 1000,
        "peak_rss_mib": peak_rss_kb / 1024, "service_cpu": service_cpu, "postgres_cpu": pg_cpu,
        "rows": rows, "events": events["distinct_event_ids"] - warm_events["distinct_event_ids"],
        "ok": ok, "in_flight_at_stop": rows - ok, "pending_at_stop": pending_at_stop, "drain_s": drain_s,
        "lag_p50_ms": lag_p50_ms, "lag_p99_ms": lag_p99_ms, "client": service.client,
        "batch": jobs / statements if statements else float("nan"), "cold": cold,
    }


PGBENCH_EXISTING_LEARNERS = 2


def pgbench(clients, path, batch, database=DATABASE, cold=False):
    """The same statements straight from pgbench, `batch` rows each (the
    service's mean batch, rounded). The existing-row path draws from seeded
    enrolled learners; the new-row path from a range too large to repeat.
    Answers issuances per second (transactions per second × batch)."""
    batch = max(1, round(batch)) if batch == batch else 1
    if path == "existing":
        psql(f"""
            INSERT INTO user_course_certificate ("userId", "courseId", status, progress)
            SELECT format('%s-0000-4000-8000-%s', lpad(to_hex(t), 8, '0'), lpad(to_hex(n), 12, '0'))::uuid,
                   format('pgbench-%s-%s', t, n), 'enrolled', 100
              FROM generate_series(1, {PGBENCH_EXISTING_LEARNERS}) AS t, generate_series(1, 300000) AS n
            ON CONFLICT DO NOTHING""")
    tmax = PGBENCH_EXISTING_LEARNERS if path == "existing" else 1_000_000
    result = subprocess.run(["pgbench", "-n", "-M", "extended", f"-c{clients}", "-j2", f"-T{MEASURE_S}",
                             "-D", f"tmax={tmax}", "-D", f"batch={batch}", "--max-tries=5", "-f", str(ROOT / "bench" / "issuance.pgbench"),
                             f"{ADMIN_URL}/{database}"], text=True, capture_output=True)
    found = re.search(r"tps = ([\d.]+)", result.stdout)
    if result.returncode != 0 or not found:
        lines = result.stderr.strip().splitlines() or ["no output"]
        error = next((line for line in lines if "ERROR" in line), lines[-1])
        log(f"pgbench failed: {error}")
        return {"clients": clients, "path": path, "tps": float("nan"), "error": error, "cold": cold}
    tps = float(found.group(1)) * batch
    # Keep the outbox of later runs free of pgbench's rows.
    psql("DELETE FROM certificate_outbox_pending WHERE message_key LIKE 'pgbench-%'", database)
    # The dead rows would slow the relay's lease scans of the runs after.
    psql("VACUUM ANALYZE certificate_outbox_pending", database)
    return {"clients": clients, "path": path, "tps": tps, "batch": batch, "cold": cold}


COLD_DATABASE = DATABASE + "_cold"


def cold_pgbench(batch):
    """pgbench's cold point: a database of its own, migrated and analyzed
    empty as the service's was, then the new-row path."""
    run(["psql", f"{ADMIN_URL}/postgres", "-qtAX", "-c", f"DROP DATABASE IF EXISTS {COLD_DATABASE} WITH (FORCE)"])
    run(["psql", f"{ADMIN_URL}/postgres", "-qtAX", "-c", f"CREATE DATABASE {COLD_DATABASE}"])
    env = dict(os.environ, DATABASE_URL=f"{ADMIN_URL}/{COLD_DATABASE}", RUST_LOG="warn")
    subprocess.run([str(RELEASE / "certificate-service"), "migrate"], env=env, check=True, stdout=subprocess.DEVNULL)
    psql("ANALYZE", COLD_DATABASE)
    try:
        return pgbench(16, "new", batch, COLD_DATABASE, cold=True)
    finally:
        run(["psql", f"{ADMIN_URL}/postgres", "-qtAX", "-c", f"DROP DATABASE IF EXISTS {COLD_DATABASE} WITH (FORCE)"])


BACKLOG_PAYLOAD = ('{"eventId":"00000000-0000-4000-8000-000000000000","eventType":"COURSE_STATUS_UPDATED",'
                   '"timestamp":"2026-11-26T10:30:00.000Z","data":{"userId":"af771398-bc1a-4350-b849-907561d25957",'
                   '"courseId":"do_21430769261883392012483","courseName":"Introduction to Programming",'
                   '"certificateId":"did:upai:cert0123456789abcdef0123456789abcdef","firstName":"John","lastName":"Doe",'
                   '"issuanceDate":"2025-10-13T00:00:00.000Z","expirationDate":"2026-10-13T00:00:00.000Z",'
                   '"status":"viewCertificate","eventType":"CERTIFICATE_ISSUED"}}')


def register_event_schema(topic):
    """Makes the bench's broker validate the topic's records, as production's would (schemas/)."""
    registry = ROOT / ".tmp" / "schemas"
    registry.mkdir(parents=True, exist_ok=True)
    (registry / f"{topic}.json").write_text((ROOT / "schemas" / "user-topic.json").read_text())


def relay_run(service, keys):
    """A backlog of distinct learners' events over `keys` courses, drained by
    the service's poller, against a raw producer sending the same records."""
    service.stop()
    log(f"seeding a backlog of {RELAY_BACKLOG} pending events over {keys} keys")
    psql(f"""WITH event AS (
                 INSERT INTO certificate_outbox (event_id, message_key, user_id, payload)
                 SELECT gen_random_uuid(), 'relay-backlog-{keys}-' || (n % {keys}), gen_random_uuid(), '{BACKLOG_PAYLOAD}'
                   FROM generate_series(1, {RELAY_BACKLOG}) AS n
              RETURNING id, user_id, message_key, created_at)
             INSERT INTO certificate_outbox_pending (id, user_id, message_key, created_at, next_attempt_at)
             SELECT id, user_id, message_key, created_at, created_at FROM event""")
    service.start()
    started = time.monotonic()
    wait_for(lambda: undelivered() == 0, 900, "the relay to drain the backlog", every=DRAIN_POLL_S)
    relay_seconds = time.monotonic() - started
    raw_topic = f"bench-raw-{keys}-{int(time.time())}"
    register_event_schema(raw_topic)
    raw = json.loads(run([str(RELEASE / "certificate-bench"), "produce", raw_topic, BROKERS, str(RELAY_BACKLOG),
                          str(keys)]))
    return {"keys": keys, "relay_eps": RELAY_BACKLOG / relay_seconds, "raw_eps": RELAY_BACKLOG / raw["seconds"],
            "relay_s": relay_seconds, "raw_s": raw["seconds"]}


def upstream_alone():
    result = wrk(16, 10, "upstream", script="upstream.lua", url=f"http://{UPSTREAM}/credentials/issue")
    return {"rps": result["requests"] / (result["duration_us"] / 1e6), "p99_ms": result["p99_us"] / 1000}


def reset_database():
    run(["psql", f"{ADMIN_URL}/postgres", "-qtAX", "-c", f"DROP DATABASE IF EXISTS {DATABASE} WITH (FORCE)"])
    run(["psql", f"{ADMIN_URL}/postgres", "-qtAX", "-c", f"CREATE DATABASE {DATABASE}"])


def machine():
    memory_kb = int(Path("/proc/meminfo").read_text().split()[1])
    cpu = next((l.split(":", 1)[1].strip() for l in Path("/proc/cpuinfo").read_text().splitlines()
                if l.startswith("model name")), "unknown cpu")
    return f"{os.cpu_count()} cores ({cpu}), {memory_kb / 1024 / 1024:.0f} GiB"


def stamped(**fields):
    """A report's figures with when, on which commit and on what machine they were measured."""
    commit = run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT).strip()
    return {"date": datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC"), "commit": commit,
            "machine": machine(), **fields}


def publish(report, text, name):
    """Keeps `report` as .tmp/bench/<name>.json, prints its table and appends it to BENCHMARKS.md."""
    (STATE / f"{name}.json").write_text(json.dumps(report, indent=2))
    print(text)
    with open(ROOT / "BENCHMARKS.md", "a") as out:
        out.write("\n" + text)


def table(report):
    lines = [
        f"### {report['date']} — commit {report['commit']}",
        "",
        f"Machine: {report['machine']}. Warm-up {WARMUP_S} s, measured {MEASURE_S} s per run; wrk, Postgres, "
        f"tansu, the upstream fake and the service share the machine. The service runs at RUST_LOG={RUST_LOG}"
        + (" (its default, as in production)." if RUST_LOG == "info" else "."),
        "",
        "| path | client | conns | req/s | p50 ms | p90 ms | p99 ms | max ms | non-2xx | peak RSS MiB | service CPU | Postgres CPU | service µs/issue | Postgres µs/issue | rows per statement | pgbench issuances/s | service ÷ pgbench | pending at stop | drained after s | lag p50 ms | lag p99 ms | rows = 2xx | events = 2xx |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in report["issue"]:
        pg = next((p for p in report["pgbench"] if p["clients"] == r["connections"] and p["path"] == r["path"]
                   and p.get("cold", False) == r.get("cold", False)), None)
        pg = pg if r["client"] == "reqwest" else None
        pg_cells = f"{pg['tps']:.0f} (×{pg['batch']}) | {r['rps'] / pg['tps']:.0%}" if pg else "— | —"
        rows_note = "yes" if r["rows"] == r["ok"] else f"{r['rows']} vs {r['ok']} ({r['in_flight_at_stop']} in flight at stop)"
        events_note = "yes" if r["events"] == r["rows"] else f"{r['events']} vs {r['rows']} rows"
        path = f"{r['path']} (cold)" if r.get("cold") else r["path"]
        lines.append(
            f"| {path} | {r['client']} | {r['connections']} | {r['rps']:.0f} | {r['p50_ms']:.1f} | {r['p90_ms']:.1f} | "
            f"{r['p99_ms']:.1f} | {r['max_ms']:.1f} | {r['non_2xx'] + r['socket_errors']} | {r['peak_rss_mib']:.1f} | "
            f"{r['service_cpu']:.2f} | {r['postgres_cpu']:.2f} | {r['service_cpu'] * 1e6 / r['rps']:.0f} | "
            f"{r['postgres_cpu'] * 1e6 / r['rps']:.0f} | {r['batch']:.1f} | {pg_cells} | {r['pending_at_stop']} | "
            f"{r['drain_s']:.2f} | {r['lag_p50_ms']:.1f} | {r['lag_p99_ms']:.1f} | {rows_note} | {events_note} |")
    lines += ["", "| measure | figure |", "|---|---|"]
    cold = next((r for r in report["issue"] if r.get("cold")), None)
    warm = next((r for r in report["issue"] if not r.get("cold") and r["path"] == "new" and r["connections"] == 16
                 and r["client"] == "reqwest"), None)
    if cold and warm:
        per_issue = lambda r: r["postgres_cpu"] * 1e6 / r["rps"]
        lines.append(f"| Postgres µs/issue, new/16: cold ÷ warm (target ≤ 1.3×) | {per_issue(cold):.0f} ÷ "
                     f"{per_issue(warm):.0f} = {per_issue(cold) / per_issue(warm):.2f}× |")
    lines += [
        f"| upstream fake alone (16 conns, credential endpoint) | {report['upstream']['rps']:.0f} req/s, p99 {report['upstream']['p99_ms']:.1f} ms |",
    ]
    for relay in report["relay"]:
        lines += [
            f"| relay: {RELAY_BACKLOG} pending events over {relay['keys']} keys drained | {relay['relay_s']:.1f} s = {relay['relay_eps']:.0f} events/s |",
            f"| raw rdkafka producer, same records over {relay['keys']} keys, same broker | {relay['raw_s']:.1f} s = {relay['raw_eps']:.0f} events/s |",
            f"| relay ÷ raw producer, {relay['keys']} keys | {relay['relay_eps'] / relay['raw_eps']:.0%} |",
        ]
    lines += [
        f"| start to ready (/health/ready 200, migrations applied) | {report['start_s'] * 1000:.0f} ms |",
        f"| RSS when idle (after start) | {report['idle_rss_mib']:.1f} MiB |",
        "",
        "new (cold): the first point, with no warm-up, from the service's first request on a fresh database whose "
        "tables were analyzed empty (as a new deployment's may be); pgbench's cold point runs on a database of its "
        "own made the same way; the warm points after it start with the database analyzed (VACUUM ANALYZE). "
        "CPU is in cores (1.00 = one core busy for the whole run); µs/issue is that CPU time divided by the 2xx "
        "answers (Postgres's includes the relay's statements). Rows per statement: claims and records each statement "
        "carried (group commit, the service's certificate_db_batched_* counters); pgbench runs the same two "
        "statements with that many rows (rounded) and its transactions per second × rows are the issuances/s "
        "Postgres alone sustains. Client: the HTTP client of the upstream calls "
        "(UPSTREAM_CLIENT). Paths: new = a fresh course per request, existing = "
        "an enrolled learner's row, hot = fresh learners all of one course (every event the same key). \"pending at "
        "stop\": undelivered outbox events when wrk stopped; \"drained after\": until none was. Lag: commit to broker "
        "acknowledgement per event of the run, from the service's certificate_event_publish_lag_seconds histogram "
        "(25% buckets, interpolated; stamped just before the commit, so slightly overstated). "
        "\"rows = 2xx\": certificates recorded for the run against 2xx answers; \"events = 2xx\": distinct event ids "
        "of the run in the topic once the relay drained.",
        "",
    ]
    return "\n".join(lines)


def prepared(*targets):
    """The state directory, the release build of certificate-service and `targets` (cargo's own
    arguments: "-p", "upstream-fake", ...), and Postgres running: what each bench script needs first."""
    STATE.mkdir(parents=True, exist_ok=True)
    log("building the release binaries (several minutes on a fresh checkout)")
    subprocess.run(["cargo", "build", "--release", "--quiet", "-p", "certificate-service", *targets], check=True, cwd=ROOT)
    subprocess.run([str(ROOT / "deploy/local/postgres.sh")], check=True, stdout=subprocess.DEVNULL)


def main():
    prepared("-p", "upstream-fake", "-p", "certificate-bench")
    subprocess.run([str(ROOT / "deploy/local/tansu.sh"), "start"], check=True, env=dict(os.environ, TANSU_PORT=str(BROKER_PORT)))
    fake = subprocess.Popen([str(RELEASE / "upstream-fake"), UPSTREAM, "2"], stdout=subprocess.DEVNULL)
    service = Service(f"bench-{int(time.time())}")
    register_event_schema(service.topic)
    try:
        reset_database()
        wait_for(lambda: http_status(f"http://{UPSTREAM}/") != 0, 10, "the upstream fake")
        log("measuring the upstream fake alone")
        upstream = upstream_alone()
        start_s = service.start()
        time.sleep(1)
        idle_rss_mib = proc_status(service.pid, "VmRSS") / 1024
        run_id = f"r{int(time.time())}"
        issue, pgbench_runs = [], []
        # A new deployment: every table analyzed while empty (BENCHMARKS.md, "Cold databases").
        psql("ANALYZE")
        log("issue path=new connections=16 on the cold database (no warm-up)")
        issue.append(issue_run(service, 16, "new", run_id + "c", cold=True))
        log("pgbench path=new clients=16 on a cold database of its own")
        pgbench_runs.append(cold_pgbench(issue[-1]["batch"]))
        psql("VACUUM ANALYZE")
        for path in ["new", "existing"]:
            for connections in CONNECTIONS:
                log(f"issue path={path} connections={connections}")
                issue.append(issue_run(service, connections, path, run_id))
                log(f"pgbench path={path} clients={connections}")
                pgbench_runs.append(pgbench(connections, path, issue[-1]["batch"]))
        log("issue path=hot connections=16")
        issue.append(issue_run(service, 16, "hot", run_id))
        relay = []
        for keys in RELAY_KEYS:
            log(f"relay backlog over {keys} keys")
            relay.append(relay_run(service, keys))
        service.stop()
        service = Service(service.topic, {"UPSTREAM_CLIENT": "ureq"})
        service.start()
        log("issue path=new connections=16 client=ureq")
        issue.append(issue_run(service, 16, "new", run_id + "u"))
        report = stamped(issue=issue, pgbench=pgbench_runs, relay=relay, upstream=upstream, start_s=start_s,
                         idle_rss_mib=idle_rss_mib)
        publish(report, table(report), "last")
    finally:
        service.stop()
        fake.terminate()
        subprocess.run([str(ROOT / "deploy/local/tansu.sh"), "stop"], env=dict(os.environ, TANSU_PORT=str(BROKER_PORT)))


if __name__ == "__main__":
    main()
