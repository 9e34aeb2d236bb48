#!/usr/bin/env bash
# Local index benchmark (issue: vector indexing). Writes bench/results/local-index.md.
# N clustered vectors of 384 dimensions in one namespace of the Lucene-backed local index, written in
# upserts of 1,000 as the index route would; top-10 queries without a filter and with a sub_theme filter
# matching 15%, timed at the index, first as written (many segments) and then merged into one segment;
# recall@10 against exact brute force over the same vectors. Baseline: the exact search itself (recall 1).
# Usage: bench/local-index.sh [N] [QUERIES]
set -euo pipefail
cd "$(dirname "$0")/.."
N=${1:-100000}
Q=${2:-1000}
WORK=bench/work
OUT=bench/results/local-index.md
mkdir -p "$WORK/classes" bench/results
[ -f target/batch-image.jar ] || ./mvnw -q -B -DskipTests package
cp target/batch-image.jar "$WORK/batch-image.jar"
javac -d "$WORK/classes" -cp "$WORK/batch-image.jar" bench/java/LocalIndexBench.java
run() { rm -rf "$WORK/local-index"; java -Xmx4g "$@" -cp "$WORK/batch-image.jar:$WORK/classes" LocalIndexBench "$WORK/local-index" "$N" "$Q" 2>/dev/null; }
run > "$WORK/li-segments.txt"
run -Doptimize=true > "$WORK/li-merged.txt"
v() { sed -n "s/^$2=//p" "$1"; }
{
  echo "# Local index benchmark"
  echo
  echo "$(date -u +%Y-%m-%d), $(nproc) cores, $(java -version 2>&1 | head -1). $N clustered vectors (1,000 centroids),"
  echo "384 dimensions, cosine; $Q top-10 queries each; latency measured at the index (no HTTP)."
  echo
  echo "| index state | filter | p50 ms | p99 ms | recall@10 vs exact | goals |"
  echo "|---|---|---:|---:|---:|---|"
  for f in segments merged; do
    file="$WORK/li-$f.txt"
    label=$([ "$f" = merged ] && echo "merged into 1 segment (merge took $(v "$file" merge_s) s)" || echo "as written: $(v "$file" segments) segments (build $(v "$file" build_s) s)")
    echo "| $label | none | $(v "$file" unfiltered_p50_ms) | $(v "$file" unfiltered_p99_ms) | $(v "$file" unfiltered_recall10) | p50 <= 2, p99 <= 10, recall >= 0.98 |"
    echo "| $label | sub_theme, 15% | $(v "$file" filtered_p50_ms) | $(v "$file" filtered_p99_ms) | $(v "$file" filtered_recall10) | same |"
  done
} > "$OUT"
cat "$OUT"
