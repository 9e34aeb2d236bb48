#!/usr/bin/env bash
# HTTP client benchmark (issue "One house": one HTTP client stack). Writes bench/results/http-client.md.
# The service's own POST /v1/embeddings (the real local model, in its own JVM) asked by each client stack with the
# same requests, two in flight: batches of 64 SD prompts, then tiny requests of one short text (per-request overhead).
# Clients: camel-http through a ProducerTemplate (as RetryingHttp drove it), the JDK's HttpClient (HTTP/1.1), camel-http's
# Apache HttpClient called directly (built by us, and built by a camel-http endpoint), and a hand-written HTTP/1.1 client on a
# socket (the floor). Interleaved rounds, medians.
# Usage: bench/http-client.sh [ROUNDS] [BATCH_REQUESTS] [TINY_REQUESTS]   (PROMPTS=path/to/sd-prompts.txt.gz)
set -euo pipefail
cd "$(dirname "$0")/.."
ROUNDS=${1:-5}
BATCH=${2:-16}
TINY=${3:-400}
PROMPTS=${PROMPTS:-../shared/data/prompts/sd-prompts.txt.gz}
WORK=bench/work
OUT=bench/results/http-client.md
PORT=${BENCH_PORT:-18085}
mkdir -p "$WORK" bench/results
[ -f target/batch-image.jar ] || ./mvnw -q -B -DskipTests package
cp target/batch-image.jar "$WORK/batch-image.jar"
# camel-http and its Apache HttpClient, for the clients the application no longer carries
if [ ! -f "$WORK/camel-http.classpath" ]; then
  ./mvnw -q -B -f bench/http-client-pom.xml dependency:build-classpath -Dmdep.outputFile="$PWD/$WORK/camel-http.classpath"
fi
CP="$WORK/batch-image.jar:$(cat "$WORK/camel-http.classpath")"
rm -rf "$WORK/http-client-classes" && mkdir -p "$WORK/http-client-classes"
javac -d "$WORK/http-client-classes" -cp "$CP" bench/java/HttpClientBench.java

rm -rf "$WORK/http-client-data"
java -Dbatch-image.home="$PWD" -jar "$WORK/batch-image.jar" run --data "$WORK/http-client-data" --port "$PORT" > "$WORK/http-client-service.log" 2>&1 &
SERVICE=$!
trap 'kill $SERVICE 2>/dev/null; wait $SERVICE 2>/dev/null || true' EXIT
for _ in $(seq 1 240); do
  curl -sf -o /dev/null "http://127.0.0.1:$PORT/v1/models" && break
  sleep 0.5
done

java -cp "$WORK/http-client-classes:$CP" HttpClientBench "http://127.0.0.1:$PORT/v1/embeddings" "$PROMPTS" "$ROUNDS" "$BATCH" "$TINY" \
  2> "$WORK/http-client-rounds.txt" | tee "$WORK/http-client.txt"
v() { sed -n "s/^$1=//p" "$WORK/http-client.txt"; }
row() { # name label
  echo "| $2 | $(v "$1_batch_inputs_per_s") | $(v "$1_batch_median_ms") | $(v "$1_batch_thread_cpu_us") | $(v "$1_tiny_requests_per_s") | $(v "$1_tiny_median_ms") | $(v "$1_tiny_p90_ms") | $(v "$1_tiny_thread_cpu_us") | $(v "$1_tiny_cpu_us") |"
}
over() { # name: what the client adds to a tiny request over the floor, median over the rounds of the same-round differences
  echo "$(v "$1_tiny_over_floor_cpu_us") µs CPU and $(v "$1_tiny_over_floor_ms") ms"
}
{
  echo "# HTTP client benchmark"
  echo
  echo "$(date -u +%Y-%m-%d), $(nproc) cores, $(java -version 2>&1 | head -1), load average at the start: $(cut -d' ' -f1-3 /proc/loadavg)."
  echo "The machine is shared with other sessions' builds, tests and benchmarks while this runs: the absolute figures move from run"
  echo "to run; the ratios between clients within one run are what count (every round runs every client, in a rotating order)."
  echo
  echo "The service's own \`POST /v1/embeddings\` (all-minilm-l6-v2-q, in its own JVM) asked with the same requests by each client,"
  echo "two in flight, base64 answers. Per round and client: $BATCH requests of 64 SD prompts (sd-prompts.txt.gz), then $TINY requests"
  echo "of one short text. Medians over $ROUNDS rounds after a warm-up. CPU is the bench process' own, divided by the requests; the"
  echo "service's is not in it. \"threads\": every Java thread's CPU time (ns-precise; the clients' selector and executor threads"
  echo "included); \"process\": the whole process, GC and JIT included, in 10 ms ticks (too coarse for the few batch requests: only"
  echo "in the rounds below)."
  echo
  echo "| client | batch inputs/s | batch median ms | batch CPU µs/req, threads | tiny req/s | tiny median ms | tiny p90 ms | tiny CPU µs/req, threads | process |"
  echo "|---|---:|---:|---:|---:|---:|---:|---:|---:|"
  row camel "camel-http via ProducerTemplate (RetryingHttp before)"
  row jdk "JDK HttpClient, HTTP/1.1"
  row apache "Apache HttpClient 5 (camel-http's client) built and called directly"
  row endpoint "the Apache client a camel-http endpoint builds, called directly"
  row raw "hand-written HTTP/1.1 on a socket (the floor)"
  echo
  echo "Within each round, each client's figure over camel-http's (ProducerTemplate) in the same round; the median over the rounds"
  echo "(below 1: less latency or CPU; above 1: more throughput):"
  echo
  echo "| client | tiny throughput | tiny median latency | tiny CPU (threads) | batch throughput | batch median latency | batch CPU (threads) |"
  echo "|---|---:|---:|---:|---:|---:|---:|"
  for c in camel jdk apache endpoint raw; do
    echo "| $c | $(v ${c}_tiny_ratio_throughput) | $(v ${c}_tiny_ratio_latency) | $(v ${c}_tiny_ratio_thread_cpu) | $(v ${c}_batch_ratio_throughput) | $(v ${c}_batch_ratio_latency) | $(v ${c}_batch_ratio_thread_cpu) |"
  done
  echo
  echo "What each client adds to a tiny request over the floor (thread CPU, median latency; within each round, the median over"
  echo "the rounds): camel-http via ProducerTemplate $(over camel);"
  echo "JDK HttpClient $(over jdk); Apache HttpClient directly $(over apache); camel-http endpoint's client $(over endpoint)."
  echo
  echo "## The choice"
  echo
  echo "One stack: Apache HttpClient 5, the client camel-http is built on, called directly by http/RetryingHttp (http/HttpTransport)"
  echo "for embeddings, Pinecone, ComfyUI and the CLI. On the tiny requests, which show what a client costs per request, it used"
  echo "$(v apache_tiny_ratio_thread_cpu)x the CPU of camel-http's ProducerTemplate path and gave $(v apache_tiny_ratio_throughput)x its throughput;"
  echo "the JDK HttpClient, which passes each exchange between its selector thread and its executor's threads, used $(v jdk_tiny_ratio_thread_cpu)x its CPU"
  echo "and gave $(v jdk_tiny_ratio_throughput)x its throughput. On batches of 64 the model sets the pace (throughput within noise for"
  echo "every client) and the client's CPU per request is what differs: Apache directly $(v apache_batch_ratio_thread_cpu)x, JDK $(v jdk_batch_ratio_thread_cpu)x."
  echo "The Apache client that a camel-http endpoint builds costs the same as ours ($(v endpoint_tiny_ratio_thread_cpu)x): the same client, so the"
  echo "difference is Camel's producer path around each request (the exchange, its headers in and out, the body's conversion),"
  echo "of which the app used nothing: retries, timeouts and metrics are RetryingHttp's own. Called directly, the client needs no"
  echo "CamelContext, so the command line asks the service without one."
  echo
  echo "Rounds as they came:"
  echo
  echo '```'
  grep '^round' "$WORK/http-client-rounds.txt" || true
  echo '```'
} > "$OUT"
cat "$OUT"
