package batchimage.sync;

import batchimage.deadletter.DeadLetterHealing;
import batchimage.index.IndexBatch;
import batchimage.index.ModelRecord;
import batchimage.index.Namespaces;
import batchimage.vectors.PineconeClient;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Date;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.regex.Pattern;
import javax.sql.DataSource;
import org.apache.camel.Exchange;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The steps of the sync route (routes/sync.camel.yaml): it brings the vector index back in step with
 * PostgreSQL. A run holds a PostgreSQL advisory lock for its length, so that one sync runs at a time
 * across every instance on the database; a scheduled run also claims its Quartz tick in sync_run, so that
 * instances firing the same tick run it once. Per namespace it lists the index's ids into a temporary
 * table and compares them with image_library: vectors of no active record are deleted, and active
 * records whose vector is missing are pending again for the index route. Records being indexed (pending
 * or claimed) are in motion and left alone, as are records indexed since just before the listing began
 * (the index's listing may not show them yet).
 */
public final class Synchronizer {

    private static final Logger LOG = LoggerFactory.getLogger(Synchronizer.class);
    /** The advisory lock every instance's sync takes ("batchsyn"). */
    static final long LOCK = 0x626174636873796eL;
    private static final int CHUNK = PineconeClient.MAX_VECTORS;
    private static final long PROGRESS_NANOS = 5_000_000_000L;

    private final DataSource dataSource;
    private final PineconeClient index;
    private final int settleSeconds;
    private final int waitSeconds;
    /** The generation the fingerprints describe is the one compared (while a full reindex builds one, that one). */
    private final Namespaces namespaces;
    private final DeadLetterHealing healing;
    private final String instance = ProcessHandle.current().pid() + "/" + UUID.randomUUID().toString().substring(0, 8);
    private final ObjectMapper json = new ObjectMapper();

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
        this.healing = healing;
        this.dataSource = dataSource;
        this.index = index;
        this.settleSeconds = settleSeconds;
        this.waitSeconds = waitSeconds;
        this.namespaces = namespaces;
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
        String by = startedBy == null || startedBy.isBlank() ? "api" : startedBy;
        String m = mode == null || mode.isBlank() ? "changed" : mode;
        Connection c = dataSource.getConnection();
        boolean claimed = false;
        boolean locked = false;
        try {
            c.setAutoCommit(true);
            claimed = tick != null && claimTick(c, tick, by, m);
            if (tick != null && !claimed) {
                LOG.debug("sync of {} is run by another instance", tick.toInstant());
                c.close();
                return null;
            }
            locked = lock(c, tick != null);
            if (!locked) {
                c.close();
                if (tick != null) {
                    finishSkipped(tick);
                    LOG.info("sync of {} skipped: a sync started earlier is still running", tick.toInstant());
                    return null;
                }
                throw new SyncBusyException("a sync is running (started by another request or instance) and did not end within "
                        + waitSeconds + " s: try again when it has ended (GET /api/stats shows the last sync)");
            }
            long id = tick != null ? tickRun(c, tick) : insertRun(c, by, m);
            LOG.info("sync #{} started ({}, {})", id, by, m);
            return new Run(id, by, m, c);
        } catch (SQLException | RuntimeException e) {
            if (locked) {
                // the connection goes back to the pool with its session: the lock must not go with it
                unlock(c);
            }
            c.close();
            if (claimed) {
                // the tick is this instance's: say why it did not run rather than leave it 'running'
                finishTick(tick, "failed", "could not start: " + e.getMessage());
            }
            throw e;
        }
    }

    private boolean claimTick(Connection c, Date tick, String by, String mode) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("""
                INSERT INTO sync_run (tick, started_by, mode, instance) VALUES (?, ?, ?, ?) ON CONFLICT (tick) DO NOTHING""")) {
            ps.setObject(1, OffsetDateTime.ofInstant(tick.toInstant(), ZoneOffset.UTC));
            ps.setString(2, by);
            ps.setString(3, mode);
            ps.setString(4, instance);
            return ps.executeUpdate() == 1;
        }
    }

    private long tickRun(Connection c, Date tick) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("UPDATE sync_run SET started_at = now() WHERE tick = ? RETURNING id")) {
            ps.setObject(1, OffsetDateTime.ofInstant(tick.toInstant(), ZoneOffset.UTC));
            try (ResultSet rs = ps.executeQuery()) {
                rs.next();
                return rs.getLong(1);
            }
        }
    }

    private long insertRun(Connection c, String by, String mode) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("INSERT INTO sync_run (started_by, mode, instance) VALUES (?, ?, ?) RETURNING id")) {
            ps.setString(1, by);
            ps.setString(2, mode);
            ps.setString(3, instance);
            try (ResultSet rs = ps.executeQuery()) {
                rs.next();
                return rs.getLong(1);
            }
        }
    }

    private void finishSkipped(Date tick) throws SQLException {
        finishTick(tick, "skipped", "a sync started earlier was still running");
    }

    private void finishTick(Date tick, String outcome, String error) {
        try (Connection c = dataSource.getConnection(); PreparedStatement ps = c.prepareStatement("""
                UPDATE sync_run SET outcome = ?, finished_at = now(), seconds = 0, error = ? WHERE tick = ?""")) {
            ps.setString(1, outcome);
            ps.setString(2, error);
            ps.setObject(3, OffsetDateTime.ofInstant(tick.toInstant(), ZoneOffset.UTC));
            ps.executeUpdate();
        } catch (SQLException e) {
            LOG.warn("cannot record how the sync of {} ended ({}): {}", tick.toInstant(), outcome, e.getMessage());
        }
    }

    /** The advisory lock: tried once for a scheduled run, waited for (at most sync.wait-seconds) on demand. */
    private boolean lock(Connection c, boolean scheduled) throws SQLException {
        if (scheduled || waitSeconds <= 0) {
            try (PreparedStatement ps = c.prepareStatement("SELECT pg_try_advisory_lock(?)")) {
                ps.setLong(1, LOCK);
                try (ResultSet rs = ps.executeQuery()) {
                    rs.next();
                    return rs.getBoolean(1);
                }
            }
        }
        try (Statement st = c.createStatement()) {
            st.execute("SET lock_timeout = '" + waitSeconds + "s'");
        }
        try (PreparedStatement ps = c.prepareStatement("SELECT pg_advisory_lock(?)")) {
            ps.setLong(1, LOCK);
            ps.execute();
            return true;
        } catch (SQLException e) {
            if ("55P03".equals(e.getSQLState())) {
                return false;
            }
            throw e;
        } finally {
            try (Statement st = c.createStatement()) {
                st.execute("RESET lock_timeout");
            }
        }
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

    /** Removes, namespace by namespace, the vectors of records no longer active (their fingerprint says they have one). */
    public Run removeInactive(Run run) throws SQLException {
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

    /** prompt, description, prompt-g3...: the index's names of the two namespaces in any generation. */
    private static final Pattern GENERATION = Pattern.compile("(prompt|description)(?:-g([1-9][0-9]*))?");

    /**
     * Empties the namespaces of generations neither live nor being built: what a full reindex could not remove
     * when it switched (the index did not answer). Names of other shapes are not this app's and are left alone.
     * Under the run's lock no full reindex starts; one that ends meanwhile only makes the old live one stale.
     */
    @SuppressWarnings("unchecked")
    public Run removeStaleGenerations(Run run) throws SQLException {
        var m = ModelRecord.read(run.lock);
        int live = m == null ? 0 : m.generation();
        Integer building = m == null ? null : m.building();
        var removed = (List<String>) run.drift.get("stale_namespaces_removed");
        for (var e : index.stats().namespaces().entrySet()) {
            var name = GENERATION.matcher(e.getKey());
            if (!name.matches() || e.getValue() == 0) {
                continue;
            }
            int generation = name.group(2) == null ? 0 : Integer.parseInt(name.group(2));
            if (generation != live && (building == null || generation != building)) {
                if (!index.deleteAll(e.getKey())) {
                    // Pinecone's stats lag behind its deletes: the namespace is gone already
                    continue;
                }
                LOG.info("sync #{}: namespace {} held {} vectors of generation {}, which is neither live ({}) nor being built; emptied",
                        run.id, e.getKey(), e.getValue(), generation, live);
                removed.add(e.getKey());
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

    /** Lists every id of the namespace into the run's temporary table sync_seen. */
    public Run listIds(Run run, String ns) throws SQLException {
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
    public Run removeOrphans(Run run, String ns) throws SQLException {
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
            forget(run.lock, ns, chunk.stream().filter(Synchronizer::isUuid).toList());
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
    public Run requeueMissing(Run run, String ns) throws SQLException {
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

    /** Ends the run: its drift and figures in sync_run and the log, the lock released; answers the report. */
    public Map<String, Object> finish(Run run) throws SQLException {
        var after = new LinkedHashMap<String, Object>();
        try (PreparedStatement ps = run.lock.prepareStatement("""
                SELECT count(*) FILTER (WHERE index_state IN ('pending', 'indexing')), count(*) FILTER (WHERE index_state = 'failed')
                FROM image_library WHERE status = 'active'""");
             ResultSet rs = ps.executeQuery()) {
            rs.next();
            after.put("pending", rs.getLong(1));
            after.put("failed", rs.getLong(2));
        }
        run.drift.put("after", after);
        double seconds = (System.nanoTime() - run.startNanos) / 1e9;
        // the failed syncs' dead letters are resolved with the run's end, or neither is written
        int healed;
        run.lock.setAutoCommit(false);
        try {
            end(run, "done", null, seconds);
            healed = healing.syncFinished(run.lock, run.id);
            run.lock.commit();
            healing.syncCommitted(healed);
        } catch (SQLException | RuntimeException e) {
            run.lock.rollback();
            run.finished = false;
            throw e;
        } finally {
            run.lock.setAutoCommit(true);
        }
        LOG.info("sync #{} done in {} s: {}{}", run.id, String.format("%.1f", seconds), summary(run.drift),
                healed == 0 ? "" : "; " + healed + " dead letters of failed syncs resolved");
        return report(run, "done", null, seconds);
    }

    /** Called whatever happened (the route's doFinally): a run that did not finish is recorded as failed with the reason. */
    public void release(Exchange exchange) {
        Run run = exchange.getProperty("syncRun", Run.class);
        if (run == null) {
            return;
        }
        try {
            if (!run.finished) {
                Throwable t = exchange.getException() != null ? exchange.getException() : exchange.getProperty(Exchange.EXCEPTION_CAUGHT, Throwable.class);
                String error = t == null ? "stopped before the end" : t.getMessage() == null ? t.toString() : t.getMessage();
                end(run, "failed", error, (System.nanoTime() - run.startNanos) / 1e9);
                LOG.warn("sync #{} failed: {} (what it did so far: {})", run.id, error, summary(run.drift));
            }
        } catch (SQLException | RuntimeException e) {
            LOG.warn("sync #{}: cannot record its end: {}", run.id, e.getMessage());
        } finally {
            try (Statement st = run.lock.createStatement()) {
                st.execute("DROP TABLE IF EXISTS sync_seen");
            } catch (SQLException e) {
                LOG.debug("sync #{}: dropping its temporary table: {}", run.id, e.getMessage());
            }
            unlock(run.lock);
            try {
                run.lock.close();
            } catch (SQLException e) {
                LOG.debug("sync #{}: closing its connection: {}", run.id, e.getMessage());
            }
        }
    }

    /** Gives the advisory lock back: a pooled connection keeps its session, and with it a lock not given back. */
    private static void unlock(Connection c) {
        try (PreparedStatement ps = c.prepareStatement("SELECT pg_advisory_unlock(?)")) {
            ps.setLong(1, LOCK);
            ps.execute();
        } catch (SQLException e) {
            LOG.warn("cannot give the sync's lock back ({}): the connection is closed for good so that its session ends", e.getMessage());
            try {
                // Hikari retires a connection that was aborted; its session, and the lock, end with it
                c.abort(Runnable::run);
            } catch (SQLException ignored) {
                // closed below all the same
            }
        }
    }

    private void end(Run run, String outcome, String error, double seconds) throws SQLException {
        try (PreparedStatement ps = run.lock.prepareStatement("""
                UPDATE sync_run SET finished_at = now(), seconds = ?, outcome = ?, drift = ?::jsonb, error = ? WHERE id = ?""")) {
            ps.setDouble(1, seconds);
            ps.setString(2, outcome);
            ps.setString(3, json.writeValueAsString(run.drift));
            ps.setString(4, error);
            ps.setLong(5, run.id);
            ps.executeUpdate();
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
        run.finished = true;
    }

    private Map<String, Object> report(Run run, String outcome, String error, double seconds) {
        var out = new LinkedHashMap<String, Object>();
        out.put("id", run.id);
        out.put("mode", run.mode);
        out.put("started_by", run.startedBy);
        out.put("outcome", outcome);
        out.put("seconds", Math.round(seconds * 1000) / 1000.0);
        out.put("drift", run.drift);
        out.put("error", error);
        return out;
    }

    /** One line of what a run found and did, for the log. */
    static String summary(Map<String, Object> drift) {
        var s = new StringBuilder();
        for (String ns : IndexBatch.NAMESPACES) {
            @SuppressWarnings("unchecked")
            var n = (Map<String, Object>) drift.get(ns);
            s.append(ns).append(": ").append(n.get("listed")).append(" listed, ").append(n.get("orphans_removed")).append(" orphans removed, ")
                    .append(n.get("missing_requeued")).append(" missing re-queued, ").append(n.get("inactive_removed"))
                    .append(" of inactive records removed; ");
        }
        s.append(drift.get("failed_requeued")).append(" failed records re-queued");
        if (drift.get("stale_namespaces_removed") instanceof List<?> stale && !stale.isEmpty()) {
            s.append("; namespaces of old generations emptied: ").append(stale.stream().map(String::valueOf).collect(java.util.stream.Collectors.joining(", ")));
        }
        if (drift.get("after") instanceof Map<?, ?> after) {
            s.append("; now ").append(after.get("pending")).append(" pending, ").append(after.get("failed")).append(" failed");
        }
        return s.toString();
    }

    /** Refused: a run asked for on demand found another under way for longer than it may wait (409). */
    public static final class SyncBusyException extends RuntimeException {
        public SyncBusyException(String message) {
            super(message);
        }
    }
}
