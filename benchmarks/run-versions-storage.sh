#!/usr/bin/env bash
# Storage cost of versions on SciFact: ten successive versions, each changing 1% of the documents (52 abstracts gain a
# sentence), against the size of the collection without versions and of a full copy per version.
# Usage: benchmarks/run-versions-storage.sh [OUT]   (default benchmarks/versions/results.txt)
set -euo pipefail
cd "$(dirname "$0")/.."
out=${1:-benchmarks/versions/results.txt}
data=${SIFT_DATASETS:-../shared/datasets}/scifact/corpus.jsonl
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
dotnet build src/Sift.Cli -c Release -v quiet -nologo >/dev/null
sift() { dotnet src/Sift.Cli/bin/Release/net10.0/sift.dll --store "$work/store" "$@"; }
size() { stat -c %s "$work/store/sf/collection.db"; }
rows() { python3 -c "import sqlite3,sys; print(sqlite3.connect(sys.argv[1]).execute('SELECT COUNT(*) FROM $1').fetchone()[0])" "$work/store/sf/collection.db"; }

mkdir -p "$work/corpus"
cp "$data" "$work/corpus/corpus.jsonl"
{
  echo "# Versions storage on SciFact ($(wc -l < "$data") documents, --chunker document), $(date -u +%Y-%m-%d), $(nproc) cores"
  echo "# version  collection.db bytes  growth over v1  archived revisions  ingest seconds"
  start=$(date +%s.%N)
  sift ingest "$work/corpus/corpus.jsonl" -c sf --chunker document >/dev/null
  base=$(size)
  printf "%9s %20s %15s %19s %15.2f\n" 1 "$base" 0 0 "$(echo "$(date +%s.%N) - $start" | bc)"
  for round in $(seq 1 10); do
    python3 - "$work/corpus/corpus.jsonl" "$round" <<'PY'
import json, sys
path, round_ = sys.argv[1], int(sys.argv[2])
lines = open(path).read().splitlines()
out = []
for i, line in enumerate(lines):
    doc = json.loads(line)
    if i % 100 == round_ % 100:  # a different 1% each round
        doc["text"] += f" Revised in round {round_}."
    out.append(json.dumps(doc))
open(path, "w").write("\n".join(out) + "\n")
PY
    start=$(date +%s.%N)
    sift ingest "$work/corpus/corpus.jsonl" -c sf >/dev/null
    now=$(size)
    printf "%9s %20s %15s %19s %15.2f\n" $((round + 1)) "$now" $((now - base)) "$(rows archived_documents)" "$(echo "$(date +%s.%N) - $start" | bc)"
  done
  final=$(size)
  sift versions gc -c sf --keep-last 1 >/dev/null
  echo "# after 'versions gc --keep-last 1' (prod on the newest): $(size) bytes"
  mkdir -p "$work/fresh"
  dotnet src/Sift.Cli/bin/Release/net10.0/sift.dll --store "$work/fresh" ingest "$work/corpus/corpus.jsonl" -c sf --chunker document >/dev/null
  fresh=$(stat -c %s "$work/fresh/sf/collection.db")
  echo "# the final content ingested afresh (no history): $fresh bytes"
  echo "# 11 versions kept: $final bytes = $(echo "scale=3; $final / $fresh" | bc) x one collection; a full copy per version would be $((11 * fresh)) bytes (11.000 x)"
  echo "# per changed document per version: $(( (final - base) / (10 * 52) )) bytes"
} | tee "$out"
