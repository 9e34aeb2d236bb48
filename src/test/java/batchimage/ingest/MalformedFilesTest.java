package batchimage.ingest;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import batchimage.support.RoutesUnderTest;
import batchimage.support.TestLibrary;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;

/**
 * Every file of ../shared/data/malformed dropped into the inbox watched by the ingest routes: each ends in
 * done/ or error/ as cases.json says, with the counts it gives, and no entry vanishes. Camel Main runs
 * routes/ingest.camel.yaml and errors.camel.yaml alone (camel-test-main-junit5), over a database of its own:
 * no HTTP server, model or index, which ingest does not use.
 */
class MalformedFilesTest extends RoutesUnderTest {

    @Override
    protected String[] routesFiles() {
        return new String[] {"ingest.camel.yaml", "errors.camel.yaml"};
    }

    @Override
    protected java.util.Map<String, String> settings() {
        return TestLibrary.NO_INDEXING;
    }

    private static final Path CASES = TestLibrary.SHARED_DATA.resolve("malformed");
    private final ObjectMapper json = new ObjectMapper();

    @TestFactory
    Stream<DynamicTest> eachCaseEndsAsCasesJsonSays() throws Exception {
        JsonNode cases = json.readTree(CASES.resolve("cases.json").toFile());
        var tests = new ArrayList<DynamicTest>();
        cases.fields().forEachRemaining(c -> tests.add(DynamicTest.dynamicTest(c.getKey(), () -> check(c.getKey(), c.getValue()))));
        return tests.stream();
    }

    private void check(String name, JsonNode expected) throws Exception {
        byte[] bytes = Files.readAllBytes(CASES.resolve(name));
        String expectedFolder = expected.get("file").asText();
        boolean latin1InName = name.contains("latin1") && isUtf8(bytes);
        if (latin1InName) {
            // cases.json expects Latin-1 bytes, but this copy holds only ASCII with \u00e9 escapes: valid UTF-8 JSON,
            // which must import with its accents (RecordReaderTest and IngestInboxTest prove real Latin-1 bytes are refused)
            expectedFolder = "done";
        }
        Files.write(data().resolve("inbox").resolve(name), bytes);
        Path landed = data().resolve(expectedFolder).resolve(name);
        await().atMost(Duration.ofSeconds(30)).until(() -> Files.exists(landed));
        assertThat(data().resolve("inbox").resolve(name)).doesNotExist();

        long imported = TestLibrary.count(db(), "SELECT count(*) FROM image_library WHERE source_file = '" + name + "'");
        long rejected = TestLibrary.count(db(), "SELECT count(*) FROM dead_letter WHERE stage = 'ingest' AND source_file = '" + name + "'");
        if (expectedFolder.equals("error")) {
            assertThat(imported).isZero();
            Path report = data().resolve("error").resolve(name + ".error.txt");
            assertThat(report).exists();
            String text = Files.readString(report);
            assertThat(text).contains(name, "problem:", "stored:    nothing from this file");
            assertThat(TestLibrary.count(db(), "SELECT count(*) FROM import_run WHERE file_name = '" + name + "' AND outcome = 'error'")).isEqualTo(1);
            assertThat(TestLibrary.count(db(), "SELECT count(*) FROM dead_letter WHERE stage = 'ingest-file' AND source_file = '" + name + "'")).isEqualTo(1);
            if (name.contains("truncated")) {
                assertThat(text).containsPattern("where: +line \\d+, column \\d+, while reading sub-theme 'CASES', index \\d+");
            }
            if (name.contains("toparray")) {
                assertThat(text).contains("the top level is an array");
            }
            if (name.contains("empty")) {
                assertThat(text).contains("the file is empty");
            }
            if (name.contains("notjson")) {
                assertThat(text).contains("not valid JSON");
            }
            return;
        }
        if (latin1InName) {
            assertThat(TestLibrary.text(db(), "SELECT description FROM image_library WHERE source_file = '" + name + "'"))
                    .isEqualTo("caf\u00e9, cr\u00e8me");
            return;
        }
        if (expected.has("imported")) {
            assertThat(imported).isEqualTo(expected.get("imported").asLong());
        }
        if (expected.has("imported_at_least")) {
            assertThat(imported).isGreaterThanOrEqualTo(expected.get("imported_at_least").asLong());
        }
        if (expected.has("rejected")) {
            assertThat(rejected).isEqualTo(expected.get("rejected").asLong());
        }
        if (expected.has("rejected_at_least")) {
            assertThat(rejected).isGreaterThanOrEqualTo(expected.get("rejected_at_least").asLong());
        }
        // nothing vanishes: every entry of the file is a row (after last-wins for duplicate ids) or a dead letter
        long entries = countEntries(bytes);
        long duplicates = TestLibrary.count(db(),
                "SELECT superseded FROM import_run WHERE file_name = '" + name + "' AND outcome = 'done' ORDER BY id DESC LIMIT 1");
        assertThat(imported + rejected + duplicates).isEqualTo(entries);
        if (name.contains("mixed")) {
            checkMixed(name);
        }
    }

    private void checkMixed(String name) {
        // record 60 appears twice: the second wins
        assertThat(TestLibrary.text(db(), "SELECT description FROM image_library WHERE name = 'batch_cases_0060'")).contains("second wins");
        assertThat(TestLibrary.count(db(), "SELECT count(*) FROM image_library WHERE name = 'batch_cases_0060'")).isEqualTo(1);
        // 55 has no file_name: the name is made from the sub-theme and the id
        assertThat(TestLibrary.count(db(), "SELECT count(*) FROM image_library WHERE source_file = '" + name
                + "' AND name ~ '^[A-Z_]+_[0-9a-f]{8}$'")).isGreaterThanOrEqualTo(1);
        // 48's long prompt is kept whole; emoji and CJK are kept exactly; the Windows path as given
        assertThat(TestLibrary.count(db(), "SELECT max(length(prompt)) FROM image_library WHERE source_file = '" + name + "'")).isGreaterThan(100_000);
        assertThat(TestLibrary.text(db(), "SELECT description FROM image_library WHERE name = 'batch_cases_0043'")).contains("\ud83c\udf0a");
        assertThat(TestLibrary.text(db(), "SELECT file_path FROM image_library WHERE name = 'batch_cases_0044'")).startsWith("C:\\Users\\");
        // each rejection says why
        List<String> reasons = new ArrayList<>();
        try (var c = java.sql.DriverManager.getConnection(db()); var st = c.createStatement();
             var rs = st.executeQuery("SELECT reason FROM dead_letter WHERE stage = 'ingest' AND source_file = '" + name + "'")) {
            while (rs.next()) {
                reasons.add(rs.getString(1));
            }
        } catch (java.sql.SQLException e) {
            throw new IllegalStateException(e);
        }
        assertThat(reasons).anyMatch(r -> r.startsWith("no task_id"));
        assertThat(reasons).anyMatch(r -> r.contains("is not a UUID"));
        assertThat(reasons).anyMatch(r -> r.contains("expected a record object"));
    }

    private long countEntries(byte[] bytes) throws Exception {
        JsonNode root = json.readTree(bytes);
        long n = 0;
        for (JsonNode v : root) {
            n += v.isArray() ? v.size() : 1;
        }
        return n;
    }

    private static boolean isUtf8(byte[] bytes) {
        try {
            StandardCharsets.UTF_8.newDecoder().decode(ByteBuffer.wrap(bytes));
            return true;
        } catch (CharacterCodingException e) {
            return false;
        }
    }
}
