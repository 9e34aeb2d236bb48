package batchimage.observe;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import batchimage.app.BatchImage;
import batchimage.support.EmbeddingsProxy;
import batchimage.support.StubHttpServer.Reply;
import batchimage.support.TestLibrary;
import batchimage.support.TestPostgres;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The request metrics at /observe/metrics of a running service: the embeddings and vector index calls by
 * client, operation and status with their histograms, the retries by client and reason, and the REST API's
 * requests by route. The service embeds through a proxy in front of a provider's real /v1/embeddings that
 * answers the first request with a 429 (the one injected failure), and indexes into its own local index.
 */
class MetricsTest {

    private final HttpClient http = HttpClient.newHttpClient();

    @TempDir
    Path work;

    @Test
    void aRunningServiceShowsItsRetriesAndTheLatenciesOfItsHttpCallsAndApiRequests() throws Exception {
        BatchImage provider = TestLibrary.service(work.resolve("provider"), TestPostgres.newDatabase("metrics_provider"),
                Map.of("ingest.poll-inbox", "false", "index.enabled", "false", "enrich.enabled", "false"));
        try (var proxy = new EmbeddingsProxy(base(provider) + "/v1/embeddings")) {
            var throttled = new AtomicBoolean();
            proxy.gate((caller, n) -> throttled.compareAndSet(false, true)
                    ? Reply.json(429, "{\"error\":{\"message\":\"Rate limit reached for requests\",\"type\":\"requests\",\"code\":\"rate_limit_exceeded\"}}")
                            .withHeader("retry-after-ms", "50")
                    : null);
            String db = TestPostgres.newDatabase("metrics");
            Path data = work.resolve("data");
            BatchImage app = TestLibrary.service(data, db, Map.of("embeddings.url", proxy.url("service"), "index.poll-ms", "200",
                    "enrich.enabled", "false"));
            try {
                Files.copy(TestLibrary.SHARED_DATA.resolve("media-library/batch_image_data_media_final.json"),
                        data.resolve("inbox").resolve("batch_image_data_media_final.json"));
                await().atMost(Duration.ofMinutes(2)).pollInterval(Duration.ofMillis(200)).until(() ->
                        TestLibrary.count(db, "SELECT count(*) FROM image_library WHERE index_state = 'indexed'") == 79);
                for (String q : List.of("dog", "a red car", "people at the beach")) {
                    assertThat(get(app, "/api/search?q=" + URLEncoder.encode(q, StandardCharsets.UTF_8)).statusCode()).isEqualTo(200);
                }
                assertThat(post(app, "/api/search", "{\"query\": \"a cat on a sofa\", \"namespace\": \"prompt\", \"top_k\": 5}").statusCode()).isEqualTo(200);
                assertThat(get(app, "/api/stats").statusCode()).isEqualTo(200);
                assertThat(get(app, "/api/records/not-a-uuid").statusCode()).isEqualTo(400);

                String text = get(app, "/observe/metrics").body();

                // the injected 429: one retry, by the embeddings client; the other reasons and clients are there at 0
                assertThat(proxy.injected()).isEqualTo(1);
                assertThat(sample(text, "batch_image_http_retries_total", Map.of("client", "embeddings", "reason", "429"))).isEqualTo(1.0);
                for (String reason : List.of("5xx", "timeout", "connection", "other")) {
                    assertThat(sample(text, "batch_image_http_retries_total", Map.of("client", "embeddings", "reason", reason))).isEqualTo(0.0);
                    assertThat(sample(text, "batch_image_http_retries_total", Map.of("client", "pinecone", "reason", reason))).isEqualTo(0.0);
                }

                // every embeddings call timed, the throttled one under its status; answered ones as the proxy counted them
                var embed = Map.of("client", "embeddings", "operation", "embed", "status", "200");
                assertThat(sample(text, "batch_image_http_client_requests_seconds_count",
                        Map.of("client", "embeddings", "operation", "embed", "status", "429"))).isEqualTo(1.0);
                assertThat(sample(text, "batch_image_http_client_requests_seconds_count", embed)).isEqualTo((double) proxy.requests("service"));
                assertThat(sample(text, "batch_image_http_client_requests_seconds_sum", embed)).isPositive();
                assertThat(buckets(text, "batch_image_http_client_requests_seconds_bucket", embed)).as("histogram buckets").hasSizeGreaterThan(5);
                assertThat(sample(text, "batch_image_http_client_requests_seconds_bucket", with(embed, "le", "+Inf")))
                        .isEqualTo((double) proxy.requests("service"));
                // and the vector index calls, by operation: the upserts of the import, the queries of the searches
                assertThat(sample(text, "batch_image_http_client_requests_seconds_count",
                        Map.of("client", "pinecone", "operation", "upsert", "status", "200"))).isGreaterThanOrEqualTo(2.0);
                assertThat(sample(text, "batch_image_http_client_requests_seconds_count",
                        Map.of("client", "pinecone", "operation", "query", "status", "200"))).isGreaterThanOrEqualTo(4.0);

                // the REST API, by route, method and status
                assertThat(sample(text, "batch_image_api_requests_seconds_count", Map.of("route", "api-search", "method", "GET", "status", "200"))).isEqualTo(3.0);
                assertThat(sample(text, "batch_image_api_requests_seconds_count", Map.of("route", "api-search", "method", "POST", "status", "200"))).isEqualTo(1.0);
                assertThat(sample(text, "batch_image_api_requests_seconds_count", Map.of("route", "api-stats", "method", "GET", "status", "200"))).isEqualTo(1.0);
                assertThat(sample(text, "batch_image_api_requests_seconds_count", Map.of("route", "api-record", "method", "GET", "status", "400"))).isEqualTo(1.0);
                assertThat(buckets(text, "batch_image_api_requests_seconds_bucket", Map.of("route", "api-search", "method", "GET", "status", "200")))
                        .hasSizeGreaterThan(5);
            } finally {
                app.close();
            }
        } finally {
            provider.close();
        }
    }

    private static String base(BatchImage app) {
        return "http://127.0.0.1:" + app.settings().get("batch-image.port");
    }

    private HttpResponse<String> get(BatchImage app, String path) throws Exception {
        return http.send(HttpRequest.newBuilder(URI.create(base(app) + path)).GET().build(), HttpResponse.BodyHandlers.ofString());
    }

    private HttpResponse<String> post(BatchImage app, String path, String body) throws Exception {
        return http.send(HttpRequest.newBuilder(URI.create(base(app) + path)).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofString());
    }

    private static Map<String, String> with(Map<String, String> labels, String key, String value) {
        var m = new java.util.HashMap<>(labels);
        m.put(key, value);
        return m;
    }

    /** The value of the one series of {@code name} with exactly these labels (bucket series: le included), or null. */
    static Double sample(String text, String name, Map<String, String> labels) {
        for (String line : text.split("\n")) {
            if (line.startsWith(name + "{") && labels(line).equals(labels)) {
                return Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1));
            }
        }
        return null;
    }

    /** The le values of the bucket series of {@code name} with these labels besides le. */
    static List<String> buckets(String text, String name, Map<String, String> labels) {
        var out = new ArrayList<String>();
        for (String line : text.split("\n")) {
            if (line.startsWith(name + "{")) {
                var l = new java.util.HashMap<>(labels(line));
                String le = l.remove("le");
                if (le != null && l.equals(labels)) {
                    out.add(le);
                }
            }
        }
        return out;
    }

    private static Map<String, String> labels(String line) {
        var out = new java.util.HashMap<String, String>();
        String inside = line.substring(line.indexOf('{') + 1, line.lastIndexOf('}'));
        for (String pair : inside.split(",(?=[a-z_]+=\")")) {
            int eq = pair.indexOf('=');
            if (eq > 0) {
                out.put(pair.substring(0, eq), pair.substring(eq + 2, pair.length() - 1));
            }
        }
        return out;
    }
}
