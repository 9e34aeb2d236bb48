#!/usr/bin/env bash
# Runs the official Pinecone and OpenAI SDKs (pinned in package.json) against a real batch-image: starts
# target/batch-image.jar on a free port with a temporary data folder, once without BATCH_IMAGE_API_KEY and once
# with it (then a wrong key must be refused), runs pinecone.mjs and openai.mjs each time, and stops the service.
# Builds nothing: run ./mvnw package (or verify) and npm ci --prefix clients first. Exits non-zero on any failed check.
set -uo pipefail
CLIENTS="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(dirname "$CLIENTS")"
JAR="$ROOT/target/batch-image.jar"
[ -f "$JAR" ] || { echo "clients/run.sh: $JAR is missing: build it first (./mvnw -B -DskipTests package)" >&2; exit 2; }
[ -d "$CLIENTS/node_modules/@pinecone-database/pinecone" ] && [ -d "$CLIENTS/node_modules/openai" ] \
  || { echo "clients/run.sh: the SDKs are not installed: npm ci --prefix clients" >&2; exit 2; }

WORK="$(mktemp -d)"
PID=""
stop() {
  if [ -n "$PID" ] && kill -0 "$PID" 2>/dev/null; then
    kill "$PID"
    wait "$PID" 2>/dev/null
  fi
  PID=""
}
trap 'stop; rm -rf "$WORK"' EXIT

free_port() {
  node -e 'const s = require("net").createServer().listen(0, "127.0.0.1", () => { console.log(s.address().port); s.close(); })'
}

# start KEY: the service on a fresh data folder, BATCH_IMAGE_API_KEY=KEY (empty: none); sets URL and PID
start() {
  local key="$1" data port
  data="$(mktemp -d "$WORK/data.XXXX")"
  port="$(free_port)"
  URL="http://127.0.0.1:$port"
  # local embeddings and index only: none of the caller's Pinecone, OpenAI or database settings
  (cd "$data" && exec env -u PINECONE_API_KEY -u PINECONE_HOST -u PINECONE_INDEX -u OPENAI_API_KEY -u EMBEDDINGS_URL \
      -u EMBEDDINGS_MODEL -u EMBEDDINGS_DIMENSIONS -u AZURE_OPENAI_API_KEY -u AZURE_OPENAI_ENDPOINT -u DATABASE_URL \
      BATCH_IMAGE_DATA="$data" BATCH_IMAGE_HOST=127.0.0.1 BATCH_IMAGE_PORT="$port" BATCH_IMAGE_API_KEY="$key" \
      java -Dbatch-image.home="$ROOT" -jar "$JAR" run >"$data/service.log" 2>&1) &
  PID=$!
  LOG="$data/service.log"
  # up when /observe/health answers 200 (the key is sent in case the health check wants it too)
  if ! BATCH_IMAGE_URL="$URL" KEY="$key" PID="$PID" node -e '
      const until = Date.now() + 180000;
      const alive = () => { try { process.kill(Number(process.env.PID), 0); return true; } catch { return false; } };
      (async () => {
        while (Date.now() < until && alive()) {
          try {
            const r = await fetch(process.env.BATCH_IMAGE_URL + "/observe/health",
              { headers: { Authorization: "Bearer " + process.env.KEY, "X-API-Key": process.env.KEY } });
            if (r.status === 200) process.exit(0);
          } catch {}
          await new Promise((ok) => setTimeout(ok, 500));
        }
        process.exit(1);
      })();'; then
    echo "FAIL service: did not come up healthy at $URL; its log ends:" >&2
    tail -n 40 "$LOG" >&2
    stop
    return 1
  fi
}

OUT="$WORK/checks.txt"
: >"$OUT"
status=0
for mode in open keyed; do
  key=""
  [ "$mode" = keyed ] && key="ci-key-$RANDOM$RANDOM"
  echo "== clients: service $([ -n "$key" ] && echo "with BATCH_IMAGE_API_KEY set" || echo "without BATCH_IMAGE_API_KEY")"
  if ! start "$key"; then
    echo "FAIL service ($mode): did not start" >>"$OUT"
    status=1
    continue
  fi
  for script in pinecone.mjs openai.mjs; do
    # each check prints "ok ..." or "FAIL ..."; a script that dies before its checks end fails too
    if ! (cd "$CLIENTS" && BATCH_IMAGE_URL="$URL" BATCH_IMAGE_API_KEY="$key" node "$script") 2>&1 | sed "s/^\(ok  \|FAIL\) /\1 [$mode] /" | tee -a "$OUT"; then
      grep -q "^FAIL \[$mode\] ${script%.mjs}:" "$OUT" || echo "FAIL [$mode] ${script%.mjs}: the script ended early (see above)" | tee -a "$OUT"
      status=1
    fi
  done
  # the Python openai package is not on the npm registry; checked when this machine has it (PYTHON, else python3)
  py="${PYTHON:-python3}"
  if "$py" -c 'import openai' 2>/dev/null; then
    (cd "$CLIENTS" && BATCH_IMAGE_URL="$URL" BATCH_IMAGE_API_KEY="$key" "$py" openai_check.py) 2>&1 \
      | sed "s/^\(ok  \|FAIL\) /\1 [$mode] /" | tee -a "$OUT" || status=1
  else
    echo "skip [$mode] openai (Python): no openai package for $py"
  fi
  if grep -q "^FAIL \[$mode\]" "$OUT"; then
    echo "-- the service's log ends:"
    tail -n 20 "$LOG"
  fi
  stop
done

passed=$(grep -c '^ok ' "$OUT")
failed=$(grep -c '^FAIL' "$OUT")
if [ "$failed" -gt 0 ]; then
  echo "== clients: failed checks:"
  grep '^FAIL' "$OUT"
  status=1
fi
echo "clients: $passed passed, $failed failed"
exit $status
