#!/usr/bin/env bash
# Indexing benchmark (issue: vector indexing). Writes bench/results/indexing.md.
# N records from make_batch.py are stored (import --no-index), then indexed end to end by
# `batch-image import` (claim, embed through the local /v1/embeddings, upsert to both local namespaces,
# record fingerprints); baseline: the same texts embedded by the same model in-process, in the same run,
# once before and once after the import (this machine's speed drifts by 20% between minutes): the ratio
# is against the mean of the two.
# Usage: bench/indexing.sh [N]
set -euo pipefail
cd "$(dirname "$0")/.."
N=${1:-20000}
WORK=bench/work
OUT=bench/results/indexing.md
FILE_DIR=$WORK/batch-$N
FILE=$FILE_DIR/batch_image_data_sd_discord_final.json
mkdir -p "$WORK/classes" bench/results
[ -f target/batch-image.jar ] || ./mvnw -q -B -DskipTests package
cp target/batch-image.jar "$WORK/batch-image.jar"
[ -f "$FILE" ] || python3 ../shared/tools/make_batch.py "$N" "$FILE_DIR" >/dev/null
javac -d "$WORK/classes" -cp "$WORK/batch-image.jar" bench/java/IndexingBench.java
java -cp "$WORK/batch-image.jar:$WORK/classes" IndexingBench "$FILE" 2>/dev/null > "$WORK/indexing-raw.txt"
DATA=$WORK/indexing-data
rm -rf "$DATA"
bi() { java -Dbatch-image.home="$PWD" -jar "$WORK/batch-image.jar" "$@"; }
bi import --no-index --data "$DATA" "$FILE" > /dev/null 2>&1
s=$(date +%s.%N)
bi import --json --data "$DATA" "$FILE" > "$WORK/indexing-e2e.json" 2> "$WORK/indexing-e2e.log"
e=$(date +%s.%N)
java -cp "$WORK/batch-image.jar:$WORK/classes" IndexingBench "$FILE" 2>/dev/null > "$WORK/indexing-raw2.txt"
v() { sed -n "s/^$1=//p" "$WORK/indexing-raw.txt"; }
v2() { sed -n "s/^$1=//p" "$WORK/indexing-raw2.txt"; }
wall=$(printf '%.1f' "$(echo "$e - $s" | bc)")
e2e=$(echo "scale=1; $N / $wall" | bc)
rawsec=$(printf '%.1f' "$(echo "($(v raw_seconds) + $(v2 raw_seconds)) / 2" | bc -l)")
raw=$(echo "scale=1; $N / $rawsec" | bc)
{
  echo "# Indexing benchmark"
  echo
  echo "$(date -u +%Y-%m-%d), $(nproc) cores, $(java -version 2>&1 | head -1). $N records from make_batch.py,"
  echo "$(v texts) texts to embed (prompt text and tags); all-minilm-l6-v2-q; local /v1/embeddings and /pinecone."
  echo
  echo "| measurement | seconds | records/s | ratio | goal |"
  echo "|---|---:|---:|---:|---|"
  echo "| raw model in-process on the same texts, 64 at a time (baseline), before the import | $(v raw_seconds) | $(v raw_records_per_s) | | |"
  echo "| the same, after the import | $(v2 raw_seconds) | $(v2 raw_records_per_s) | | |"
  echo "| baseline: mean of the two | $rawsec | $raw | 1.00 | |"
  echo "| \`batch-image import\` of the stored file: start, claim, embed over HTTP, upsert both namespaces, fingerprints, exit | $wall | $e2e | $(printf '%.2f' "$(echo "scale=4; $e2e / $raw" | bc)") | >= 0.85 |"
  echo
  echo "Upserted per namespace: $(python3 -c "import json,sys; d=json.load(open('$WORK/indexing-e2e.json')); print(d['files'][0]['upserted'])")."
} > "$OUT"
cat "$OUT"
