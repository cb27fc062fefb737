#!/usr/bin/env bash
# Starts the machine's Postgres 15 cluster when it is not running, and gives
# the postgres role the password the tests and `make up` use (loopback only).
set -euo pipefail

PGPASSWORD_FOR_TESTS=${PGPASSWORD_FOR_TESTS:-postgres}

if ! pg_lsclusters -h 2>/dev/null | grep -q '^15 *main'; then
    pg_createcluster 15 main >/dev/null
fi
if ! pg_lsclusters -h | grep -q '^15 *main .* online'; then
    echo "postgres: starting cluster 15/main"
    pg_ctlcluster 15 main start
fi
for _ in $(seq 1 50); do
    pg_isready -q -h 127.0.0.1 -p 5432 && break
    sleep 0.2
done
su postgres -c "psql -qtA -c \"ALTER ROLE postgres PASSWORD '$PGPASSWORD_FOR_TESTS'\"" >/dev/null
su postgres -c "psql -qtA -c \"SELECT 1 FROM pg_database WHERE datname = 'certificates'\"" | grep -q 1 ||
    su postgres -c "createdb certificates"
# The tests create a database per test; plenty of connections for parallel runs.
current=$(su postgres -c "psql -qtA -c 'SHOW max_connections'")
if [ "$current" -lt 500 ]; then
    su postgres -c "psql -qtA -c 'ALTER SYSTEM SET max_connections = 500'" >/dev/null
    pg_ctlcluster 15 main restart
    for _ in $(seq 1 50); do pg_isready -q -h 127.0.0.1 -p 5432 && break; sleep 0.2; done
fi
echo "postgres: ready on 127.0.0.1:5432 (user postgres)"
