#!/usr/bin/env bash
# Peak memory of the CLI ingesting one large text file: SIZE_MB (default 50) of generated text, EMBEDDER (default
# glove), measured with /usr/bin/time -v. Figures in docs/benchmarks.md.
set -euo pipefail
cd "$(dirname "$0")/.."
SIZE_MB=${SIZE_MB:-50}
EMBEDDER=${EMBEDDER:-glove}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
dotnet build -c Release src/Sift.Cli -v q -nologo >/dev/null
python3 benchmarks/memory/make-text.py "$SIZE_MB" "$work/big.txt"
SIFT_HOME=$work/store /usr/bin/time -v dotnet src/Sift.Cli/bin/Release/net10.0/sift.dll ingest "$work/big.txt" -c big --embedder "$EMBEDDER" 2>&1 \
  | grep -E "ingested|Maximum resident|Elapsed \(wall"
echo "$SIZE_MB MB text, --embedder $EMBEDDER; $(date -u +%F), $(nproc) cores"
