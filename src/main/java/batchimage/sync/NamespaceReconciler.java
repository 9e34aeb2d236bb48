package batchimage.sync;

import batchimage.index.IndexBatch;
import batchimage.index.Namespaces;
import batchimage.sync.Synchronizer.Run;
import batchimage.vectors.PineconeClient;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A namespace of the vector index compared with image_library, under a run's lock: the index's ids are listed
 * into the run's temporary table sync_seen; vectors of no active record are deleted, and active records whose
 * vector is missing are pending again for the index route. Records being indexed (pending or claimed) are in
 * motion and left alone, as are records indexed since just before the listing began (the index's listing may
 * not show them yet).
 */
final class NamespaceReconciler {

    /** Logged as the sync's: one logger for all a sync run does. */
    private static final Logger LOG = LoggerFactory.getLogger(Synchronizer.class);
    private static final int CHUNK = PineconeClient.MAX_VECTORS;
    private static final long PROGRESS_NANOS = 5_000_000_000L;

    private final PineconeClient index;
    private final int settleSeconds;
    /** The generation the fingerprints describe is the one compared (while a full reindex builds one, that one). */
    private final Namespaces namespaces;

    /** {@code settleSeconds}: records indexed this long before a listing began are expected in it. */
    NamespaceReconciler(PineconeClient index, int settleSeconds, Namespaces namespaces) {
        this.index = index;
        this.settleSeconds = settleSeconds;
        this.namespaces = namespaces;
    }

    /** Removes, namespace by namespace, the vectors of records no longer active (their fingerprint says they have one). */
    Run removeInactive(Run run) throws SQLException {
        for (String ns : IndexBatch.NAMESPACES) {
            while (true) {
                List<String> ids = new ArrayList<>();
                try (PreparedStatement ps = run.lock.prepareStatement("""
                        SELECT id::text FROM image_library WHERE status <> 'active' AND %s_fp IS NOT NULL AND claimed_at IS NULL
                        ORDER BY id LIMIT ?""".formatted(ns))) {
                    ps.setInt(1, CHUNK);
                    try (ResultSet rs = ps.executeQuery()) {
                        while (rs.next()) {
                            ids.add(rs.getString(1));
                        }
                    }
                }
                if (ids.isEmpty()) {
                    break;
                }
                for (String physical : namespaces.all(ns)) {
                    index.delete(physical, ids);
                }
                forget(run.lock, ns, ids);
                run.add(ns, "inactive_removed", ids.size());
            }
        }
        return run;
    }

    /** Lists every id of the namespace into the run's temporary table sync_seen. */
    Run listIds(Run run, String ns) throws SQLException {
        try (Statement st = run.lock.createStatement()) {
            st.execute("CREATE TEMPORARY TABLE IF NOT EXISTS sync_seen (id text PRIMARY KEY)");
            st.execute("TRUNCATE sync_seen");
        }
        // what the index route writes from here on may be missing from the listing: it is not called missing
        try (PreparedStatement ps = run.lock.prepareStatement("SELECT now() - make_interval(secs => ?)")) {
            ps.setInt(1, settleSeconds);
            try (ResultSet rs = ps.executeQuery()) {
                rs.next();
                run.listedFrom = rs.getObject(1, OffsetDateTime.class);
            }
        }
        long start = System.nanoTime();
        long[] seen = {0, start};
        try (PreparedStatement ps = run.lock.prepareStatement("INSERT INTO sync_seen SELECT unnest(?::text[]) ON CONFLICT DO NOTHING")) {
            long n = index.listPages(namespaces.write(ns), "", page -> {
                try {
                    ps.setArray(1, run.lock.createArrayOf("text", page.toArray()));
                    ps.executeUpdate();
                } catch (SQLException e) {
                    throw new IllegalStateException("cannot keep the ids listed from namespace " + ns + ": " + e.getMessage(), e);
                }
                seen[0] += page.size();
                long now = System.nanoTime();
                if (now - seen[1] >= PROGRESS_NANOS) {
                    // a large index takes a while to list (Pinecone: 100 ids a request): say how it goes
                    seen[1] = now;
                    LOG.info("sync #{}: {} ids of namespace {} listed, {} ids/s", run.id, String.format("%,d", seen[0]), ns,
                            String.format("%,.0f", seen[0] / ((now - start) / 1e9)));
                }
            });
            run.add(ns, "listed", n);
        }
        // a temporary table has no statistics until asked: the comparisons below plan on real counts
        try (Statement st = run.lock.createStatement()) {
            st.execute("ANALYZE sync_seen");
        }
        return run;
    }

    /**
     * Deletes the vectors of the listing that belong to no active record with a vector there: ids that are not
     * records, records no longer active, and records whose text for the namespace is empty.
     */
    Run removeOrphans(Run run, String ns) throws SQLException {
        List<String> orphans = new ArrayList<>();
        try (PreparedStatement ps = run.lock.prepareStatement("""
                SELECT s.id FROM sync_seen s
                LEFT JOIN image_library t ON t.id = CASE WHEN s.id ~ '^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$'
                                                          THEN s.id::uuid END
                WHERE t.id IS NULL
                   OR t.claimed_at IS NULL AND (t.status <> 'active' OR t.%s_fp IS NULL AND t.index_state NOT IN ('pending', 'indexing'))
                ORDER BY s.id""".formatted(ns));
             ResultSet rs = ps.executeQuery()) {
            while (rs.next()) {
                orphans.add(rs.getString(1));
            }
        }
        for (int i = 0; i < orphans.size(); i += CHUNK) {
            List<String> chunk = orphans.subList(i, Math.min(orphans.size(), i + CHUNK));
            index.delete(namespaces.write(ns), chunk);
            forget(run.lock, ns, chunk.stream().filter(NamespaceReconciler::isUuid).toList());
        }
        run.add(ns, "orphans_removed", orphans.size());
        if (!orphans.isEmpty()) {
            LOG.info("sync #{}: {} vectors in namespace {} belonged to no active record and were removed (first: {})", run.id, orphans.size(), ns,
                    orphans.subList(0, Math.min(5, orphans.size())));
        }
        return run;
    }

    private static boolean isUuid(String s) {
        return s.matches("[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}");
    }

    /** Active records whose fingerprint says they have a vector in the namespace that the listing lacks: pending again, for that namespace. */
    Run requeueMissing(Run run, String ns) throws SQLException {
        try (PreparedStatement ps = run.lock.prepareStatement("""
                UPDATE image_library t SET %s_fp = NULL, index_state = 'pending', index_attempts = 0, next_attempt_at = NULL
                WHERE status = 'active' AND %1$s_fp IS NOT NULL
                  -- pending too: the other namespace's pass of this run may have re-queued the record already
                  AND index_state IN ('indexed', 'pending')
                  AND (indexed_at IS NULL OR indexed_at < ?)
                  AND NOT EXISTS (SELECT 1 FROM sync_seen s WHERE s.id = t.id::text)""".formatted(ns))) {
            ps.setObject(1, run.listedFrom);
            long n = ps.executeUpdate();
            run.add(ns, "missing_requeued", n);
            if (n > 0) {
                LOG.info("sync #{}: {} active records had no vector in namespace {}: pending again", run.id, n, ns);
            }
        }
        // missing too, but indexed too recently to tell (the index's listing may lag): the next sync judges them
        try (PreparedStatement ps = run.lock.prepareStatement("""
                SELECT count(*) FROM image_library t
                WHERE status = 'active' AND %s_fp IS NOT NULL AND index_state = 'indexed' AND indexed_at >= ?
                  AND NOT EXISTS (SELECT 1 FROM sync_seen s WHERE s.id = t.id::text)""".formatted(ns))) {
            ps.setObject(1, run.listedFrom);
            try (ResultSet rs = ps.executeQuery()) {
                rs.next();
                run.add(ns, "too_recent", rs.getLong(1));
            }
        }
        return run;
    }

    /** The records' fingerprints for a namespace are cleared: they have no vector there any more. */
    private static void forget(Connection c, String ns, List<String> ids) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("""
                UPDATE image_library SET %s_fp = NULL WHERE id = ANY (?::uuid[]) AND status <> 'active' AND claimed_at IS NULL""".formatted(ns))) {
            ps.setArray(1, c.createArrayOf("text", ids.toArray()));
            ps.executeUpdate();
        }
    }
}
