package batchimage.sync;

import batchimage.deadletter.DeadLetterHealing;
import batchimage.index.IndexBatch;
import batchimage.sync.Synchronizer.Run;
import batchimage.sync.Synchronizer.SyncBusyException;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.Date;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import javax.sql.DataSource;
import org.apache.camel.Exchange;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The bookkeeping of sync runs: a run holds a PostgreSQL advisory lock for its length, so that one sync runs at
 * a time across every instance on the database; a scheduled run also claims its Quartz tick in sync_run, so that
 * instances firing the same tick run it once. Each run's row in sync_run says how it ended and what it found.
 */
final class SyncRuns {

    /** Logged as the sync's: one logger for all a sync run does. */
    private static final Logger LOG = LoggerFactory.getLogger(Synchronizer.class);
    /** The advisory lock every instance's sync takes ("batchsyn"). */
    static final long LOCK = 0x626174636873796eL;

    private final DataSource dataSource;
    private final int waitSeconds;
    private final DeadLetterHealing healing;
    private final String instance = ProcessHandle.current().pid() + "/" + UUID.randomUUID().toString().substring(0, 8);
    private final ObjectMapper json = new ObjectMapper();

    /**
     * {@code waitSeconds}: how long a run asked for on demand waits for one under way;
     * {@code healing}: resolves the dead letters of failed syncs when a run finishes.
     */
    SyncRuns(DataSource dataSource, int waitSeconds, DeadLetterHealing healing) {
        this.dataSource = dataSource;
        this.waitSeconds = waitSeconds;
        this.healing = healing;
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
        if (drift.get("lexical") instanceof Map<?, ?> words && words.get("added") instanceof Long added && words.get("removed") instanceof Long removed
                && added + removed > 0) {
            s.append("; lexical index: ").append(added).append(" records added, ").append(removed).append(" removed");
        }
        if (drift.get("stale_namespaces_removed") instanceof List<?> stale && !stale.isEmpty()) {
            s.append("; namespaces of old generations emptied: ").append(stale.stream().map(String::valueOf).collect(java.util.stream.Collectors.joining(", ")));
        }
        if (drift.get("after") instanceof Map<?, ?> after) {
            s.append("; now ").append(after.get("pending")).append(" pending, ").append(after.get("failed")).append(" failed");
        }
        return s.toString();
    }
}
