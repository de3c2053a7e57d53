#!/usr/bin/env bash
# The general ranker Sift ships (docs/benchmarks.md): SciFact and NFCorpus ingested (BM25), the settings compared by
# leaving one dataset out, the model trained on both train splits without judged priors and written to
# src/Sift.Models/Learned/general-ranker.json (the same trees on every run; only the time stamps in the zip ML.NET
# saves differ); then
# checked on a dataset it never saw: PubMedQA PQA-L as retrieval (1,000 questions, each with its own abstract),
# BM25 against the general ranker (sift train ranker --general), paired test.
# Usage: benchmarks/run-general-ranker.sh [OUT]   (default benchmarks/learned/general.txt)
set -euo pipefail
cd "$(dirname "$0")/.."
out=${1:-benchmarks/learned/general.txt}
data=${SIFT_DATASETS:-../shared/datasets}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
bench() { dotnet benchmarks/Sift.Benchmarks/bin/Release/net10.0/Sift.Benchmarks.dll "$@"; }
sift() { dotnet src/Sift.Cli/bin/Release/net10.0/sift.dll --store "$work/store" "$@"; }
# eval compare exits 3 when the second run is significantly worse: a result to print here, not a failure.
compare() { sift eval compare "$@" || [ $? -eq 3 ]; }
dotnet build benchmarks/Sift.Benchmarks -c Release -v quiet -nologo >/dev/null
mkdir -p "$(dirname "$out")"
{
  echo "# General ranker, $(date -u +%Y-%m-%d), $(nproc) cores, $(dotnet --version)"
  for dataset in scifact nfcorpus; do
    sift eval retrieval --dataset "$data/$dataset" --collection "$dataset" --embedder none --out "$work/$dataset.json" >/dev/null
  done
  bench general-ranker "$work/store" src/Sift.Models/Learned/general-ranker.json "$data/scifact" "$data/nfcorpus"
  # The CLI embeds the model just written.
  dotnet build src/Sift.Cli -c Release -v quiet -nologo >/dev/null
  bench pubmedqa-beir "$data/pubmedqa_pqal" "$work/pubmedqa"
  sift eval retrieval --dataset "$work/pubmedqa" --collection pubmedqa --embedder none --out "$work/pubmedqa-bm25.json" | grep -E "ndcg@10 "
  sift train ranker -c pubmedqa --general
  sift eval retrieval --dataset "$work/pubmedqa" --collection pubmedqa --out "$work/pubmedqa-general.json" | grep -E "ndcg@10 "
  compare "$work/pubmedqa-bm25.json" "$work/pubmedqa-general.json" --metrics ndcg@10 mrr@10 recall@100
} 2>&1 | tee "$out"
