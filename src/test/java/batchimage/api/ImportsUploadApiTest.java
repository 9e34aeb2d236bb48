package batchimage.api;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import batchimage.app.BatchImage;
import batchimage.support.TestLibrary;
import batchimage.support.TestPostgres;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.ByteArrayInputStream;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code POST /api/imports} on the real service: a batch file sent as the body lands in the inbox whole and is
 * imported into done/; a name the inbox would not import and a body over {@code http.max-upload-bytes} (declared or
 * streamed) are refused in the API's error shape, leaving nothing in the inbox; {@code GET /api/imports} lists the run.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class ImportsUploadApiTest {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final int LIMIT = 4096;
    private static final String SMALL = """
            {"CARS": [{"task_id": "7d0c6d1e-2f0a-4d5e-9d61-0c1a2b3c4d5e", "prompt": "a red car by the sea",
              "file_name": "red_car", "tags": "car, sea", "file_path": "uploads/red_car.png"}]}
            """;

    private final HttpClient http = HttpClient.newHttpClient();
    private BatchImage app;
    private Path data;
    private String base;
    private String db;

    @BeforeAll
    void start(@TempDir Path folder) {
        data = folder;
        db = TestPostgres.newDatabase("uploads");
        app = TestLibrary.service(data, db, Map.of("http.max-upload-bytes", String.valueOf(LIMIT), "index.enabled", "false"));
        base = batchimage.support.Api.of(app).base();
    }

    @AfterAll
    void stop() {
        if (app != null) {
            app.close();
        }
    }

    private HttpResponse<String> upload(String name, HttpRequest.BodyPublisher body) throws Exception {
        var request = HttpRequest.newBuilder(URI.create(base + "/api/imports?name=" + URLEncoder.encode(name, StandardCharsets.UTF_8)))
                .header("Content-Type", "application/json").POST(body).build();
        return http.send(request, HttpResponse.BodyHandlers.ofString());
    }

    private static JsonNode body(HttpResponse<String> r) throws Exception {
        return JSON.readTree(r.body());
    }

    private long filesIn(String folder) throws Exception {
        Path dir = data.resolve(folder);
        if (!Files.isDirectory(dir)) {
            return 0;
        }
        try (Stream<Path> s = Files.list(dir)) {
            return s.filter(Files::isRegularFile).count();
        }
    }

    @Test
    void aBatchFileSentAsTheBodyIsImportedIntoDone() throws Exception {
        String name = "batch_image_data_uploaded_final.json";
        HttpResponse<String> r = upload(name, HttpRequest.BodyPublishers.ofString(SMALL));
        assertThat(r.statusCode()).as(r.body()).isEqualTo(202);
        assertThat(body(r).path("file").asText()).isEqualTo(name);
        assertThat(body(r).path("bytes").asLong()).isEqualTo(SMALL.getBytes(StandardCharsets.UTF_8).length);

        await().atMost(Duration.ofMinutes(1)).pollInterval(Duration.ofMillis(200))
                .until(() -> Files.exists(data.resolve("done").resolve(name)));
        assertThat(Files.readString(data.resolve("done").resolve(name))).isEqualTo(SMALL);
        assertThat(TestLibrary.count(db, "SELECT count(*) FROM image_library WHERE name = 'red_car' AND theme = 'uploaded'")).isEqualTo(1L);

        var list = http.send(HttpRequest.newBuilder(URI.create(base + "/api/imports")).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(list.statusCode()).isEqualTo(200);
        assertThat(list.body()).contains(name);
    }

    @Test
    void aNameTheInboxWouldNotImportIs400NamingTheField() throws Exception {
        for (String bad : new String[] {"notes.json", "batch_image_data_x_final.txt", "../batch_image_data_x_final.json",
                "sub/batch_image_data_x_final.json"}) {
            HttpResponse<String> r = upload(bad, HttpRequest.BodyPublishers.ofString(SMALL));
            assertThat(r.statusCode()).as(bad + ": " + r.body()).isEqualTo(400);
            assertThat(body(r).path("field").asText()).as(bad).isEqualTo("name");
        }
        assertThat(filesIn("inbox")).isZero();
        assertThat(Files.exists(data.resolve("batch_image_data_x_final.json"))).isFalse();
    }

    @Test
    void aBodyOverTheLimitIs413DeclaredOrStreamedAndLeavesNothingBehind() throws Exception {
        String big = "{\"CARS\": [" + ("{\"task_id\": \"x\", \"prompt\": \"" + "p".repeat(100) + "\"},").repeat(60) + "{}]}";
        assertThat(big.length()).isGreaterThan(LIMIT);
        HttpResponse<String> declared = upload("batch_image_data_big_final.json", HttpRequest.BodyPublishers.ofString(big));
        assertThat(declared.statusCode()).as(declared.body()).isEqualTo(413);
        // sent in chunks, with no Content-Length: counted as it streams in
        HttpResponse<String> streamed = upload("batch_image_data_big_final.json",
                HttpRequest.BodyPublishers.ofInputStream(() -> new ByteArrayInputStream(big.getBytes(StandardCharsets.UTF_8))));
        assertThat(streamed.statusCode()).as(streamed.body()).isEqualTo(413);
        assertThat(streamed.body()).contains("http.max-upload-bytes");
        assertThat(filesIn("inbox")).isZero();
        // the part received before the limit was passed is deleted once its file is closed
        await().atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(100)).until(() -> filesIn("inbox/.uploads") == 0);
        assertThat(Files.exists(data.resolve("done").resolve("batch_image_data_big_final.json"))).isFalse();
    }
}
