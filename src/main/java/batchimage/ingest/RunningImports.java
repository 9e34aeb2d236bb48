package batchimage.ingest;

import batchimage.store.Holders;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The imports under way ({@code importing} of {@code GET /api/stats}, {@code running} of {@code GET /api/imports}):
 * the runs of import_run that are running, with how far each is when this process imports it (records done,
 * rate, time left, from {@link ImportProgress}); a run of another process shows its file and start only, since
 * its records are not in PostgreSQL before its file is stored whole.
 */
public final class RunningImports {

    private static final String RUNNING = """
            SELECT id, file_name, file_bytes, started_at::text AS started_at, extract(epoch FROM now() - started_at) AS seconds, holder
            FROM import_run WHERE outcome = 'running' ORDER BY id
            """;

    private RunningImports() {
    }

    /** {@code progress}: this process's imports, or null (a process that imports nothing). */
    public static List<Map<String, Object>> read(Connection c, ImportProgress progress) throws SQLException {
        var out = new ArrayList<Map<String, Object>>();
        long now = System.nanoTime();
        try (PreparedStatement ps = c.prepareStatement(RUNNING); ResultSet rs = ps.executeQuery()) {
            while (rs.next()) {
                long id = rs.getLong("id");
                long bytes = rs.getLong("file_bytes");
                var m = new LinkedHashMap<String, Object>();
                m.put("id", id);
                m.put("file_name", rs.getString("file_name"));
                m.put("file_bytes", rs.wasNull() ? null : bytes);
                m.put("started_at", rs.getString("started_at"));
                m.put("seconds", round(rs.getDouble("seconds")));
                String holder = rs.getString("holder");
                ImportProgress.Snapshot s = progress == null ? null : progress.of(id);
                m.put("this_process", Holders.THIS_PROCESS.equals(holder));
                m.put("records_done", s == null ? null : s.records());
                m.put("bytes_read", s == null ? null : s.bytesRead());
                m.put("fraction", s == null ? null : round(s.fraction()));
                m.put("records_per_second", s == null ? null : round(s.recordsPerSecond(now)));
                Double left = s == null ? null : s.secondsLeft(now);
                m.put("seconds_left", left == null ? null : round(left));
                out.add(m);
            }
        }
        return out;
    }

    private static double round(double v) {
        return Math.round(v * 1000) / 1000.0;
    }
}
