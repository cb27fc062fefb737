#!/usr/bin/env bash
# start | stop the tansu broker on 127.0.0.1:${TANSU_PORT:-9092}, memory storage,
# with its schema registry on $STATE_DIR/schemas: every record produced to a
# topic that has a <topic>.json there is validated against it (schemas/,
# docs/events.md, "The event contract"). user-topic's file is put there at start; the
# tests and the bench add one per topic they use.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/../.." && pwd)
PORT=${TANSU_PORT:-9092}
STATE_DIR=${STATE_DIR:-$ROOT/.tmp}
PIDFILE="$STATE_DIR/tansu-$PORT.pid"
mkdir -p "$STATE_DIR/schemas"
cp "$ROOT/schemas/user-topic.json" "$STATE_DIR/schemas/"

running() { [ -f "$PIDFILE" ] && kill -0 "$(cat "$PIDFILE")" 2>/dev/null; }

case "${1:-start}" in
start)
    if running; then echo "tansu: already running on $PORT"; exit 0; fi
    # Another broker on the port (another checkout's) would be used silently,
    # with another schema registry: refuse instead.
    if (exec 3<>"/dev/tcp/127.0.0.1/$PORT") 2>/dev/null; then
        echo "tansu: port $PORT is taken by another process (another checkout's broker?); stop it or set TANSU_PORT" >&2
        exit 1
    fi
    # tansu takes the registry's path relative to its working directory.
    (cd "$STATE_DIR" && exec nohup tansu broker \
        --listener-url "tcp://127.0.0.1:$PORT" \
        --advertised-listener-url "tcp://127.0.0.1:$PORT" \
        --schema-registry "file://./schemas" \
        --storage-engine memory://tansu/ >"$STATE_DIR/tansu-$PORT.log" 2>&1) &
    echo $! >"$PIDFILE"
    for _ in $(seq 1 100); do
        (exec 3<>"/dev/tcp/127.0.0.1/$PORT") 2>/dev/null && { echo "tansu: listening on 127.0.0.1:$PORT"; exit 0; }
        sleep 0.1
    done
    echo "tansu: did not start; see $STATE_DIR/tansu-$PORT.log" >&2
    exit 1
    ;;
stop)
    if running; then kill "$(cat "$PIDFILE")"; echo "tansu: stopped"; fi
    rm -f "$PIDFILE"
    ;;
*)
    echo "usage: $0 start|stop" >&2
    exit 2
    ;;
esac
