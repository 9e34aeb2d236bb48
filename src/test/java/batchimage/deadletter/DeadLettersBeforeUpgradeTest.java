package batchimage.deadletter;

import static org.assertj.core.api.Assertions.assertThat;

import batchimage.app.BatchImage;
import batchimage.support.TestLibrary;
import batchimage.support.TestPostgres;
import java.nio.file.Path;
import org.flywaydb.core.Flyway;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Open index dead letters written before dead letters could heal (schema version 7): the upgrade finds the records
 * they name, resolves those whose records were all indexed since, and leaves the others open, to heal later.
 */
class DeadLettersBeforeUpgradeTest {

    private static final String INDEXED = "11111111-1111-4111-8111-111111111111";
    private static final String ALSO_INDEXED = "22222222-2222-4222-8222-222222222222";
    private static final String PENDING = "33333333-3333-4333-8333-333333333333";

    private static final String ROWS = """
            INSERT INTO image_library (id, name, prompt, index_state, indexed_at) VALUES
              ('%1$s', 'one', 'one', 'indexed', now()),
              ('%2$s', 'two', 'two', 'indexed', now()),
              ('%3$s', 'three', 'three', 'pending', NULL);
            INSERT INTO dead_letter (id, created_at, stage, reason, raw) VALUES
              (1, now() - interval '1 hour', 'index', 'embeddings: connection refused', '{"route":"index-batch","records":["%1$s","%2$s"]}'),
              (2, now() - interval '1 hour', 'index-prompt', 'prompt: 503', '{"route":"upsert-prompt","namespace":"prompt","records":["%2$s","%3$s"]}'),
              (3, now() - interval '1 hour', 'index', 'a raw that is not JSON', 'not json at all'),
              (4, now() - interval '1 hour', 'ingest', 'task_id is not a UUID', '{"task_id": "x"'),
              (5, now() + interval '1 hour', 'index', 'written after the records were indexed', '{"route":"index-batch","records":["%1$s"]}');
            """.formatted(INDEXED, ALSO_INDEXED, PENDING);

    @Test
    void theUpgradeResolvesTheLettersWhoseRecordsWereIndexedSinceAndKeepsTheOthersOpen(@TempDir Path data) {
        String db = TestPostgres.newDatabase("heal_upgrade");
        Flyway.configure().dataSource(db, null, null).locations("classpath:db/migration").target("7").load().migrate();
        TestLibrary.execute(db, ROWS);

        try (BatchImage app = TestLibrary.oneShot(data, db)) {
            assertThat(TestLibrary.text(db, "SELECT string_agg(id || ' ' || state, ', ' ORDER BY id) FROM dead_letter"))
                    .isEqualTo("1 resolved, 2 open, 3 open, 4 open, 5 open");
            assertThat(TestLibrary.text(db, "SELECT resolution FROM dead_letter WHERE id = 1"))
                    .isEqualTo("its records were indexed since (found when the database was upgraded); the failure did not recur");
            assertThat(TestLibrary.count(db, "SELECT count(*) FROM dead_letter WHERE id = 1 AND resolved_at IS NOT NULL")).isEqualTo(1);
            // the records of the letter still open are known, so that indexing the last of them resolves it
            assertThat(TestLibrary.text(db, "SELECT records::text FROM dead_letter WHERE id = 2")).isEqualTo("{" + ALSO_INDEXED + "," + PENDING + "}");
            assertThat(TestLibrary.text(db, "SELECT coalesce(records::text, '-') FROM dead_letter WHERE id = 3")).isEqualTo("-");
            assertThat(TestLibrary.text(db, "SELECT coalesce(records::text, '-') FROM dead_letter WHERE id = 4")).isEqualTo("-");
        }
    }
}
