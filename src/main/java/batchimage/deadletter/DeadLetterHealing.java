package batchimage.deadletter;

import batchimage.index.Indexer;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Closes the open dead letters whose failure did not recur, as {@code resolved}, in the transaction of the success
 * that shows it: a letter naming records (an index batch) once every one of them still active is indexed, a failed
 * sync's letter once a later sync run finishes. Letters a replay or dismissal holds at that moment are left to it.
 * Enrich letters are not healed: enrich marks no record as examined without failure since a letter.
 */
public final class DeadLetterHealing implements Indexer.OnIndexed {

    private static final Logger LOG = LoggerFactory.getLogger(DeadLetterHealing.class);

    /** Mostly none: then no lock is taken. */
    private static final String ANY_OPEN = "SELECT 1 FROM dead_letter WHERE state = 'open' AND records && ?::uuid[] LIMIT 1";

    /**
     * Taken before the letters are judged, until the transaction ends ("deadheal"): two batches indexing the last records
     * of one letter at once would otherwise each see the other's records not yet indexed, and neither close it.
     */
    static final long LOCK = 0x646561646865616cL;

    /** {@code retry}: the failed attempts before the one that indexed the record (the latest of the letter's in this batch). */
    private static final String RESOLVE_INDEXED = """
            WITH done (id, retry) AS (SELECT * FROM unnest(?::uuid[], ?::int[])),
            open AS (
                SELECT id FROM dead_letter
                WHERE state = 'open' AND records && (SELECT array_agg(id) FROM done) AND created_at < now()
                FOR UPDATE SKIP LOCKED
            ), healed AS (
                SELECT d.id, max(done.retry) AS retry, cardinality(d.records) AS named
                FROM dead_letter d JOIN open USING (id) JOIN done ON done.id = ANY (d.records)
                WHERE NOT EXISTS (SELECT 1 FROM image_library t
                                  WHERE t.id = ANY (d.records) AND t.status = 'active' AND t.index_state <> 'indexed')
                GROUP BY d.id
            )
            UPDATE dead_letter d SET state = 'resolved', resolved_at = now(),
                   resolution = CASE WHEN h.named = 1 THEN 'indexed' ELSE 'its records indexed, the last' END
                                || CASE WHEN h.retry > 0 THEN ' on retry ' || h.retry ELSE '' END
                                || ' at ' || date_trunc('second', now())::text || '; the failure did not recur'
            FROM healed h WHERE d.id = h.id
            """;

    private static final String RESOLVE_SYNC = """
            UPDATE dead_letter SET state = 'resolved', resolved_at = now(),
                   resolution = 'sync #' || ? || ' finished at ' || date_trunc('second', now())::text || '; the failure did not recur'
            WHERE id IN (SELECT id FROM dead_letter WHERE state = 'open' AND stage = 'sync' AND created_at < now() FOR UPDATE SKIP LOCKED)
            """;

    private final AtomicLong resolved = new AtomicLong();
    private final AtomicLong unreported = new AtomicLong();

    /** Resolves the open letters whose records are now all indexed, these among them; answers how many (not yet committed). */
    @Override
    public int indexed(Connection c, Map<String, Integer> retries) throws SQLException {
        var ids = c.createArrayOf("uuid", retries.keySet().toArray());
        try (PreparedStatement any = c.prepareStatement(ANY_OPEN)) {
            any.setArray(1, ids);
            try (ResultSet rs = any.executeQuery()) {
                if (!rs.next()) {
                    return 0;
                }
            }
        }
        try (PreparedStatement lock = c.prepareStatement("SELECT pg_advisory_xact_lock(?)");
             PreparedStatement ps = c.prepareStatement(RESOLVE_INDEXED)) {
            lock.setLong(1, LOCK);
            lock.execute();
            ps.setArray(1, ids);
            ps.setArray(2, c.createArrayOf("int4", retries.values().toArray()));
            return ps.executeUpdate();
        }
    }

    /** The letters {@link #indexed} resolved are committed: counted, and told at the end of the round. */
    @Override
    public void committed(int letters) {
        resolved.addAndGet(letters);
        unreported.addAndGet(letters);
    }

    /**
     * Resolves the open letters of failed syncs, now that sync run {@code run} finished, in its transaction; answers how
     * many, to give {@link #syncCommitted} once committed (the run's log line says so).
     */
    public int syncFinished(Connection c, long run) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement(RESOLVE_SYNC)) {
            ps.setLong(1, run);
            return ps.executeUpdate();
        }
    }

    /** The letters {@link #syncFinished} resolved are committed. */
    public void syncCommitted(int letters) {
        resolved.addAndGet(letters);
    }

    /** The end of a round of the index route: one line when letters were resolved since the last. */
    public void roundEnded() {
        long n = unreported.getAndSet(0);
        if (n > 0) {
            LOG.info("{} dead letters resolved: the records they name are indexed, the failure did not recur", n);
        }
    }

    /** Dead letters this process resolved since it started. */
    public long resolved() {
        return resolved.get();
    }
}
