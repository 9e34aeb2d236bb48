package batchimage.store;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * Files and folder entries forced to disk: a file created, moved or written is only sure to survive a power loss
 * once its content and the entry in its folder are, and neither is until forced.
 */
public final class Durably {

    private static final boolean WINDOWS = System.getProperty("os.name", "").toLowerCase(java.util.Locale.ROOT).startsWith("windows");

    private Durably() {
    }

    /** Forces a folder's entries (files created, renamed or deleted in it) to disk. Windows cannot open a folder: there NTFS's journal does it. */
    public static void syncDirectory(Path dir) throws IOException {
        if (WINDOWS) {
            return;
        }
        try (FileChannel c = FileChannel.open(dir, StandardOpenOption.READ)) {
            c.force(true);
        }
    }

    /** Writes a text file and forces it and its folder entry to disk. */
    public static void writeString(Path file, String text) throws IOException {
        try (FileChannel c = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.WRITE, StandardOpenOption.TRUNCATE_EXISTING)) {
            ByteBuffer b = ByteBuffer.wrap(text.getBytes(StandardCharsets.UTF_8));
            while (b.hasRemaining()) {
                c.write(b);
            }
            c.force(true);
        }
        syncDirectory(file.toAbsolutePath().getParent());
    }
}
