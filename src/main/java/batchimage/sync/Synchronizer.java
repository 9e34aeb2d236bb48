package batchimage.sync;

import batchimage.deadletter.DeadLetterHealing;
import batchimage.index.IndexBatch;
import batchimage.lexical.LexicalFeed;
import batchimage.index.Namespaces;
import batchimage.vectors.PineconeClient;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.Date;
import java.util.LinkedHashMap;
import java.util.Map;
import javax.sql.DataSource;
import org.apache.camel.Exchange;

/**
 * The steps of the sync route (routes/sync.camel.yaml): it brings the vector index back in step with
 * PostgreSQL. A run holds a PostgreSQL advisory lock for its length, so that one sync runs at a time
 * across every instance on the database; a scheduled run also claims its Quartz tick in sync_run, so that
 * instances firing the same tick run it once ({@link SyncRuns}). Per namespace it lists the index's ids into
 * a temporary table and compares them with image_library: vectors of no active record are deleted, and
 * active records whose vector is missing are pending again for the index route ({@link NamespaceReconciler}).
 * Namespaces of old generations are emptied ({@link StaleGenerations}).
 */
public final class Synchronizer {

    private final SyncRuns runs;
    private final NamespaceReconciler reconciler;
    private final StaleGenerations stale;
    private final LexicalFeed lexical;

    /** A synchronizer whose resolved dead letters are counted on their own (not in the service's metric). */
    public Synchronizer(DataSource dataSource, PineconeClient index, int settleSeconds, int waitSeconds, Namespaces namespaces) {
        this(dataSource, index, settleSeconds, waitSeconds, namespaces, new DeadLetterHealing());
    }

    /**
     * {@code settleSeconds}: records indexed this long before a listing began are expected in it;
     * {@code waitSeconds}: how long a run asked for on demand waits for one under way;
     * {@code healing}: resolves the dead letters of failed syncs when a run finishes.
     */
    public Synchronizer(DataSource dataSource, PineconeClient index, int settleSeconds, int waitSeconds, Namespaces namespaces,
                        DeadLetterHealing healing) {
        this(dataSource, index, settleSeconds, waitSeconds, namespaces, healing, null);
    }

    /** As above, with this process's lexical index ({@code lexical}, or null) repaired by each run. */
    public Synchronizer(DataSource dataSource, PineconeClient index, int settleSeconds, int waitSeconds, Namespaces namespaces,
                        DeadLetterHealing healing, LexicalFeed lexical) {
        this.lexical = lexical;
        this.runs = new SyncRuns(dataSource, waitSeconds, healing);
        this.reconciler = new NamespaceReconciler(index, settleSeconds, namespaces);
        this.stale = new StaleGenerations(index);
    }

    /** One run: its lock, what it found and did, and how it is going. */
    public static final class Run implements batchimage.index.RunUnderLock {
        final long id;
        final String startedBy;
        final String mode;
        final Connection lock;
        final long startNanos = System.nanoTime();
        final Map<String, Object> drift = new LinkedHashMap<>();
        OffsetDateTime listedFrom;
        boolean finished;

        @Override
        public Connection lock() {
            return lock;
        }

        @Override
        public Map<String, Object> drift() {
            return drift;
        }

        Run(long id, String startedBy, String mode, Connection lock) {
            this.id = id;
            this.startedBy = startedBy;
            this.mode = mode;
            this.lock = lock;
            for (String ns : IndexBatch.NAMESPACES) {
                var n = new LinkedHashMap<String, Object>();
                n.put("listed", 0L);
                n.put("orphans_removed", 0L);
                n.put("missing_requeued", 0L);
                n.put("inactive_removed", 0L);
                n.put("too_recent", 0L);
                drift.put(ns, n);
            }
            drift.put("failed_requeued", 0L);
            drift.put("lexical", Map.of("added", 0L, "removed", 0L));
            drift.put("stale_namespaces_removed", new ArrayList<String>());
        }

        @SuppressWarnings("unchecked")
        Map<String, Object> namespace(String ns) {
            return (Map<String, Object>) drift.get(ns);
        }

        void add(String ns, String what, long n) {
            namespace(ns).merge(what, n, (a, b) -> (Long) a + (Long) b);
        }

        public long id() {
            return id;
        }

        @Override
        public String toString() {
            return "sync run #" + id + " (" + startedBy + ", " + mode + ")";
        }
    }

    /**
     * Starts a run, or answers null when there is nothing to do here: a scheduled tick another instance
     * took, or a sync under way when the schedule fires. Asked for on demand ({@code api}, {@code command}),
     * it waits up to {@code sync.wait-seconds} for a run under way to end.
     */
    public Run begin(String startedBy, Date tick, String mode) throws SQLException {
        return runs.begin(startedBy, tick, mode);
    }

    /**
     * Asked for on demand (reindex): records whose indexing failed too often are pending again, with their
     * attempts counted afresh. The schedule leaves them failed: a record that keeps failing is not retried forever.
     */
    public Run requeueFailed(Run run) throws SQLException {
        if ("schedule".equals(run.startedBy)) {
            return run;
        }
        try (PreparedStatement ps = run.lock.prepareStatement("""
                UPDATE image_library SET index_state = 'pending', index_attempts = 0, next_attempt_at = NULL
                WHERE status = 'active' AND index_state = 'failed'""")) {
            run.drift.put("failed_requeued", (long) ps.executeUpdate());
        }
        return run;
    }

    /**
     * This process's lexical index made to hold exactly the library's records with words (the records it lacks read
     * again, the others removed); the other instances' indexes repair themselves when they start.
     */
    public Run reconcileLexical(Run run) {
        if (lexical != null) {
            run.drift.put("lexical", lexical.reconcile());
        }
        return run;
    }

    /** Removes, namespace by namespace, the vectors of records no longer active (their fingerprint says they have one). */
    public Run removeInactive(Run run) throws SQLException {
        return reconciler.removeInactive(run);
    }

    /** Empties the namespaces of generations neither live nor being built ({@link StaleGenerations}). */
    public Run removeStaleGenerations(Run run) throws SQLException {
        return stale.removeStaleGenerations(run);
    }

    /** Lists every id of the namespace into the run's temporary table sync_seen. */
    public Run listIds(Run run, String ns) throws SQLException {
        return reconciler.listIds(run, ns);
    }

    /** Deletes the vectors of the listing that belong to no active record with a vector there. */
    public Run removeOrphans(Run run, String ns) throws SQLException {
        return reconciler.removeOrphans(run, ns);
    }

    /** Active records whose fingerprint says they have a vector in the namespace that the listing lacks: pending again. */
    public Run requeueMissing(Run run, String ns) throws SQLException {
        return reconciler.requeueMissing(run, ns);
    }

    /** Ends the run: its drift and figures in sync_run and the log, the lock released; answers the report. */
    public Map<String, Object> finish(Run run) throws SQLException {
        return runs.finish(run);
    }

    /** Called whatever happened (the route's doFinally): a run that did not finish is recorded as failed with the reason. */
    public void release(Exchange exchange) {
        runs.release(exchange);
    }

    /** Refused: a run asked for on demand found another under way for longer than it may wait (409). */
    public static final class SyncBusyException extends RuntimeException {
        public SyncBusyException(String message) {
            super(message);
        }
    }
}
