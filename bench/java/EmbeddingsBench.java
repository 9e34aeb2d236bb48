import batchimage.embed.EmbeddingsApi;
import batchimage.embed.EmbeddingsClient;
import batchimage.embed.EmbeddingsConfig;
import batchimage.embed.LocalModels;
import com.sun.net.httpserver.HttpServer;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Executors;
import java.util.zip.GZIPInputStream;
import org.apache.camel.impl.DefaultCamelContext;

/**
 * The embeddings benchmark of bench/embeddings.sh. Usage: EmbeddingsBench URL PROMPTS_GZ N
 *  1. N real prompts embedded in-process by the local model, then through URL (the running service's
 *     /v1/embeddings) with the client: records per second, and the ratio.
 *  2. A stub endpoint that answers after 200 ms: the old pattern (one call per record, one at a time)
 *     next to the client's batching with at most 8 requests in flight.
 * Prints one line per measurement: name=value.
 */
public final class EmbeddingsBench {

    public static void main(String[] args) throws Exception {
        String url = args[0];
        List<String> prompts = prompts(Path.of(args[1]), Integer.parseInt(args[2]));
        var camel = new DefaultCamelContext();
        camel.start();

        var models = new LocalModels();
        models.warmUp(LocalModels.MINILM);
        int batch = Integer.getInteger("batch", 64);
        int flight = Integer.getInteger("inFlight", 4);
        var local = config(EmbeddingsConfig.Provider.LOCAL, url, 384, batch, flight);
        try (var client = new EmbeddingsClient(camel, local)) {
            client.embed(prompts.subList(0, 64));
            double inProcess = 0;
            double viaHttp = 0;
            for (int round = 0; round < 3; round++) {
                long t0 = System.nanoTime();
                for (int i = 0; i < prompts.size(); i += 256) {
                    models.embed(LocalModels.MINILM, prompts.subList(i, Math.min(prompts.size(), i + 256)));
                }
                inProcess = Math.max(inProcess, prompts.size() / ((System.nanoTime() - t0) / 1e9));
                t0 = System.nanoTime();
                client.embed(prompts);
                viaHttp = Math.max(viaHttp, prompts.size() / ((System.nanoTime() - t0) / 1e9));
            }
            System.out.printf("in_process_per_s=%.1f%nhttp_client_per_s=%.1f%nhttp_ratio=%.3f%n", inProcess, viaHttp, viaHttp / inProcess);
        }

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
        try (var oneByOne = new EmbeddingsClient(camel, config(EmbeddingsConfig.Provider.OPENAI_COMPATIBLE, stubUrl, 384, 1, 1))) {
            int n = 25;
            long t0 = System.nanoTime();
            for (int i = 0; i < n; i++) {
                oneByOne.embed(List.of(prompts.get(i)));
            }
            System.out.printf("stub_old_pattern_per_s=%.1f%n", n / ((System.nanoTime() - t0) / 1e9));
        }
        maxInFlight.set(0);
        try (var batched = new EmbeddingsClient(camel, config(EmbeddingsConfig.Provider.OPENAI_COMPATIBLE, stubUrl, 384, batch, 8))) {
            batched.embed(prompts.subList(0, batch));
            maxInFlight.set(0);
            long t0 = System.nanoTime();
            batched.embed(prompts);
            batched.embed(prompts);
            System.out.printf("stub_batched_per_s=%.1f%nstub_max_in_flight=%d%n", 2 * prompts.size() / ((System.nanoTime() - t0) / 1e9), maxInFlight.get());
        }
        stub.stop(0);
        camel.stop();
        System.exit(0);
    }

    private static EmbeddingsConfig config(EmbeddingsConfig.Provider p, String url, int dims, int batch, int inFlight) {
        return new EmbeddingsConfig(p, url, null, null, null, p == EmbeddingsConfig.Provider.LOCAL ? LocalModels.MINILM : "stub", true,
                dims, false, true, batch, 300_000, 8000, inFlight, 3, Duration.ofSeconds(120));
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

    private static List<String> prompts(Path gz, int n) throws Exception {
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
}
