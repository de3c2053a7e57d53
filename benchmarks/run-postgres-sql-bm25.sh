#!/usr/bin/env bash
# BM25 for a PostgreSQL store, in memory (Sift) vs in SQL over a postings table (docs/decisions/0004), on a throwaway
# PostgreSQL 15 cluster, for each dataset given (default SciFact and NFCorpus).
set -euo pipefail
cd "$(dirname "$0")/.."
datasets=("$@")
[ ${#datasets[@]} -gt 0 ] || datasets=(../shared/datasets/scifact ../shared/datasets/nfcorpus)
source benchmarks/postgres/cluster.sh
trap pg_stop EXIT
dotnet build -c Release benchmarks/Sift.Benchmarks -v q -nologo >/dev/null
for dataset in "${datasets[@]}"; do
  dotnet benchmarks/Sift.Benchmarks/bin/Release/net10.0/Sift.Benchmarks.dll sql-bm25 "$PG_ADDRESS" "$dataset"
done
