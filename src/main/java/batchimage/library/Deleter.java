package batchimage.library;

import batchimage.index.IndexBatch;
import batchimage.index.Namespaces;
import batchimage.vectors.PineconeClient;
import batchimage.vectors.PineconeException;
import batchimage.library.FilterSql;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import javax.sql.DataSource;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Deletes the records a filter matches: marks them deleted (so the index route leaves them alone and
 * listing no longer shows them), removes their vectors by id from the namespaces where their fingerprint
 * says they have one, then clears the fingerprints; with purge, removes the rows after their vectors. Works
 * in chunks of {@value PineconeClient#MAX_VECTORS} ids. A record marked deleted whose fingerprint is still
 * set has vectors left to remove (the index failed half-way, or it was being indexed): the same delete run
 * again matches it and finishes the job.
 */
public final class Deleter {

    private static final Logger LOG = LoggerFactory.getLogger(Deleter.class);
    static final int CHUNK = PineconeClient.MAX_VECTORS;

    /** Ids a dry run shows of the records it would delete (the page's preview thumbnails). */
    public static final int SAMPLE = 24;

    /** What a delete did (or, on a dry run, would do); {@code sample}: on a dry run, some of the active records matched, by name. */
    public record Outcome(boolean dryRun, boolean purge, long matched, long deleted, Map<String, Long> vectorsRemoved, long purged, long tookMs,
                          List<String> sample) {
        public Outcome(boolean dryRun, boolean purge, long matched, long deleted, Map<String, Long> vectorsRemoved, long purged, long tookMs) {
            this(dryRun, purge, matched, deleted, vectorsRemoved, purged, tookMs, null);
        }

        public Map<String, Object> asMap(Object filter) {
            var m = new LinkedHashMap<String, Object>();
            m.put("filter", filter);
            m.put("dry_run", dryRun);
            m.put("purge", purge);
            m.put("matched", matched);
            m.put("deleted", deleted);
            m.put("vectors_removed", vectorsRemoved);
            m.put("purged", purged);
            m.put("took_ms", tookMs);
            if (sample != null) {
                m.put("sample", sample);
            }
            return m;
        }
    }

    private static final String MARK = """
            UPDATE image_library t SET status = 'deleted', lexical_xid = pg_current_xact_id(), updated_at = CASE WHEN old.was = 'active' THEN now() ELSE t.updated_at END
            FROM (SELECT id, status AS was FROM image_library WHERE id = ANY (?::uuid[])) old
            WHERE t.id = old.id
            RETURNING t.id::text, old.was = 'active', t.prompt_fp IS NOT NULL, t.description_fp IS NOT NULL, t.claimed_at IS NOT NULL
            """;

    /** Records being indexed keep their fingerprints: the index route may still write their vectors, and a later delete or sync removes them. */
    private static final String FORGET_VECTORS = """
            UPDATE image_library SET prompt_fp = NULL, description_fp = NULL
            WHERE id = ANY (?::uuid[]) AND status = 'deleted' AND claimed_at IS NULL
            """;

    /** Each instance's lexical index drops the words of the records purged (lexical_removed). */
    private static final String PURGE = """
            WITH gone AS (
                DELETE FROM image_library WHERE id = ANY (?::uuid[]) AND status = 'deleted'
                  AND prompt_fp IS NULL AND description_fp IS NULL
                RETURNING id)
            INSERT INTO lexical_removed (id) SELECT id FROM gone
            """;

    private final DataSource dataSource;
    private final PineconeClient index;
    private final Namespaces namespaces;
    /** Run after a delete has committed (this process's lexical index takes the change at once); may be null. */
    private volatile Runnable afterDelete;

    public Deleter(DataSource dataSource, PineconeClient index) {
        this(dataSource, index, new Namespaces(null));
    }

    /** {@code namespaces}: the generations of the namespaces a record's vectors may be in. */
    public Deleter(DataSource dataSource, PineconeClient index, Namespaces namespaces) {
        this.dataSource = dataSource;
        this.index = index;
        this.namespaces = namespaces;
    }

    /**
     * {@code then} runs after each delete that changed something has committed, before the answer: this process's
     * lexical index drops the records' words at once (other processes' indexes follow the feed).
     */
    public void afterDelete(Runnable then) {
        this.afterDelete = then;
    }

    public Outcome delete(DeleteRequest request) {
        long start = System.nanoTime();
        FilterSql.Sql where = FilterSql.of(request.filter());
        try {
            Outcome o = request.dryRun() ? count(where, request.purge(), start) : run(where, request.purge(), start);
            Runnable then = afterDelete;
            if (then != null && !request.dryRun() && (o.deleted() > 0 || o.purged() > 0)) {
                try {
                    then.run();
                } catch (RuntimeException e) {
                    // the delete stands; the lexical feed's next pass takes it
                    LOG.warn("delete {}: the lexical index did not take it at once ({}); its feed will", request.filterJson(), e.getMessage());
                }
            }
            LOG.info("delete {}{}: {} matched, {} marked deleted, vectors removed {}, {} purged", request.filterJson(),
                    request.dryRun() ? " (dry run)" : "", o.matched(), o.deleted(), o.vectorsRemoved(), o.purged());
            return o;
        } catch (SQLException e) {
            throw new IllegalStateException("cannot delete the records matching " + request.filterJson() + ": " + e.getMessage(), e);
        }
    }

    /**
     * Active records matching, and records already marked deleted whose vectors are not all removed yet
     * (or, with purge, any record marked deleted).
     */
    private static String matching(FilterSql.Sql where, boolean purge) {
        return "(status = 'active' OR status = 'deleted' AND (" + (purge ? "TRUE" : "prompt_fp IS NOT NULL OR description_fp IS NOT NULL")
                + ")) AND " + where.where();
    }

    private Outcome count(FilterSql.Sql where, boolean purge, long start) throws SQLException {
        String sql = """
                SELECT count(*) FILTER (WHERE status = 'active'),
                       count(*) FILTER (WHERE prompt_fp IS NOT NULL),
                       count(*) FILTER (WHERE description_fp IS NOT NULL)
                FROM image_library WHERE %s
                """.formatted(matching(where, purge));
        try (Connection c = dataSource.getConnection(); PreparedStatement ps = c.prepareStatement(sql)) {
            bind(c, ps, where.params());
            try (ResultSet rs = ps.executeQuery()) {
                rs.next();
                long all;
                try (PreparedStatement n = c.prepareStatement("SELECT count(*) FROM image_library WHERE " + matching(where, purge))) {
                    bind(c, n, where.params());
                    try (ResultSet r = n.executeQuery()) {
                        r.next();
                        all = r.getLong(1);
                    }
                }
                var sample = new ArrayList<String>();
                try (PreparedStatement n = c.prepareStatement("SELECT id::text FROM image_library WHERE status = 'active' AND "
                        + where.where() + " ORDER BY name NULLS LAST, id LIMIT " + SAMPLE)) {
                    bind(c, n, where.params());
                    try (ResultSet r = n.executeQuery()) {
                        while (r.next()) {
                            sample.add(r.getString(1));
                        }
                    }
                }
                return new Outcome(true, purge, rs.getLong(1), rs.getLong(1), vectors(rs.getLong(2), rs.getLong(3)),
                        purge ? all : 0, millis(start), sample);
            }
        }
    }

    private Outcome run(FilterSql.Sql where, boolean purge, long start) throws SQLException {
        List<String> ids = new ArrayList<>();
        long matched;
        String sql = "SELECT id::text, status = 'active' FROM image_library WHERE " + matching(where, purge) + " ORDER BY id";
        try (Connection c = dataSource.getConnection(); PreparedStatement ps = c.prepareStatement(sql)) {
            bind(c, ps, where.params());
            long active = 0;
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    ids.add(rs.getString(1));
                    active += rs.getBoolean(2) ? 1 : 0;
                }
            }
            matched = active;
        }
        long deleted = 0;
        long purged = 0;
        long prompt = 0;
        long description = 0;
        for (int i = 0; i < ids.size(); i += CHUNK) {
            List<String> chunk = ids.subList(i, Math.min(ids.size(), i + CHUNK));
            var remove = new LinkedHashMap<String, List<String>>();
            IndexBatch.NAMESPACES.forEach(ns -> remove.put(ns, new ArrayList<>()));
            long[] had = new long[2];
            try (Connection c = dataSource.getConnection(); PreparedStatement ps = c.prepareStatement(MARK)) {
                ps.setArray(1, c.createArrayOf("text", chunk.toArray()));
                try (ResultSet rs = ps.executeQuery()) {
                    while (rs.next()) {
                        String id = rs.getString(1);
                        deleted += rs.getBoolean(2) ? 1 : 0;
                        boolean inFlight = rs.getBoolean(5);
                        if (rs.getBoolean(3)) {
                            had[0]++;
                        }
                        if (rs.getBoolean(4)) {
                            had[1]++;
                        }
                        // a record being indexed may have a vector its fingerprint does not show yet: removing a missing id is harmless
                        if (rs.getBoolean(3) || inFlight) {
                            remove.get("prompt").add(id);
                        }
                        if (rs.getBoolean(4) || inFlight) {
                            remove.get("description").add(id);
                        }
                    }
                }
            }
            for (var e : remove.entrySet()) {
                try {
                    // the fingerprints describe the generation written to; while a full reindex builds one, the live one
                    // (which search reads) holds every record's vector of before
                    for (String physical : namespaces.all(e.getKey())) {
                        index.delete(physical, physical.equals(namespaces.write(e.getKey())) ? e.getValue() : chunk);
                    }
                } catch (PineconeException x) {
                    throw new PineconeException(x.getMessage() + " (while removing the vectors of deleted records from namespace " + e.getKey()
                            + "; " + deleted + " records are marked deleted so far: run the same delete again to remove what is left)",
                            x.status(), x.retryable());
                }
            }
            prompt += had[0];
            description += had[1];
            try (Connection c = dataSource.getConnection(); PreparedStatement ps = c.prepareStatement(FORGET_VECTORS)) {
                ps.setArray(1, c.createArrayOf("text", chunk.toArray()));
                ps.executeUpdate();
            }
            if (purge) {
                try (Connection c = dataSource.getConnection(); PreparedStatement ps = c.prepareStatement(PURGE)) {
                    ps.setArray(1, c.createArrayOf("text", chunk.toArray()));
                    purged += ps.executeUpdate();
                }
            }
        }
        return new Outcome(false, purge, matched, deleted, vectors(prompt, description), purged, millis(start));
    }

    private static Map<String, Long> vectors(long prompt, long description) {
        var m = new LinkedHashMap<String, Long>();
        m.put("prompt", prompt);
        m.put("description", description);
        return m;
    }

    private static long millis(long start) {
        return (System.nanoTime() - start) / 1_000_000;
    }

    private static void bind(Connection c, PreparedStatement ps, List<Object> params) throws SQLException {
        int i = 1;
        for (Object p : params) {
            if (p instanceof String[] a) {
                ps.setArray(i++, c.createArrayOf("text", a));
            } else {
                ps.setString(i++, (String) p);
            }
        }
    }
}
