package batchimage.library;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import batchimage.vectors.local.UpsertUntilKilled;
import batchimage.support.ChildJvm;
import batchimage.support.Cli;
import batchimage.support.TestLibrary;
import batchimage.support.TestPostgres;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code batch-image stats} with no service running, after the process writing the local index was killed
 * before it ever committed Lucene: every vector it acknowledged is in its write-ahead log only, and the
 * stats, which read the index read-side in their own process, count them all.
 */
class OfflineStatsAfterCrashTest {

    /** The local model's vector size: the stats' process opens the index with it. */
    private static final int DIMENSIONS = 384;

    private final ObjectMapper json = new ObjectMapper();

    @TempDir
    Path work;

    @Test
    void offlineStatsCountEveryVectorAcknowledgedBeforeTheWriterWasKilled() throws Exception {
        Path data = work.resolve("data");
        Path folder = data.resolve("index").resolve("prompt");
        Set<String> acked = new HashSet<>();
        Set<String> inFlight = new HashSet<>();
        try (var writer = ChildJvm.start(work, "writer", Map.of(), UpsertUntilKilled.class.getName(),
                data.resolve("index").toString(), String.valueOf(DIMENSIONS), "prompt")) {
            await().atMost(Duration.ofMinutes(2)).pollInterval(Duration.ofMillis(50)).until(() -> {
                assertThat(writer.isAlive()).as("the writer stopped by itself: %s", writer.tail()).isTrue();
                return writer.lines().stream().filter(l -> l.startsWith("ACK ")).count() >= 200;
            });
            assertThat(writer.kill()).as("killed by SIGKILL").isEqualTo(128 + 9);
            // the ids of every call acknowledged, and of the one under way at the kill (if any)
            for (String line : writer.lines()) {
                String[] parts = line.split(" ");
                var ids = new HashSet<String>();
                for (int i = 2; i < parts.length; i++) {
                    ids.add(parts[i].substring(0, parts[i].lastIndexOf(':')));
                }
                if (parts[0].equals("TRY")) {
                    inFlight = ids;
                } else {
                    acked.addAll(ids);
                    inFlight = new HashSet<>();
                }
            }
        }
        inFlight.removeAll(acked);
        assertThat(acked).hasSizeGreaterThanOrEqualTo(600);
        try (Stream<Path> files = Files.list(folder)) {
            assertThat(files.map(p -> p.getFileName().toString()))
                    .as("the writer never committed: its write-ahead log alone holds the vectors")
                    .noneMatch(n -> n.startsWith("segments_")).anyMatch(n -> n.startsWith("batch-image-wal-"));
        }
        var before = listing(data.resolve("index"));

        String nobody = "http://127.0.0.1:" + TestLibrary.freePort();
        var env = Map.of("DATABASE_URL", TestPostgres.newDatabase("offline_stats"), "LOCAL_EMBEDDINGS_PRELOAD", "");
        Cli.Run run = Cli.run(env, "stats", "--json", "--data", data.toString(), "--url", nobody);
        assertThat(run.err()).contains("no service answers at " + nobody);
        assertThat(run.exit()).as(run.err() + run.out()).isIn(0, 3);
        JsonNode stats = json.readTree(run.out());
        long vectors = stats.path("namespaces").path("prompt").path("vectors").asLong(-1);
        assertThat(vectors).as("prompt vectors in the stats: %s", stats.path("index"))
                .isBetween((long) acked.size(), (long) acked.size() + inFlight.size());
        assertThat(stats.path("index").path("namespaces").path("prompt").asLong()).isEqualTo(vectors);
        assertThat(stats.path("index").path("dimension").asInt()).isEqualTo(DIMENSIONS);
        // the library holds no record: each vector is one too many, and the verdict says so
        assertThat(stats.path("sync").path("summary").asText())
                .contains(String.format("prompt: %,d vectors in the index for 0 active records with a vector there (%,d too many)", vectors, vectors));

        assertThat(listing(data.resolve("index"))).as("the stats' process wrote nothing in the index folder").isEqualTo(before);
    }

    private static Map<String, Long> listing(Path root) throws Exception {
        var out = new java.util.TreeMap<String, Long>();
        try (Stream<Path> files = Files.walk(root)) {
            for (Path p : files.filter(Files::isRegularFile).toList()) {
                out.put(root.relativize(p).toString(), Files.size(p));
            }
        }
        return out;
    }
}
