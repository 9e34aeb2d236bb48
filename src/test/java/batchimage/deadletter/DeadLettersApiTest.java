package batchimage.deadletter;

import static org.assertj.core.api.Assertions.assertThat;

import batchimage.app.BatchImage;
import batchimage.support.Cli;
import batchimage.support.TestLibrary;
import batchimage.support.TestPostgres;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

/**
 * Listing the dead letters ({@code GET /api/dead-letters}, {@code batch-image dead-letters}) after
 * importing real malformed files: a file with rejected records and a file that cannot be read at all.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class DeadLettersApiTest {

    private static final String MIXED = "batch_image_data_mixed_final.json";
    private static final String TRUNCATED = "batch_image_data_truncated_final.json";

    private final ObjectMapper json = new ObjectMapper();
    private final HttpClient http = HttpClient.newHttpClient();
    private Path data;
    private String db;
    private BatchImage app;
    private String base;


    @BeforeAll
    void importMalformedFiles(@TempDir Path folder) throws Exception {
        data = folder;
        db = TestPostgres.newDatabase("deadletters");
        app = TestLibrary.service(data, db, TestLibrary.NO_INDEXING);
        base = "http://127.0.0.1:" + app.settings().get("batch-image.port");
        assertThat(app.importFile(TestLibrary.copyShared("malformed/" + MIXED, data.resolve("input"))).outcome()).isEqualTo("done");
        assertThat(app.importFile(TestLibrary.copyShared("malformed/" + TRUNCATED, data.resolve("input"))).outcome()).isEqualTo("error");
    }

    @AfterAll
    void stop() {
        if (app != null) {
            app.close();
        }
    }

    private JsonNode get(String path, int status) throws Exception {
        HttpResponse<String> res = http.send(HttpRequest.newBuilder(URI.create(base + path)).GET().build(), HttpResponse.BodyHandlers.ofString());
        assertThat(res.statusCode()).as(res.body()).isEqualTo(status);
        return json.readTree(res.body());
    }


    @Test
    void listsEveryDeadLetterNewestFirstByStageAndFile() throws Exception {
        long all = TestLibrary.count(db, "SELECT count(*) FROM dead_letter");
        long rejected = TestLibrary.count(db, "SELECT count(*) FROM dead_letter WHERE stage = 'ingest' AND source_file = '" + MIXED + "'");
        assertThat(rejected).isGreaterThanOrEqualTo(4);
        JsonNode a = get("/api/dead-letters", 200);
        assertThat(a.path("total").asLong()).isEqualTo(all);
        assertThat(a.path("dead_letters")).hasSize((int) all);
        long previous = Long.MAX_VALUE;
        for (JsonNode d : a.path("dead_letters")) {
            assertThat(d.path("id").asLong()).isLessThan(previous);
            previous = d.path("id").asLong();
            assertThat(d.path("reason").asText()).isNotBlank();
        }

        JsonNode ingest = get("/api/dead-letters?stage=ingest&file=" + MIXED, 200);
        assertThat(ingest.path("total").asLong()).isEqualTo(rejected);
        Set<String> fields = new HashSet<>();
        for (JsonNode d : ingest.path("dead_letters")) {
            assertThat(d.path("stage").asText()).isEqualTo("ingest");
            assertThat(d.path("source_file").asText()).isEqualTo(MIXED);
            assertThat(d.path("raw").isNull()).isFalse();
            fields.add(d.path("field").asText());
        }
        assertThat(fields).contains("task_id");

        JsonNode file = get("/api/dead-letters?stage=ingest-file", 200);
        assertThat(file.path("total").asLong()).isEqualTo(1);
        assertThat(file.path("dead_letters").get(0).path("source_file").asText()).isEqualTo(TRUNCATED);

        assertThat(get("/api/dead-letters?file=nothing.json", 200).path("dead_letters")).isEmpty();
        JsonNode two = get("/api/dead-letters?limit=2", 200);
        assertThat(two.path("dead_letters")).hasSize(2);
        assertThat(two.path("total").asLong()).isEqualTo(all);
        assertThat(get("/api/dead-letters?limit=0", 400).path("field").asText()).isEqualTo("limit");

        // stats count them by stage
        JsonNode stats = get("/api/stats", 200);
        long ingestInStats = 0;
        for (JsonNode d : stats.path("dead_letters")) {
            if (d.path("stage").asText().equals("ingest")) {
                ingestInStats = d.path("total").asLong();
            }
        }
        assertThat(ingestInStats).isEqualTo(TestLibrary.count(db, "SELECT count(*) FROM dead_letter WHERE stage = 'ingest'"));
    }

    @Test
    void theCommandLineListsThemThroughTheServiceAndInItsOwnProcess() throws Exception {
        long all = TestLibrary.count(db, "SELECT count(*) FROM dead_letter");
        Cli.Run human = Cli.run(Map.of(), "dead-letters", "--url", base);
        assertThat(human.exit()).as(human.err()).isZero();
        assertThat(human.out()).contains(MIXED, "field task_id", all + " of " + all + " dead letters");

        Cli.Run bad = Cli.run(Map.of(), "dead-letters", "--limit", "5000", "--url", base);
        assertThat(bad.exit()).isEqualTo(2);
        assertThat(bad.err()).contains("--limit");

        String nobody = "http://127.0.0.1:" + TestLibrary.freePort();
        Cli.Run local = Cli.run(Map.of("DATABASE_URL", db), "dead-letters", "--stage", "ingest-file", "--json", "--data", data.toString(), "--url", nobody);
        assertThat(local.exit()).as(local.err()).isZero();
        assertThat(local.err()).contains("no service answers at " + nobody);
        JsonNode a = json.readTree(local.out());
        assertThat(a.path("total").asLong()).isEqualTo(1);
        assertThat(a.path("dead_letters").get(0).path("source_file").asText()).isEqualTo(TRUNCATED);
    }
}
