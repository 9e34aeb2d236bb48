#!/usr/bin/env bash
# Import benchmark (issue: foundation). Loads the 1,000,000-record batch file three ways, RUNS times each,
# and writes bench/results/import.md:
#   baseline  the same rows parsed by the same reader, loaded with one COPY into an UNLOGGED staging table
#             and one INSERT ... ON CONFLICT DO UPDATE (in-process, JVM and PostgreSQL start not counted);
#             its second load over the same rows is the re-import baseline (it rewrites every row)
#   fresh     `batch-image import --no-index FILE` (java -Xmx256m -jar; indexing is bench/local-index.sh's)  into an initialised, empty library: process start included
#   re-import the same command again: rows rewritten are counted from PostgreSQL (xmin), not from the app
# Usage: bench/import.sh [RECORDS] [RUNS]
set -euo pipefail
cd "$(dirname "$0")/.."
RECORDS=${1:-1000000}
RUNS=${2:-3}
WORK=bench/work
FILE_DIR=$WORK/batch-$RECORDS
FILE=$FILE_DIR/batch_image_data_sd_discord_final.json
OUT=bench/results/import.md
mkdir -p "$WORK" bench/results

[ -f target/batch-image.jar ] || ./mvnw -q -B -DskipTests package
if [ ! -f "$FILE" ]; then
  echo "writing $RECORDS records with ../shared/tools/make_batch.py ..." >&2
  python3 ../shared/tools/make_batch.py "$RECORDS" "$FILE_DIR" >/dev/null
fi
# a copy of the jar, so that a rebuild during the run cannot change what is measured
cp target/batch-image.jar "$WORK/batch-image.jar"
bi() { java ${BATCH_IMAGE_JAVA_OPTS:-} -Dbatch-image.home="$PWD" -jar "$WORK/batch-image.jar" "$@"; }
CLASSES=$WORK/classes
mkdir -p "$CLASSES"
javac -d "$CLASSES" -cp "$WORK/batch-image.jar" bench/java/ImportBaseline.java bench/java/BenchSql.java
CP="$WORK/batch-image.jar:$CLASSES"
sql() { java -cp "$CP" BenchSql "$1" "$2" 2>/dev/null | tail -1; }
median() { sort -n | awk '{a[NR]=$1} END {print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }

declare -a B_FRESH B_RE O_FRESH O_RE O_RSS O_RE_RSS REWRITTEN INITDB
for i in $(seq 1 "$RUNS"); do
  echo "run $i/$RUNS: baseline" >&2
  rm -rf "$WORK/baseline"
  B_FRESH+=("$(java -Xmx2g -cp "$CP" ImportBaseline "$WORK/baseline" "$FILE" 2>/dev/null | sed -n 's/.*total_s=\([0-9.]*\).*/\1/p')")
  B_RE+=("$(java -Xmx2g -cp "$CP" ImportBaseline "$WORK/baseline" "$FILE" 2>/dev/null | sed -n 's/.*total_s=\([0-9.]*\).*/\1/p')")
  rm -rf "$WORK/baseline"

  echo "run $i/$RUNS: batch-image import (fresh)" >&2
  DATA="$WORK/library"
  rm -rf "$DATA" && mkdir -p "$WORK/empty"
  s=$(date +%s.%N); bi import --no-index --data "$DATA" "$WORK/empty" >/dev/null 2>&1; e=$(date +%s.%N)
  INITDB+=("$(echo "$e - $s" | bc)")
  /usr/bin/time -f "%e %M" -o "$WORK/time.txt" java -Xmx256m -Dbatch-image.home="$PWD" -jar "$WORK/batch-image.jar" \
    import --json --no-index --data "$DATA" "$FILE" > "$WORK/fresh.json" 2>"$WORK/fresh.log"
  read -r wall rss < "$WORK/time.txt"; O_FRESH+=("$wall"); O_RSS+=("$rss")
  grep -q '"inserted" : '"$RECORDS" "$WORK/fresh.json" || { echo "fresh import did not insert $RECORDS rows:"; cat "$WORK/fresh.json"; exit 1; }

  echo "run $i/$RUNS: batch-image import (re-import)" >&2
  xid=$(sql "$DATA" "SELECT txid_current()")
  /usr/bin/time -f "%e %M" -o "$WORK/time.txt" java -Xmx256m -Dbatch-image.home="$PWD" -jar "$WORK/batch-image.jar" \
    import --json --no-index --data "$DATA" "$FILE" > "$WORK/re.json" 2>"$WORK/re.log"
  read -r wall rss < "$WORK/time.txt"; O_RE+=("$wall"); O_RE_RSS+=("$rss")
  REWRITTEN+=("$(sql "$DATA" "SELECT count(*) FROM image_library WHERE xmin::text::bigint > $xid")")
done

bf=$(printf '%s\n' "${B_FRESH[@]}" | median); br=$(printf '%s\n' "${B_RE[@]}" | median)
of=$(printf '%s\n' "${O_FRESH[@]}" | median); orr=$(printf '%s\n' "${O_RE[@]}" | median)
rss=$(printf '%s\n' "${O_RSS[@]}" "${O_RE_RSS[@]}" | sort -n | tail -1)
rw=$(printf '%s\n' "${REWRITTEN[@]}" | sort -n | tail -1)
initdb=$(printf '%.1f' "$(printf '%s\n' "${INITDB[@]}" | median)")
size=$(du -m "$FILE" | cut -f1)
ratio() { printf '%.2f' "$(echo "scale=4; $1 / $2" | bc)"; }
{
  echo "# Import benchmark"
  echo
  echo "$(date -u +%Y-%m-%d), $(nproc) cores, $(free -g | awk '/Mem:/{print $2}') GB, $(java -version 2>&1 | head -1)."
  echo "Data: \`make_batch.py $RECORDS\`, one file of $size MB. $RUNS runs each; medians (every run listed below)."
  echo
  echo "| load | seconds | vs COPY baseline | goal |"
  echo "|---|---:|---:|---|"
  echo "| baseline: COPY into staging + one INSERT ... ON CONFLICT (fresh) | $bf | 1.00 | |"
  echo "| baseline: the same again over existing rows (rewrites all) | $br | 1.00 | |"
  echo "| batch-image import, fresh, -Xmx256m, process start included | $of | $(ratio "$of" "$bf") | <= 2.0 |"
  echo "| batch-image import, re-import of the same file | $orr | $(ratio "$orr" "$bf") (vs the rewrite: $(ratio "$orr" "$br")) | <= 1.5 |"
  echo
  echo "- Rows rewritten by the re-import (counted by xmin in PostgreSQL): **$rw** (goal 0)."
  echo "- Peak resident memory of the import process (JVM, -Xmx256m): **$((rss / 1024)) MB** (the old Python import: 4.1 GB)."
  echo "- Creating the library's embedded PostgreSQL (initdb, once per data folder, not in the figures above): $initdb s."
  echo
  echo "Every run (seconds): baseline fresh ${B_FRESH[*]}; baseline again ${B_RE[*]}; fresh ${O_FRESH[*]}; re-import ${O_RE[*]}; rows rewritten ${REWRITTEN[*]}."
} > "$OUT"
cat "$OUT"
