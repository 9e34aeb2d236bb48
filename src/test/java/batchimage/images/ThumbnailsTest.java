package batchimage.images;

import static org.assertj.core.api.Assertions.assertThat;

import batchimage.support.TestLibrary;
import java.awt.Color;
import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.FileTime;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.Callable;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.stream.Stream;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The renderer (size, aspect, transparency, unreadable input) and the cache under thumbs/ (once, atomic, renewed). */
class ThumbnailsTest {

    /** A real 1x1 lossless WebP: Java's image readers cannot read WebP. */
    static final String WEBP_1X1 = "UklGRhoAAABXRUJQVlA4TA0AAAAvAAAAEAcQERGIiP4HAA==";
    static final Path IMAGES = TestLibrary.SHARED_DATA.resolve("media-library/images");
    /** 640x426 and 424x640. */
    static final String LANDSCAPE = "000000022192.jpg";
    static final String PORTRAIT = "000000000802.jpg";

    @TempDir
    Path dir;

    private final ThumbnailRenderer renderer = new ThumbnailRenderer(256);

    private static BufferedImage decode(byte[] jpeg) throws IOException {
        BufferedImage img = ImageIO.read(new ByteArrayInputStream(jpeg));
        assertThat(img).as("a JPEG ImageIO can read").isNotNull();
        return img;
    }

    private Path copy(String name) throws IOException {
        return Files.copy(IMAGES.resolve(name), dir.resolve(name));
    }

    static Path png(Path file, int width, int height, boolean transparentLeftHalf) throws IOException {
        var img = new BufferedImage(width, height, BufferedImage.TYPE_INT_ARGB);
        for (int y = 0; y < height; y++) {
            for (int x = 0; x < width; x++) {
                img.setRGB(x, y, transparentLeftHalf && x < width / 2 ? 0x00000000 : 0xFFD02020);
            }
        }
        ImageIO.write(img, "png", file.toFile());
        return file;
    }

    @Test
    void keepsTheAspectRatioWithTheLongerSideAt256() throws IOException {
        BufferedImage wide = decode(renderer.render(copy(LANDSCAPE)).orElseThrow());
        assertThat(wide.getWidth()).isEqualTo(256);
        assertThat(wide.getHeight()).isEqualTo(170); // 426 * 256 / 640
        BufferedImage tall = decode(renderer.render(copy(PORTRAIT)).orElseThrow());
        assertThat(tall.getHeight()).isEqualTo(256);
        assertThat(tall.getWidth()).isEqualTo(170); // 424 * 256 / 640
    }

    @Test
    void aLargeImageIsSubsampledWhileReadingAndStillComesOutAt256() throws IOException {
        BufferedImage big = decode(renderer.render(png(dir.resolve("big.png"), 3000, 1000, false)).orElseThrow());
        assertThat(big.getWidth()).isEqualTo(256);
        assertThat(big.getHeight()).isEqualTo(85);
        assertThat(renderer.read(dir.resolve("big.png")).orElseThrow().getWidth()).isLessThan(3000).isGreaterThanOrEqualTo(1024);
    }

    @Test
    void aSmallImageIsNotEnlarged() throws IOException {
        BufferedImage small = decode(renderer.render(png(dir.resolve("small.png"), 100, 40, false)).orElseThrow());
        assertThat(small.getWidth()).isEqualTo(100);
        assertThat(small.getHeight()).isEqualTo(40);
    }

    @Test
    void transparencyIsFlattenedOntoWhite() throws IOException {
        BufferedImage thumb = decode(renderer.render(png(dir.resolve("alpha.png"), 600, 300, true)).orElseThrow());
        var left = new Color(thumb.getRGB(thumb.getWidth() / 4, thumb.getHeight() / 2));
        var right = new Color(thumb.getRGB(thumb.getWidth() * 3 / 4, thumb.getHeight() / 2));
        assertThat(List.of(left.getRed(), left.getGreen(), left.getBlue())).allSatisfy(c -> assertThat(c).isGreaterThan(245));
        assertThat(right.getRed()).isGreaterThan(180);
        assertThat(right.getGreen()).isLessThan(80);
    }

    @Test
    void imagesJavaCannotReadGetNoThumbnail() throws IOException {
        Path webp = Files.write(dir.resolve("tiny.webp"), Base64.getDecoder().decode(WEBP_1X1));
        Path garbage = Files.writeString(dir.resolve("garbage.jpg"), "this is not an image at all");
        byte[] jpeg = Files.readAllBytes(IMAGES.resolve(LANDSCAPE));
        byte[] broken = new byte[4000];
        System.arraycopy(jpeg, 0, broken, 0, 2);
        java.util.Arrays.fill(broken, 2, broken.length, (byte) 0x5A);
        Path corrupt = Files.write(dir.resolve("corrupt.jpg"), broken);
        assertThat(renderer.render(webp)).isEmpty();
        assertThat(renderer.render(garbage)).isEmpty();
        assertThat(renderer.render(corrupt)).isEmpty();
        assertThat(renderer.render(dir.resolve("not-there.jpg"))).isEmpty();
    }

    @Test
    void aThumbnailIsDrawnOnceAndKeptAsAWholeFile() throws IOException {
        var thumbs = new Thumbnails(dir.resolve("thumbs"), renderer);
        UUID id = UUID.randomUUID();
        MediaFile image = MediaFile.of(copy(LANDSCAPE).toRealPath());
        byte[] first = thumbs.jpeg(id, image).orElseThrow();
        Path kept = thumbs.file(id, image);
        assertThat(kept).exists().startsWith(dir.resolve("thumbs").resolve(id.toString().substring(0, 2)));
        assertThat(Files.readAllBytes(kept)).isEqualTo(first);
        FileTime keptAt = Files.getLastModifiedTime(kept);
        Object keptKey = Files.readAttributes(kept, java.nio.file.attribute.BasicFileAttributes.class).fileKey();

        assertThat(thumbs.jpeg(id, image)).hasValueSatisfying(again -> assertThat(again).isEqualTo(first));
        assertThat(thumbs.rendered()).isEqualTo(1);
        assertThat(Files.getLastModifiedTime(kept)).isEqualTo(keptAt);
        assertThat(Files.readAttributes(kept, java.nio.file.attribute.BasicFileAttributes.class).fileKey()).isEqualTo(keptKey);
        assertThat(allFiles(dir.resolve("thumbs"))).containsExactly(kept);
    }

    @Test
    void aChangedImageGetsANewThumbnailAndTheOldOneGoes() throws IOException {
        var thumbs = new Thumbnails(dir.resolve("thumbs"), renderer);
        UUID id = UUID.randomUUID();
        Path file = copy(LANDSCAPE);
        MediaFile before = MediaFile.of(file.toRealPath());
        assertThat(decode(thumbs.jpeg(id, before).orElseThrow()).getWidth()).isEqualTo(256);
        Path oldThumb = thumbs.file(id, before);

        Files.copy(IMAGES.resolve(PORTRAIT), file, StandardCopyOption.REPLACE_EXISTING);
        MediaFile after = MediaFile.of(file.toRealPath());
        BufferedImage renewed = decode(thumbs.jpeg(id, after).orElseThrow());
        assertThat(renewed.getWidth()).isEqualTo(170);
        assertThat(renewed.getHeight()).isEqualTo(256);
        assertThat(thumbs.rendered()).isEqualTo(2);
        assertThat(oldThumb).doesNotExist();
        assertThat(allFiles(dir.resolve("thumbs"))).containsExactly(thumbs.file(id, after));

        // same size, only touched: a new modification time is a new image too
        Files.setLastModifiedTime(file, FileTime.fromMillis(Files.getLastModifiedTime(file).toMillis() + 60_000));
        MediaFile touched = MediaFile.of(file.toRealPath());
        assertThat(thumbs.file(id, touched)).isNotEqualTo(thumbs.file(id, after));
        thumbs.jpeg(id, touched);
        assertThat(thumbs.rendered()).isEqualTo(3);
    }

    @Test
    void requestsAtTheSameTimeWaitForOneDrawing() throws Exception {
        var thumbs = new Thumbnails(dir.resolve("thumbs"), renderer);
        UUID id = UUID.randomUUID();
        MediaFile image = MediaFile.of(png(dir.resolve("shared.png"), 2400, 1600, true).toRealPath());
        var pool = Executors.newFixedThreadPool(6);
        try {
            List<Callable<Optional<byte[]>>> calls = new ArrayList<>();
            for (int i = 0; i < 6; i++) {
                calls.add(() -> thumbs.jpeg(id, image));
            }
            List<byte[]> answers = new ArrayList<>();
            for (Future<Optional<byte[]>> f : pool.invokeAll(calls)) {
                answers.add(f.get().orElseThrow());
            }
            assertThat(answers).allSatisfy(a -> assertThat(a).isEqualTo(answers.get(0)));
        } finally {
            pool.shutdownNow();
        }
        assertThat(thumbs.rendered()).isEqualTo(1);
        assertThat(allFiles(dir.resolve("thumbs"))).containsExactly(thumbs.file(id, image));
    }

    @Test
    void anUnreadableImageIsNotTriedAgainUntilItChanges() throws IOException {
        var thumbs = new Thumbnails(dir.resolve("thumbs"), renderer);
        UUID id = UUID.randomUUID();
        Path file = Files.write(dir.resolve("tiny.webp"), Base64.getDecoder().decode(WEBP_1X1));
        MediaFile image = MediaFile.of(file.toRealPath());
        assertThat(thumbs.jpeg(id, image)).isEmpty();
        assertThat(thumbs.jpeg(id, image)).isEmpty();
        assertThat(thumbs.rendered()).isEqualTo(1);
        assertThat(dir.resolve("thumbs")).doesNotExist();

        png(file, 50, 50, false);
        assertThat(thumbs.jpeg(id, MediaFile.of(file.toRealPath()))).isPresent();
        assertThat(thumbs.rendered()).isEqualTo(2);
    }

    private static List<Path> allFiles(Path root) throws IOException {
        try (Stream<Path> s = Files.walk(root)) {
            return s.filter(Files::isRegularFile).toList();
        }
    }
}
