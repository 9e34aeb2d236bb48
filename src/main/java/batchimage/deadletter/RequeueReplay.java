package batchimage.deadletter;

import batchimage.http.ApiError;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * Replays a dead letter whose raw names records ({@code index}, {@code index-prompt}, ..., {@code enrich}): those
 * not yet indexed go back to the index route, or the records go back to the enrich route.
 */
final class RequeueReplay {

    private static final Pattern UUID_TEXT = Pattern.compile("[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}");

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

    private final ObjectMapper json;

    RequeueReplay(ObjectMapper json) {
        this.json = json;
    }

    /** The records back to the index route at once. */
    Map<String, Object> toIndex(Connection c, LockedLetter d) throws SQLException {
        return requeue(c, d, REQUEUE_INDEX, "the index route");
    }

    /** The records back to the enrich route. */
    Map<String, Object> toEnrich(Connection c, LockedLetter d) throws SQLException {
        return requeue(c, d, REQUEUE_ENRICH, "the enrich route");
    }

    private Map<String, Object> requeue(Connection c, LockedLetter d, String sql, String route) throws SQLException {
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
        d.replayed(c, message.toString(), null, null);
        var out = d.answer("replayed", message.toString());
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
}
