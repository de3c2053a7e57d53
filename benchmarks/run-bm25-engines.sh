#!/usr/bin/env bash
# BM25 engines on equal terms: every engine and dataset in its own process, RUNS (default 5) processes each, the same
# warm-up rule (at least 3 s, then until throughput settles within 5%), then 20 timed passes of the test queries one at a time on one
# thread; each process reports its median pass, and the table gives the median of the RUNS processes with their
# min-max. Quality is scored by one evaluator (Sift's) for every engine, from each engine's top 100.
#   Sift, Lucene.NET 4.8, SQLite FTS5 (two ways): dotnet run ... engines --engine KEY DATASET
#   Java Lucene 8 (Debian liblucene8-java, installed here when missing; OpenJDK 17): benchmarks/lucene-java/LuceneBench.java
# Usage: RUNS=5 benchmarks/run-bm25-engines.sh [DATASET_DIR...]   (default: ../shared/datasets/scifact and nfcorpus)
set -euo pipefail
cd "$(dirname "$0")/.."
RUNS=${RUNS:-5}
ENGINES=${ENGINES:-"sift lucene-java lucene-net fts5-porter fts5-analyzed"}
datasets=("$@")
[ ${#datasets[@]} -gt 0 ] || datasets=(../shared/datasets/scifact ../shared/datasets/nfcorpus)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

if ! ls /usr/share/java/lucene-core-8*.jar >/dev/null 2>&1; then
  echo "installing liblucene8-java (Debian)" >&2
  SUDO=$([ "$(id -u)" -eq 0 ] || echo sudo)
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq liblucene8-java >/dev/null
fi
lucene_cp=$(ls /usr/share/java/lucene-core-8*.jar | head -1):$(ls /usr/share/java/lucene-analyzers-common-8*.jar | head -1)
javac -d "$work/java" -cp "$lucene_cp" benchmarks/lucene-java/LuceneBench.java
dotnet build -c Release benchmarks/Sift.Benchmarks -v q -nologo >/dev/null
bench=benchmarks/Sift.Benchmarks/bin/Release/net10.0/Sift.Benchmarks.dll
# Sift's own BM25 parameters, given to Java Lucene as they are to Lucene.NET.
k1=0.9 b=0.4

for dataset in "${datasets[@]}"; do
  name=$(basename "$dataset")
  dotnet "$bench" engines-export "$dataset" "$work/$name"
  for engine in $ENGINES; do
    for run in $(seq 1 "$RUNS"); do
      load=$(cut -d' ' -f1 /proc/loadavg)
      if [ "$engine" = lucene-java ]; then
        rm -rf "$work/index"
        result=$(java -cp "$lucene_cp:$work/java" LuceneBench "$work/$name/corpus.tsv" "$work/$name/queries.tsv" "$work/index" "$work/run.trec" "$k1" "$b" | grep '^RESULT')
        score=$(dotnet "$bench" engines-score "$dataset" "$work/run.trec" | grep '^SCORE')
        result="RESULT dataset=$name engine=lucene-java ${score#SCORE } ${result#RESULT }"
      else
        result=$(dotnet "$bench" engines --engine "$engine" "$dataset" | grep '^RESULT')
      fi
      echo "$result run=$run load=$load" | tee -a "$work/results.txt" >&2
    done
  done
done

python3 - "$work/results.txt" "$RUNS" <<'PY'
import re, statistics, sys
rows = {}
for line in open(sys.argv[1]):
    fields = dict(re.findall(r'(\w+)=("[^"]*"|\S+)', line))
    rows.setdefault((fields["dataset"], fields["engine"]), []).append(fields)
print(f"| dataset | engine | nDCG@10 | Recall@100 | index s | p50 ms | p95 ms | q/s, median of {sys.argv[2]} processes (min-max) | disk MB | load avg |")
print("|---|---|---|---|---|---|---|---|---|---|")
for (dataset, engine), runs in rows.items():
    med = lambda key: statistics.median(float(r[key]) for r in runs)
    qps = [float(r["qps"]) for r in runs]
    print(f"| {dataset} | {runs[0]['name'].strip(chr(34))} | {runs[0]['ndcg10']} | {runs[0]['recall100']} | {med('index_s'):.2f} | "
          f"{med('p50_ms'):.3f} | {med('p95_ms'):.3f} | **{statistics.median(qps):,.0f}** ({min(qps):,.0f}-{max(qps):,.0f}) | "
          f"{runs[0]['disk_mb']} | {min(float(r['load']) for r in runs):.2f}-{max(float(r['load']) for r in runs):.2f} |")
PY
echo "$(date -u +%F), $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs); java $(java -version 2>&1 | head -1 | cut -d'"' -f2)"
