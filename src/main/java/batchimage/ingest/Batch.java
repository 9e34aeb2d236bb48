package batchimage.ingest;

import java.util.List;

/** A slice of a file: the records read and the entries rejected, in file order, and how far into the file it ends. */
public record Batch(List<ImageRecord> records, List<Rejection> rejections, int entries, long bytesRead) {
}
