#!/usr/bin/env bash
# Measures this machine's memory read bandwidth with a plain C dot-product scan (gcc -O3 -march=native, so it uses
# the CPU's widest SIMD), one thread and every core; the first one-thread line is a warm-up. See docs/benchmarks.md.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
out=$(mktemp)
trap 'rm -f "$out"' EXIT
gcc -O3 -march=native -ffast-math -pthread -o "$out" "$here/probe/bandwidth.c"
echo "$(date -u +%F), $(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg)"
"$out"
