package batchimage.deadletter;

import batchimage.http.ApiError;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.OffsetDateTime;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * A dead letter as locked for its replay ({@code FOR UPDATE}: two replays of one letter never both run), and what
 * a replay writes on its row and answers: replayed with its resolution, or still open with the new reason.
 */
record LockedLetter(long id, OffsetDateTime createdAt, String stage, String state, String sourceFile, String subTheme,
                    Integer position, String recordId, String field, String reason, String raw, String resolvedAt) {

    private static final String LOCK = """
            SELECT id, created_at, stage, state, source_file, sub_theme, position, record_id, field, reason, raw, resolved_at::text AS resolved_at
            FROM dead_letter WHERE id = ? FOR UPDATE
            """;

    private static final String REPLAYED = """
            UPDATE dead_letter SET state = 'replayed', resolved_at = now(), resolution = ?, corrected_raw = coalesce(?, corrected_raw),
                   record_id = coalesce(?, record_id), replay_count = replay_count + 1, last_replayed_at = now()
            WHERE id = ?
            """;

    /** A replay that failed: the letter stays open with the new reason (and field), the corrected record kept. */
    private static final String STILL_OPEN = """
            UPDATE dead_letter SET reason = ?, field = ?, corrected_raw = coalesce(?, corrected_raw), raw = coalesce(?, raw),
                   record_id = coalesce(?, record_id), replay_count = replay_count + 1, last_replayed_at = now()
            WHERE id = ?
            """;

    /** Locks the letter's row for the transaction of {@code c}; 404 when there is none. */
    static LockedLetter lock(Connection c, long id) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement(LOCK)) {
            ps.setLong(1, id);
            try (ResultSet rs = ps.executeQuery()) {
                if (!rs.next()) {
                    throw new ApiError(404, "no dead letter " + id, "id");
                }
                int position = rs.getInt("position");
                Integer pos = rs.wasNull() ? null : position;
                return new LockedLetter(id, rs.getObject("created_at", OffsetDateTime.class), rs.getString("stage"), rs.getString("state"),
                        rs.getString("source_file"), rs.getString("sub_theme"), pos, rs.getString("record_id"), rs.getString("field"),
                        rs.getString("reason"), rs.getString("raw"), rs.getString("resolved_at"));
            }
        }
    }

    void replayed(Connection c, String resolution, String corrected, String recordId) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement(REPLAYED)) {
            ps.setString(1, resolution);
            ps.setString(2, corrected);
            ps.setString(3, recordId);
            ps.setLong(4, id);
            ps.executeUpdate();
        }
    }

    Map<String, Object> stillOpen(Connection c, String reason, String field, String corrected, String raw, String recordId)
            throws SQLException {
        try (PreparedStatement ps = c.prepareStatement(STILL_OPEN)) {
            ps.setString(1, reason);
            ps.setString(2, field);
            ps.setString(3, corrected);
            ps.setString(4, raw);
            ps.setString(5, recordId);
            ps.setLong(6, id);
            ps.executeUpdate();
        }
        var out = answer("open", "still open: " + (field == null ? "" : "field " + field + ": ") + reason);
        out.put("field", field);
        out.put("reason", reason);
        if (corrected != null) {
            out.put("corrected", true);
        }
        return out;
    }

    LinkedHashMap<String, Object> answer(String state, String message) {
        var out = new LinkedHashMap<String, Object>();
        out.put("id", id);
        out.put("stage", stage);
        out.put("source_file", sourceFile);
        out.put("state", state);
        out.put("replayed", state.equals("replayed"));
        out.put("message", message);
        return out;
    }
}
