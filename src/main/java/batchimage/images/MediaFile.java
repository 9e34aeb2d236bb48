package batchimage.images;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.FileTime;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.concurrent.TimeUnit;

/** A served image file as it is now: its real path, size and modification time. */
public record MediaFile(Path file, long size, FileTime modified) {

    /** Reads the file's attributes (the file must be a regular file, not a link). */
    public static MediaFile of(Path realFile) throws IOException {
        var attrs = Files.readAttributes(realFile, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
        if (!attrs.isRegularFile()) {
            throw new IOException("not a regular file: " + realFile);
        }
        return new MediaFile(realFile, attrs.size(), attrs.lastModifiedTime());
    }

    /** A hash of path, size and modification time: changes whenever the image (or where it is) changes. */
    public String fingerprint() {
        try {
            var sha = MessageDigest.getInstance("SHA-256");
            sha.update((file + "\n" + size + "\n" + modified.to(TimeUnit.NANOSECONDS)).getBytes(StandardCharsets.UTF_8));
            return HexFormat.of().formatHex(sha.digest(), 0, 10);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is part of every Java runtime", e);
        }
    }
}
