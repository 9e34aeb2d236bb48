package batchimage.ingest;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import batchimage.app.BatchImage;
import batchimage.index.IndexTexts;
import batchimage.index.Indexer;
import batchimage.vectors.PineconeClient;
import batchimage.support.EmbeddingsProxy;
import batchimage.support.TestLibrary;
import batchimage.support.TestPostgres;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.apache.camel.Exchange;
import org.apache.camel.builder.AdviceWith;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.LoggerFactory;

/**
 * Two services, A and B, on one database and one data folder (the shared inbox a network folder would give),
 * beside a provider P that serves the real local model and the local index and neither polls nor indexes. A
 * and B index into P's /pinecone and embed through a counting proxy in front of P's /v1/embeddings, as a
 * deployment of several instances on managed PostgreSQL, Pinecone and an embeddings endpoint would. Each file
 * is imported once, by one of them; the index work is shared; nothing is embedded twice.
 *
 * <p>That both share the work is made certain rather than left to the scheduler: an instance's first import
 * waits (at most a minute) until the other has begun one too, and the proxy holds an instance's first
 * embeddings requests (at most a minute) until the other has sent one. Neither changes what is imported or
 * embedded; were the other never to take work, the test fails on its assertions, not on a timing.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class TwoInstancesTest {

    private static final int FILES = 6;
    private static final int RECORDS_PER_FILE = 300;
    private static final String MEDIA = "batch_image_data_media_final.json";
    private static final Path TOOLS = TestLibrary.PROJECT.resolve("../shared/tools").normalize();

    private Path work;
    private String db;
    private String providerDb;
    private BatchImage provider;
    private EmbeddingsProxy proxy;
    /** The data folder A and B share: one inbox, one done/ and error/. */
    private Path shared;
    private BatchImage a;
    private BatchImage b;
    private final List<Path> batches = new ArrayList<>();
    /** Which instances imported each file, as their import-file routes saw it. */
    private final Map<String, List<String>> importedBy = new ConcurrentHashMap<>();

    @BeforeAll
    void start(@TempDir Path dir) throws Exception {
        work = dir;
        providerDb = TestPostgres.newDatabase("provider");
        provider = TestLibrary.service(dir.resolve("provider"), providerDb,
                Map.of("ingest.poll-inbox", "false", "index.enabled", "false", "enrich.enabled", "false"));
        proxy = new EmbeddingsProxy(base(provider) + "/v1/embeddings");
        db = TestPostgres.newDatabase("instances");
        shared = dir.resolve("shared");
        a = instance("a");
        b = instance("b");
        makeBatches(dir.resolve("batches"));
    }

    @AfterAll
    void stop() {
        for (AutoCloseable c : new AutoCloseable[] {a, b, proxy, provider}) {
            try {
                if (c != null) {
                    c.close();
                }
            } catch (Exception e) {
                // the next one still closes
            }
        }
    }

    private static String base(BatchImage app) {
        return "http://127.0.0.1:" + app.settings().get("batch-image.port");
    }

    /**
     * One instance of the pair: the shared database and data folder, P's index, P's model through the proxy
     * (its own URL there, so that the proxy counts per instance). Nothing else differs between A and B.
     */
    private BatchImage instance(String name) {
        return instance(name, Map.of());
    }

    private BatchImage instance(String name, Map<String, String> extra) {
        var settings = new java.util.HashMap<String, String>(Map.of(
                "database.pool-size", "6",
                "pinecone.host", base(provider) + "/pinecone",
                "embeddings.url", proxy.url(name),
                "index.poll-ms", "200",
                "index.batch-size", "50",
                "enrich.enabled", "false"));
        settings.putAll(extra);
        return TestLibrary.service(shared, db, settings);
    }

    private void makeBatches(Path out) throws IOException, InterruptedException {
        Process p = new ProcessBuilder("python3", TOOLS.resolve("make_batch.py").toString(), String.valueOf(FILES * RECORDS_PER_FILE),
                out.toString(), "--files", String.valueOf(FILES), "--theme", "twoinst").redirectErrorStream(true).start();
        String said = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor(2, TimeUnit.MINUTES)).isTrue();
        assertThat(p.exitValue()).as(said).isZero();
        try (Stream<Path> files = Files.list(out)) {
            files.sorted().forEach(batches::add);
        }
        assertThat(batches).hasSize(FILES);
        batches.add(TestLibrary.copyShared("media-library/" + MEDIA, out));
    }

    /** Each instance's first import waits until the other has begun one, and records who imported what. */
    private void shareImports() throws Exception {
        var both = new CountDownLatch(2);
        for (var instance : Map.of("a", a, "b", b).entrySet()) {
            var first = new CountDownLatch(1);
            AdviceWith.adviceWith(instance.getValue().context(), "import-file", route -> route.weaveAddFirst().process(ex -> {
                importedBy.computeIfAbsent(ex.getMessage().getHeader(Exchange.FILE_NAME, String.class), k -> new CopyOnWriteArrayList<>())
                        .add(instance.getKey());
                if (first.getCount() > 0) {
                    first.countDown();
                    both.countDown();
                    both.await(60, TimeUnit.SECONDS);
                }
            }));
        }
    }

    /** Each instance's first embeddings requests wait until the other has sent one. */
    private void shareIndexing() {
        var seen = ConcurrentHashMap.<String>newKeySet();
        var both = new CountDownLatch(1);
        proxy.gate((caller, n) -> {
            if (seen.add(caller) && seen.size() == 2) {
                both.countDown();
            }
            both.await(60, TimeUnit.SECONDS);
            return null;
        });
    }

    /** Writes next to the inbox, then moves in: the inbox sees whole files only. */
    private void drop(Path file, byte[] content) throws IOException {
        Path part = shared.resolve(file.getFileName() + ".part");
        Files.write(part, content);
        Files.move(part, shared.resolve("inbox").resolve(file.getFileName()));
    }

    @Test
    @Order(1)
    void filesDroppedAtOnceAreEachImportedOnceAndTheirRecordsIndexedOnceBetweenTheTwo() throws Exception {
        shareImports();
        shareIndexing();
        for (Path f : batches) {
            drop(f, Files.readAllBytes(f));
        }
        await().atMost(Duration.ofMinutes(5)).pollInterval(Duration.ofMillis(500)).until(() -> inboxFiles().isEmpty()
                && TestLibrary.count(db, "SELECT count(*) FROM import_run WHERE outcome = 'done'") >= batches.size()
                && TestLibrary.count(db, "SELECT count(*) FROM image_library WHERE status = 'active' AND index_state <> 'indexed'") == 0);

        // each file: one import, by one instance, all its records once
        for (Path f : batches) {
            String name = f.getFileName().toString();
            long records = recordsIn(f);
            assertThat(TestLibrary.text(db, "SELECT count(*) || ' ' || min(outcome) || ' ' || sum(records_read) || ' ' || sum(inserted)"
                    + " FROM import_run WHERE file_name = '" + name + "'")).as(name).isEqualTo("1 done " + records + " " + records);
            assertThat(TestLibrary.count(db, "SELECT count(*) FROM image_library WHERE source_file = '" + name + "'")).as(name).isEqualTo(records);
            assertThat(importedBy.get(name)).as("instances that imported %s", name).hasSize(1);
            assertThat(shared.resolve("done").resolve(name)).exists();
        }
        assertThat(importedBy.values().stream().flatMap(List::stream).distinct()).as("instances that imported").containsExactlyInAnyOrder("a", "b");
        try (Stream<Path> errors = Files.list(shared.resolve("error"))) {
            assertThat(errors).as("error/").isEmpty();
        }

        // every record indexed, by one of the two; both did some
        assertThat(embedded(a)).as("texts A embedded").isPositive().isEqualTo(proxy.inputs("a"));
        assertThat(embedded(b)).as("texts B embedded").isPositive().isEqualTo(proxy.inputs("b"));
        Texts texts = texts();
        assertThat(proxy.inputs()).as("texts embedded: each prompt and each set of tags once").isEqualTo(texts.prompts.size() + texts.tags.size());

        // and in the index: a vector per prompt text in 'prompt', per set of tags in 'description', nothing else
        try (var index = new PineconeClient(provider.context(), base(provider) + "/pinecone", null, "2025-10", 2, 2, 30_000)) {
            assertThat(new HashSet<>(index.list("prompt", ""))).as("ids in prompt").isEqualTo(texts.prompts);
            assertThat(new HashSet<>(index.list("description", ""))).as("ids in description").isEqualTo(texts.tags);
        }
        // neither instance opened a local index of its own in the data folder they share
        assertThat(shared.resolve("index")).doesNotExist();
        LoggerFactory.getLogger(TwoInstancesTest.class).info("imported by: {}; texts embedded by a: {} in {} requests, by b: {} in {} requests",
                importedBy, proxy.inputs("a"), proxy.requests("a"), proxy.inputs("b"), proxy.requests("b"));
        // the locks went back
        await().atMost(Duration.ofSeconds(30)).until(() -> TestLibrary.count(db, "SELECT count(*) FROM inbox_lock") == 0);
        assertThat(inboxFiles()).isEmpty();
    }

    @Test
    @Order(2)
    void aCorrectedFileDroppedUnderTheSameNameIsImportedAgainOnce() throws Exception {
        Path file = batches.get(0);
        String name = file.getFileName().toString();
        String content = Files.readString(file);
        String id = TestLibrary.text(db, "SELECT id FROM image_library WHERE source_file = '" + name + "' AND coalesce(description, '') <> '' ORDER BY id LIMIT 1");
        String tags = TestLibrary.text(db, "SELECT description FROM image_library WHERE id = '" + id + "'");
        int at = content.indexOf("\"tags\": " + new com.fasterxml.jackson.databind.ObjectMapper().writeValueAsString(tags), content.indexOf(id));
        assertThat(at).as("the tags of %s in %s", id, name).isPositive();
        String corrected = content.substring(0, at) + "\"tags\": \"corrected, " + content.substring(at + "\"tags\": \"".length());
        long before = proxy.inputs();
        long prompt = IndexTexts.promptText(TestLibrary.text(db, "SELECT prompt FROM image_library WHERE id = '" + id + "'")).isEmpty() ? 0 : 1;

        drop(file, corrected.getBytes(StandardCharsets.UTF_8));
        await().atMost(Duration.ofMinutes(2)).pollInterval(Duration.ofMillis(200)).until(() -> inboxFiles().isEmpty()
                && TestLibrary.count(db, "SELECT count(*) FROM import_run WHERE file_name = '" + name + "' AND outcome = 'done'") >= 2
                && TestLibrary.count(db, "SELECT count(*) FROM image_library WHERE id = '" + id + "' AND index_state = 'indexed'"
                        + " AND description LIKE 'corrected, %'") == 1);
        // once its lock is given back and the file is in done/, nobody can import it again
        await().atMost(Duration.ofSeconds(30)).until(() -> TestLibrary.count(db, "SELECT count(*) FROM inbox_lock") == 0);

        long records = recordsIn(file);
        assertThat(TestLibrary.text(db, "SELECT count(*) FROM import_run WHERE file_name = '" + name + "'")).isEqualTo("2");
        assertThat(TestLibrary.text(db, "SELECT inserted || '/' || updated || '/' || unchanged FROM import_run WHERE file_name = '" + name
                + "' ORDER BY id DESC LIMIT 1")).isEqualTo("0/1/" + (records - 1));
        assertThat(importedBy.get(name)).as("instances that imported %s", name).hasSize(2);
        // the corrected record alone is embedded again: its tags, and its prompt (whose metadata carries the tags)
        assertThat(proxy.inputs() - before).isEqualTo(1 + prompt);
        assertThat(TestLibrary.count(db, "SELECT count(*) FROM image_library WHERE index_state <> 'indexed'")).isZero();
    }

    @Test
    @Order(3)
    void aSecondProcessOnTheDataFolderOfAServiceNeverWritesItsLocalIndex() {
        // the provider's data folder, its own database: without pinecone.host it would write the provider's <data>/index
        assertThatThrownBy(() -> TestLibrary.service(work.resolve("provider"), TestPostgres.newDatabase("second"),
                Map.of("ingest.poll-inbox", "false", "index.enabled", "false", "enrich.enabled", "false")))
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("is being written by another batch-image process")
                .hasMessageContaining("pinecone.host");
        // an import there, on its database, leaves the indexing to it
        try (var imported = BatchImage.create(TestLibrary.settings(TestLibrary.PROJECT, work.resolve("provider"), providerDb, Map.of()),
                BatchImage.Mode.IMPORT).start()) {
            assertThat(imported.indexes()).isFalse();
        }
        // and the provider goes on serving
        assertThat(provider.context().getRouteController().getRouteStatus("pinecone-fetch").isStarted()).isTrue();
    }

    @Test
    @Order(4)
    void theScheduledSyncRunsOncePerTickBetweenTheTwoAndRepairsDriftOnce() throws Exception {
        // the scheduled runs are those after lastRun, counted from before the instances start: the first tick may
        // come before the drift below, and the runs together find it (the library was in step before it)
        long lastRun = TestLibrary.count(db, "SELECT coalesce(max(id), 0) FROM sync_run");
        a.close();
        b.close();
        // both fire the same ticks, every 2 s; the local index lists what it holds at once, so nothing needs to settle
        var sync = Map.of("sync.enabled", "true", "sync.cron", "0/2 * * * * ?", "sync.settle-seconds", "0");
        a = instance("a", sync);
        b = instance("b", sync);
        var fired = new ConcurrentHashMap<Long, Set<String>>();
        for (var instance : Map.of("a", a, "b", b).entrySet()) {
            AdviceWith.adviceWith(instance.getValue().context(), "sync-schedule", route -> route.weaveAddFirst().process(ex ->
                    fired.computeIfAbsent(ex.getMessage().getHeader("scheduledFireTime", java.util.Date.class).getTime(),
                            t -> ConcurrentHashMap.newKeySet()).add(instance.getKey())));
        }
        long advised = TestLibrary.count(db, "SELECT coalesce(max(id), 0) FROM sync_run");
        long embeddedBefore = proxy.inputs();
        // drift behind the back of both: three prompt vectors removed from the index, an orphan added
        Texts texts = texts();
        List<String> gone = texts.prompts().stream().sorted().limit(3).toList();
        try (var index = new PineconeClient(provider.context(), base(provider) + "/pinecone", null, "2025-10", 2, 2, 30_000)) {
            index.delete("prompt", gone);
            float[] v = new float[384];
            v[7] = 1;
            index.upsert("prompt", List.of(new batchimage.vectors.VectorRecord("orphan-of-two", v, Map.of())));

            // a run still under way has not written its drift: wait for the finished runs' sums too
            String done = " FROM sync_run WHERE id > " + lastRun + " AND outcome = 'done'";
            await().atMost(Duration.ofMinutes(1)).pollInterval(Duration.ofMillis(500)).until(() ->
                    fired.values().stream().filter(who -> who.size() == 2).count() >= 3
                            && new HashSet<>(index.list("prompt", "")).equals(texts.prompts())
                            && TestLibrary.count(db, "SELECT count(*) FROM image_library WHERE index_state <> 'indexed'") == 0
                            && TestLibrary.count(db, "SELECT coalesce(sum((drift->'prompt'->>'missing_requeued')::int), 0)" + done) >= 3
                            && TestLibrary.count(db, "SELECT coalesce(sum((drift->'prompt'->>'orphans_removed')::int), 0)" + done) >= 1);
        }
        // every tick both fired was run by one of them: one row per tick (a run, or a skip while one was under way)
        var both = fired.entrySet().stream().filter(e -> e.getValue().size() == 2).map(Map.Entry::getKey).toList();
        assertThat(both).hasSizeGreaterThanOrEqualTo(3);
        for (long tick : both) {
            assertThat(TestLibrary.count(db, "SELECT count(*) FROM sync_run WHERE tick = to_timestamp(" + tick + " / 1000.0)"))
                    .as("runs of the tick %s", tick).isEqualTo(1);
        }
        assertThat(TestLibrary.count(db, "SELECT count(*) FROM sync_run WHERE id > " + advised + " AND started_by = 'schedule'"))
                .isLessThanOrEqualTo(fired.size());
        // the drift was found and repaired once: three vectors re-queued and embedded again, one orphan removed
        String since = " FROM sync_run WHERE id > " + lastRun + " AND outcome = 'done'";
        assertThat(TestLibrary.count(db, "SELECT sum((drift->'prompt'->>'missing_requeued')::int)" + since)).isEqualTo(3);
        assertThat(TestLibrary.count(db, "SELECT sum((drift->'prompt'->>'orphans_removed')::int)" + since)).isEqualTo(1);
        assertThat(proxy.inputs() - embeddedBefore).as("texts embedded again").isEqualTo(3);
    }

    private List<Path> inboxFiles() throws IOException {
        try (Stream<Path> files = Files.list(shared.resolve("inbox"))) {
            return files.filter(f -> f.getFileName().toString().endsWith(".json")).toList();
        }
    }

    /** Texts the indexer of an instance embedded, both namespaces together. */
    private static long embedded(BatchImage app) {
        var indexer = app.context().getRegistry().lookupByNameAndType("indexer", Indexer.class);
        return indexer.total("prompt", "embedded") + indexer.total("description", "embedded");
    }

    private static long recordsIn(Path file) throws IOException {
        var tree = new com.fasterxml.jackson.databind.ObjectMapper().readTree(file.toFile());
        long n = 0;
        for (var group : tree) {
            n += group.size();
        }
        return n;
    }

    /** Ids of the active records with a prompt text, and with tags: what each namespace must hold. */
    private record Texts(Set<String> prompts, Set<String> tags) {
    }

    private Texts texts() throws SQLException {
        var prompts = new HashSet<String>();
        var tags = new HashSet<String>();
        try (Connection c = DriverManager.getConnection(db); Statement st = c.createStatement();
             ResultSet rs = st.executeQuery("SELECT id, prompt, description FROM image_library WHERE status = 'active'")) {
            while (rs.next()) {
                if (!IndexTexts.promptText(rs.getString(2)).isEmpty()) {
                    prompts.add(rs.getString(1));
                }
                if (rs.getString(3) != null && !rs.getString(3).isBlank()) {
                    tags.add(rs.getString(1));
                }
            }
        }
        return new Texts(prompts, tags);
    }
}
