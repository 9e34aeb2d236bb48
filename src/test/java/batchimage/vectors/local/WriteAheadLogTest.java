package batchimage.vectors.local;

import batchimage.vectors.VectorRecord;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class WriteAheadLogTest {

    @TempDir
    Path dir;

    private static VectorRecord record(String id, float x) {
        return new VectorRecord(id, new float[] {x, 1 - x, 0.5f}, Map.of("theme", "café", "n", 3, "tags", List.of("a", "b")));
    }

    private List<WriteAheadLog.Entry> replayAll() {
        var seen = new ArrayList<WriteAheadLog.Entry>();
        try (var log = new WriteAheadLog(dir)) {
            log.replayLeftOver(seen::add);
        }
        return seen;
    }

    @Test
    void entriesComeBackInOrderWithTheirValuesAndMetadata() {
        try (var log = new WriteAheadLog(dir)) {
            log.append(new WriteAheadLog.Upsert(List.of(record("a", 0.25f), record("b", 0.75f))));
            log.append(new WriteAheadLog.Delete(List.of("a")));
        }
        var seen = replayAll();
        assertThat(seen).hasSize(2);
        var up = (WriteAheadLog.Upsert) seen.get(0);
        assertThat(up.records()).extracting(VectorRecord::id).containsExactly("a", "b");
        assertThat(up.records().get(1).values()).containsExactly(0.75f, 0.25f, 0.5f);
        assertThat(up.records().get(0).metadata()).containsEntry("theme", "café").containsEntry("n", 3)
                .containsEntry("tags", List.of("a", "b"));
        assertThat(((WriteAheadLog.Delete) seen.get(1)).ids()).containsExactly("a");
    }

    @Test
    void aTornLastEntryEndsTheReplayAndEverythingBeforeItSurvives() throws Exception {
        try (var log = new WriteAheadLog(dir)) {
            log.append(new WriteAheadLog.Upsert(List.of(record("a", 0.1f))));
            log.append(new WriteAheadLog.Upsert(List.of(record("b", 0.2f))));
        }
        Path file;
        try (var files = Files.list(dir)) {
            file = files.filter(p -> Files.isRegularFile(p)).findFirst().orElseThrow();
        }
        // a crash in the middle of the third write: its frame header and half its payload
        byte[] third = WriteAheadLog.encode(new WriteAheadLog.Upsert(List.of(record("c", 0.3f))));
        var torn = java.nio.ByteBuffer.allocate(12 + third.length / 2).putInt(third.length).putLong(42L)
                .put(third, 0, third.length / 2).array();
        Files.write(file, torn, StandardOpenOption.APPEND);

        var seen = replayAll();
        assertThat(seen).hasSize(2);
        assertThat(seen).map(e -> ((WriteAheadLog.Upsert) e).records().get(0).id()).containsExactly("a", "b");
    }

    @Test
    void aCorruptEntryIsNotApplied() throws Exception {
        try (var log = new WriteAheadLog(dir)) {
            log.append(new WriteAheadLog.Upsert(List.of(record("a", 0.1f))));
        }
        Path file;
        try (var files = Files.list(dir)) {
            file = files.filter(p -> Files.isRegularFile(p)).findFirst().orElseThrow();
        }
        byte[] bytes = Files.readAllBytes(file);
        bytes[bytes.length - 3] ^= 0x55;
        Files.write(file, bytes);
        assertThat(replayAll()).isEmpty();
    }

    @Test
    void rotatedGenerationsAreDeletedOnceCoveredAndNewerOnesReplayed() {
        try (var log = new WriteAheadLog(dir)) {
            log.append(new WriteAheadLog.Upsert(List.of(record("old", 0.1f))));
            long covered = log.rotate();
            log.append(new WriteAheadLog.Upsert(List.of(record("new", 0.2f))));
            log.deleteUpTo(covered);
        }
        var seen = replayAll();
        assertThat(seen).map(e -> ((WriteAheadLog.Upsert) e).records().get(0).id()).containsExactly("new");
    }
}
