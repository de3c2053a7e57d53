#!/usr/bin/env bash
# The two stores side by side in one run: `sift bench retrieval` (ingest throughput, index load, per-mode nDCG@10 and
# single-thread latency at steady state, graph-search recall@10 against exact search) on the embedded store and on a
# throwaway PostgreSQL 15 + pgvector cluster, for each dataset given (default SciFact and NFCorpus test splits).
#   benchmarks/run-postgres-retrieval.sh [DATASET_DIR ...]     ROUNDS=5 WARM_UP=3 by default; OUT=folder for the JSON
set -euo pipefail
cd "$(dirname "$0")/.."
datasets=("$@")
[ ${#datasets[@]} -gt 0 ] || datasets=(../shared/datasets/scifact ../shared/datasets/nfcorpus)
out=${OUT:-benchmarks/postgres/results}
mkdir -p "$out"
source benchmarks/postgres/cluster.sh
trap pg_stop EXIT
dotnet build -c Release src/Sift.Cli -v q -nologo >/dev/null
sift() { dotnet src/Sift.Cli/bin/Release/net10.0/sift.dll "$@"; }
for dataset in "${datasets[@]}"; do
  name=$(basename "$dataset")
  for store in embedded postgres; do
    echo "== $name on $store ($(date -u +%H:%M:%S), load $(cut -d' ' -f1-3 /proc/loadavg))"
    args=(bench retrieval --dataset "$dataset" --rounds "${ROUNDS:-5}" --warm-up "${WARM_UP:-3}" --out "$out/$name-$store.json")
    [ "$store" = postgres ] && args+=(--store "$PG_ADDRESS")
    sift "${args[@]}"
  done
done
