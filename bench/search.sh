#!/usr/bin/env bash
# Search benchmark (issue: search). Writes bench/results/search.md.
# Quality: the COCO file imported and indexed by `batch-image import`, then the first Q queries of
# queries-dev.jsonl (each with the one image it describes) through POST /api/search of the service:
# recall@1 and recall@10 per namespace and for both; baseline: exact brute-force search over the same
# model's embeddings of the same texts, computed in the same run (both: the same fusion on the exact
# rankings).
# Latency: N records from make_batch.py stored, a vector per record and namespace upserted through the
# service's /pinecone (embeddings of 2,000 of the file's texts plus noise: bench/java/SearchBench.java),
# then L timed searches per case through POST /api/search, the query's embedding included.
# Usage: bench/search.sh [Q] [N] [L]
set -euo pipefail
cd "$(dirname "$0")/.."
Q=${1:-2000}
N=${2:-100000}
L=${3:-500}
WORK=bench/work
OUT=bench/results/search.md
PORT=18092
COCO=../shared/data/coco/batch_image_data_coco_final.json
QUERIES=../shared/data/coco/queries-dev.jsonl
mkdir -p "$WORK/classes" bench/results
[ -f target/batch-image.jar ] || ./mvnw -q -B -DskipTests package
cp target/batch-image.jar "$WORK/batch-image.jar"
javac -d "$WORK/classes" -cp "$WORK/batch-image.jar" bench/java/SearchBench.java bench/java/BenchHttp.java bench/java/BenchSql.java
CP="$WORK/batch-image.jar:$WORK/classes"
JOPTS="--add-modules jdk.incubator.vector"
URL="http://127.0.0.1:$PORT"
bi() { java $JOPTS -Dbatch-image.home="$PWD" -jar "$WORK/batch-image.jar" "$@"; }
SERVICE=
serve() {
  if curl -s -o /dev/null "$URL/" 2>/dev/null; then
    echo "port $PORT is already taken: stop what listens there" >&2
    exit 1
  fi
  BATCH_IMAGE_DATA="$1" INGEST_POLL_INBOX=false INDEX_ENABLED=false \
    java $JOPTS -Xmx4g -Dbatch-image.home="$PWD" -jar "$WORK/batch-image.jar" run --port "$PORT" > "$2" 2>&1 &
  SERVICE=$!
  for _ in $(seq 1 180); do
    curl -sf "$URL/api/facets" >/dev/null 2>&1 && return 0
    sleep 1
  done
  echo "the service did not answer; see $2" >&2
  exit 1
}
stop() { kill "$SERVICE"; wait "$SERVICE" 2>/dev/null || true; SERVICE=; }
trap '[ -n "$SERVICE" ] && kill $SERVICE 2>/dev/null || true' EXIT

# quality
D1="$WORK/search-coco"
rm -rf "$D1"
bi import --data "$D1" "$COCO" > /dev/null 2> "$WORK/search-coco-import.log"
serve "$D1" "$WORK/search-coco-service.log"
java $JOPTS -Xmx2g -cp "$CP" SearchBench quality "$URL" "$COCO" "$QUERIES" "$Q" 2>/dev/null > "$WORK/search-quality.txt"
stop

# latency
D2="$WORK/search-$N"
FILE_DIR="$WORK/batch-$N"
FILE="$FILE_DIR/batch_image_data_sd_discord_final.json"
[ -f "$FILE" ] || python3 ../shared/tools/make_batch.py "$N" "$FILE_DIR" >/dev/null
rm -rf "$D2"
bi import --no-index --data "$D2" "$FILE" > /dev/null 2>&1
# every record counts as indexed (its vectors come from the fill below), as after a finished import
java -cp "$CP" BenchSql "$D2" "WITH u AS (UPDATE image_library SET index_state = 'indexed' RETURNING 1) SELECT count(*) FROM u" > /dev/null 2>&1
serve "$D2" "$WORK/search-latency-service.log"
java $JOPTS -Xmx2g -cp "$CP" SearchBench fill "$URL" "$FILE" 2>/dev/null > "$WORK/search-fill.txt"
java $JOPTS -cp "$CP" SearchBench latency "$URL" "$FILE" "$L" 2>/dev/null > "$WORK/search-latency.txt"
stop

v() { sed -n "s/^$2=//p" "$1"; }
S="$WORK/search-quality.txt"; F="$WORK/search-fill.txt"; T="$WORK/search-latency.txt"
ratio() { printf '%.3f' "$(echo "scale=6; $(v "$S" "$1_api_r10") / $(v "$S" "$1_exact_r10")" | bc)"; }
{
  echo "# Search benchmark"
  echo
  echo "$(date -u +%Y-%m-%d), $(nproc) cores, $(java -version 2>&1 | head -1). all-minilm-l6-v2-q, local index."
  echo
  echo "## Retrieval quality"
  echo
  echo "COCO: $(v "$S" records) records ($(v "$S" prompt_vectors) prompt vectors, $(v "$S" description_vectors) description vectors), the first"
  echo "$(v "$S" queries) queries of queries-dev.jsonl, each with the one image it describes. Exact: brute force over"
  echo "the same model's embeddings of the same texts, computed in this run; for both, the service's fusion"
  echo "(reciprocal rank, k = 60, 50 candidates a namespace) applied to the exact rankings."
  echo
  echo "| namespace | exact recall@1 | exact recall@10 | API recall@1 | API recall@10 | API / exact recall@10 | goal |"
  echo "|---|---:|---:|---:|---:|---:|---|"
  for c in prompt description both; do
    echo "| $c | $(v "$S" ${c}_exact_r1) | $(v "$S" ${c}_exact_r10) | $(v "$S" ${c}_api_r1) | $(v "$S" ${c}_api_r10) | $(ratio $c) | >= 0.98 |"
  done
  echo
  echo "Other fusions on the exact rankings, recall@10: sum of the two cosines $(v "$S" variant_sum_of_cosines), the larger"
  echo "cosine $(v "$S" variant_max_of_cosines)."
  echo
  echo "## Latency"
  echo
  echo "$(v "$F" records) records, $(v "$F" upserted) vectors in the two namespaces (upserted in $(v "$F" fill_s) s). $L searches"
  echo "per case after 50 warm-up searches, one at a time, top_k 10, the query embedded by the local model"
  echo "in each; filter: sub_theme $(v "$T" filter_sub_theme) ($(printf '%.0f' "$(echo "$(v "$T" filter_share) * 100" | bc)")% of the records)."
  echo
  echo "| namespace | filter | p50 ms | p99 ms | took_ms p50 (server) | goal |"
  echo "|---|---|---:|---:|---:|---|"
  for c in prompt both; do
    for f in unfiltered filtered; do
      echo "| $c | $([ $f = filtered ] && echo "sub_theme" || echo "none") | $(v "$T" ${c}_${f}_p50_ms) | $(v "$T" ${c}_${f}_p99_ms) | $(v "$T" ${c}_${f}_took_p50_ms) | p50 < 25, p99 < 100 |"
    done
  done
} > "$OUT"
cat "$OUT"
