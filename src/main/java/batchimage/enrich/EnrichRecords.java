package batchimage.enrich;

import batchimage.enrich.Enricher.Batch;
import batchimage.enrich.Enricher.Candidate;
import batchimage.enrich.Enricher.Outcome;
import batchimage.enrich.Enricher.Run;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import javax.sql.DataSource;

/**
 * The enrichment's rows of image_library: claimed in batches for a pass, written back with their outcomes (a row
 * whose tags or path change is pending for the index route again), reopened when a new source may fill them,
 * and counted for the figures.
 */
final class EnrichRecords {

    /** How long a claimed batch is this run's before another process may take it (it never takes this long). */
    private static final int LEASE_SECONDS = 600;

    /** Records not examined since they last changed, and those whose retry is due (not yet at {@code runStart}). */
    private static final String CLAIM = """
            UPDATE image_library t SET enrich_next_at = now() + make_interval(secs => ?)
            WHERE t.id IN (
                SELECT id FROM image_library
                WHERE status = 'active' AND (enrich_state IS NULL OR enrich_state = 'waiting')
                  AND (enrich_next_at IS NULL OR enrich_next_at <= ?)
                ORDER BY enrich_next_at NULLS FIRST, id LIMIT ? FOR UPDATE SKIP LOCKED)
            RETURNING id, name, file_path, description, enrich_state, enrich_attempts
            """;

    /** Written only if tags and path are still what was read: an import in between wins. */
    private static final String STORE = """
            UPDATE image_library SET
                description = ?, file_path = ?, path_found = ?,
                enrich_state = ?, enrich_attempts = ?, enrich_error = ?, enrich_next_at = ?,
                enriched_at = CASE WHEN ? THEN now() ELSE enriched_at END,
                index_state = CASE WHEN ? THEN 'pending' ELSE index_state END,
                index_error = CASE WHEN ? THEN NULL ELSE index_error END,
                index_attempts = CASE WHEN ? THEN 0 ELSE index_attempts END,
                next_attempt_at = CASE WHEN ? THEN NULL ELSE next_attempt_at END,
                content_changed_at = CASE WHEN ? THEN now() ELSE content_changed_at END,
                updated_at = CASE WHEN ? THEN now() ELSE updated_at END
            WHERE id = ?::uuid AND description IS NOT DISTINCT FROM ? AND file_path IS NOT DISTINCT FROM ?
              AND enrich_state IS NOT DISTINCT FROM ?
            """;

    private static final String STATS = """
            SELECT count(*),
                   count(*) FILTER (WHERE coalesce(btrim(description), '') = ''),
                   count(*) FILTER (WHERE coalesce(btrim(file_path), '') = '' OR path_found = false),
                   count(*) FILTER (WHERE enriched_at IS NOT NULL),
                   count(*) FILTER (WHERE enrich_state = 'gave_up'),
                   count(*) FILTER (WHERE enrich_state = 'waiting'),
                   count(*) FILTER (WHERE enrich_state IS NULL)
            FROM image_library WHERE status = 'active'
            """;

    private static final String GIVEN_UP_REASONS = """
            SELECT enrich_error, count(*) FROM image_library
            WHERE status = 'active' AND enrich_state = 'gave_up'
            GROUP BY enrich_error ORDER BY count(*) DESC, enrich_error LIMIT 5
            """;

    /** With ComfyUI newly configured, records left without tags are examined again. */
    private static final String REOPEN_UNTAGGED = """
            UPDATE image_library SET enrich_state = NULL, enrich_attempts = 0, enrich_next_at = NULL, enrich_error = NULL
            WHERE status = 'active' AND enrich_state = 'done' AND coalesce(btrim(description), '') = ''
            """;

    /** The media folders changed: records waiting for an image are tried now. */
    private static final String WAKE_PATHLESS = """
            UPDATE image_library SET enrich_next_at = NULL
            WHERE status = 'active' AND enrich_state = 'waiting' AND path_found IS DISTINCT FROM true
            """;

    private static final String RETRY_GIVEN_UP = """
            UPDATE image_library SET enrich_state = NULL, enrich_attempts = 0, enrich_next_at = NULL, enrich_error = NULL
            WHERE status = 'active' AND enrich_state = 'gave_up'
            """;

    private final DataSource dataSource;

    EnrichRecords(DataSource dataSource) {
        this.dataSource = dataSource;
    }

    /** Records not examined since they last changed, or whose retry is due, claimed for {@code run}. */
    List<Candidate> claim(Run run, int size) throws SQLException {
        var out = new ArrayList<Candidate>();
        try (Connection c = dataSource.getConnection(); PreparedStatement ps = c.prepareStatement(CLAIM)) {
            ps.setInt(1, LEASE_SECONDS);
            ps.setObject(2, run.started);
            ps.setInt(3, size);
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    out.add(new Candidate(rs.getString("id"), rs.getString("name"), rs.getString("file_path"),
                            rs.getString("description"), rs.getString("enrich_state"), rs.getInt("enrich_attempts")));
                }
            }
        }
        return out;
    }

    /** Writes the outcomes (a changed row is pending for the index route again) and counts them into the batch's run. */
    void store(Batch batch) throws SQLException {
        Run run = batch.run;
        try (Connection c = dataSource.getConnection(); PreparedStatement ps = c.prepareStatement(STORE)) {
            for (Outcome o : batch.outcomes) {
                boolean changed = o.changed();
                int i = 1;
                ps.setString(i++, o.description());
                ps.setString(i++, o.filePath());
                ps.setBoolean(i++, o.pathFound());
                ps.setString(i++, o.state());
                ps.setInt(i++, o.attempts());
                ps.setString(i++, o.error());
                ps.setObject(i++, o.nextAt());
                for (int k = 0; k < 7; k++) {
                    ps.setBoolean(i++, changed);
                }
                ps.setString(i++, o.was().id());
                ps.setString(i++, o.was().description());
                ps.setString(i++, o.was().filePath());
                ps.setString(i++, o.was().state());
                ps.addBatch();
            }
            int[] written = ps.executeBatch();
            for (int k = 0; k < written.length; k++) {
                Outcome o = batch.outcomes.get(k);
                if (written[k] == 0) {
                    // re-imported meanwhile: the import's content stands and is examined again
                    run.lostToImport.incrementAndGet();
                    continue;
                }
                run.examined.incrementAndGet();
                if (o.tagsFilled()) {
                    run.tagsFilled.incrementAndGet();
                }
                if (o.pathChanged()) {
                    run.pathsFilled.incrementAndGet();
                }
                switch (o.state()) {
                    case "done" -> run.done.incrementAndGet();
                    case "waiting" -> run.waiting.incrementAndGet();
                    default -> run.gaveUp.incrementAndGet();
                }
            }
        }
    }

    /** Where the active records stand: missing tags, missing paths, enriched, given up (with the main reasons). */
    Map<String, Object> figures() throws SQLException {
        var m = new LinkedHashMap<String, Object>();
        try (Connection c = dataSource.getConnection(); PreparedStatement ps = c.prepareStatement(STATS);
             ResultSet rs = ps.executeQuery()) {
            rs.next();
            m.put("records", rs.getLong(1));
            m.put("missing_tags", rs.getLong(2));
            m.put("missing_paths", rs.getLong(3));
            m.put("enriched", rs.getLong(4));
            m.put("given_up", rs.getLong(5));
            m.put("waiting", rs.getLong(6));
            m.put("not_examined", rs.getLong(7));
        }
        var reasons = new ArrayList<Map<String, Object>>();
        try (Connection c = dataSource.getConnection(); PreparedStatement ps = c.prepareStatement(GIVEN_UP_REASONS);
             ResultSet rs = ps.executeQuery()) {
            while (rs.next()) {
                reasons.add(Map.of("reason", String.valueOf(rs.getString(1)), "records", rs.getLong(2)));
            }
        }
        m.put("given_up_reasons", reasons);
        return m;
    }

    /** With ComfyUI newly configured: records left without tags are examined again. */
    int reopenUntagged() throws SQLException {
        return update(REOPEN_UNTAGGED);
    }

    /** The media folders changed: records waiting for an image are tried now. */
    int wakePathless() throws SQLException {
        return update(WAKE_PATHLESS);
    }

    /** Records given up are examined again on the next pass. */
    int retryGivenUp() throws SQLException {
        return update(RETRY_GIVEN_UP);
    }

    private int update(String sql) throws SQLException {
        try (Connection c = dataSource.getConnection(); PreparedStatement ps = c.prepareStatement(sql)) {
            return ps.executeUpdate();
        }
    }
}
