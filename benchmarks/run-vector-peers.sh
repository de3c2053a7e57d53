#!/usr/bin/env bash
# Side-by-side HNSW benchmark: Sift vs hnswlib (hnswlib-node) vs USearch on the same 200k clustered 384-d vectors,
# same M / efConstruction / efSearch, one thread each, on equal terms: hnswlib is compiled for this CPU
# (-march=native, as Sift's SIMD uses what the CPU has; npm's default build is SSE-only), recall is counted by one
# rule for all (a hit is a result as close as the true 10th neighbour, as ann-benchmarks counts), and each q/s is the
# median of 5 passes over the queries after a warm-up pass, with min-max. hnswlib-node accepts only JS arrays (not
# Float32Array): queries are converted once, before timing; the conversion inside its binding is its API's cost.
# Needs Node.js 20+, npm and a C++ compiler. Usage: benchmarks/run-vector-peers.sh [WORK_DIR]
#   COUNT=1000000 uses that many vectors; PEERS=hnswlib (or usearch) runs only that peer; BEIR="DATASET_DIR..." runs
#   Sift and the peers on those corpora embedded with Sift's offline embedder instead of the synthetic set.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
work="${1:-$(mktemp -d)}"

(cd "$here/vector-peers" && npm install --no-audit --no-fund && CXXFLAGS=-march=native npm rebuild hnswlib-node)
if [ -n "${BEIR:-}" ]; then
  dotnet run -c Release --project "$here/Sift.Benchmarks" -- vectors-beir --out "$work" $BEIR
  for dataset in $BEIR; do node "$here/vector-peers/run.mjs" "$work/$(basename "$dataset")"; done
else
  dotnet run -c Release --project "$here/Sift.Benchmarks" -- vectors-synthetic "$work" "${COUNT:-200000}"
  node "$here/vector-peers/run.mjs" "$work"
fi
