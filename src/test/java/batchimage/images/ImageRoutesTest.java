package batchimage.images;

import static org.assertj.core.api.Assertions.assertThat;

import batchimage.app.BatchImage;
import batchimage.support.TestLibrary;
import batchimage.support.TestPostgres;
import java.awt.Color;
import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.FileTime;
import java.sql.DriverManager;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.stream.Stream;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code /api/images/{id}} and {@code /thumbnail} of the real service over real HTTP, with records in a real
 * PostgreSQL pointing at real images in two media folders, and hostile file_paths aimed at a secret outside.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class ImageRoutesTest {

    private static final String SECRET = "TOP SECRET: nothing outside the media folders is served";
    private static final Path IMAGES = ThumbnailsTest.IMAGES;

    private final HttpClient http = HttpClient.newHttpClient();
    private BatchImage app;
    private String base;
    private String jdbcUrl;
    private Path root;
    private Path data;
    private Path media1;
    private Path media2;
    private Path outside;

    @BeforeAll
    void start(@TempDir Path root) throws IOException {
        this.root = root;
        data = root.resolve("data");
        media1 = Files.createDirectories(root.resolve("media1"));
        media2 = Files.createDirectories(root.resolve("media2"));
        outside = Files.createDirectories(root.resolve("outside"));
        Files.copy(IMAGES.resolve(ThumbnailsTest.LANDSCAPE), media1.resolve("landscape.jpg"));
        Files.copy(IMAGES.resolve(ThumbnailsTest.PORTRAIT), Files.createDirectories(media2.resolve("batch2")).resolve("portrait.jpg"));
        Files.copy(IMAGES.resolve("000000117645.jpg"), outside.resolve("outside.jpg"));
        Files.writeString(outside.resolve("secret.txt"), SECRET);
        Files.writeString(root.resolve("secret.txt"), SECRET);
        ThumbnailsTest.png(media1.resolve("name.png"), 600, 300, true);
        Files.createSymbolicLink(media1.resolve("link-out.jpg"), outside.resolve("outside.jpg"));
        Files.createSymbolicLink(media1.resolve("link-secret.jpg"), outside.resolve("secret.txt"));
        Files.createSymbolicLink(media1.resolve("linkdir"), outside);
        Files.write(media1.resolve("tiny.webp"), Base64.getDecoder().decode(ThumbnailsTest.WEBP_1X1));
        Files.writeString(media1.resolve("corrupt.jpg"), "not a JPEG, whatever its name says");

        jdbcUrl = TestPostgres.newDatabase("images");
        app = TestLibrary.service(data, jdbcUrl, Map.of(
                "media.dirs", media1 + ", " + media2,
                "index.enabled", "false",
                "local-embeddings.preload", ""));
        base = "http://127.0.0.1:" + app.settings().get("batch-image.port");
    }

    @AfterAll
    void stop() {
        if (app != null) {
            app.close();
        }
    }

    /** A record in image_library with this file_path (null: none). */
    private UUID record(String filePath) {
        UUID id = UUID.randomUUID();
        try (var c = DriverManager.getConnection(jdbcUrl);
                var ps = c.prepareStatement("INSERT INTO image_library (id, name, file_path) VALUES (?, ?, ?)")) {
            ps.setObject(1, id);
            ps.setString(2, "test " + id);
            ps.setString(3, filePath);
            ps.executeUpdate();
        } catch (java.sql.SQLException e) {
            throw new IllegalStateException(e);
        }
        return id;
    }

    private HttpResponse<byte[]> get(String path, String... headers) throws Exception {
        var req = HttpRequest.newBuilder(URI.create(base + path)).GET();
        if (headers.length > 0) {
            req.headers(headers);
        }
        return http.send(req.build(), HttpResponse.BodyHandlers.ofByteArray());
    }

    private static String header(HttpResponse<?> res, String name) {
        return res.headers().firstValue(name).orElse(null);
    }

    private static BufferedImage decode(HttpResponse<byte[]> res) throws IOException {
        assertThat(res.statusCode()).isEqualTo(200);
        assertThat(header(res, "Content-Type")).isEqualTo("image/jpeg");
        BufferedImage img = ImageIO.read(new ByteArrayInputStream(res.body()));
        assertThat(img).as("a JPEG ImageIO can read").isNotNull();
        return img;
    }

    /** A 404 with the placeholder SVG and its reason, and nothing of the secret. */
    private static void assertPlaceholder(HttpResponse<byte[]> res, String reason, String what) {
        String body = new String(res.body(), StandardCharsets.UTF_8);
        assertThat(res.statusCode()).as(what).isEqualTo(404);
        assertThat(header(res, "X-Image-Placeholder")).as(what).isEqualTo(reason);
        assertThat(header(res, "Content-Type")).as(what).isEqualTo("image/svg+xml");
        assertThat(body).as(what).startsWith("<svg").doesNotContain("SECRET");
    }

    private List<Path> thumbsOf(UUID id) throws IOException {
        Path thumbs = data.resolve("thumbs");
        if (!Files.exists(thumbs)) {
            return List.of();
        }
        try (Stream<Path> s = Files.walk(thumbs)) {
            return s.filter(p -> p.getFileName().toString().startsWith(id + "-")).toList();
        }
    }

    private long rendered() {
        return app.context().getRegistry().lookupByNameAndType("thumbnails", Thumbnails.class).rendered();
    }

    @Test
    void servesTheImageWithItsTypeAndCacheHeaders() throws Exception {
        UUID id = record("landscape.jpg");
        var res = get("/api/images/" + id);
        assertThat(res.statusCode()).isEqualTo(200);
        assertThat(header(res, "Content-Type")).isEqualTo("image/jpeg");
        assertThat(res.body()).isEqualTo(Files.readAllBytes(media1.resolve("landscape.jpg")));
        assertThat(header(res, "ETag")).startsWith("\"").endsWith("\"");
        assertThat(header(res, "Last-Modified")).endsWith("GMT");
        assertThat(header(res, "Cache-Control")).contains("max-age=");
        assertThat(header(res, "X-Image-Placeholder")).isNull();

        var byTag = get("/api/images/" + id, "If-None-Match", header(res, "ETag"));
        assertThat(byTag.statusCode()).isEqualTo(304);
        assertThat(byTag.body()).isEmpty();
        assertThat(header(byTag, "ETag")).isEqualTo(header(res, "ETag"));
        var byDate = get("/api/images/" + id, "If-Modified-Since", header(res, "Last-Modified"));
        assertThat(byDate.statusCode()).isEqualTo(304);
        var otherTag = get("/api/images/" + id, "If-None-Match", "\"something-else\"");
        assertThat(otherTag.statusCode()).isEqualTo(200);
        assertThat(otherTag.body()).isEqualTo(res.body());
    }

    @Test
    void aRelativePathIsFoundInTheSecondFolder() throws Exception {
        UUID id = record("batch2/portrait.jpg");
        var res = get("/api/images/" + id);
        assertThat(res.statusCode()).isEqualTo(200);
        assertThat(res.body()).isEqualTo(Files.readAllBytes(media2.resolve("batch2/portrait.jpg")));
    }

    @Test
    void anAbsolutePathInsideAFolderIsServed() throws Exception {
        UUID id = record(media2.resolve("batch2/portrait.jpg").toString());
        var res = get("/api/images/" + id);
        assertThat(res.statusCode()).isEqualTo(200);
        assertThat(res.body()).isEqualTo(Files.readAllBytes(media2.resolve("batch2/portrait.jpg")));
    }

    @Test
    void aWindowsPathIsServedByItsFileName() throws Exception {
        byte[] png = Files.readAllBytes(media1.resolve("name.png"));
        for (String windows : List.of("C:\\Users\\x\\Pictures\\name.png", "C:/Users/x/Pictures/name.png", "\\\\nas\\share\\renders\\name.png")) {
            var res = get("/api/images/" + record(windows));
            assertThat(res.statusCode()).as(windows).isEqualTo(200);
            assertThat(header(res, "Content-Type")).as(windows).isEqualTo("image/png");
            assertThat(res.body()).as(windows).isEqualTo(png);
        }
        assertPlaceholder(get("/api/images/" + record("C:\\Users\\x\\Pictures\\elsewhere.png")), "missing", "a name in no folder");
    }

    @Test
    void nothingOutsideTheMediaFoldersIsServed() throws Exception {
        byte[] outsideJpeg = Files.readAllBytes(outside.resolve("outside.jpg"));
        List<String> hostile = List.of(
                "../secret.txt",
                "../outside/secret.txt",
                "../../etc/passwd",
                "../../../../../../../../etc/passwd",
                "batch2/../../secret.txt",
                "..\\secret.txt",
                outside.resolve("secret.txt").toString(),
                outside.resolve("outside.jpg").toString(),
                root.resolve("secret.txt").toString(),
                "/etc/passwd",
                "link-out.jpg",
                "link-secret.jpg",
                media1.resolve("link-out.jpg").toString(),
                "linkdir/outside.jpg",
                "linkdir/secret.txt",
                "C:\\Users\\x\\..\\..\\secret.txt",
                "C:\\Users\\x\\Pictures\\link-out.jpg",
                "file://" + outside.resolve("outside.jpg"),
                "http://127.0.0.1/etc/passwd",
                "%2e%2e/secret.txt",
                "..%2Fsecret.txt");
        for (String filePath : hostile) {
            UUID id = record(filePath);
            var image = get("/api/images/" + id);
            assertPlaceholder(image, "outside", "image of " + filePath);
            assertThat(image.body()).as(filePath).isNotEqualTo(outsideJpeg);
            assertPlaceholder(get("/api/images/" + id + "/thumbnail"), "outside", "thumbnail of " + filePath);
            assertThat(thumbsOf(id)).as("thumbnails kept for " + filePath).isEmpty();
        }
    }

    @Test
    void traversalInTheIdItselfFindsNothing() throws Exception {
        List<String> paths = List.of(
                "/api/images/..%2F..",
                "/api/images/..%2F..%2Fsecret.txt",
                "/api/images/..%2F..%2F..%2F..%2F..%2F..%2Fetc%2Fpasswd",
                "/api/images/..%2F..%2Fsecret.txt/thumbnail",
                "/api/images/%2e%2e%2f%2e%2e%2fsecret.txt",
                "/api/images/..%5C..%5Csecret.txt",
                "/api/images/%00",
                "/api/images/" + UUID.randomUUID() + "%00",
                "/api/images/not-a-uuid",
                "/api/images/not-a-uuid/thumbnail");
        for (String path : paths) {
            var res = get(path);
            String body = new String(res.body(), StandardCharsets.UTF_8);
            assertThat(res.statusCode()).as(path).isEqualTo(404);
            assertThat(body).as(path).doesNotContain("SECRET").doesNotContain("root:");
            assertThat(header(res, "X-Image-Placeholder")).as(path).isEqualTo("unknown");
        }
        // dot segments are removed before routing: whatever answers, it is not a file from elsewhere
        for (String path : List.of("/api/images/%2e%2e/%2e%2e/secret.txt", "/api/images/../../secret.txt")) {
            var res = get(path);
            assertThat(res.statusCode()).as(path).isEqualTo(404);
            assertThat(new String(res.body(), StandardCharsets.UTF_8)).as(path).doesNotContain("SECRET");
        }
    }

    @Test
    void unknownRecordsAndMissingFilesGetThePlaceholder() throws Exception {
        UUID unknown = UUID.randomUUID();
        assertPlaceholder(get("/api/images/" + unknown), "unknown", "unknown record");
        assertPlaceholder(get("/api/images/" + unknown + "/thumbnail"), "unknown", "unknown record's thumbnail");
        UUID noPath = record(null);
        assertPlaceholder(get("/api/images/" + noPath), "missing", "no file_path");
        assertPlaceholder(get("/api/images/" + noPath + "/thumbnail"), "missing", "no file_path, thumbnail");
        UUID gone = record("gone.jpg");
        assertPlaceholder(get("/api/images/" + gone), "missing", "missing file");
        assertPlaceholder(get("/api/images/" + gone + "/thumbnail"), "missing", "missing file, thumbnail");
        UUID notAnImage = record("corrupt.jpg");
        assertPlaceholder(get("/api/images/" + notAnImage), "missing", "a file that is no image");
    }

    @Test
    void thumbnailsAreJpegsNoLargerThan256() throws Exception {
        BufferedImage wide = decode(get("/api/images/" + record("landscape.jpg") + "/thumbnail"));
        assertThat(Math.max(wide.getWidth(), wide.getHeight())).isLessThanOrEqualTo(256);
        assertThat(wide.getWidth()).isEqualTo(256);
        assertThat(wide.getHeight()).isEqualTo(170);
        BufferedImage tall = decode(get("/api/images/" + record("batch2/portrait.jpg") + "/thumbnail"));
        assertThat(tall.getHeight()).isEqualTo(256);
        assertThat(tall.getWidth()).isEqualTo(170);
    }

    @Test
    void aPngThumbnailHasItsTransparencyOnWhite() throws Exception {
        BufferedImage thumb = decode(get("/api/images/" + record("C:\\renders\\name.png") + "/thumbnail"));
        var transparentPart = new Color(thumb.getRGB(thumb.getWidth() / 4, thumb.getHeight() / 2));
        assertThat(List.of(transparentPart.getRed(), transparentPart.getGreen(), transparentPart.getBlue()))
                .allSatisfy(c -> assertThat(c).isGreaterThan(245));
    }

    @Test
    void aThumbnailIsMadeOnceAndServedFromTheThumbsFolder() throws Exception {
        UUID id = record("landscape.jpg");
        long before = rendered();
        var first = get("/api/images/" + id + "/thumbnail");
        decode(first);
        assertThat(rendered()).isEqualTo(before + 1);
        List<Path> kept = thumbsOf(id);
        assertThat(kept).hasSize(1);
        assertThat(Files.readAllBytes(kept.get(0))).isEqualTo(first.body());
        FileTime keptAt = Files.getLastModifiedTime(kept.get(0));
        Object keptKey = Files.readAttributes(kept.get(0), BasicFileAttributes.class).fileKey();

        var second = get("/api/images/" + id + "/thumbnail");
        assertThat(second.body()).isEqualTo(first.body());
        assertThat(rendered()).isEqualTo(before + 1);
        assertThat(thumbsOf(id)).containsExactlyElementsOf(kept);
        assertThat(Files.getLastModifiedTime(kept.get(0))).isEqualTo(keptAt);
        assertThat(Files.readAttributes(kept.get(0), BasicFileAttributes.class).fileKey()).isEqualTo(keptKey);

        var revalidated = get("/api/images/" + id + "/thumbnail", "If-None-Match", header(first, "ETag"));
        assertThat(revalidated.statusCode()).isEqualTo(304);
    }

    @Test
    void aChangedImageGetsANewThumbnail() throws Exception {
        Path file = Files.copy(IMAGES.resolve(ThumbnailsTest.LANDSCAPE), media1.resolve("changing.jpg"));
        UUID id = record("changing.jpg");
        var before = get("/api/images/" + id + "/thumbnail");
        assertThat(decode(before).getWidth()).isEqualTo(256);
        List<Path> old = thumbsOf(id);
        assertThat(old).hasSize(1);

        Files.copy(IMAGES.resolve(ThumbnailsTest.PORTRAIT), file, StandardCopyOption.REPLACE_EXISTING);
        var after = get("/api/images/" + id + "/thumbnail");
        BufferedImage renewed = decode(after);
        assertThat(renewed.getWidth()).isEqualTo(170);
        assertThat(renewed.getHeight()).isEqualTo(256);
        assertThat(header(after, "ETag")).isNotEqualTo(header(before, "ETag"));
        assertThat(thumbsOf(id)).hasSize(1).doesNotContainAnyElementsOf(old);
        // a browser holding the old ETag gets the new thumbnail, not a 304
        assertThat(get("/api/images/" + id + "/thumbnail", "If-None-Match", header(before, "ETag")).statusCode()).isEqualTo(200);
    }

    @Test
    void unreadableImagesGetThePlaceholderThumbnail() throws Exception {
        UUID webp = record("tiny.webp");
        var full = get("/api/images/" + webp);
        assertThat(full.statusCode()).isEqualTo(200);
        assertThat(header(full, "Content-Type")).isEqualTo("image/webp");
        assertPlaceholder(get("/api/images/" + webp + "/thumbnail"), "missing", "WebP thumbnail");
        assertPlaceholder(get("/api/images/" + record("corrupt.jpg") + "/thumbnail"), "missing", "corrupt thumbnail");
        assertThat(thumbsOf(webp)).isEmpty();
    }

    @Test
    void requestsForOneNewThumbnailAtOnceDrawItOnce() throws Exception {
        UUID id = record("batch2/portrait.jpg");
        long before = rendered();
        var pending = new ArrayList<CompletableFuture<HttpResponse<byte[]>>>();
        for (int i = 0; i < 6; i++) {
            pending.add(http.sendAsync(HttpRequest.newBuilder(URI.create(base + "/api/images/" + id + "/thumbnail")).build(),
                    HttpResponse.BodyHandlers.ofByteArray()));
        }
        byte[] first = null;
        for (var p : pending) {
            var res = p.get();
            decode(res);
            first = first == null ? res.body() : first;
            assertThat(res.body()).isEqualTo(first);
        }
        assertThat(rendered()).isEqualTo(before + 1);
        assertThat(thumbsOf(id)).hasSize(1);
    }

    @Test
    void whenTheLibraryCannotBeReadTheAnswerIsAJsonErrorWithoutAStackTrace() throws Exception {
        UUID id = record("landscape.jpg");
        TestLibrary.execute(jdbcUrl, "ALTER TABLE image_library RENAME TO image_library_away");
        try {
            var res = get("/api/images/" + id);
            assertThat(res.statusCode()).isEqualTo(500);
            assertThat(header(res, "Content-Type")).isEqualTo("application/json");
            assertThat(new String(res.body(), StandardCharsets.UTF_8)).contains("\"status\":500").contains(id.toString())
                    .doesNotContain("\tat ");
        } finally {
            TestLibrary.execute(jdbcUrl, "ALTER TABLE image_library_away RENAME TO image_library");
        }
        assertThat(get("/api/images/" + id).statusCode()).isEqualTo(200);
    }
}
