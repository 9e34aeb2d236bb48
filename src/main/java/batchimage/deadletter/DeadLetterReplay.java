package batchimage.deadletter;

import batchimage.ingest.ImportResult;
import batchimage.ingest.RecordMapper;
import batchimage.http.ApiError;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.Function;
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
    /** How many of the letters left open replay-all lists with their reasons. */
    static final int LISTED = 20;
    private static final String DISMISS = """
            UPDATE dead_letter SET state = 'dismissed', resolved_at = now(), resolution = ? WHERE id = ? AND state = 'open'
            """;
    private static final String OPEN_IDS = """
            SELECT id FROM dead_letter
            WHERE state = 'open' AND (CAST(? AS text) IS NULL OR stage = ?) AND (CAST(? AS text) IS NULL OR source_file = ?)
            ORDER BY id
            """;

    private final DataSource dataSource;
    private final RecordReplay records;
    private final FileReplay files;
    private final SyncReplay syncs;
    private final RequeueReplay requeues;

    /**
     * @param dataDir      the data folder: a failed file waits in its error/, a file imported again goes to its done/
     * @param defaultTheme {@code ingest.default-theme}, as the import maps records
     * @param importFile   imports one file through the import-file route
     * @param sync         runs the sync route once and answers its report (a failed sync is replayed so), or null
     */
    public DeadLetterReplay(DataSource dataSource, Path dataDir, String defaultTheme, Function<Path, ImportResult> importFile,
                            java.util.function.Supplier<Map<String, Object>> sync) {
        var json = new ObjectMapper();
        this.dataSource = dataSource;
        this.records = new RecordReplay(dataSource, defaultTheme, json);
        this.files = new FileReplay(dataDir, importFile);
        this.syncs = new SyncReplay(sync);
        this.requeues = new RequeueReplay(json);
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
            throw ApiError.badRequest("record", "record must be a JSON object (the corrected input record), found " + RecordMapper.kind(corrected));
        }
        return onOpenLetter(id, "replay", "replayed", (c, d) -> {
            if (corrected != null && !d.stage().equals("ingest")) {
                throw ApiError.badRequest("record", "a corrected record replays a rejected input record (stage ingest); dead letter "
                        + id + " is of stage " + d.stage());
            }
            Map<String, Object> answer = switch (d.stage()) {
                case "ingest" -> records.replay(c, d, corrected);
                case "ingest-file" -> files.replay(c, d);
                case "enrich" -> requeues.toEnrich(c, d);
                case "sync" -> syncs.replay(c, d);
                default -> requeues.toIndex(c, d);
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
            var out = d.answer("dismissed", n == null ? "dismissed" : "dismissed: " + n);
            out.put("note", n);
            return out;
        });
    }

    @FunctionalInterface
    private interface OnLetter {
        Map<String, Object> apply(Connection c, LockedLetter d) throws SQLException;
    }

    /** Runs {@code work} on an open dead letter, its row locked, in one transaction; 404 when there is none, 409 when it is not open. */
    private Map<String, Object> onOpenLetter(long id, String verb, String done, OnLetter work) {
        try (Connection c = dataSource.getConnection()) {
            c.setAutoCommit(false);
            try {
                LockedLetter d = LockedLetter.lock(c, id);
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
}
