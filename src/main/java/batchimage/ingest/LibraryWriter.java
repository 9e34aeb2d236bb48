package batchimage.ingest;

import batchimage.ingest.ImageRecord;
import batchimage.ingest.Rejection;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.UUID;
import javax.sql.DataSource;
import org.postgresql.PGConnection;
import org.postgresql.copy.CopyIn;

/**
 * Writes one file's records into image_library inside a single transaction: each batch is COPYed
 * into a temporary staging table and upserted with one INSERT ... ON CONFLICT that leaves unchanged
 * rows alone. Rejections go to dead_letter in the same transaction, so a file lands whole or not at all.
 */
public final class LibraryWriter implements AutoCloseable {

    private static final String CREATE_STAGING = """
            CREATE TEMP TABLE IF NOT EXISTS import_staging (
                id uuid, name text, file_path text, prompt text, description text,
                theme text, sub_theme text, extra jsonb, source_file text)
            """;

    private static final String COPY_STAGING = "COPY import_staging FROM STDIN";

    /**
     * One probe of the primary key sorts the batch into new rows and rows whose content differs;
     * the new are inserted, the differing updated, the unchanged not touched (not even locked).
     */
    private static final String UPSERT = """
            WITH merged AS (
                SELECT s.id, s.name, s.prompt, s.theme, s.sub_theme, s.extra, s.source_file, t.id IS NULL AS is_new,
                       -- an empty path or empty tags in the file do not erase what enrich filled in
                       CASE WHEN t.enriched_at IS NOT NULL AND coalesce(s.file_path, '') = '' THEN t.file_path ELSE s.file_path END AS file_path,
                       CASE WHEN t.enriched_at IS NOT NULL AND coalesce(s.description, '') = '' THEN t.description ELSE s.description END AS description,
                       (t.name, t.file_path, t.prompt, t.description, t.theme, t.sub_theme, t.extra) AS stored
                FROM import_staging s
                LEFT JOIN image_library t ON t.id = s.id
            ), changed AS MATERIALIZED (
                SELECT * FROM merged
                WHERE is_new
                   OR stored IS DISTINCT FROM (name, file_path, prompt, description, theme, sub_theme, extra)
            ), updated AS (
                UPDATE image_library AS t SET
                    name = c.name, file_path = c.file_path, prompt = c.prompt, description = c.description,
                    theme = c.theme, sub_theme = c.sub_theme, extra = c.extra, source_file = c.source_file,
                    -- changed content is indexed at once, not after the delay its earlier failures earned
                    index_state = 'pending', index_error = NULL, index_attempts = 0, next_attempt_at = NULL,
                    -- changed content is examined by enrich again
                    enrich_state = NULL, enrich_attempts = 0, enrich_next_at = NULL, enrich_error = NULL, path_found = NULL,
                    updated_at = now(), content_changed_at = now()
                FROM changed c
                WHERE NOT c.is_new AND t.id = c.id
                RETURNING 1
            ), inserted AS (
                INSERT INTO image_library (id, name, file_path, prompt, description, theme, sub_theme, extra, source_file)
                SELECT id, name, file_path, prompt, description, theme, sub_theme, extra, source_file
                FROM changed WHERE is_new
                -- another instance may have inserted the id since the probe: its row stands
                ON CONFLICT (id) DO NOTHING
                RETURNING 1
            )
            SELECT (SELECT count(*) FROM inserted), (SELECT count(*) FROM updated)
            """;

    private static final String CLEAR_OLD_REJECTIONS = """
            DELETE FROM dead_letter WHERE stage = 'ingest' AND source_file = ? AND state = 'open'
            """;

    private static final String INSERT_REJECTION = """
            INSERT INTO dead_letter (stage, source_file, sub_theme, position, record_id, field, reason, raw)
            VALUES ('ingest', ?, ?, ?, ?, ?, ?, ?)
            """;

    /** Counts of one batch. */
    public record Written(int inserted, int updated, int unchanged, int superseded, int rejected) {
    }

    private final Connection conn;
    private final String sourceFile;

    /** A writer for a whole file: the file's open rejections from an earlier import give way to this import's. */
    public LibraryWriter(DataSource dataSource, String sourceFile) throws SQLException {
        this(dataSource, sourceFile, true);
    }

    /** A writer for records of a file written one by one (a replayed dead letter): the file's other rejections stay. */
    public static LibraryWriter forReplay(DataSource dataSource, String sourceFile) throws SQLException {
        return new LibraryWriter(dataSource, sourceFile, false);
    }

    private LibraryWriter(DataSource dataSource, String sourceFile, boolean wholeFile) throws SQLException {
        this.conn = dataSource.getConnection();
        this.sourceFile = sourceFile;
        try {
            conn.setAutoCommit(false);
            try (Statement st = conn.createStatement()) {
                if (!hasStaging(conn)) {
                    // a batch must fit in the session's temp buffers, or every batch spills to disk
                    st.execute("SET temp_buffers = '64MB'");
                }
                st.execute(CREATE_STAGING);
                st.execute("TRUNCATE import_staging");
            }
            if (wholeFile) {
                try (PreparedStatement ps = conn.prepareStatement(CLEAR_OLD_REJECTIONS)) {
                    ps.setString(1, sourceFile);
                    ps.executeUpdate();
                }
            }
        } catch (SQLException e) {
            conn.rollback();
            conn.close();
            throw e;
        }
    }

    private static boolean hasStaging(Connection conn) throws SQLException {
        try (Statement st = conn.createStatement();
             var rs = st.executeQuery("SELECT to_regclass('pg_temp.import_staging') IS NOT NULL")) {
            rs.next();
            return rs.getBoolean(1);
        }
    }

    /** A batch's distinct records as COPY rows, ready to send. */
    public record Encoded(byte[] rows, int length, int distinct, int superseded) {
    }

    /**
     * Encodes a batch for COPY; thread-safe, so that it can run ahead of the writer. Within one statement
     * a row can be written once: of several records with one id, the last wins, as it would in order.
     */
    public static Encoded encode(List<ImageRecord> records, String sourceFile) {
        var byId = new LinkedHashMap<UUID, ImageRecord>(records.size() * 2);
        for (ImageRecord r : records) {
            byId.remove(r.id());
            byId.put(r.id(), r);
        }
        var encoder = new CopyEncoder();
        for (ImageRecord r : byId.values()) {
            encoder.row(r, sourceFile);
        }
        return new Encoded(encoder.buffer(), encoder.length(), byId.size(), records.size() - byId.size());
    }

    public Written write(List<ImageRecord> records, List<Rejection> rejections) throws SQLException, IOException {
        return write(encode(records, sourceFile), rejections);
    }

    public Written write(Encoded batch, List<Rejection> rejections) throws SQLException, IOException {
        int inserted = 0;
        int updated = 0;
        if (batch.distinct() > 0) {
            CopyIn copy = conn.unwrap(PGConnection.class).getCopyAPI().copyIn(COPY_STAGING);
            try {
                copy.writeToCopy(batch.rows(), 0, batch.length());
                copy.endCopy();
            } finally {
                if (copy.isActive()) {
                    copy.cancelCopy();
                }
            }
            try (Statement st = conn.createStatement(); var rs = st.executeQuery(UPSERT)) {
                rs.next();
                inserted = rs.getInt(1);
                updated = rs.getInt(2);
            }
            try (Statement st = conn.createStatement()) {
                st.execute("TRUNCATE import_staging");
            }
        }
        if (!rejections.isEmpty()) {
            try (PreparedStatement ps = conn.prepareStatement(INSERT_REJECTION)) {
                for (Rejection r : rejections) {
                    ps.setString(1, sourceFile);
                    ps.setString(2, r.subTheme());
                    ps.setInt(3, r.position());
                    ps.setString(4, r.recordId());
                    ps.setString(5, r.field());
                    ps.setString(6, r.reason());
                    ps.setString(7, r.raw());
                    ps.addBatch();
                }
                ps.executeBatch();
            }
        }
        int unchanged = batch.distinct() - inserted - updated;
        return new Written(inserted, updated, unchanged, batch.superseded(), rejections.size());
    }

    public void commit() throws SQLException {
        conn.commit();
    }

    /** A last statement of the transaction, on its connection. */
    @FunctionalInterface
    public interface LastStep {
        void run(Connection c) throws SQLException;
    }

    /** Runs {@code last} in the transaction, then commits: what it writes lands with the records or not at all. */
    public void commit(LastStep last) throws SQLException {
        last.run(conn);
        conn.commit();
    }

    public void rollback() {
        try {
            conn.rollback();
        } catch (SQLException e) {
            // the connection is being thrown away with the transaction; closing it rolls back too
        }
    }

    @Override
    public void close() throws SQLException {
        if (!conn.getAutoCommit()) {
            conn.rollback();
            conn.setAutoCommit(true);
        }
        conn.close();
    }

    /** PostgreSQL COPY text format, UTF-8, into a reusable buffer. A lone surrogate becomes '?'. */
    static final class CopyEncoder {
        private byte[] buf = new byte[1 << 16];
        private int len;

        void reset() {
            len = 0;
        }

        byte[] buffer() {
            return buf;
        }

        int length() {
            return len;
        }

        void row(ImageRecord r, String sourceFile) {
            field(r.id().toString());
            tab();
            field(r.name());
            tab();
            field(r.filePath());
            tab();
            field(r.prompt());
            tab();
            field(r.description());
            tab();
            field(r.theme());
            tab();
            field(r.subTheme());
            tab();
            field(r.extraJson());
            tab();
            field(sourceFile);
            put((byte) '\n');
        }

        private void tab() {
            put((byte) '\t');
        }

        private void field(String s) {
            if (s == null) {
                put((byte) '\\');
                put((byte) 'N');
                return;
            }
            // String.getBytes is an intrinsic; in UTF-8 the four bytes to escape never occur inside a multi-byte sequence
            byte[] utf8 = s.getBytes(StandardCharsets.UTF_8);
            ensure(utf8.length * 2);
            int from = 0;
            for (int i = 0; i < utf8.length; i++) {
                byte b = utf8[i];
                if (b == '\\' || b == '\n' || b == '\r' || b == '\t') {
                    System.arraycopy(utf8, from, buf, len, i - from);
                    len += i - from;
                    buf[len++] = '\\';
                    buf[len++] = switch (b) {
                        case '\n' -> (byte) 'n';
                        case '\r' -> (byte) 'r';
                        case '\t' -> (byte) 't';
                        default -> (byte) '\\';
                    };
                    from = i + 1;
                }
            }
            System.arraycopy(utf8, from, buf, len, utf8.length - from);
            len += utf8.length - from;
        }

        private void put(byte b) {
            ensure(1);
            buf[len++] = b;
        }

        private void ensure(int extra) {
            if (len + extra > buf.length) {
                byte[] bigger = new byte[Math.max(buf.length * 2, len + extra)];
                System.arraycopy(buf, 0, bigger, 0, len);
                buf = bigger;
            }
        }
    }
}
