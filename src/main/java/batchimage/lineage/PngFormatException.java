package batchimage.lineage;

import java.io.IOException;
import java.nio.file.Path;

/**
 * A file that is not a PNG, or a PNG that is truncated or corrupt (bad CRC of a chunk that was read, bad zlib
 * stream, a chunk too large to read). The message names the file and, where there is one, the chunk.
 */
public final class PngFormatException extends IOException {

    private final Path file;
    private final String chunk;

    PngFormatException(Path file, String chunk, String reason) {
        super(file + (chunk == null ? "" : ", chunk " + chunk) + ": " + reason);
        this.file = file;
        this.chunk = chunk;
    }

    PngFormatException(Path file, String chunk, String reason, Throwable cause) {
        this(file, chunk, reason);
        initCause(cause);
    }

    /** The file that could not be read. */
    public Path file() {
        return file;
    }

    /** The chunk the problem is in (e.g. {@code zTXt "prompt" at offset 33}), or null for the file as a whole. */
    public String chunk() {
        return chunk;
    }
}
