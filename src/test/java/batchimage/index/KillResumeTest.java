package batchimage.index;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import batchimage.embed.EmbeddingsApi;
import batchimage.vectors.local.LocalPinecone;
import batchimage.vectors.local.LuceneNamespace;
import batchimage.vectors.local.UpsertUntilKilled;
import batchimage.vectors.VectorRecord;
import batchimage.support.StubHttpServer;
import batchimage.support.StubHttpServer.Reply;
import batchimage.support.TestLibrary;
import batchimage.support.TestPostgres;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.Reader;
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
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.awaitility.core.ConditionTimeoutException;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Real processes killed with SIGKILL in the middle of their work: an import while it indexes, and a
 * writer of the local index between its upserts. What the next process (or a reader) finds must be
 * exactly what was acknowledged: nothing lost, nothing twice. The children are JVMs on this test's class
 * path, killed with {@link Process#destroyForcibly()}. The import embeds through a stub whose vectors
 * follow from each text: the model is not under test here, and the stub paces the first run and counts
 * what each run embeds.
 */
class KillResumeTest {

    private static final int DIMENSIONS = 384;
    private static final String COCO = "coco/batch_image_data_coco_final.json";
    private static final int RECORDS = 2000;

    private final ObjectMapper json = new ObjectMapper();
    private final List<Process> children = new ArrayList<>();

    @TempDir
    Path work;

    @AfterEach
    void killChildren() throws InterruptedException {
        for (Process p : children) {
            p.descendants().forEach(ProcessHandle::destroyForcibly);
            p.destroyForcibly();
            p.waitFor(30, TimeUnit.SECONDS);
        }
    }

    @Test
    void anImportKilledWhileIndexingResumesOnRestartWithoutLosingOrDuplicatingVectors() throws Exception {
        String db = TestPostgres.newDatabase("killresume");
        Path input = cocoRecords(RECORDS, work.resolve("in"));
        Path data = work.resolve("data");
        var texts = new AtomicLong();
        var release = new CountDownLatch(1);
        // embeddings that take a little while, so that the kill lands in the middle of the indexing; past
        // 60% of the texts they hold their answer, so that the first import cannot end before it is killed
        try (var embeddings = new StubHttpServer((r, n) -> {
            if (texts.get() >= RECORDS * 2 * 6 / 10) {
                awaitRelease(release);
            }
            return embed(r.body(), texts).after(50);
        })) {
            Map<String, String> env = Map.of(
                    "DATABASE_URL", db,
                    "INDEX_STALE_CLAIM_SECONDS", "1",
                    "INDEX_POLL_MS", "200",
                    "EMBEDDINGS_URL", embeddings.url("/v1/embeddings"),
                    "EMBEDDINGS_MODEL", "stub-model",
                    "EMBEDDINGS_DIMENSIONS", String.valueOf(DIMENSIONS),
                    "LOCAL_EMBEDDINGS_PRELOAD", "");
            String[] importArgs = {"import", "--json", "--data", data.toString(), input.toString()};

            Process first = start("first", env, "batchimage.Main", importArgs);
            try {
                await().atMost(Duration.ofMinutes(3)).pollInterval(Duration.ofMillis(100)).until(() -> {
                    assertThat(first.isAlive()).as("the first import ended before it was killed: %s", tail("first")).isTrue();
                    // the child creates the table when it starts
                    return count(db, "SELECT count(*) FROM pg_tables WHERE tablename = 'image_library'") == 1
                            && count(db, "SELECT count(*) FROM image_library WHERE index_state = 'indexed'") >= RECORDS / 4;
                });
            } catch (ConditionTimeoutException e) {
                throw new AssertionError("records by index state: " + states(db) + "; the import's log: " + tail("first"), e);
            }
            first.destroyForcibly();
            assertThat(first.waitFor(30, TimeUnit.SECONDS)).isTrue();
            assertThat(first.exitValue()).as("killed by SIGKILL").isEqualTo(128 + 9);

            long indexedAtKill = count(db, "SELECT count(*) FROM image_library WHERE index_state = 'indexed'");
            assertThat(indexedAtKill).as("records indexed when the import was killed").isBetween(1L, RECORDS - 1L);
            // texts to embed: the prompt of every record, and the tags of those that have some
            String textsOf = "SELECT count(*) + count(*) FILTER (WHERE coalesce(description, '') <> '') FROM image_library WHERE status = 'active'";
            long allTexts = count(db, textsOf);
            long neverClaimedTexts = count(db, textsOf + " AND index_state = 'pending'");
            long notIndexedTexts = count(db, textsOf + " AND index_state <> 'indexed'");

            // what the killed process recorded as indexed is in the index on disk, in both namespaces
            Set<String> indexedIds = ids(db, "SELECT id FROM image_library WHERE index_state = 'indexed'");
            try (var index = new LocalPinecone(data.resolve("index"), DIMENSIONS)) {
                for (String ns : IndexBatch.NAMESPACES) {
                    assertThat(index.namespace(ns, false).fetch(indexedIds).keySet()).as("vectors of records indexed before the kill in %s", ns)
                            .containsExactlyInAnyOrderElementsOf(indexedIds);
                }
            }

            // the restart: no delay now; it takes over the dead process's claims after a second
            var resumed = new AtomicLong();
            embeddings.handler((r, n) -> embed(r.body(), resumed));
            release.countDown();
            Process second = start("second", env, "batchimage.Main", importArgs);
            assertThat(second.waitFor(3, TimeUnit.MINUTES)).as("the second import ends: %s", tail("second")).isTrue();
            assertThat(second.exitValue()).as(tail("second")).isZero();
            JsonNode doc = json.readTree(work.resolve("second.out").toFile());
            JsonNode file = doc.get("files").get(0);
            assertThat(file.get("outcome").asText()).isEqualTo("done");
            assertThat(file.get("unchanged").asLong()).isEqualTo(RECORDS);
            assertThat(doc.get("indexed").get("indexed").asLong()).isEqualTo(RECORDS);

            // it embedded what was not indexed yet, and nothing that was
            long embedded = 0;
            for (String ns : IndexBatch.NAMESPACES) {
                embedded += file.get("embedded").get(ns).asLong();
                assertThat(file.get("upserted").get(ns).asLong()).isEqualTo(file.get("embedded").get(ns).asLong());
            }
            assertThat(embedded).as("texts the second import embedded (the embeddings server saw %d)", resumed.get())
                    .isEqualTo(resumed.get())
                    .isLessThan(allTexts)
                    .isGreaterThanOrEqualTo(neverClaimedTexts)
                    .isLessThanOrEqualTo(notIndexedTexts);

            // every record indexed once, with what it has in each namespace recorded
            assertThat(count(db, "SELECT count(*) FROM image_library WHERE status = 'active'")).isEqualTo(RECORDS);
            assertThat(count(db, "SELECT count(*) FROM image_library WHERE index_state = 'indexed'")).isEqualTo(RECORDS);
            assertThat(count(db, "SELECT count(*) FROM image_library WHERE status = 'active'"
                    + " AND (prompt_fp IS NULL OR description_fp IS NULL OR index_error IS NOT NULL OR claimed_at IS NOT NULL)")).isZero();
        } finally {
            release.countDown();
        }

        // each namespace holds one vector per record and none that is not a record
        Set<String> records = ids(db, "SELECT id FROM image_library WHERE status = 'active'");
        try (var index = new LocalPinecone(data.resolve("index"), DIMENSIONS)) {
            assertThat(index.counts()).containsExactlyInAnyOrderEntriesOf(Map.of("prompt", RECORDS, "description", RECORDS));
            for (String ns : IndexBatch.NAMESPACES) {
                List<String> listed = listAll(index.namespace(ns, false));
                assertThat(listed).as("ids in %s", ns).doesNotHaveDuplicates().hasSize(RECORDS);
                assertThat(new HashSet<>(listed)).as("ids in %s", ns).isEqualTo(records);
            }
        }
        // the lexical index in the data folder, whatever the kill left of it, reads up to the library from its last
        // commit and then holds each record once
        var ds = new org.postgresql.ds.PGSimpleDataSource();
        ds.setUrl(db);
        try (var words = batchimage.lexical.LexicalIndex.open(data.resolve("lexical"), batchimage.lexical.LexicalIndex.Boosts.DEFAULTS)) {
            assertThat(words.writes()).isTrue();
            new batchimage.lexical.LexicalFeed(ds, words).catchUp();
            assertThat(words.records()).as("records in the lexical index").isEqualTo(RECORDS);
        }
    }

    @Test
    void everyAcknowledgedUpsertOfTheLocalIndexSurvivesItsProcessBeingKilled() throws Exception {
        Path dir = work.resolve("index");
        Process writer = start("writer", Map.of(), UpsertUntilKilled.class.getName(), dir.toString(), String.valueOf(DIMENSIONS));
        await().atMost(Duration.ofMinutes(2)).pollInterval(Duration.ofMillis(50)).until(() -> {
            assertThat(writer.isAlive()).as("the writer stopped by itself: %s", tail("writer")).isTrue();
            return lines("writer").stream().filter(l -> l.startsWith("ACK ")).count() >= 300;
        });
        writer.destroyForcibly();
        assertThat(writer.waitFor(30, TimeUnit.SECONDS)).isTrue();

        // the version of each id last acknowledged, and the call that was under way at the kill (if any)
        var acked = new LinkedHashMap<String, Integer>();
        Map<String, Integer> inFlight = Map.of();
        for (String line : lines("writer")) {
            String[] parts = line.split(" ");
            var ids = new LinkedHashMap<String, Integer>();
            for (int i = 2; i < parts.length; i++) {
                int colon = parts[i].lastIndexOf(':');
                ids.put(parts[i].substring(0, colon), Integer.parseInt(parts[i].substring(colon + 1)));
            }
            if (parts[0].equals("TRY")) {
                inFlight = ids;
            } else {
                acked.putAll(ids);
                inFlight = Map.of();
            }
        }
        assertThat(acked).hasSizeGreaterThanOrEqualTo(900);

        try (var index = new LocalPinecone(dir, DIMENSIONS)) {
            LuceneNamespace ns = index.namespace(UpsertUntilKilled.NAMESPACE, false);
            assertThat(ns).as("the namespace's folder after the kill").isNotNull();
            Map<String, VectorRecord> stored = ns.fetch(acked.keySet());
            assertThat(stored.keySet()).as("acknowledged ids").containsExactlyInAnyOrderElementsOf(acked.keySet());
            for (var e : acked.entrySet()) {
                VectorRecord got = stored.get(e.getKey());
                // an id the unacknowledged call was overwriting may hold either version, never an older one
                int version = ((Number) got.metadata().get("version")).intValue();
                Integer pending = inFlight.get(e.getKey());
                assertThat(version).as("version of %s", e.getKey()).isIn(pending == null ? List.of(e.getValue()) : List.of(e.getValue(), pending));
                VectorRecord expected = UpsertUntilKilled.record(e.getKey(), version, DIMENSIONS);
                assertThat(got.values()).as("values of %s", e.getKey()).containsExactly(expected.values());
                assertThat(got.metadata()).as("metadata of %s", e.getKey()).isEqualTo(expected.metadata());
            }
            assertThat(ns.count()).isBetween(acked.size(), acked.size() + inFlight.size());
        }
    }

    /** The first {@code n} records of the COCO batch file, as a batch file of their own in {@code dir}. */
    private Path cocoRecords(int n, Path dir) throws IOException {
        JsonNode all = json.readTree(TestLibrary.SHARED_DATA.resolve(COCO).toFile());
        ObjectNode out = json.createObjectNode();
        int left = n;
        for (var subThemes = all.fields(); subThemes.hasNext() && left > 0; ) {
            var subTheme = subThemes.next();
            ArrayNode records = out.putArray(subTheme.getKey());
            for (JsonNode r : subTheme.getValue()) {
                if (left == 0) {
                    break;
                }
                records.add(r);
                left--;
            }
        }
        Files.createDirectories(dir);
        Path file = dir.resolve("batch_image_data_coco_final.json");
        json.writeValue(file.toFile(), out);
        return file;
    }

    private static void awaitRelease(CountDownLatch latch) {
        try {
            latch.await(5, TimeUnit.MINUTES);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** An embeddings answer with a vector per input that follows from the text; counts the texts. */
    private Reply embed(String body, AtomicLong texts) {
        try {
            JsonNode req = json.readTree(body);
            JsonNode input = req.get("input");
            var inputs = new ArrayList<String>();
            if (input.isArray()) {
                input.forEach(t -> inputs.add(t.asText()));
            } else {
                inputs.add(input.asText());
            }
            texts.addAndGet(inputs.size());
            boolean base64 = "base64".equals(req.path("encoding_format").asText());
            var out = json.createObjectNode().put("object", "list").put("model", "stub-model");
            var list = out.putArray("data");
            for (int i = 0; i < inputs.size(); i++) {
                float[] v = vector(inputs.get(i));
                var item = list.addObject().put("object", "embedding").put("index", i);
                if (base64) {
                    item.put("embedding", EmbeddingsApi.toBase64(v));
                } else {
                    var arr = item.putArray("embedding");
                    for (float f : v) {
                        arr.add(f);
                    }
                }
            }
            out.putObject("usage").put("prompt_tokens", inputs.size()).put("total_tokens", inputs.size());
            return Reply.json(200, json.writeValueAsString(out));
        } catch (IOException e) {
            return Reply.json(400, "{\"error\":{\"message\":\"" + e.getMessage().replace('"', '\'') + "\",\"type\":\"invalid_request_error\"}}");
        }
    }

    private static float[] vector(String text) {
        var rnd = new Random(text.hashCode());
        float[] v = new float[DIMENSIONS];
        double norm = 0;
        for (int i = 0; i < v.length; i++) {
            v[i] = (float) rnd.nextGaussian();
            norm += v[i] * v[i];
        }
        for (int i = 0; i < v.length; i++) {
            v[i] /= (float) Math.sqrt(norm);
        }
        return v;
    }

    /** A child JVM on this test's class path, in the project folder, its output in {@code <name>.out} and {@code .err}. */
    private Process start(String name, Map<String, String> env, String mainClass, String... args) throws IOException {
        var cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Xmx512m", "-XX:+UseSerialGC", "-cp", System.getProperty("java.class.path"), mainClass));
        cmd.addAll(List.of(args));
        var pb = new ProcessBuilder(cmd)
                .directory(TestLibrary.PROJECT.toFile())
                .redirectOutput(work.resolve(name + ".out").toFile())
                .redirectError(work.resolve(name + ".err").toFile());
        // only what the test says: no setting of the machine's environment reaches the child
        pb.environment().keySet().removeAll(settingNames());
        pb.environment().putAll(env);
        Process p = pb.start();
        children.add(p);
        return p;
    }

    private static Set<String> settingNames() throws IOException {
        var props = new Properties();
        try (Reader in = Files.newBufferedReader(TestLibrary.PROJECT.resolve("application.properties"), StandardCharsets.UTF_8)) {
            props.load(in);
        }
        var names = new HashSet<String>();
        props.stringPropertyNames().forEach(k -> names.add(batchimage.config.Settings.envName(k)));
        return names;
    }

    /** The complete lines a child printed so far (a line cut by the kill is not one). */
    private List<String> lines(String name) throws IOException {
        String s = Files.readString(work.resolve(name + ".out"), StandardCharsets.UTF_8);
        int end = s.lastIndexOf('\n');
        return end < 0 ? List.of() : List.of(s.substring(0, end).split("\n"));
    }

    private String tail(String name) {
        try {
            String err = Files.readString(work.resolve(name + ".err"), StandardCharsets.UTF_8);
            return err.substring(Math.max(0, err.length() - 4000));
        } catch (IOException e) {
            return "(no output: " + e.getMessage() + ")";
        }
    }

    private static List<String> listAll(LuceneNamespace ns) {
        var out = new ArrayList<String>();
        String after = null;
        while (true) {
            List<String> page = ns.list(null, after, 1000);
            out.addAll(page);
            if (page.size() < 1000) {
                return out;
            }
            after = page.get(page.size() - 1);
        }
    }

    private static String states(String db) {
        try {
            return TestLibrary.text(db, "SELECT string_agg(index_state || ' ' || n, ', ') FROM"
                    + " (SELECT index_state, count(*) AS n FROM image_library GROUP BY index_state) q");
        } catch (IllegalStateException e) {
            return e.getMessage();
        }
    }

    private static long count(String db, String sql) {
        return TestLibrary.count(db, sql);
    }

    private static Set<String> ids(String db, String sql) throws SQLException {
        var out = new HashSet<String>();
        try (Connection c = DriverManager.getConnection(db); Statement st = c.createStatement(); ResultSet rs = st.executeQuery(sql)) {
            while (rs.next()) {
                out.add(rs.getString(1));
            }
        }
        return out;
    }
}
