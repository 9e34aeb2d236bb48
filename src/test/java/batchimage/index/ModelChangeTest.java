package batchimage.index;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import batchimage.app.BatchImage;
import batchimage.index.IndexTexts;
import batchimage.index.Indexer;
import batchimage.support.TestLibrary;
import batchimage.support.TestPostgres;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A change of embedding model to another of the same size (all-MiniLM-L6-v2 to bge-small-en-v1.5, both 384
 * dimensions, both real local models): noticed at start, shown in stats, searched with the model that made the
 * vectors, and repaired by a full reindex that builds a new generation of the namespaces with the new model while
 * search keeps answering from the old one, then switches.
 */
class ModelChangeTest {

    private static final String FILE = "media-library/batch_image_data_media_final.json";
    private static final String BGE = "bge-small-en-v1.5-q";
    private static final String MINILM = "all-minilm-l6-v2-q";

    private final ObjectMapper json = new ObjectMapper();
    private final HttpClient http = HttpClient.newHttpClient();

    @TempDir
    Path data;

    private JsonNode get(BatchImage app, String path) throws Exception {
        return json.readTree(http.send(HttpRequest.newBuilder(URI.create(base(app) + path)).GET().build(),
                HttpResponse.BodyHandlers.ofString()).body());
    }

    private HttpResponse<String> post(BatchImage app, String path, String body) throws Exception {
        return http.send(HttpRequest.newBuilder(URI.create(base(app) + path)).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofString());
    }

    private static String base(BatchImage app) {
        return "http://127.0.0.1:" + app.settings().get("batch-image.port");
    }

    /** The model's embedding of a text, from the service's own OpenAI-compatible endpoint. */
    private float[] embed(BatchImage app, String model, String text) throws Exception {
        var body = json.createObjectNode().put("model", model).put("encoding_format", "float");
        body.putArray("input").add(text);
        JsonNode v = json.readTree(post(app, "/v1/embeddings", body.toString()).body()).path("data").get(0).path("embedding");
        float[] out = new float[v.size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = v.get(i).floatValue();
        }
        return out;
    }

    private float[] stored(BatchImage app, String namespace, String id) throws Exception {
        JsonNode v = get(app, "/pinecone/vectors/fetch?namespace=" + namespace + "&ids=" + id).path("vectors").path(id).path("values");
        float[] out = new float[v.size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = v.get(i).floatValue();
        }
        return out;
    }

    private static double cosine(float[] a, float[] b) {
        double dot = 0;
        double na = 0;
        double nb = 0;
        for (int i = 0; i < a.length; i++) {
            dot += a[i] * b[i];
            na += a[i] * a[i];
            nb += b[i] * b[i];
        }
        return dot / Math.sqrt(na * nb);
    }

    /** Ten records' ids and prompt texts, as the prompt namespace embeds them. */
    private Map<String, String> someRecords(String db) throws Exception {
        var out = new LinkedHashMap<String, String>();
        try (Connection c = DriverManager.getConnection(db); Statement st = c.createStatement();
             ResultSet rs = st.executeQuery("SELECT id::text, prompt FROM image_library ORDER BY id LIMIT 10")) {
            while (rs.next()) {
                out.put(rs.getString(1), IndexTexts.promptText(rs.getString(2)));
            }
        }
        return out;
    }

    /** The ids a search answers, in order. */
    private java.util.List<String> search(BatchImage app, String query) throws Exception {
        JsonNode hits = get(app, "/api/search?q=" + java.net.URLEncoder.encode(query, java.nio.charset.StandardCharsets.UTF_8)
                + "&top_k=10&namespace=both");
        var ids = new java.util.ArrayList<String>();
        hits.path("matches").forEach(m -> ids.add(m.path("id").asText()));
        assertThat(ids).as("%s", hits).hasSize(10);
        return ids;
    }

    private static final java.util.List<String> QUERIES = java.util.List.of("a dog on a bed", "a red vehicle in the street",
            "food on a plate", "a person smiling");

    @Test
    void aModelOfTheSameSizeIsNoticedAndAFullReindexBuildsANewGenerationWhileSearchAnswersFromTheOld() throws Exception {
        String db = TestPostgres.newDatabase("model_change");
        Map<String, String> records;
        var answers = new LinkedHashMap<String, java.util.List<String>>();
        try (var app = TestLibrary.service(data, db)) {
            assertThat(app.importFile(TestLibrary.copyShared(FILE, data.resolve("input"))).outcome()).isEqualTo("done");
            await().atMost(Duration.ofMinutes(3)).pollInterval(Duration.ofMillis(500))
                    .until(() -> TestLibrary.count(db, "SELECT count(*) FROM image_library WHERE index_state = 'indexed'") == 79);
            assertThat(get(app, "/api/stats").path("model").path("vectors_made_with").asText()).isEqualTo(MINILM);
            records = someRecords(db);
            for (String q : QUERIES) {
                answers.put(q, search(app, q));
            }
        }

        try (var app = TestLibrary.service(data, db, Map.of("embeddings.model", BGE, "local-embeddings.preload", BGE))) {
            // noticed: stats says what happened and what to do; indexing is not blocked (same size)
            JsonNode stats = get(app, "/api/stats");
            assertThat(stats.path("sync").path("in_sync").asBoolean()).isFalse();
            assertThat(stats.path("model").path("vectors_made_with").asText()).isEqualTo(MINILM);
            assertThat(stats.path("model").path("this_process").asText()).isEqualTo(BGE);
            assertThat(stats.path("model").path("notice").asText()).contains(MINILM, BGE, "reindex --full", "both 384 dimensions");
            assertThat(stats.path("sync").path("summary").asText()).contains("model changed");
            assertThat(app.indexProblem()).isNull();
            var indexer = app.context().getRegistry().lookupByNameAndType("indexer", Indexer.class);
            String first = records.keySet().iterator().next();
            assertThat(cosine(stored(app, "prompt", first), embed(app, MINILM, records.get(first)))).isGreaterThan(0.99);
            // search embeds its queries with the model of the vectors it searches: the answers are those of before
            for (String q : QUERIES) {
                assertThat(search(app, q)).as(q).isEqualTo(answers.get(q));
            }

            // hold the index route until the searches below have run against a build under way
            app.context().getRouteController().suspendRoute("index");
            var started = post(app, "/api/reindex", "{\"mode\": \"full\"}");
            assertThat(started.statusCode()).as(started.body()).isEqualTo(200);
            JsonNode full = json.readTree(started.body()).path("drift").path("full");
            assertThat(full.path("queued").asLong()).isEqualTo(79);
            assertThat(full.path("model").asText()).isEqualTo(BGE);
            assertThat(full.path("generation").asInt()).isEqualTo(1);
            assertThat(full.path("rebuilt_local_index").asBoolean()).isFalse();
            JsonNode building = get(app, "/api/stats");
            assertThat(building.path("model").path("building").path("model").asText()).isEqualTo(BGE);
            assertThat(building.path("namespaces").path("prompt").path("index_namespace").asText()).isEqualTo("prompt-g1");
            assertThat(building.path("model").path("notice").isNull()).as("a build with this model is under way").isTrue();
            for (String q : QUERIES) {
                assertThat(search(app, q)).as(q).isEqualTo(answers.get(q));
            }
            app.context().getRouteController().resumeRoute("index");

            // while it runs, search answers from the old generation, as before, until the new one is complete
            int searches = 0;
            while (true) {
                var got = search(app, QUERIES.get(0));
                // answered before the switch (the record still names generation 0 after it): the answer of before
                if (get(app, "/api/stats").path("model").path("generation").asInt() != 0) {
                    break;
                }
                assertThat(got).isEqualTo(answers.get(QUERIES.get(0)));
                searches++;
            }
            assertThat(searches).isPositive();
            await().atMost(Duration.ofMinutes(2)).pollInterval(Duration.ofMillis(500))
                    .until(() -> get(app, "/api/stats").path("sync").path("in_sync").asBoolean());

            JsonNode after = get(app, "/api/stats");
            assertThat(after.path("model").path("vectors_made_with").asText()).isEqualTo(BGE);
            assertThat(after.path("model").path("generation").asInt()).isEqualTo(1);
            assertThat(after.path("model").path("building").isNull()).isTrue();
            assertThat(after.path("model").path("notice").isNull()).isTrue();
            assertThat(after.path("full_reindex").path("done").asLong()).isEqualTo(79);
            assertThat(after.path("full_reindex").path("finished_at").isNull()).isFalse();
            // the new generation holds every vector, the old one none
            JsonNode index = json.readTree(post(app, "/pinecone/describe_index_stats", "{}").body()).path("namespaces");
            assertThat(index.path("prompt-g1").path("vectorCount").asLong()).isEqualTo(79);
            assertThat(index.path("description-g1").path("vectorCount").asLong()).isEqualTo(58);
            assertThat(index.path("prompt").path("vectorCount").asLong(0)).isZero();
            assertThat(index.path("description").path("vectorCount").asLong(0)).isZero();
            // every text was embedded again, once, by this process
            assertThat(indexer.total("prompt", "embedded")).isEqualTo(79);
            assertThat(indexer.total("description", "embedded")).isEqualTo(58);
            // and the vectors are the new model's
            for (var r : records.entrySet()) {
                float[] v = stored(app, "prompt-g1", r.getKey());
                assertThat(cosine(v, embed(app, BGE, r.getValue()))).as(r.getKey()).isGreaterThan(0.99);
                assertThat(cosine(v, embed(app, MINILM, r.getValue()))).as(r.getKey()).isLessThan(0.9);
            }
            // search now embeds with the new model and finds a record by its own prompt
            String text = records.get(first);
            assertThat(search(app, text.length() > 200 ? text.substring(0, 200) : text)).contains(first);
        }

        // started again with the same model: nothing to notice, nothing embedded
        try (var app = TestLibrary.service(data, db, Map.of("embeddings.model", BGE, "local-embeddings.preload", BGE))) {
            JsonNode stats = get(app, "/api/stats");
            assertThat(stats.path("model").path("notice").isNull()).isTrue();
            assertThat(stats.path("sync").path("in_sync").asBoolean()).as("%s", stats.path("sync")).isTrue();
        }
    }
}
