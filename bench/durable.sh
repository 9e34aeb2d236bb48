#!/usr/bin/env bash
# Durable commits: what an embedded PostgreSQL with fsync, synchronous_commit and full_page_writes on costs the
# 1,000,000-record import, against BEFORE, a git revision whose embedded PostgreSQL ran as zonky starts it (-F, that is
# fsync off, and synchronous_commit=off). Builds both jars, runs `batch-image import --no-index FILE` (fresh, then the
# re-import of the same file, as bench/import.sh does) RUNS times with each, alternating, in one session, and writes
# the section "Durable commits" of bench/results/import.md.
# Usage: bench/durable.sh BEFORE_REV [RECORDS] [RUNS]
set -euo pipefail
cd "$(dirname "$0")/.."
BEFORE=${1:?usage: bench/durable.sh BEFORE_REV [RECORDS] [RUNS]}
RECORDS=${2:-1000000}
RUNS=${3:-3}
WORK=bench/work
FILE_DIR=$WORK/batch-$RECORDS
FILE=$FILE_DIR/batch_image_data_sd_discord_final.json
OUT=bench/results/import.md
mkdir -p "$WORK" "$WORK/empty"

if [ ! -f "$FILE" ]; then
  echo "writing $RECORDS records with ../shared/tools/make_batch.py ..." >&2
  python3 ../shared/tools/make_batch.py "$RECORDS" "$FILE_DIR" >/dev/null
fi
echo "building the jar of $BEFORE and the current one ..." >&2
rm -rf "$WORK/before-src" && mkdir -p "$WORK/before-src"
git archive "$BEFORE" | tar -x -C "$WORK/before-src"
(cd "$WORK/before-src" && ./mvnw -q -B -DskipTests package) >&2
./mvnw -q -B -DskipTests package >&2
cp "$WORK/before-src/target/batch-image.jar" "$WORK/before.jar"
cp target/batch-image.jar "$WORK/after.jar"

median() { sort -n | awk '{a[NR]=$1} END {print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }
# one fresh import and one re-import into a new library; prints "fresh_seconds reimport_seconds"
measure() {
  local jar=$1 home=$2 data=$WORK/durable-library
  rm -rf "$data"
  java -Dbatch-image.home="$home" -jar "$jar" import --no-index --data "$data" "$WORK/empty" >/dev/null 2>&1
  /usr/bin/time -f "%e" -o "$WORK/time.txt" java -Xmx256m -Dbatch-image.home="$home" -jar "$jar" \
    import --json --no-index --data "$data" "$FILE" > "$WORK/durable.json" 2>"$WORK/durable.log"
  grep -q '"inserted" : '"$RECORDS" "$WORK/durable.json" || { echo "the import did not insert $RECORDS rows:" >&2; cat "$WORK/durable.json" >&2; exit 1; }
  local fresh; fresh=$(cat "$WORK/time.txt")
  /usr/bin/time -f "%e" -o "$WORK/time.txt" java -Xmx256m -Dbatch-image.home="$home" -jar "$jar" \
    import --json --no-index --data "$data" "$FILE" > "$WORK/durable.json" 2>"$WORK/durable.log"
  echo "$fresh $(cat "$WORK/time.txt")"
  rm -rf "$data"
}

declare -a BF BR AF AR
for i in $(seq 1 "$RUNS"); do
  echo "run $i/$RUNS: before ($BEFORE)" >&2
  measure "$WORK/before.jar" "$PWD/$WORK/before-src" > "$WORK/measured.txt"
  read -r f r < "$WORK/measured.txt"; BF+=("$f"); BR+=("$r")
  echo "run $i/$RUNS: durable (current)" >&2
  measure "$WORK/after.jar" "$PWD" > "$WORK/measured.txt"
  read -r f r < "$WORK/measured.txt"; AF+=("$f"); AR+=("$r")
done

bf=$(printf '%s\n' "${BF[@]}" | median); br=$(printf '%s\n' "${BR[@]}" | median)
af=$(printf '%s\n' "${AF[@]}" | median); ar=$(printf '%s\n' "${AR[@]}" | median)
ratio() { printf '%.2f' "$(echo "scale=4; $1 / $2" | bc)"; }
SECTION=$(cat <<EOF
## Durable commits

$(date -u +%Y-%m-%d), $(nproc) cores, $(java -version 2>&1 | head -1); measured by \`bench/durable.sh $BEFORE $RECORDS $RUNS\`, both
kinds alternating in one session. Before: the embedded PostgreSQL as zonky started it (\`-F\`, \`synchronous_commit=off\`);
durable: started by the app with \`fsync\`, \`synchronous_commit\` and \`full_page_writes\` on. \`batch-image import --no-index\`
of \`make_batch.py $RECORDS\`, -Xmx256m, process start included; medians of $RUNS runs.

| load | before (s) | durable (s) | durable / before |
|---|---:|---:|---:|
| fresh import | $bf | $af | $(ratio "$af" "$bf") |
| re-import of the same file | $br | $ar | $(ratio "$ar" "$br") |

Every run (seconds): before fresh ${BF[*]}; durable fresh ${AF[*]}; before re-import ${BR[*]}; durable re-import ${AR[*]}.
Load average at the end (1, 5, 15 min): $(cut -d' ' -f1-3 /proc/loadavg).
EOF
)
SECTION="$SECTION" python3 - "$OUT" <<'PY'
import os, re, sys
path = sys.argv[1]
text = open(path).read() if os.path.exists(path) else "# Import benchmark\n"
section = os.environ["SECTION"].strip() + "\n"
if "## Durable commits" in text:
    text = re.sub(r"## Durable commits\n.*?(?=\n## |\Z)", section, text, flags=re.S)
else:
    text = text.rstrip("\n") + "\n\n" + section
open(path, "w").write(text)
PY
echo "$SECTION"
