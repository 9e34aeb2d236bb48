package batchimage.ingest;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import batchimage.store.Holders;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import javax.sql.DataSource;
import org.apache.camel.processor.idempotent.jdbc.JdbcMessageIdRepository;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.dao.DataAccessException;

/**
 * The inbox's read lock (routes/ingest.camel.yaml, {@code readLock: idempotent-changed}): one row per inbox
 * file being imported in {@code inbox_lock} (V7), so that of several instances polling one inbox on one
 * database exactly one takes each file. A lock is a lease: its holder renews it while it imports, so that the
 * lock of an instance that died is taken over once the lease has run out, and never the lock of one that is
 * only slow. Taking and giving back are single statements that PostgreSQL decides atomically (camel-sql's own
 * count-then-insert would let two instances take over the same expired lock).
 */
public final class InboxLocks extends JdbcMessageIdRepository {

    private static final Logger LOG = LoggerFactory.getLogger(InboxLocks.class);

    /**
     * A new row, or a row whose holder stopped renewing it, or one of this instance's own that it no longer holds
     * (its release failed while the database was away); nothing when the lock is live.
     */
    private static final String TAKE = """
            INSERT INTO inbox_lock AS l (processorName, messageId, createdAt, holder) VALUES (?, ?, now(), ?)
            ON CONFLICT (processorName, messageId) DO UPDATE SET createdAt = now(), holder = EXCLUDED.holder
            WHERE l.createdAt < now() - make_interval(secs => ?) OR l.holder = EXCLUDED.holder
            """;

    private static final String HOLDER = "SELECT holder FROM inbox_lock WHERE processorName = ? AND messageId = ?";

    /** The lock of a holder that ended, taken only if that holder still has it. */
    private static final String TAKE_OVER = """
            UPDATE inbox_lock SET createdAt = now(), holder = ? WHERE processorName = ? AND messageId = ? AND holder = ?
            """;

    private static final String LIVE = """
            SELECT holder FROM inbox_lock
            WHERE processorName = ? AND messageId = ? AND createdAt >= now() - make_interval(secs => ?)
            """;

    private static final String RENEW = "UPDATE inbox_lock SET createdAt = now() WHERE processorName = ? AND holder = ? AND messageId = ANY (?)";

    /** Only this holder's: a lock taken over after this one's lease ran out is the new holder's. */
    private static final String RELEASE = "DELETE FROM inbox_lock WHERE processorName = ? AND messageId = ? AND holder = ?";

    private static final String RELEASE_ALL = "DELETE FROM inbox_lock WHERE processorName = ? AND holder = ?";

    /** Camel's repository keeps only the JdbcTemplate it builds from it. */
    private final DataSource pool;
    private final int leaseSeconds;
    /** This instance, as its locks name it. */
    private final String holder = Holders.newHolder();
    private final Set<String> held = ConcurrentHashMap.newKeySet();
    private volatile boolean unavailable;
    private ScheduledExecutorService renewals;

    /** {@code processorName}: the inbox these locks are for; {@code leaseSeconds}: how long a lock outlives its holder's last renewal. */
    public InboxLocks(DataSource dataSource, String processorName, int leaseSeconds) {
        super(dataSource, processorName);
        this.pool = dataSource;
        this.leaseSeconds = leaseSeconds;
        setTableName("inbox_lock");
        // the table comes from the V7 migration, with its primary key
        setCreateTableIfNotExists(false);
    }

    public String holder() {
        return holder;
    }

    /** Takes the lock on a file; false when another instance holds it, or when the database cannot be asked (the file waits). */
    @Override
    public boolean add(String key) {
        if (held.contains(key)) {
            // polled again while this instance imports it
            return false;
        }
        try {
            boolean taken = jdbcTemplate.update(TAKE, processorName, key, holder, leaseSeconds) == 1 || takeOver(key);
            if (taken) {
                held.add(key);
                renewing();
            }
            available();
            return taken;
        } catch (DataAccessException e) {
            if (!unavailable) {
                unavailable = true;
                LOG.warn("cannot lock inbox files, the database is unavailable ({}): they wait in the inbox", e.getMostSpecificCause().getMessage());
            }
            return false;
        }
    }

    /** The lock of a process of this machine that ended (killed while it imported the file) is free at once, not after its lease. */
    private boolean takeOver(String key) {
        String was = jdbcTemplate.query(HOLDER, rs -> rs.next() ? rs.getString(1) : null, processorName, key);
        if (!Holders.endedHere(was) || jdbcTemplate.update(TAKE_OVER, holder, processorName, key, was) != 1) {
            return false;
        }
        LOG.info("inbox file {} was being imported by a process that ended ({}): this instance imports it now", key, was);
        return true;
    }

    private void available() {
        if (unavailable) {
            unavailable = false;
            LOG.info("inbox files can be locked again: the database is back");
        }
    }

    @Override
    public boolean contains(String key) {
        String by = jdbcTemplate.query(LIVE, rs -> rs.next() ? rs.getString(1) : null, processorName, key, leaseSeconds);
        return by != null && !Holders.endedHere(by);
    }

    /** Gives the lock back; when the database cannot be told, renewing stops and the lock ends with its lease. */
    @Override
    public boolean remove(String key) {
        if (!held.remove(key)) {
            // Camel also gives back locks it did not get (a file it skipped): nothing of this instance's to release
            return false;
        }
        try {
            return jdbcTemplate.update(RELEASE, processorName, key, holder) == 1;
        } catch (DataAccessException e) {
            LOG.warn("cannot release the lock on inbox file {} ({}): another attempt can take it in {} s",
                    key, e.getMostSpecificCause().getMessage(), leaseSeconds);
            return false;
        }
    }

    @Override
    public String toString() {
        return "inbox locks in PostgreSQL (inbox_lock, " + processorName + ", lease " + leaseSeconds + " s, holder " + holder + ")";
    }

    @Override
    public boolean confirm(String key) {
        return true;
    }

    /** Renews what this instance holds from its first lock on, whatever Camel did with this service since (a route reload stops it). */
    private synchronized void renewing() {
        if (renewals == null) {
            renewals = Executors.newSingleThreadScheduledExecutor(r -> {
                Thread t = new Thread(r, "inbox-lock-renewal");
                t.setDaemon(true);
                return t;
            });
            // three renewals per lease: one missed renewal does not lose a lock
            long every = Math.max(1000L, leaseSeconds * 1000L / 3);
            renewals.scheduleWithFixedDelay(this::renew, every, every, TimeUnit.MILLISECONDS);
        }
    }

    /** For tests: stops renewing and keeps every lock, as a process that died would. */
    synchronized void stopRenewing() {
        if (renewals != null) {
            renewals.shutdownNow();
        }
    }

    /** Tells the other instances that the files this one imports are still being imported. */
    void renew() {
        if (held.isEmpty()) {
            return;
        }
        try (Connection c = pool.getConnection(); PreparedStatement ps = c.prepareStatement(RENEW)) {
            ps.setString(1, processorName);
            ps.setString(2, holder);
            ps.setArray(3, c.createArrayOf("text", held.toArray()));
            ps.executeUpdate();
        } catch (SQLException | RuntimeException e) {
            LOG.warn("cannot renew the locks on the inbox files being imported ({}): they end in {} s unless renewed", e.getMessage(), leaseSeconds);
        }
    }

    /** Stops renewing and gives back what this instance still holds: the other instances need not wait for the lease. */
    @Override
    protected void doStop() throws Exception {
        synchronized (this) {
            if (renewals != null) {
                renewals.shutdownNow();
                renewals = null;
            }
        }
        if (!held.isEmpty()) {
            held.clear();
            try {
                jdbcTemplate.update(RELEASE_ALL, processorName, holder);
            } catch (DataAccessException e) {
                LOG.debug("cannot give back this instance's inbox locks at stop: {}", e.getMessage());
            }
        }
        super.doStop();
    }
}
