package batchimage.vectors.local;

import batchimage.vectors.VectorRecord;

import static org.assertj.core.api.Assertions.assertThat;

import batchimage.vectors.FilterParser;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class LuceneNamespaceTest {

    @TempDir
    Path dir;

    private static float[] random(Random r, int dim) {
        float[] v = new float[dim];
        for (int i = 0; i < dim; i++) {
            v[i] = (float) r.nextGaussian();
        }
        return v;
    }

    private long logBytes() throws Exception {
        try (Stream<Path> files = Files.list(dir)) {
            return files.filter(p -> p.getFileName().toString().startsWith("batch-image-wal-")).mapToLong(p -> p.toFile().length()).sum();
        }
    }

    @Test
    void writesAreLoggedUntilACommitAndThenTheLogIsDropped() throws Exception {
        var r = new Random(1);
        try (var ns = new LuceneNamespace("t", dir)) {
            ns.upsert(List.of(new VectorRecord("a", random(r, 8), Map.of("k", "v"))));
            ns.delete(List.of("nothing-such"));
            assertThat(logBytes()).isPositive();
            // written a moment ago: not idle yet, and the log is small
            assertThat(ns.commitIfDue()).isFalse();
            ns.commitNow();
            assertThat(logBytes()).isZero();
            assertThat(ns.commitIfDue()).as("nothing written since").isFalse();
            assertThat(ns.count()).isEqualTo(1);
        }
        try (var ns = new LuceneNamespace("t", dir)) {
            assertThat(ns.fetch(List.of("a"))).containsKey("a");
        }
    }

    @Test
    void aReadSideBesideTheWriterSeesWhatItAcknowledgedAndRefusesWrites() throws Exception {
        var r = new Random(2);
        assertThat(LuceneNamespace.openReadOnly("t", dir)).as("no index yet").isNull();
        try (var writer = new LuceneNamespace("t", dir)) {
            writer.upsert(List.of(new VectorRecord("a", random(r, 8), Map.of("k", "v"))));
            writer.commitNow();
            try (var reader = LuceneNamespace.openReadOnly("t", dir)) {
                assertThat(reader.readOnly()).isTrue();
                assertThat(reader.fetch(List.of("a"))).containsKey("a");
                writer.upsert(List.of(new VectorRecord("b", random(r, 8), Map.of("k", "w"))));
                assertThat(reader.count()).as("logged, not committed yet: acknowledged all the same").isEqualTo(2);
                writer.commitNow();
                assertThat(reader.count()).isEqualTo(2);
                assertThat(reader.query(random(r, 8), 5, FilterParser.parse(new ObjectMapper().readTree("{\"k\": \"w\"}")), false, true))
                        .extracting(LuceneNamespace.Match::id).containsExactly("b");
                org.assertj.core.api.Assertions.assertThatThrownBy(() -> reader.delete(List.of("a")))
                        .isInstanceOf(IllegalStateException.class).hasMessageContaining("read-side");
            }
            assertThat(writer.count()).isEqualTo(2);
        }
        try (var index = LocalPinecone.readOnly(dir.getParent(), 8)) {
            assertThat(index.namespace("not-there", true)).isNull();
            assertThat(Files.exists(dir.getParent().resolve("not-there"))).isFalse();
        }
    }

    @Test
    void aWriteIsSeenByTheReadAfterItWhileOtherReadsRefreshTheSearcher() throws Exception {
        var r = new Random(7);
        try (var ns = new LuceneNamespace("t", dir)) {
            ns.upsert(List.of(new VectorRecord("seed", random(r, 8), Map.of())));
            var stop = new java.util.concurrent.atomic.AtomicBoolean();
            // readers that keep refreshing the searcher, as health probes and other requests do beside a client
            var readers = new ArrayList<Thread>();
            for (int t = 0; t < 3; t++) {
                var reader = new Thread(() -> {
                    while (!stop.get()) {
                        ns.fetch(List.of("seed"));
                    }
                });
                reader.start();
                readers.add(reader);
            }
            int missed = 0;
            try {
                for (int i = 0; i < 500; i++) {
                    String id = "w" + i;
                    ns.upsert(List.of(new VectorRecord(id, random(r, 8), Map.of())));
                    if (!ns.fetch(List.of(id)).containsKey(id)) {
                        missed++;
                    }
                }
            } finally {
                stop.set(true);
                for (Thread reader : readers) {
                    reader.join();
                }
            }
            assertThat(missed).as("acknowledged upserts a fetch right after did not see").isZero();
        }
    }

    @Test
    void fetchGivesBackTheValuesAsUpsertedAndScoresAreCosines() {
        float[] v = {3f, 4f, 0f};
        try (var ns = new LuceneNamespace("t", dir)) {
            ns.upsert(List.of(new VectorRecord("a", v, Map.of()), new VectorRecord("b", new float[] {-3f, -4f, 0f}, Map.of())));
            assertThat(ns.fetch(List.of("a")).get("a").values()).containsExactly(3f, 4f, 0f);
            var matches = ns.query(new float[] {0.6f, 0.8f, 0f}, 2, null, true, false);
            assertThat(matches).extracting(LuceneNamespace.Match::id).containsExactly("a", "b");
            assertThat(matches.get(0).score()).isCloseTo(1.0, org.assertj.core.data.Offset.offset(1e-6));
            assertThat(matches.get(1).score()).isCloseTo(-1.0, org.assertj.core.data.Offset.offset(1e-6));
            assertThat(matches.get(0).values()).containsExactly(3f, 4f, 0f);
        }
    }

    /**
     * A filter matching more than the exact-search limit goes through the graph, one matching fewer goes
     * through every matching vector: both give the filtered nearest neighbours of exact search.
     */
    @Test
    void filteredQueriesFindTheExactNeighboursOnBothPaths() throws Exception {
        int dim = 16;
        int n = 25_000;
        var r = new Random(7);
        var vectors = new float[n][];
        var records = new ArrayList<VectorRecord>(n);
        for (int i = 0; i < n; i++) {
            vectors[i] = random(r, dim);
            // 'big' matches 22,000 (over the limit), 'small' 3,000
            records.add(new VectorRecord("v" + i, vectors[i], Map.of("part", i < 22_000 ? "big" : "small")));
        }
        var json = new ObjectMapper();
        try (var ns = new LuceneNamespace("t", dir)) {
            ns.exactSearchLimit(20_000);
            for (int i = 0; i < n; i += 1000) {
                ns.upsert(records.subList(i, i + 1000));
            }
            for (String part : List.of("big", "small")) {
                var filter = FilterParser.parse(json.readTree("{\"part\": \"" + part + "\"}"));
                int hits = 0;
                for (int q = 0; q < 20; q++) {
                    float[] query = random(r, dim);
                    var got = ns.query(query, 10, filter, false, true);
                    assertThat(got).hasSize(10).allSatisfy(m -> assertThat(m.metadata()).containsEntry("part", part));
                    var exact = exactTop10(vectors, query, part.equals("big") ? 0 : 22_000, part.equals("big") ? 22_000 : n);
                    hits += (int) got.stream().filter(m -> exact.contains(m.id())).count();
                }
                double recall = hits / 200.0;
                if (part.equals("small")) {
                    assertThat(recall).as("exact path").isEqualTo(1.0);
                } else {
                    assertThat(recall).as("graph path").isGreaterThan(0.9);
                }
            }
        }
    }

    private static List<String> exactTop10(float[][] vectors, float[] q, int from, int to) {
        var ids = new ArrayList<Integer>();
        for (int i = from; i < to; i++) {
            ids.add(i);
        }
        ids.sort(Comparator.comparingDouble(i -> -cos(vectors[i], q)));
        return ids.subList(0, 10).stream().map(i -> "v" + i).toList();
    }

    /** Cosine in double precision: what the index's scores are checked against (also ExactScanTest). */
    static double cos(float[] a, float[] b) {
        double d = 0;
        double na = 0;
        double nb = 0;
        for (int i = 0; i < a.length; i++) {
            d += a[i] * b[i];
            na += a[i] * a[i];
            nb += b[i] * b[i];
        }
        return d / Math.sqrt(na * nb);
    }
    @Test
    void listingWalksTheIdsInByteOrderAcrossSegmentsAndSkipsReplacedAndDeletedDocuments() throws Exception {
        var r = new Random(5);
        try (var ns = new LuceneNamespace("t", dir)) {
            var expected = new java.util.TreeSet<String>();
            for (int seg = 0; seg < 3; seg++) {
                var batch = new ArrayList<VectorRecord>();
                for (int i = 0; i < 40; i++) {
                    String id = (i % 3 == 0 ? "b-" : "a-") + (seg * 40 + i);
                    batch.add(new VectorRecord(id, random(r, 8), Map.of()));
                    expected.add(id);
                }
                ns.upsert(batch);
                // a segment per round, each replacing some ids of the last
                ns.commitNow();
                if (seg > 0) {
                    ns.upsert(List.of(new VectorRecord("a-" + ((seg - 1) * 40 + 1), random(r, 8), Map.of())));
                }
            }
            ns.delete(List.of("a-1", "b-60", "not-there"));
            expected.remove("a-1");
            expected.remove("b-60");
            // page through with a small limit, as the Pinecone API does
            var seen = new ArrayList<String>();
            String after = null;
            List<String> page;
            do {
                page = ns.list(null, after, 7);
                seen.addAll(page);
                after = page.isEmpty() ? null : page.get(page.size() - 1);
            } while (page.size() == 7);
            assertThat(seen).containsExactlyElementsOf(expected);
            // a prefix, from the start and from an id before or inside it
            var bs = expected.stream().filter(id -> id.startsWith("b-")).toList();
            assertThat(ns.list("b-", null, 1000)).containsExactlyElementsOf(bs);
            assertThat(ns.list("b-", "a-5", 1000)).containsExactlyElementsOf(bs);
            assertThat(ns.list("b-", bs.get(3), 2)).containsExactly(bs.get(4), bs.get(5));
            assertThat(ns.list("c-", null, 10)).isEmpty();
            assertThat(ns.list(null, "zzz", 10)).isEmpty();
        }
    }
}
