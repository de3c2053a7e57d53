#!/usr/bin/env bash
# Load test of `sift serve` on loopback over SciFact (5,183 documents): search (bm25, hybrid) and extractive ask at
# 1, 8 and 64 connections with wrk, caches off so every request runs the engine; then an optional soak at 8
# connections with RSS sampled every 10 s. Needs: wrk (apt-get install wrk), python3.
#   benchmarks/run-server-load.sh [DATASET_DIR]            DURATION=15s per run (default), after a warm-up to steady
#                                                          state at each concurrency; RUNS=5 measures 5 runs each;
#                                                          SCENARIOS="search-bm25" and CONNECTIONS="8" keep only
#                                                          those (a fresh server each call)
#   SOAK_SECONDS=600 benchmarks/run-server-load.sh         adds the 10-minute soak (SOAK_ONLY=1: only the soak)
#   CACHE_SECONDS=180 SOAK_ONLY=1 benchmarks/run-server-load.sh  memory with the caches on: every question new,
#                                                          RSS sampled every 20 s
#   PROFILE=search-bm25 SOAK_ONLY=1 benchmarks/run-server-load.sh  where the time goes (also search-hybrid,
#                                                          ask-extractive): dotnet-trace for 15 s of a c=8 run, folded
#                                                          into inclusive shares of busy time per method
set -euo pipefail
cd "$(dirname "$0")/.."
dataset=${1:-../shared/datasets/scifact}
duration=${DURATION:-15s}
soak=${SOAK_SECONDS:-0}
port=${PORT:-18181}
work=$(mktemp -d)
trap 'kill $server 2>/dev/null || true; rm -rf "$work"' EXIT

dotnet build -c Release src/Sift.Cli -v q -nologo >/dev/null
sift() { dotnet src/Sift.Cli/bin/Release/net10.0/sift.dll --store "$work/store" "$@"; }
sift ingest "$dataset/corpus.jsonl" -c scifact --chunker document >/dev/null
export KEY=$(sift keys create --name load --scopes read --collections scifact --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["secret"])')

python3 - "$dataset" "$work" <<'PY'
import json, sys
dataset, work = sys.argv[1], sys.argv[2]
tested = {line.split("\t")[0] for line in open(f"{dataset}/qrels/test.tsv") if not line.startswith("query-id")}
queries = [q["text"] for q in map(json.loads, open(f"{dataset}/queries.jsonl")) if q["_id"] in tested]
with open(f"{work}/search-bm25.jsonl", "w") as f:
    for q in queries: f.write(json.dumps({"query": q, "k": 10, "mode": "bm25"}) + "\n")
with open(f"{work}/search-hybrid.jsonl", "w") as f:
    for q in queries: f.write(json.dumps({"query": q, "k": 10, "mode": "hybrid"}) + "\n")
with open(f"{work}/ask.jsonl", "w") as f:
    for q in queries: f.write(json.dumps({"question": q, "k": 10}) + "\n")
import random
random.seed(1)
words = sorted({w for q in queries for w in q.lower().replace(".", "").replace(",", "").split()})
with open(f"{work}/ask-unique.jsonl", "w") as f:
    for i in range(300000): f.write(json.dumps({"question": " ".join(random.sample(words, 6)) + f" q{i}?", "k": 10}) + "\n")
PY

dotnet src/Sift.Cli/bin/Release/net10.0/sift.dll --store "$work/store" serve --urls "http://127.0.0.1:$port" --no-cache --rate-limit 100000000 >"$work/server.log" 2>&1 &
server=$!
for _ in $(seq 1 100); do curl -sf "http://127.0.0.1:$port/healthz" >/dev/null && break; sleep 0.2; done

run() { # name path bodies connections duration
  BODIES_FILE="$work/$3" REQUEST_PATH="$2" wrk -t "$(( $4 < 2 ? 1 : 2 ))" -c "$4" -d "$5" --timeout 10s -s benchmarks/server-load/request.lua "http://127.0.0.1:$port" \
    | grep RESULT | sed "s/^RESULT/$1 c=$4/"
}

# Warm-up to steady state: 5 s windows at the measured concurrency until two in a row agree within 5% on requests/s
# (at least 3, at most 12). The first 15-20 s under load run partly in tier-0 code: the runtime waits for 100 ms
# without new tier-0 JIT before it counts calls for promotion, and a loaded server keeps jitting rarely used paths
# (see docs/benchmarks.md). The windows are printed, so the cold start is visible too.
steady() { # name path bodies connections
  local previous=0 window line rps
  for window in $(seq 1 12); do
    line=$(run "$1" "$2" "$3" "$4" 5s)
    echo "  warm-up $window: ${line#* c=$4 }"
    rps=$(sed 's/.*rps=\([0-9.]*\).*/\1/' <<<"$line")
    if [ "$window" -ge 3 ] && python3 -c "import sys; a, b = float(sys.argv[1]), float(sys.argv[2]); sys.exit(0 if b > 0 and abs(a - b) / b <= 0.05 else 1)" "$rps" "$previous"; then
      break
    fi
    previous=$rps
  done
}

echo "# $(date -u +%Y-%m-%dT%H:%MZ) $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), load average $(cut -d' ' -f1-3 /proc/loadavg)"
if [ "${COUNTERS:-0}" = 1 ]; then # the runtime's JIT, GC and thread-pool counters every 5 s, summarised at the end
  export PATH="$PATH:$HOME/.dotnet/tools"
  command -v dotnet-counters >/dev/null || dotnet tool install -g dotnet-counters >/dev/null
  dotnet-counters collect -p $server --counters System.Runtime --refresh-interval 5 --format csv -o "$work/counters.csv" >/dev/null &
  counters=$!
  sleep 1
fi
[ "${SOAK_ONLY:-0}" = 1 ] || for scenario in "search-bm25 /v1/collections/scifact/search search-bm25.jsonl" \
                "search-hybrid /v1/collections/scifact/search search-hybrid.jsonl" \
                "ask-extractive /v1/collections/scifact/ask ask.jsonl"; do
  set -- $scenario
  [[ " ${SCENARIOS:-search-bm25 search-hybrid ask-extractive} " == *" $1 "* ]] || continue
  for connections in ${CONNECTIONS:-1 8 64}; do
    steady "$1" "$2" "$3" "$connections"
    for _ in $(seq 1 "${RUNS:-1}"); do run "$1" "$2" "$3" "$connections" "$duration"; done
  done
done

if [ -n "${counters:-}" ]; then
  kill $counters; wait $counters 2>/dev/null || true
  python3 benchmarks/server-load/summarise-counters.py "$work/counters.csv"
fi

if [ "$soak" -gt 0 ]; then
  (while kill -0 $server 2>/dev/null; do echo "rss_kb $(date +%s) $(grep VmRSS /proc/$server/status | awk '{print $2}')"; sleep 10; done) >"$work/rss.log" &
  sampler=$!
  run "soak-search-bm25" /v1/collections/scifact/search search-bm25.jsonl 8 "${soak}s"
  kill $sampler
  awk 'NR==1{first=$3} {last=$3; if ($3>max) max=$3} END {printf "soak rss_kb first=%d last=%d max=%d samples=%d\n", first, last, max, NR}' "$work/rss.log"
  # One sample a minute, so flatness can be judged.
  awk 'NR%6==1 {printf "soak rss_mb minute=%d %.0f\n", (NR-1)/6, $3/1024}' "$work/rss.log"
fi

if [ -n "${PROFILE:-}" ]; then
  export PATH="$PATH:$HOME/.dotnet/tools"
  command -v dotnet-trace >/dev/null || dotnet tool install -g dotnet-trace >/dev/null
  case $PROFILE in
    search-bm25|search-hybrid) target=/v1/collections/scifact/search; bodies=$PROFILE.jsonl ;;
    ask-extractive) target=/v1/collections/scifact/ask; bodies=ask.jsonl ;;
    *) echo "PROFILE must be search-bm25, search-hybrid or ask-extractive" >&2; exit 2 ;;
  esac
  steady "$PROFILE" "$target" "$bodies" 8 >/dev/null
  run "$PROFILE" "$target" "$bodies" 8 25s >/dev/null &
  loader=$!
  sleep 5
  dotnet-trace collect -p $server --profile dotnet-sampled-thread-time --duration 00:00:00:15 --format speedscope -o "$work/trace.nettrace" >/dev/null
  wait $loader
  python3 benchmarks/profile/fold-speedscope.py "$work/trace.speedscope.json" "Sift|PollGC" | head -40
fi

if [ "${CACHE_SECONDS:-0}" -gt 0 ]; then
  kill $server; wait $server 2>/dev/null || true
  dotnet src/Sift.Cli/bin/Release/net10.0/sift.dll --store "$work/store" serve --urls "http://127.0.0.1:$port" --rate-limit 100000000 >"$work/server-cached.log" 2>&1 &
  server=$!
  for _ in $(seq 1 100); do curl -sf "http://127.0.0.1:$port/healthz" >/dev/null && break; sleep 0.2; done
  (while kill -0 $server 2>/dev/null; do sleep 20; echo "cache rss_mb $(( $(grep VmRSS /proc/$server/status | awk '{print $2}') / 1024 ))"; done) &
  sampler=$!
  run "cached-ask-unique" /v1/collections/scifact/ask ask-unique.jsonl 8 "${CACHE_SECONDS}s"
  kill $sampler
fi
