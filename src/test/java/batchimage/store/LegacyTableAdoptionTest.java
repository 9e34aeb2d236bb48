package batchimage.store;

import static org.assertj.core.api.Assertions.assertThat;

import batchimage.app.BatchImage;
import batchimage.support.TestLibrary;
import batchimage.support.TestPostgres;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** DATABASE_URL pointing at the old scripts' database: the table is adopted, every row kept. */
class LegacyTableAdoptionTest {

    /** The table as the old import script created it. */
    private static final String OLD_DDL = """
            CREATE EXTENSION IF NOT EXISTS "uuid-ossp";
            CREATE TABLE image_library (
                id UUID PRIMARY KEY DEFAULT uuid_generate_v4(),
                name VARCHAR(255) NOT NULL,
                file_path VARCHAR(1024),
                prompt TEXT,
                description TEXT,
                theme VARCHAR(255),
                sub_theme VARCHAR(255),
                status VARCHAR(50) DEFAULT 'active'
            );
            INSERT INTO image_library (id, name, file_path, prompt, description, theme, sub_theme, status) VALUES
              ('11111111-1111-4111-8111-111111111111', 'old_1', 'C:\\old\\1.png', '{"prompt": "old one"}', 'old, tags', 'legacy', 'OLD', 'active'),
              ('22222222-2222-4222-8222-222222222222', 'old_2', '', 'old two', NULL, 'legacy', 'OLD', 'deleted'),
              ('33333333-3333-4333-8333-333333333333', 'old_3', NULL, 'old three', 'x', 'legacy', 'OLD', NULL);
            """;

    @Test
    void migrationsAddWhatIsMissingAndKeepEveryRow(@TempDir Path data) throws Exception {
        String db = TestPostgres.newDatabase("legacy");
        TestLibrary.execute(db, OLD_DDL);

        try (BatchImage app = TestLibrary.oneShot(data, db)) {
            assertThat(TestLibrary.count(db, "SELECT count(*) FROM image_library WHERE theme = 'legacy'")).isEqualTo(3);
            assertThat(TestLibrary.text(db, "SELECT file_path FROM image_library WHERE name = 'old_1'")).isEqualTo("C:\\old\\1.png");
            assertThat(TestLibrary.text(db, "SELECT status FROM image_library WHERE name = 'old_2'")).isEqualTo("deleted");
            assertThat(TestLibrary.text(db, "SELECT status FROM image_library WHERE name = 'old_3'")).isEqualTo("active");
            assertThat(TestLibrary.count(db, "SELECT count(*) FROM image_library WHERE index_state = 'pending'")).isEqualTo(3);
            assertThat(TestLibrary.text(db, "SELECT data_type FROM information_schema.columns WHERE table_name = 'image_library' AND column_name = 'name'"))
                    .isEqualTo("text");
            assertThat(TestLibrary.count(db, "SELECT count(*) FROM flyway_schema_history WHERE success")).isGreaterThanOrEqualTo(2);

            var result = app.importFile(TestLibrary.SHARED_DATA.resolve("coco").resolve("batch_image_data_coco_final.json"));
            assertThat(result.outcome()).isEqualTo("done");
            assertThat(result.inserted()).isEqualTo(5000);
            assertThat(TestLibrary.count(db, "SELECT count(*) FROM image_library")).isEqualTo(5003);
        }
        // a second start finds nothing to migrate and changes nothing
        try (BatchImage again = TestLibrary.oneShot(data, db)) {
            assertThat(TestLibrary.count(db, "SELECT count(*) FROM image_library")).isEqualTo(5003);
        }
    }
}
