import java.io.BufferedInputStream;
import java.io.BufferedReader;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.lang.management.ManagementFactory;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.zip.GZIPInputStream;
import org.apache.camel.Exchange;
import org.apache.camel.Message;
import org.apache.camel.ProducerTemplate;
import org.apache.camel.component.http.HttpClientConfigurer;
import org.apache.camel.impl.DefaultCamelContext;
import org.apache.hc.client5.http.classic.methods.HttpPost;
import org.apache.hc.client5.http.config.ConnectionConfig;
import org.apache.hc.client5.http.config.RequestConfig;
import org.apache.hc.client5.http.impl.classic.CloseableHttpClient;
import org.apache.hc.client5.http.impl.classic.HttpClients;
import org.apache.hc.client5.http.impl.io.PoolingHttpClientConnectionManagerBuilder;
import org.apache.hc.core5.http.ContentType;
import org.apache.hc.core5.http.io.entity.ByteArrayEntity;
import org.apache.hc.core5.http.io.entity.EntityUtils;
import org.apache.hc.core5.util.Timeout;

/**
 * The HTTP client benchmark of bench/http-client.sh: the same requests to the service's own {@code POST /v1/embeddings}
 * through each client stack, two in flight, in interleaved rounds (the order rotates every round).
 * Usage: HttpClientBench URL PROMPTS_GZ ROUNDS BATCH_REQUESTS TINY_REQUESTS
 *  - camel: camel-http through a ProducerTemplate, with the endpoint options RetryingHttp used (throwExceptionOnFailure=false,
 *    automatic retries off, connect/response/connection-request timeouts, a pool of 20 connections);
 *  - jdk: java.net.http.HttpClient, HTTP/1.1 (its keep-alive pool), the default executor;
 *  - apache: camel-http's own Apache HttpClient 5 (classic, pooled) built and called directly, without Camel;
 *  - endpoint: the Apache HttpClient that a camel-http endpoint builds from the same URI options, called directly;
 *  - raw: a hand-written HTTP/1.1 keep-alive client on one socket per thread: the floor, what any client costs at least.
 * Batch requests carry 64 SD prompts each; tiny ones one short text. Per phase: wall time, the bench process' CPU time,
 * each request's latency. Prints one line per figure: {@code name=value}, medians over the rounds.
 */
public final class HttpClientBench {

    static final int IN_FLIGHT = 2;
    static final long TIMEOUT_MS = 60_000;

    /** One client stack: POST a JSON body, answer the 200 body (anything else is an error). */
    interface Transport extends AutoCloseable {
        String name();

        byte[] post(byte[] body) throws Exception;

        @Override
        default void close() throws Exception {
        }
    }

    /** camel-http as RetryingHttp drove it: a ProducerTemplate, the status and body read off the message. */
    static final class CamelTransport implements Transport {
        private final DefaultCamelContext camel = new DefaultCamelContext();
        private final ProducerTemplate producer;
        private final String endpoint;

        CamelTransport(String url) {
            camel.getRegistry().bind("noAutomaticRetries", (HttpClientConfigurer) b -> b.disableAutomaticRetries());
            camel.start();
            producer = camel.createProducerTemplate();
            int connections = Math.max(20, IN_FLIGHT * 2);
            endpoint = url + "?throwExceptionOnFailure=false&httpClientConfigurer=#noAutomaticRetries&connectTimeout=10000"
                    + "&responseTimeout=" + TIMEOUT_MS + "&connectionRequestTimeout=" + TIMEOUT_MS
                    + "&maxTotalConnections=" + connections + "&connectionsPerRoute=" + connections;
        }

        @Override
        public String name() {
            return "camel";
        }

        @Override
        public byte[] post(byte[] body) {
            Exchange ex = producer.send(endpoint, e -> {
                Message m = e.getMessage();
                m.setHeader(Exchange.HTTP_METHOD, "POST");
                m.setHeader(Exchange.CONTENT_TYPE, "application/json");
                m.setBody(body);
            });
            if (ex.getException() != null) {
                throw new IllegalStateException(ex.getException());
            }
            Message m = ex.getMessage();
            int status = m.getHeader(Exchange.HTTP_RESPONSE_CODE, 0, Integer.class);
            byte[] out = m.getBody(byte[].class);
            // what RetryingHttp kept of the answer: its headers too
            Map<String, Object> headers = m.getHeaders();
            if (status != 200 || headers.isEmpty()) {
                throw new IllegalStateException("camel: " + status);
            }
            return out;
        }

        @Override
        public void close() {
            producer.stop();
            camel.stop();
        }
    }

    /** java.net.http.HttpClient, HTTP/1.1. */
    static final class JdkTransport implements Transport {
        private final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
                .connectTimeout(Duration.ofSeconds(10)).build();
        private final URI uri;

        JdkTransport(String url) {
            uri = URI.create(url);
        }

        @Override
        public String name() {
            return "jdk";
        }

        @Override
        public byte[] post(byte[] body) throws Exception {
            HttpRequest req = HttpRequest.newBuilder(uri).timeout(Duration.ofMillis(TIMEOUT_MS)).header("Content-Type", "application/json")
                    .POST(HttpRequest.BodyPublishers.ofByteArray(body)).build();
            HttpResponse<byte[]> res = http.send(req, HttpResponse.BodyHandlers.ofByteArray());
            if (res.statusCode() != 200 || res.headers().map().isEmpty()) {
                throw new IllegalStateException("jdk: " + res.statusCode());
            }
            return res.body();
        }
    }

    /** camel-http's endpoint configures the Apache client from the same URI options; the request is executed on it directly. */
    static final class EndpointClientTransport implements Transport {
        private final DefaultCamelContext camel = new DefaultCamelContext();
        private final org.apache.hc.client5.http.classic.HttpClient http;
        private final String url;

        EndpointClientTransport(String url) {
            this.url = url;
            camel.getRegistry().bind("noAutomaticRetries", (HttpClientConfigurer) b -> b.disableAutomaticRetries());
            camel.start();
            int connections = Math.max(20, IN_FLIGHT * 2);
            http = camel.getEndpoint(url + "?httpClientConfigurer=#noAutomaticRetries&connectTimeout=10000&responseTimeout=" + TIMEOUT_MS
                    + "&connectionRequestTimeout=" + TIMEOUT_MS + "&maxTotalConnections=" + connections + "&connectionsPerRoute=" + connections,
                    org.apache.camel.component.http.HttpEndpoint.class).getHttpClient();
        }

        @Override
        public String name() {
            return "endpoint";
        }

        @Override
        public byte[] post(byte[] body) throws Exception {
            var post = new HttpPost(url);
            post.setEntity(new ByteArrayEntity(body, ContentType.APPLICATION_JSON));
            return http.execute(post, res -> {
                byte[] out = EntityUtils.toByteArray(res.getEntity());
                if (res.getCode() != 200) {
                    throw new IllegalStateException("endpoint: " + res.getCode());
                }
                return out;
            });
        }

        @Override
        public void close() {
            camel.stop();
        }
    }

    /** camel-http's client without Camel: Apache HttpClient 5 classic, a pool of 20, no automatic retries. */
    static final class ApacheTransport implements Transport {
        private final CloseableHttpClient http;
        private final String url;

        ApacheTransport(String url) {
            this.url = url;
            var pool = PoolingHttpClientConnectionManagerBuilder.create().setMaxConnTotal(20).setMaxConnPerRoute(20)
                    .setDefaultConnectionConfig(ConnectionConfig.custom().setConnectTimeout(Timeout.ofSeconds(10)).build()).build();
            http = HttpClients.custom().setConnectionManager(pool).disableAutomaticRetries()
                    .setDefaultRequestConfig(RequestConfig.custom().setResponseTimeout(Timeout.ofMilliseconds(TIMEOUT_MS)).setConnectionRequestTimeout(Timeout.ofMilliseconds(TIMEOUT_MS)).build())
                    .build();
        }

        @Override
        public String name() {
            return "apache";
        }

        @Override
        public byte[] post(byte[] body) throws Exception {
            var post = new HttpPost(url);
            post.setEntity(new ByteArrayEntity(body, ContentType.APPLICATION_JSON));
            return http.execute(post, res -> {
                byte[] out = EntityUtils.toByteArray(res.getEntity());
                if (res.getCode() != 200) {
                    throw new IllegalStateException("apache: " + res.getCode());
                }
                return out;
            });
        }

        @Override
        public void close() throws IOException {
            http.close();
        }
    }

    /** The floor: HTTP/1.1 by hand on a kept-alive socket per thread (Content-Length or chunked answers). */
    static final class RawTransport implements Transport {
        private final String host;
        private final int port;
        private final String path;
        /** A kept-alive connection: the socket and its buffered input. */
        private record Connection(Socket socket, InputStream in) {
        }

        private final ThreadLocal<Connection> sockets = new ThreadLocal<>();
        private final List<Socket> all = java.util.Collections.synchronizedList(new ArrayList<>());

        RawTransport(String url) {
            URI u = URI.create(url);
            host = u.getHost();
            port = u.getPort();
            path = u.getRawPath();
        }

        @Override
        public String name() {
            return "raw";
        }

        @Override
        public byte[] post(byte[] body) throws Exception {
            Connection c = sockets.get();
            if (c != null) {
                try {
                    return exchange(c, body);
                } catch (IOException e) {
                    // the server closed the kept-alive connection while it was idle: a new one, as any pooling client does
                    c.socket().close();
                }
            }
            Socket s = new Socket(host, port);
            s.setTcpNoDelay(true);
            c = new Connection(s, new BufferedInputStream(s.getInputStream(), 64 * 1024));
            sockets.set(c);
            all.add(s);
            return exchange(c, body);
        }

        private byte[] exchange(Connection c, byte[] body) throws IOException {
            OutputStream out = c.socket().getOutputStream();
            String head = "POST " + path + " HTTP/1.1\r\nHost: " + host + ":" + port + "\r\nContent-Type: application/json\r\nContent-Length: "
                    + body.length + "\r\n\r\n";
            byte[] top = head.getBytes(StandardCharsets.ISO_8859_1);
            byte[] request = Arrays.copyOf(top, top.length + body.length);
            System.arraycopy(body, 0, request, top.length, body.length);
            out.write(request);
            out.flush();
            InputStream in = c.in();
            String status = line(in);
            int length = -1;
            boolean chunked = false;
            for (String h = line(in); !h.isEmpty(); h = line(in)) {
                String lower = h.toLowerCase(Locale.ROOT);
                if (lower.startsWith("content-length:")) {
                    length = Integer.parseInt(h.substring(15).trim());
                } else if (lower.startsWith("transfer-encoding:") && lower.contains("chunked")) {
                    chunked = true;
                }
            }
            byte[] answer;
            if (chunked) {
                var buf = new ByteArrayOutputStream();
                for (int n = Integer.parseInt(line(in).split(";")[0].trim(), 16); n > 0; n = Integer.parseInt(line(in).split(";")[0].trim(), 16)) {
                    buf.write(in.readNBytes(n));
                    line(in);
                }
                line(in);
                answer = buf.toByteArray();
            } else {
                answer = in.readNBytes(length);
            }
            if (!status.startsWith("HTTP/1.1 200")) {
                throw new IllegalStateException("raw: " + status);
            }
            return answer;
        }

        private static String line(InputStream in) throws IOException {
            var sb = new StringBuilder();
            for (int c = in.read(); c != '\n'; c = in.read()) {
                if (c < 0) {
                    throw new IOException("connection closed");
                }
                if (c != '\r') {
                    sb.append((char) c);
                }
            }
            return sb.toString();
        }

        @Override
        public void close() throws IOException {
            for (Socket s : all) {
                s.close();
            }
        }
    }

    /** One phase's figures. */
    record Figures(double requestsPerS, double inputsPerS, double medianMs, double p90Ms, double cpuUsPerRequest, double threadCpuUsPerRequest) {
    }

    public static void main(String[] args) throws Exception {
        String url = args[0];
        List<String> prompts = prompts(Path.of(args[1]));
        int rounds = Integer.parseInt(args[2]);
        int batchRequests = Integer.parseInt(args[3]);
        int tinyRequests = Integer.parseInt(args[4]);
        String model = System.getProperty("model", "all-minilm-l6-v2-q");

        var batches = new ArrayList<byte[]>();
        for (int i = 0; i + 64 <= prompts.size(); i += 64) {
            batches.add(body(model, prompts.subList(i, i + 64)));
        }
        byte[] tiny = body(model, List.of("a cat"));
        System.err.println(batches.size() + " batches of 64 prompts, rounds=" + rounds);

        List<Transport> transports = new ArrayList<>(List.of(new CamelTransport(url), new JdkTransport(url), new ApacheTransport(url), new EndpointClientTransport(url), new RawTransport(url)));
        var cpu = (com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean();
        ExecutorService pool = Executors.newFixedThreadPool(IN_FLIGHT);
        var results = new LinkedHashMap<String, List<Figures>>();

        // warm-up: each client, both shapes, unmeasured
        for (Transport t : transports) {
            run(t, pool, cpu, batches, batchRequests, 64);
            run(t, pool, cpu, List.of(tiny), 2 * tinyRequests, 1);
        }
        for (int round = 0; round < rounds; round++) {
            for (int k = 0; k < transports.size(); k++) {
                Transport t = transports.get((k + round) % transports.size());
                Figures b = run(t, pool, cpu, rotate(batches, round * batchRequests), batchRequests, 64);
                Figures s = run(t, pool, cpu, List.of(tiny), tinyRequests, 1);
                results.computeIfAbsent(t.name() + "_batch", x -> new ArrayList<>()).add(b);
                results.computeIfAbsent(t.name() + "_tiny", x -> new ArrayList<>()).add(s);
                System.err.printf(Locale.ROOT, "round %d %-8s batch %5.1f inputs/s median %6.0f ms cpu %5.0f (threads %5.0f) us/req"
                        + " | tiny %4.0f req/s median %5.2f ms cpu %5.0f (threads %5.0f) us/req%n",
                        round + 1, t.name(), b.inputsPerS(), b.medianMs(), b.cpuUsPerRequest(), b.threadCpuUsPerRequest(),
                        s.requestsPerS(), s.medianMs(), s.cpuUsPerRequest(), s.threadCpuUsPerRequest());
            }
        }
        // within each round, each client against camel-http's figure of the same round; the median of those ratios
        for (String key : results.keySet()) {
            String shape = key.substring(key.indexOf('_'));
            List<Figures> base = results.get("camel" + shape);
            List<Figures> f = results.get(key);
            double[] speed = new double[rounds];
            double[] latency = new double[rounds];
            double[] threads = new double[rounds];
            for (int r = 0; r < rounds; r++) {
                speed[r] = f.get(r).requestsPerS() / base.get(r).requestsPerS();
                latency[r] = f.get(r).medianMs() / base.get(r).medianMs();
                threads[r] = f.get(r).threadCpuUsPerRequest() / base.get(r).threadCpuUsPerRequest();
            }
            System.out.printf(Locale.ROOT, "%s_ratio_throughput=%.2f%n%s_ratio_latency=%.2f%n%s_ratio_thread_cpu=%.2f%n",
                    key, median(speed), key, median(latency), key, median(threads));
            // and over the floor (the hand-written client) of the same round: what the client itself adds to a request
            List<Figures> floor = results.get("raw" + shape);
            double[] overMs = new double[rounds];
            double[] overCpu = new double[rounds];
            for (int r = 0; r < rounds; r++) {
                overMs[r] = f.get(r).medianMs() - floor.get(r).medianMs();
                overCpu[r] = f.get(r).threadCpuUsPerRequest() - floor.get(r).threadCpuUsPerRequest();
            }
            System.out.printf(Locale.ROOT, "%s_over_floor_ms=%.2f%n%s_over_floor_cpu_us=%.0f%n", key, median(overMs), key, median(overCpu));
        }
        pool.shutdownNow();
        for (Transport t : transports) {
            t.close();
        }
        for (var e : results.entrySet()) {
            List<Figures> f = e.getValue();
            System.out.printf(Locale.ROOT, "%s_requests_per_s=%.1f%n", e.getKey(), median(f.stream().mapToDouble(Figures::requestsPerS).toArray()));
            System.out.printf(Locale.ROOT, "%s_inputs_per_s=%.1f%n", e.getKey(), median(f.stream().mapToDouble(Figures::inputsPerS).toArray()));
            System.out.printf(Locale.ROOT, "%s_median_ms=%.3f%n", e.getKey(), median(f.stream().mapToDouble(Figures::medianMs).toArray()));
            System.out.printf(Locale.ROOT, "%s_p90_ms=%.3f%n", e.getKey(), median(f.stream().mapToDouble(Figures::p90Ms).toArray()));
            System.out.printf(Locale.ROOT, "%s_cpu_us=%.1f%n", e.getKey(), median(f.stream().mapToDouble(Figures::cpuUsPerRequest).toArray()));
            System.out.printf(Locale.ROOT, "%s_thread_cpu_us=%.1f%n", e.getKey(), median(f.stream().mapToDouble(Figures::threadCpuUsPerRequest).toArray()));
        }
        System.out.println("rounds=" + rounds);
        System.out.println("batch_requests=" + batchRequests);
        System.out.println("tiny_requests=" + tinyRequests);
    }

    /** {@code n} requests over IN_FLIGHT threads, bodies taken in turn from {@code bodies}. */
    static Figures run(Transport t, ExecutorService pool, com.sun.management.OperatingSystemMXBean cpu, List<byte[]> bodies, int n, int inputs)
            throws Exception {
        long[] latencies = new long[n];
        var next = new AtomicInteger();
        var tasks = new ArrayList<Future<?>>();
        Map<Long, Long> threads0 = threadCpu();
        long cpu0 = cpu.getProcessCpuTime();
        long t0 = System.nanoTime();
        for (int w = 0; w < IN_FLIGHT; w++) {
            tasks.add(pool.submit(() -> {
                for (int i = next.getAndIncrement(); i < n; i = next.getAndIncrement()) {
                    long s = System.nanoTime();
                    byte[] answer = t.post(bodies.get(i % bodies.size()));
                    latencies[i] = System.nanoTime() - s;
                    if (answer.length < 100) {
                        throw new IllegalStateException(t.name() + ": a short answer: " + new String(answer, StandardCharsets.UTF_8));
                    }
                }
                return null;
            }));
        }
        for (Future<?> f : tasks) {
            f.get();
        }
        double wall = (System.nanoTime() - t0) / 1e9;
        double cpuNs = cpu.getProcessCpuTime() - cpu0;
        double threadNs = 0;
        for (var e : threadCpu().entrySet()) {
            threadNs += e.getValue() - threads0.getOrDefault(e.getKey(), 0L);
        }
        Arrays.sort(latencies);
        return new Figures(n / wall, n * inputs / wall, latencies[n / 2] / 1e6, latencies[(int) (n * 0.9)] / 1e6, cpuNs / n / 1e3,
                threadNs / n / 1e3);
    }

    /** CPU time of every live Java thread, in ns (precise, unlike the process' 10 ms ticks; GC and JIT threads are not in it). */
    static Map<Long, Long> threadCpu() {
        var mx = ManagementFactory.getThreadMXBean();
        var out = new java.util.HashMap<Long, Long>();
        for (long id : mx.getAllThreadIds()) {
            long ns = mx.getThreadCpuTime(id);
            if (ns >= 0) {
                out.put(id, ns);
            }
        }
        return out;
    }

    static <T> List<T> rotate(List<T> list, int by) {
        var out = new ArrayList<T>(list.size());
        for (int i = 0; i < list.size(); i++) {
            out.add(list.get((i + by) % list.size()));
        }
        return out;
    }

    static double median(double[] v) {
        double[] s = v.clone();
        Arrays.sort(s);
        return s.length % 2 == 1 ? s[s.length / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
    }

    /** The request EmbeddingsClient sends the local service: model, inputs, base64. */
    static byte[] body(String model, List<String> inputs) throws IOException {
        var om = new com.fasterxml.jackson.databind.ObjectMapper();
        var req = om.createObjectNode();
        var arr = req.putArray("input");
        inputs.forEach(arr::add);
        req.put("model", model);
        req.put("encoding_format", "base64");
        return om.writeValueAsBytes(req);
    }

    static List<String> prompts(Path gz) throws IOException {
        var out = new ArrayList<String>();
        try (var r = new BufferedReader(new InputStreamReader(new GZIPInputStream(new BufferedInputStream(Files.newInputStream(gz))),
                StandardCharsets.UTF_8))) {
            for (String line = r.readLine(); line != null && out.size() < 64 * 64; line = r.readLine()) {
                if (!line.isBlank()) {
                    out.add(line.strip());
                }
            }
        }
        return out;
    }
}
