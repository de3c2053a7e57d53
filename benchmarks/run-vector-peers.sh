#!/usr/bin/env bash
# Side-by-side HNSW benchmark: Sift vs hnswlib (hnswlib-node) vs USearch on the same 200k clustered 384-d vectors,
# same M / efConstruction / efSearch, one thread each. Needs Node.js 20+, npm and a C++ compiler (hnswlib-node builds
# from source). Usage: benchmarks/run-vector-peers.sh [WORK_DIR]
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
work="${1:-$(mktemp -d)}"

(cd "$here/vector-peers" && npm install --no-audit --no-fund && npm rebuild hnswlib-node)
dotnet run -c Release --project "$here/Sift.Benchmarks" -- vectors-synthetic "$work"
node "$here/vector-peers/run.mjs" "$work"
