#!/usr/bin/env bash
# start | stop the tansu broker on 127.0.0.1:${TANSU_PORT:-9092}, memory storage.
set -euo pipefail

PORT=${TANSU_PORT:-9092}
STATE_DIR=${STATE_DIR:-$(cd "$(dirname "$0")/../.." && pwd)/.tmp}
PIDFILE="$STATE_DIR/tansu-$PORT.pid"
mkdir -p "$STATE_DIR"

running() { [ -f "$PIDFILE" ] && kill -0 "$(cat "$PIDFILE")" 2>/dev/null; }

case "${1:-start}" in
start)
    if running; then echo "tansu: already running on $PORT"; exit 0; fi
    nohup tansu broker \
        --listener-url "tcp://127.0.0.1:$PORT" \
        --advertised-listener-url "tcp://127.0.0.1:$PORT" \
        --storage-engine memory://tansu/ >"$STATE_DIR/tansu-$PORT.log" 2>&1 &
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
