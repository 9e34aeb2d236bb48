package batchimage.ingest;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import batchimage.support.RoutesUnderTest;
import batchimage.support.TestLibrary;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

/**
 * The inbox watched by the real ingest routes (routes/ingest.camel.yaml and errors.camel.yaml under Camel Main, the
 * rest of the service left out) over a real PostgreSQL, fed the COCO batch file.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class IngestInboxTest extends RoutesUnderTest {

    private static final String COCO = "batch_image_data_coco_final.json";

    @Override
    protected String[] routesFiles() {
        return new String[] {"ingest.camel.yaml", "errors.camel.yaml"};
    }

    @Override
    protected java.util.Map<String, String> settings() {
        // nor enrichment: it rewrites rows on its own schedule, and these tests watch row versions
        return java.util.Map.of("index.enabled", "false", "enrich.enabled", "false");
    }

    private void dropAndAwait(byte[] content, String name, String folder) throws Exception {
        Path tmp = data().resolve(name + ".part");
        Files.write(tmp, content);
        Files.move(tmp, data().resolve("inbox").resolve(name));
        await().atMost(Duration.ofSeconds(60)).until(() -> Files.exists(data().resolve(folder).resolve(name))
                && !Files.exists(data().resolve("inbox").resolve(name)));
    }

    private String rowVersions() {
        return TestLibrary.text(db(), "SELECT md5(string_agg(xmin::text || ctid::text, ',' ORDER BY id)) FROM image_library");
    }

    @Test
    @Order(1)
    void theCocoFileImportsEveryRecordAndMovesToDone() throws Exception {
        dropAndAwait(Files.readAllBytes(TestLibrary.SHARED_DATA.resolve("coco").resolve(COCO)), COCO, "done");
        assertThat(TestLibrary.count(db(), "SELECT count(*) FROM image_library")).isEqualTo(5000);
        assertThat(TestLibrary.count(db(), "SELECT count(*) FROM image_library WHERE index_state = 'pending' AND status = 'active'")).isEqualTo(5000);
        assertThat(TestLibrary.count(db(), "SELECT count(DISTINCT theme) FROM image_library")).isEqualTo(1);
        assertThat(TestLibrary.text(db(), "SELECT theme FROM image_library LIMIT 1")).isEqualTo("coco");
        assertThat(TestLibrary.text(db(), "SELECT records_read || '/' || inserted || '/' || updated || '/' || unchanged || '/' || rejected || '/' || outcome"
                + " FROM import_run WHERE file_name = '" + COCO + "' ORDER BY id DESC LIMIT 1")).isEqualTo("5000/5000/0/0/0/done");
    }

    @Test
    @Order(2)
    void reimportingTheSameFileRewritesNoRow() throws Exception {
        String before = rowVersions();
        dropAndAwait(Files.readAllBytes(TestLibrary.SHARED_DATA.resolve("coco").resolve(COCO)), COCO, "done");
        assertThat(TestLibrary.text(db(), "SELECT inserted || '/' || updated || '/' || unchanged FROM import_run"
                + " WHERE file_name = '" + COCO + "' ORDER BY id DESC LIMIT 1")).isEqualTo("0/0/5000");
        assertThat(rowVersions()).as("no row got a new version").isEqualTo(before);
    }

    @Test
    @Order(3)
    void aChangedRecordIsUpdatedAndPendingAgain() throws Exception {
        TestLibrary.execute(db(), "UPDATE image_library SET index_state = 'indexed'");
        String content = Files.readString(TestLibrary.SHARED_DATA.resolve("coco").resolve(COCO));
        String id = TestLibrary.text(db(), "SELECT id FROM image_library ORDER BY id LIMIT 1");
        String tags = TestLibrary.text(db(), "SELECT description FROM image_library WHERE id = '" + id + "'");
        int at = content.indexOf(id);
        int tagsAt = content.indexOf("\"tags\": \"" + tags.replace("\"", "\\\""), at);
        assertThat(tagsAt).isPositive();
        String edited = content.substring(0, tagsAt) + "\"tags\": \"edited, " + content.substring(tagsAt + 9);
        dropAndAwait(edited.getBytes(StandardCharsets.UTF_8), COCO, "done");
        assertThat(TestLibrary.text(db(), "SELECT inserted || '/' || updated || '/' || unchanged FROM import_run"
                + " WHERE file_name = '" + COCO + "' ORDER BY id DESC LIMIT 1")).isEqualTo("0/1/4999");
        assertThat(TestLibrary.text(db(), "SELECT description FROM image_library WHERE id = '" + id + "'")).startsWith("edited, ");
        assertThat(TestLibrary.count(db(), "SELECT count(*) FROM image_library WHERE index_state = 'pending'")).isEqualTo(1);
    }

    @Test
    @Order(4)
    void aFileStillBeingWrittenWaitsUntilItIsComplete() throws Exception {
        byte[] content = Files.readAllBytes(TestLibrary.SHARED_DATA.resolve("media-library").resolve("batch_image_data_media_final.json"));
        Path target = data().resolve("inbox").resolve("batch_image_data_media_final.json");
        // written in slices with pauses shorter than ingest.min-age (300 ms here), as a slow copy would
        try (OutputStream out = Files.newOutputStream(target)) {
            int slice = content.length / 8 + 1;
            for (int i = 0; i < content.length; i += slice) {
                out.write(content, i, Math.min(slice, content.length - i));
                out.flush();
                Thread.sleep(150);
            }
        }
        await().atMost(Duration.ofSeconds(30)).until(() -> Files.exists(data().resolve("done").resolve(target.getFileName())));
        assertThat(data().resolve("error").resolve(target.getFileName())).doesNotExist();
        assertThat(TestLibrary.count(db(), "SELECT count(*) FROM image_library WHERE theme = 'media'")).isEqualTo(79);
    }

    @Test
    @Order(5)
    void realLatin1BytesGoToErrorWithAReportThatSaysSo() throws Exception {
        byte[] latin1 = "{\"L\": [{\"task_id\": \"00000001-0000-4000-8000-0000000000aa\", \"tags\": \"caf\u00e9, cr\u00e8me\"}]}"
                .getBytes(StandardCharsets.ISO_8859_1);
        dropAndAwait(latin1, "batch_image_data_reallatin_final.json", "error");
        String report = Files.readString(data().resolve("error").resolve("batch_image_data_reallatin_final.json.error.txt"));
        assertThat(report).contains("not UTF-8", "Latin-1", "line 1");
        assertThat(TestLibrary.count(db(), "SELECT count(*) FROM image_library WHERE theme = 'reallatin'")).isZero();
    }

    @Test
    @Order(6)
    void aNulCharacterRejectsItsRecordOnlyAndTheServiceGoesOn() throws Exception {
        String file = """
                {"NUL": [
                  {"task_id": "00000002-0000-4000-8000-0000000000aa", "prompt": "fine", "tags": "a"},
                  {"task_id": "00000003-0000-4000-8000-0000000000aa", "prompt": "bad\\u0000prompt", "tags": "b"}
                ]}""";
        dropAndAwait(file.getBytes(StandardCharsets.UTF_8), "batch_image_data_nul_final.json", "done");
        assertThat(TestLibrary.count(db(), "SELECT count(*) FROM image_library WHERE theme = 'nul'")).isEqualTo(1);
        assertThat(TestLibrary.text(db(), "SELECT field || ': ' || reason FROM dead_letter WHERE source_file = 'batch_image_data_nul_final.json'"))
                .startsWith("prompt: contains a NUL character");
        assertThat(TestLibrary.text(db(), "SELECT record_id FROM dead_letter WHERE source_file = 'batch_image_data_nul_final.json'"))
                .isEqualTo("00000003-0000-4000-8000-0000000000aa");
    }

    @Test
    @Order(7)
    void reimportingAFileReplacesItsOldRejectionsInsteadOfPilingThemUp() throws Exception {
        String file = "{\"R\": [{\"task_id\": \"nope\"}]}";
        dropAndAwait(file.getBytes(StandardCharsets.UTF_8), "batch_image_data_rej_final.json", "done");
        dropAndAwait(file.getBytes(StandardCharsets.UTF_8), "batch_image_data_rej_final.json", "done");
        assertThat(TestLibrary.count(db(), "SELECT count(*) FROM dead_letter WHERE source_file = 'batch_image_data_rej_final.json'")).isEqualTo(1);
        assertThat(TestLibrary.count(db(), "SELECT count(*) FROM import_run WHERE file_name = 'batch_image_data_rej_final.json'")).isEqualTo(2);
    }

    @Test
    @Order(8)
    void whileTheDatabaseIsUnavailableAFileWaitsInTheInboxAndIsImportedWhenItIsBack() throws Exception {
        String admin = TestLibrary.adminUrl(db());
        String name = TestLibrary.databaseName(db());
        TestLibrary.execute(admin, "ALTER DATABASE " + name + " WITH ALLOW_CONNECTIONS false");
        TestLibrary.execute(admin, "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '" + name + "'");
        Path inbox = data().resolve("inbox").resolve("batch_image_data_outage_final.json");
        try {
            Files.writeString(inbox, "{\"OUTAGE\": [{\"task_id\": \"00000009-0000-4000-8000-0000000000aa\", \"prompt\": \"p\"}]}");
            // several polls and connection timeouts (2 s here) go by: the file is neither lost nor sent to error/
            Thread.sleep(6000);
            assertThat(inbox).exists();
            assertThat(data().resolve("error").resolve(inbox.getFileName())).doesNotExist();
            assertThat(data().resolve("error").resolve(inbox.getFileName() + ".error.txt")).doesNotExist();
        } finally {
            TestLibrary.execute(admin, "ALTER DATABASE " + name + " WITH ALLOW_CONNECTIONS true");
        }
        await().atMost(Duration.ofSeconds(30)).until(() -> Files.exists(data().resolve("done").resolve(inbox.getFileName())));
        assertThat(TestLibrary.count(db(), "SELECT count(*) FROM image_library WHERE sub_theme = 'OUTAGE'")).isEqualTo(1);
    }
}
