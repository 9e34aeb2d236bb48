package batchimage.api;

import batchimage.deadletter.DeadLetterList;
import batchimage.deadletter.DeadLetterReplay;
import batchimage.http.ApiError;
import batchimage.http.HttpRequests;
import batchimage.http.JsonAnswer;
import com.fasterxml.jackson.databind.JsonNode;
import java.nio.charset.StandardCharsets;
import java.util.Set;
import org.apache.camel.Exchange;

/**
 * The dead letters (docs/API.md "Dead letters"): {@code GET /api/dead-letters} lists them,
 * {@code POST /api/dead-letters/{id}/replay} and {@code /dismiss} act on one, {@code POST /api/dead-letters/replay}
 * replays every open one; called by the routes of routes/api.camel.yaml.
 */
public final class DeadLettersApi {

    private final DeadLetterList list;
    private final DeadLetterReplay replay;

    public DeadLettersApi(DeadLetterList list, DeadLetterReplay replay) {
        this.list = list;
        this.replay = replay;
    }

    /** {@code GET /api/dead-letters?stage=&file=&limit=}. */
    public void list(Exchange ex) {
        Answers.send(ex, () -> {
            var q = HttpRequests.query(ex);
            int limit = DeadLetterList.limit(HttpRequests.first(q, "limit"));
            return JsonAnswer.of(200, list.list(HttpRequests.first(q, "stage"), HttpRequests.first(q, "file"), limit));
        });
    }

    /** {@code POST /api/dead-letters/{id}/replay} with an optional {@code {"record": {...}}}, the corrected record. */
    public void replay(Exchange ex) {
        Answers.send(ex, () -> {
            long letter = DeadLetterReplay.id(ex.getMessage().getHeader("id", String.class));
            JsonNode body = body(HttpRequests.jsonBody(ex), Set.of("record"), "{\"record\": {\"task_id\": \"...\", \"prompt\": \"...\"}}");
            JsonNode record = body == null || body.path("record").isNull() || body.path("record").isMissingNode() ? null : body.get("record");
            return JsonAnswer.of(200, replay.replay(letter, record));
        });
    }

    /** {@code POST /api/dead-letters/{id}/dismiss} with an optional {@code {"note": "..."}}. */
    public void dismiss(Exchange ex) {
        Answers.send(ex, () -> {
            long letter = DeadLetterReplay.id(ex.getMessage().getHeader("id", String.class));
            JsonNode body = body(HttpRequests.jsonBody(ex), Set.of("note"), "{\"note\": \"fixed by hand\"}");
            return JsonAnswer.of(200, replay.dismiss(letter, text(body, "note")));
        });
    }

    /** {@code POST /api/dead-letters/replay} with an optional {@code {"stage", "file"}}. */
    public void replayAll(Exchange ex) {
        Answers.send(ex, () -> {
            JsonNode body = body(HttpRequests.jsonBody(ex), Set.of("stage", "file"), "{\"stage\": \"index\"}");
            return JsonAnswer.of(200, replay.replayAll(text(body, "stage"), text(body, "file")));
        });
    }

    /** An optional JSON object body with only the given keys; null when there is none. */
    static JsonNode body(byte[] bytes, Set<String> keys, String example) {
        if (bytes == null || new String(bytes, StandardCharsets.UTF_8).isBlank()) {
            return null;
        }
        JsonNode req = ApiError.objectBody(bytes, example);
        var it = req.fieldNames();
        while (it.hasNext()) {
            String k = it.next();
            if (!keys.contains(k)) {
                throw ApiError.badRequest(k, "unknown key " + k + ": this request takes " + String.join(", ", keys.stream().sorted().toList()));
            }
        }
        return req;
    }

    /** A text value of the body, or null when absent; 400 naming the key when it is not text. */
    static String text(JsonNode body, String key) {
        JsonNode v = body == null ? null : body.get(key);
        if (v == null || v.isNull()) {
            return null;
        }
        if (!v.isTextual()) {
            throw ApiError.badRequest(key, key + " must be text, found " + v);
        }
        return v.textValue();
    }
}
