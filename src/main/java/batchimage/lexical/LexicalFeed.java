package batchimage.lexical;

import batchimage.index.IndexTexts;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import javax.sql.DataSource;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Brings a {@link LexicalIndex} in step with PostgreSQL (routes/index.camel.yaml, route lexical-feed, and before the
 * figures of GET /api/stats). A record's words change in the transaction that records its vectors' fingerprints (the
 * index route) or marks it deleted, which sets its {@code lexical_xid}; a purge leaves its id in {@code lexical_removed}.
 *
 * <p>Transactions commit in any order, so a feed that only read ids above the last one it saw would miss a
 * transaction that began before and committed after. This one reads every row whose transaction is at least the
 * oldest one that was still running when it last read (its {@code floor}: {@code pg_snapshot_xmin}): whatever
 * committed meanwhile is among them. It skips the rows it has already applied in that window, and commits the index
 * with the new floor, so that a process killed at any point reads again what its last commit had not.
 */
public final class LexicalFeed {

    private static final Logger LOG = LoggerFactory.getLogger(LexicalFeed.class);
    private static final int PAGE = 2000;
    private static final String NO_ID = "00000000-0000-0000-0000-000000000000";

    private static final String CHANGES = """
            SELECT id::text, status, name, file_path, description, theme, sub_theme, prompt, lexical_xid::text
            FROM image_library
            WHERE lexical_xid >= ?::xid8 AND (lexical_xid, id) > (?::xid8, ?::uuid)
            ORDER BY lexical_xid, id
            LIMIT ?
            """;

    private static final String REMOVED = "SELECT id::text, xid::text FROM lexical_removed WHERE xid >= ?::xid8";

    /** The records the index should hold: active ones the index route has given their words. */
    private static final String EXPECTED = "SELECT count(*) FROM image_library WHERE status = 'active' AND lexical_xid IS NOT NULL";

    /** What one catch-up did. */
    public record Caught(long applied, long removed, double seconds) {
    }

    private final DataSource dataSource;
    private final LexicalIndex index;
    /** The rows applied since the floor, by id: their transaction, so that a row read again is not written again. */
    private final Map<String, Long> applied = new HashMap<>();
    private String floor;
    private boolean checked;
    /** The failure the timer's catch-ups have logged, until one succeeds. */
    private volatile String failing;
    /** Records put or removed since the index was last merged into one segment. */
    private long sinceCompact;

    /** Changes after which a quiet tick merges the index into one segment ({@link LexicalIndex#compact}). */
    static final long COMPACT_AFTER = 10_000;

    public LexicalFeed(DataSource dataSource, LexicalIndex index) {
        this.dataSource = dataSource;
        this.index = index;
        this.floor = index.writes() ? index.floor() : "0";
    }

    public LexicalIndex index() {
        return index;
    }

    /**
     * Applies what changed in the library since the last catch-up and commits the index with the new floor. Read-side
     * (another process writes the index) it does nothing. The first catch-up of a process also repairs an index whose
     * count of records is not the library's (one left while records were purged, say).
     */
    public synchronized Caught catchUp() {
        if (!index.writes()) {
            return new Caught(0, 0, 0);
        }
        long start = System.nanoTime();
        try (Connection c = dataSource.getConnection()) {
            String next = snapshotXmin(c);
            long total = -1;
            long read = 0;
            long put = 0;
            long removed = 0;
            long lastLog = start;
            String afterXid = floor;
            String afterId = NO_ID;
            try (PreparedStatement ps = c.prepareStatement(CHANGES)) {
                while (true) {
                    ps.setString(1, floor);
                    ps.setString(2, afterXid);
                    ps.setString(3, afterId);
                    ps.setInt(4, PAGE);
                    int rows = 0;
                    try (ResultSet rs = ps.executeQuery()) {
                        while (rs.next()) {
                            rows++;
                            String id = rs.getString(1);
                            afterId = id;
                            afterXid = rs.getString(9);
                            long xid = Long.parseLong(afterXid);
                            Long done = applied.get(id);
                            if (done != null && done == xid) {
                                continue;
                            }
                            if ("active".equals(rs.getString(2))) {
                                apply(id, rs.getString(3), rs.getString(4), rs.getString(5), rs.getString(6), rs.getString(7), rs.getString(8));
                                put++;
                            } else {
                                index.remove(id);
                                removed++;
                            }
                            applied.put(id, xid);
                        }
                    }
                    read += rows;
                    if (rows < PAGE) {
                        break;
                    }
                    // a long catch-up (the first, or after a full reindex) says how far it is
                    long now = System.nanoTime();
                    if (now - lastLog > 5_000_000_000L) {
                        if (total < 0) {
                            total = count(c, "SELECT count(*) FROM image_library WHERE lexical_xid >= '" + Long.parseLong(floor) + "'::xid8");
                        }
                        double rate = read / ((now - start) / 1e9);
                        LOG.info("lexical index: {} of {} records read, {} a second, about {} s left", read, total, Math.round(rate),
                                Math.round(Math.max(0, total - read) / rate));
                        lastLog = now;
                    }
                }
            }
            try (PreparedStatement ps = c.prepareStatement(REMOVED)) {
                ps.setString(1, floor);
                try (ResultSet rs = ps.executeQuery()) {
                    while (rs.next()) {
                        String key = "removed:" + rs.getString(1);
                        long xid = Long.parseLong(rs.getString(2));
                        if (!Long.valueOf(xid).equals(applied.get(key))) {
                            index.remove(rs.getString(1));
                            applied.put(key, xid);
                            removed++;
                        }
                    }
                }
            }
            if (put + removed > 0) {
                index.commit(next);
            }
            long nextFloor = Long.parseLong(next);
            applied.values().removeIf(xid -> xid < nextFloor);
            floor = next;
            if (!checked) {
                checked = true;
                if (index.records() != count(c, EXPECTED)) {
                    repair(c);
                }
            }
            double seconds = (System.nanoTime() - start) / 1e9;
            if (read > 10 * PAGE) {
                LOG.info("lexical index: {} records read in {} s, {} written, {} removed; it holds {}", read, Math.round(seconds), put, removed,
                        index.records());
            }
            return new Caught(put, removed, seconds);
        } catch (SQLException | IOException e) {
            throw new IllegalStateException("cannot bring the lexical index in " + index.folder() + " in step with the library: " + e.getMessage(), e);
        }
    }

    /**
     * Makes the index hold exactly the library's records with words (the sync route's step): the missing ones are read
     * again, the others removed. Answers what it changed, as {@code {added, removed}}.
     */
    public synchronized Map<String, Object> reconcile() {
        var out = new LinkedHashMap<String, Object>();
        if (!index.writes()) {
            out.put("added", 0L);
            out.put("removed", 0L);
            out.put("skipped", "another process writes the lexical index in " + index.folder());
            return out;
        }
        catchUp();
        try (Connection c = dataSource.getConnection()) {
            long[] changed = index.records() == count(c, EXPECTED) ? new long[2] : repair(c);
            out.put("added", changed[0]);
            out.put("removed", changed[1]);
            // the purged ids an index down for a week has not read are repaired as above when it starts
            try (Statement st = c.createStatement()) {
                st.executeUpdate("DELETE FROM lexical_removed WHERE at < now() - interval '7 days'");
            }
            return out;
        } catch (SQLException | IOException e) {
            throw new IllegalStateException("cannot bring the lexical index in " + index.folder() + " in step with the library: " + e.getMessage(), e);
        }
    }

    /**
     * A catch-up on the route's timer: a failure (PostgreSQL away, say) is logged once until the next success, and the
     * next tick tries again from the same floor.
     */
    public void follow() {
        try {
            Caught caught = catchUp();
            compactWhenQuiet(caught);
            if (failing != null) {
                LOG.info("lexical index: in step with the library again");
                failing = null;
            }
        } catch (RuntimeException e) {
            if (!String.valueOf(e.getMessage()).equals(failing)) {
                LOG.warn("{}; tried again every tick", e.getMessage());
                failing = String.valueOf(e.getMessage());
            }
        }
    }

    /** After a burst of changes ({@link #COMPACT_AFTER} or more), the first tick that finds none merges the index. */
    private synchronized void compactWhenQuiet(Caught caught) {
        sinceCompact += caught.applied() + caught.removed();
        if (caught.applied() > 0 || caught.removed() > 0 || sinceCompact < COMPACT_AFTER) {
            return;
        }
        long start = System.nanoTime();
        try {
            if (index.compact()) {
                LOG.info("lexical index: merged into one segment after {} changes in {} s", sinceCompact, String.format("%.1f", (System.nanoTime() - start) / 1e9));
            }
            sinceCompact = 0;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot merge the lexical index in " + index.folder() + ": " + e.getMessage(), e);
        }
    }

    /** The figures of GET /api/stats: records in the index and in the library, after a catch-up. */
    public Map<String, Object> figures() {
        catchUp();
        var out = new LinkedHashMap<String, Object>();
        out.put("records", index.records());
        try (Connection c = dataSource.getConnection()) {
            out.put("library", count(c, EXPECTED));
        } catch (SQLException e) {
            throw new IllegalStateException("cannot count the library's records with words: " + e.getMessage(), e);
        }
        out.put("this_process_writes", index.writes());
        return out;
    }

    private long[] repair(Connection c) throws SQLException, IOException {
        Set<String> held = index.ids();
        long added = 0;
        var want = new HashSet<String>();
        try (PreparedStatement ps = c.prepareStatement("""
                SELECT id::text, name, file_path, description, theme, sub_theme, prompt
                FROM image_library WHERE status = 'active' AND lexical_xid IS NOT NULL""")) {
            ps.setFetchSize(PAGE);
            c.setAutoCommit(false);
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    String id = rs.getString(1);
                    want.add(id);
                    if (!held.contains(id)) {
                        apply(id, rs.getString(2), rs.getString(3), rs.getString(4), rs.getString(5), rs.getString(6), rs.getString(7));
                        added++;
                    }
                }
            } finally {
                c.commit();
                c.setAutoCommit(true);
            }
        }
        long removed = 0;
        for (String id : held) {
            if (!want.contains(id)) {
                index.remove(id);
                removed++;
            }
        }
        index.commit(floor);
        LOG.info("lexical index repaired: {} records added, {} removed; it holds {}", added, removed, index.records());
        return new long[] {added, removed};
    }

    private void apply(String id, String name, String filePath, String description, String theme, String subTheme, String prompt)
            throws IOException {
        index.put(id, LexicalTexts.tags(description), LexicalTexts.prompt(IndexTexts.promptText(prompt)), LexicalTexts.name(name),
                IndexTexts.metadata(name, filePath, description, theme, subTheme, prompt));
    }

    private static String snapshotXmin(Connection c) throws SQLException {
        try (Statement st = c.createStatement(); ResultSet rs = st.executeQuery("SELECT pg_snapshot_xmin(pg_current_snapshot())::text")) {
            rs.next();
            return rs.getString(1);
        }
    }

    private static long count(Connection c, String sql) throws SQLException {
        try (Statement st = c.createStatement(); ResultSet rs = st.executeQuery(sql)) {
            rs.next();
            return rs.getLong(1);
        }
    }
}
