package batchimage.index;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import batchimage.vectors.local.LocalPinecone;
import batchimage.vectors.local.LuceneNamespace;
import batchimage.support.CrashBatch;
import batchimage.support.ServiceProcess;
import batchimage.support.ServiceProcess.Postmaster;
import batchimage.support.StubEmbeddings;
import com.fasterxml.jackson.databind.JsonNode;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The service (a child process, its own embedded PostgreSQL and local index) killed with SIGKILL while it indexes,
 * and while a full reindex builds a new generation of the namespaces. After a restart the index holds exactly one
 * vector per active record in each namespace, and search never answered from a half-built generation. Embeddings
 * come from a stub whose vectors follow from the model and the text (the model is not under test).
 */
class IndexCrashTest {

    private static final int DIMENSIONS = 32;

    @TempDir
    Path work;

    private final List<ServiceProcess> children = new ArrayList<>();
    private final List<Path> folders = new ArrayList<>();
    private StubEmbeddings embeddings;

    @BeforeEach
    void stub() {
        embeddings = new StubEmbeddings(DIMENSIONS);
    }

    @AfterEach
    void cleanUp() throws Exception {
        ServiceProcess.cleanUp(children, folders);
        embeddings.close();
    }

    private ServiceProcess service(String name, Path data, Map<String, String> env) throws Exception {
        if (!folders.contains(data)) {
            folders.add(data);
        }
        var s = ServiceProcess.service(work, name, data, env);
        children.add(s);
        return s;
    }

    private Map<String, String> env(String model) {
        var env = ServiceProcess.quickEnv(embeddings.url(), true);
        env.put("EMBEDDINGS_MODEL", model);
        env.put("INDEX_BATCH_SIZE", "50");
        return env;
    }

    private void drop(Path data, String theme, int records) throws Exception {
        Path file = CrashBatch.write(work.resolve("batches"), theme, records);
        Files.createDirectories(data.resolve("inbox"));
        Files.move(file, data.resolve("inbox").resolve(file.getFileName()));
    }

    private static void awaitInSync(ServiceProcess s, int records) {
        await().atMost(Duration.ofMinutes(4)).pollInterval(Duration.ofMillis(500)).until(() -> {
            assertThat(s.alive()).as("the service ended: %s", s.tail()).isTrue();
            JsonNode stats = s.get("/api/stats");
            return stats != null && stats.path("sync").path("in_sync").asBoolean()
                    && stats.path("records").path("active").asLong() == records;
        });
    }

    /** Each namespace holds one vector per record and none that is not one (read once the service has stopped). */
    private static void assertOneVectorPerRecord(Path data, Set<String> records, String... namespaces) {
        try (var index = new LocalPinecone(data.resolve("index"), DIMENSIONS)) {
            for (String ns : namespaces) {
                List<String> listed = listAll(index.namespace(ns, false));
                assertThat(listed).as("ids in %s", ns).doesNotHaveDuplicates().hasSameSizeAs(records);
                assertThat(new HashSet<>(listed)).as("ids in %s", ns).isEqualTo(records);
            }
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

    private static Set<String> ids(Postmaster pm) throws Exception {
        var out = new HashSet<String>();
        try (var c = pm.connect(); var st = c.createStatement(); var rs = st.executeQuery("SELECT id FROM image_library WHERE status = 'active'")) {
            while (rs.next()) {
                out.add(rs.getString(1));
            }
        }
        return out;
    }

    @Test
    void aServiceKilledWhileItIndexesEndsWithOneVectorPerRecordInEachNamespaceAfterItsRestart() throws Exception {
        int records = 3000;
        Path data = work.resolve("data");
        drop(data, "indexing", records);
        embeddings.pace(150);
        ServiceProcess first = service("first", data, env("stub-model"));
        await().atMost(Duration.ofMinutes(3)).pollInterval(Duration.ofMillis(200)).until(() -> {
            assertThat(first.alive()).as("the service ended: %s", first.tail()).isTrue();
            Postmaster pm = Postmaster.of(data);
            return pm != null && first.log().contains("imported batch_image_data_indexing_final.json")
                    && pm.count("SELECT count(*) FROM image_library WHERE index_state = 'indexed'") >= records / 4;
        });
        first.kill();
        Postmaster orphan = Postmaster.of(data);
        long indexed = orphan.count("SELECT count(*) FROM image_library WHERE index_state = 'indexed'");
        assertThat(indexed).as("indexed when killed").isLessThan(records);
        assertThat(orphan.count("SELECT count(*) FROM image_library WHERE index_state = 'indexing'")).as("claimed by the killed process").isPositive();

        embeddings.pace(0);
        ServiceProcess second = service("second", data, env("stub-model"));
        awaitInSync(second, records);
        Postmaster pm = Postmaster.of(data);
        assertThat(second.log()).contains("records claimed by a process that stopped are pending again");
        assertThat(pm.count("SELECT count(*) FROM image_library WHERE status = 'active' AND (index_state <> 'indexed'"
                + " OR prompt_fp IS NULL OR description_fp IS NULL OR claimed_by IS NOT NULL)")).isZero();
        assertThat(pm.count("SELECT count(*) FROM dead_letter WHERE state = 'open'")).as("open dead letters").isZero();
        Set<String> ids = ids(pm);
        assertThat(ids).hasSize(records);
        second.stop();
        assertOneVectorPerRecord(data, ids, "prompt", "description");
    }

    /** One search of the loop: its tag, whether it answered, whether the record asked for came first, the generation live after it. */
    private record Answer(String tag, boolean answered, boolean right, int generationAfter) {
    }

    @Test
    void aFullReindexKilledWhileItBuildsAGenerationFinishesAfterTheRestartAndSearchAnswersFromTheOldOneUntilTheSwitch() throws Exception {
        int records = 1500;
        Path data = work.resolve("data");
        drop(data, "reindex", records);
        ServiceProcess a = service("a", data, env("stub-a"));
        awaitInSync(a, records);
        a.stop();

        // the model changes; the full reindex embeds every record with it, slowly enough to be killed in the middle
        embeddings.pace(250);
        ServiceProcess b = service("b", data, env("stub-b"));
        b.awaitUp("database");
        var answers = new CopyOnWriteArrayList<Answer>();
        var live = new AtomicReference<ServiceProcess>(b);
        var searching = new AtomicBoolean(true);
        Thread loop = new Thread(() -> search(live, data, records, answers, searching), "search-loop");
        loop.start();
        try {
            var reindex = b.post("/api/reindex", "{\"mode\": \"full\"}");
            assertThat(reindex.statusCode()).as(reindex.body()).isEqualTo(200);
            await().atMost(Duration.ofMinutes(3)).pollInterval(Duration.ofMillis(200)).until(() -> {
                assertThat(b.alive()).as("the service ended: %s", b.tail()).isTrue();
                return embeddings.texts() >= records * 2 / 4 + records * 2L;
            });
            b.kill();
            Postmaster orphan = Postmaster.of(data);
            assertThat(orphan.text("SELECT generation || '/' || building_generation FROM index_model")).as("live/building when killed").isEqualTo("0/1");
            int beforeKill = answers.size();

            embeddings.pace(0);
            ServiceProcess c = service("c", data, env("stub-b"));
            live.set(c);
            await().atMost(Duration.ofMinutes(4)).pollInterval(Duration.ofMillis(500)).until(() -> {
                assertThat(c.alive()).as("the service ended: %s", c.tail()).isTrue();
                JsonNode stats = c.get("/api/stats");
                return stats != null && stats.path("model").path("generation").asInt() == 1
                        && !stats.path("full_reindex").path("finished_at").isNull() && stats.path("sync").path("in_sync").asBoolean();
            });
            // and a few answers from the new generation
            int switched = answers.size();
            await().atMost(Duration.ofMinutes(1)).until(() -> answers.stream().skip(switched).filter(Answer::answered).count() >= 5);
            searching.set(false);
            loop.join();

            List<Answer> got = answers.stream().filter(Answer::answered).toList();
            assertThat(got).as("searches answered").hasSizeGreaterThan(10);
            assertThat(got).as("answers whose first match was not the record asked for (a half-built generation)").allMatch(Answer::right);
            List<String> models = got.stream().map(x -> embeddings.queryModel(x.tag())).toList();
            int firstNew = models.indexOf("stub-b");
            assertThat(firstNew).as("answers from the new generation").isPositive();
            assertThat(models.subList(0, firstNew)).as("answers before the switch").containsOnly("stub-a");
            assertThat(models.subList(firstNew, models.size())).as("answers after the switch").containsOnly("stub-b");
            assertThat(got.subList(firstNew, got.size())).as("new-generation answers, all after the switch").allMatch(x -> x.generationAfter() == 1);
            assertThat(answers.subList(0, beforeKill).stream().filter(Answer::answered)).as("old-generation answers before the kill").isNotEmpty();
            assertThat(answers.subList(beforeKill, switched).stream().filter(Answer::answered)).as("old-generation answers after the restart").isNotEmpty();

            Postmaster pm = Postmaster.of(data);
            assertThat(pm.text("SELECT generation || '/' || coalesce(building_generation::text, '-') || '/' || model FROM index_model")).isEqualTo("1/-/stub-b");
            Set<String> ids = ids(pm);
            c.stop();
            assertOneVectorPerRecord(data, ids, "prompt-g1", "description-g1");
            try (var index = new LocalPinecone(data.resolve("index"), DIMENSIONS)) {
                assertThat(index.counts().getOrDefault("prompt", 0)).as("vectors left in the old generation").isZero();
            }
        } finally {
            searching.set(false);
            loop.join(30_000);
        }
    }

    /** Searches for random records' prompts until told to stop, through whichever service runs now. */
    private void search(AtomicReference<ServiceProcess> live, Path data, int records, List<Answer> answers, AtomicBoolean searching) {
        var rnd = new Random(7);
        int n = 0;
        while (searching.get()) {
            int i = rnd.nextInt(records);
            String tag = String.valueOf(n++);
            String q = URLEncoder.encode(StubEmbeddings.query(tag, CrashBatch.prompt("reindex", i)), StandardCharsets.UTF_8);
            JsonNode got = live.get().get("/api/search?q=" + q + "&namespace=prompt&top_k=3");
            boolean answered = got != null && got.has("matches");
            boolean right = answered && got.path("matches").size() > 0
                    && got.path("matches").get(0).path("id").asText().equals(CrashBatch.id("reindex", i).toString());
            int generation = -1;
            try {
                Postmaster pm = Postmaster.of(data);
                generation = pm == null ? -1 : (int) pm.count("SELECT generation FROM index_model");
            } catch (Exception e) {
                // the server is being restarted
            }
            answers.add(new Answer(tag, answered, right, generation));
            try {
                Thread.sleep(100);
            } catch (InterruptedException e) {
                return;
            }
        }
    }
}
