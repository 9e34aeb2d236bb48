package batchimage.deadletter;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import batchimage.app.BatchImage;
import batchimage.vectors.PineconeClient;
import batchimage.support.Api;
import batchimage.support.Api.Answer;
import batchimage.support.Cli;
import batchimage.support.TestLibrary;
import batchimage.support.TestPostgres;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

/**
 * Replaying and dismissing dead letters of the real malformed files: rejected records of the mixed file
 * (no task_id, task_id not a UUID, task_id a number, an entry that is a bare string) replayed as they were
 * and corrected, and a truncated file that the inbox moved to error/, replayed before and after it was fixed.
 * A service with the real local model and index; the command line through it and in its own process.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class DeadLetterReplayTest {

    private static final String MIXED = "batch_image_data_mixed_final.json";
    private static final String TRUNCATED = "batch_image_data_truncated_final.json";

    private final ObjectMapper json = new ObjectMapper();
    private final HttpClient http = HttpClient.newHttpClient();
    private Path data;
    private String db;
    private BatchImage app;
    private String base;
    private Api api;

    @BeforeAll
    void importMalformedFiles(@TempDir Path folder) throws Exception {
        data = folder;
        db = TestPostgres.newDatabase("replay");
        app = TestLibrary.service(data, db);
        base = "http://127.0.0.1:" + app.settings().get("batch-image.port");
        api = Api.of(app);
        assertThat(app.importFile(TestLibrary.copyShared("malformed/" + MIXED, data.resolve("input"))).outcome()).isEqualTo("done");
        // the truncated file goes through the inbox, which moves it to error/ with its report
        Path tmp = TestLibrary.copyShared("malformed/" + TRUNCATED, data.resolve("staging"));
        Files.move(tmp, data.resolve("inbox").resolve(TRUNCATED));
        await().atMost(Duration.ofSeconds(30)).until(() -> Files.isRegularFile(data.resolve("error").resolve(TRUNCATED))
                && TestLibrary.count(db, "SELECT count(*) FROM dead_letter WHERE stage = 'ingest-file'") == 1);
    }

    @AfterAll
    void stop() {
        if (app != null) {
            app.close();
        }
    }

    /** The ingest dead letter of the mixed file's BAD sub-theme at this position. */
    private long rejected(int position) {
        return TestLibrary.count(db, "SELECT id FROM dead_letter WHERE stage = 'ingest' AND source_file = '" + MIXED
                + "' AND sub_theme = 'BAD' AND position = " + position);
    }

    private String column(long id, String column) {
        return TestLibrary.text(db, "SELECT " + column + " FROM dead_letter WHERE id = " + id);
    }

    /** The record as the file holds it, with a task_id that is a UUID. */
    private ObjectNode corrected(long letter, String taskId) throws Exception {
        var record = (ObjectNode) json.readTree(column(letter, "raw"));
        record.put("task_id", taskId);
        return record;
    }

    private boolean hasVectors(String id) {
        var pinecone = app.context().getRegistry().lookupByNameAndType("pineconeClient", PineconeClient.class);
        return pinecone.fetch("prompt", List.of(id)).containsKey(id) && pinecone.fetch("description", List.of(id)).containsKey(id);
    }

    @Test
    void aRejectedRecordReplayedAsItWasStaysOpenAndACorrectedOneIsImportedAndIndexed() throws Exception {
        long letter = rejected(1);
        assertThat(column(letter, "field")).isEqualTo("task_id");

        Answer same = api.post("/api/dead-letters/" + letter + "/replay", null);
        assertThat(same.status()).as(same.body().toString()).isEqualTo(200);
        assertThat(same.body().path("state").asText()).isEqualTo("open");
        assertThat(same.body().path("replayed").asBoolean()).isFalse();
        assertThat(same.body().path("field").asText()).isEqualTo("task_id");
        assertThat(same.body().path("reason").asText()).contains("not-a-uuid", "is not a UUID");
        assertThat(column(letter, "state")).isEqualTo("open");
        assertThat(column(letter, "replay_count")).isEqualTo("1");

        String id = "3f1d3c1e-7b0a-4c38-9d9e-0a4f1b2c3d51";
        var record = corrected(letter, id);
        Answer fixed = api.post("/api/dead-letters/" + letter + "/replay", json.writeValueAsString(Map.of("record", record)));
        assertThat(fixed.status()).as(fixed.body().toString()).isEqualTo(200);
        assertThat(fixed.body().path("state").asText()).isEqualTo("replayed");
        assertThat(fixed.body().path("written").asText()).isEqualTo("inserted");
        assertThat(fixed.body().path("record_id").asText()).isEqualTo(id);

        // mapped as the import maps it: the letter's file and sub-theme, the theme from the file name
        assertThat(TestLibrary.text(db, "SELECT concat_ws('|', name, sub_theme, theme, source_file, file_path, description) FROM image_library WHERE id = '"
                + id + "'")).isEqualTo("batch_cases_0051|BAD|mixed|" + MIXED + "|cases/batch_cases_0051.png|lighthouse, cliff, dusk, sea");
        assertThat(column(letter, "state")).isEqualTo("replayed");
        assertThat(column(letter, "resolved_at")).isNotNull();
        assertThat(json.readTree(column(letter, "corrected_raw")).path("task_id").asText()).isEqualTo(id);
        assertThat(json.readTree(column(letter, "raw")).path("task_id").asText()).isEqualTo("not-a-uuid");
        // the other rejections of the file are still there
        assertThat(rejected(0)).isPositive();

        await().atMost(Duration.ofMinutes(1)).until(() -> "indexed".equals(TestLibrary.text(db, "SELECT index_state FROM image_library WHERE id = '" + id + "'")));
        assertThat(hasVectors(id)).isTrue();

        // the listing shows what became of it
        JsonNode shown = null;
        for (JsonNode d : api.get("/api/dead-letters?stage=ingest&file=" + MIXED).body().path("dead_letters")) {
            if (d.path("id").asLong() == letter) {
                shown = d;
            }
        }
        assertThat(shown).isNotNull();
        assertThat(shown.path("state").asText()).isEqualTo("replayed");
        assertThat(shown.path("replay_count").asInt()).isEqualTo(2);
        assertThat(shown.path("resolution").asText()).contains(id, "inserted");
        assertThat(shown.path("corrected_raw").asText()).contains(id);

        // replayed once: not again
        Answer again = api.post("/api/dead-letters/" + letter + "/replay", null);
        assertThat(again.status()).isEqualTo(409);
        assertThat(again.body().path("error").asText()).contains("replayed", "not open");
    }

    @Test
    void dismissSetsALetterAsideWithItsNoteAndChangesNothingElse() throws Exception {
        long letter = rejected(4);
        long records = TestLibrary.count(db, "SELECT count(*) FROM image_library");
        Answer a = api.post("/api/dead-letters/" + letter + "/dismiss", "{\"note\": \"a stray string, nothing to import\"}");
        assertThat(a.status()).as(a.body().toString()).isEqualTo(200);
        assertThat(a.body().path("state").asText()).isEqualTo("dismissed");
        assertThat(column(letter, "state")).isEqualTo("dismissed");
        assertThat(column(letter, "resolution")).isEqualTo("a stray string, nothing to import");
        assertThat(column(letter, "resolved_at")).isNotNull();
        assertThat(column(letter, "replay_count")).isEqualTo("0");
        assertThat(TestLibrary.count(db, "SELECT count(*) FROM image_library")).isEqualTo(records);

        Answer replay = api.post("/api/dead-letters/" + letter + "/replay", null);
        assertThat(replay.status()).isEqualTo(409);
        assertThat(replay.body().path("error").asText()).contains("dismissed");
        assertThat(api.post("/api/dead-letters/" + letter + "/dismiss", null).status()).isEqualTo(409);
    }

    @Test
    void wrongRequestsAreRefusedNamingWhatIsWrong() throws Exception {
        Answer unknown = api.post("/api/dead-letters/987654/replay", null);
        assertThat(unknown.status()).isEqualTo(404);
        assertThat(unknown.body().path("error").asText()).contains("987654");
        assertThat(api.post("/api/dead-letters/987654/dismiss", null).status()).isEqualTo(404);
        assertThat(api.post("/api/dead-letters/abc/replay", null).body().path("field").asText()).isEqualTo("id");
        assertThat(api.post("/api/dead-letters/abc/replay", null).status()).isEqualTo(400);

        long open = TestLibrary.count(db, "INSERT INTO dead_letter (stage, source_file, sub_theme, position, field, reason, raw)"
                + " VALUES ('ingest', '" + MIXED + "', 'BAD', 99, 'task_id', 'no task_id, expected a UUID', '{\"prompt\": \"a lighthouse\"}') RETURNING id");
        Answer notJson = api.post("/api/dead-letters/" + open + "/replay", "{not json");
        assertThat(notJson.status()).isEqualTo(400);
        Answer unknownKey = api.post("/api/dead-letters/" + open + "/replay", "{\"recrod\": {}}");
        assertThat(unknownKey.status()).isEqualTo(400);
        assertThat(unknownKey.body().path("field").asText()).isEqualTo("recrod");
        Answer notObject = api.post("/api/dead-letters/" + open + "/replay", "{\"record\": [1, 2]}");
        assertThat(notObject.status()).isEqualTo(400);
        assertThat(notObject.body().path("field").asText()).isEqualTo("record");
        Answer note = api.post("/api/dead-letters/" + open + "/dismiss", "{\"note\": 5}");
        assertThat(note.status()).isEqualTo(400);
        assertThat(note.body().path("field").asText()).isEqualTo("note");
        Answer stage = api.post("/api/dead-letters/replay", "{\"stage\": [\"index\"]}");
        assertThat(stage.status()).isEqualTo(400);
        assertThat(stage.body().path("field").asText()).isEqualTo("stage");
        // none of these touched it
        assertThat(column(open, "state")).isEqualTo("open");
        assertThat(column(open, "replay_count")).isEqualTo("0");

        long file = TestLibrary.count(db, "SELECT id FROM dead_letter WHERE stage = 'ingest-file'");
        Answer recordForAFile = api.post("/api/dead-letters/" + file + "/replay", "{\"record\": {\"task_id\": \"x\"}}");
        assertThat(recordForAFile.status()).isEqualTo(400);
        assertThat(recordForAFile.body().path("field").asText()).isEqualTo("record");

        // a failure of a route whose raw names no records (a route a user added, say) cannot be replayed
        long other = TestLibrary.count(db, "INSERT INTO dead_letter (stage, reason, raw) VALUES ('my-route', 'the printer did not answer',"
                + " '{\"route\": \"my-route\"}') RETURNING id");
        Answer cannot = api.post("/api/dead-letters/" + other + "/replay", null);
        assertThat(cannot.status()).isEqualTo(409);
        assertThat(cannot.body().path("error").asText()).contains("cannot be replayed, dismiss it");
        assertThat(column(other, "state")).isEqualTo("open");
        assertThat(api.post("/api/dead-letters/" + other + "/dismiss", null).body().path("state").asText()).isEqualTo("dismissed");
    }

    @Test
    void replayAndDismissWantTheKeyWhenOneIsSet(@TempDir Path other) throws Exception {
        try (BatchImage keyed = TestLibrary.service(other, TestPostgres.newDatabase("replay_key"),
                Map.of("batch-image.api-key", "s3cret", "index.enabled", "false", "enrich.enabled", "false"))) {
            String url = "http://127.0.0.1:" + keyed.settings().get("batch-image.port");
            for (String path : new String[] {"/api/dead-letters/1/replay", "/api/dead-letters/1/dismiss", "/api/dead-letters/replay"}) {
                HttpResponse<String> refused = http.send(HttpRequest.newBuilder(URI.create(url + path)).POST(HttpRequest.BodyPublishers.noBody()).build(),
                        HttpResponse.BodyHandlers.ofString());
                assertThat(refused.statusCode()).as(path).isEqualTo(401);
                HttpResponse<String> admitted = http.send(HttpRequest.newBuilder(URI.create(url + path)).header("X-API-Key", "s3cret")
                        .POST(HttpRequest.BodyPublishers.noBody()).build(), HttpResponse.BodyHandlers.ofString());
                // no dead letter 1 in an empty library; replay-all has nothing to do
                assertThat(admitted.statusCode()).as(path).isEqualTo(path.endsWith("/dead-letters/replay") ? 200 : 404);
            }
        }
    }

    @Test
    void theCommandLineReplaysThroughTheServiceAndInItsOwnProcess() throws Exception {
        long noId = rejected(0);
        Cli.Run same = Cli.run(Map.of(), "dead-letters", "--replay", String.valueOf(noId), "--url", base);
        assertThat(same.exit()).as(same.err()).isEqualTo(1);
        assertThat(same.out()).contains("#" + noId, "still open", "task_id");

        String id = "5a0c6d7e-1f2b-4c3d-8e9f-0a1b2c3d4e50";
        Cli.Run fixed = Cli.run(Map.of(), "dead-letters", "--replay", String.valueOf(noId), "--record", json.writeValueAsString(corrected(noId, id)), "--url", base);
        assertThat(fixed.exit()).as(fixed.err() + fixed.out()).isZero();
        assertThat(fixed.out()).contains("#" + noId, id, "inserted");
        assertThat(TestLibrary.count(db, "SELECT count(*) FROM image_library WHERE id = '" + id + "' AND sub_theme = 'BAD'")).isEqualTo(1);

        Cli.Run usage = Cli.run(Map.of(), "dead-letters", "--replay", "abc", "--url", base);
        assertThat(usage.exit()).isEqualTo(2);
        assertThat(usage.err()).contains("--replay");
        Cli.Run twoActions = Cli.run(Map.of(), "dead-letters", "--replay", "1", "--dismiss", "2", "--url", base);
        assertThat(twoActions.exit()).isEqualTo(2);
        Cli.Run badRecord = Cli.run(Map.of(), "dead-letters", "--replay", "1", "--record", "[1]", "--url", base);
        assertThat(badRecord.exit()).isEqualTo(2);
        assertThat(badRecord.err()).contains("--record");
        Cli.Run missing = Cli.run(Map.of(), "dead-letters", "--dismiss", "987654", "--url", base);
        assertThat(missing.exit()).isEqualTo(1);
        assertThat(missing.err()).contains("404", "987654");

        // no service at --url: the work is done here, on the same library
        String nobody = "http://127.0.0.1:" + TestLibrary.freePort();
        long number = rejected(2);
        String other = "6b1d7e8f-2a3c-4d5e-9f0a-1b2c3d4e5f61";
        Path recordFile = data.resolve("corrected.json");
        Files.writeString(recordFile, json.writeValueAsString(corrected(number, other)), StandardCharsets.UTF_8);
        Cli.Run local = Cli.run(Map.of("DATABASE_URL", db), "dead-letters", "--replay", String.valueOf(number), "--record", "@" + recordFile,
                "--json", "--data", data.toString(), "--url", nobody);
        assertThat(local.exit()).as(local.err()).isZero();
        assertThat(local.err()).contains("no service answers at " + nobody);
        JsonNode a = json.readTree(local.out());
        assertThat(a.path("state").asText()).isEqualTo("replayed");
        assertThat(a.path("note").asText()).contains("pending");
        assertThat(column(number, "state")).isEqualTo("replayed");
        // the running service's index route takes what the other process put back
        await().atMost(Duration.ofMinutes(1)).until(() -> "indexed".equals(TestLibrary.text(db, "SELECT index_state FROM image_library WHERE id = '" + other + "'")));

        long sync = TestLibrary.count(db, "INSERT INTO dead_letter (stage, reason, raw) VALUES ('sync', 'gone', '{\"route\": \"sync\"}') RETURNING id");
        Cli.Run dismissed = Cli.run(Map.of("DATABASE_URL", db), "dead-letters", "--dismiss", String.valueOf(sync), "--note", "seen to by hand",
                "--data", data.toString(), "--url", nobody);
        assertThat(dismissed.exit()).as(dismissed.err()).isZero();
        assertThat(dismissed.out()).contains("#" + sync, "dismissed: seen to by hand");
        assertThat(column(sync, "resolution")).isEqualTo("seen to by hand");
    }

    @Test
    void replayAllFromTheCommandLineSendsAnEnrichFailureBackToTheEnrichRoute() throws Exception {
        String id = TestLibrary.text(db, "SELECT id::text FROM image_library WHERE source_file = '" + MIXED + "' AND sub_theme = 'GOOD' ORDER BY id LIMIT 1");
        TestLibrary.execute(db, "UPDATE image_library SET enrich_state = 'gave_up', enrich_attempts = 6, enrich_error = 'ComfyUI did not answer' WHERE id = '" + id + "'");
        long letter = TestLibrary.count(db, "INSERT INTO dead_letter (stage, reason, raw) VALUES ('enrich', 'ComfyUI did not answer',"
                + " '{\"route\": \"enrich\", \"body\": \"enrich batch of records [" + id + "]\"}') RETURNING id");

        Cli.Run all = Cli.run(Map.of(), "dead-letters", "--replay-all", "--stage", "enrich", "--url", base);
        assertThat(all.exit()).as(all.err() + all.out()).isZero();
        assertThat(all.out()).contains("1 open dead letters: 1 replayed, 0 still open, 0 cannot be replayed");
        assertThat(column(letter, "state")).isEqualTo("replayed");
        assertThat(column(letter, "resolution")).contains("1 of 1 records back to the enrich route");
        // examined again: the enrich route may already have looked at it, but it is no longer given up
        assertThat(TestLibrary.text(db, "SELECT coalesce(enrich_state, 'to examine') FROM image_library WHERE id = '" + id + "'")).isNotEqualTo("gave_up");

        Cli.Run none = Cli.run(Map.of(), "dead-letters", "--replay-all", "--stage", "enrich", "--json", "--url", base);
        assertThat(none.exit()).isZero();
        assertThat(json.readTree(none.out()).path("considered").asInt()).isZero();
    }

    @Test
    void aFileInErrorIsImportedAgainOnceFixed() throws Exception {
        long letter = TestLibrary.count(db, "SELECT id FROM dead_letter WHERE stage = 'ingest-file' AND source_file = '" + TRUNCATED + "'");
        Path inError = data.resolve("error").resolve(TRUNCATED);
        assertThat(inError).exists();
        assertThat(data.resolve("error").resolve(TRUNCATED + ".error.txt")).exists();

        // still truncated: it stays open with the import's reason, and no second dead letter appears
        Answer same = api.post("/api/dead-letters/" + letter + "/replay", null);
        assertThat(same.status()).as(same.body().toString()).isEqualTo(200);
        assertThat(same.body().path("state").asText()).isEqualTo("open");
        assertThat(same.body().path("reason").asText()).isNotBlank();
        assertThat(column(letter, "reason")).isEqualTo(same.body().path("reason").asText());
        assertThat(TestLibrary.count(db, "SELECT count(*) FROM dead_letter WHERE stage = 'ingest-file' AND source_file = '" + TRUNCATED + "'")).isEqualTo(1);
        assertThat(inError).exists();

        // fixed: the records the file was cut in the middle of, complete
        var records = json.createArrayNode();
        for (String[] r : new String[][] {{"58eedba6-4e3a-5e11-9677-9862111ac2e5", "1"}, {"18c42bee-3489-5ca9-8701-66d45e7bde91", "2"}}) {
            records.addObject().put("task_id", r[0]).put("prompt", "a lighthouse on a cliff at dusk, variant " + r[1])
                    .put("file_name", "batch_cases_000" + r[1]).put("tags", "lighthouse, cliff").put("file_path", "");
        }
        Files.writeString(inError, json.writeValueAsString(Map.of("CASES", records)), StandardCharsets.UTF_8);
        Answer fixed = api.post("/api/dead-letters/" + letter + "/replay", "{}");
        assertThat(fixed.status()).as(fixed.body().toString()).isEqualTo(200);
        assertThat(fixed.body().path("state").asText()).isEqualTo("replayed");
        assertThat(fixed.body().path("import").path("inserted").asLong()).isEqualTo(2);
        assertThat(column(letter, "state")).isEqualTo("replayed");
        assertThat(TestLibrary.count(db, "SELECT count(*) FROM image_library WHERE source_file = '" + TRUNCATED + "' AND theme = 'truncated'")).isEqualTo(2);
        assertThat(inError).doesNotExist();
        assertThat(data.resolve("error").resolve(TRUNCATED + ".error.txt")).doesNotExist();
        assertThat(data.resolve("done").resolve(TRUNCATED)).exists();

        // an older letter of the same file: imported since, nothing left to replay
        long older = TestLibrary.count(db, "INSERT INTO dead_letter (created_at, stage, source_file, reason) VALUES (now() - interval '1 day',"
                + " 'ingest-file', '" + TRUNCATED + "', 'truncated') RETURNING id");
        Answer since = api.post("/api/dead-letters/" + older + "/replay", null);
        assertThat(since.body().path("state").asText()).isEqualTo("replayed");
        assertThat(since.body().path("message").asText()).contains("imported since");
        // a file that is not in error/ and was never imported: it stays open and says where it should be
        String lost = "batch_image_data_lost_final.json";
        long gone = TestLibrary.count(db, "INSERT INTO dead_letter (stage, source_file, reason) VALUES ('ingest-file', '" + lost + "', 'not JSON') RETURNING id");
        Answer missing = api.post("/api/dead-letters/" + gone + "/replay", null);
        assertThat(missing.body().path("state").asText()).isEqualTo("open");
        assertThat(missing.body().path("reason").asText()).contains(lost, "no longer in", "error");
        assertThat(column(gone, "state")).isEqualTo("open");
    }
}
