#!/usr/bin/env bash
# The console's page weight and server time per page (docs/benchmarks.md), on SciFact: the corpus ingested by two
# retrieval evaluations (default BM25 and k1=0.3, b=0.1, so the Evaluations pages have two runs to compare), an
# admin key, sift serve on loopback without an LLM (answers are extractive) and without a rate limit (each page is
# fetched 56 times), and 500 searches in the query log.
# Usage: benchmarks/run-console-pages.sh [OUT]   (default benchmarks/console/results.md)
set -euo pipefail
cd "$(dirname "$0")/.."
out=${1:-benchmarks/console/results.md}
data=${SIFT_DATASETS:-../shared/datasets}/scifact
work=$(mktemp -d)
port=5093
dotnet build src/Sift.Cli -c Release -v quiet -nologo >/dev/null
dotnet build benchmarks/Sift.Benchmarks -c Release -v quiet -nologo >/dev/null
sift() { dotnet src/Sift.Cli/bin/Release/net10.0/sift.dll --store "$work/store" "$@"; }
sift eval retrieval --dataset "$data" --collection scifact --embedder none >/dev/null
sift eval retrieval --dataset "$data" --collection scifact --bm25-k1 0.3 --bm25-b 0.1 >/dev/null
key=$(sift keys create --name bench --scopes read ingest admin --collections '*' --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["secret"])')
# The server itself in the background (not through the function, whose subshell a kill would leave it behind).
dotnet src/Sift.Cli/bin/Release/net10.0/sift.dll --store "$work/store" serve --urls "http://127.0.0.1:$port" --rate-limit 1000000 >"$work/serve.log" 2>&1 &
server=$!
trap 'kill $server 2>/dev/null || true; wait $server 2>/dev/null || true; rm -rf "$work"' EXIT
for _ in $(seq 1 100); do curl -sf "http://127.0.0.1:$port/readyz" >/dev/null && break; sleep 0.3; done
mkdir -p "$(dirname "$out")"
{
  echo "# Console pages on SciFact ($(wc -l < "$data/corpus.jsonl") documents, 500 logged searches), $(date -u +%Y-%m-%d), $(nproc) cores, $(dotnet --version)"
  echo
  dotnet benchmarks/Sift.Benchmarks/bin/Release/net10.0/Sift.Benchmarks.dll console-pages "http://127.0.0.1:$port" "$key" scifact 500
} | tee "$out"
