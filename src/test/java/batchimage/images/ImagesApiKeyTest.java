package batchimage.images;

import static org.assertj.core.api.Assertions.assertThat;

import batchimage.app.BatchImage;
import batchimage.support.TestLibrary;
import batchimage.support.TestPostgres;
import batchimage.http.server.ApiAccess;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

/** With BATCH_IMAGE_API_KEY set, images and thumbnails want the key: as a header, or as the page's cookie. */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class ImagesApiKeyTest {

    private static final String KEY = "images-k3y/with+chars";

    private final HttpClient http = HttpClient.newHttpClient();
    private BatchImage app;
    private String base;
    private UUID id;
    private byte[] jpeg;

    @BeforeAll
    void start(@TempDir Path root) throws Exception {
        Path media = Files.createDirectories(root.resolve("media"));
        Path image = Files.copy(ThumbnailsTest.IMAGES.resolve(ThumbnailsTest.LANDSCAPE), media.resolve("cat.jpg"));
        jpeg = Files.readAllBytes(image);
        String jdbcUrl = TestPostgres.newDatabase("images_key");
        app = TestLibrary.service(root.resolve("data"), jdbcUrl, Map.of(
                "media.dirs", media.toString(),
                "batch-image.api-key", KEY,
                "index.enabled", "false",
                "local-embeddings.preload", ""));
        base = "http://127.0.0.1:" + app.settings().get("batch-image.port");
        id = UUID.randomUUID();
        TestLibrary.execute(jdbcUrl, "INSERT INTO image_library (id, name, file_path) VALUES ('" + id + "', 'cat', 'cat.jpg')");
    }

    @AfterAll
    void stop() {
        if (app != null) {
            app.close();
        }
    }

    private HttpResponse<byte[]> get(String path, String... headers) throws Exception {
        var req = HttpRequest.newBuilder(URI.create(base + path)).GET();
        if (headers.length > 0) {
            req.headers(headers);
        }
        return http.send(req.build(), HttpResponse.BodyHandlers.ofByteArray());
    }

    private static void refused(HttpResponse<byte[]> res) {
        assertThat(res.statusCode()).isEqualTo(401);
        assertThat(res.headers().firstValue("Content-Type")).hasValue("application/json");
        assertThat(new String(res.body(), StandardCharsets.UTF_8)).contains("\"status\":401");
    }

    @Test
    void withoutTheKeyNothingIsServed() throws Exception {
        refused(get("/api/images/" + id));
        refused(get("/api/images/" + id + "/thumbnail"));
        refused(get("/api/images/" + id, "Authorization", "Bearer wrong"));
        refused(get("/api/images/" + id, "X-API-Key", "wrong"));
        refused(get("/api/images/" + id, "Cookie", ApiAccess.COOKIE + "=wrong"));
        // not even whether a record exists
        refused(get("/api/images/" + UUID.randomUUID()));
        refused(get("/api/images/not-a-uuid"));
    }

    @Test
    void theKeyAsABearerTokenOrHeaderServesTheImage() throws Exception {
        var bearer = get("/api/images/" + id, "Authorization", "Bearer " + KEY);
        assertThat(bearer.statusCode()).isEqualTo(200);
        assertThat(bearer.body()).isEqualTo(jpeg);
        var header = get("/api/images/" + id + "/thumbnail", "X-API-Key", KEY);
        assertThat(header.statusCode()).isEqualTo(200);
        assertThat(header.headers().firstValue("Content-Type")).hasValue("image/jpeg");
    }

    @Test
    void thePagesCookieServesImagesAndThumbnails() throws Exception {
        String cookie = ApiAccess.COOKIE + "=" + java.net.URLEncoder.encode(KEY, StandardCharsets.UTF_8);
        var image = get("/api/images/" + id, "Cookie", "theme=dark; " + cookie);
        assertThat(image.statusCode()).isEqualTo(200);
        assertThat(image.body()).isEqualTo(jpeg);
        var thumbnail = get("/api/images/" + id + "/thumbnail", "Cookie", cookie);
        assertThat(thumbnail.statusCode()).isEqualTo(200);
        assertThat(thumbnail.headers().firstValue("Content-Type")).hasValue("image/jpeg");
        // with the key, an unknown record is the placeholder as usual
        var unknown = get("/api/images/" + UUID.randomUUID(), "Cookie", cookie);
        assertThat(unknown.statusCode()).isEqualTo(404);
        assertThat(unknown.headers().firstValue("X-Image-Placeholder")).hasValue("unknown");
    }
}
