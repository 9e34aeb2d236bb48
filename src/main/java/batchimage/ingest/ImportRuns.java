package batchimage.ingest;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.sql.Statement;
import javax.sql.DataSource;

/** The import_run table: one row per file, written outside the file's own transaction so it survives a failure. */
public final class ImportRuns {

    private static final String START = """
            INSERT INTO import_run (file_name, file_path, file_bytes) VALUES (?, ?, ?) RETURNING id
            """;

    private static final String FINISH = """
            UPDATE import_run SET finished_at = now(), seconds = ?, outcome = ?, records_read = ?, inserted = ?,
                   updated = ?, unchanged = ?, rejected = ?, superseded = ?, error = ?
            WHERE id = ?
            """;

    private static final String FILE_DEAD_LETTER = """
            INSERT INTO dead_letter (stage, source_file, reason, raw) VALUES ('ingest-file', ?, ?, ?)
            """;

    /** Final figures of one import. */
    public record Counts(long read, long inserted, long updated, long unchanged, long rejected, long superseded) {
    }

    private final DataSource dataSource;

    public ImportRuns(DataSource dataSource) {
        this.dataSource = dataSource;
    }

    public long start(String fileName, String filePath, long bytes) throws SQLException {
        try (Connection c = dataSource.getConnection(); PreparedStatement ps = c.prepareStatement(START)) {
            ps.setString(1, fileName);
            ps.setString(2, filePath);
            ps.setLong(3, bytes);
            try (var rs = ps.executeQuery()) {
                rs.next();
                return rs.getLong(1);
            }
        }
    }

    public void finish(long runId, double seconds, String outcome, Counts counts, String error) throws SQLException {
        try (Connection c = dataSource.getConnection(); PreparedStatement ps = c.prepareStatement(FINISH)) {
            ps.setDouble(1, seconds);
            ps.setString(2, outcome);
            ps.setLong(3, counts.read());
            ps.setLong(4, counts.inserted());
            ps.setLong(5, counts.updated());
            ps.setLong(6, counts.unchanged());
            ps.setLong(7, counts.rejected());
            ps.setLong(8, counts.superseded());
            ps.setString(9, error);
            ps.setLong(10, runId);
            ps.executeUpdate();
        }
    }

    /** A file that could not be imported at all is a dead letter too; its report is the raw text. */
    public void fileFailed(String fileName, String reason, String report) throws SQLException {
        try (Connection c = dataSource.getConnection(); PreparedStatement ps = c.prepareStatement(FILE_DEAD_LETTER)) {
            ps.setString(1, fileName);
            ps.setString(2, reason);
            ps.setString(3, report);
            ps.executeUpdate();
        }
    }

    /** Number of rows, for tests and stats. */
    public long count() throws SQLException {
        try (Connection c = dataSource.getConnection(); Statement st = c.createStatement();
             var rs = st.executeQuery("SELECT count(*) FROM import_run")) {
            rs.next();
            return rs.getLong(1);
        }
    }
}
