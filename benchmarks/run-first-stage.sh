#!/usr/bin/env bash
# First stages other than BM25, each against BM25 on the test split (docs/benchmarks.md): BM25 with RM3 expansion
# (--expand rm3), hybrid search with the built-in GloVe embedder at Sift's defaults (RRF, dense weight 0.5, pool 100),
# and hybrid after sift tune chose fusion, dense weight and pool on the train split. Each corpus ingested with vectors;
# every run compared with BM25 (paired bootstrap; permutation p).
# Usage: benchmarks/run-first-stage.sh [OUT]   (default benchmarks/learned/first-stage.txt)
set -euo pipefail
cd "$(dirname "$0")/.."
out=${1:-benchmarks/learned/first-stage.txt}
data=${SIFT_DATASETS:-../shared/datasets}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
dotnet build src/Sift.Cli -c Release -v quiet -nologo >/dev/null
sift() { dotnet src/Sift.Cli/bin/Release/net10.0/sift.dll --store "$work/store" "$@"; }
# eval compare exits 3 when the second run is significantly worse: a result to print here, not a failure.
compare() { sift eval compare "$@" || [ $? -eq 3 ]; }
mkdir -p "$(dirname "$out")"
{
  echo "# First stages, $(date -u +%Y-%m-%d), $(nproc) cores, $(dotnet --version)"
  for dataset in scifact nfcorpus; do
    echo "## $dataset"
    sift eval retrieval --dataset "$data/$dataset" --collection "$dataset" --out "$work/$dataset-bm25.json" | grep -E "ndcg@10 "
    echo "### BM25 + RM3"
    sift eval retrieval --dataset "$data/$dataset" --collection "$dataset" --expand rm3 --out "$work/$dataset-rm3.json" | grep -E "ndcg@10 "
    compare "$work/$dataset-bm25.json" "$work/$dataset-rm3.json" --metrics ndcg@10 recall@100
    echo "### hybrid, defaults"
    sift eval retrieval --dataset "$data/$dataset" --collection "$dataset" --mode hybrid --out "$work/$dataset-hybrid.json" | grep -E "ndcg@10 "
    compare "$work/$dataset-bm25.json" "$work/$dataset-hybrid.json" --metrics ndcg@10 recall@100
    echo "### hybrid, tuned on train"
    sift tune -c "$dataset" --dataset "$data/$dataset" --split train
    sift eval retrieval --dataset "$data/$dataset" --collection "$dataset" --mode hybrid --out "$work/$dataset-tuned.json" | grep -E "ndcg@10 "
    compare "$work/$dataset-bm25.json" "$work/$dataset-tuned.json" --metrics ndcg@10 recall@100
  done
} 2>&1 | tee "$out"
