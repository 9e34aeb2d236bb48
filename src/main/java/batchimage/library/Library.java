package batchimage.library;

import batchimage.library.FilterSql;

import batchimage.index.IndexTexts;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import javax.sql.DataSource;

/** The library as search reads it from PostgreSQL: records listed by a filter, one record whole, facets, indexing counts. */
public final class Library {

    /** A record as a search hit shows it: its id and its vector metadata, as the index route writes it. */
    public record Row(String id, Map<String, Object> metadata) {
    }

    /** Records waiting to be indexed and records that could not be. */
    @io.swagger.v3.oas.annotations.media.Schema(name = "Indexing", requiredProperties = {"pending", "failed"})
    public record Indexing(long pending, long failed) {
    }

    private static final long INDEXING_CACHE_NANOS = 2_000_000_000L;

    private final DataSource dataSource;
    private final ObjectMapper json = new ObjectMapper();
    /** The counts scan the table: asked at most every 2 s, however many searches come. */
    private volatile Indexing indexing;
    private volatile long indexingAt;

    public Library(DataSource dataSource) {
        this.dataSource = dataSource;
    }

    /** The active records a filter matches, ordered by name (then id), at most {@code limit}. */
    public List<Row> list(FilterSql.Sql filter, int limit) {
        String sql = """
                SELECT id, name, file_path, description, theme, sub_theme, prompt
                FROM image_library
                WHERE status = 'active' AND %s
                ORDER BY name NULLS LAST, id
                LIMIT ?
                """.formatted(filter.where());
        try (Connection c = dataSource.getConnection(); PreparedStatement ps = c.prepareStatement(sql)) {
            int i = bind(c, ps, filter.params());
            ps.setInt(i, limit);
            var out = new ArrayList<Row>();
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    out.add(new Row(rs.getString("id"), IndexTexts.metadata(rs.getString("name"), rs.getString("file_path"),
                            rs.getString("description"), rs.getString("theme"), rs.getString("sub_theme"), rs.getString("prompt"))));
                }
            }
            return out;
        } catch (SQLException e) {
            throw new IllegalStateException("cannot list the records matching the filter: " + e.getMessage(), e);
        }
    }

    private static int bind(Connection c, PreparedStatement ps, List<Object> params) throws SQLException {
        int i = 1;
        for (Object p : params) {
            if (p instanceof String[] a) {
                ps.setArray(i++, c.createArrayOf("text", a));
            } else {
                ps.setString(i++, (String) p);
            }
        }
        return i;
    }

    /** Pending and failed active records, at most 2 s old. */
    public Indexing indexing() {
        Indexing known = indexing;
        long now = System.nanoTime();
        if (known != null && now - indexingAt < INDEXING_CACHE_NANOS) {
            return known;
        }
        String sql = """
                SELECT count(*) FILTER (WHERE index_state IN ('pending', 'indexing')),
                       count(*) FILTER (WHERE index_state = 'failed')
                FROM image_library WHERE status = 'active' AND index_state <> 'indexed'
                """;
        try (Connection c = dataSource.getConnection(); PreparedStatement ps = c.prepareStatement(sql); ResultSet rs = ps.executeQuery()) {
            rs.next();
            Indexing fresh = new Indexing(rs.getLong(1), rs.getLong(2));
            indexing = fresh;
            indexingAt = now;
            return fresh;
        } catch (SQLException e) {
            throw new IllegalStateException("cannot count the records waiting to be indexed: " + e.getMessage(), e);
        }
    }

    /** One record with its index state and dead letters, as {@code GET /api/records/{id}} shows it; null when unknown. */
    public Map<String, Object> record(UUID id) {
        String sql = """
                SELECT id, name, file_path, prompt, description, theme, sub_theme, status, source_file, extra::text AS extra,
                       created_at, updated_at, index_state, index_error, index_attempts, indexed_at, prompt_fp, description_fp
                FROM image_library WHERE id = ?
                """;
        String letters = """
                SELECT id, stage, reason, created_at, state, resolution FROM dead_letter
                WHERE record_id = ? OR records @> ARRAY[?::uuid] ORDER BY id
                """;
        try (Connection c = dataSource.getConnection(); PreparedStatement ps = c.prepareStatement(sql)) {
            ps.setObject(1, id);
            var r = new LinkedHashMap<String, Object>();
            try (ResultSet rs = ps.executeQuery()) {
                if (!rs.next()) {
                    return null;
                }
                r.put("id", rs.getString("id"));
                for (String col : List.of("name", "file_path", "prompt", "description", "theme", "sub_theme", "status", "source_file")) {
                    r.put(col, rs.getString(col));
                }
                String extra = rs.getString("extra");
                r.put("extra", extra == null ? null : json.readTree(extra));
                r.put("created_at", time(rs, "created_at"));
                r.put("updated_at", time(rs, "updated_at"));
                var index = new LinkedHashMap<String, Object>();
                index.put("state", rs.getString("index_state"));
                index.put("error", rs.getString("index_error"));
                index.put("attempts", rs.getInt("index_attempts"));
                index.put("indexed_at", time(rs, "indexed_at"));
                index.put("namespaces", Map.of(
                        "prompt", Map.of("indexed", rs.getString("prompt_fp") != null),
                        "description", Map.of("indexed", rs.getString("description_fp") != null)));
                r.put("index", index);
            }
            var dead = new ArrayList<Map<String, Object>>();
            try (PreparedStatement dl = c.prepareStatement(letters)) {
                dl.setString(1, id.toString());
                dl.setString(2, id.toString());
                try (ResultSet rs = dl.executeQuery()) {
                    while (rs.next()) {
                        var d = new LinkedHashMap<String, Object>();
                        d.put("id", rs.getLong("id"));
                        d.put("stage", rs.getString("stage"));
                        d.put("reason", rs.getString("reason"));
                        d.put("created_at", time(rs, "created_at"));
                        d.put("state", rs.getString("state"));
                        d.put("resolution", rs.getString("resolution"));
                        dead.add(d);
                    }
                }
            }
            r.put("dead_letters", dead);
            return r;
        } catch (SQLException | IOException e) {
            throw new IllegalStateException("cannot read record " + id + ": " + e.getMessage(), e);
        }
    }

    private static String time(ResultSet rs, String column) throws SQLException {
        OffsetDateTime t = rs.getObject(column, OffsetDateTime.class);
        return t == null ? null : t.toString();
    }

    /** Active records by theme, by sub-theme and by tag (the {@code tags} most common), as {@code GET /api/facets} shows them. */
    public Map<String, Object> facets(int tags) {
        String records = "SELECT count(*) FROM image_library WHERE status = 'active'";
        String themes = """
                SELECT theme, count(*) AS n FROM image_library WHERE status = 'active'
                GROUP BY theme ORDER BY n DESC, theme NULLS LAST
                """;
        String subThemes = """
                SELECT sub_theme, theme, count(*) AS n FROM image_library WHERE status = 'active'
                GROUP BY sub_theme, theme ORDER BY n DESC, sub_theme NULLS LAST, theme NULLS LAST
                """;
        // a tag counts once per record, as in the record's metadata
        String tagCounts = """
                SELECT tag, count(*) AS n
                FROM (SELECT DISTINCT l.id, btrim(t, E' \\t\\n\\r\\f') AS tag
                      FROM image_library l, unnest(string_to_array(l.description, ',')) AS t
                      WHERE l.status = 'active') x
                WHERE tag <> ''
                GROUP BY tag ORDER BY n DESC, tag
                LIMIT ?
                """;
        try (Connection c = dataSource.getConnection()) {
            var out = new LinkedHashMap<String, Object>();
            try (PreparedStatement ps = c.prepareStatement(records); ResultSet rs = ps.executeQuery()) {
                rs.next();
                out.put("records", rs.getLong(1));
            }
            var th = new ArrayList<Map<String, Object>>();
            try (PreparedStatement ps = c.prepareStatement(themes); ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    th.add(facet(rs.getString("theme"), rs.getLong("n")));
                }
            }
            out.put("themes", th);
            var st = new ArrayList<Map<String, Object>>();
            try (PreparedStatement ps = c.prepareStatement(subThemes); ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    var f = new LinkedHashMap<String, Object>();
                    f.put("value", rs.getString("sub_theme"));
                    f.put("theme", rs.getString("theme"));
                    f.put("count", rs.getLong("n"));
                    st.add(f);
                }
            }
            out.put("sub_themes", st);
            var tg = new ArrayList<Map<String, Object>>();
            if (tags > 0) {
                try (PreparedStatement ps = c.prepareStatement(tagCounts)) {
                    ps.setInt(1, tags);
                    try (ResultSet rs = ps.executeQuery()) {
                        while (rs.next()) {
                            tg.add(facet(rs.getString("tag"), rs.getLong("n")));
                        }
                    }
                }
            }
            out.put("tags", tg);
            return out;
        } catch (SQLException e) {
            throw new IllegalStateException("cannot count the facets: " + e.getMessage(), e);
        }
    }

    private static Map<String, Object> facet(String value, long count) {
        var f = new LinkedHashMap<String, Object>();
        f.put("value", value);
        f.put("count", count);
        return f;
    }
}
