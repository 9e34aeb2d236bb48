package batchimage.index;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import batchimage.app.BatchImage;
import batchimage.support.TestLibrary;
import batchimage.support.TestPostgres;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A record waiting for its next attempt after failures (next_attempt_at in the future) whose text a re-import
 * changes is indexed at once: the import starts its attempts over. Records the import leaves unchanged keep waiting.
 */
class ReimportRetriesAtOnceTest {

    private static final String FILE = "media-library/batch_image_data_media_final.json";
    private static final int RECORDS = 79;

    private final ObjectMapper json = new ObjectMapper();

    @TempDir
    Path data;

    @Test
    void aRecordWaitingForItsRetryIsIndexedAtOnceWhenAReimportChangesItsText() throws Exception {
        String db = TestPostgres.newDatabase("reimport_retry");
        try (BatchImage app = TestLibrary.service(data, db, Map.of("enrich.enabled", "false"))) {
            Path file = TestLibrary.copyShared(FILE, data.resolve("input"));
            assertThat(app.importFile(file).outcome()).isEqualTo("done");
            await().atMost(Duration.ofMinutes(1))
                    .until(() -> TestLibrary.count(db, "SELECT count(*) FROM image_library WHERE index_state = 'indexed'") == RECORDS);

            // as after an outage: every record failed three times and waits an hour for its next attempt
            TestLibrary.execute(db, "UPDATE image_library SET index_state = 'pending', index_attempts = 3,"
                    + " index_error = 'embeddings: the endpoint answered 503', next_attempt_at = now() + interval '1 hour'");

            // the same file again, one record's prompt changed
            var doc = (ObjectNode) json.readTree(file.toFile());
            var record = (ObjectNode) doc.path("ACCESSORY").get(0);
            String id = record.path("task_id").asText();
            record.put("prompt", "Many pieces of luggage stacked on a cart in an airport hall.");
            Path changed = Files.createDirectories(data.resolve("again")).resolve(file.getFileName());
            json.writeValue(changed.toFile(), doc);
            var again = app.importFile(changed);
            assertThat(again.outcome()).isEqualTo("done");
            assertThat(again.updated()).isEqualTo(1);

            await().atMost(Duration.ofMinutes(1)).until(() -> TestLibrary.count(db,
                    "SELECT count(*) FROM image_library WHERE id = '" + id + "' AND index_state = 'indexed'") == 1);
            assertThat(TestLibrary.text(db, "SELECT index_attempts || ' ' || coalesce(index_error, '-') FROM image_library WHERE id = '" + id + "'"))
                    .isEqualTo("0 -");
            assertThat(TestLibrary.count(db, "SELECT count(*) FROM image_library WHERE id <> '" + id + "' AND index_state = 'pending'"
                    + " AND index_attempts = 3 AND next_attempt_at > now()")).isEqualTo(RECORDS - 1);
        }
    }
}
