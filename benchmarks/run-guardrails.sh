#!/usr/bin/env bash
# Prompt-injection detectors on a labelled set built from BIPIA's training split (docs/guardrails.md): every attack
# inserted into BIPIA's benign contexts at the start, middle and end, the contexts clean, and look-alike sentences from
# the Debian documentation installed here; then sift eval guardrails on it; then the rule detector's cost and false
# positives over SciFact's and NFCorpus's abstracts.
# Usage: benchmarks/run-guardrails.sh [OUT]   (default benchmarks/guardrails/results.txt)
set -euo pipefail
cd "$(dirname "$0")/.."
out=${1:-benchmarks/guardrails/results.txt}
data=${SIFT_DATASETS:-../shared/datasets}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
dotnet build benchmarks/Sift.Benchmarks -c Release -v quiet -nologo >/dev/null
dotnet build src/Sift.Cli -c Release -v quiet -nologo >/dev/null
mkdir -p "$(dirname "$out")"
{
  echo "# Guardrails, $(date -u +%Y-%m-%d), $(nproc) cores, $(dotnet --version)"
  dotnet benchmarks/Sift.Benchmarks/bin/Release/net10.0/Sift.Benchmarks.dll guardrails-bipia "$data/bipia-train" "$work/set.jsonl"
  dotnet src/Sift.Cli/bin/Release/net10.0/sift.dll --store "$work/store" eval guardrails --dataset "$work/set.jsonl" --predictions "$work/predictions.jsonl"
  # What screening costs per passage and per answer, and how often it fires on ordinary scientific text.
  for dataset in scifact nfcorpus; do
    dotnet benchmarks/Sift.Benchmarks/bin/Release/net10.0/Sift.Benchmarks.dll guardrails-latency "$data/$dataset"
  done
} 2>&1 | tee "$out"
