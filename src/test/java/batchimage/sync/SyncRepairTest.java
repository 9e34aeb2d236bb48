package batchimage.sync;

import static batchimage.support.Prometheus.sample;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import batchimage.app.BatchImage;
import batchimage.index.Indexer;
import batchimage.support.Api;
import batchimage.support.Api.Answer;
import batchimage.support.Cli;
import batchimage.support.TestLibrary;
import batchimage.support.TestPostgres;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Date;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.io.TempDir;

/**
 * The sync route against the media library (79 records, 58 with tags) imported and indexed once: real
 * PostgreSQL, the real local model and index over HTTP. Drift is made behind the app's back (vectors
 * removed from the index, orphan vectors added, rows marked deleted or failed in PostgreSQL); one sync must
 * repair all of it, re-embedding only what is missing, and say what it found in its report, stats and metrics.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class SyncRepairTest {

    private static final String FILE = "media-library/batch_image_data_media_final.json";

    private final ObjectMapper json = new ObjectMapper();

    private Path data;
    private String db;
    private BatchImage app;
    private String base;
    private Api api;

    @BeforeAll
    void importAndIndexTheLibrary(@TempDir Path folder) throws Exception {
        data = folder;
        db = TestPostgres.newDatabase("sync");
        start(Map.of());
        Path file = TestLibrary.copyShared(FILE, data.resolve("input"));
        assertThat(app.importFile(file).outcome()).isEqualTo("done");
        await().atMost(Duration.ofMinutes(3)).pollInterval(Duration.ofMillis(500))
                .until(() -> TestLibrary.count(db, "SELECT count(*) FROM image_library WHERE index_state = 'indexed'") == 79);
    }

    private void start(Map<String, String> extra) {
        // sync.settle-seconds as by default: 0 with the app's own index, which lists what it holds at once
        var settings = new HashMap<String, String>(extra);
        app = TestLibrary.service(data, db, settings);
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

    private Set<String> sqlIds(String where) {
        return new HashSet<>(TestLibrary.ids(db, where));
    }

    /** Every id in a namespace, through the local index's Pinecone list API. */
    private Set<String> listed(String ns) throws Exception {
        var out = new HashSet<String>();
        String token = null;
        do {
            Answer a = api.get("/pinecone/vectors/list?namespace=" + ns + (token == null ? "" : "&paginationToken=" + URLEncoder.encode(token, StandardCharsets.UTF_8)));
            assertThat(a.status()).isEqualTo(200);
            a.body().path("vectors").forEach(v -> out.add(v.path("id").asText()));
            token = a.body().path("pagination").path("next").asText(null);
        } while (token != null);
        return out;
    }

    private void removeVectors(String ns, List<String> ids) throws Exception {
        var body = json.createObjectNode().put("namespace", ns);
        ids.forEach(body.putArray("ids")::add);
        assertThat(api.post("/pinecone/vectors/delete", body.toString()).status()).isEqualTo(200);
    }

    private void addVectors(String ns, List<String> ids) throws Exception {
        var body = json.createObjectNode().put("namespace", ns);
        var vectors = body.putArray("vectors");
        for (String id : ids) {
            var v = vectors.addObject().put("id", id);
            var values = v.putArray("values");
            for (int i = 0; i < 384; i++) {
                values.add(i == ids.indexOf(id) ? 1.0 : 0.01);
            }
            v.putObject("metadata").put("name", "not in the library");
        }
        assertThat(api.post("/pinecone/vectors/upsert", body.toString()).status()).isEqualTo(200);
    }

    /** PostgreSQL and both namespaces agree exactly: each namespace holds the active records with a vector there, nothing else. */
    private void assertPostgresAndIndexAgree() throws Exception {
        assertThat(sqlIds("status = 'active' AND index_state <> 'indexed'")).isEmpty();
        assertThat(sqlIds("status <> 'active' AND (prompt_fp IS NOT NULL OR description_fp IS NOT NULL)")).isEmpty();
        assertThat(listed("prompt")).isEqualTo(sqlIds("status = 'active' AND prompt_fp IS NOT NULL"));
        assertThat(listed("description")).isEqualTo(sqlIds("status = 'active' AND description_fp IS NOT NULL"));
        assertThat(sqlIds("status = 'active' AND prompt_fp IS NOT NULL")).hasSize((int) TestLibrary.count(db,
                "SELECT count(*) FROM image_library WHERE status = 'active'"));
    }

    private Indexer indexer() {
        return app.context().getRegistry().lookupByNameAndType("indexer", Indexer.class);
    }

    // ---- tests

    @Test
    @Order(1)
    void theFreshLibraryIsInSyncAndASyncFindsNothingToRepair() throws Exception {
        JsonNode stats = api.get("/api/stats").body();
        assertThat(stats.path("sync").path("in_sync").asBoolean()).as("%s", stats.path("sync")).isTrue();
        assertThat(stats.path("last_sync").isNull()).isTrue();
        assertThat(stats.path("model").path("vectors_made_with").asText()).isEqualTo("all-minilm-l6-v2-q");
        assertThat(stats.path("model").path("vectors_dimensions").asInt()).isEqualTo(384);
        assertThat(stats.path("model").path("notice").isNull()).isTrue();
        assertPostgresAndIndexAgree();

        Answer a = api.post("/api/reindex", "{}");
        assertThat(a.status()).as("%s", a.body()).isEqualTo(200);
        JsonNode d = a.body().path("drift");
        assertThat(a.body().path("outcome").asText()).isEqualTo("done");
        assertThat(a.body().path("mode").asText()).isEqualTo("changed");
        assertThat(d.path("prompt").path("listed").asLong()).isEqualTo(79);
        assertThat(d.path("description").path("listed").asLong()).isEqualTo(58);
        for (String ns : List.of("prompt", "description")) {
            assertThat(d.path(ns).path("orphans_removed").asLong()).isZero();
            assertThat(d.path(ns).path("missing_requeued").asLong()).isZero();
            assertThat(d.path(ns).path("inactive_removed").asLong()).isZero();
        }
        assertThat(d.path("after").path("pending").asLong()).isZero();
    }

    @Test
    @Order(2)
    void oneSyncRepairsVectorsRemovedAndAddedBehindTheAppsBackAndRowsChangedInPostgres() throws Exception {
        List<String> tagged = TestLibrary.ids(db, "status = 'active' AND description_fp IS NOT NULL");
        List<String> untagged = TestLibrary.ids(db, "status = 'active' AND description_fp IS NULL");
        // vectors removed behind the app's back: 5 prompts, 3 descriptions (of other records)
        List<String> promptGone = tagged.subList(0, 5);
        List<String> descriptionGone = tagged.subList(5, 8);
        removeVectors("prompt", promptGone);
        removeVectors("description", descriptionGone);
        // and 2 records lost from both namespaces: one sync re-queues them in both
        List<String> bothGone = tagged.subList(8, 10);
        removeVectors("prompt", bothGone);
        removeVectors("description", bothGone);
        // orphans added behind its back: ids that are no record, and a description vector for a record without tags
        String stranger = UUID.randomUUID().toString();
        addVectors("prompt", List.of("orphan-1", stranger, "ORPHAN-Upper"));
        addVectors("description", List.of("orphan-2", untagged.get(0)));
        // rows changed behind its back: 3 records marked deleted with their vectors still there, 2 records failed
        List<String> deleted = tagged.subList(10, 13);
        List<String> failed = tagged.subList(20, 22);
        TestLibrary.execute(db, "UPDATE image_library SET status = 'deleted' WHERE id IN ('" + String.join("','", deleted) + "')");
        TestLibrary.execute(db, "UPDATE image_library SET index_state = 'failed', index_error = 'prompt: an outage long ago', index_attempts = 8"
                + " WHERE id IN ('" + String.join("','", failed) + "')");

        JsonNode before = api.get("/api/stats").body();
        assertThat(before.path("sync").path("in_sync").asBoolean()).isFalse();
        assertThat(before.path("sync").path("summary").asText())
                .contains("prompt: 75 vectors in the index for 76 active records with a vector there (1 missing)")
                .contains("prompt: 2 records failed", "deleted records still have vectors");
        long promptEmbedded = indexer().total("prompt", "embedded");
        long descriptionEmbedded = indexer().total("description", "embedded");

        Answer a = api.post("/api/reindex", "{\"mode\": \"changed\"}");
        assertThat(a.status()).as("%s", a.body()).isEqualTo(200);
        JsonNode d = a.body().path("drift");
        // the deleted records' vectors go first (by their fingerprints), then the listing finds the rest
        assertThat(d.path("prompt").path("inactive_removed").asLong()).isEqualTo(3);
        assertThat(d.path("description").path("inactive_removed").asLong()).isEqualTo(3);
        assertThat(d.path("prompt").path("listed").asLong()).isEqualTo(79 - 5 - 2 + 3 - 3);
        assertThat(d.path("prompt").path("orphans_removed").asLong()).isEqualTo(3);
        assertThat(d.path("description").path("orphans_removed").asLong()).isEqualTo(2);
        assertThat(d.path("prompt").path("missing_requeued").asLong()).isEqualTo(5 + 2);
        assertThat(d.path("description").path("missing_requeued").asLong()).isEqualTo(3 + 2);
        assertThat(d.path("failed_requeued").asLong()).isEqualTo(2);

        await().atMost(Duration.ofMinutes(1)).pollInterval(Duration.ofMillis(300))
                .until(() -> api.get("/api/stats").body().path("sync").path("in_sync").asBoolean());
        assertPostgresAndIndexAgree();
        assertThat(listed("prompt")).doesNotContain("orphan-1", stranger, "ORPHAN-Upper").containsAll(promptGone).containsAll(bothGone).doesNotContainAnyElementsOf(deleted);
        assertThat(listed("description")).doesNotContain("orphan-2", untagged.get(0)).containsAll(descriptionGone).containsAll(bothGone);
        // only what was missing was embedded again: the failed records kept their vectors (same fingerprints)
        assertThat(indexer().total("prompt", "embedded") - promptEmbedded).isEqualTo(5 + 2);
        assertThat(indexer().total("description", "embedded") - descriptionEmbedded).isEqualTo(3 + 2);
        assertThat(sqlIds("index_error IS NOT NULL")).isEmpty();

        JsonNode last = api.get("/api/stats").body().path("last_sync");
        assertThat(last.path("id").asLong()).isEqualTo(a.body().path("id").asLong());
        assertThat(last.path("started_by").asText()).isEqualTo("api");
        assertThat(last.path("drift").path("prompt").path("missing_requeued").asLong()).isEqualTo(5 + 2);
    }

    @Test
    @Order(3)
    void theScheduleRunsTheSyncAndMetricsShowItsDrift() throws Exception {
        // the runs of the schedule are those after lastId: the first may begin its listing before or after the changes
        // below, so the runs together, not one of them, find each change once (the library was in sync before them)
        long lastId = TestLibrary.count(db, "SELECT coalesce(max(id), 0) FROM sync_run");
        app.close();
        start(Map.of("sync.enabled", "true", "sync.cron", "0/2 * * * * ?"));
        List<String> active = TestLibrary.ids(db, "status = 'active' AND prompt_fp IS NOT NULL");
        removeVectors("prompt", active.subList(30, 32));
        addVectors("prompt", List.of("orphan-from-the-schedule"));

        // a run still under way is left out (its drift is written when it ends), so wait for the sums, not for last_sync
        String since = " FROM sync_run WHERE id > " + lastId + " AND started_by = 'schedule' AND outcome = 'done'";
        await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(300)).untilAsserted(() -> {
            assertThat(TestLibrary.count(db, "SELECT coalesce(sum((drift->'prompt'->>'missing_requeued')::int), 0)" + since)).isGreaterThanOrEqualTo(2);
            assertThat(TestLibrary.count(db, "SELECT coalesce(sum((drift->'prompt'->>'orphans_removed')::int), 0)" + since)).isGreaterThanOrEqualTo(1);
            JsonNode sync = api.get("/api/stats").body().path("sync");
            assertThat(sync.path("in_sync").asBoolean()).as("%s", sync).isTrue();
            assertThat(listed("prompt")).containsAll(active.subList(30, 32));
        });
        assertPostgresAndIndexAgree();
        assertThat(TestLibrary.count(db, "SELECT sum((drift->'prompt'->>'missing_requeued')::int)" + since)).isEqualTo(2);
        assertThat(TestLibrary.count(db, "SELECT sum((drift->'prompt'->>'orphans_removed')::int)" + since)).isEqualTo(1);
        assertThat(TestLibrary.count(db, "SELECT count(*) FROM sync_run WHERE id > " + lastId + " AND started_by <> 'schedule'")).isZero();
        // every scheduled run names its own tick
        assertThat(TestLibrary.count(db, "SELECT count(*) FROM sync_run WHERE started_by = 'schedule' AND tick IS NULL")).isZero();

        await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(500))
                .until(() -> sample(api.get("/observe/metrics").body().asText(), "batch_image_sync_runs", "outcome=\"done\"") != null
                        && sample(api.get("/observe/metrics").body().asText(), "batch_image_sync_runs", "outcome=\"done\"") >= 3);
        String metrics = api.get("/observe/metrics").body().asText();
        assertThat(sample(metrics, "batch_image_sync_last_end_seconds", null)).isGreaterThan(0.0);
        assertThat(sample(metrics, "batch_image_sync_last_duration_seconds", null)).isNotNull().isGreaterThanOrEqualTo(0.0).isLessThan(60.0);
        assertThat(sample(metrics, "batch_image_sync_drift", "kind=\"orphans_removed\",namespace=\"prompt\"")).isNotNull();
        assertThat(metrics).contains("batch_image_sync_drift{kind=\"missing_requeued\",namespace=\"description\"}");
        // the tests below break things on purpose and repair them on demand
        app.close();
        start(Map.of());
    }

    @Test
    @Order(4)
    void aTickRunsOnceAndARunOnDemandWaitsForTheOneUnderWay() throws Exception {
        var ds = app.database().dataSource();
        var one = new Synchronizer(ds, null, 0, 1, new batchimage.index.Namespaces(null));
        var other = new Synchronizer(ds, null, 0, 1, new batchimage.index.Namespaces(null));
        var tick = new Date(System.currentTimeMillis() / 1000 * 1000 + 3_600_000L);
        Synchronizer.Run run = one.begin("schedule", tick, "changed");
        assertThat(run).isNotNull();
        try {
            // the same tick on another instance: not run again
            assertThat(other.begin("schedule", tick, "changed")).isNull();
            // another tick while this one runs: skipped, and recorded so
            var next = new Date(tick.getTime() + 1000);
            assertThat(other.begin("schedule", next, "changed")).isNull();
            assertThat(TestLibrary.text(db, "SELECT outcome FROM sync_run WHERE tick = to_timestamp(" + next.getTime() / 1000 + ")"))
                    .isEqualTo("skipped");
            // on demand: waits (1 s here), then refused with the reason
            assertThatThrownBy(() -> other.begin("api", null, "changed")).isInstanceOf(Synchronizer.SyncBusyException.class)
                    .hasMessageContaining("a sync is running");
        } finally {
            one.finish(run);
            var ex = new org.apache.camel.support.DefaultExchange(app.context());
            ex.setProperty("syncRun", run);
            one.release(ex);
        }
        Synchronizer.Run after = other.begin("api", null, "changed");
        assertThat(after).isNotNull();
        var ex = new org.apache.camel.support.DefaultExchange(app.context());
        ex.setProperty("syncRun", after);
        other.release(ex);
        // a run that did not finish is recorded as failed, with the reason
        assertThat(TestLibrary.text(db, "SELECT outcome || ': ' || error FROM sync_run WHERE id = " + after.id()))
                .isEqualTo("failed: stopped before the end");
    }

    @Test
    @Order(5)
    void theCommandLineSyncsThroughTheServiceAndInItsOwnProcess() throws Exception {
        List<String> active = TestLibrary.ids(db, "status = 'active' AND description_fp IS NOT NULL");
        removeVectors("description", active.subList(0, 2));
        Cli.Run r = Cli.run(Map.of(), "reindex", "--url", base, "--wait", "--data", data.toString());
        assertThat(r.exit()).as(r.err()).isZero();
        assertThat(r.out()).contains("description", "2 missing re-queued").contains("index: 76 active records indexed, 0 failed");
        assertPostgresAndIndexAgree();

        Cli.Run j = Cli.run(Map.of(), "reindex", "--url", base, "--json", "--data", data.toString());
        assertThat(j.exit()).as(j.err()).isZero();
        assertThat(json.readTree(j.out()).path("drift").path("prompt").path("listed").asLong()).isEqualTo(76);

        Cli.Run bad = Cli.run(Map.of(), "reindex", "--url", base, "--data", data.toString(), "--bogus");
        assertThat(bad.exit()).isEqualTo(2);

        // no service: the command syncs and indexes in its own process, against the data folder
        app.close();
        app = null;
        var env = new HashMap<String, String>();
        env.put("DATABASE_URL", db);
        try (var local = BatchImage.create(TestLibrary.settings(TestLibrary.PROJECT, data, db, Map.of()), BatchImage.Mode.ADMIN).start()) {
            local.context().getRegistry().lookupByNameAndType("pineconeClient", batchimage.vectors.PineconeClient.class)
                    .delete("prompt", new ArrayList<>(active.subList(5, 9)));
        }
        Cli.Run own = Cli.run(env, "reindex", "--url", "http://127.0.0.1:" + TestLibrary.freePort(), "--data", data.toString());
        assertThat(own.exit()).as(own.err()).isZero();
        assertThat(own.err()).contains("working on " + data + " in this process");
        assertThat(own.out()).contains("4 missing re-queued").contains("index: 76 active records indexed, 0 failed");
        start(Map.of());
        assertPostgresAndIndexAgree();
    }

    @Test
    @Order(6)
    void recordsIndexedTooRecentlyToJudgeAreCountedAndLeftToTheNextSync() throws Exception {
        app.close();
        // as with Pinecone, whose listing lags: a record indexed within the hour may not be listed yet
        start(Map.of("sync.settle-seconds", "3600"));
        TestLibrary.execute(db, "UPDATE image_library SET indexed_at = now() - interval '1 minute' WHERE status = 'active'");
        List<String> active = TestLibrary.ids(db, "status = 'active' AND prompt_fp IS NOT NULL");
        removeVectors("prompt", active.subList(40, 42));
        JsonNode d = api.post("/api/reindex", "{}").body().path("drift").path("prompt");
        assertThat(d.path("missing_requeued").asLong()).isZero();
        assertThat(d.path("too_recent").asLong()).isEqualTo(2);
        assertThat(Cli.run(Map.of(), "reindex", "--url", base, "--data", data.toString()).out()).contains("2 missing but indexed too recently to judge");

        app.close();
        start(Map.of());
        JsonNode now = api.post("/api/reindex", "{}").body().path("drift").path("prompt");
        assertThat(now.path("missing_requeued").asLong()).isEqualTo(2);
        assertThat(now.path("too_recent").asLong()).isZero();
        await().atMost(Duration.ofMinutes(1)).pollInterval(Duration.ofMillis(300))
                .until(() -> api.get("/api/stats").body().path("sync").path("in_sync").asBoolean());
        assertPostgresAndIndexAgree();
    }

    @Test
    @Order(7)
    void aBadModeIsRefusedNamingTheField() throws Exception {
        Answer a = api.post("/api/reindex", "{\"mode\": \"everything\"}");
        assertThat(a.status()).isEqualTo(400);
        assertThat(a.body().path("field").asText()).isEqualTo("mode");
        assertThat(a.body().path("error").asText()).contains("'changed'", "'full'", "everything");
        assertThat(api.post("/api/reindex", "[1]").status()).isEqualTo(400);
    }

    @Test
    @Order(8)
    void namespacesOfAnOldGenerationAreEmptiedAndOthersLeftAlone() throws Exception {
        // what a full reindex could not remove when it switched (generation 0 is live here), and a namespace not the app's
        addVectors("prompt-g3", List.of("left-1", "left-2"));
        addVectors("description-g3", List.of("left-3"));
        addVectors("prompts-of-another-app", List.of("theirs"));
        long promptVectors = listed("prompt").size();

        Answer a = api.post("/api/reindex", "{\"mode\": \"changed\"}");
        assertThat(a.status()).as("%s", a.body()).isEqualTo(200);
        assertThat(a.body().path("drift").path("stale_namespaces_removed")).extracting(JsonNode::asText)
                .containsExactlyInAnyOrder("prompt-g3", "description-g3");
        assertThat(listed("prompt-g3")).isEmpty();
        assertThat(listed("description-g3")).isEmpty();
        assertThat(listed("prompts-of-another-app")).containsExactly("theirs");
        assertThat(listed("prompt")).hasSize((int) promptVectors);

        String text = Cli.run(Map.of(), "stats", "--url", base).out();
        assertThat(text).contains("namespaces of old generations emptied: ");
        // the next run finds nothing more to empty
        assertThat(api.post("/api/reindex", "{\"mode\": \"changed\"}").body().path("drift").path("stale_namespaces_removed")).isEmpty();
    }
}
