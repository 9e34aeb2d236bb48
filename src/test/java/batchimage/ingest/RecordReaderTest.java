package batchimage.ingest;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class RecordReaderTest {

    @TempDir
    Path dir;

    private final ObjectMapper json = new ObjectMapper();

    private RecordReader reader(String content, int batchSize) throws Exception {
        return reader(content.getBytes(StandardCharsets.UTF_8), batchSize);
    }

    private RecordReader reader(byte[] content, int batchSize) throws Exception {
        Path f = dir.resolve("batch_image_data_t_final.json");
        Files.write(f, content);
        return new RecordReader(f, json, new RecordMapper(json, f.getFileName().toString(), ""), batchSize);
    }

    private static String record(int i) {
        return "{\"task_id\": \"%08d-0000-4000-8000-000000000000\", \"prompt\": \"p%d\", \"tags\": \"t\"}".formatted(i, i);
    }

    private static List<Batch> drain(RecordReader r) {
        var out = new ArrayList<Batch>();
        r.forEachRemaining(out::add);
        return out;
    }

    @Test
    void yieldsBatchesOfTheGivenSizeAcrossSubThemes() throws Exception {
        String content = "{\"A\": [" + record(1) + "," + record(2) + "," + record(3) + "], \"B\": [" + record(4) + "," + record(5) + "]}";
        List<Batch> batches = drain(reader(content, 2));
        assertThat(batches).extracting(Batch::entries).containsExactly(2, 2, 1);
        assertThat(batches.get(1).records()).extracting(ImageRecord::subTheme).containsExactly("A", "B");
        assertThat(batches.get(1).records()).extracting(ImageRecord::position).containsExactly(2, 0);
        assertThat(batches.get(2).bytesRead()).isEqualTo(content.length());
    }

    @Test
    void rejectsSubThemesThatAreNotArraysAndEntriesThatAreNotObjects() throws Exception {
        List<Batch> batches = drain(reader("{\"OBJ\": {\"task_id\": \"x\"}, \"OK\": [\"bare string\", 7, " + record(1) + "]}", 10));
        var rejections = batches.get(0).rejections();
        assertThat(rejections).hasSize(3);
        assertThat(rejections.get(0).describe()).isEqualTo("sub-theme 'OBJ': sub-theme 'OBJ' holds an object, expected an array of records");
        assertThat(rejections.get(0).raw()).isEqualTo("{\"task_id\":\"x\"}");
        assertThat(rejections.get(1).describe()).isEqualTo("sub-theme 'OK', index 0: entry is a string, expected a record object");
        assertThat(rejections.get(1).raw()).isEqualTo("\"bare string\"");
        assertThat(rejections.get(2).raw()).isEqualTo("7");
        assertThat(batches.get(0).records()).hasSize(1);
    }

    @Test
    void anEmptyFileIsAnError() {
        assertThatThrownBy(() -> reader("", 10)).isInstanceOf(BatchFileException.class).hasMessageContaining("the file is empty");
        assertThatThrownBy(() -> reader("  \n ", 10)).isInstanceOf(BatchFileException.class).hasMessageContaining("the file is empty");
    }

    @Test
    void aTopLevelArrayIsAnError() {
        assertThatThrownBy(() -> reader("[" + record(1) + "]", 10))
                .isInstanceOf(BatchFileException.class)
                .hasMessageContaining("the top level is an array, expected a JSON object");
    }

    @Test
    void aTruncatedFileNamesLineColumnSubThemeAndRecord() throws Exception {
        var r = reader("{\"A\": [" + record(1) + ",\n" + record(2) + ",\n{\"task_id\": \"abc", 10);
        assertThatThrownBy(() -> drain(r))
                .isInstanceOfSatisfying(BatchFileException.class, e -> {
                    assertThat(e.problem()).contains("ends in the middle of a record");
                    assertThat(e.line()).isEqualTo(3);
                    assertThat(e.where()).isEqualTo("sub-theme 'A', index 2");
                });
        assertThat(r.hasNext()).as("a failed reader stays failed").isFalse();
    }

    @Test
    void latin1BytesAreReportedAsNotUtf8() throws Exception {
        byte[] latin1 = ("{\"L\": [{\"task_id\": \"00000001-0000-4000-8000-000000000000\", \"tags\": \"caf\u00e9\"}]}")
                .getBytes(StandardCharsets.ISO_8859_1);
        var r = reader(latin1, 10);
        assertThatThrownBy(() -> drain(r)).isInstanceOf(BatchFileException.class).hasMessageContaining("not UTF-8");
    }

    @Test
    void aUtf8ByteOrderMarkIsAccepted() throws Exception {
        byte[] body = ("{\"A\": [" + record(1) + "]}").getBytes(StandardCharsets.UTF_8);
        byte[] withBom = new byte[body.length + 3];
        withBom[0] = (byte) 0xEF;
        withBom[1] = (byte) 0xBB;
        withBom[2] = (byte) 0xBF;
        System.arraycopy(body, 0, withBom, 3, body.length);
        assertThat(drain(reader(withBom, 10)).get(0).records()).hasSize(1);
    }

    @Test
    void nestingDeeperThanTheLimitIsAnErrorNotAStackOverflow() throws Exception {
        String deep = "[".repeat(100_000) + "]".repeat(100_000);
        var r = reader("{\"A\": [{\"task_id\": \"00000001-0000-4000-8000-000000000000\", \"x\": " + deep + "}]}", 10);
        assertThatThrownBy(() -> drain(r)).isInstanceOf(BatchFileException.class).hasMessageContaining("nested too deeply");
    }

    @Test
    void contentAfterTheTopLevelObjectIsAnError() throws Exception {
        var r = reader("{\"A\": [" + record(1) + "]} {\"B\": []}", 10);
        assertThatThrownBy(() -> drain(r)).isInstanceOf(BatchFileException.class).hasMessageContaining("after the end of the top-level object");
    }

    @Test
    void keepsLongPromptsEmojiAndCjkExactly() throws Exception {
        String longPrompt = "x".repeat(200_000);
        String content = "{\"A\": [{\"task_id\": \"00000001-0000-4000-8000-000000000000\", \"prompt\": \"" + longPrompt
                + "\"}, {\"task_id\": \"00000002-0000-4000-8000-000000000000\", \"prompt\": \"\u6d77\u8fb9\u7684\u732b \ud83d\udc08\"}]}";
        List<ImageRecord> records = drain(reader(content, 10)).get(0).records();
        assertThat(records.get(0).prompt()).hasSize(200_000);
        assertThat(records.get(1).prompt()).isEqualTo("\u6d77\u8fb9\u7684\u732b \ud83d\udc08");
    }
}
