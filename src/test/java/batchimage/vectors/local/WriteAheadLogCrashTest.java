package batchimage.vectors.local;

import static org.assertj.core.api.Assertions.assertThat;

import batchimage.vectors.VectorRecord;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * What a namespace's folder holds after a crash at the worst moments of a commit, taken as a copy of the folder made
 * while the writer still runs (a crash leaves the files as they are; the copy is what the next process opens).
 */
class WriteAheadLogCrashTest {

    @TempDir
    Path work;

    private static VectorRecord record(String id) {
        return new VectorRecord(id, new float[] {0.6f, 0.8f, 0f}, Map.of("theme", "t"));
    }

    /** The folder as a crash right now would leave it. */
    private static Path crashCopy(Path dir, Path to) throws IOException {
        Files.createDirectories(to);
        try (Stream<Path> files = Files.list(dir)) {
            for (Path f : files.filter(p -> !p.getFileName().toString().equals("write.lock")).toList()) {
                Files.copy(f, to.resolve(f.getFileName()));
            }
        }
        return to;
    }

    private static List<Path> logs(Path dir) throws IOException {
        try (Stream<Path> files = Files.list(dir)) {
            return files.filter(p -> p.getFileName().toString().startsWith("batch-image-wal-")).sorted().toList();
        }
    }

    @Test
    void aLogGenerationACommitHoldsIsNotReplayedOverALaterDeleteByFilter() throws Exception {
        Path dir = work.resolve("ns");
        Path before = work.resolve("logs-before-the-delete");
        try (var ns = new LuceneNamespace("t", dir)) {
            ns.upsert(List.of(record("a"), record("b")));
            // the log of these upserts, as it was before the delete's commit deleted it
            crashCopy(dir, before);
            ns.deleteMatching(null);
            assertThat(ns.count()).isZero();
            // a crash after the delete's commit and before its log generations were deleted
            Path crashed = crashCopy(dir, work.resolve("crashed"));
            for (Path log : logs(before)) {
                Files.copy(log, crashed.resolve(log.getFileName()), java.nio.file.StandardCopyOption.REPLACE_EXISTING);
            }
            assertThat(logs(crashed)).isNotEmpty();
            try (var reopened = new LuceneNamespace("t", crashed)) {
                assertThat(reopened.count()).as("vectors deleted by a committed delete come back from the old log").isZero();
            }
        }
    }

    @Test
    void writesAfterARestartAreLoggedInGenerationsNoCommitHolds() throws Exception {
        Path dir = work.resolve("ns");
        try (var ns = new LuceneNamespace("t", dir)) {
            for (int i = 0; i < 3; i++) {
                ns.upsert(List.of(record("r" + i)));
                ns.commitNow();
            }
        }
        try (var ns = new LuceneNamespace("t", dir)) {
            // acknowledged (logged and forced), not committed, when the process dies
            ns.upsert(List.of(record("late")));
            Path crashed = crashCopy(dir, work.resolve("crashed"));
            try (var reopened = new LuceneNamespace("t", crashed)) {
                assertThat(reopened.fetch(List.of("late"))).as("an acknowledged upsert after a restart").containsKey("late");
                assertThat(reopened.count()).isEqualTo(4);
            }
        }
    }
}
