package batchimage.deadletter;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import batchimage.app.BatchImage;
import batchimage.vectors.PineconeClient;
import batchimage.support.Prometheus;
import batchimage.support.TestLibrary;
import batchimage.support.TestPostgres;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Executors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The embeddings endpoint goes away while a batch file is indexed, then comes back. The service embeds
 * through a small proxy in front of another service's real /v1/embeddings (the real local model); the proxy is taken
 * down (connection refused, or 503 answers) and brought back on the same port. Index failures become dead
 * letters, the records wait with their reason, and in the end every record is indexed in PostgreSQL and in
 * both namespaces of the real local index: automatically when the outage is short (and its dead letters are
 * resolved by themselves, but those of a record that still fails), through replay-all when it outlasted
 * index.max-attempts.
 */
class EmbeddingsOutageTest {

    private static final String FILE = "media-library/batch_image_data_media_final.json";
    private static final int RECORDS = 79;

    private final ObjectMapper json = new ObjectMapper();
    private final HttpClient http = HttpClient.newHttpClient();
    private final List<AutoCloseable> open = new ArrayList<>();

    @TempDir
    Path data;

    @AfterEach
    void stop() throws Exception {
        for (int i = open.size() - 1; i >= 0; i--) {
            open.get(i).close();
        }
    }

    /**
     * A service embedding through the proxy: quick retries of the index route, no retries of a single request.
     * Behind the proxy, the real local model served by another service (one with embeddings.url set serves none itself).
     */
    private BatchImage service(String db, EmbeddingsProxy proxy, int maxAttempts) {
        return service(db, proxy, maxAttempts, Map.of());
    }

    private BatchImage service(String db, EmbeddingsProxy proxy, int maxAttempts, Map<String, String> more) {
        BatchImage model = TestLibrary.service(data.resolve("model"), TestPostgres.newDatabase("outage_model"),
                Map.of("ingest.poll-inbox", "false", "index.enabled", "false", "enrich.enabled", "false"));
        open.add(model);
        var extra = new HashMap<String, String>();
        extra.put("embeddings.url", proxy.url());
        extra.put("embeddings.model", "all-minilm-l6-v2-q");
        extra.put("embeddings.dimensions", "384");
        extra.put("embeddings.max-retries", "0");
        extra.put("embeddings.timeout-ms", "10000");
        extra.put("index.retry-seconds", "1");
        extra.put("index.max-attempts", String.valueOf(maxAttempts));
        extra.put("enrich.enabled", "false");
        extra.putAll(more);
        BatchImage app = TestLibrary.service(data, db, extra);
        open.add(app);
        proxy.target("http://127.0.0.1:" + model.settings().get("batch-image.port") + "/v1/embeddings");
        return app;
    }

    private String text(BatchImage app, String path) throws Exception {
        var res = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + app.settings().get("batch-image.port") + path)).GET().build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(res.statusCode()).as(res.body()).isEqualTo(200);
        return res.body();
    }

    private JsonNode get(BatchImage app, String path) throws Exception {
        return json.readTree(text(app, path));
    }

    /** The figures of a stage in GET /api/stats's dead_letters (total, open, resolved). */
    private JsonNode statsOf(BatchImage app, String stage) throws Exception {
        for (JsonNode d : get(app, "/api/stats").path("dead_letters")) {
            if (d.path("stage").asText().equals(stage)) {
                return d;
            }
        }
        return json.createObjectNode();
    }

    private JsonNode post(BatchImage app, String path, String body) throws Exception {
        var res = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + app.settings().get("batch-image.port") + path))
                .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(body)).build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(res.statusCode()).as(res.body()).isEqualTo(200);
        return json.readTree(res.body());
    }

    /** Every record indexed in PostgreSQL, a prompt vector each, a description vector for each record with tags. */
    private void assertWholeLibraryIndexed(BatchImage app, String db) throws Exception {
        assertThat(TestLibrary.count(db, "SELECT count(*) FROM image_library")).isEqualTo(RECORDS);
        assertThat(TestLibrary.count(db, "SELECT count(*) FROM image_library WHERE index_state = 'indexed' AND index_error IS NULL")).isEqualTo(RECORDS);
        var pinecone = app.context().getRegistry().lookupByNameAndType("pineconeClient", PineconeClient.class);
        List<String> all = TestLibrary.ids(db, "true");
        List<String> tagged = TestLibrary.ids(db, "coalesce(btrim(description), '') <> ''");
        assertThat(tagged).hasSizeBetween(1, RECORDS - 1);
        assertThat(pinecone.fetch("prompt", all).keySet()).containsExactlyInAnyOrderElementsOf(all);
        assertThat(pinecone.fetch("description", all).keySet()).containsExactlyInAnyOrderElementsOf(tagged);
        JsonNode stats = post(app, "/pinecone/describe_index_stats", "{}").path("namespaces");
        assertThat(stats.path("prompt").path("vectorCount").asLong()).isEqualTo(RECORDS);
        assertThat(stats.path("description").path("vectorCount").asLong()).isEqualTo(tagged.size());
    }

    /** A service whose embeddings endpoint refuses connections from the start, with the batch file imported. */
    private record Outage(EmbeddingsProxy proxy, String db, BatchImage app) {
    }

    private Outage outage(String database, Map<String, String> more) throws Exception {
        var proxy = new EmbeddingsProxy();
        open.add(proxy);
        proxy.down();
        String db = TestPostgres.newDatabase(database);
        BatchImage app = service(db, proxy, 50, more);
        assertThat(app.importFile(TestLibrary.copyShared(FILE, data.resolve("input"))).outcome()).isEqualTo("done");
        return new Outage(proxy, db, app);
    }

    @Test
    void aShortOutageEndsInDeadLettersAndWaitingRecordsThatAreAllIndexedOnceTheEndpointIsBack() throws Exception {
        Outage outage = outage("outage_short", Map.of());
        String db = outage.db();
        BatchImage app = outage.app();

        // the endpoint refuses connections: each attempt is a dead letter naming the batch's records, which wait with the reason
        await().atMost(Duration.ofMinutes(1)).until(() -> TestLibrary.count(db,
                "SELECT count(*) FROM image_library WHERE index_state = 'pending' AND index_attempts >= 2 AND index_error LIKE '%embeddings endpoint%'") == RECORDS);
        assertThat(TestLibrary.count(db, "SELECT count(*) FROM image_library WHERE index_state = 'indexed'")).isZero();
        long letters = TestLibrary.count(db, "SELECT count(*) FROM dead_letter WHERE stage = 'index' AND state = 'open'");
        assertThat(letters).isGreaterThanOrEqualTo(2);
        JsonNode letter = json.readTree(TestLibrary.text(db, "SELECT raw FROM dead_letter WHERE stage = 'index' ORDER BY id LIMIT 1"));
        var named = new ArrayList<String>();
        letter.path("records").forEach(r -> named.add(r.asText()));
        assertThat(named).containsExactlyInAnyOrderElementsOf(TestLibrary.ids(db, "true"));
        assertThat(TestLibrary.text(db, "SELECT reason FROM dead_letter WHERE stage = 'index' ORDER BY id LIMIT 1")).contains("embeddings endpoint");

        assertThat(statsOf(app, "index").path("open").asLong()).isGreaterThanOrEqualTo(letters);

        outage.proxy().up();
        await().atMost(Duration.ofMinutes(2)).pollInterval(Duration.ofSeconds(1))
                .until(() -> TestLibrary.count(db, "SELECT count(*) FROM image_library WHERE index_state = 'indexed'") == RECORDS);
        assertWholeLibraryIndexed(app, db);
        assertThat(outage.proxy().forwarded()).isPositive();

        // the retry that indexed the records resolved the outage's dead letters, in the same transaction
        long all = TestLibrary.count(db, "SELECT count(*) FROM dead_letter WHERE stage = 'index'");
        assertThat(all).isGreaterThanOrEqualTo(letters);
        assertThat(TestLibrary.count(db, "SELECT count(*) FROM dead_letter WHERE state = 'resolved' AND resolved_at >= created_at")).isEqualTo(all);
        assertThat(TestLibrary.count(db, "SELECT count(*) FROM dead_letter WHERE resolution"
                + " ~ '^its records indexed, the last on retry [0-9]+ at [0-9-]+ [0-9:]+[+-][0-9:]+; the failure did not recur$'")).isEqualTo(all);
        JsonNode index = statsOf(app, "index");
        assertThat(index.path("open").asLong()).isZero();
        assertThat(index.path("resolved").asLong()).isEqualTo(all);
        JsonNode listed = get(app, "/api/dead-letters?stage=index").path("dead_letters").get(0);
        assertThat(listed.path("state").asText()).isEqualTo("resolved");
        assertThat(listed.path("resolution").asText()).endsWith("; the failure did not recur");
        // nothing is left to replay, and a resolved letter is not replayed again
        JsonNode replayAll = post(app, "/api/dead-letters/replay", "{\"stage\": \"index\"}");
        assertThat(replayAll.path("considered").asLong()).isZero();
        var again = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + app.settings().get("batch-image.port")
                + "/api/dead-letters/" + listed.path("id").asLong() + "/replay")).POST(HttpRequest.BodyPublishers.noBody()).build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(again.statusCode()).isEqualTo(409);
        assertThat(again.body()).contains("resolved");
        assertThat(Prometheus.sample(text(app, "/observe/metrics"), "batch_image_dead_letters_resolved_total", null)).isEqualTo((double) all);
    }

    @Test
    void aRecordThatStillFailsAfterTheOutageKeepsItsDeadLettersOpenWhileTheOthersAreResolved() throws Exception {
        // one record a batch: each dead letter names one record
        Outage outage = outage("outage_one_left", Map.of("index.batch-size", "1"));
        String db = outage.db();
        BatchImage app = outage.app();
        EmbeddingsProxy proxy = outage.proxy();
        // the record whose tags the endpoint will refuse once it is back (its longest, found once)
        String poison = TestLibrary.text(db, "SELECT id::text FROM image_library ORDER BY length(description) DESC NULLS LAST, id LIMIT 1");
        String tags = TestLibrary.text(db, "SELECT description FROM image_library WHERE id = '" + poison + "'");
        assertThat(TestLibrary.count(db, "SELECT count(*) FROM image_library WHERE description = (SELECT description FROM image_library WHERE id = '"
                + poison + "')")).isEqualTo(1);
        proxy.refuse(json.writeValueAsString(tags.strip()));

        await().atMost(Duration.ofMinutes(1)).until(() -> TestLibrary.count(db,
                "SELECT count(*) FROM image_library WHERE index_state = 'pending' AND index_attempts >= 1 AND index_error LIKE '%embeddings endpoint%'") == RECORDS);
        assertThat(TestLibrary.count(db, "SELECT count(*) FROM dead_letter WHERE stage = 'index' AND state = 'open'")).isGreaterThanOrEqualTo(RECORDS);
        assertThat(TestLibrary.count(db, "SELECT count(*) FROM dead_letter WHERE cardinality(records) <> 1")).isZero();

        proxy.up();
        // every other record is indexed, and the refused one failed again after the outage
        await().atMost(Duration.ofMinutes(2)).pollInterval(Duration.ofSeconds(1)).until(() ->
                TestLibrary.count(db, "SELECT count(*) FROM image_library WHERE index_state = 'indexed'") == RECORDS - 1
                && TestLibrary.count(db, "SELECT count(*) FROM dead_letter WHERE reason LIKE '%400%'") > 0);
        assertThat(TestLibrary.text(db, "SELECT index_state || ' ' || index_error FROM image_library WHERE id = '" + poison + "'"))
                .startsWith("pending").contains("400");

        String ofPoison = "'" + poison + "' = ANY (records)";
        long poisonLetters = TestLibrary.count(db, "SELECT count(*) FROM dead_letter WHERE " + ofPoison);
        long healed = TestLibrary.count(db, "SELECT count(*) FROM dead_letter WHERE NOT " + ofPoison);
        assertThat(poisonLetters).isGreaterThanOrEqualTo(2);
        assertThat(healed).isGreaterThanOrEqualTo(RECORDS - 1);
        // the record still fails and is retried, so its letters may grow meanwhile: each is judged in one query
        assertThat(TestLibrary.count(db, "SELECT count(*) FROM dead_letter WHERE " + ofPoison + " AND NOT (state = 'open' AND resolution IS NULL)"))
                .isZero();
        assertThat(TestLibrary.count(db, "SELECT count(*) FROM dead_letter WHERE NOT " + ofPoison + " AND NOT (state = 'resolved'"
                + " AND resolution ~ '^indexed on retry [0-9]+ at [0-9-]+ [0-9:]+[+-][0-9:]+; the failure did not recur$')")).isZero();
        await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> {
            JsonNode index = statsOf(app, "index");
            assertThat(index.path("open").asLong()).isEqualTo(TestLibrary.count(db, "SELECT count(*) FROM dead_letter WHERE " + ofPoison));
            assertThat(index.path("resolved").asLong()).isEqualTo(healed);
        });
        // the record's page lists its letters, open, and another's its resolved one
        JsonNode page = get(app, "/api/records/" + poison).path("dead_letters");
        assertThat(page.size()).isGreaterThanOrEqualTo((int) poisonLetters);
        assertThat(page).allSatisfy(d -> assertThat(d.path("state").asText()).isEqualTo("open"));
        String other = TestLibrary.text(db, "SELECT records[1]::text FROM dead_letter WHERE NOT " + ofPoison + " ORDER BY id LIMIT 1");
        JsonNode otherPage = get(app, "/api/records/" + other).path("dead_letters");
        assertThat(otherPage).isNotEmpty().allSatisfy(d -> {
            assertThat(d.path("stage").asText()).isEqualTo("index");
            assertThat(d.path("state").asText()).isEqualTo("resolved");
            assertThat(d.path("resolution").asText()).endsWith("the failure did not recur");
        });
    }

    @Test
    void anOutageLongerThanTheAttemptsLeavesFailedRecordsThatReplayAllBringsToTheIndex() throws Exception {
        var proxy = new EmbeddingsProxy();
        open.add(proxy);
        proxy.unavailable();
        String db = TestPostgres.newDatabase("outage_long");
        BatchImage app = service(db, proxy, 2);
        assertThat(app.importFile(TestLibrary.copyShared(FILE, data.resolve("input"))).outcome()).isEqualTo("done");

        await().atMost(Duration.ofMinutes(1)).until(() -> TestLibrary.count(db,
                "SELECT count(*) FROM image_library WHERE index_state = 'failed' AND index_attempts = 2 AND index_error LIKE '%503%'") == RECORDS);
        long letters = TestLibrary.count(db, "SELECT count(*) FROM dead_letter WHERE stage = 'index' AND state = 'open'");
        assertThat(letters).isEqualTo(2);

        proxy.up();
        JsonNode answer = post(app, "/api/dead-letters/replay", "{\"stage\": \"index\"}");
        assertThat(answer.path("considered").asLong()).isEqualTo(letters);
        assertThat(answer.path("replayed").asLong()).isEqualTo(letters);
        assertThat(answer.path("still_open").asLong()).isZero();
        assertThat(answer.path("not_replayable").asLong()).isZero();
        assertThat(TestLibrary.count(db, "SELECT count(*) FROM dead_letter WHERE stage = 'index' AND state = 'replayed' AND resolved_at IS NOT NULL"))
                .isEqualTo(letters);

        await().atMost(Duration.ofMinutes(2)).pollInterval(Duration.ofSeconds(1))
                .until(() -> TestLibrary.count(db, "SELECT count(*) FROM image_library WHERE index_state = 'indexed'") == RECORDS);
        assertWholeLibraryIndexed(app, db);
        assertThat(TestLibrary.count(db, "SELECT count(*) FROM dead_letter WHERE state = 'open'")).isZero();
    }

    /**
     * A proxy in front of the service's /v1/embeddings: forwards, answers 503, or is down (its port closed,
     * so connections are refused); it comes back on the same port.
     */
    static final class EmbeddingsProxy implements AutoCloseable {
        private final int port = TestLibrary.freePort();
        private final HttpClient client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
        private volatile String target;
        private volatile boolean unavailable;
        private volatile String refused;
        private volatile int forwarded;
        private HttpServer server;

        String url() {
            return "http://127.0.0.1:" + port + "/v1/embeddings";
        }

        void target(String url) {
            target = url;
        }

        int forwarded() {
            return forwarded;
        }

        /** Connections refused. */
        synchronized void down() {
            if (server != null) {
                server.stop(0);
                server = null;
            }
        }

        /** Requests whose body holds this text are answered 400, as an endpoint refuses an input it cannot embed. */
        void refuse(String text) {
            refused = text;
        }

        /** Up, answering 503 to every request. */
        synchronized void unavailable() throws IOException {
            unavailable = true;
            listen();
        }

        /** Up, forwarding to the service's own endpoint. */
        synchronized void up() throws IOException {
            unavailable = false;
            listen();
        }

        private void listen() throws IOException {
            if (server == null) {
                server = HttpServer.create(new InetSocketAddress("127.0.0.1", port), 64);
                server.setExecutor(Executors.newCachedThreadPool());
                server.createContext("/", this::serve);
                server.start();
            }
        }

        private void serve(HttpExchange ex) throws IOException {
            try (ex) {
                byte[] body = ex.getRequestBody().readAllBytes();
                int status;
                byte[] answer;
                String r = refused;
                if (r != null && !unavailable && target != null && new String(body, StandardCharsets.UTF_8).contains(r)) {
                    status = 400;
                    answer = "{\"error\": {\"message\": \"this input cannot be embedded\", \"type\": \"invalid_request_error\"}}"
                            .getBytes(StandardCharsets.UTF_8);
                } else if (unavailable || target == null) {
                    status = 503;
                    answer = "{\"error\": {\"message\": \"the embeddings service is unavailable\", \"type\": \"server_error\"}}".getBytes(StandardCharsets.UTF_8);
                } else {
                    try {
                        var res = client.send(HttpRequest.newBuilder(URI.create(target)).timeout(Duration.ofSeconds(30))
                                .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofByteArray(body)).build(),
                                HttpResponse.BodyHandlers.ofByteArray());
                        status = res.statusCode();
                        answer = res.body();
                        forwarded++;
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                        status = 502;
                        answer = "{}".getBytes(StandardCharsets.UTF_8);
                    }
                }
                ex.getResponseHeaders().add("Content-Type", "application/json");
                ex.sendResponseHeaders(status, answer.length == 0 ? -1 : answer.length);
                if (answer.length > 0) {
                    ex.getResponseBody().write(answer);
                }
            }
        }

        @Override
        public void close() {
            down();
        }
    }
}
