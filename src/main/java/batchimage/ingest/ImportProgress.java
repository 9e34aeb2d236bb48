package batchimage.ingest;

import java.time.Instant;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * How far this process's imports are, while they run: a file is one transaction, so nothing of it shows in
 * PostgreSQL before it is stored whole; the importer tells this after each batch, and the stats read it
 * ({@code importing} of {@code GET /api/stats}).
 */
public final class ImportProgress {

    /**
     * One import as last told: records and bytes read so far of the file's size.
     *
     * @param startNanos System.nanoTime() when it began, for its rate
     */
    public record Snapshot(long runId, String fileName, long fileBytes, Instant startedAt, long startNanos, long records, long bytesRead) {

        public double seconds(long nowNanos) {
            return Math.max(0, nowNanos - startNanos) / 1e9;
        }

        /** Records stored a second so far; 0 before the first batch. */
        public double recordsPerSecond(long nowNanos) {
            double secs = seconds(nowNanos);
            return secs <= 0 ? 0 : records / secs;
        }

        /** The part of the file read, from 0 to 1. */
        public double fraction() {
            return fileBytes <= 0 ? 0 : Math.min(1.0, (double) bytesRead / fileBytes);
        }

        /** Seconds left at the pace so far (by the bytes read), or null before anything was read. */
        public Double secondsLeft(long nowNanos) {
            double f = fraction();
            if (f <= 0) {
                return null;
            }
            double secs = seconds(nowNanos);
            return Math.max(0, secs / f - secs);
        }
    }

    private final Map<Long, Snapshot> running = new ConcurrentHashMap<>();

    void started(ImportJob job) {
        running.put(job.runId, new Snapshot(job.runId, job.fileName, job.fileBytes, Instant.now(), job.startNanos, 0, 0));
    }

    void update(ImportJob job) {
        running.computeIfPresent(job.runId, (id, s) -> new Snapshot(id, s.fileName(), s.fileBytes(), s.startedAt(), s.startNanos(),
                job.read, job.bytesRead));
    }

    void ended(long runId) {
        running.remove(runId);
    }

    /** The import of that run if this process runs it, else null. */
    public Snapshot of(long runId) {
        return running.get(runId);
    }
}
