#!/usr/bin/env bash
# Search benchmark (issue: search). Writes bench/results/search.md.
# Quality: the COCO file imported and indexed by `batch-image import`, then the first Q queries of
# queries-dev.jsonl (each with the one image it describes) through POST /api/search of the service:
# recall@1 and recall@10 per namespace, for both, for the lexical list alone and for hybrid (the default);
# baseline: exact brute-force search over the same model's embeddings of the same texts, computed in the same
# run (both: the same fusion on the exact rankings). The fusion's settings are studied on the same dev
# queries' lists, for the service's lexical list and for Lucene BM25 indexes of the same words weighted otherwise
# (QUALITY_ONLY=1: the quality part alone, printed, no results file).
# Latency: N records from make_batch.py stored, a vector per record and namespace upserted through the
# service's /pinecone (embeddings of 2,000 of the file's texts plus noise: bench/java/SearchBench.java),
# every record marked indexed with its words changed (as the index route leaves it), the service's lexical index
# made from the library when it starts (timed), then L timed searches per case through POST /api/search, the
# query's embedding included.
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
# Lucene's analyzers (EnglishAnalyzer) for the BM25 comparison, beside the jar's lucene-core
LUCENE_ANALYSIS="$WORK/lib/lucene-analysis-common-9.12.3.jar"
[ -f "$LUCENE_ANALYSIS" ] || ./mvnw -q -B dependency:copy -Dartifact=org.apache.lucene:lucene-analysis-common:9.12.3 -DoutputDirectory="$WORK/lib"
javac -d "$WORK/classes" -cp "$WORK/batch-image.jar:$LUCENE_ANALYSIS" bench/java/SearchBench.java bench/java/BenchHttp.java bench/java/BenchSql.java
CP="$WORK/batch-image.jar:$LUCENE_ANALYSIS:$WORK/classes"
# the fusion settings of application.properties, for the study to mark
prop() { sed -n "s/^$1 *= *//p" application.properties; }
HYBRID="-Dhybrid.k=$(prop search.hybrid.k) -Dhybrid.candidates=$(prop search.hybrid.candidates) -Dhybrid.lexical=$(prop search.hybrid.weight.lexical)"
HYBRID="$HYBRID -Dhybrid.prompt=$(prop search.hybrid.weight.prompt) -Dhybrid.description=$(prop search.hybrid.weight.description)"
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
java $JOPTS -Xmx2g $HYBRID -cp "$CP" SearchBench quality "$URL" "$COCO" "$QUERIES" "$Q" 2>/dev/null > "$WORK/search-quality.txt"
stop
if [ -n "${QUALITY_ONLY:-}" ]; then cat "$WORK/search-quality.txt"; exit 0; fi

# latency
D2="$WORK/search-$N"
FILE_DIR="$WORK/batch-$N"
FILE="$FILE_DIR/batch_image_data_sd_discord_final.json"
[ -f "$FILE" ] || python3 ../shared/tools/make_batch.py "$N" "$FILE_DIR" >/dev/null
rm -rf "$D2"
bi import --no-index --data "$D2" "$FILE" > /dev/null 2>&1
# every record counts as indexed (its vectors come from the fill below), as after a finished import
java -cp "$CP" BenchSql "$D2" "WITH u AS (UPDATE image_library SET index_state = 'indexed', lexical_xid = pg_current_xact_id() RETURNING 1) SELECT count(*) FROM u" > /dev/null 2>&1
rm -rf "$D2/lexical"
serve "$D2" "$WORK/search-latency-service.log"
# the service makes its lexical index from the library as it starts: how long until it holds every record
T0=$(date +%s.%N)
until curl -sf "$URL/api/stats" | python3 -c 'import json,sys; l=json.load(sys.stdin).get("lexical") or {}; sys.exit(0 if l.get("records")==l.get("library")>0 else 1)'; do sleep 0.5; done
echo "words_s=$(echo "$(date +%s.%N) - $T0" | bc)" > "$WORK/search-words.txt"
java $JOPTS -Xmx2g -cp "$CP" SearchBench fill "$URL" "$FILE" 2>/dev/null > "$WORK/search-fill.txt"
# the searches are timed on a settled service: the fill leaves the index merging its segments for a while, and
# the merges' CPU on 2 cores is not what a search costs. Wait until the service's CPU time grows by less than
# 0.05 s in 2 s (at most 10 minutes) and say how long that took.
T0=$(date +%s)
ticks() { awk '{print $14 + $15}' "/proc/$SERVICE/stat"; }
for _ in $(seq 300); do a=$(ticks); sleep 2; b=$(ticks); [ $((b - a)) -lt 5 ] && break; done
echo "settle_s=$(( $(date +%s) - T0 ))" >> "$WORK/search-words.txt"
java $JOPTS -cp "$CP" SearchBench latency "$URL" "$FILE" "$L" 2>/dev/null > "$WORK/search-latency.txt"
stop

v() { sed -n "s/^$2=//p" "$1"; }
S="$WORK/search-quality.txt"; F="$WORK/search-fill.txt"; T="$WORK/search-latency.txt"; W="$WORK/search-words.txt"
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
  echo "| search | exact recall@1 | exact recall@10 | API recall@1 | API recall@10 | API / exact recall@10 | goal |"
  echo "|---|---:|---:|---:|---:|---:|---|"
  for c in prompt description both; do
    echo "| $c | $(v "$S" ${c}_exact_r1) | $(v "$S" ${c}_exact_r10) | $(v "$S" ${c}_api_r1) | $(v "$S" ${c}_api_r10) | $(ratio $c) | >= 0.98 |"
  done
  HYB10=$(v "$S" hybrid_api_r10); BOTH10=$(v "$S" both_api_r10)
  echo "| lexical (mode=lexical) | | | $(v "$S" lexical_api_r1) | $(v "$S" lexical_api_r10) | | reported |"
  echo "| **hybrid** (the default) | | | $(v "$S" hybrid_api_r1) | $HYB10 | | R@10 >= 0.62, R@1 >= 0.28, R@10 >= both + 0.03 |"
  echo
  echo "hybrid R@10 - both R@10 = $(printf '%.4f' "$(echo "$HYB10 - $BOTH10" | bc)")."
  echo
  echo "Other fusions on the exact rankings, recall@10: sum of the two cosines $(v "$S" variant_sum_of_cosines), the larger"
  echo "cosine $(v "$S" variant_max_of_cosines)."
  echo
  echo "### The lexical list's weights and the fusion's settings (dev queries only)"
  echo
  echo "Each query's API lists 100 deep (lexical, prompt, description), and the top 100 of Lucene BM25 indexes of the"
  echo "bench's own (EnglishAnalyzer) over the same words, in the fields the service's index has (words: tags, prompt"
  echo "and name in one field; each alone), asked with several weights; each fused with the API's two dense lists"
  echo "offline by the service's own Fusion over a grid (k 5 to 60; 10 to 100 candidates; lexical weight 0.25 to 1.5;"
  echo "description weight 0.5 to 1.25; prompt 1). The service: search.lexical.boost.* words $(prop search.lexical.boost.words),"
  echo "tags $(prop search.lexical.boost.tags), prompt $(prop search.lexical.boost.prompt), name $(prop search.lexical.boost.name)."
  echo
  echo "| lexical list | alone R@1 / R@10 | plain fusion (k 60, 50, weights 1) | best R@10 of the grid | at | best R@1 + R@10 | at | application.properties |"
  echo "|---|---:|---:|---:|---|---:|---|---:|"
  grep '^tune|' "$S" | while IFS='|' read -r _ engine plain best at bsum atsum set; do
    if [ "$engine" = lexical ]; then
      name="**the service's lexical list**"; alone="$(v "$S" lexical_api_r1) / $(v "$S" lexical_api_r10)"
    else
      name="$engine"; alone="$(grep "^engine|$engine|" "$S" | cut -d'|' -f3,4 | sed 's#|# / #')"
    fi
    echo "| $name | $alone | $plain | $best | $at | $bsum | $atsum | $set |"
  done
  echo
  echo "## Latency"
  echo
  echo "$(v "$F" records) records, $(v "$F" upserted) vectors in the two namespaces (upserted in $(v "$F" fill_s) s). $L searches"
  echo "per case after 200 warm-up searches, one at a time, top_k 10, the query embedded by the local model"
  echo "in each; filter: sub_theme $(v "$T" filter_sub_theme) ($(printf '%.0f' "$(echo "$(v "$T" filter_share) * 100" | bc)")% of the records). Timed once the"
  echo "service had settled after the fill (its index merging segments: $(v "$W" settle_s) s until its CPU time grew by less than 0.05 s in 2 s)."
  echo "The service made its lexical index of the $(v "$F" records) records from the library in $(printf '%.1f' "$(v "$W" words_s)") s as it started"
  echo "($(printf '%.0f' "$(echo "$(v "$W" words_s) * 1000000 / $(v "$F" records)" | bc)") µs a record: what the lexical feed adds to each record the index route indexes)."
  echo
  echo "| search | filter | p50 ms | p99 ms | took_ms p50 (server) | goal |"
  echo "|---|---|---:|---:|---:|---|"
  for c in prompt both hybrid lexical; do
    case $c in
      hybrid) goal="p50 <= 25, p99 <= 100" ;;
      lexical) goal="p50 <= 5" ;;
      *) goal="p50 <= 15, p99 <= 60" ;;
    esac
    for f in unfiltered filtered; do
      echo "| $c | $([ $f = filtered ] && echo "sub_theme" || echo "none") | $(v "$T" ${c}_${f}_p50_ms) | $(v "$T" ${c}_${f}_p99_ms) | $(v "$T" ${c}_${f}_took_p50_ms) | $goal |"
    done
  done
} > "$OUT"
cat "$OUT"
