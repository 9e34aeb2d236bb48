package batchimage.enrich;

import static org.assertj.core.api.Assertions.assertThat;

import batchimage.app.BatchImage;
import batchimage.images.MediaFolders;
import batchimage.images.MediaIndex;
import batchimage.support.TestLibrary;
import batchimage.support.TestPostgres;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.DriverManager;
import java.util.Map;
import java.util.UUID;
import org.apache.camel.Exchange;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A media folder of 100,000 (empty) files and 3,000 records without a usable path: the enrich route finds
 * every image by name from one listing of the folder, not one directory scan per record; a file added later
 * is found on the next pass after one more listing.
 */
class EnrichManyFilesTest {

    private static final int FILES = 100_000;
    private static final int RECORDS = 3_000;

    @Test
    void aHundredThousandFilesAreListedOnceForThousandsOfRecords(@TempDir Path root) throws Exception {
        Path media = Files.createDirectories(root.resolve("media"));
        for (int d = 0; d < 50; d++) {
            Path dir = Files.createDirectories(media.resolve(String.format("2026-%02d", d)));
            for (int i = 0; i < FILES / 50; i++) {
                // ComfyUI's counters for some, plain names for the others
                String name = i % 3 == 0 ? String.format("render_%02d_%04d_00001_.png", d, i) : String.format("render_%02d_%04d.jpg", d, i);
                Files.createFile(dir.resolve(name));
            }
        }
        String db = TestPostgres.newDatabase("enrich_many");
        try (BatchImage app = BatchImage.create(TestLibrary.settings(TestLibrary.PROJECT, root.resolve("data"), db, Map.of(
                "media.dirs", media.toString(), "media.recheck-ms", "0", "enrich.batch-size", "500")), BatchImage.Mode.ONE_SHOT).start()) {
            try (var c = DriverManager.getConnection(db); var ps = c.prepareStatement(
                    "INSERT INTO image_library (id, name, file_path, prompt, description, index_state) VALUES (?, ?, ?, 'a render', 'tagged', 'indexed')")) {
                for (int k = 0; k < RECORDS; k++) {
                    int d = k % 50;
                    int i = (k * 13) % (FILES / 50);
                    ps.setObject(1, UUID.randomUUID());
                    ps.setString(2, String.format("render_%02d_%04d", d, i));
                    // empty, a path of another machine, or a path that leads nowhere here
                    ps.setString(3, k % 3 == 0 ? "" : k % 3 == 1 ? String.format("D:\\comfy\\output\\render_%02d_%04d.png", d, i) : "gone/elsewhere.png");
                    ps.addBatch();
                }
                ps.setObject(1, UUID.randomUUID());
                ps.setString(2, "added_later");
                ps.setString(3, null);
                ps.addBatch();
                ps.executeBatch();
            }
            var index = (MediaIndex) app.context().getRegistry().lookupByNameAndType("mediaFolders", MediaFolders.class).byName();

            Map<?, ?> first = enrich(app);
            assertThat(((Map<?, ?>) first.get("run")).get("paths_filled")).isEqualTo((long) RECORDS);
            assertThat(TestLibrary.count(db, "SELECT count(*) FROM image_library WHERE path_found AND file_path LIKE '" + media + "/2026-%/render_%'"))
                    .isEqualTo(RECORDS);
            // each record's own file: its name, or its name with ComfyUI's counter
            assertThat(TestLibrary.count(db, "SELECT count(*) FROM image_library WHERE name <> 'added_later'"
                    + " AND file_path NOT LIKE '%/' || name || '.jpg' AND file_path NOT LIKE '%/' || name || '_00001_.png'")).isZero();
            assertThat(TestLibrary.count(db, "SELECT count(*) FROM image_library WHERE index_state = 'pending'"))
                    .as("records whose path changed are pending for the index route").isEqualTo(RECORDS);
            assertThat(index.files()).isEqualTo(FILES);
            assertThat(index.listings()).as("recursive listings of the one media folder").isEqualTo(1);

            Files.createFile(media.resolve("2026-07").resolve("added_later.webp"));
            Map<?, ?> second = enrich(app);
            assertThat(((Map<?, ?>) second.get("run")).get("paths_filled")).isEqualTo(1L);
            assertThat(TestLibrary.text(db, "SELECT file_path FROM image_library WHERE name = 'added_later'"))
                    .isEqualTo(media.resolve("2026-07/added_later.webp").toString());
            assertThat(index.listings()).as("listed again once, because a folder changed").isEqualTo(2);
        }
    }

    private static Map<?, ?> enrich(BatchImage app) {
        Exchange done = app.context().createProducerTemplate().send("direct:enrich", e -> { });
        assertThat(done.getException()).isNull();
        return done.getMessage().getBody(Map.class);
    }
}
