#!/usr/bin/env bash
# Local index benchmark (issue: vector indexing). Writes bench/results/local-index.md.
# N clustered vectors of 384 dimensions in one namespace of the Lucene-backed local index, written in
# upserts of 1,000 as the index route would; top-10 queries without a filter and with a sub_theme filter
# matching 15%, timed at the index as written, then over HTTP through the service's /pinecone after a
# restart (the service opens what the first run wrote); recall@10 against exact brute force over the
# same vectors. Baseline: the exact search itself (recall 1).
# Usage: bench/local-index.sh [N] [QUERIES]
set -euo pipefail
cd "$(dirname "$0")/.."
N=${1:-100000}
Q=${2:-1000}
WORK=bench/work
OUT=bench/results/local-index.md
DATA="$WORK/li-data"
PORT=18091
mkdir -p "$WORK/classes" bench/results
[ -f target/batch-image.jar ] || ./mvnw -q -B -DskipTests package
cp target/batch-image.jar "$WORK/batch-image.jar"
javac -d "$WORK/classes" -cp "$WORK/batch-image.jar" bench/java/LocalIndexBench.java
rm -rf "$DATA"; mkdir -p "$DATA/index"
CP="$WORK/batch-image.jar:$WORK/classes"
java -Xmx4g --add-modules jdk.incubator.vector -cp "$CP" LocalIndexBench "$DATA/index/bench" "$N" "$Q" 2>/dev/null > "$WORK/li-index.txt"
BATCH_IMAGE_DATA="$DATA" INGEST_POLL_INBOX=false INDEX_ENABLED=false \
  java -Xmx4g --add-modules jdk.incubator.vector -jar "$WORK/batch-image.jar" run --port "$PORT" > "$WORK/li-service.log" 2>&1 &
SERVICE=$!
trap 'kill $SERVICE 2>/dev/null || true' EXIT
for _ in $(seq 1 120); do
  curl -sf -X POST -d '{}' "http://127.0.0.1:$PORT/pinecone/describe_index_stats" >/dev/null 2>&1 && break
  sleep 1
done
java --add-modules jdk.incubator.vector -cp "$CP" LocalIndexBench "$DATA/index/bench" "$N" "$Q" "http://127.0.0.1:$PORT/pinecone" 2>/dev/null > "$WORK/li-http.txt"
kill $SERVICE; wait $SERVICE 2>/dev/null || true
v() { sed -n "s/^$2=//p" "$1"; }
I="$WORK/li-index.txt"; H="$WORK/li-http.txt"
{
  echo "# Local index benchmark"
  echo
  echo "$(date -u +%Y-%m-%d), $(nproc) cores, $(java -version 2>&1 | head -1). $N clustered vectors (1,000 centroids),"
  echo "384 dimensions, cosine, written in upserts of 1,000 ($(v "$I" build_s) s; $(v "$I" segments) segment(s) as written; the"
  echo "closing commit took $(v "$I" close_s) s). $Q top-10 queries each after 50 warm-up queries. Exact brute force"
  echo "over the same vectors is the baseline for recall."
  echo
  echo "| measured | filter | p50 ms | p99 ms | recall@10 vs exact | goals |"
  echo "|---|---|---:|---:|---:|---|"
  echo "| at the index, as written | none | $(v "$I" unfiltered_p50_ms) | $(v "$I" unfiltered_p99_ms) | $(v "$I" unfiltered_recall10) | p50 <= 2, p99 <= 10, recall >= 0.98 |"
  echo "| at the index, as written | sub_theme, 15% | $(v "$I" filtered_p50_ms) | $(v "$I" filtered_p99_ms) | $(v "$I" filtered_recall10) | same |"
  echo "| HTTP, POST /pinecone/query, service restarted on the index | none | $(v "$H" http_unfiltered_p50_ms) | $(v "$H" http_unfiltered_p99_ms) | $(v "$H" http_unfiltered_recall10) | (reported) |"
  echo "| HTTP, POST /pinecone/query, service restarted on the index | sub_theme, 15% | $(v "$H" http_filtered_p50_ms) | $(v "$H" http_filtered_p99_ms) | $(v "$H" http_filtered_recall10) | (reported) |"
} > "$OUT"
cat "$OUT"
