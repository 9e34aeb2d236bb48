package batchimage.ingest;

import batchimage.ingest.ImportRuns;
import batchimage.ingest.LibraryWriter;
import java.nio.file.Path;

/** The state of one file's import while the route runs: where it is, what it has counted, how it ended. */
public final class ImportJob {

    public enum Outcome { RUNNING, DONE, ERROR }

    final Path file;
    final String fileName;
    final long fileBytes;
    final long startNanos = System.nanoTime();
    final long runId;
    LibraryWriter writer;
    RecordReader reader;
    ReadAhead<Batch> batches;
    long bytesRead;
    long lastProgressNanos = startNanos;

    long read;
    long inserted;
    long updated;
    long unchanged;
    long rejected;
    long superseded;
    Outcome outcome = Outcome.RUNNING;
    String error;
    Path report;
    double seconds;

    ImportJob(Path file, long fileBytes, long runId) {
        this.file = file;
        this.fileName = file.getFileName().toString();
        this.fileBytes = fileBytes;
        this.runId = runId;
    }

    ImportRuns.Counts counts() {
        return new ImportRuns.Counts(read, inserted, updated, unchanged, rejected, superseded);
    }

    public ImportResult result() {
        return new ImportResult(fileName, file.toString(), outcome.name().toLowerCase(java.util.Locale.ROOT),
                read, inserted, updated, unchanged, rejected, superseded, Math.round(seconds * 1000) / 1000.0,
                error, report == null ? null : report.toString());
    }

    /** Where the inbox route moves the file afterwards: done/ or error/. */
    public String target() {
        return outcome == Outcome.ERROR ? "error" : "done";
    }
}
