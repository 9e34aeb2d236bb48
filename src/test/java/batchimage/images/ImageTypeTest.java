package batchimage.images;

import static org.assertj.core.api.Assertions.assertThat;

import batchimage.support.TestLibrary;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.util.Base64;
import org.junit.jupiter.api.Test;

/** Content types come from a file's first bytes, not from its name. */
class ImageTypeTest {

    @Test
    void knowsTheFormatsBrowsersShow() throws Exception {
        byte[] jpeg = Files.readAllBytes(TestLibrary.SHARED_DATA.resolve("media-library/images/000000022192.jpg"));
        assertThat(ImageType.of(jpeg)).contains("image/jpeg");
        assertThat(ImageType.of(new byte[] {(byte) 0x89, 'P', 'N', 'G', 0x0D, 0x0A, 0x1A, 0x0A, 0, 0})).contains("image/png");
        assertThat(ImageType.of("GIF89a....".getBytes(StandardCharsets.US_ASCII))).contains("image/gif");
        assertThat(ImageType.of(Base64.getDecoder().decode(ThumbnailsTest.WEBP_1X1))).contains("image/webp");
        assertThat(ImageType.of("BM........".getBytes(StandardCharsets.US_ASCII))).contains("image/bmp");
        assertThat(ImageType.of(new byte[] {'I', 'I', 0x2A, 0, 8, 0, 0, 0})).contains("image/tiff");
        assertThat(ImageType.of(new byte[] {0, 0, 0, 0x1C, 'f', 't', 'y', 'p', 'a', 'v', 'i', 'f'})).contains("image/avif");
    }

    @Test
    void textSvgAndShortFilesAreNotImages() {
        assertThat(ImageType.of("TOP SECRET, whatever the file is called".getBytes(StandardCharsets.UTF_8))).isEmpty();
        assertThat(ImageType.of("<svg xmlns=\"http://www.w3.org/2000/svg\"><script/></svg>".getBytes(StandardCharsets.UTF_8))).isEmpty();
        assertThat(ImageType.of(new byte[] {(byte) 0xFF, (byte) 0xD8})).isEmpty();
        assertThat(ImageType.of(new byte[0])).isEmpty();
    }
}
