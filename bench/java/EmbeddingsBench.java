import batchimage.embed.EmbeddingsApi;
import batchimage.embed.EmbeddingsClient;
import batchimage.embed.EmbeddingsConfig;
import batchimage.embed.LocalModels;
import com.sun.net.httpserver.HttpServer;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Executors;
import java.util.zip.GZIPInputStream;
import org.apache.camel.impl.DefaultCamelContext;

/**
 * The embeddings benchmark of bench/embeddings.sh.
 * Usage: EmbeddingsBench URL PROMPTS_GZ QUERIES_JSONL N ROUNDS BASELINE_CLASSPATH SERVICE_PID
 *  1. N real prompts through URL (the running service's /v1/embeddings) with the app's client, batches of 64,
 *     two requests in flight, for both local models, against langchain4j 1.20's embedAll of the same texts
 *     in-process (a JVM of its own on langchain4j's class path: {@link Langchain4jBaseline}), and the app's models
 *     in-process here; the three take turns, round after round, and each round gives ratios: of texts per second,
 *     and of texts per CPU second (the CPU time of the JVMs that worked: the baseline's; the service's and the
 *     client's; this one's), which a machine busy with other work disturbs less.
 *  2. Single-text latency (search queries, MiniLM): langchain4j, the app's model in-process, and through URL.
 *  3. A stub endpoint that answers after 200 ms: the old pattern (one call per record, one at a time)
 *     next to the client's batching with at most 8 requests in flight.
 * Prints one line per measurement: name=value.
 */
public final class EmbeddingsBench {

    private static final String[] MODELS = {LocalModels.MINILM, LocalModels.BGE};

    public static void main(String[] args) throws Exception {
        String url = args[0];
        int n = Integer.parseInt(args[3]);
        int rounds = Integer.parseInt(args[4]);
        List<String> prompts = BenchTexts.prompts(Path.of(args[1]), n);
        List<String> queries = BenchTexts.queries(Path.of(args[2]), 300);
        var camel = new DefaultCamelContext();
        camel.start();

        // langchain4j 1.20 in a JVM of its own, told what to do line by line
        var baseline = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-Xmx2g",
                "-cp", args[5] + java.io.File.pathSeparator + System.getProperty("bench.classes"),
                "Langchain4jBaseline", args[1], args[2], String.valueOf(n))
                .redirectError(ProcessBuilder.Redirect.INHERIT).start();
        var toBaseline = new PrintStream(baseline.getOutputStream(), true, StandardCharsets.UTF_8);
        var fromBaseline = new BufferedReader(new InputStreamReader(baseline.getInputStream(), StandardCharsets.UTF_8));
        expect(fromBaseline, "ready");

        var models = new LocalModels();
        var clients = new HashMap<String, EmbeddingsClient>();
        for (String m : MODELS) {
            clients.put(m, new EmbeddingsClient(camel, config(EmbeddingsConfig.Provider.LOCAL, url, m, 384, 64, 2)));
            // warm up: the service's and the in-process model
            clients.get(m).embed(prompts.subList(0, 128));
            models.embed(m, prompts.subList(0, 128));
        }
        long service = Long.parseLong(args[6]);
        var perS = new HashMap<String, List<Double>>();
        var ratio = new HashMap<String, List<Double>>();
        var perCpu = new HashMap<String, List<Double>>();
        var cpuRatio = new HashMap<String, List<Double>>();
        for (int round = 0; round < rounds; round++) {
            for (String m : MODELS) {
                double base = 0;
                double http = 0;
                double local = 0;
                double baseCpu = 0;
                double httpCpu = 0;
                double localCpu = 0;
                // the order turns each round, so that a drift in the machine's load falls on each alike
                for (int step = 0; step < 3; step++) {
                    switch ((step + round) % 3) {
                        case 0 -> {
                            toBaseline.println("throughput " + m);
                            String[] answer = expect(fromBaseline, "seconds=").split(" cpu=");
                            base = n / Double.parseDouble(answer[0]);
                            baseCpu = n / Double.parseDouble(answer[1]);
                        }
                        case 1 -> {
                            double c0 = cpuSeconds(service) + ownCpuSeconds();
                            long t0 = System.nanoTime();
                            List<float[]> v = clients.get(m).embed(prompts);
                            http = n / ((System.nanoTime() - t0) / 1e9);
                            httpCpu = n / (cpuSeconds(service) + ownCpuSeconds() - c0);
                            check(v, n);
                        }
                        default -> {
                            double c0 = ownCpuSeconds();
                            long t0 = System.nanoTime();
                            List<float[]> v = models.embed(m, prompts).vectors();
                            local = n / ((System.nanoTime() - t0) / 1e9);
                            localCpu = n / (ownCpuSeconds() - c0);
                            check(v, n);
                        }
                    }
                }
                add(perS, m + "_langchain4j", base);
                add(perS, m + "_http", http);
                add(perS, m + "_in_process", local);
                add(ratio, m + "_http", http / base);
                add(ratio, m + "_in_process", local / base);
                add(perCpu, m + "_langchain4j", baseCpu);
                add(perCpu, m + "_http", httpCpu);
                add(perCpu, m + "_in_process", localCpu);
                add(cpuRatio, m + "_http", httpCpu / baseCpu);
                add(cpuRatio, m + "_in_process", localCpu / baseCpu);
                System.err.printf("round %d %s: langchain4j %.1f/s, ours in-process %.1f/s (%.2fx), /v1/embeddings %.1f/s (%.2fx);"
                        + " per CPU second %.1f, %.1f (%.2fx), %.1f (%.2fx); load %s%n",
                        round, m, base, local, local / base, http, http / base, baseCpu, localCpu, localCpu / baseCpu, httpCpu, httpCpu / baseCpu,
                        Files.readString(Path.of("/proc/loadavg")).split(" ")[0]);
            }
        }
        for (var e : perS.entrySet()) {
            System.out.printf("%s_per_s=%.1f%n", e.getKey(), median(e.getValue()));
        }
        for (var e : ratio.entrySet()) {
            System.out.printf("%s_ratio=%.2f%n", e.getKey(), median(e.getValue()));
            System.out.printf("%s_ratio_range=%.2f-%.2f%n", e.getKey(), min(e.getValue()), max(e.getValue()));
        }
        for (var e : perCpu.entrySet()) {
            System.out.printf("%s_per_cpu_s=%.1f%n", e.getKey(), median(e.getValue()));
        }
        for (var e : cpuRatio.entrySet()) {
            System.out.printf("%s_cpu_ratio=%.2f%n", e.getKey(), median(e.getValue()));
            System.out.printf("%s_cpu_ratio_range=%.2f-%.2f%n", e.getKey(), min(e.getValue()), max(e.getValue()));
        }
        System.out.printf("rounds=%d%n", rounds);

        // single texts: p50 and p90 of search queries, MiniLM, one at a time
        var lat = new HashMap<String, List<Double>>();
        EmbeddingsClient one = clients.get(LocalModels.MINILM);
        for (int round = 0; round < 3; round++) {
            toBaseline.println("latency " + LocalModels.MINILM);
            for (String ms : expect(fromBaseline, "latencies=").split(",")) {
                add(lat, "langchain4j", Double.parseDouble(ms));
            }
            for (String q : queries) {
                long t0 = System.nanoTime();
                models.embed(LocalModels.MINILM, List.of(q));
                add(lat, "in_process", (System.nanoTime() - t0) / 1e6);
            }
            for (String q : queries) {
                long t0 = System.nanoTime();
                one.embed(List.of(q));
                add(lat, "http", (System.nanoTime() - t0) / 1e6);
            }
        }
        for (var e : lat.entrySet()) {
            List<Double> l = new ArrayList<>(e.getValue());
            l.sort(null);
            System.out.printf("latency_%s_p50_ms=%.2f%nlatency_%s_p90_ms=%.2f%n", e.getKey(), l.get(l.size() / 2), e.getKey(), l.get(l.size() * 9 / 10));
        }
        toBaseline.println("quit");
        baseline.waitFor();
        clients.values().forEach(EmbeddingsClient::close);
        models.close();

        stub(camel, prompts);
        camel.stop();
        System.exit(0);
    }

    /** A process's CPU time so far (user and system), from /proc. */
    private static double cpuSeconds(long pid) throws Exception {
        String stat = Files.readString(Path.of("/proc/" + pid + "/stat"));
        String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
        // fields 14 and 15 of stat (utime, stime), counted after the command name: 12 and 13 here, in clock ticks
        return (Long.parseLong(f[11]) + Long.parseLong(f[12])) / 100.0;
    }

    private static double ownCpuSeconds() {
        return ((com.sun.management.OperatingSystemMXBean) java.lang.management.ManagementFactory.getOperatingSystemMXBean()).getProcessCpuTime() / 1e9;
    }

    private static String expect(BufferedReader r, String prefix) throws Exception {
        String line;
        while ((line = r.readLine()) != null) {
            if (line.startsWith(prefix)) {
                return line.substring(prefix.length());
            }
        }
        throw new IllegalStateException("the langchain4j baseline stopped before saying " + prefix);
    }

    private static void check(List<float[]> v, int n) {
        if (v.size() != n || v.get(n - 1).length != 384) {
            throw new IllegalStateException(v.size() + " vectors for " + n + " texts");
        }
    }

    private static void add(Map<String, List<Double>> m, String k, double v) {
        m.computeIfAbsent(k, x -> new ArrayList<>()).add(v);
    }

    private static double median(List<Double> l) {
        var s = new ArrayList<>(l);
        s.sort(null);
        int k = s.size();
        return k % 2 == 1 ? s.get(k / 2) : (s.get(k / 2 - 1) + s.get(k / 2)) / 2;
    }

    private static double min(List<Double> l) {
        return l.stream().mapToDouble(Double::doubleValue).min().orElse(0);
    }

    private static double max(List<Double> l) {
        return l.stream().mapToDouble(Double::doubleValue).max().orElse(0);
    }

    private static void stub(DefaultCamelContext camel, List<String> prompts) throws Exception {
        int batch = 64;
        HttpServer stub = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 256);
        stub.setExecutor(Executors.newFixedThreadPool(64));
        var inFlight = new java.util.concurrent.atomic.AtomicInteger();
        var maxInFlight = new java.util.concurrent.atomic.AtomicInteger();
        stub.createContext("/v1/embeddings", ex -> {
            maxInFlight.accumulateAndGet(inFlight.incrementAndGet(), Math::max);
            try {
                String body = new String(ex.getRequestBody().readAllBytes(), StandardCharsets.UTF_8);
                int n = count(body);
                float[] v = new float[384];
                v[0] = 1f;
                String vec = EmbeddingsApi.toBase64(v);
                var sb = new StringBuilder("{\"object\":\"list\",\"data\":[");
                for (int i = 0; i < n; i++) {
                    sb.append(i == 0 ? "" : ",").append("{\"object\":\"embedding\",\"index\":").append(i).append(",\"embedding\":\"").append(vec).append("\"}");
                }
                sb.append("],\"model\":\"stub\",\"usage\":{\"prompt_tokens\":").append(n).append(",\"total_tokens\":").append(n).append("}}");
                Thread.sleep(200);
                byte[] out = sb.toString().getBytes(StandardCharsets.UTF_8);
                ex.getResponseHeaders().add("Content-Type", "application/json");
                ex.sendResponseHeaders(200, out.length);
                ex.getResponseBody().write(out);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            } finally {
                inFlight.decrementAndGet();
                ex.close();
            }
        });
        stub.start();
        String stubUrl = "http://127.0.0.1:" + stub.getAddress().getPort() + "/v1/embeddings";
        try (var oneByOne = new EmbeddingsClient(camel, config(EmbeddingsConfig.Provider.OPENAI_COMPATIBLE, stubUrl, "stub", 384, 1, 1))) {
            int n = 25;
            long t0 = System.nanoTime();
            for (int i = 0; i < n; i++) {
                oneByOne.embed(List.of(prompts.get(i)));
            }
            System.out.printf("stub_old_pattern_per_s=%.1f%n", n / ((System.nanoTime() - t0) / 1e9));
        }
        maxInFlight.set(0);
        try (var batched = new EmbeddingsClient(camel, config(EmbeddingsConfig.Provider.OPENAI_COMPATIBLE, stubUrl, "stub", 384, batch, 8))) {
            batched.embed(prompts.subList(0, batch));
            maxInFlight.set(0);
            long t0 = System.nanoTime();
            batched.embed(prompts);
            batched.embed(prompts);
            System.out.printf("stub_batched_per_s=%.1f%nstub_max_in_flight=%d%n", 2 * prompts.size() / ((System.nanoTime() - t0) / 1e9), maxInFlight.get());
        }
        stub.stop(0);
    }

    private static EmbeddingsConfig config(EmbeddingsConfig.Provider p, String url, String model, int dims, int batch, int inFlight) {
        return new EmbeddingsConfig(p, url, null, null, null, model, true, dims, false, true, batch, 300_000, 8000, inFlight, 3, Duration.ofSeconds(120));
    }

    private static int count(String body) {
        int n = 0;
        int at = body.indexOf("\"input\":[");
        boolean inString = false;
        for (int i = at + 9; i < body.length(); i++) {
            char c = body.charAt(i);
            if (c == '\\') {
                i++;
            } else if (c == '"') {
                inString = !inString;
                if (inString) {
                    n++;
                }
            } else if (c == ']' && !inString) {
                break;
            }
        }
        return n;
    }

}

/**
 * langchain4j 1.20.0-beta30's models in-process, the way its users embed: embedAll of every text, embed of one.
 * Runs in a JVM of its own on langchain4j's class path (no class of the app), told what to do line by line on
 * standard input: "throughput MODEL" answers "seconds=S", "latency MODEL" answers "latencies=ms,ms,...".
 */
final class Langchain4jBaseline {

    public static void main(String[] args) throws Exception {
        List<String> prompts = BenchTexts.prompts(Path.of(args[0]), Integer.parseInt(args[2]));
        List<String> queries = BenchTexts.queries(Path.of(args[1]), 300);
        var segments = prompts.stream().map(dev.langchain4j.data.segment.TextSegment::from).toList();
        Map<String, dev.langchain4j.model.embedding.EmbeddingModel> m = Map.of(
                "all-minilm-l6-v2-q", new dev.langchain4j.model.embedding.onnx.allminilml6v2q.AllMiniLmL6V2QuantizedEmbeddingModel(),
                "bge-small-en-v1.5-q", new dev.langchain4j.model.embedding.onnx.bgesmallenv15q.BgeSmallEnV15QuantizedEmbeddingModel());
        for (var model : m.values()) {
            model.embedAll(segments.subList(0, 128));
        }
        System.out.println("ready");
        var in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
        String line;
        while ((line = in.readLine()) != null && !line.equals("quit")) {
            String[] cmd = line.split(" ");
            var model = m.get(cmd[1]);
            if (cmd[0].equals("throughput")) {
                var os = (com.sun.management.OperatingSystemMXBean) java.lang.management.ManagementFactory.getOperatingSystemMXBean();
                long c0 = os.getProcessCpuTime();
                long t0 = System.nanoTime();
                int got = model.embedAll(segments).content().size();
                double s = (System.nanoTime() - t0) / 1e9;
                if (got != segments.size()) {
                    throw new IllegalStateException(got + " vectors for " + segments.size());
                }
                System.out.println("seconds=" + s + " cpu=" + (os.getProcessCpuTime() - c0) / 1e9);
            } else {
                var sb = new StringBuilder();
                for (String q : queries) {
                    long t0 = System.nanoTime();
                    model.embed(q);
                    sb.append(sb.length() == 0 ? "" : ",").append((System.nanoTime() - t0) / 1e6);
                }
                System.out.println("latencies=" + sb);
            }
        }
        System.exit(0);
    }
}

/** The benchmark's texts, read with the JDK alone (both JVMs use them). */
final class BenchTexts {

    private BenchTexts() {
    }

    static List<String> prompts(Path gz, int n) throws Exception {
        var out = new ArrayList<String>(n);
        try (var r = new BufferedReader(new InputStreamReader(new GZIPInputStream(Files.newInputStream(gz)), StandardCharsets.UTF_8))) {
            String line;
            while (out.size() < n && (line = r.readLine()) != null) {
                if (!line.isBlank()) {
                    out.add(line);
                }
            }
        }
        return out;
    }

    /** Search queries: the "query" of each line of a queries JSONL file, read without a JSON library (the baseline has its own). */
    static List<String> queries(Path jsonl, int n) throws Exception {
        var out = new ArrayList<String>(n);
        for (String line : Files.readAllLines(jsonl, StandardCharsets.UTF_8)) {
            int at = line.indexOf("\"query\": \"");
            if (at >= 0 && out.size() < n) {
                int end = line.indexOf('"', at + 10);
                out.add(line.substring(at + 10, end).replace("\\", ""));
            }
        }
        return out;
    }
}
