package batchimage.enrich;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import batchimage.cli.Application;
import batchimage.app.BatchImage;
import batchimage.support.Prometheus;
import batchimage.support.StubHttpServer;
import batchimage.support.TestLibrary;
import batchimage.support.TestPostgres;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.DriverManager;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

/**
 * The media library imported with its missing tags and paths, enriched by the real service from a stub
 * ComfyUI (history in the shapes of PROTOCOLS.md C.2, built from generator-history.json) and from media folders
 * with subfolders, then indexed by the real local model and index: every record tagged, every path resolved,
 * every thumbnail served, the new tags searchable, and the tasks that failed or never finished given up with
 * their reasons after a bounded number of requests.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class EnrichMediaLibraryTest {

    private static final Path LIBRARY = TestLibrary.SHARED_DATA.resolve("media-library");
    private static final int MAX_ATTEMPTS = 4;
    private static final String FAILED_ID = "00000000-0000-4000-8000-00000000fa11";
    private static final String NEVER_ID = "00000000-0000-4000-8000-0000000000ee";
    private static final String WINDOWS_ID = "00000000-0000-4000-8000-00000000c0de";

    private final ObjectMapper json = new ObjectMapper();
    private final HttpClient http = HttpClient.newHttpClient();

    private Path media;
    private String db;
    private BatchImage app;
    private String base;
    private StubHttpServer comfy;
    private JsonNode history;
    /** The library's records: task_id -> record. */
    private final Map<String, JsonNode> records = new HashMap<>();
    private String escapedId;
    private String multiImageId;
    private String lateId;
    private String untouchedId;

    @BeforeAll
    void importAndEnrich(@TempDir Path root) throws Exception {
        history = json.readTree(LIBRARY.resolve("generator-history.json").toFile());
        JsonNode batch = json.readTree(LIBRARY.resolve("batch_image_data_media_final.json").toFile());
        batch.forEach(sub -> sub.forEach(r -> records.put(r.path("task_id").asText(), r)));
        List<String> untagged = records.values().stream().filter(r -> r.path("tags").asText("").isBlank())
                .map(r -> r.path("task_id").asText()).sorted().toList();
        escapedId = untagged.get(0);
        multiImageId = untagged.get(1);
        lateId = untagged.get(2);
        untouchedId = records.values().stream()
                .filter(r -> !r.path("tags").asText("").isBlank() && !r.path("file_path").asText("").isBlank())
                .map(r -> r.path("task_id").asText()).sorted().findFirst().orElseThrow();

        // half the images at the top of the media folder (where ComfyUI's output folder puts them), half two folders down
        media = Files.createDirectories(root.resolve("media"));
        Path deeper = Files.createDirectories(media.resolve("2026/batch-b"));
        List<Path> images;
        try (Stream<Path> s = Files.list(LIBRARY.resolve("images"))) {
            images = s.sorted().toList();
        }
        for (int i = 0; i < images.size(); i++) {
            Files.copy(images.get(i), (i % 2 == 0 ? media : deeper).resolve(images.get(i).getFileName()));
        }

        comfy = new StubHttpServer((req, n) -> answer(req.path()));
        db = TestPostgres.newDatabase("enrich");
        app = BatchImage.create(TestLibrary.settings(TestLibrary.PROJECT, root.resolve("data"), db, Map.of(
                "media.dirs", media.toString(),
                "media.recheck-ms", "200",
                "comfyui.url", comfy.url(""),
                "comfyui.output-dir", media.toString(),
                "enrich.poll-ms", "300",
                "enrich.retry-seconds", "0",
                "enrich.max-attempts", String.valueOf(MAX_ATTEMPTS),
                "enrich.batch-size", "16")), BatchImage.Mode.SERVICE).start();
        base = "http://127.0.0.1:" + app.settings().get("batch-image.port");

        assertThat(app.importFile(TestLibrary.copyShared("media-library/batch_image_data_media_final.json", root.resolve("input"))).outcome())
                .isEqualTo("done");
        insert(FAILED_ID, "failed-render", "", "");
        insert(NEVER_ID, "never-rendered", "", "");
        String deepName = images.get(1).getFileName().toString();
        insert(WINDOWS_ID, "windows", "C:\\Users\\me\\ComfyUI\\output\\" + deepName, "chair");

        await().atMost(Duration.ofMinutes(3)).pollInterval(Duration.ofMillis(500)).until(() ->
                TestLibrary.count(db, "SELECT count(*) FROM image_library WHERE enrich_state = 'done'") == 80
                        && TestLibrary.count(db, "SELECT count(*) FROM image_library WHERE enrich_state = 'gave_up'") == 2
                        && TestLibrary.count(db, "SELECT count(*) FROM image_library WHERE index_state <> 'indexed'") == 0);
    }

    @AfterAll
    void stop() {
        if (app != null) {
            app.close();
        }
        if (comfy != null) {
            comfy.close();
        }
    }

    private void insert(String id, String name, String filePath, String tags) throws Exception {
        try (var c = DriverManager.getConnection(db); var ps = c.prepareStatement(
                "INSERT INTO image_library (id, name, file_path, prompt, description, theme, sub_theme) VALUES (?::uuid, ?, ?, ?, ?, 'media', 'TEST')")) {
            ps.setString(1, id);
            ps.setString(2, name);
            ps.setString(3, filePath);
            ps.setString(4, "a test record: " + name);
            ps.setString(5, tags);
            ps.executeUpdate();
        }
    }

    /** The stub's answer to GET /history/{id}, in ComfyUI's shapes. */
    private StubHttpServer.Reply answer(String path) {
        String id = path.substring(path.lastIndexOf('/') + 1);
        long asked = comfy.seen().stream().filter(s -> s.path().equals(path)).count();
        if (id.equals(NEVER_ID) || id.equals(lateId) && asked <= 2 || !history.has(id) && !id.equals(FAILED_ID)) {
            return StubHttpServer.Reply.json(200, "{}");
        }
        ObjectNode entry = json.createObjectNode();
        entry.putArray("prompt").add(7).add(id).add(json.createObjectNode()).add(json.createObjectNode()).add(json.createArrayNode().add("9").add("12"));
        ObjectNode outputs = entry.putObject("outputs");
        ObjectNode status = entry.putObject("status");
        ArrayNode messages = json.createArrayNode();
        messages.add(json.createArrayNode().add("execution_start").add(json.createObjectNode().put("prompt_id", id).put("timestamp", 1700000000000L)));
        if (id.equals(FAILED_ID)) {
            messages.add(json.createArrayNode().add("execution_error").add(json.createObjectNode().put("prompt_id", id)
                    .put("node_id", "3").put("node_type", "KSampler").put("exception_type", "torch.OutOfMemoryError")
                    .put("exception_message", "CUDA out of memory").put("timestamp", 1700000001000L)));
            status.put("status_str", "error").put("completed", false).set("messages", messages);
        } else {
            JsonNode h = history.get(id);
            String filename = h.path("filename").asText();
            String tags = h.path("tags").asText();
            ArrayNode images = outputs.putObject("9").putArray("images");
            ArrayNode tagList = outputs.putObject("12").putArray("tags");
            if (id.equals(multiImageId)) {
                // a batch of three: the record's image is the second one
                images.addObject().put("filename", "ComfyUI_00001_.png").put("subfolder", "").put("type", "output");
                tagList.add("1girl, solo, long hair, ");
            }
            images.addObject().put("filename", filename).put("subfolder", h.path("subfolder").asText("")).put("type", "output");
            // the WD14 tagger escapes parentheses and may leave a trailing comma
            tagList.add(id.equals(escapedId) ? tags + ", \\(indoor scene\\), " : tags);
            if (id.equals(multiImageId)) {
                images.addObject().put("filename", "ComfyUI_00003_.png").put("subfolder", "extra").put("type", "temp");
                tagList.add("outdoors, sky");
            }
            messages.add(json.createArrayNode().add("execution_success").add(json.createObjectNode().put("prompt_id", id).put("timestamp", 1700000002000L)));
            status.put("status_str", "success").put("completed", true).set("messages", messages);
        }
        entry.putObject("meta");
        ObjectNode doc = json.createObjectNode();
        doc.set(id, entry);
        return StubHttpServer.Reply.json(200, doc.toString());
    }

    private String column(String id, String column) {
        return TestLibrary.text(db, "SELECT " + column + " FROM image_library WHERE id = '" + id + "'");
    }

    private long requestsFor(String id) {
        return comfy.seen().stream().filter(s -> s.path().equals("/history/" + id)).count();
    }

    private JsonNode post(String path, String body) throws Exception {
        var res = http.send(HttpRequest.newBuilder(URI.create(base + path)).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(res.statusCode()).as(res.body()).isEqualTo(200);
        return json.readTree(res.body());
    }

    @Test
    void everyRecordEndsTaggedWithAPathThatLeadsToItsImage() {
        assertThat(records).hasSize(79);
        assertThat(records.values().stream().filter(r -> r.path("tags").asText("").isBlank())).as("records imported without tags").isNotEmpty();
        assertThat(records.values().stream().filter(r -> r.path("file_path").asText("").isBlank())).as("records imported without a path").isNotEmpty();
        for (String id : records.keySet()) {
            assertThat(column(id, "description")).as("tags of %s", id).isNotBlank();
            String path = column(id, "file_path");
            assertThat(path).as("file_path of %s", id).isNotBlank();
            assertThat(column(id, "path_found")).as("path of %s found", id).isEqualTo("t");
            String expected = history.get(id).path("filename").asText();
            assertThat(path).as("file_path of %s", id).endsWith(expected);
        }
        for (var r : records.values()) {
            String id = r.path("task_id").asText();
            if (r.path("tags").asText("").isBlank() && !id.equals(escapedId)) {
                assertThat(column(id, "description")).as(id).isEqualTo(history.get(id).path("tags").asText());
            }
            if (!r.path("tags").asText("").isBlank()) {
                assertThat(column(id, "description")).as("tags it had are kept: %s", id).isEqualTo(r.path("tags").asText());
            }
        }
    }

    @Test
    void reImportingTheOriginalFileKeepsWhatEnrichFilledIn(@TempDir Path again) throws Exception {
        var result = app.importFile(TestLibrary.copyShared("media-library/batch_image_data_media_final.json", again));
        assertThat(result.outcome()).isEqualTo("done");
        assertThat(result.updated()).as("rows rewritten").isZero();
        assertThat(result.unchanged()).isEqualTo(79);
        assertThat(TestLibrary.count(db, "SELECT count(*) FROM image_library WHERE enrich_state IS NULL OR index_state <> 'indexed'")).isZero();
    }

    @Test
    void comfyUisEscapesAndBatchesAreRead() {
        assertThat(column(escapedId, "description")).isEqualTo(history.get(escapedId).path("tags").asText() + ", (indoor scene)");
        assertThat(column(multiImageId, "description")).isEqualTo(history.get(multiImageId).path("tags").asText());
        assertThat(requestsFor(lateId)).as("asked until it had finished: {} twice, then its history").isEqualTo(3);
        assertThat(requestsFor(untouchedId)).as("a record with tags and a path is not asked about").isZero();
    }

    @Test
    void everyThumbnailIsServed() throws Exception {
        var ids = new ArrayList<>(records.keySet());
        ids.add(WINDOWS_ID);
        for (String id : ids) {
            var res = http.send(HttpRequest.newBuilder(URI.create(base + "/api/images/" + id + "/thumbnail")).GET().build(),
                    HttpResponse.BodyHandlers.ofByteArray());
            assertThat(res.statusCode()).as("thumbnail of %s (%s)", id, column(id, "file_path")).isEqualTo(200);
            assertThat(res.headers().firstValue("Content-Type")).hasValue("image/jpeg");
        }
    }

    @Test
    void theNewTagsAreSearchableInTheDescriptionNamespace() throws Exception {
        JsonNode byTag = post("/api/search", """
                {"query": "indoor scene", "namespace": "description", "top_k": 5, "filter": {"tags": {"$in": ["(indoor scene)"]}}}""");
        assertThat(byTag.path("matches")).hasSize(1);
        assertThat(byTag.path("matches").get(0).path("id").asText()).isEqualTo(escapedId);

        // a record imported without tags is found among the records of its new tag
        String tag = history.get(lateId).path("tags").asText().split(",")[0].strip();
        JsonNode hits = post("/api/search", json.writeValueAsString(Map.of("query", tag, "namespace", "description", "top_k", 100,
                "filter", Map.of("tags", Map.of("$in", List.of(tag))))));
        var ids = new ArrayList<String>();
        hits.path("matches").forEach(m -> ids.add(m.path("id").asText()));
        assertThat(ids).contains(lateId);
        // the vector's metadata has the path enrich gave it
        hits.path("matches").forEach(m -> assertThat(m.path("metadata").path("file_path").asText())
                .isEqualTo(column(m.path("id").asText(), "file_path")));
    }

    @Test
    void everyRequestToComfyUiIsInTheRequestMetrics() {
        String label = "client=\"comfyui\",operation=\"history\",status=\"200\"";
        await().atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(200)).untilAsserted(() -> {
            long asked = comfy.seen().stream().filter(s -> s.path().startsWith("/history/")).count();
            assertThat(asked).isPositive();
            var res = http.send(HttpRequest.newBuilder(URI.create(base + "/observe/metrics")).GET().build(), HttpResponse.BodyHandlers.ofString());
            assertThat(Prometheus.sample(res.body(), "batch_image_http_client_requests_seconds_count", label)).isEqualTo((double) asked);
        });
    }

    @Test
    void failedAndUnfinishedTasksAreGivenUpWithTheirReasonAfterABoundedNumberOfRequests() throws Exception {
        assertThat(column(FAILED_ID, "enrich_error")).contains("KSampler").contains("CUDA out of memory");
        assertThat(requestsFor(FAILED_ID)).isEqualTo(1);
        assertThat(column(NEVER_ID, "enrich_error")).contains("not finished").contains("after " + MAX_ATTEMPTS + " attempts");
        assertThat(requestsFor(NEVER_ID)).isEqualTo(MAX_ATTEMPTS);

        var res = http.send(HttpRequest.newBuilder(URI.create(base + "/api/enrich")).GET().build(), HttpResponse.BodyHandlers.ofString());
        assertThat(res.statusCode()).isEqualTo(200);
        JsonNode lib = json.readTree(res.body()).path("library");
        assertThat(lib.path("records").asLong()).isEqualTo(82);
        assertThat(lib.path("missing_tags").asLong()).isEqualTo(2);
        assertThat(lib.path("missing_paths").asLong()).isEqualTo(2);
        assertThat(lib.path("given_up").asLong()).isEqualTo(2);
        long incomplete = records.values().stream()
                .filter(r -> r.path("tags").asText("").isBlank() || r.path("file_path").asText("").isBlank()).count();
        assertThat(lib.path("enriched").asLong()).as("records whose tags or path enrich filled").isEqualTo(incomplete);
        assertThat(lib.path("given_up_reasons").toString()).contains("CUDA out of memory");

        // the command line asks the service; --retry gives the two another chance, which they lose again
        var out = new StringWriter();
        var err = new StringWriter();
        int code = Application.execute(new PrintWriter(out), new PrintWriter(err), Map.of(), "enrich", "--retry", "--json", "--url", base);
        assertThat(code).as(err.toString()).isZero();
        JsonNode answer = json.readTree(out.toString());
        assertThat(answer.path("retried").asInt()).isEqualTo(2);
        assertThat(answer.path("library").path("missing_tags").asLong()).isEqualTo(2);
        // this pass or the scheduled one asks once more, and the failed task is given up again
        await().atMost(Duration.ofSeconds(30)).until(() -> requestsFor(FAILED_ID) == 2 && "gave_up".equals(column(FAILED_ID, "enrich_state")));

        var text = new StringWriter();
        code = Application.execute(new PrintWriter(text), new PrintWriter(err), Map.of(), "enrich", "--url", base);
        assertThat(code).isZero();
        assertThat(text.toString()).contains("missing tags").contains("given up").contains("CUDA out of memory");
    }
}
