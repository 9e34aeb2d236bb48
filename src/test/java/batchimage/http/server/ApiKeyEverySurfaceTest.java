package batchimage.http.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import batchimage.app.BatchImage;
import batchimage.support.Cli;
import batchimage.support.LogCapture;
import batchimage.support.TestLibrary;
import batchimage.support.TestPostgres;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.apache.camel.builder.RouteBuilder;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

/**
 * With BATCH_IMAGE_API_KEY set, every surface of the service wants the key: the app's /api, images, /api-doc and
 * /observe/metrics, the local index's /pinecone (its deleteAll above all) and the local model's /v1, each refusing
 * in its own API's error shape; routes added later too. Only /observe/health and the page stay open. The key is
 * accepted in each of its ways, and shows nowhere: not in logs, answers, headers or metrics.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class ApiKeyEverySurfaceTest {

    /** With characters a cookie must encode. */
    private static final String KEY = "every-surface/k3y+=";
    private static final String WRONG = "wrong-key-4711";
    private static final int DIM = 384;

    private final HttpClient http = HttpClient.newHttpClient();
    private final ObjectMapper json = new ObjectMapper();
    /** Every answer seen, to look for the key in. */
    private final List<String> answers = new ArrayList<>();
    private LogCapture logs;
    private BatchImage app;
    private String base;

    private record Res(int status, String body, HttpResponse<String> response) {
        JsonNode json() {
            try {
                return new ObjectMapper().readTree(body);
            } catch (Exception e) {
                throw new AssertionError("not JSON: " + body, e);
            }
        }
    }

    /** A request: {@code method} {@code path}, a JSON body or null, and header name/value pairs. */
    private record Call(String method, String path, String body) {
    }

    @BeforeAll
    void start(@TempDir Path data) throws Exception {
        logs = new LogCapture();
        String db = TestPostgres.newDatabase("every_surface");
        app = TestLibrary.service(data, db, Map.of("batch-image.api-key", KEY, "local-embeddings.preload", ""));
        base = "http://127.0.0.1:" + app.settings().get("batch-image.port");
        Res upsert = send("POST", "/pinecone/vectors/upsert", upsertBody("kept"), "Api-Key", KEY);
        assertThat(upsert.status()).as(upsert.body()).isEqualTo(200);
    }

    @AfterAll
    void stop() {
        if (app != null) {
            app.close();
        }
        if (logs != null) {
            logs.close();
        }
    }

    private String upsertBody(String namespace) {
        float[] v = new float[DIM];
        Arrays.fill(v, 0.05f);
        v[0] = 1;
        return "{\"namespace\": \"" + namespace + "\", \"vectors\": [{\"id\": \"v1\", \"values\": " + Arrays.toString(v)
                + ", \"metadata\": {\"theme\": \"kept\"}}]}";
    }

    private Res send(String method, String path, String body, String... headers) throws Exception {
        var req = HttpRequest.newBuilder(URI.create(base + path));
        if (headers.length > 0) {
            req.headers(headers);
        }
        if (body == null) {
            req.method(method, HttpRequest.BodyPublishers.noBody());
        } else {
            req.header("Content-Type", "application/json").method(method, HttpRequest.BodyPublishers.ofString(body));
        }
        HttpResponse<String> res = http.send(req.build(), HttpResponse.BodyHandlers.ofString());
        synchronized (answers) {
            answers.add(res.headers().map() + "\n" + res.body());
        }
        return new Res(res.statusCode(), res.body(), res);
    }

    private Res send(Call c, String... headers) throws Exception {
        return send(c.method(), c.path(), c.body(), headers);
    }

    private static final String ID = UUID.randomUUID().toString();

    private static final List<Call> API = List.of(
            new Call("GET", "/api/search?q=cat", null),
            new Call("POST", "/api/search", "{\"query\": \"cat\"}"),
            new Call("GET", "/api/facets", null),
            new Call("GET", "/api/stats", null),
            new Call("GET", "/api/records/" + ID, null),
            new Call("GET", "/api/images/" + ID, null),
            new Call("GET", "/api/images/" + ID + "/thumbnail", null),
            new Call("GET", "/api/dead-letters", null),
            new Call("GET", "/api/enrich", null),
            new Call("POST", "/api/delete", "{\"filter\": {\"theme\": \"kept\"}, \"dry_run\": true}"),
            new Call("POST", "/api/reindex", null),
            new Call("GET", "/api-doc", null),
            new Call("GET", "/observe/metrics", null),
            new Call("GET", "/no-such-page", null));

    private static final List<Call> PINECONE = List.of(
            new Call("POST", "/pinecone/vectors/delete", "{\"deleteAll\": true, \"namespace\": \"kept\"}"),
            new Call("POST", "/pinecone/vectors/delete", "{\"ids\": [\"v1\"], \"namespace\": \"kept\"}"),
            new Call("POST", "/pinecone/query", "{\"topK\": 3, \"id\": \"v1\", \"namespace\": \"kept\"}"),
            new Call("POST", "/pinecone/vectors/upsert", "{\"vectors\": []}"),
            new Call("POST", "/pinecone/vectors/update", "{\"id\": \"v1\", \"setMetadata\": {\"theme\": \"x\"}, \"namespace\": \"kept\"}"),
            new Call("POST", "/pinecone/describe_index_stats", "{}"),
            new Call("GET", "/pinecone/vectors/list?namespace=kept", null),
            new Call("GET", "/pinecone/vectors/fetch?ids=v1&namespace=kept", null));

    private static final List<Call> OPENAI = List.of(
            new Call("POST", "/v1/embeddings", "{\"input\": \"a cat\", \"model\": \"all-minilm-l6-v2-q\"}"),
            new Call("GET", "/v1/models", null));

    @Test
    void everySurfaceRefusesARequestWithoutTheKeyInItsOwnShape() throws Exception {
        for (Call c : API) {
            for (Res r : List.of(send(c), send(c, "Authorization", "Bearer " + WRONG), send(c, "Api-Key", KEY))) {
                assertThat(r.status()).as("%s %s: %s", c.method(), c.path(), r.body()).isEqualTo(401);
                assertThat(r.response().headers().firstValue("Content-Type")).hasValue("application/json");
                assertThat(r.response().headers().firstValue("WWW-Authenticate")).isPresent();
                assertThat(r.json().get("status").asInt()).isEqualTo(401);
                assertThat(r.json().get("error").asText()).contains("BATCH_IMAGE_API_KEY");
            }
        }
        for (Call c : PINECONE) {
            for (Res r : List.of(send(c), send(c, "Api-Key", WRONG))) {
                assertThat(r.status()).as("%s %s: %s", c.method(), c.path(), r.body()).isEqualTo(401);
                JsonNode e = r.json();
                assertThat(e.get("code").asInt()).as("UNAUTHENTICATED").isEqualTo(16);
                assertThat(e.get("message").asText()).contains("BATCH_IMAGE_API_KEY", "Api-Key");
                assertThat(e.get("details").isArray() && e.get("details").isEmpty()).isTrue();
            }
        }
        for (Call c : OPENAI) {
            for (Res r : List.of(send(c), send(c, "Authorization", "Bearer " + WRONG))) {
                assertThat(r.status()).as("%s %s: %s", c.method(), c.path(), r.body()).isEqualTo(401);
                JsonNode e = r.json().get("error");
                assertThat(e.get("code").asText()).isEqualTo("invalid_api_key");
                assertThat(e.get("type").asText()).isEqualTo("invalid_request_error");
                assertThat(e.has("param") && e.get("param").isNull()).isTrue();
                assertThat(e.get("message").asText()).contains("BATCH_IMAGE_API_KEY");
            }
        }
        // the deletes were refused: the vector is still there
        Res fetched = send("GET", "/pinecone/vectors/fetch?ids=v1&namespace=kept", null, "Api-Key", KEY);
        assertThat(fetched.status()).isEqualTo(200);
        assertThat(fetched.json().get("vectors").has("v1")).isTrue();
        assertThat(fetched.json().get("vectors").get("v1").get("metadata").get("theme").asText()).isEqualTo("kept");
    }

    @Test
    void theKeyIsTakenAsBearerHeaderCookieAndOnPineconeAsApiKey() throws Exception {
        String cookie = ApiAccess.COOKIE + "=" + URLEncoder.encode(KEY, StandardCharsets.UTF_8);
        List<String[]> ways = List.of(new String[] {"Authorization", "Bearer " + KEY}, new String[] {"X-API-Key", KEY},
                new String[] {"Cookie", "theme=dark; " + cookie});
        var reads = List.of(new Call("GET", "/api/facets", null), new Call("GET", "/api/stats", null), new Call("GET", "/api-doc", null),
                new Call("GET", "/observe/metrics", null), new Call("POST", "/pinecone/describe_index_stats", "{}"),
                new Call("GET", "/pinecone/vectors/list?namespace=kept", null), new Call("GET", "/v1/models", null));
        for (String[] way : ways) {
            for (Call c : reads) {
                Res r = send(c, way);
                assertThat(r.status()).as("%s %s with %s: %s", c.method(), c.path(), way[0], r.body()).isEqualTo(200);
            }
        }
        Res apiKey = send("POST", "/pinecone/query", "{\"topK\": 1, \"id\": \"v1\", \"namespace\": \"kept\"}", "Api-Key", KEY);
        assertThat(apiKey.status()).as(apiKey.body()).isEqualTo(200);
        assertThat(apiKey.json().get("matches").get(0).get("id").asText()).isEqualTo("v1");
        Res embedded = send("POST", "/v1/embeddings", "{\"input\": \"a cat\", \"model\": \"all-minilm-l6-v2-q\"}", "Authorization", "Bearer " + KEY);
        assertThat(embedded.status()).as(embedded.body()).isEqualTo(200);
        assertThat(embedded.json().get("data").get(0).get("embedding").size()).isEqualTo(DIM);
    }

    @Test
    void theServiceSendsItsKeyToItsOwnIndexAndModel() throws Exception {
        // a search embeds the query through the app's /v1 and asks its /pinecone, both over HTTP
        Res search = send("POST", "/api/search", "{\"query\": \"a cat on a sofa\", \"namespace\": \"prompt\"}", "X-API-Key", KEY);
        assertThat(search.status()).as(search.body()).isEqualTo(200);
        assertThat(search.json().get("matches").isArray()).isTrue();
    }

    @Test
    void healthAndThePageAreOpen() throws Exception {
        Res health = send("GET", "/observe/health", null);
        assertThat(health.status()).as(health.body()).isIn(200, 503);
        assertThat(health.json().has("status")).isTrue();
        for (String path : List.of("/", "/static/app.js", "/static/api.js", "/static/app.css", "/static/favicon.svg")) {
            Res page = send("GET", path, null);
            assertThat(page.status()).as(path).isEqualTo(200);
        }
        // the page's folder holds no way into the API
        for (String sneaky : List.of("/static/../api/stats", "/static/%2e%2e/api/stats", "//api/stats", "/observe/health/../metrics")) {
            assertThat(send("GET", sneaky, null).status()).as(sneaky).isEqualTo(401);
        }
        assertThat(send("POST", "/", "{}").status()).isEqualTo(401);
    }

    @Test
    void aRouteAddedLaterIsGuardedWithoutDoingAnything() throws Exception {
        app.context().addRoutes(new RouteBuilder() {
            @Override
            public void configure() {
                from("platform-http:/later/report?httpMethodRestrict=GET").routeId("later-report").setBody(constant("the later report"));
                from("platform-http:/api/later?httpMethodRestrict=POST").routeId("api-later").setBody(constant("{\"later\": true}"));
            }
        });
        Res refused = send("GET", "/later/report", null);
        assertThat(refused.status()).isEqualTo(401);
        assertThat(refused.body()).doesNotContain("the later report");
        assertThat(send("POST", "/api/later", "{}").status()).isEqualTo(401);
        Res served = send("GET", "/later/report", null, "X-API-Key", KEY);
        assertThat(served.status()).isEqualTo(200);
        assertThat(served.body()).isEqualTo("the later report");
    }

    @Test
    void theKeyAppearsInNoLogAnswerHeaderOrMetric() throws Exception {
        String cookie = ApiAccess.COOKIE + "=" + URLEncoder.encode(KEY, StandardCharsets.UTF_8);
        // answers that are errors, with the key sent every way, and requests that reach the routes
        send("POST", "/api/search", "{not json", "X-API-Key", KEY);
        send("GET", "/api/search?q=&top_k=0", null, "Authorization", "Bearer " + KEY);
        send("GET", "/api/records/not-a-uuid", null, "Cookie", cookie);
        send("GET", "/api/images/" + UUID.randomUUID(), null, "Cookie", cookie);
        send("POST", "/pinecone/vectors/upsert", "{\"vectors\": [{\"id\": \"x\", \"values\": [1, 2]}]}", "Api-Key", KEY);
        send("POST", "/pinecone/query", "{\"topK\": 1}", "Api-Key", KEY);
        send("POST", "/v1/embeddings", "{\"input\": \"\"}", "Authorization", "Bearer " + KEY);
        send("POST", "/api/search", "{\"query\": \"a dog\", \"namespace\": \"prompt\"}", "X-API-Key", KEY);
        send("GET", "/api/facets", null, "Authorization", "Bearer " + WRONG);
        Res metrics = send("GET", "/observe/metrics", null, "X-API-Key", KEY);
        assertThat(metrics.status()).isEqualTo(200);
        assertThat(metrics.body()).contains("batch_image_api_requests");

        String encoded = URLEncoder.encode(KEY, StandardCharsets.UTF_8);
        List<String> seen;
        synchronized (answers) {
            seen = List.copyOf(answers);
        }
        assertThat(seen).isNotEmpty().allSatisfy(a -> assertThat(a).doesNotContain(KEY, encoded, WRONG));
        assertThat(metrics.body()).doesNotContain(KEY, encoded);
        assertThat(logs.text()).contains("HTTP endpoints on").doesNotContain(KEY, encoded, WRONG);
        assertThat(app.settings().asProperties().values()).noneMatch(v -> v.toString().contains(KEY));
        assertThat(app.context().getPropertiesComponent().loadProperties().values()).noneMatch(v -> v.toString().contains(KEY));
    }

    @Test
    void listeningWhereOtherMachinesReachWithoutAKeyWarnsWhatIsExposed(@TempDir Path data) throws Exception {
        String db = TestPostgres.newDatabase("open_bind");
        var quiet = Map.of("index.enabled", "false", "enrich.enabled", "false", "local-embeddings.preload", "", "batch-image.host", "0.0.0.0");
        int from = logs.text().length();
        // on the loopback address (this class's service) there was nothing to warn of
        assertThat(logs.text()).contains("HTTP endpoints on http://127.0.0.1:").doesNotContain("BATCH_IMAGE_API_KEY is not set");
        try (BatchImage open = TestLibrary.service(data.resolve("open"), db, quiet)) {
            int start = from;
            // logged once the context has started, which may be a moment after start() returns
            await().atMost(Duration.ofSeconds(30)).until(() -> logs.text().substring(start).contains("HTTP endpoints on"));
            String log = logs.text().substring(from);
            String port = open.settings().get("batch-image.port");
            assertThat(log).contains("[WARN]", "BATCH_IMAGE_API_KEY is not set and the service listens on http://0.0.0.0:" + port,
                    "/api/* (search", "/pinecone/* (the whole vector index", "/v1/*", "/observe/metrics", "BATCH_IMAGE_HOST=127.0.0.1");
        }
        var keyed = new java.util.HashMap<>(quiet);
        keyed.put("batch-image.api-key", KEY);
        from = logs.text().length();
        try (BatchImage guarded = TestLibrary.service(data.resolve("guarded"), db, keyed)) {
            int start = from;
            await().atMost(Duration.ofSeconds(30)).until(() -> logs.text().substring(start).contains("HTTP endpoints on"));
            assertThat(logs.text().substring(from)).contains("HTTP endpoints on http://0.0.0.0:").doesNotContain("BATCH_IMAGE_API_KEY is not set");
        }
    }

    @Test
    void theCommandLineSendsTheKey() throws Exception {
        for (String[] command : List.of(new String[] {"stats", "--json", "--url", base}, new String[] {"dead-letters", "--json", "--url", base})) {
            Cli.Run with = Cli.run(Map.of("BATCH_IMAGE_API_KEY", KEY), command);
            assertThat(with.exit()).as(with.err()).isNotEqualTo(1);
            assertThat(with.err()).doesNotContain("401");
            Cli.Run without = Cli.run(Map.of(), command);
            assertThat(without.exit()).isEqualTo(1);
            assertThat(without.err()).contains("401", "BATCH_IMAGE_API_KEY");
        }
    }
}
