#!/usr/bin/env bash
# CLI search start-up on a large synthetic collection, with and without the persisted lexical index (lexical.idx).
# DOCUMENTS (default 100000) documents of WORDS (default 500) words are ingested with 50-word fixed chunks, so the
# defaults make 1,000,000 chunks. Each `sift search` is a new process (what a user or a script pays); RUNS (default 5)
# searches with the index file, then RUNS_BEFORE (default 3) with it moved aside (the index is then rebuilt from every
# chunk's stored terms, as every search did before the file existed). Wall time and peak memory from /usr/bin/time -v.
# Set KEEP=DIR to keep (or reuse) the store and corpus there. Figures in docs/benchmarks.md.
set -euo pipefail
cd "$(dirname "$0")/.."
DOCUMENTS=${DOCUMENTS:-100000}
WORDS=${WORDS:-500}
RUNS=${RUNS:-5}
RUNS_BEFORE=${RUNS_BEFORE:-3}
work=${KEEP:-$(mktemp -d)}
[ -n "${KEEP:-}" ] || trap 'rm -rf "$work"' EXIT
mkdir -p "$work"
dotnet build -c Release src/Sift.Cli -v q -nologo >/dev/null
sift() { SIFT_HOME=$work/store dotnet src/Sift.Cli/bin/Release/net10.0/sift.dll "$@"; }

if [ ! -f "$work/store/big/lexical.idx" ]; then
  python3 benchmarks/lexical/make-corpus.py "$DOCUMENTS" "$WORDS" "$work/corpus"
  start=$(date +%s)
  /usr/bin/time -v -o "$work/ingest.time" env SIFT_HOME="$work/store" dotnet src/Sift.Cli/bin/Release/net10.0/sift.dll \
    ingest "$work/corpus/corpus.jsonl" -c big --embedder none --chunker fixed --chunk-size 50 --chunk-overlap 0 >/dev/null
  echo "ingest: $(( $(date +%s) - start )) s, peak $(awk '/Maximum resident/ {printf "%d MB", $6/1024}' "$work/ingest.time")"
fi
sift collections info big | grep -iE "chunks|documents" || true
ls -l "$work/store/big/" | awk 'NR > 1 {printf "  %-16s %8.1f MB\n", $9, $5 / 1048576}'

measure() { # label runs [collection [extra search options...]]
  local label=$1 runs=$2 collection=${3:-big} times=() peaks=() i=0
  shift $(( $# < 3 ? $# : 3 ))
  while IFS= read -r query && [ "$i" -lt "$runs" ]; do
    /usr/bin/time -v -o "$work/search.time" env SIFT_HOME="$work/store" dotnet src/Sift.Cli/bin/Release/net10.0/sift.dll \
      search "$query" -c "$collection" -k 10 --json "$@" >"$work/search.json"
    grep -q '"results"' "$work/search.json" || { echo "search failed for '$query'" >&2; exit 1; }
    times+=("$(awk -F': ' '/Elapsed \(wall/ {split($2, t, ":"); print t[1] * 60 + t[2]}' "$work/search.time")")
    peaks+=("$(awk '/Maximum resident/ {print int($6 / 1024)}' "$work/search.time")")
    i=$((i + 1))
  done <"$work/corpus/queries.txt"
  printf '%s\n' "${times[@]}" | sort -n | awk -v label="$label" -v n="$runs" '{t[NR] = $1} END {printf "%-28s median %.2f s (min %.2f, max %.2f) over %d searches", label, t[int((n + 1) / 2)], t[1], t[n], n}'
  printf '%s\n' "${peaks[@]}" | sort -n | awk '{p[NR] = $1} END {printf ", peak memory median %d MB\n", p[int((NR + 1) / 2)]}'
}

measure "with lexical.idx" "$RUNS"
measure "with lexical.idx and --filter" "$RUNS" big --filter type=jsonl
# For scale: the same process on a one-document collection (start-up of .NET, the CLI and the analyzer).
head -1 "$work/corpus/corpus.jsonl" >"$work/one.jsonl"
[ -d "$work/store/one" ] || SIFT_HOME="$work/store" dotnet src/Sift.Cli/bin/Release/net10.0/sift.dll ingest "$work/one.jsonl" -c one --embedder none >/dev/null
measure "one-document collection" "$RUNS" one
mv "$work/store/big/lexical.idx" "$work/store/big/lexical.idx.aside"
trap 'mv "$work/store/big/lexical.idx.aside" "$work/store/big/lexical.idx" 2>/dev/null; [ -n "${KEEP:-}" ] || rm -rf "$work"' EXIT
measure "rebuilt from stored terms" "$RUNS_BEFORE"
echo "$(date -u +%F), $(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg)"
