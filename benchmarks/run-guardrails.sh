#!/usr/bin/env bash
# Prompt-injection detectors on a labelled set built from BIPIA's training split (docs/guardrails.md): every attack
# inserted into BIPIA's benign contexts at the start, middle and end, the contexts clean, and look-alike sentences from
# the Debian documentation installed here; then sift eval guardrails on it; then a personal-data set generated with
# Bogus (seed 2: the detector was developed on seed 1) and sift eval pii on it; then the guardrails' cost per passage,
# query and ingested chunk, and their false positives over SciFact's and NFCorpus's abstracts.
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
  dotnet benchmarks/Sift.Benchmarks/bin/Release/net10.0/Sift.Benchmarks.dll guardrails-pii "$work/pii.jsonl" 2
  dotnet src/Sift.Cli/bin/Release/net10.0/sift.dll --store "$work/store" eval pii --dataset "$work/pii.jsonl" --predictions "$work/pii-predictions.jsonl"
  # What the guardrails cost per passage, per query and per ingested chunk, and how often they fire on ordinary scientific text.
  for dataset in scifact nfcorpus; do
    dotnet benchmarks/Sift.Benchmarks/bin/Release/net10.0/Sift.Benchmarks.dll guardrails-latency "$data/$dataset"
  done
} 2>&1 | tee "$out"
