package batchimage.vectors.local;

import batchimage.vectors.VectorRecord;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import batchimage.vectors.FilterParser;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;
import org.apache.lucene.index.SegmentInfos;
import org.apache.lucene.store.FSDirectory;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A namespace opened read-side sees every write its writer acknowledged: the last commit with what the
 * write-ahead log holds on top (a writer killed before it commits leaves only the log), and writes nothing
 * in the folder. The writers here are left open while the reader reads: on disk that is a writer killed.
 */
class ReadSideTest {

    private static final int DIM = 8;

    @TempDir
    Path dir;

    private static float[] vector(String id, int version) {
        var r = new Random(id.hashCode() * 31L + version);
        float[] v = new float[DIM];
        for (int i = 0; i < DIM; i++) {
            v[i] = (float) r.nextGaussian();
        }
        return v;
    }

    private static VectorRecord record(String id, int version) {
        return new VectorRecord(id, vector(id, version), Map.of("version", (double) version, "name", id));
    }

    private static int version(VectorRecord r) {
        return ((Number) r.metadata().get("version")).intValue();
    }

    /** The folder's files with their sizes. */
    private Map<String, Long> files() throws Exception {
        var out = new TreeMap<String, Long>();
        try (Stream<Path> s = Files.list(dir)) {
            for (Path p : s.toList()) {
                out.put(p.getFileName().toString(), Files.size(p));
            }
        }
        return out;
    }

    private long lastCommit() throws Exception {
        try (var d = FSDirectory.open(dir)) {
            return SegmentInfos.getLastCommitGeneration(d);
        }
    }

    @Test
    void theLoggedWritesOfAWriterThatNeverCommittedAreSeen() throws Exception {
        try (var writer = new LuceneNamespace("t", dir)) {
            writer.upsert(List.of(record("a", 0), record("b", 0)));
            writer.upsert(List.of(record("b", 1)));
            assertThat(lastCommit()).as("nothing committed: the log alone holds the writes").isEqualTo(-1);
            Map<String, Long> before = files();
            try (var reader = LuceneNamespace.openReadOnly("t", dir)) {
                assertThat(reader).as("a namespace with logged writes only").isNotNull();
                assertThat(reader.count()).isEqualTo(2);
                assertThat(reader.list(null, null, 10)).containsExactly("a", "b");
                Map<String, VectorRecord> got = reader.fetch(List.of("a", "b"));
                assertThat(version(got.get("b"))).isEqualTo(1);
                assertThat(got.get("b").values()).containsExactly(vector("b", 1));
                assertThat(reader.query(vector("a", 0), 5, null, false, false)).extracting(LuceneNamespace.Match::id)
                        .containsExactlyInAnyOrder("a", "b").first().isEqualTo("a");
            }
            assertThat(files()).as("the read-side wrote nothing in the folder").isEqualTo(before);
        }
    }

    @Test
    void theLogIsAppliedOnTopOfTheLastCommitAsTheWritersRecoveryWould() throws Exception {
        try (var writer = new LuceneNamespace("t", dir)) {
            writer.upsert(List.of(record("a", 0), record("b", 0), record("c", 0)));
            writer.commitNow();
            // after the commit: b replaced, c deleted, d added, a vector of another size refused (but logged)
            writer.upsert(List.of(record("b", 1), record("d", 0)));
            writer.delete(List.of("c"));
            float[] wider = new float[DIM * 2];
            java.util.Arrays.fill(wider, 1f);
            assertThatThrownBy(() -> writer.upsert(List.of(new VectorRecord("x", wider, Map.of()))))
                    .isInstanceOf(IllegalArgumentException.class);
            Map<String, Long> before = files();
            try (var reader = LuceneNamespace.openReadOnly("t", dir)) {
                assertThat(reader.count()).isEqualTo(3);
                assertThat(reader.list(null, null, 10)).containsExactly("a", "b", "d");
                Map<String, VectorRecord> got = reader.fetch(List.of("a", "b", "c", "d", "x"));
                assertThat(got.keySet()).containsExactly("a", "b", "d");
                assertThat(version(got.get("a"))).isZero();
                assertThat(version(got.get("b"))).isEqualTo(1);
                assertThat(got.get("b").values()).containsExactly(vector("b", 1));
                // the old version of b is hidden: a query near it finds b once, as upserted last
                var near = reader.query(vector("b", 0), 10, null, false, true);
                assertThat(near).extracting(LuceneNamespace.Match::id).containsExactlyInAnyOrder("a", "b", "d");
                assertThat(near).filteredOn(m -> m.id().equals("b")).singleElement()
                        .satisfies(m -> assertThat(m.metadata()).containsEntry("version", 1.0));
                var filter = FilterParser.parse(new ObjectMapper().readTree("{\"version\": {\"$eq\": 0}}"));
                assertThat(reader.query(vector("b", 0), 10, filter, false, false)).extracting(LuceneNamespace.Match::id)
                        .containsExactlyInAnyOrder("a", "d");
                assertThat(reader.idsMatching(filter, 10)).containsExactlyInAnyOrder("a", "d");
            }
            assertThat(files()).as("the read-side wrote nothing in the folder").isEqualTo(before);
        }
        // the writer's own recovery agrees
        try (var writer = new LuceneNamespace("t", dir)) {
            assertThat(writer.list(null, null, 10)).containsExactly("a", "b", "d");
            assertThat(version(writer.fetch(List.of("b")).get("b"))).isEqualTo(1);
        }
    }

    @Test
    void aReadSideBesideAWriterFollowsItsWritesAndCommits() throws Exception {
        try (var writer = new LuceneNamespace("t", dir); var reader = openedAfterFirstWrite(writer)) {
            assertThat(reader.count()).isEqualTo(1);
            writer.upsert(List.of(record("b", 0)));
            assertThat(reader.count()).as("logged, not committed").isEqualTo(2);
            writer.commitNow();
            assertThat(reader.count()).as("committed, log dropped").isEqualTo(2);
            writer.delete(List.of("a"));
            assertThat(reader.list(null, null, 10)).containsExactly("b");
            assertThatThrownBy(() -> reader.upsert(List.of(record("c", 0)))).isInstanceOf(IllegalStateException.class)
                    .hasMessageContaining("read-side");
        }
    }

    private LuceneNamespace openedAfterFirstWrite(LuceneNamespace writer) {
        writer.upsert(List.of(record("a", 0)));
        return LuceneNamespace.openReadOnly("t", dir);
    }

    /**
     * A writer adding records and committing every so often while a reader counts them: each count holds
     * every record acknowledged before it began and none that was not yet being written, whenever the commits
     * and the dropping of the logs they cover fall.
     */
    @Test
    void countsBesideAWriterThatCommitsNeverMissAnAcknowledgedWrite() throws Exception {
        int total = 1500;
        var acknowledged = new AtomicInteger();
        var done = new AtomicBoolean();
        var failures = new CopyOnWriteArrayList<Throwable>();
        try (var writer = new LuceneNamespace("t", dir)) {
            writer.upsert(List.of(record("r-0", 0)));
            acknowledged.set(1);
            Thread w = new Thread(() -> {
                try {
                    for (int i = 1; i < total; i++) {
                        writer.upsert(List.of(record("r-" + i, 0)));
                        acknowledged.set(i + 1);
                        if (i % 40 == 0) {
                            writer.commitNow();
                        }
                    }
                } catch (Throwable t) {
                    failures.add(t);
                } finally {
                    done.set(true);
                }
            }, "writer");
            var counts = new ArrayList<Integer>();
            try (var reader = LuceneNamespace.openReadOnly("t", dir)) {
                w.start();
                while (!done.get()) {
                    int low = acknowledged.get();
                    int n = reader.count();
                    int high = acknowledged.get() + 1;
                    assertThat(n).as("count between %d acknowledged before and %d being written after", low, high).isBetween(low, high);
                    counts.add(n);
                }
                w.join();
                assertThat(failures).isEmpty();
                assertThat(reader.count()).isEqualTo(total);
            }
            assertThat(counts).as("reads made while the writer ran").hasSizeGreaterThan(10);
        }
    }
}
