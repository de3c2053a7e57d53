#!/usr/bin/env bash
# Sourced by the PostgreSQL benchmarks: starts a throwaway PostgreSQL 15 cluster with pgvector on a free loopback port
# (initdb in a temporary folder, as the postgres user when run as root), exports PG_ADDRESS (a database "sift") and
# stops and removes it on exit. Durable settings (fsync on): these are the numbers a user's server would give.
# Needs tools/postgres/install-pgvector.sh to have run (./test.sh runs it).
pg_bin=/usr/lib/postgresql/15/bin
pg_dir=$(mktemp -d /tmp/sift-pg-bench-XXXXXX)
pg_port=${PG_PORT:-$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')}
as_owner() { if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }
[ "$(id -u)" -eq 0 ] && chown postgres:postgres "$pg_dir"
as_owner "$pg_bin/initdb" -A trust -U postgres -D "$pg_dir/data" -E UTF8 --locale C >/dev/null
as_owner "$pg_bin/pg_ctl" -D "$pg_dir/data" -l "$pg_dir/log" -w -o "-p $pg_port -k $pg_dir -c listen_addresses=127.0.0.1 -c shared_buffers=1GB -c maintenance_work_mem=1GB -c max_connections=200" start >/dev/null
pg_stop() { as_owner "$pg_bin/pg_ctl" -D "$pg_dir/data" -m fast -w stop >/dev/null 2>&1 || true; rm -rf "$pg_dir"; }
"$pg_bin/psql" -h 127.0.0.1 -p "$pg_port" -U postgres -q -c "CREATE DATABASE sift" postgres
export PG_ADDRESS="postgres://postgres@127.0.0.1:$pg_port/sift"
