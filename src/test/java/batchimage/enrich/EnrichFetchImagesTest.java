package batchimage.enrich;

import static org.assertj.core.api.Assertions.assertThat;

import batchimage.app.BatchImage;
import batchimage.support.StubHttpServer;
import batchimage.support.TestLibrary;
import batchimage.support.TestPostgres;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.net.URI;
import java.net.URLDecoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.DriverManager;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * With {@code comfyui.fetch-images}, an image found nowhere here is fetched through ComfyUI's /view into the
 * first media folder, and its thumbnail is served; ComfyUI names that would climb out are refused. The pass is
 * asked for with POST /api/enrich.
 */
class EnrichFetchImagesTest {

    private static final String GOOD = "00000000-0000-4000-8000-000000000001";
    private static final String CLIMBING = "00000000-0000-4000-8000-000000000002";
    private static final String GONE = "00000000-0000-4000-8000-000000000003";

    private final ObjectMapper json = new ObjectMapper();

    @Test
    void anImageFoundNowhereIsFetchedIntoTheFirstMediaFolder(@TempDir Path root) throws Exception {
        byte[] jpeg = Files.readAllBytes(TestLibrary.SHARED_DATA.resolve("media-library/images/000000000139.jpg"));
        Path media = Files.createDirectories(root.resolve("media"));
        var histories = new HashMap<String, String>();
        histories.put(GOOD, history(GOOD, "ComfyUI_00042_.png", "2026/run1"));
        histories.put(CLIMBING, history(CLIMBING, "x.png", "../../outside"));
        histories.put(GONE, history(GONE, "deleted_00001_.png", ""));
        try (var comfy = new StubHttpServer((req, n) -> {
            if (req.path().startsWith("/history/")) {
                String id = req.path().substring("/history/".length());
                return StubHttpServer.Reply.json(200, histories.getOrDefault(id, "{}"));
            }
            if (req.path().equals("/view")) {
                String q = URLDecoder.decode(req.query(), StandardCharsets.UTF_8);
                if (q.contains("filename=ComfyUI_00042_.png") && q.contains("subfolder=2026/run1") && q.contains("type=output")) {
                    return StubHttpServer.Reply.bytes(200, "image/jpeg", jpeg);
                }
                return StubHttpServer.Reply.json(404, "{}");
            }
            return StubHttpServer.Reply.json(404, "{}");
        })) {
            String db = TestPostgres.newDatabase("enrich_fetch");
            try (BatchImage app = BatchImage.create(TestLibrary.settings(TestLibrary.PROJECT, root.resolve("data"), db, Map.of(
                    "media.dirs", media.toString(), "comfyui.url", comfy.url(""), "comfyui.fetch-images", "true",
                    "enrich.enabled", "false", "index.enabled", "false", "local-embeddings.preload", "")), BatchImage.Mode.SERVICE).start()) {
                String base = "http://127.0.0.1:" + app.settings().get("batch-image.port");
                try (var c = DriverManager.getConnection(db); var ps = c.prepareStatement(
                        "INSERT INTO image_library (id, name, file_path, prompt, description) VALUES (?::uuid, ?, '', 'p', 'tagged')")) {
                    for (String id : new String[] {GOOD, CLIMBING, GONE}) {
                        ps.setString(1, id);
                        ps.setString(2, "render-" + id.substring(id.length() - 1));
                        ps.addBatch();
                    }
                    ps.executeBatch();
                }

                var http = HttpClient.newHttpClient();
                var res = http.send(HttpRequest.newBuilder(URI.create(base + "/api/enrich")).header("Content-Type", "application/json")
                        .POST(HttpRequest.BodyPublishers.ofString("{}")).build(), HttpResponse.BodyHandlers.ofString());
                assertThat(res.statusCode()).as(res.body()).isEqualTo(200);
                JsonNode answer = json.readTree(res.body());
                assertThat(answer.path("run").path("examined").asLong()).isEqualTo(3);
                assertThat(answer.path("run").path("paths_filled").asLong()).isEqualTo(1);
                assertThat(answer.path("library").path("missing_paths").asLong()).isEqualTo(2);

                Path fetched = media.resolve("comfyui/2026/run1/ComfyUI_00042_.png");
                assertThat(fetched).exists();
                assertThat(Files.readAllBytes(fetched)).isEqualTo(jpeg);
                assertThat(TestLibrary.text(db, "SELECT file_path FROM image_library WHERE id = '" + GOOD + "'")).isEqualTo(fetched.toRealPath().toString());
                var thumb = http.send(HttpRequest.newBuilder(URI.create(base + "/api/images/" + GOOD + "/thumbnail")).GET().build(),
                        HttpResponse.BodyHandlers.ofByteArray());
                assertThat(thumb.statusCode()).isEqualTo(200);

                assertThat(TestLibrary.text(db, "SELECT enrich_error FROM image_library WHERE id = '" + CLIMBING + "'")).contains("not a plain file name");
                assertThat(root.resolve("outside")).doesNotExist();
                assertThat(TestLibrary.text(db, "SELECT enrich_error FROM image_library WHERE id = '" + GONE + "'")).contains("404");
                assertThat(TestLibrary.text(db, "SELECT enrich_state FROM image_library WHERE id = '" + GONE + "'")).isEqualTo("waiting");

                // a bad body is refused, naming the part
                var bad = http.send(HttpRequest.newBuilder(URI.create(base + "/api/enrich")).header("Content-Type", "application/json")
                        .POST(HttpRequest.BodyPublishers.ofString("{\"retry\": \"yes\"}")).build(), HttpResponse.BodyHandlers.ofString());
                assertThat(bad.statusCode()).isEqualTo(400);
                assertThat(json.readTree(bad.body()).path("field").asText()).isEqualTo("retry");
            }
        }
    }

    private String history(String id, String filename, String subfolder) {
        var doc = json.createObjectNode();
        var entry = doc.putObject(id);
        entry.putObject("outputs").putObject("9").putArray("images").addObject()
                .put("filename", filename).put("subfolder", subfolder).put("type", "output");
        entry.putObject("status").put("status_str", "success").put("completed", true).putArray("messages");
        return doc.toString();
    }
}
