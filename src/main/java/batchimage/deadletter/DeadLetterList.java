package batchimage.deadletter;

import batchimage.http.HttpRequests;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.Map;
import javax.sql.DataSource;

/** The dead letters as {@code GET /api/dead-letters} and {@code batch-image dead-letters} list them: newest first, by stage and file. */
public final class DeadLetterList {

    public static final int DEFAULT_LIMIT = 100;
    public static final int MAX_LIMIT = 1000;
    /** A raw record or report longer than this is cut in the listing. */
    static final int RAW_CHARS = 4000;

    private static final String WHERE = """
            WHERE (CAST(? AS text) IS NULL OR stage = ?) AND (CAST(? AS text) IS NULL OR source_file = ?)
            """;

    private final DataSource dataSource;

    public DeadLetterList(DataSource dataSource) {
        this.dataSource = dataSource;
    }

    /** Checks a limit given as text (a query parameter); null or blank: the default. */
    public static int limit(String value) {
        return HttpRequests.wholeNumber("limit", value, DEFAULT_LIMIT, 1, MAX_LIMIT, "");
    }

    /** The dead letters of a stage and a file (null: any), newest first, at most limit, with how many there are in all. */
    public Map<String, Object> list(String stage, String file, int limit) {
        String s = stage == null || stage.isBlank() ? null : stage.strip();
        String f = file == null || file.isBlank() ? null : file.strip();
        var out = new LinkedHashMap<String, Object>();
        out.put("stage", s);
        out.put("file", f);
        try (Connection c = dataSource.getConnection()) {
            try (PreparedStatement ps = c.prepareStatement("SELECT count(*) FROM dead_letter " + WHERE)) {
                bind(ps, s, f);
                try (ResultSet rs = ps.executeQuery()) {
                    rs.next();
                    out.put("total", rs.getLong(1));
                }
            }
            var letters = new ArrayList<Map<String, Object>>();
            try (PreparedStatement ps = c.prepareStatement("""
                    SELECT id, created_at::text AS created_at, stage, state, source_file, sub_theme, position, record_id, field, reason, raw,
                           resolved_at::text AS resolved_at, resolution, replay_count, corrected_raw
                    FROM dead_letter
                    """ + WHERE + " ORDER BY id DESC LIMIT ?")) {
                int i = bind(ps, s, f);
                ps.setInt(i, limit);
                try (ResultSet rs = ps.executeQuery()) {
                    while (rs.next()) {
                        var m = new LinkedHashMap<String, Object>();
                        m.put("id", rs.getLong("id"));
                        for (String col : new String[] {"created_at", "stage", "state", "source_file", "sub_theme"}) {
                            m.put(col, rs.getString(col));
                        }
                        int position = rs.getInt("position");
                        m.put("position", rs.wasNull() ? null : position);
                        for (String col : new String[] {"record_id", "field", "reason"}) {
                            m.put(col, rs.getString(col));
                        }
                        m.put("raw", cut(rs.getString("raw")));
                        // what became of it: replayed, dismissed or resolved when, how (or the user's note), replays tried, the corrected record
                        m.put("resolved_at", rs.getString("resolved_at"));
                        m.put("resolution", rs.getString("resolution"));
                        m.put("replay_count", rs.getInt("replay_count"));
                        m.put("corrected_raw", cut(rs.getString("corrected_raw")));
                        letters.add(m);
                    }
                }
            }
            out.put("dead_letters", letters);
        } catch (SQLException e) {
            throw new IllegalStateException("cannot list the dead letters: " + e.getMessage(), e);
        }
        return out;
    }

    private static String cut(String raw) {
        return raw == null || raw.length() <= RAW_CHARS ? raw : raw.substring(0, RAW_CHARS) + "...";
    }

    private static int bind(PreparedStatement ps, String stage, String file) throws SQLException {
        ps.setString(1, stage);
        ps.setString(2, stage);
        ps.setString(3, file);
        ps.setString(4, file);
        return 5;
    }
}
