package batchimage.ingest;

import batchimage.store.Holders;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import javax.sql.DataSource;

/** The import_run table: one row per file, written outside the file's own transaction so it survives a failure. */
public final class ImportRuns {

    private static final String START = """
            INSERT INTO import_run (file_name, file_path, file_bytes, holder, seen_at) VALUES (?, ?, ?, ?, now()) RETURNING id
            """;

    private static final String RENEW = "UPDATE import_run SET seen_at = now() WHERE outcome = 'running' AND id = ANY (?)";

    private static final String RUNNING = "SELECT id, holder FROM import_run WHERE outcome = 'running'";

    /** Runs whose process ended here, or that nobody renewed for the lease (their process ended elsewhere). */
    private static final String INTERRUPT = """
            UPDATE import_run SET outcome = 'interrupted', finished_at = now(),
                   seconds = extract(epoch FROM now() - started_at), error = ?
            WHERE outcome = 'running'
              AND (id = ANY (?) OR coalesce(seen_at, started_at) < now() - make_interval(secs => ?))
            RETURNING id, file_name
            """;

    static final String INTERRUPTED = "interrupted: the process importing the file ended before the file was stored,"
            + " and nothing of this attempt was kept (a file is stored whole or not at all); a file still in the inbox is imported again";

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
            ps.setString(4, Holders.THIS_PROCESS);
            try (var rs = ps.executeQuery()) {
                rs.next();
                return rs.getLong(1);
            }
        }
    }

    public void finish(long runId, double seconds, String outcome, Counts counts, String error) throws SQLException {
        try (Connection c = dataSource.getConnection()) {
            finish(c, runId, seconds, outcome, counts, error);
        }
    }

    /** As above, on the given connection: in the file's own transaction, the run is done exactly when its records are stored. */
    public static void finish(Connection c, long runId, double seconds, String outcome, Counts counts, String error) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement(FINISH)) {
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

    /** Tells the other processes that these runs (of this process) still run. */
    public void renew(Collection<Long> runIds) throws SQLException {
        if (runIds.isEmpty()) {
            return;
        }
        try (Connection c = dataSource.getConnection(); PreparedStatement ps = c.prepareStatement(RENEW)) {
            ps.setArray(1, c.createArrayOf("bigint", runIds.toArray()));
            ps.executeUpdate();
        }
    }

    /**
     * Closes as interrupted the runs whose process ended: one of this machine that no longer runs (at once), or
     * any that renewed its run for longer than {@code leaseSeconds} (another machine's, lost). Answers what it closed.
     */
    public List<String> closeInterrupted(int leaseSeconds) throws SQLException {
        try (Connection c = dataSource.getConnection()) {
            var ended = new ArrayList<Long>();
            try (Statement st = c.createStatement(); ResultSet rs = st.executeQuery(RUNNING)) {
                while (rs.next()) {
                    if (Holders.endedHere(rs.getString(2))) {
                        ended.add(rs.getLong(1));
                    }
                }
            }
            var closed = new ArrayList<String>();
            try (PreparedStatement ps = c.prepareStatement(INTERRUPT)) {
                ps.setString(1, INTERRUPTED);
                ps.setArray(2, c.createArrayOf("bigint", ended.toArray()));
                ps.setInt(3, leaseSeconds);
                try (ResultSet rs = ps.executeQuery()) {
                    while (rs.next()) {
                        closed.add(rs.getString(2) + " (run " + rs.getLong(1) + ")");
                    }
                }
            }
            return closed;
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
