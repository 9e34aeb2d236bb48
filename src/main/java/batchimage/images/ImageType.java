package batchimage.images;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Optional;

/**
 * The content type of an image from its first bytes, not its name: a file is served only as an image
 * format browsers show, and a text file named {@code .png} is not served at all. SVG is left out on purpose
 * (it can carry script, and the API serves from the page's own origin).
 */
public final class ImageType {

    /** Bytes {@link #of} needs to look at. */
    public static final int HEAD = 16;

    private ImageType() {
    }

    public static Optional<String> of(byte[] head) {
        if (starts(head, 0xFF, 0xD8, 0xFF)) {
            return Optional.of("image/jpeg");
        }
        if (starts(head, 0x89, 'P', 'N', 'G', 0x0D, 0x0A, 0x1A, 0x0A)) {
            return Optional.of("image/png");
        }
        if (ascii(head, 0, "GIF87a") || ascii(head, 0, "GIF89a")) {
            return Optional.of("image/gif");
        }
        if (ascii(head, 0, "RIFF") && ascii(head, 8, "WEBP")) {
            return Optional.of("image/webp");
        }
        if (ascii(head, 0, "BM")) {
            return Optional.of("image/bmp");
        }
        if (starts(head, 'I', 'I', 0x2A, 0x00) || starts(head, 'M', 'M', 0x00, 0x2A)) {
            return Optional.of("image/tiff");
        }
        if (ascii(head, 4, "ftyp")) {
            String brand = head.length >= 12 ? new String(head, 8, 4, StandardCharsets.US_ASCII) : "";
            if (brand.equals("avif") || brand.equals("avis")) {
                return Optional.of("image/avif");
            }
            if (brand.startsWith("hei") || brand.startsWith("hev") || brand.equals("mif1")) {
                return Optional.of("image/heic");
            }
        }
        return Optional.empty();
    }

    private static boolean starts(byte[] head, int... bytes) {
        if (head.length < bytes.length) {
            return false;
        }
        for (int i = 0; i < bytes.length; i++) {
            if ((head[i] & 0xFF) != bytes[i]) {
                return false;
            }
        }
        return true;
    }

    private static boolean ascii(byte[] head, int at, String text) {
        byte[] t = text.getBytes(StandardCharsets.US_ASCII);
        return head.length >= at + t.length && Arrays.equals(head, at, at + t.length, t, 0, t.length);
    }
}
