package batchimage.deadletter;

import batchimage.ingest.ImageRecord;
import batchimage.ingest.ImportResult;
import batchimage.ingest.RecordMapper;
import batchimage.http.ApiError;
import batchimage.ingest.LibraryWriter;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.Function;
import java.util.regex.Pattern;
import javax.sql.DataSource;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Puts a dead letter back where it failed, or sets it aside ({@code POST /api/dead-letters/{id}/replay},
 * {@code /dismiss}, {@code /api/dead-letters/replay}; {@code batch-image dead-letters --replay}). By stage:
 * {@code ingest}: the record (as read, or as corrected by the user) is mapped and upserted as the import does;
 * {@code ingest-file}: the file in error/ is imported again; {@code enrich}: the records go back to the enrich
 * route; {@code sync}: the sync runs again; any other stage whose raw names records ({@code index},
 * {@code index-prompt}, ...): those not yet indexed go back to the index route. A replay that fails again leaves the dead letter open with the new reason.
 * The dead letter's row stays locked while it is replayed, so that two replays of one letter never both run.
 */
public final class DeadLetterReplay {

    private static final Logger LOG = LoggerFactory.getLogger(DeadLetterReplay.class);
    private static final Pattern UUID_TEXT = Pattern.compile("[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}");
    /** How many of the letters left open replay-all lists with their reasons. */
    static final int LISTED = 20;

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

    private static final String DISMISS = """
            UPDATE dead_letter SET state = 'dismissed', resolved_at = now(), resolution = ? WHERE id = ? AND state = 'open'
            """;

    /** Back to the index route at once: only records still active and not indexed (nor being indexed right now). */
    private static final String REQUEUE_INDEX = """
            UPDATE image_library SET index_state = 'pending', index_attempts = 0, next_attempt_at = NULL, index_error = NULL
            WHERE id = ANY (?::uuid[]) AND status = 'active' AND index_state IN ('pending', 'failed')
            """;

    private static final String REQUEUE_ENRICH = """
            UPDATE image_library SET enrich_state = NULL, enrich_attempts = 0, enrich_next_at = NULL, enrich_error = NULL
            WHERE id = ANY (?::uuid[]) AND status = 'active'
            """;

    /** Where the named records stand, for the answer: indexed, being indexed, not in the library (or deleted). */
    private static final String STANDING = """
            SELECT count(*) FILTER (WHERE status = 'active' AND index_state = 'indexed'),
                   count(*) FILTER (WHERE status = 'active' AND index_state = 'indexing'),
                   count(*) FILTER (WHERE status = 'active')
            FROM image_library WHERE id = ANY (?::uuid[])
            """;

    /** The import route writes a dead letter for a file it cannot read: a failed replay keeps the replayed one instead. */
    private static final String TAKE_NEW_FILE_LETTER = """
            DELETE FROM dead_letter WHERE stage = 'ingest-file' AND source_file = ? AND id > ? AND state = 'open'
            RETURNING id, reason, raw
            """;

    private static final String IMPORTED_SINCE = """
            SELECT id, started_at::text FROM import_run
            WHERE file_name = ? AND outcome = 'done' AND started_at > ? ORDER BY id DESC LIMIT 1
            """;

    private static final String OPEN_IDS = """
            SELECT id FROM dead_letter
            WHERE state = 'open' AND (CAST(? AS text) IS NULL OR stage = ?) AND (CAST(? AS text) IS NULL OR source_file = ?)
            ORDER BY id
            """;

    private final DataSource dataSource;
    private final Path dataDir;
    private final String defaultTheme;
    private final Function<Path, ImportResult> importFile;
    private final java.util.function.Supplier<Map<String, Object>> sync;
    private final ObjectMapper json = new ObjectMapper();

    /**
     * @param dataDir      the data folder: a failed file waits in its error/, a file imported again goes to its done/
     * @param defaultTheme {@code ingest.default-theme}, as the import maps records
     * @param importFile   imports one file through the import-file route
     * @param sync         runs the sync route once and answers its report (a failed sync is replayed so), or null
     */
    public DeadLetterReplay(DataSource dataSource, Path dataDir, String defaultTheme, Function<Path, ImportResult> importFile,
                            java.util.function.Supplier<Map<String, Object>> sync) {
        this.dataSource = dataSource;
        this.dataDir = dataDir;
        this.defaultTheme = defaultTheme;
        this.importFile = importFile;
        this.sync = sync;
    }

    /** A dead letter as locked for its replay. */
    private record Letter(long id, OffsetDateTime createdAt, String stage, String state, String sourceFile, String subTheme,
                          Integer position, String recordId, String field, String reason, String raw, String resolvedAt) {
    }

    /** A dead letter id as given in a path ({@code /api/dead-letters/{id}/replay}) or an option; 400 naming {@code id} otherwise. */
    public static long id(String text) {
        try {
            long id = Long.parseLong(text == null ? "" : text.strip());
            if (id > 0) {
                return id;
            }
        } catch (NumberFormatException e) {
            // answered below
        }
        throw ApiError.badRequest("id", "a dead letter id is a whole number from 1 (as dead-letters lists them), found '" + text + "'");
    }

    /**
     * Replays one open dead letter; {@code corrected}: a corrected input record (only for stage ingest), or null.
     * 404 when there is no such letter, 409 when it is not open or cannot be replayed, 400 for a record where none fits.
     */
    public Map<String, Object> replay(long id, JsonNode corrected) {
        if (corrected != null && !corrected.isObject()) {
            throw ApiError.badRequest("record", "record must be a JSON object (the corrected input record), found " + batchimage.ingest.RecordMapper.kind(corrected));
        }
        return onOpenLetter(id, "replay", "replayed", (c, d) -> {
            if (corrected != null && !d.stage().equals("ingest")) {
                throw ApiError.badRequest("record", "a corrected record replays a rejected input record (stage ingest); dead letter "
                        + id + " is of stage " + d.stage());
            }
            Map<String, Object> answer = switch (d.stage()) {
                case "ingest" -> replayRecord(c, d, corrected);
                case "ingest-file" -> replayFile(c, d);
                case "enrich" -> requeue(c, d, REQUEUE_ENRICH, "the enrich route");
                case "sync" -> replaySync(c, d);
                default -> requeue(c, d, REQUEUE_INDEX, "the index route");
            };
            LOG.info("dead letter {} ({}): {}", id, d.stage(), answer.get("message"));
            return answer;
        });
    }

    /** Sets an open dead letter aside, with the user's note; nothing else changes. */
    public Map<String, Object> dismiss(long id, String note) {
        String n = note == null || note.isBlank() ? null : note.strip();
        return onOpenLetter(id, "dismiss", "dismissed", (c, d) -> {
            try (PreparedStatement ps = c.prepareStatement(DISMISS)) {
                ps.setString(1, n);
                ps.setLong(2, id);
                ps.executeUpdate();
            }
            LOG.info("dead letter {} ({}) dismissed{}", id, d.stage(), n == null ? "" : ": " + n);
            var out = answer(d, "dismissed", n == null ? "dismissed" : "dismissed: " + n);
            out.put("note", n);
            return out;
        });
    }

    @FunctionalInterface
    private interface OnLetter {
        Map<String, Object> apply(Connection c, Letter d) throws SQLException;
    }

    /** Runs {@code work} on an open dead letter, its row locked, in one transaction; 404 when there is none, 409 when it is not open. */
    private Map<String, Object> onOpenLetter(long id, String verb, String done, OnLetter work) {
        try (Connection c = dataSource.getConnection()) {
            c.setAutoCommit(false);
            try {
                Letter d = lock(c, id);
                if (!d.state().equals("open")) {
                    throw new ApiError(409, "dead letter " + id + " is " + d.state() + (d.resolvedAt() == null ? "" : " (since " + d.resolvedAt() + ")")
                            + ", not open: only an open dead letter is " + done, "id");
                }
                Map<String, Object> answer = work.apply(c, d);
                c.commit();
                return answer;
            } finally {
                if (!c.getAutoCommit()) {
                    c.rollback();
                    c.setAutoCommit(true);
                }
            }
        } catch (SQLException e) {
            throw new IllegalStateException("cannot " + verb + " dead letter " + id + ": " + e.getMessage(), e);
        }
    }

    /**
     * Replays every open dead letter of a stage and a file (null: any), oldest first. Answers how many were
     * replayed, how many are still open (the first with their reasons) and how many cannot be replayed.
     */
    public Map<String, Object> replayAll(String stage, String file) {
        String s = stage == null || stage.isBlank() ? null : stage.strip();
        String f = file == null || file.isBlank() ? null : file.strip();
        var ids = new ArrayList<Long>();
        try (Connection c = dataSource.getConnection(); PreparedStatement ps = c.prepareStatement(OPEN_IDS)) {
            ps.setString(1, s);
            ps.setString(2, s);
            ps.setString(3, f);
            ps.setString(4, f);
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    ids.add(rs.getLong(1));
                }
            }
        } catch (SQLException e) {
            throw new IllegalStateException("cannot list the open dead letters: " + e.getMessage(), e);
        }
        int replayed = 0;
        int stillOpen = 0;
        int notReplayable = 0;
        int gone = 0;
        var open = new ArrayList<Map<String, Object>>();
        var refused = new ArrayList<Map<String, Object>>();
        for (long id : ids) {
            Map<String, Object> a;
            try {
                a = replay(id, null);
            } catch (ApiError e) {
                if (e.status() != 409 || !"stage".equals(e.field())) {
                    // replayed, dismissed, resolved or removed (a file imported again) since it was listed
                    gone++;
                } else {
                    notReplayable++;
                    if (refused.size() < LISTED) {
                        var m = new LinkedHashMap<String, Object>();
                        m.put("id", id);
                        m.put("reason", e.getMessage());
                        refused.add(m);
                    }
                }
                continue;
            } catch (RuntimeException e) {
                // the database or the import route failed on this one: it stays open, the others go on
                LOG.warn("replaying dead letter {} failed: {}", id, e.getMessage());
                a = new LinkedHashMap<>(Map.of("id", id, "state", "open", "reason", "the replay failed: " + e.getMessage()));
            }
            if ("replayed".equals(a.get("state"))) {
                replayed++;
            } else {
                stillOpen++;
                if (open.size() < LISTED) {
                    var m = new LinkedHashMap<String, Object>();
                    for (String k : new String[] {"id", "stage", "source_file", "field", "reason"}) {
                        m.put(k, a.get(k));
                    }
                    open.add(m);
                }
            }
        }
        var out = new LinkedHashMap<String, Object>();
        out.put("stage", s);
        out.put("file", f);
        out.put("considered", ids.size());
        out.put("replayed", replayed);
        out.put("still_open", stillOpen);
        out.put("not_replayable", notReplayable);
        out.put("already_resolved", gone);
        out.put("first_still_open", open);
        out.put("first_not_replayable", refused);
        LOG.info("replayed the open dead letters{}{}: {} replayed, {} still open, {} cannot be replayed", s == null ? "" : " of stage " + s,
                f == null ? "" : " of " + f, replayed, stillOpen, notReplayable);
        return out;
    }

    private Letter lock(Connection c, long id) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement(LOCK)) {
            ps.setLong(1, id);
            try (ResultSet rs = ps.executeQuery()) {
                if (!rs.next()) {
                    throw new ApiError(404, "no dead letter " + id, "id");
                }
                int position = rs.getInt("position");
                Integer pos = rs.wasNull() ? null : position;
                return new Letter(id, rs.getObject("created_at", OffsetDateTime.class), rs.getString("stage"), rs.getString("state"),
                        rs.getString("source_file"), rs.getString("sub_theme"), pos, rs.getString("record_id"), rs.getString("field"),
                        rs.getString("reason"), rs.getString("raw"), rs.getString("resolved_at"));
            }
        }
    }

    // ---- ingest: one rejected input record

    private Map<String, Object> replayRecord(Connection c, Letter d, JsonNode corrected) throws SQLException {
        String correctedText = corrected == null ? null : corrected.toString();
        JsonNode record;
        if (corrected != null) {
            record = corrected;
        } else {
            try {
                record = d.raw() == null ? null : json.readTree(d.raw());
            } catch (JsonProcessingException e) {
                record = null;
            }
        }
        if (record == null || !record.isObject()) {
            String why = "the entry as read is " + (record == null ? "not JSON" : batchimage.ingest.RecordMapper.kind(record))
                    + ", not a record object: replay it with a corrected record ({\"record\": {...}}, or --record) or dismiss it";
            return stillOpen(c, d, why, null, correctedText, null, null);
        }
        var fields = new LinkedHashMap<String, Object>();
        record.fields().forEachRemaining(e -> {
            JsonNode v = e.getValue();
            // as the import reads a record: text as String, null as null, anything else as a tree
            fields.put(e.getKey(), v.isNull() ? null : v.isTextual() ? v.textValue() : v);
        });
        String file = d.sourceFile() == null ? "" : d.sourceFile();
        String subTheme = d.subTheme() == null ? "" : d.subTheme();
        int position = d.position() == null ? 0 : Math.max(0, d.position());
        var mapped = new RecordMapper(json, file, defaultTheme).map(subTheme, position, fields);
        if (mapped.rejection() != null) {
            var r = mapped.rejection();
            return stillOpen(c, d, r.reason(), r.field(), correctedText, null, r.recordId());
        }
        ImageRecord rec = mapped.record();
        LibraryWriter.Written w;
        try (LibraryWriter writer = LibraryWriter.forReplay(dataSource, d.sourceFile())) {
            w = writer.write(List.of(rec), List.of());
            writer.commit();
        } catch (IOException e) {
            throw new IllegalStateException("cannot write record " + rec.id() + ": " + e.getMessage(), e);
        }
        String written = w.inserted() > 0 ? "inserted" : w.updated() > 0 ? "updated" : "unchanged";
        String message = "record " + rec.id() + " " + written + " in image_library"
                + (written.equals("unchanged") ? " (it was already there as given)" : ", pending for the index route")
                + (corrected == null ? "" : ", from the corrected record");
        replayed(c, d, message, correctedText, rec.id().toString());
        var out = answer(d, "replayed", message);
        out.put("record_id", rec.id().toString());
        out.put("written", written);
        out.put("corrected", corrected != null);
        return out;
    }

    // ---- ingest-file: a file that could not be read, waiting in error/

    private Map<String, Object> replayFile(Connection c, Letter d) throws SQLException {
        String name = d.sourceFile();
        if (name == null || name.isBlank() || !Path.of(name).getFileName().toString().equals(name)) {
            return stillOpen(c, d, "dead letter " + d.id() + " names no file of error/ (" + name + "): dismiss it", null, null, null, null);
        }
        Path errorDir = dataDir.resolve("error");
        Path file = errorDir.resolve(name);
        if (!Files.isRegularFile(file)) {
            String since = importedSince(c, name, d.createdAt());
            if (since != null) {
                String message = name + " is no longer in error/: it was imported since (" + since + "), nothing to replay";
                replayed(c, d, message, null, null);
                return answer(d, "replayed", message);
            }
            return stillOpen(c, d, name + " is no longer in " + errorDir + ": put the fixed file back there and replay again, or dismiss this dead letter",
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
            var out = stillOpen(c, d, reason, null, null, report, null);
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
        replayed(c, d, message, null, null);
        var out = answer(d, "replayed", message);
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

    // ---- sync: a failed run is replayed by running the sync again

    private Map<String, Object> replaySync(Connection c, Letter d) throws SQLException {
        if (sync == null) {
            throw new ApiError(409, "dead letter " + d.id() + " is a failed sync: run bin/batch-image reindex, then dismiss it", "stage");
        }
        try {
            Map<String, Object> report = sync.get();
            String message = "sync #" + report.get("id") + " ran again: " + report.get("outcome");
            replayed(c, d, message, null, null);
            var out = answer(d, "replayed", message);
            out.put("sync", report);
            return out;
        } catch (RuntimeException e) {
            return stillOpen(c, d, e.getMessage() == null ? e.toString() : e.getMessage(), null, null, d.raw(), null);
        }
    }

    // ---- index, index-prompt, index-description, enrich, and any stage whose raw names records

    private Map<String, Object> requeue(Connection c, Letter d, String sql, String route) throws SQLException {
        List<String> ids = records(d.raw());
        if (ids.isEmpty()) {
            throw new ApiError(409, "dead letter " + d.id() + " (stage " + d.stage() + ") names no records: it cannot be replayed, dismiss it", "stage");
        }
        var array = c.createArrayOf("uuid", ids.toArray());
        int requeued;
        try (PreparedStatement ps = c.prepareStatement(sql)) {
            ps.setArray(1, array);
            requeued = ps.executeUpdate();
        }
        long indexed;
        long indexing;
        long active;
        try (PreparedStatement ps = c.prepareStatement(STANDING)) {
            ps.setArray(1, array);
            try (ResultSet rs = ps.executeQuery()) {
                rs.next();
                indexed = rs.getLong(1);
                indexing = rs.getLong(2);
                active = rs.getLong(3);
            }
        }
        boolean enrich = sql.equals(REQUEUE_ENRICH);
        var message = new StringBuilder().append(requeued).append(" of ").append(ids.size()).append(" records back to ").append(route);
        if (!enrich && indexed > 0) {
            message.append(", ").append(indexed).append(" already indexed");
        }
        if (!enrich && indexing > 0) {
            message.append(", ").append(indexing).append(" being indexed");
        }
        if (ids.size() - active > 0) {
            message.append(", ").append(ids.size() - active).append(" no longer in the library (or deleted)");
        }
        replayed(c, d, message.toString(), null, null);
        var out = answer(d, "replayed", message.toString());
        out.put("records", ids.size());
        out.put("requeued", requeued);
        if (!enrich) {
            out.put("already_indexed", indexed);
            out.put("being_indexed", indexing);
        }
        out.put("not_in_library", ids.size() - active);
        return out;
    }

    /** The record ids a dead letter's raw names: its "records" list, else the ids in its "body" text (an enrich batch). */
    List<String> records(String raw) {
        var ids = new LinkedHashSet<String>();
        if (raw == null) {
            return List.of();
        }
        JsonNode doc;
        try {
            doc = json.readTree(raw);
        } catch (JsonProcessingException e) {
            return List.of();
        }
        if (doc == null || !doc.isObject()) {
            return List.of();
        }
        if (doc.path("records").isArray()) {
            for (JsonNode r : doc.path("records")) {
                if (r.isTextual() && UUID_TEXT.matcher(r.textValue().strip()).matches()) {
                    ids.add(r.textValue().strip().toLowerCase(Locale.ROOT));
                }
            }
        } else if (doc.path("body").isTextual()) {
            var m = UUID_TEXT.matcher(doc.path("body").textValue());
            while (m.find()) {
                ids.add(m.group().toLowerCase(Locale.ROOT));
            }
        }
        return List.copyOf(ids);
    }

    // ---- the row and the answer

    private void replayed(Connection c, Letter d, String resolution, String corrected, String recordId) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement(REPLAYED)) {
            ps.setString(1, resolution);
            ps.setString(2, corrected);
            ps.setString(3, recordId);
            ps.setLong(4, d.id());
            ps.executeUpdate();
        }
    }

    private Map<String, Object> stillOpen(Connection c, Letter d, String reason, String field, String corrected, String raw, String recordId)
            throws SQLException {
        try (PreparedStatement ps = c.prepareStatement(STILL_OPEN)) {
            ps.setString(1, reason);
            ps.setString(2, field);
            ps.setString(3, corrected);
            ps.setString(4, raw);
            ps.setString(5, recordId);
            ps.setLong(6, d.id());
            ps.executeUpdate();
        }
        var out = answer(d, "open", "still open: " + (field == null ? "" : "field " + field + ": ") + reason);
        out.put("field", field);
        out.put("reason", reason);
        if (corrected != null) {
            out.put("corrected", true);
        }
        return out;
    }

    private static LinkedHashMap<String, Object> answer(Letter d, String state, String message) {
        var out = new LinkedHashMap<String, Object>();
        out.put("id", d.id());
        out.put("stage", d.stage());
        out.put("source_file", d.sourceFile());
        out.put("state", state);
        out.put("replayed", state.equals("replayed"));
        out.put("message", message);
        return out;
    }
}
