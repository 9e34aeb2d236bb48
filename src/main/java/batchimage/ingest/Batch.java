package batchimage.ingest;

import batchimage.ingest.LibraryWriter;
import java.util.List;

/** A slice of a file: the records read and the entries rejected, in file order, and how far into the file it ends. */
public record Batch(List<ImageRecord> records, List<Rejection> rejections, int entries, long bytesRead,
                    LibraryWriter.Encoded encoded) {

    /** The same batch with its records already encoded for the database (done ahead, on the reading thread). */
    public Batch encodedFor(String sourceFile) {
        return new Batch(records, rejections, entries, bytesRead, LibraryWriter.encode(records, sourceFile));
    }
}
