#!/usr/bin/env bash
# HTTP requests/s at 8 connections in one run, side by side: one `sift serve` on the embedded store, one on a
# PostgreSQL store, and two on the same PostgreSQL store (two wrk processes of 4 connections each, one per server, their
# throughput summed). SciFact, search (bm25 and hybrid), caches off; each case warms up to steady state (5 s windows
# until two agree within 5%), then measures DURATION (15 s). On 2 cores the servers, PostgreSQL and wrk share the
# same cores: the pair cannot add throughput here, so the per-core figure is printed too. Needs wrk and python3.
#   benchmarks/run-postgres-server-load.sh [DATASET_DIR]      SCENARIOS="search-bm25 search-hybrid" DURATION=15s
set -euo pipefail
cd "$(dirname "$0")/.."
dataset=${1:-../shared/datasets/scifact}
duration=${DURATION:-15s}
work=$(mktemp -d)
servers=()
source benchmarks/postgres/cluster.sh
cleanup() { for s in "${servers[@]}"; do kill "$s" 2>/dev/null || true; wait "$s" 2>/dev/null || true; done; pg_stop; rm -rf "$work"; }
trap cleanup EXIT

dotnet build -c Release src/Sift.Cli -v q -nologo >/dev/null
sift() { dotnet src/Sift.Cli/bin/Release/net10.0/sift.dll "$@"; }
sift --store "$work/embedded" ingest "$dataset/corpus.jsonl" -c scifact --chunker document >/dev/null
sift --store "$PG_ADDRESS" ingest "$dataset/corpus.jsonl" -c scifact --chunker document >/dev/null
key() { sift --store "$1" keys create --name load --scopes read --collections scifact --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["secret"])'; }
key "$work/embedded" >"$work/embedded.key"
key "$PG_ADDRESS" >"$work/home-a.key" # keys of a PostgreSQL store are in its database: one key for both servers
cp "$work/home-a.key" "$work/home-b.key"
python3 - "$dataset" "$work" <<'PY'
import json, sys
dataset, work = sys.argv[1], sys.argv[2]
tested = {line.split("\t")[0] for line in open(f"{dataset}/qrels/test.tsv") if not line.startswith("query-id")}
queries = [q["text"] for q in map(json.loads, open(f"{dataset}/queries.jsonl")) if q["_id"] in tested]
for mode in ("bm25", "hybrid"):
    with open(f"{work}/search-{mode}.jsonl", "w") as f:
        for q in queries: f.write(json.dumps({"query": q, "k": 10, "mode": mode}) + "\n")
PY

start() { # home store port
  SIFT_HOME="$work/$1" SIFT_STORE="$2" dotnet src/Sift.Cli/bin/Release/net10.0/sift.dll serve --urls "http://127.0.0.1:$3" --no-cache --rate-limit 100000000 >"$work/$1-$3.log" 2>&1 &
  servers+=($!)
  for _ in $(seq 1 150); do curl -sf "http://127.0.0.1:$3/readyz" -H "Authorization: Bearer $(cat "$work/$1.key")" >/dev/null && return; sleep 0.2; done
  echo "server on $3 did not start" >&2; cat "$work/$1-$3.log" >&2; exit 1
}
wrk_on() { # port key-home bodies connections duration
  KEY=$(cat "$work/$2.key") BODIES_FILE="$work/$3" REQUEST_PATH=/v1/collections/scifact/search \
    wrk -t 2 -c "$4" -d "$5" --timeout 10s -s benchmarks/server-load/request.lua "http://127.0.0.1:$1" | grep RESULT
}
measure() { # label bodies "port:home ..." (connections split evenly)
  local label=$1 bodies=$2 targets=($3) each=$(( 8 / ${#targets[@]} )) previous=0 rps
  for window in $(seq 1 12); do # warm-up to steady state
    rps=0
    local loaders=()
    for t in "${targets[@]}"; do wrk_on "${t%%:*}" "${t#*:}" "$bodies" "$each" 5s >"$work/w-${t%%:*}" & loaders+=($!); done
    wait "${loaders[@]}"
    rps=$(cat "$work"/w-* | sed 's/.*rps=\([0-9.]*\).*/\1/' | paste -sd+ | bc); rm -f "$work"/w-*
    if [ "$window" -ge 3 ] && python3 -c "import sys; a,b=float(sys.argv[1]),float(sys.argv[2]); sys.exit(0 if b>0 and abs(a-b)/b<=0.05 else 1)" "$rps" "$previous"; then break; fi
    previous=$rps
  done
  local loaders=()
  for t in "${targets[@]}"; do wrk_on "${t%%:*}" "${t#*:}" "$bodies" "$each" "$duration" >"$work/m-${t%%:*}" & loaders+=($!); done
  wait "${loaders[@]}"
  python3 - "$label" "$work"/m-* <<'PY'
import re, sys
label, files = sys.argv[1], sys.argv[2:]
runs = [dict((k, float(v)) for k, v in re.findall(r"(\w+)=([\d.]+)", open(f).read())) for f in files]
rps = sum(r["rps"] for r in runs)
print(f"{label:48s} {rps:8.0f} req/s ({rps/2:6.0f} per core)  p50 {max(r['p50'] for r in runs):6.2f} ms  p99 {max(r['p99'] for r in runs):6.2f} ms  errors {sum(r['errors']+r['non2xx'] for r in runs):.0f}")
PY
  rm -f "$work"/m-*
}

echo "# $(date -u +%Y-%m-%dT%H:%MZ) $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), load average $(cut -d' ' -f1-3 /proc/loadavg)"
for scenario in ${SCENARIOS:-search-bm25 search-hybrid}; do
  start embedded "$work/embedded" 18301
  measure "$scenario: one server, embedded store" "$scenario.jsonl" "18301:embedded"
  kill "${servers[-1]}"; wait "${servers[-1]}" 2>/dev/null || true; unset 'servers[-1]'
  start home-a "$PG_ADDRESS" 18302
  measure "$scenario: one server, PostgreSQL" "$scenario.jsonl" "18302:home-a"
  start home-b "$PG_ADDRESS" 18303
  measure "$scenario: two servers, one PostgreSQL" "$scenario.jsonl" "18302:home-a 18303:home-b"
  for s in "${servers[@]}"; do kill "$s" 2>/dev/null || true; wait "$s" 2>/dev/null || true; done; servers=()
done
