package batchimage.deadletter;

import batchimage.ingest.ImportResult;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.OffsetDateTime;
import java.util.Map;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Replays a dead letter of stage {@code ingest-file}: the file waiting in error/ is imported again, and goes to done/ when it is. */
final class FileReplay {

    /** Logged as the replay's: one logger for all a replay does. */
    private static final Logger LOG = LoggerFactory.getLogger(DeadLetterReplay.class);

    /** The import route writes a dead letter for a file it cannot read: a failed replay keeps the replayed one instead. */
    private static final String TAKE_NEW_FILE_LETTER = """
            DELETE FROM dead_letter WHERE stage = 'ingest-file' AND source_file = ? AND id > ? AND state = 'open'
            RETURNING id, reason, raw
            """;

    private static final String IMPORTED_SINCE = """
            SELECT id, started_at::text FROM import_run
            WHERE file_name = ? AND outcome = 'done' AND started_at > ? ORDER BY id DESC LIMIT 1
            """;

    private final Path dataDir;
    private final Function<Path, ImportResult> importFile;

    /**
     * @param dataDir    the data folder: a failed file waits in its error/, a file imported again goes to its done/
     * @param importFile imports one file through the import-file route
     */
    FileReplay(Path dataDir, Function<Path, ImportResult> importFile) {
        this.dataDir = dataDir;
        this.importFile = importFile;
    }

    Map<String, Object> replay(Connection c, LockedLetter d) throws SQLException {
        String name = d.sourceFile();
        if (name == null || name.isBlank() || !Path.of(name).getFileName().toString().equals(name)) {
            return d.stillOpen(c, "dead letter " + d.id() + " names no file of error/ (" + name + "): dismiss it", null, null, null, null);
        }
        Path errorDir = dataDir.resolve("error");
        Path file = errorDir.resolve(name);
        if (!Files.isRegularFile(file)) {
            String since = importedSince(c, name, d.createdAt());
            if (since != null) {
                String message = name + " is no longer in error/: it was imported since (" + since + "), nothing to replay";
                d.replayed(c, message, null, null);
                return d.answer("replayed", message);
            }
            return d.stillOpen(c, name + " is no longer in " + errorDir + ": put the fixed file back there and replay again, or dismiss this dead letter",
                    null, null, null, null);
        }
        long before;
        try (PreparedStatement ps = c.prepareStatement("SELECT coalesce(max(id), 0) FROM dead_letter")) {
            try (ResultSet rs = ps.executeQuery()) {
                rs.next();
                before = rs.getLong(1);
            }
        }
        ImportResult result = importFile.apply(file);
        if (!"done".equals(result.outcome())) {
            String reason = result.error() == null ? "the import failed" : result.error();
            String report = null;
            try (PreparedStatement ps = c.prepareStatement(TAKE_NEW_FILE_LETTER)) {
                ps.setString(1, name);
                ps.setLong(2, before);
                try (ResultSet rs = ps.executeQuery()) {
                    while (rs.next()) {
                        reason = rs.getString("reason");
                        report = rs.getString("raw");
                    }
                }
            }
            var out = d.stillOpen(c, reason, null, null, report, null);
            out.put("import", result);
            return out;
        }
        Path done = dataDir.resolve("done").resolve(name);
        try {
            Files.createDirectories(done.getParent());
            Files.move(file, done, StandardCopyOption.REPLACE_EXISTING);
            // the report described the failure that this import has cured
            Files.deleteIfExists(errorDir.resolve(name + ".error.txt"));
        } catch (IOException e) {
            LOG.warn("{} was imported again but could not be moved to {}: {}", file, done.getParent(), e.toString());
        }
        String message = String.format("%s imported again: %,d read, %,d inserted, %,d updated, %,d unchanged, %,d rejected; moved to done/",
                name, result.read(), result.inserted(), result.updated(), result.unchanged(), result.rejected());
        d.replayed(c, message, null, null);
        var out = d.answer("replayed", message);
        out.put("import", result);
        return out;
    }

    private static String importedSince(Connection c, String name, OffsetDateTime after) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement(IMPORTED_SINCE)) {
            ps.setString(1, name);
            ps.setObject(2, after);
            try (ResultSet rs = ps.executeQuery()) {
                return rs.next() ? "import run " + rs.getLong(1) + " at " + rs.getString(2) : null;
            }
        }
    }
}
