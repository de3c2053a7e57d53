#!/usr/bin/env bash
# Memory of the server around one large JSON upload (issue: a 36 MB upload took the server from 253 MB to a 2.37 GB peak
# and it stayed at 2.44 GB). Starts `sift serve` on a fresh store, uploads a JSON body holding one document of SIZE_MB
# (default 36) of text, samples the server's RSS every 0.2 s until the job ends and for 60 s after, and prints baseline,
# peak, peak/size and the RSS 60 s after the job.
set -euo pipefail
cd "$(dirname "$0")/.."
SIZE_MB=${SIZE_MB:-36}
work=$(mktemp -d)
trap 'kill $server 2>/dev/null || true; rm -rf "$work"' EXIT
dotnet build -c Release src/Sift.Cli -v q -nologo >/dev/null
sift="dotnet src/Sift.Cli/bin/Release/net10.0/sift.dll"
key=$(SIFT_HOME=$work/store $sift keys create --name bench --scopes ingest read --collections big | grep -oE 'sift_[A-Za-z0-9_-]+' | head -1)
python3 benchmarks/memory/make-text.py "$SIZE_MB" "$work/body.json" --json
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
SIFT_HOME=$work/store $sift serve --urls http://127.0.0.1:$port --max-upload-mb 100 >"$work/server.log" 2>&1 &
server=$!
until curl -sf http://127.0.0.1:$port/healthz >/dev/null; do sleep 0.2; done
rss() { awk '/VmRSS/ {print int($2/1024)}' /proc/$server/status; }
sleep 2
baseline=$(rss)
location=$(curl -s -D - -o /dev/null -H "Authorization: Bearer $key" -H 'Content-Type: application/json' --data-binary @"$work/body.json" \
  http://127.0.0.1:$port/v1/collections/big/documents | awk -F': ' 'tolower($1)=="location" {print $2}' | tr -d '\r')
peak=$baseline
while :; do
  now=$(rss); [ "$now" -gt "$peak" ] && peak=$now
  status=$(curl -s -H "Authorization: Bearer $key" http://127.0.0.1:$port$location | python3 -c 'import json,sys; print(json.load(sys.stdin)["status"])')
  [ "$status" = succeeded ] || [ "$status" = failed ] && break
  sleep 0.2
done
for _ in $(seq 300); do now=$(rss); [ "$now" -gt "$peak" ] && peak=$now; sleep 0.2; done
after=$(rss)
bytes=$(stat -c %s "$work/body.json")
echo "upload $((bytes/1048576)) MB, job $status; RSS baseline ${baseline} MB, peak ${peak} MB (growth $((peak-baseline)) MB = $(python3 -c "print(round(($peak-$baseline)/($bytes/1048576),1))")x the file), 60 s after the job ${after} MB; $(date -u +%F), $(nproc) cores"
