package batchimage.api;

import batchimage.deadletter.DeadLetterList;
import batchimage.deadletter.DeadLetterReplay;

import batchimage.http.ApiError;
import batchimage.api.SearchRoutes;
import batchimage.http.HttpRequests;
import batchimage.http.JsonAnswer;
import com.fasterxml.jackson.databind.JsonNode;
import java.util.Set;
import org.apache.camel.builder.RouteBuilder;

/**
 * The dead letters over HTTP (docs/API.md "Dead letters"): {@code GET /api/dead-letters} lists them,
 * {@code POST /api/dead-letters/{id}/replay} and {@code /dismiss} act on one, {@code POST /api/dead-letters/replay}
 * replays every open one. The API key is checked in front of every route (web/HttpGuard); errors come in the API's shape.
 */
public final class DeadLetterRoutes extends RouteBuilder {

    @Override
    public void configure() {
        from("platform-http:/api/dead-letters?httpMethodRestrict=GET").routeId("api-dead-letters")
                .process(ex -> SearchRoutes.answer(ex, () -> {
                    var q = HttpRequests.query(ex);
                    int limit = DeadLetterList.limit(HttpRequests.first(q, "limit"));
                    return JsonAnswer.of(200, bean("deadLetterList", DeadLetterList.class)
                            .list(HttpRequests.first(q, "stage"), HttpRequests.first(q, "file"), limit));
                }));

        from("platform-http:/api/dead-letters/{id}/replay?httpMethodRestrict=POST&populateBodyWithForm=false").routeId("api-dead-letter-replay")
                .process(ex -> SearchRoutes.answer(ex, () -> {
                    String id = ex.getMessage().getHeader("id", String.class);
                    long letter = DeadLetterReplay.id(id);
                    JsonNode body = body(HttpRequests.jsonBody(ex), Set.of("record"), "{\"record\": {\"task_id\": \"...\", \"prompt\": \"...\"}}");
                    JsonNode record = body == null || body.path("record").isNull() || body.path("record").isMissingNode() ? null : body.get("record");
                    return JsonAnswer.of(200, replay().replay(letter, record));
                }));

        from("platform-http:/api/dead-letters/{id}/dismiss?httpMethodRestrict=POST&populateBodyWithForm=false").routeId("api-dead-letter-dismiss")
                .process(ex -> SearchRoutes.answer(ex, () -> {
                    String id = ex.getMessage().getHeader("id", String.class);
                    long letter = DeadLetterReplay.id(id);
                    JsonNode body = body(HttpRequests.jsonBody(ex), Set.of("note"), "{\"note\": \"fixed by hand\"}");
                    return JsonAnswer.of(200, replay().dismiss(letter, text(body, "note")));
                }));

        from("platform-http:/api/dead-letters/replay?httpMethodRestrict=POST&populateBodyWithForm=false").routeId("api-dead-letters-replay")
                .process(ex -> SearchRoutes.answer(ex, () -> {
                    JsonNode body = body(HttpRequests.jsonBody(ex), Set.of("stage", "file"), "{\"stage\": \"index\"}");
                    return JsonAnswer.of(200, replay().replayAll(text(body, "stage"), text(body, "file")));
                }));
    }

    /** An optional JSON object body with only the given keys; null when there is none. */
    static JsonNode body(byte[] bytes, Set<String> keys, String example) {
        if (bytes == null || new String(bytes, java.nio.charset.StandardCharsets.UTF_8).isBlank()) {
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

    private DeadLetterReplay replay() {
        return bean("deadLetterReplay", DeadLetterReplay.class);
    }

    private <T> T bean(String name, Class<T> type) {
        T b = getContext().getRegistry().lookupByNameAndType(name, type);
        if (b == null) {
            throw new IllegalStateException("no " + name + " bean in the registry");
        }
        return b;
    }
}
