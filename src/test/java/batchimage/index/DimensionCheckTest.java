package batchimage.index;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import batchimage.cli.Application;
import batchimage.app.BatchImage;
import batchimage.embed.EmbeddingsClient;
import batchimage.embed.EmbeddingsStubAccess;
import batchimage.vectors.local.LocalPinecone;
import batchimage.vectors.VectorRecord;
import batchimage.support.StubHttpServer;
import batchimage.support.StubHttpServer.Reply;
import batchimage.support.TestLibrary;
import batchimage.support.TestPostgres;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.apache.camel.builder.NotifyBuilder;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A dimension mismatch between the index and the model stops indexing before anything is embedded or
 * upserted: the records stay pending, the reason names both dimensions, ingest goes on, and
 * {@code import} exits 3 with the reason instead of waiting.
 */
class DimensionCheckTest {

    private static final String MEDIA = "media-library/batch_image_data_media_final.json";
    private static final int MEDIA_RECORDS = 79;

    private final ObjectMapper json = new ObjectMapper();
    private final HttpClient http = HttpClient.newHttpClient();

    @TempDir
    Path data;

    private BatchImage start(String db, Map<String, String> extra) {
        var settings = new HashMap<String, String>(extra);
        // no test here needs the local model loaded unless it embeds with it
        settings.putIfAbsent("local-embeddings.preload", "");
        return BatchImage.create(TestLibrary.settings(TestLibrary.PROJECT, data, db, settings), BatchImage.Mode.SERVICE).start();
    }

    private void drop(String shared) throws Exception {
        Path src = TestLibrary.SHARED_DATA.resolve(shared);
        Path tmp = data.resolve(src.getFileName() + ".tmp");
        Files.copy(src, tmp);
        Files.move(tmp, data.resolve("inbox").resolve(src.getFileName()));
    }

    private HttpResponse<String> post(BatchImage app, String path, String body) throws Exception {
        return http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + app.settings().get("batch-image.port") + path))
                .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(body)).build(),
                HttpResponse.BodyHandlers.ofString());
    }

    /** A Pinecone index of the given dimension that records every request and accepts every upsert. */
    private static StubHttpServer pinecone(int dimension) {
        return new StubHttpServer((r, n) -> {
            if (r.path().endsWith("/describe_index_stats")) {
                return Reply.json(200, "{\"namespaces\":{},\"dimension\":" + dimension
                        + ",\"indexFullness\":0,\"totalVectorCount\":0,\"metric\":\"cosine\",\"vectorType\":\"dense\"}");
            }
            if (r.path().endsWith("/vectors/upsert")) {
                return Reply.json(200, "{\"upsertedCount\":" + (r.body().split("\"id\":").length - 1) + "}");
            }
            return Reply.json(200, "{}");
        });
    }

    private static StubHttpServer embeddings(int dimension) {
        return new StubHttpServer((r, n) -> Reply.json(200, EmbeddingsStubAccess.answer(r.body(), dimension)));
    }

    /** Vectors of one dimension in a namespace of the local index in {@code <data>/index}, as an earlier model left them. */
    private void seedLocalIndex(int dimension) {
        try (var index = new LocalPinecone(data.resolve("index"), dimension)) {
            var records = new ArrayList<VectorRecord>();
            for (int i = 0; i < 3; i++) {
                float[] v = new float[dimension];
                v[i] = 1;
                records.add(new VectorRecord("00000000-0000-0000-0000-00000000000" + i, v, Map.of("name", "old " + i)));
            }
            index.namespace("prompt", true).upsert(records);
        }
    }

    /** Once the file is ingested, several rounds of the index route pass without taking any of its records. */
    private void ingestedAndLeftPending(BatchImage app, String db) throws Exception {
        await().atMost(Duration.ofSeconds(60))
                .until(() -> TestLibrary.count(db, "SELECT count(*) FROM image_library") == MEDIA_RECORDS);
        var rounds = new NotifyBuilder(app.context()).fromRoute("index").whenDone(3).create();
        assertThat(rounds.matches(60, TimeUnit.SECONDS)).as("three rounds of the index route").isTrue();
        assertThat(TestLibrary.count(db, "SELECT count(*) FROM image_library WHERE index_state = 'pending'"
                + " AND index_error IS NULL AND index_attempts = 0 AND prompt_fp IS NULL")).isEqualTo(MEDIA_RECORDS);
        assertThat(TestLibrary.count(db, "SELECT count(*) FROM dead_letter WHERE stage LIKE 'index%'")).isZero();
        assertThat(app.context().getRegistry().lookupByNameAndType("embeddingsClient", EmbeddingsClient.class).stats().get("calls"))
                .isZero();
    }

    @Test
    void aPineconeIndexOf512DimensionsGetsNoUpsertFromThe384DimensionModel() throws Exception {
        String db = TestPostgres.newDatabase("dim_pinecone");
        try (var pinecone = pinecone(512)) {
            BatchImage app = start(db, Map.of("pinecone.host", pinecone.url(""), "pinecone.api-key", "pc-test"));
            try {
                await().atMost(Duration.ofSeconds(30)).until(() -> app.indexProblem() != null);
                // the service goes on: a file dropped now is ingested, and its records wait
                drop(MEDIA);
                ingestedAndLeftPending(app, db);

                assertThat(pinecone.seen()).isNotEmpty()
                        .allSatisfy(r -> assertThat(r.path()).isEqualTo("/describe_index_stats"));
                assertThat(app.indexProblem())
                        .contains("the index has 512 dimensions but the model all-minilm-l6-v2-q gives 384")
                        .contains("Create a Pinecone index of 384 dimensions", "PINECONE_INDEX", "a model of 512 dimensions");
                // a full reindex cannot write into that index either: refused with the same advice, nothing queued
                var refused = post(app, "/api/reindex", "{\"mode\": \"full\"}");
                assertThat(refused.statusCode()).isEqualTo(409);
                assertThat(json.readTree(refused.body()).path("error").asText()).contains("Create a Pinecone index of 384 dimensions");
                assertThat(pinecone.seen()).allSatisfy(r -> assertThat(r.path()).isEqualTo("/describe_index_stats"));
            } finally {
                app.close();
            }
        }
    }

    @Test
    void aLocalIndexBuiltWith384DimensionsGetsNothingFromA512DimensionModel() throws Exception {
        seedLocalIndex(384);
        String db = TestPostgres.newDatabase("dim_local");
        try (var embeddings = embeddings(512)) {
            BatchImage app = start(db, Map.of("embeddings.url", embeddings.url("/v1/embeddings"), "embeddings.model", "stub-model",
                    "embeddings.dimensions", "512"));
            try {
                drop(MEDIA);
                ingestedAndLeftPending(app, db);

                assertThat(embeddings.seen()).isEmpty();
                assertThat(app.indexProblem())
                        .contains("the index has 384 dimensions but the model stub-model gives 512")
                        .contains(data.resolve("index").toString(), "rebuild it for this model with a full reindex", "a model of 384 dimensions");
                // the local index says what it holds, and refuses vectors of another size as Pinecone does
                JsonNode stats = json.readTree(post(app, "/pinecone/describe_index_stats", "{}").body());
                assertThat(stats.get("dimension").asInt()).isEqualTo(384);
                assertThat(stats.path("namespaces").path("prompt").path("vectorCount").asLong()).isEqualTo(3);
                assertThat(stats.path("namespaces").has("description")).isFalse();
                var refused = post(app, "/pinecone/vectors/upsert", "{\"namespace\":\"description\",\"vectors\":[{\"id\":\"x\",\"values\":"
                        + json.writeValueAsString(new float[512]).replaceFirst("0\\.0", "1.0") + "}]}");
                assertThat(refused.statusCode()).isEqualTo(400);
                assertThat(refused.body()).contains("Vector dimension 512 does not match the dimension of the index 384");

                // a full reindex rebuilds the app's own index for the new model: the old vectors go, every record gets one of 512
                var rebuilt = post(app, "/api/reindex", "{\"mode\": \"full\"}");
                assertThat(rebuilt.statusCode()).as(rebuilt.body()).isEqualTo(200);
                JsonNode full = json.readTree(rebuilt.body()).path("drift").path("full");
                assertThat(full.path("rebuilt_local_index").asBoolean()).isTrue();
                assertThat(full.path("queued").asLong()).isEqualTo(MEDIA_RECORDS);
                assertThat(full.path("dimensions").asInt()).isEqualTo(512);
                await().atMost(Duration.ofMinutes(1)).pollInterval(Duration.ofMillis(300)).until(() ->
                        TestLibrary.count(db, "SELECT count(*) FROM image_library WHERE index_state = 'indexed'") == MEDIA_RECORDS);
                assertThat(app.indexProblem()).isNull();
                JsonNode after = json.readTree(post(app, "/pinecone/describe_index_stats", "{}").body());
                assertThat(after.get("dimension").asInt()).isEqualTo(512);
                assertThat(after.path("namespaces").path("prompt").path("vectorCount").asLong()).isEqualTo(MEDIA_RECORDS);
                assertThat(after.path("namespaces").path("description").path("vectorCount").asLong())
                        .isEqualTo(TestLibrary.count(db, "SELECT count(*) FROM image_library WHERE coalesce(description, '') <> ''"));
                assertThat(http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + app.settings().get("batch-image.port")
                        + "/pinecone/vectors/fetch?namespace=prompt&ids=00000000-0000-0000-0000-000000000000")).GET().build(),
                        HttpResponse.BodyHandlers.ofString()).body()).doesNotContain("00000000-0000-0000-0000-000000000000");
                JsonNode library = json.readTree(http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:"
                        + app.settings().get("batch-image.port") + "/api/stats")).GET().build(), HttpResponse.BodyHandlers.ofString()).body());
                assertThat(library.path("sync").path("in_sync").asBoolean()).as("%s", library.path("sync")).isTrue();
                assertThat(library.path("model").path("vectors_made_with").asText()).isEqualTo("stub-model");
                assertThat(library.path("full_reindex").path("done").asLong()).isEqualTo(MEDIA_RECORDS);
            } finally {
                app.close();
            }
        }
    }

    @Test
    void aModelWhoseDimensionIsNotConfiguredIsAskedWithOneProbe() throws Exception {
        String db = TestPostgres.newDatabase("dim_probe");
        try (var pinecone = pinecone(512); var embeddings = embeddings(768)) {
            BatchImage app = start(db, Map.of("pinecone.host", pinecone.url(""), "pinecone.api-key", "pc-test",
                    "embeddings.url", embeddings.url("/v1/embeddings"), "embeddings.model", "nomic-embed-text"));
            try {
                await().atMost(Duration.ofSeconds(30)).until(() -> app.indexProblem() != null);
                drop(MEDIA);
                await().atMost(Duration.ofSeconds(60))
                        .until(() -> TestLibrary.count(db, "SELECT count(*) FROM image_library") == MEDIA_RECORDS);
                var rounds = new NotifyBuilder(app.context()).fromRoute("index").whenDone(3).create();
                assertThat(rounds.matches(60, TimeUnit.SECONDS)).isTrue();

                assertThat(app.indexProblem()).contains("the index has 512 dimensions but the model nomic-embed-text gives 768");
                assertThat(embeddings.seen()).hasSize(1);
                assertThat(json.readTree(embeddings.seen().get(0).body()).get("input")).hasSize(1);
                assertThat(pinecone.seen()).allSatisfy(r -> assertThat(r.path()).isEqualTo("/describe_index_stats"));
                assertThat(TestLibrary.count(db, "SELECT count(*) FROM image_library WHERE index_state = 'pending' AND index_error IS NULL"))
                        .isEqualTo(MEDIA_RECORDS);
            } finally {
                app.close();
            }
        }
    }

    @Test
    void anEmptyLocalIndexTakesTheDimensionOfAModelWhoseDimensionIsNotConfigured() throws Exception {
        String db = TestPostgres.newDatabase("dim_learn");
        try (var embeddings = embeddings(768)) {
            BatchImage app = start(db, Map.of("embeddings.url", embeddings.url("/v1/embeddings"), "embeddings.model", "nomic-embed-text"));
            try {
                drop(MEDIA);
                await().atMost(Duration.ofSeconds(60)).until(() -> TestLibrary.count(db,
                        "SELECT count(*) FROM image_library WHERE index_state = 'indexed'") == MEDIA_RECORDS);
                JsonNode stats = json.readTree(post(app, "/pinecone/describe_index_stats", "{}").body());
                assertThat(stats.get("dimension").asInt()).isEqualTo(768);
                assertThat(stats.path("namespaces").path("prompt").path("vectorCount").asLong()).isEqualTo(MEDIA_RECORDS);
                assertThat(app.indexProblem()).isNull();
            } finally {
                app.close();
            }
        }
    }

    @Test
    void importExits3WithTheReasonInsteadOfWaiting() throws Exception {
        seedLocalIndex(512);
        Path file = TestLibrary.copyShared(MEDIA, data.resolve("in"));
        var out = new StringWriter();
        var err = new StringWriter();
        int exit = Application.execute(new PrintWriter(out, true), new PrintWriter(err, true),
                "import", "--json", "--data", data.toString(), file.toString());

        assertThat(exit).as(err.toString()).isEqualTo(3);
        assertThat(err.toString()).contains("the index has 512 dimensions but the model all-minilm-l6-v2-q gives 384",
                data.resolve("index").toString());
        JsonNode doc = json.readTree(out.toString());
        assertThat(doc.get("files").get(0).get("inserted").asLong()).isEqualTo(MEDIA_RECORDS);
        assertThat(doc.get("indexed").get("indexed").asLong()).isZero();
        assertThat(doc.get("indexed").get("error").asText()).contains("512", "384");
        assertThat(doc.get("files").get(0).get("upserted").get("prompt").asLong()).isZero();
        // the vectors of the earlier model are left alone
        try (var index = new LocalPinecone(data.resolve("index"), 384)) {
            assertThat(index.counts()).isEqualTo(Map.of("prompt", 3));
            assertThat(index.dimension()).isEqualTo(512);
        }
    }
}
