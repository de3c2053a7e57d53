#!/usr/bin/env bash
# Hybrid search with the built-in GloVe embedder, before and after sift tune (docs/benchmarks.md): each corpus ingested
# with vectors, its test split evaluated with BM25 and with --mode hybrid at Sift's defaults (RRF, dense weight 0.5,
# pool 100), then fusion, dense weight and pool chosen on the train split (sift tune) and the test split evaluated
# with --mode hybrid again; each hybrid run compared with BM25 (paired bootstrap; permutation p).
# Usage: benchmarks/run-tuned-hybrid.sh [OUT]   (default benchmarks/learned/hybrid.txt)
set -euo pipefail
cd "$(dirname "$0")/.."
out=${1:-benchmarks/learned/hybrid.txt}
data=${SIFT_DATASETS:-../shared/datasets}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
dotnet build src/Sift.Cli -c Release -v quiet -nologo >/dev/null
sift() { dotnet src/Sift.Cli/bin/Release/net10.0/sift.dll --store "$work/store" "$@"; }
mkdir -p "$(dirname "$out")"
{
  echo "# Tuned hybrid, $(date -u +%Y-%m-%d), $(nproc) cores, $(dotnet --version)"
  for dataset in scifact nfcorpus; do
    echo "## $dataset"
    sift eval retrieval --dataset "$data/$dataset" --collection "$dataset" --out "$work/$dataset-bm25.json" | grep -E "ndcg@10 "
    sift eval retrieval --dataset "$data/$dataset" --collection "$dataset" --mode hybrid --out "$work/$dataset-hybrid.json" | grep -E "ndcg@10 "
    sift eval compare "$work/$dataset-bm25.json" "$work/$dataset-hybrid.json" --metrics ndcg@10 recall@100
    sift tune -c "$dataset" --dataset "$data/$dataset" --split train
    sift eval retrieval --dataset "$data/$dataset" --collection "$dataset" --mode hybrid --out "$work/$dataset-tuned.json" | grep -E "ndcg@10 "
    sift eval compare "$work/$dataset-bm25.json" "$work/$dataset-tuned.json" --metrics ndcg@10 recall@100
  done
} 2>&1 | tee "$out"
