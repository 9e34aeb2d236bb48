#!/usr/bin/env bash
# Import benchmark (issues: foundation; hot paths). Loads the RECORDS-record batch file RUNS times each way, taking
# turns in every run, and writes bench/results/import.md:
#   baseline  PostgreSQL alone, on the server the import uses (the library's embedded PostgreSQL, same settings):
#             the file's rows, prepared once beforehand as COPY text (not timed), loaded in one transaction with a
#             COPY into a staging table and one INSERT ... ON CONFLICT into a fresh table of the old scripts' 8
#             columns with a primary key; timed from BEGIN to the acknowledged COMMIT
#   fresh     `batch-image import --no-index FILE` (java -Xmx256m -jar) into an initialised, empty library:
#             process start included
#   re-import the same command again: rows rewritten are counted from PostgreSQL (xmin), not from the app
# Goals: fresh <= 2.0x the baseline, re-import <= 1.0x with 0 rows rewritten.
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

if [ ! -f target/batch-image.jar ] || [ -n "$(find src pom.xml -newer target/batch-image.jar -print -quit)" ]; then
  ./mvnw -q -B -DskipTests package
fi
if [ ! -f "$FILE" ]; then
  echo "writing $RECORDS records with ../shared/tools/make_batch.py ..." >&2
  python3 ../shared/tools/make_batch.py "$RECORDS" "$FILE_DIR" >/dev/null
fi
# a copy of the jar, so that a rebuild during the run cannot change what is measured
cp target/batch-image.jar "$WORK/batch-image.jar"
bi() { java -Dbatch-image.home="$PWD" -jar "$WORK/batch-image.jar" "$@"; }
CLASSES=$WORK/import-classes
rm -rf "$CLASSES" && mkdir -p "$CLASSES"
javac -d "$CLASSES" -cp "$WORK/batch-image.jar" bench/java/ImportBaseline.java bench/java/BenchSql.java
CP="$WORK/batch-image.jar:$CLASSES"
sql() { java -cp "$CP" BenchSql "$1" "$2" 2>/dev/null | tail -1; }
median() { sort -n | awk '{a[NR]=$1} END {print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }
ROWS=$WORK/import-rows-$RECORDS.copy
[ -f "$ROWS" ] || java -Xmx2g -cp "$CP" ImportBaseline prepare "$FILE" "$ROWS" >&2

declare -a BASE O_FRESH O_RE O_RSS O_RE_RSS REWRITTEN INITDB
for i in $(seq 1 "$RUNS"); do
  DATA="$WORK/library"
  rm -rf "$DATA" && mkdir -p "$WORK/empty"
  s=$(date +%s.%N); bi import --no-index --data "$DATA" "$WORK/empty" >/dev/null 2>&1; e=$(date +%s.%N)
  INITDB+=("$(echo "$e - $s" | bc)")

  echo "run $i/$RUNS: baseline" >&2
  BASE+=("$(java -Xmx1g -cp "$CP" ImportBaseline load "$DATA" "$ROWS" 2>/dev/null | sed -n 's/.*total_s=\([0-9.]*\).*/\1/p')")

  echo "run $i/$RUNS: batch-image import (fresh)" >&2
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

bf=$(printf '%s\n' "${BASE[@]}" | median)
of=$(printf '%s\n' "${O_FRESH[@]}" | median); orr=$(printf '%s\n' "${O_RE[@]}" | median)
rss=$(printf '%s\n' "${O_RSS[@]}" "${O_RE_RSS[@]}" | sort -n | tail -1)
rw=$(printf '%s\n' "${REWRITTEN[@]}" | sort -n | tail -1)
initdb=$(printf '%.1f' "$(printf '%s\n' "${INITDB[@]}" | median)")
size=$(du -m "$FILE" | cut -f1)
ratio() { printf '%.2f' "$(echo "scale=4; $1 / $2" | bc)"; }
# the durable-commit comparison of bench/durable.sh lives in the same file
DURABLE=$(sed -n '/^## Durable commits/,$p' "$OUT" 2>/dev/null || true)
{
  echo "# Import benchmark"
  echo
  echo "$(date -u +%Y-%m-%d), $(nproc) cores, $(free -g | awk '/Mem:/{print $2}') GB, $(java -version 2>&1 | head -1); load average at the end $(cut -d' ' -f1-3 /proc/loadavg)."
  echo "Data: \`make_batch.py $RECORDS\`, one file of $size MB. $RUNS runs, the three loads taking turns in each; medians (every run listed below)."
  echo "The library's embedded PostgreSQL is durable (fsync, synchronous_commit and full_page_writes on); the baseline runs on it."
  echo
  echo "| load | seconds | vs COPY baseline | goal |"
  echo "|---|---:|---:|---|"
  echo "| baseline: COPY of the prepared rows into staging + one INSERT ... ON CONFLICT into a fresh 8-column table with a primary key, one transaction | $bf | 1.00 | |"
  echo "| batch-image import, fresh, -Xmx256m, process start included | $of | $(ratio "$of" "$bf") | <= 2.0 |"
  echo "| batch-image import, re-import of the same file, -Xmx256m, process start included | $orr | $(ratio "$orr" "$bf") | <= 1.0 |"
  echo
  echo "- Rows rewritten by the re-import (counted by xmin in PostgreSQL): **$rw** (goal 0)."
  echo "- Peak resident memory of the import process (JVM, -Xmx256m): **$((rss / 1024)) MB** (the old Python import: 4.1 GB)."
  echo "- Creating the library's embedded PostgreSQL (initdb, once per data folder, not in the figures above): $initdb s."
  echo
  echo "Every run (seconds): baseline ${BASE[*]}; fresh ${O_FRESH[*]}; re-import ${O_RE[*]}; rows rewritten ${REWRITTEN[*]}."
  if [ -n "$DURABLE" ]; then echo; echo "$DURABLE"; fi
} > "$OUT"
cat "$OUT"
