#!/usr/bin/env bash
# Disk (and so memory, to keep it cached) per chunk of the PostgreSQL store's vector tables, measured at COUNT rows
# (default 100,000) for 384 and 1024 dimensions on a throwaway PostgreSQL 15 + pgvector cluster: the table, its
# primary key and the HNSW index (m 16, ef_construction 200, Sift's defaults), built with 2 parallel workers. Random
# unit vectors: HNSW's size depends on the count and m, not on the values. Prints one line per dimension.
#   COUNT=100000 benchmarks/run-postgres-sizing.sh
set -euo pipefail
cd "$(dirname "$0")/.."
count=${COUNT:-100000}
source benchmarks/postgres/cluster.sh
trap pg_stop EXIT
psql() { /usr/lib/postgresql/15/bin/psql -X -q -t -A "$PG_ADDRESS" "$@"; }
psql -c "CREATE EXTENSION IF NOT EXISTS vector"
for dims in 384 1024; do
  started=$(date +%s.%N)
  psql -c "CREATE TABLE v$dims (chunk_id bigint PRIMARY KEY, embedding vector($dims) NOT NULL)"
  psql -c "INSERT INTO v$dims SELECT i, (SELECT array_agg(random() - 0.5) FROM generate_series(1, $dims) WHERE i > 0)::vector FROM generate_series(1, $count) AS i"
  loaded=$(date +%s.%N)
  psql -c "SET maintenance_work_mem = '2GB'; SET max_parallel_maintenance_workers = 2; CREATE INDEX ON v$dims USING hnsw (embedding vector_cosine_ops) WITH (m = 16, ef_construction = 200)"
  built=$(date +%s.%N)
  psql -F ' ' -c "SELECT $dims, $count, pg_relation_size('v$dims'), pg_indexes_size('v$dims'), pg_total_relation_size('v$dims')" | while read -r d n table indexes total; do
    python3 - "$d" "$n" "$table" "$indexes" "$total" "$started" "$loaded" "$built" <<'PY'
import sys
d, n, table, indexes, total = map(int, sys.argv[1:6]); started, loaded, built = map(float, sys.argv[6:9])
print(f"{d} dims, {n:,} vectors: table {table/n:,.0f} B/vector, indexes (primary key + HNSW) {indexes/n:,.0f} B/vector, "
      f"total {total/n:,.0f} B/vector = {total/n*1e6/2**30:.2f} GiB per million; load {loaded-started:.1f} s, HNSW build {built-loaded:.1f} s")
PY
  done
done
