package batchimage.ingest;

import batchimage.http.HttpRequests;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.ResultSetMetaData;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.Map;
import javax.sql.DataSource;

/** The import runs as {@code GET /api/imports} lists them: those under way with how far they are, then the last runs, newest first. */
public final class ImportHistory {

    public static final int DEFAULT_LIMIT = 50;
    public static final int MAX_LIMIT = 1000;

    private static final String RUNS = """
            SELECT id, file_name, file_bytes, outcome, started_at::text AS started_at, finished_at::text AS finished_at, seconds,
                   records_read AS read, inserted, updated, unchanged, rejected, superseded, error
            FROM import_run ORDER BY id DESC LIMIT ?
            """;

    private final DataSource dataSource;
    private final ImportProgress progress;

    /** {@code progress}: this process's imports, or null. */
    public ImportHistory(DataSource dataSource, ImportProgress progress) {
        this.dataSource = dataSource;
        this.progress = progress;
    }

    /** Checks a limit given as text (a query parameter); null or blank: the default. */
    public static int limit(String value) {
        return HttpRequests.wholeNumber("limit", value, DEFAULT_LIMIT, 1, MAX_LIMIT, "");
    }

    public Map<String, Object> list(int limit) {
        var out = new LinkedHashMap<String, Object>();
        try (Connection c = dataSource.getConnection()) {
            out.put("running", RunningImports.read(c, progress));
            try (PreparedStatement ps = c.prepareStatement("SELECT count(*) FROM import_run"); ResultSet rs = ps.executeQuery()) {
                rs.next();
                out.put("total", rs.getLong(1));
            }
            var runs = new ArrayList<Map<String, Object>>();
            try (PreparedStatement ps = c.prepareStatement(RUNS)) {
                ps.setInt(1, limit);
                try (ResultSet rs = ps.executeQuery()) {
                    ResultSetMetaData md = rs.getMetaData();
                    while (rs.next()) {
                        var row = new LinkedHashMap<String, Object>();
                        for (int i = 1; i <= md.getColumnCount(); i++) {
                            row.put(md.getColumnLabel(i), rs.getObject(i));
                        }
                        runs.add(row);
                    }
                }
            }
            out.put("imports", runs);
        } catch (SQLException e) {
            throw new IllegalStateException("cannot list the import runs: " + e.getMessage(), e);
        }
        return out;
    }
}
