package batchimage.index;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import batchimage.app.BatchImage;
import batchimage.config.Settings;
import batchimage.embed.EmbeddingsClient;
import batchimage.support.StubHttpServer;
import batchimage.support.StubHttpServer.Reply;
import batchimage.support.TestLibrary;
import batchimage.support.TestPostgres;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The index route end to end: real embeddings, real local Pinecone over HTTP; stubs only to inject failures. */
class IndexRouteTest {

    private final ObjectMapper json = new ObjectMapper();
    private final HttpClient http = HttpClient.newHttpClient();

    @TempDir
    Path data;

    private BatchImage start(String db, Map<String, String> extra) {
        return BatchImage.create(TestLibrary.settings(TestLibrary.PROJECT, data, db, extra), BatchImage.Mode.SERVICE).start();
    }

    private JsonNode post(BatchImage app, String path, String body) throws Exception {
        var res = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + app.settings().get("batch-image.port") + path))
                .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(body)).build(),
                HttpResponse.BodyHandlers.ofString());
        return json.readTree(res.body());
    }

    private long vectors(BatchImage app, String ns) throws Exception {
        return post(app, "/pinecone/describe_index_stats", "{}").path("namespaces").path(ns).path("vectorCount").asLong(0);
    }

    private void drop(String shared) throws Exception {
        Path src = TestLibrary.SHARED_DATA.resolve(shared);
        Path tmp = data.resolve(src.getFileName() + ".tmp");
        Files.createDirectories(data.resolve("inbox"));
        Files.copy(src, tmp);
        Files.move(tmp, data.resolve("inbox").resolve(src.getFileName()));
    }

    private static long embeddingCalls(BatchImage app) {
        return app.context().getRegistry().lookupByNameAndType("embeddingsClient", EmbeddingsClient.class).stats().get("calls");
    }

    @Test
    void theCocoFileEndsWithAVectorPerRecordInEachNamespaceAndRestartsEmbedNothing() throws Exception {
        String db = TestPostgres.newDatabase("index");
        BatchImage app = start(db, Map.of());
        try {
            drop("coco/batch_image_data_coco_final.json");
            await().atMost(Duration.ofMinutes(3)).pollInterval(Duration.ofSeconds(1))
                    .until(() -> TestLibrary.count(db, "SELECT count(*) FROM image_library WHERE index_state = 'indexed'") == 5000);
            assertThat(vectors(app, "prompt")).isEqualTo(5000);
            assertThat(vectors(app, "description")).isEqualTo(5000);
            assertThat(TestLibrary.count(db, "SELECT count(*) FROM image_library WHERE prompt_fp IS NULL OR description_fp IS NULL")).isZero();

            // a filtered query returns only matching metadata
            JsonNode e = post(app, "/v1/embeddings", "{\"model\": \"all-minilm-l6-v2-q\", \"input\": \"a dog running in a field\"}");
            String vec = json.writeValueAsString(e.get("data").get(0).get("embedding"));
            JsonNode res = post(app, "/pinecone/query", "{\"namespace\": \"prompt\", \"topK\": 20, \"includeMetadata\": true, "
                    + "\"filter\": {\"sub_theme\": \"ANIMAL\"}, \"vector\": " + vec + "}");
            assertThat(res.get("matches")).hasSize(20).allSatisfy(m -> assertThat(m.get("metadata").get("sub_theme").asText()).isEqualTo("ANIMAL"));
            assertThat(res.get("matches").get(0).get("metadata").get("original_prompt").asText()).isNotEmpty();

            // re-importing the same file makes no embedding call
            long calls = embeddingCalls(app);
            drop("coco/batch_image_data_coco_final.json");
            await().atMost(Duration.ofSeconds(30)).until(() -> TestLibrary.count(db,
                    "SELECT count(*) FROM import_run WHERE file_name = 'batch_image_data_coco_final.json' AND outcome = 'done'") == 2);
            Thread.sleep(2500);
            assertThat(embeddingCalls(app)).isEqualTo(calls);
        } finally {
            app.close();
        }
        BatchImage again = start(db, Map.of());
        try {
            Thread.sleep(3000);
            assertThat(embeddingCalls(again)).isZero();
            assertThat(vectors(again, "prompt")).isEqualTo(5000);
        } finally {
            again.close();
        }
    }

    @Test
    void recordsClaimedByAProcessThatDiedAreIndexedOnceOnRestart() throws Exception {
        String db = TestPostgres.newDatabase("resume");
        try (BatchImage importer = TestLibrary.oneShot(data, db)) {
            importer.importFile(TestLibrary.SHARED_DATA.resolve("media-library/batch_image_data_media_final.json"));
        }
        // a process claimed 30 records and died before finishing them
        TestLibrary.execute(db, "UPDATE image_library SET index_state = 'indexing', claimed_at = now() - interval '1 hour'"
                + " WHERE id IN (SELECT id FROM image_library ORDER BY id LIMIT 30)");
        BatchImage app = start(db, Map.of("index.stale-claim-seconds", "60"));
        try {
            await().atMost(Duration.ofMinutes(1))
                    .until(() -> TestLibrary.count(db, "SELECT count(*) FROM image_library WHERE index_state = 'indexed'") == 79);
            long withTags = TestLibrary.count(db, "SELECT count(*) FROM image_library WHERE coalesce(description, '') <> ''");
            assertThat(vectors(app, "prompt")).isEqualTo(79);
            assertThat(vectors(app, "description")).isEqualTo(withTags).isLessThan(79);
        } finally {
            app.close();
        }
    }

    @Test
    void aFailedEmbeddingBatchStaysPendingWithItsReasonGoesToTheDeadLettersAndTheRouteGoesOn() throws Exception {
        String db = TestPostgres.newDatabase("embedfail");
        // the second request (the second batch of 20 records) is refused once
        try (var stub = new StubHttpServer((r, n) -> n == 2
                ? Reply.json(400, "{\"error\":{\"message\":\"This model's maximum context length is exceeded\",\"type\":\"invalid_request_error\",\"param\":null,\"code\":null}}")
                : Reply.json(200, batchimage.embed.EmbeddingsStubAccess.answer(r.body(), 384)))) {
            var extra = new HashMap<String, String>();
            extra.put("embeddings.url", stub.url("/v1/embeddings"));
            extra.put("embeddings.model", "stub-model");
            extra.put("embeddings.dimensions", "384");
            extra.put("index.batch-size", "20");
            BatchImage app = start(db, extra);
            try {
                drop("media-library/batch_image_data_media_final.json");
                // the failed batch waits (5 s before its retry) while the batches after it are indexed
                await().atMost(Duration.ofSeconds(30)).until(() -> TestLibrary.count(db,
                        "SELECT count(*) FROM image_library WHERE index_state = 'pending' AND index_error LIKE '%maximum context length%'") == 20
                        && TestLibrary.count(db, "SELECT count(*) FROM image_library WHERE index_state = 'indexed'") == 59);
                assertThat(TestLibrary.count(db, "SELECT count(*) FROM dead_letter WHERE stage = 'index' AND reason LIKE '%answered 400%'"))
                        .isEqualTo(1);
                assertThat(TestLibrary.text(db, "SELECT raw FROM dead_letter WHERE stage = 'index'")).contains("\"records\"");
                await().atMost(Duration.ofSeconds(60))
                        .until(() -> TestLibrary.count(db, "SELECT count(*) FROM image_library WHERE index_state = 'indexed'") == 79);
                assertThat(vectors(app, "prompt")).isEqualTo(79);
                assertThat(TestLibrary.count(db, "SELECT count(*) FROM image_library WHERE index_error IS NOT NULL")).isZero();
            } finally {
                app.close();
            }
        }
    }

    @Test
    void oneNamespaceFailingDoesNotHoldBackTheOther() throws Exception {
        String db = TestPostgres.newDatabase("nsfail");
        try (var pinecone = new StubHttpServer((r, n) -> {
            if (r.path().endsWith("/vectors/upsert") && r.body().contains("\"namespace\":\"description\"")) {
                return new Reply(503, Map.of("Content-Type", "text/plain"), "upstream connect error or disconnect/reset before headers", 0);
            }
            if (r.path().endsWith("/vectors/upsert")) {
                int count = r.body().split("\"id\":").length - 1;
                return Reply.json(200, "{\"upsertedCount\":" + count + "}");
            }
            return Reply.json(200, "{}");
        })) {
            BatchImage app = start(db, Map.of("pinecone.host", pinecone.url(""), "pinecone.max-retries", "0"));
            try {
                drop("media-library/batch_image_data_media_final.json");
                try {
                    await().atMost(Duration.ofSeconds(60)).until(() -> TestLibrary.count(db,
                            "SELECT count(*) FROM image_library WHERE prompt_fp IS NOT NULL AND index_state = 'pending'") == 79);
                } catch (org.awaitility.core.ConditionTimeoutException e) {
                    throw new AssertionError("records: " + TestLibrary.text(db, "SELECT string_agg(s, ' | ') FROM (SELECT index_state || ' p=' || (prompt_fp IS NOT NULL)"
                            + " || ' d=' || (description_fp IS NOT NULL) || ' ' || coalesce(index_error, '-') || ' x' || count(*) AS s FROM image_library"
                            + " GROUP BY index_state, prompt_fp IS NOT NULL, description_fp IS NOT NULL, index_error) q"), e);
                }
                assertThat(TestLibrary.count(db, "SELECT count(*) FROM image_library WHERE description_fp IS NOT NULL")).isZero();
                assertThat(TestLibrary.text(db, "SELECT index_error FROM image_library LIMIT 1"))
                        .contains("description").contains("503").contains("upstream connect error");
                assertThat(TestLibrary.count(db, "SELECT count(*) FROM dead_letter WHERE stage = 'index-description'")).isPositive();
                assertThat(pinecone.seen()).anySatisfy(s -> assertThat(s.header("X-Pinecone-Api-Version")).isEqualTo("2025-10"));
            } finally {
                app.close();
            }
        }
    }
}
