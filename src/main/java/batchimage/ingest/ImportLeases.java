package batchimage.ingest;

import batchimage.ingest.ImportRuns;
import java.sql.SQLException;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import javax.sql.DataSource;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The imports this process runs, as leases in import_run: renewed while they run, so that a run whose process
 * ended is told from one that is only long. The service also watches the others' runs: a run whose process ended
 * is closed as interrupted (at once when that process was of this machine, else when its lease has run out).
 */
public final class ImportLeases implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(ImportLeases.class);

    private final ImportRuns runs;
    private final int leaseSeconds;
    private final boolean watch;
    private final Set<Long> running = ConcurrentHashMap.newKeySet();
    /** Runs that failed while the database was away, to be closed once it is back. */
    private final Map<Long, Closing> toClose = new ConcurrentHashMap<>();

    private record Closing(double seconds, long read, String reason) {
    }
    private final ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "import-leases");
        t.setDaemon(true);
        return t;
    });

    /** {@code watch}: close the runs of processes that ended, now and every third of the lease. */
    public ImportLeases(DataSource dataSource, int leaseSeconds, boolean watch) {
        this.runs = new ImportRuns(dataSource);
        this.leaseSeconds = leaseSeconds;
        this.watch = watch;
        long every = Math.max(1000L, leaseSeconds * 1000L / 3);
        timer.scheduleWithFixedDelay(this::tick, watch ? 0 : every, every, TimeUnit.MILLISECONDS);
    }

    void started(long runId) {
        running.add(runId);
    }

    void ended(long runId) {
        running.remove(runId);
    }

    /** The run could not be closed (the database is away): it is closed with this reason when the database is back. */
    void closeLater(long runId, double seconds, long read, String reason) {
        running.remove(runId);
        toClose.put(runId, new Closing(seconds, read, reason));
    }

    private void tick() {
        try {
            runs.renew(running);
            for (var e : toClose.entrySet()) {
                Closing c = e.getValue();
                runs.finish(e.getKey(), c.seconds(), "interrupted", new ImportRuns.Counts(c.read(), 0, 0, 0, 0, 0), c.reason());
                toClose.remove(e.getKey());
            }
            if (watch) {
                closeInterrupted();
            }
        } catch (SQLException | RuntimeException e) {
            LOG.debug("cannot renew or close import runs now: {}", e.getMessage());
        }
    }

    /** Closes the runs of processes that ended as interrupted, saying which. */
    public void closeInterrupted() throws SQLException {
        for (String run : runs.closeInterrupted(leaseSeconds)) {
            LOG.info("the import of {} was interrupted: its process ended before the file was stored; the run is closed as interrupted", run);
        }
    }

    @Override
    public void close() {
        timer.shutdownNow();
    }
}
