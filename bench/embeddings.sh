#!/usr/bin/env bash
# Embeddings benchmark (issue: embeddings over HTTP). Writes bench/results/embeddings.md.
#  1. N real prompts from ../shared/data/prompts embedded by the quantized MiniLM model in-process, and the
#     same prompts through the service's own /v1/embeddings with the client (real HTTP): goal >= 90%.
#  2. A stub endpoint answering after a fixed 200 ms: the old pattern (one call per record, one at a time)
#     next to the client's batching with at most 8 requests in flight: goal >= 200x.
# Usage: bench/embeddings.sh [N]
set -euo pipefail
cd "$(dirname "$0")/.."
N=${1:-4096}
WORK=bench/work
OUT=bench/results/embeddings.md
PORT=${BENCH_PORT:-18080}
mkdir -p "$WORK" bench/results
[ -f target/batch-image.jar ] || ./mvnw -q -B -DskipTests package
cp target/batch-image.jar "$WORK/batch-image.jar"
mkdir -p "$WORK/classes"
javac -d "$WORK/classes" -cp "$WORK/batch-image.jar" bench/java/EmbeddingsBench.java

rm -rf "$WORK/embed-data"
java -Dbatch-image.home="$PWD" -jar "$WORK/batch-image.jar" run --data "$WORK/embed-data" --port "$PORT" > "$WORK/embed-service.log" 2>&1 &
SERVICE=$!
trap 'kill $SERVICE 2>/dev/null; wait $SERVICE 2>/dev/null || true' EXIT
for _ in $(seq 1 120); do
  curl -sf -o /dev/null "http://127.0.0.1:$PORT/v1/models" && break
  sleep 0.5
done

java -cp "$WORK/batch-image.jar:$WORK/classes" EmbeddingsBench "http://127.0.0.1:$PORT/v1/embeddings" \
  ../shared/data/prompts/sd-prompts.txt.gz "$N" 2>/dev/null | tee "$WORK/embeddings.txt"
v() { sed -n "s/^$1=//p" "$WORK/embeddings.txt"; }
old=$(v stub_old_pattern_per_s); new=$(v stub_batched_per_s)
{
  echo "# Embeddings benchmark"
  echo
  echo "$(date -u +%Y-%m-%d), $(nproc) cores, $(java -version 2>&1 | head -1). $N real prompts from sd-prompts.txt.gz;"
  echo "best of three rounds, the same batches of 64 texts for both; the client sends them base64, at most 4 requests in flight (the defaults)."
  echo
  echo "| measurement | records/s | ratio | goal |"
  echo "|---|---:|---:|---|"
  echo "| all-minilm-l6-v2-q in-process (baseline) | $(v in_process_per_s) | 1.00 | |"
  echo "| same model through \`POST /v1/embeddings\` and the client (real HTTP) | $(v http_client_per_s) | $(v http_ratio) | >= 0.90 |"
  echo "| stub endpoint, 200 ms per call: old pattern, one call per record | $old | 1 | |"
  echo "| stub endpoint, 200 ms per call: client, batches of 64, max 8 in flight (max seen: $(v stub_max_in_flight)) | $new | $(echo "scale=0; $new / $old" | bc)x | >= 200x |"
} > "$OUT"
cat "$OUT"
