#!/usr/bin/env bash
# Sync benchmark (issue: keeping PostgreSQL and the namespaces in step). Writes bench/results/sync.md.
# N records from make_batch.py stored and marked indexed, a vector per record and namespace upserted
# through the service's /pinecone (random unit vectors: the sync compares ids). Then: a sync of the clean
# library; drift behind the app's back (1% of the prompt vectors removed, as many orphans added, 0.5% of the
# records marked deleted in PostgreSQL with their vectors left); a sync that repairs it; and a sync of the
# repaired library. The service does not index meanwhile (INDEX_ENABLED=false), so only the sync is timed.
# Baseline, in the same run and on the same service: what a script without the index's listing must do to
# find missing vectors (fetch every record's id, 50 a request; it cannot see orphans), and the listing
# alone over HTTP.
# Usage: bench/sync.sh [N]
set -euo pipefail
cd "$(dirname "$0")/.."
N=${1:-100000}
WORK=bench/work
OUT=bench/results/sync.md
PORT=18093
mkdir -p "$WORK/classes" bench/results
[ -f target/batch-image.jar ] || ./mvnw -q -B -DskipTests package
cp target/batch-image.jar "$WORK/batch-image.jar"
javac -d "$WORK/classes" -cp "$WORK/batch-image.jar" bench/java/SyncBench.java bench/java/BenchHttp.java bench/java/BenchSql.java
CP="$WORK/batch-image.jar:$WORK/classes"
JOPTS="--add-modules jdk.incubator.vector"
URL="http://127.0.0.1:$PORT"
D="$WORK/sync-$N"
FILE_DIR="$WORK/batch-$N"
FILE="$FILE_DIR/batch_image_data_sd_discord_final.json"
[ -f "$FILE" ] || python3 ../shared/tools/make_batch.py "$N" "$FILE_DIR" >/dev/null
rm -rf "$D"
java $JOPTS -Dbatch-image.home="$PWD" -jar "$WORK/batch-image.jar" import --no-index --data "$D" "$FILE" > /dev/null 2>&1
sql() { java -cp "$CP" BenchSql "$D" "$1" 2>/dev/null; }
# every record counts as indexed with its vectors (they come from the fill below), as after a finished import
sql "WITH u AS (UPDATE image_library SET index_state = 'indexed', indexed_at = now() - interval '1 hour',
       prompt_fp = 'bench', description_fp = CASE WHEN coalesce(description, '') <> '' THEN 'bench' END RETURNING 1) SELECT count(*) FROM u" > /dev/null
BATCH_IMAGE_DATA="$D" INGEST_POLL_INBOX=false INDEX_ENABLED=false ENRICH_ENABLED=false SYNC_ENABLED=false SYNC_SETTLE_SECONDS=0 \
  java $JOPTS -Xmx4g -Dbatch-image.home="$PWD" -jar "$WORK/batch-image.jar" run --port "$PORT" > "$WORK/sync-service.log" 2>&1 &
SERVICE=$!
trap 'kill $SERVICE 2>/dev/null || true' EXIT
for _ in $(seq 1 180); do
  curl -sf "$URL/api/facets" >/dev/null 2>&1 && break
  sleep 1
done
java $JOPTS -cp "$CP" SyncBench fill "$URL" "$FILE" 2>>"$WORK/sync-bench.err" > "$WORK/sync-fill.txt"
java -cp "$CP" SyncBench sync "$URL" "$FILE" 2>>"$WORK/sync-bench.err" > "$WORK/sync-clean.txt"
java -cp "$CP" SyncBench naive "$URL" "$FILE" 2>>"$WORK/sync-bench.err" > "$WORK/sync-naive-clean.txt"
java -cp "$CP" SyncBench list "$URL" "$FILE" 2>>"$WORK/sync-bench.err" > "$WORK/sync-list.txt"
java -cp "$CP" SyncBench drift "$URL" "$FILE" 2>>"$WORK/sync-bench.err" > "$WORK/sync-drift.txt"
DELETED=$(sql "WITH u AS (UPDATE image_library SET status = 'deleted' WHERE id IN
                 (SELECT id FROM image_library ORDER BY md5(id::text) LIMIT $((N / 200))) RETURNING 1) SELECT count(*) FROM u")
java -cp "$CP" SyncBench naive "$URL" "$FILE" 2>>"$WORK/sync-bench.err" > "$WORK/sync-naive-drift.txt"
java -cp "$CP" SyncBench sync "$URL" "$FILE" 2>>"$WORK/sync-bench.err" > "$WORK/sync-repair.txt"
java -cp "$CP" SyncBench sync "$URL" "$FILE" 2>>"$WORK/sync-bench.err" > "$WORK/sync-after.txt"
RSS=$(ps -o rss= -p $SERVICE | tr -d ' ')
kill $SERVICE; wait $SERVICE 2>/dev/null || true
v() { sed -n "s/^$2=//p" "$WORK/sync-$1.txt"; }
row() {
  echo "| $1 | $(v "$2" sync_s) | $(v "$2" prompt_listed) / $(v "$2" description_listed) | $(v "$2" prompt_orphans_removed) | $(v "$2" prompt_missing_requeued) | $(v "$2" prompt_inactive_removed) / $(v "$2" description_inactive_removed) |"
}
{
  echo "# Sync benchmark"
  echo
  echo "$(date -u +%Y-%m-%d), $(nproc) cores, $(java -version 2>&1 | head -1). $(v fill records) records, $(v fill upserted) vectors in the"
  echo "two namespaces of the local index (upserted in $(v fill fill_s) s). Drift made behind the app's back: $(v drift removed) prompt"
  echo "vectors removed, $(v drift orphans) orphan vectors added, $DELETED records marked deleted in PostgreSQL with their vectors left."
  echo "Each sync is one POST /api/reindex, timed by the client; the service does not index meanwhile."
  echo
  echo "| run | seconds | listed prompt / description | orphans removed | missing re-queued | of inactive records removed (prompt / description) |"
  echo "|---|---:|---:|---:|---:|---:|"
  row "sync, clean library (the service's first: code not yet compiled by the JIT)" clean
  row "sync, after the drift" repair
  row "sync, repaired library" after
  echo
  echo "Baseline (same run, same service): fetch every record's id from both namespaces, 50 a request, and count"
  echo "the absent ones, which is all a script without the listing can do (orphans and deleted records' vectors stay"
  echo "unseen): $(v naive-clean naive_s) s on the clean library, $(v naive-drift naive_s) s after the drift ($(v naive-drift naive_prompt_missing) prompt vectors"
  echo "found missing). The listing alone over HTTP, 100 ids a page: $(v list list_s) s for $(v list listed) ids."
  echo "Sync / baseline: $(printf '%.2f' "$(echo "scale=4; $(v repair sync_s) / $(v naive-drift naive_s)" | bc)") after the drift. The service's resident memory"
  echo "at the end: $((RSS / 1024)) MiB (heap at most 4 GiB); the sync holds one page of ids at a time, the comparison is SQL."
} > "$OUT"
cat "$OUT"
