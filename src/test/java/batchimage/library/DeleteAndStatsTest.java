package batchimage.library;

import static batchimage.support.Prometheus.sample;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import batchimage.app.BatchImage;
import batchimage.support.Api;
import batchimage.support.Api.Answer;
import batchimage.support.Cli;
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
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Predicate;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.io.TempDir;

/**
 * Delete by filter and the library's figures, against the media library (79 records, 21 without tags)
 * imported and indexed once: real PostgreSQL, the real local model and index over HTTP. The tests run in
 * order, each deleting a different part of the library; after each, PostgreSQL and both namespaces must
 * agree. Which records a filter should match is worked out from the input file, not from the app's SQL.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class DeleteAndStatsTest {

    private static final String FILE = "media-library/batch_image_data_media_final.json";

    private final ObjectMapper json = new ObjectMapper();
    private final HttpClient http = HttpClient.newHttpClient();

    private Path data;
    private String db;
    private BatchImage app;
    private String base;
    private Api api;
    /** The input records: id, sub-theme and tags. */
    private final List<Input> input = new ArrayList<>();

    private record Input(String id, String subTheme, Set<String> tags) {
    }

    @BeforeAll
    void importAndIndexTheLibrary(@TempDir Path folder) throws Exception {
        data = folder;
        db = TestPostgres.newDatabase("delete");
        startService();
        Path file = TestLibrary.copyShared(FILE, data.resolve("input"));
        assertThat(app.importFile(file).outcome()).isEqualTo("done");
        // the enrich route examines the records beside the indexing (and may send one back to it):
        // the figures settle once it has seen every record and every record is indexed
        await().atMost(Duration.ofMinutes(3)).pollInterval(Duration.ofMillis(500))
                .until(() -> TestLibrary.count(db, "SELECT count(*) FROM image_library WHERE enrich_state IS NOT NULL"
                        + " AND index_state = 'indexed'") == 79);
        JsonNode root = json.readTree(file.toFile());
        root.fields().forEachRemaining(e -> e.getValue().forEach(r -> {
            var tags = new HashSet<String>();
            for (String t : r.path("tags").asText("").split(",")) {
                if (!t.strip().isEmpty()) {
                    tags.add(t.strip());
                }
            }
            input.add(new Input(r.path("task_id").asText(), e.getKey(), tags));
        }));
        assertThat(input).hasSize(79);
    }

    private void startService() {
        app = TestLibrary.service(data, db);
        base = "http://127.0.0.1:" + app.settings().get("batch-image.port");
        api = Api.of(app);
    }

    @AfterAll
    void stop() {
        if (app != null) {
            app.close();
        }
    }

    // ---- helpers

    private JsonNode delete(String filter, boolean dryRun, boolean purge) throws Exception {
        var body = new LinkedHashMap<String, Object>();
        body.put("filter", json.readTree(filter));
        body.put("dry_run", dryRun);
        body.put("purge", purge);
        Answer a = api.post("/api/delete", body);
        assertThat(a.status()).as("%s", a.body()).isEqualTo(200);
        return a.body();
    }

    private Set<String> sqlIds(String where) {
        return new HashSet<>(TestLibrary.ids(db, where));
    }

    private Set<String> expected(Predicate<Input> p) {
        var out = new HashSet<String>();
        input.stream().filter(p).forEach(r -> out.add(r.id()));
        return out;
    }

    private Map<String, Long> vectorCounts() throws Exception {
        Answer a = api.post("/pinecone/describe_index_stats", "{}");
        assertThat(a.status()).isEqualTo(200);
        var out = new LinkedHashMap<String, Long>();
        for (String ns : List.of("prompt", "description")) {
            out.put(ns, a.body().path("namespaces").path(ns).path("vectorCount").asLong(0));
        }
        return out;
    }

    private Set<String> fetch(String namespace, Set<String> ids) throws Exception {
        var found = new HashSet<String>();
        var list = new ArrayList<>(ids);
        for (int i = 0; i < list.size(); i += 50) {
            var q = new StringBuilder("namespace=" + namespace);
            list.subList(i, Math.min(list.size(), i + 50)).forEach(id -> q.append("&ids=").append(URLEncoder.encode(id, StandardCharsets.UTF_8)));
            Answer a = api.get("/pinecone/vectors/fetch?" + q);
            assertThat(a.status()).isEqualTo(200);
            a.body().path("vectors").fieldNames().forEachRemaining(found::add);
        }
        return found;
    }

    /** PostgreSQL and both namespaces agree: no deleted record has a vector, every active record has its own. */
    private void assertPostgresAndIndexAgree() throws Exception {
        Set<String> gone = sqlIds("status <> 'active'");
        Set<String> prompt = sqlIds("status = 'active' AND prompt_fp IS NOT NULL");
        Set<String> description = sqlIds("status = 'active' AND description_fp IS NOT NULL");
        assertThat(sqlIds("status = 'active' AND index_state <> 'indexed'")).isEmpty();
        assertThat(sqlIds("status <> 'active' AND (prompt_fp IS NOT NULL OR description_fp IS NOT NULL)")).isEmpty();
        assertThat(vectorCounts()).containsEntry("prompt", (long) prompt.size()).containsEntry("description", (long) description.size());
        assertThat(fetch("prompt", prompt)).isEqualTo(prompt);
        assertThat(fetch("description", description)).isEqualTo(description);
        Set<String> deleted = new HashSet<>(gone);
        deleted.addAll(purged);
        assertThat(fetch("prompt", deleted)).isEmpty();
        assertThat(fetch("description", deleted)).isEmpty();
    }

    /** Ids purged so far (no longer in PostgreSQL at all). */
    private final Set<String> purged = new HashSet<>();

    // ---- tests

    @Test
    @Order(1)
    void statsOfTheFreshLibraryMatchPostgresAndTheIndex() throws Exception {
        Answer a = api.get("/api/stats");
        assertThat(a.status()).isEqualTo(200);
        JsonNode s = a.body();
        assertThat(s.path("sync").path("in_sync").asBoolean()).as("%s", s.path("sync")).isTrue();
        assertThat(s.path("sync").path("summary").asText()).startsWith("in sync");
        assertThat(s.path("records").path("active").asLong()).isEqualTo(79);
        assertThat(s.path("records").has("deleted")).isFalse();
        assertThat(s.path("themes")).hasSize(1);
        assertThat(s.path("themes").get(0).path("theme").asText()).isEqualTo("media");
        var subThemes = new LinkedHashMap<String, Long>();
        s.path("sub_themes").forEach(t -> subThemes.put(t.path("sub_theme").asText(), t.path("records").asLong()));
        var fromInput = new LinkedHashMap<String, Long>();
        input.forEach(r -> fromInput.merge(r.subTheme(), 1L, Long::sum));
        assertThat(subThemes).isEqualTo(fromInput);
        Map<String, Long> vectors = vectorCounts();
        for (String ns : List.of("prompt", "description")) {
            JsonNode n = s.path("namespaces").path(ns);
            assertThat(n.path("vectors").asLong()).isEqualTo(vectors.get(ns));
            assertThat(n.path("with_vector").asLong()).isEqualTo(TestLibrary.count(db,
                    "SELECT count(*) FROM image_library WHERE status = 'active' AND " + ns + "_fp IS NOT NULL"));
            assertThat(n.path("pending").asLong()).isZero();
            assertThat(n.path("failed").asLong()).isZero();
        }
        // 21 records have no tags, hence no vector in the description namespace
        assertThat(s.path("namespaces").path("description").path("with_vector").asLong()).isEqualTo(79 - 21);
        assertThat(s.path("imports")).hasSize(1);
        assertThat(s.path("imports").get(0).path("file_name").asText()).isEqualTo("batch_image_data_media_final.json");
        assertThat(s.path("imports").get(0).path("inserted").asLong()).isEqualTo(79);
        assertThat(s.path("dead_letters")).isEmpty();
        // the enrich route's figures (issue 7): without ComfyUI the 21 untagged records stay untagged
        JsonNode enrichment = s.path("enrichment");
        assertThat(enrichment.path("records").asLong()).isEqualTo(79);
        assertThat(enrichment.path("missing_tags").asLong()).isEqualTo(21).isEqualTo(TestLibrary.count(db,
                "SELECT count(*) FROM image_library WHERE status = 'active' AND coalesce(btrim(description), '') = ''"));
        assertThat(enrichment.path("missing_paths").asLong()).isEqualTo(TestLibrary.count(db,
                "SELECT count(*) FROM image_library WHERE status = 'active' AND (coalesce(btrim(file_path), '') = '' OR path_found = false)"));
        assertPostgresAndIndexAgree();
    }

    @Test
    @Order(2)
    void healthAnswersWithTheDatabaseTheEmbeddingsAndTheIndex() throws Exception {
        // the first request starts the probes in the background; later ones see their outcome
        Answer first = api.get("/observe/health");
        assertThat(first.status()).isEqualTo(200);
        var checks = new LinkedHashMap<String, JsonNode>();
        await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(300)).until(() -> {
            Answer a = api.get("/observe/health");
            checks.clear();
            a.body().path("checks").forEach(c -> checks.put(c.path("name").asText(), c));
            return a.status() == 200 && a.body().path("status").asText().equals("UP")
                    && List.of("database", "embeddings", "vector-index").stream()
                            .allMatch(n -> checks.containsKey(n) && checks.get(n).path("status").asText().equals("UP"));
        });
        assertThat(checks.get("database").path("message").asText()).startsWith("PostgreSQL answers");
        assertThat(checks.get("embeddings").path("message").asText()).contains("384 dimensions");
        assertThat(checks.get("vector-index").path("message").asText()).contains("/pinecone answers");
    }

    /** The value of a Prometheus sample whose name is {@code name} and whose labels include {@code label}, or null. */

    @Test
    @Order(3)
    void metricsShowTheLibrarysFiguresInPrometheusFormat() throws Exception {
        await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(500)).until(() -> {
            String t = api.get("/observe/metrics").body().asText();
            return Double.valueOf(79).equals(sample(t, "batch_image_records", "status=\"active\""));
        });
        HttpResponse<String> res = http.send(HttpRequest.newBuilder(URI.create(base + "/observe/metrics")).GET().build(), HttpResponse.BodyHandlers.ofString());
        assertThat(res.statusCode()).isEqualTo(200);
        assertThat(res.headers().firstValue("Content-Type").orElse("")).startsWith("text/plain");
        String text = res.body();
        assertThat(sample(text, "batch_image_records_imported", null)).isEqualTo(79.0);
        assertThat(sample(text, "batch_image_records_rejected", null)).isEqualTo(0.0);
        assertThat(sample(text, "batch_image_records_pending", null)).isEqualTo(0.0);
        assertThat(sample(text, "batch_image_records_failed", null)).isEqualTo(0.0);
        assertThat(sample(text, "batch_image_dead_letters", null)).isEqualTo(0.0);
        // this service indexed the whole library: every prompt, and the 58 records with tags
        assertThat(sample(text, "batch_image_vectors_embedded_total", "namespace=\"prompt\"")).isEqualTo(79.0);
        assertThat(sample(text, "batch_image_vectors_upserted_total", "namespace=\"prompt\"")).isEqualTo(79.0);
        assertThat(sample(text, "batch_image_vectors_upserted_total", "namespace=\"description\"")).isEqualTo(58.0);
        // Camel's own route metrics are there too
        assertThat(text).contains("routeId=\"index-batch\"");
    }

    @Test
    @Order(4)
    void aDryRunCountsAndChangesNothing() throws Exception {
        Map<String, Long> before = vectorCounts();
        Set<String> vehicles = expected(r -> r.subTheme().equals("VEHICLE"));
        JsonNode a = delete("{\"sub_theme\": \"VEHICLE\"}", true, false);
        assertThat(a.path("dry_run").asBoolean()).isTrue();
        assertThat(a.path("matched").asLong()).isEqualTo(vehicles.size());
        assertThat(a.path("deleted").asLong()).isEqualTo(vehicles.size());
        assertThat(a.path("vectors_removed").path("prompt").asLong()).isEqualTo(vehicles.size());
        assertThat(a.path("vectors_removed").path("description").asLong())
                .isEqualTo(input.stream().filter(r -> vehicles.contains(r.id()) && !r.tags().isEmpty()).count());
        assertThat(vectorCounts()).isEqualTo(before);
        assertThat(sqlIds("status = 'active'")).hasSize(79);
        assertPostgresAndIndexAgree();
    }

    private void deletes(String filter, Predicate<Input> which) throws Exception {
        Set<String> want = expected(which);
        want.removeAll(sqlIds("status <> 'active'"));
        want.removeAll(purged);
        assertThat(want).as("the filter %s should match some active records", filter).isNotEmpty();
        Set<String> withTags = new HashSet<>(want);
        withTags.retainAll(sqlIds("description_fp IS NOT NULL"));
        Map<String, Long> before = vectorCounts();
        JsonNode a = delete(filter, false, false);
        assertThat(a.path("matched").asLong()).isEqualTo(want.size());
        assertThat(a.path("deleted").asLong()).isEqualTo(want.size());
        assertThat(a.path("vectors_removed").path("prompt").asLong()).isEqualTo(want.size());
        assertThat(a.path("vectors_removed").path("description").asLong()).isEqualTo(withTags.size());
        assertThat(a.path("purged").asLong()).isZero();
        assertThat(sqlIds("status = 'deleted'")).containsAll(want);
        assertThat(vectorCounts()).containsEntry("prompt", before.get("prompt") - want.size())
                .containsEntry("description", before.get("description") - withTags.size());
        assertPostgresAndIndexAgree();
    }

    @Test
    @Order(5)
    void deleteByEquality() throws Exception {
        deletes("{\"sub_theme\": {\"$eq\": \"VEHICLE\"}}", r -> r.subTheme().equals("VEHICLE"));
    }

    @Test
    @Order(6)
    void deleteByTagsIn() throws Exception {
        deletes("{\"tags\": {\"$in\": [\"pizza\", \"donut\"]}}", r -> r.tags().contains("pizza") || r.tags().contains("donut"));
    }

    @Test
    @Order(7)
    void deleteByAndOr() throws Exception {
        deletes("{\"$or\": [{\"sub_theme\": \"INDOOR\"}, {\"$and\": [{\"sub_theme\": \"FURNITURE\"}, {\"tags\": {\"$in\": [\"chair\"]}}]}]}",
                r -> r.subTheme().equals("INDOOR") || r.subTheme().equals("FURNITURE") && r.tags().contains("chair"));
    }

    @Test
    @Order(8)
    void deleteByNotEqual() throws Exception {
        // $ne holds for a record without the field: ANIMAL records that are not tagged 'dog', untagged ones included
        deletes("{\"$and\": [{\"sub_theme\": \"ANIMAL\"}, {\"tags\": {\"$ne\": \"dog\"}}]}",
                r -> r.subTheme().equals("ANIMAL") && !r.tags().contains("dog"));
    }

    @Test
    @Order(9)
    void searchNoLongerFindsDeletedRecords() throws Exception {
        Set<String> deleted = sqlIds("status <> 'active'");
        for (String q : List.of("a car on the road", "a pizza on a table", "an animal in the grass")) {
            Answer a = api.post("/api/search", Map.of("query", q, "top_k", 100));
            assertThat(a.status()).isEqualTo(200);
            var ids = new HashSet<String>();
            a.body().path("matches").forEach(m -> ids.add(m.path("id").asText()));
            assertThat(ids).isNotEmpty().doesNotContainAnyElementsOf(deleted);
        }
        Answer list = api.post("/api/search", Map.of("filter", Map.of("sub_theme", "VEHICLE")));
        assertThat(list.body().path("matches")).isEmpty();
    }

    @Test
    @Order(10)
    void purgeRemovesTheRowsAfterTheVectors() throws Exception {
        Set<String> appliances = expected(r -> r.subTheme().equals("APPLIANCE"));
        Set<String> active = new HashSet<>(appliances);
        active.retainAll(sqlIds("status = 'active'"));
        JsonNode a = delete("{\"sub_theme\": \"APPLIANCE\"}", false, true);
        // matched counts the active records; the purge takes those an earlier delete marked deleted too
        assertThat(a.path("matched").asLong()).isEqualTo(active.size());
        assertThat(a.path("purged").asLong()).isEqualTo(appliances.size());
        assertThat(TestLibrary.count(db, "SELECT count(*) FROM image_library WHERE sub_theme = 'APPLIANCE'")).isZero();
        purged.addAll(appliances);
        // a purge of what was only marked deleted removes those rows too
        Set<String> vehicles = expected(r -> r.subTheme().equals("VEHICLE"));
        JsonNode again = delete("{\"sub_theme\": \"VEHICLE\"}", false, true);
        assertThat(again.path("matched").asLong()).isZero();
        assertThat(again.path("purged").asLong()).isEqualTo(vehicles.size());
        purged.addAll(vehicles);
        assertThat(TestLibrary.count(db, "SELECT count(*) FROM image_library WHERE sub_theme = 'VEHICLE'")).isZero();
        assertPostgresAndIndexAgree();
    }

    @Test
    @Order(11)
    void aBadOrEmptyFilterIsRefusedNamingThePart() throws Exception {
        long active = TestLibrary.count(db, "SELECT count(*) FROM image_library WHERE status = 'active'");
        Answer unknown = api.post("/api/delete", "{\"filter\": {\"subtheme\": \"PERSON\"}}");
        assertThat(unknown.status()).isEqualTo(400);
        assertThat(unknown.body().path("field").asText()).isEqualTo("filter.subtheme");
        Answer badOp = api.post("/api/delete", "{\"filter\": {\"sub_theme\": {\"$like\": \"PER%\"}}}");
        assertThat(badOp.status()).isEqualTo(400);
        assertThat(badOp.body().path("field").asText()).startsWith("filter.sub_theme");
        Answer empty = api.post("/api/delete", "{\"filter\": {}}");
        assertThat(empty.status()).isEqualTo(400);
        assertThat(empty.body().path("field").asText()).isEqualTo("filter");
        Answer none = api.post("/api/delete", "{\"dry_run\": true}");
        assertThat(none.status()).isEqualTo(400);
        Answer flag = api.post("/api/delete", "{\"filter\": {\"sub_theme\": \"PERSON\"}, \"dry_run\": \"yes\"}");
        assertThat(flag.status()).isEqualTo(400);
        assertThat(flag.body().path("field").asText()).isEqualTo("dry_run");
        assertThat(TestLibrary.count(db, "SELECT count(*) FROM image_library WHERE status = 'active'")).isEqualTo(active);
    }

    @Test
    @Order(12)
    void aDeleteTheIndexInterruptedIsFinishedByRunningItAgain() throws Exception {
        // as if the index had failed after the records were marked deleted: their vectors and fingerprints are still there
        Set<String> outdoor = expected(r -> r.subTheme().equals("OUTDOOR"));
        TestLibrary.execute(db, "UPDATE image_library SET status = 'deleted' WHERE sub_theme = 'OUTDOOR'");
        JsonNode stats = api.get("/api/stats").body();
        assertThat(stats.path("sync").path("in_sync").asBoolean()).isFalse();
        assertThat(stats.path("namespaces").path("prompt").path("to_remove").asLong()).isEqualTo(outdoor.size());
        assertThat(stats.path("sync").path("summary").asText()).contains("prompt: " + outdoor.size() + " deleted records still have vectors");
        assertThat(fetch("prompt", outdoor)).isEqualTo(outdoor);

        JsonNode a = delete("{\"sub_theme\": \"OUTDOOR\"}", false, false);
        assertThat(a.path("matched").asLong()).isZero();
        assertThat(a.path("deleted").asLong()).isZero();
        assertThat(a.path("vectors_removed").path("prompt").asLong()).isEqualTo(outdoor.size());
        assertPostgresAndIndexAgree();
        assertThat(api.get("/api/stats").body().path("sync").path("in_sync").asBoolean()).isTrue();
    }

    @Test
    @Order(13)
    void statsAfterDeletesCountByStatusAndStayInSync() throws Exception {
        Answer a = api.get("/api/stats");
        JsonNode s = a.body();
        assertThat(s.path("records").path("active").asLong())
                .isEqualTo(TestLibrary.count(db, "SELECT count(*) FROM image_library WHERE status = 'active'"));
        assertThat(s.path("records").path("deleted").asLong())
                .isEqualTo(TestLibrary.count(db, "SELECT count(*) FROM image_library WHERE status = 'deleted'")).isPositive();
        assertThat(s.path("sync").path("in_sync").asBoolean()).as("%s", s.path("sync")).isTrue();
        for (String ns : List.of("prompt", "description")) {
            assertThat(s.path("namespaces").path(ns).path("vectors").asLong()).isEqualTo(vectorCounts().get(ns));
        }
        // a record the index has not seen yet makes the library not in sync, and says why
        TestLibrary.execute(db, "UPDATE image_library SET index_state = 'failed', index_error = 'prompt: test' WHERE id = (SELECT min(id::text)::uuid FROM image_library WHERE status = 'active')");
        try {
            JsonNode late = api.get("/api/stats").body();
            assertThat(late.path("sync").path("in_sync").asBoolean()).isFalse();
            assertThat(late.path("sync").path("summary").asText()).startsWith("NOT in sync").contains("prompt: 1 records failed");
            assertThat(late.path("namespaces").path("description").path("failed").asLong()).isZero();
        } finally {
            TestLibrary.execute(db, "UPDATE image_library SET index_state = 'indexed', index_error = NULL WHERE index_state = 'failed'");
        }
    }

    @Test
    @Order(14)
    void theCommandLineDeletesAndShowsStatsThroughTheService() throws Exception {
        Set<String> food = expected(r -> r.subTheme().equals("FOOD"));
        food.removeAll(sqlIds("status <> 'active'"));
        Cli.Run dry = Cli.run(Map.of(), "delete", "--filter", "{\"sub_theme\": \"FOOD\"}", "--dry-run", "--url", base, "--data", data.resolve("unused").toString());
        assertThat(dry.exit()).as(dry.err()).isZero();
        assertThat(dry.err()).doesNotContain("no service answers");
        assertThat(dry.out()).startsWith("dry run: " + food.size() + " records matched");
        Cli.Run run = Cli.run(Map.of(), "delete", "--filter", "{\"sub_theme\": \"FOOD\"}", "--json", "--url", base);
        assertThat(run.exit()).as(run.err()).isZero();
        JsonNode a = json.readTree(run.out());
        assertThat(a.path("deleted").asLong()).isEqualTo(food.size());
        assertThat(sqlIds("status = 'deleted'")).containsAll(food);
        assertPostgresAndIndexAgree();

        Cli.Run bad = Cli.run(Map.of(), "delete", "--filter", "{\"subtheme\": \"FOOD\"}", "--url", base);
        assertThat(bad.exit()).isEqualTo(2);
        assertThat(bad.err()).contains("--filter", "filter.subtheme");

        Cli.Run stats = Cli.run(Map.of(), "stats", "--url", base);
        assertThat(stats.exit()).as(stats.err()).isZero();
        assertThat(stats.out().lines().findFirst().orElse("")).startsWith("in sync");
        assertThat(stats.out()).contains("PERSON", "prompt", "description", "batch_image_data_media_final.json", "enrichment: ");
        Cli.Run statsJson = Cli.run(Map.of(), "stats", "--json", "--url", base);
        assertThat(json.readTree(statsJson.out()).path("records").path("active").asLong())
                .isEqualTo(TestLibrary.count(db, "SELECT count(*) FROM image_library WHERE status = 'active'"));
    }

    @Test
    @Order(15)
    void theCommandLineWorksInItsOwnProcessWhenNoServiceAnswers() throws Exception {
        app.close();
        app = null;
        String nobody = "http://127.0.0.1:" + TestLibrary.freePort();
        Map<String, String> env = Map.of("DATABASE_URL", db);
        Set<String> electronic = expected(r -> r.subTheme().equals("ELECTRONIC"));
        Cli.Run run = Cli.run(env, "delete", "--filter", "{\"sub_theme\": \"ELECTRONIC\"}", "--json", "--data", data.toString(), "--url", nobody);
        assertThat(run.exit()).as(run.err()).isZero();
        assertThat(run.err()).contains("no service answers at " + nobody);
        assertThat(json.readTree(run.out()).path("deleted").asLong()).isEqualTo(electronic.size());

        Cli.Run stats = Cli.run(env, "stats", "--json", "--data", data.toString(), "--url", nobody);
        assertThat(stats.exit()).as(stats.err() + stats.out()).isZero();
        JsonNode s = json.readTree(stats.out());
        assertThat(s.path("sync").path("in_sync").asBoolean()).isTrue();
        assertThat(s.path("records").path("active").asLong())
                .isEqualTo(TestLibrary.count(db, "SELECT count(*) FROM image_library WHERE status = 'active'"));

        // the service, started again on the same folder, finds the index as the delete left it
        startService();
        assertPostgresAndIndexAgree();
        assertThat(fetch("prompt", electronic)).isEmpty();
    }
}
