#!/usr/bin/env bash
# The learned ranker on SciFact and NFCorpus (docs/benchmarks.md): each corpus ingested by sift eval retrieval (BM25,
# the test split), a ranker trained on the train split (sift train ranker: 3 folds by query, then all), the test split
# evaluated with and without it and compared (paired bootstrap; permutation p), the rerank stage timed alone, and each
# feature group left out in turn (trained on train, scored on test); last, the training settings tried on NFCorpus's
# dev split (how the default was chosen).
# Usage: benchmarks/run-learned-ranker.sh [OUT]   (default benchmarks/learned/results.txt)
set -euo pipefail
cd "$(dirname "$0")/.."
out=${1:-benchmarks/learned/results.txt}
data=${SIFT_DATASETS:-../shared/datasets}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
dotnet build src/Sift.Cli -c Release -v quiet -nologo >/dev/null
dotnet build benchmarks/Sift.Benchmarks -c Release -v quiet -nologo >/dev/null
sift() { dotnet src/Sift.Cli/bin/Release/net10.0/sift.dll --store "$work/store" "$@"; }
mkdir -p "$(dirname "$out")"
{
  echo "# Learned ranker, $(date -u +%Y-%m-%d), $(nproc) cores, $(dotnet --version)"
  for dataset in scifact nfcorpus; do
    echo "## $dataset"
    sift eval retrieval --dataset "$data/$dataset" --collection "$dataset" --embedder none --out "$work/$dataset-bm25.json" | grep -E "ndcg@10 "
    sift train ranker -c "$dataset" --dataset "$data/$dataset" --split train
    sift eval retrieval --dataset "$data/$dataset" --collection "$dataset" --out "$work/$dataset-learned.json" | grep -E "ndcg@10 |queries/s"
    sift eval compare "$work/$dataset-bm25.json" "$work/$dataset-learned.json" --metrics ndcg@10 recall@100
    dotnet benchmarks/Sift.Benchmarks/bin/Release/net10.0/Sift.Benchmarks.dll rerank "$work/store" "$dataset" "$data/$dataset"
    dotnet benchmarks/Sift.Benchmarks/bin/Release/net10.0/Sift.Benchmarks.dll ablation "$work/store" "$dataset" "$data/$dataset"
  done
  echo "## training settings chosen on NFCorpus dev"
  dotnet benchmarks/Sift.Benchmarks/bin/Release/net10.0/Sift.Benchmarks.dll ranker-dev "$work/store" nfcorpus "$data/nfcorpus" dev
} 2>&1 | tee "$out"
