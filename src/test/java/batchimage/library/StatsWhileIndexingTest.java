package batchimage.library;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import batchimage.app.BatchImage;
import batchimage.support.Api;
import batchimage.support.Cli;
import batchimage.support.TestLibrary;
import batchimage.support.TestPostgres;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.camel.builder.AdviceWith;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The verdict of {@code /api/stats} and {@code batch-image stats} while the index route is at work: the media
 * library (79 records) indexed in batches of 30 by two workers, the second batch to finish held after it has
 * written its vectors to both namespaces and before it marks its records indexed (a latch woven into the
 * index-batch route before its finish step) while the other worker indexes the rest. The vectors of records
 * being indexed are not drift; a vector removed from an indexed record and one of no record, injected
 * meanwhile, are.
 */
class StatsWhileIndexingTest {

    private static final String FILE = "media-library/batch_image_data_media_final.json";
    private static final List<String> NAMESPACES = List.of("prompt", "description");

    private final ObjectMapper json = new ObjectMapper();

    @TempDir
    Path data;

    @Test
    void vectorsWrittenBeforeTheirRecordsAreMarkedAreNoDriftAndRealDriftIsStillReported() throws Exception {
        String db = TestPostgres.newDatabase("stats_indexing");
        var held = new CountDownLatch(1);
        var release = new CountDownLatch(1);
        try (BatchImage app = TestLibrary.service(data, db, Map.of("index.batch-size", "30", "index.workers", "2"))) {
            var batches = new AtomicInteger();
            var heldSize = new AtomicInteger();
            AdviceWith.adviceWith(app.context(), "index-batch", route -> route.weaveByToString(".*method:finish.*").selectFirst().before()
                    .process(ex -> {
                        if (batches.incrementAndGet() == 2) {
                            heldSize.set(ex.getMessage().getBody(batchimage.index.IndexBatch.class).size());
                            held.countDown();
                            release.await(5, TimeUnit.MINUTES);
                        }
                    }));
            String base = "http://127.0.0.1:" + app.settings().get("batch-image.port");
            var api = Api.of(app);
            try {
                assertThat(app.importFile(TestLibrary.copyShared(FILE, data.resolve("input"))).outcome()).isEqualTo("done");
                assertThat(held.await(3, TimeUnit.MINUTES)).as("the second batch reached its finish step").isTrue();
                // the other worker indexes the rest meanwhile: then the held batch alone is being indexed
                await().atMost(Duration.ofMinutes(2)).pollInterval(Duration.ofMillis(100)).until(() ->
                        TestLibrary.count(db, "SELECT count(*) FROM image_library WHERE index_state = 'pending'") == 0
                        && TestLibrary.count(db, "SELECT count(*) FROM image_library WHERE index_state = 'indexing'") == heldSize.get());
                List<String> inFlight = TestLibrary.ids(db, "status = 'active' AND index_state = 'indexing'");
                List<String> indexed = TestLibrary.ids(db, "index_state = 'indexed'");
                assertThat(inFlight).as("records of the held batch").hasSize(heldSize.get());
                assertThat(indexed).as("records of the other batches").hasSize(79 - heldSize.get());

                JsonNode stats = api.get("/api/stats").body();
                assertNoDrift(stats.path("sync"));
                for (String ns : NAMESPACES) {
                    JsonNode n = stats.path("namespaces").path(ns);
                    long written = fetch(api, ns, inFlight).size();
                    assertThat(written).as("%s vectors of the held batch, written and not marked", ns).isPositive();
                    assertThat(n.path("vectors").asLong()).isEqualTo(vectorCount(api, ns));
                    assertThat(n.path("with_vector").asLong()).isEqualTo(withVector(db, ns));
                    assertThat(n.path("vectors").asLong()).as("%s: more vectors than records marked with one", ns)
                            .isEqualTo(n.path("with_vector").asLong() + written);
                    assertThat(n.path("in_flight").path("records").asLong()).isEqualTo(inFlight.size());
                    assertThat(n.path("in_flight").path("with_vector").asLong()).isZero();
                    assertThat(n.path("in_flight").path("vectors").asLong()).isEqualTo(written);
                }
                assertThat(stats.path("sync").path("in_sync").asBoolean()).as("records are pending").isFalse();
                assertThat(stats.path("sync").path("summary").asText())
                        .contains("prompt: " + inFlight.size() + " records pending, " + inFlight.size() + " being indexed now");
                Cli.Run cli = Cli.run(Map.of(), "stats", "--url", base);
                assertThat(cli.exit()).as(cli.err()).isEqualTo(3);
                assertThat(cli.out().lines().findFirst().orElse("")).isEqualTo(stats.path("sync").path("summary").asText());
                assertTableShows(cli.out(), stats);

                // real drift meanwhile: the prompt vector of an indexed record removed, a description vector of no record added
                String lost = indexed.get(0);
                assertThat(api.post("/pinecone/vectors/delete", Map.of("namespace", "prompt", "ids", List.of(lost))).status()).isEqualTo(200);
                JsonNode values = api.get("/pinecone/vectors/fetch?namespace=description&ids=" + indexedWithTags(db)).body()
                        .path("vectors").elements().next().path("values");
                var orphan = Map.of("id", "no-such-record", "values", json.convertValue(values, List.class));
                assertThat(api.post("/pinecone/vectors/upsert", Map.of("namespace", "description", "vectors", List.of(orphan))).status())
                        .isEqualTo(200);
                JsonNode drifted = api.get("/api/stats").body();
                List<String> reasons = reasons(drifted.path("sync"));
                assertThat(drift(reasons, "prompt")).endsWith("(1 missing)").contains("being indexed");
                assertThat(drift(reasons, "description")).endsWith("(1 too many)").contains("being indexed");
                Cli.Run cliDrift = Cli.run(Map.of(), "stats", "--url", base);
                assertThat(cliDrift.out().lines().findFirst().orElse("")).isEqualTo(drifted.path("sync").path("summary").asText())
                        .contains("(1 missing)", "(1 too many)");
                assertTableShows(cliDrift.out(), drifted);
            } finally {
                release.countDown();
            }

            // once indexing is done, the drift injected is all that is left
            await().atMost(Duration.ofMinutes(3)).pollInterval(Duration.ofMillis(300)).until(() ->
                    TestLibrary.count(db, "SELECT count(*) FROM image_library WHERE index_state = 'indexed'") == 79);
            JsonNode after = api.get("/api/stats").body();
            assertThat(reasons(after.path("sync"))).containsExactly(
                    String.format("prompt: %d vectors in the index for %d active records with a vector there (1 missing)",
                            withVector(db, "prompt") - 1, withVector(db, "prompt")),
                    String.format("description: %d vectors in the index for %d active records with a vector there (1 too many)",
                            withVector(db, "description") + 1, withVector(db, "description")));
        }
    }

    private static void assertNoDrift(JsonNode sync) {
        assertThat(reasons(sync)).as("reasons while indexing").noneMatch(r -> r.contains("too many") || r.contains("missing"));
    }

    /** The one reason about a namespace's vector count. */
    private static String drift(List<String> reasons, String ns) {
        List<String> about = reasons.stream().filter(r -> r.startsWith(ns + ": ") && r.contains(" vectors in the index ")).toList();
        assertThat(about).as("%s drift in %s", ns, reasons).hasSize(1);
        return about.get(0);
    }

    private static List<String> reasons(JsonNode sync) {
        var out = new ArrayList<String>();
        sync.path("reasons").forEach(r -> out.add(r.asText()));
        return out;
    }

    /** The CLI's table shows the API's figures: vectors, with vector, pending, failed per namespace. */
    private static void assertTableShows(String out, JsonNode stats) {
        for (String ns : NAMESPACES) {
            JsonNode n = stats.path("namespaces").path(ns);
            assertThat(out.lines().filter(l -> l.startsWith(ns + " ")).findFirst().orElseThrow().trim().split("\\s+"))
                    .startsWith(ns, String.valueOf(n.path("vectors").asLong()), String.valueOf(n.path("with_vector").asLong()),
                            String.valueOf(n.path("pending").asLong()), String.valueOf(n.path("failed").asLong()));
        }
    }

    private static long withVector(String db, String ns) {
        return TestLibrary.count(db, "SELECT count(*) FROM image_library WHERE status = 'active' AND " + ns + "_fp IS NOT NULL");
    }

    private static String indexedWithTags(String db) {
        return TestLibrary.ids(db, "index_state = 'indexed' AND description_fp IS NOT NULL").get(0);
    }

    private static long vectorCount(Api api, String ns) throws Exception {
        return api.post("/pinecone/describe_index_stats", "{}").body().path("namespaces").path(ns).path("vectorCount").asLong(0);
    }

    private static List<String> fetch(Api api, String ns, List<String> ids) throws Exception {
        var found = new ArrayList<String>();
        for (int i = 0; i < ids.size(); i += 50) {
            var q = new StringBuilder("/pinecone/vectors/fetch?namespace=" + ns);
            ids.subList(i, Math.min(ids.size(), i + 50)).forEach(id -> q.append("&ids=").append(id));
            api.get(q.toString()).body().path("vectors").fieldNames().forEachRemaining(found::add);
        }
        return found;
    }
}
