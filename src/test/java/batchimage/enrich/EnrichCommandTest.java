package batchimage.enrich;

import static org.assertj.core.api.Assertions.assertThat;

import batchimage.cli.Application;
import batchimage.support.TestLibrary;
import batchimage.support.TestPostgres;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code batch-image enrich} with no service running: the pass runs in the command's own process against
 * the database and the media folders. ComfyUI configured but down costs the records no attempt: they wait.
 */
class EnrichCommandTest {

    private final ObjectMapper json = new ObjectMapper();

    @Test
    void withNoServiceThePassRunsHereAndComfyUiDownIsWaitedFor(@TempDir Path root) throws Exception {
        Path media = Files.createDirectories(root.resolve("media/old/renders"));
        Files.copy(TestLibrary.SHARED_DATA.resolve("media-library/images/000000000139.jpg"), media.resolve("living-room_00001_.png"));
        String db = TestPostgres.newDatabase("enrich_cli");
        // the schema comes with the first process that opens the database
        try (var app = batchimage.app.BatchImage.create(TestLibrary.settings(TestLibrary.PROJECT, root.resolve("data"), db, Map.of()),
                batchimage.app.BatchImage.Mode.ONE_SHOT)) {
            TestLibrary.execute(db, """
                    INSERT INTO image_library (id, name, file_path, prompt, description, index_state) VALUES
                      ('00000000-0000-4000-8000-000000000001', 'living-room', 'C:\\renders\\gone.png', 'a living room', 'chair, tv', 'indexed'),
                      ('00000000-0000-4000-8000-000000000002', 'kitchen', NULL, 'a kitchen', NULL, 'indexed')""");
        }
        int deadPort = TestLibrary.freePort();
        var env = Map.of(
                "DATABASE_URL", db,
                "MEDIA_DIRS", root.resolve("media").toString(),
                "COMFYUI_URL", "http://127.0.0.1:" + TestLibrary.freePort(),
                "COMFYUI_TIMEOUT_MS", "2000");
        var out = new StringWriter();
        var err = new StringWriter();
        int code = Application.execute(new PrintWriter(out), new PrintWriter(err), env,
                "enrich", "--json", "--data", root.resolve("data").toString(), "--url", "http://127.0.0.1:" + deadPort);
        assertThat(code).as(err.toString()).isZero();
        assertThat(err.toString()).contains("no service answers").contains("in this process");
        JsonNode answer = json.readTree(out.toString());
        assertThat(answer.path("run").path("examined").asLong()).isEqualTo(2);
        assertThat(answer.path("run").path("paths_filled").asLong()).isEqualTo(1);
        assertThat(answer.path("library").path("missing_tags").asLong()).isEqualTo(1);
        assertThat(answer.path("library").path("missing_paths").asLong()).isEqualTo(1);

        // found by its name with ComfyUI's counter, two folders down; pending for the index route
        assertThat(TestLibrary.text(db, "SELECT file_path FROM image_library WHERE name = 'living-room'"))
                .isEqualTo(media.resolve("living-room_00001_.png").toRealPath().toString());
        assertThat(TestLibrary.text(db, "SELECT index_state FROM image_library WHERE name = 'living-room'")).isEqualTo("pending");
        assertThat(TestLibrary.text(db, "SELECT index_state FROM image_library WHERE name = 'kitchen'")).isEqualTo("indexed");
        // ComfyUI down: waiting, no attempt spent, the reason kept
        assertThat(TestLibrary.text(db, "SELECT enrich_state || ' ' || enrich_attempts FROM image_library WHERE name = 'kitchen'")).isEqualTo("waiting 0");
        assertThat(TestLibrary.text(db, "SELECT enrich_error FROM image_library WHERE name = 'kitchen'")).contains("cannot be reached");
    }
}
