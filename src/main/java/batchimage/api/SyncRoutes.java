package batchimage.api;

import batchimage.library.DeleteRequest;
import batchimage.library.Deleter;
import batchimage.library.LibraryStats;
import batchimage.sync.SyncCall;

import batchimage.api.SearchRoutes;
import batchimage.http.HttpRequests;
import batchimage.http.JsonAnswer;
import org.apache.camel.builder.RouteBuilder;

/**
 * Keeping the library in step, over HTTP (docs/API.md "Delete and stats", "Sync and reindex"): {@code POST /api/delete},
 * {@code POST /api/reindex} (a sync now) and {@code GET /api/stats} (the dead letters are deadletter/DeadLetterRoutes').
 * The API key is checked in front of every route (web/HttpGuard); errors come in the API's shape.
 */
public final class SyncRoutes extends RouteBuilder {

    @Override
    public void configure() {
        from("platform-http:/api/delete?httpMethodRestrict=POST&populateBodyWithForm=false").routeId("api-delete")
                .process(ex -> SearchRoutes.answer(ex, () -> {
                    DeleteRequest req = DeleteRequest.fromJson(HttpRequests.jsonBody(ex));
                    return JsonAnswer.of(200, deleter().delete(req).asMap(req.filterJson()));
                }));

        from("platform-http:/api/reindex?httpMethodRestrict=POST&populateBodyWithForm=false").routeId("api-reindex")
                .process(ex -> SearchRoutes.answer(ex, () -> {
                    byte[] body = HttpRequests.jsonBody(ex);
                    var req = body == null || body.length == 0 ? null
                            : batchimage.http.ApiError.objectBody(body, "{\"mode\": \"changed\"} or {\"mode\": \"full\"}");
                    String mode = SyncCall.mode(req == null || req.path("mode").isNull() ? null : req.path("mode").asText());
                    return JsonAnswer.of(200, SyncCall.run(getContext(), "api", mode));
                }));

        from("platform-http:/api/stats?httpMethodRestrict=GET").routeId("api-stats")
                .process(ex -> SearchRoutes.answer(ex, () -> JsonAnswer.of(200, stats().stats())));
    }

    private Deleter deleter() {
        return bean("deleter", Deleter.class);
    }

    private LibraryStats stats() {
        return bean("libraryStats", LibraryStats.class);
    }

    private <T> T bean(String name, Class<T> type) {
        T b = getContext().getRegistry().lookupByNameAndType(name, type);
        if (b == null) {
            throw new IllegalStateException("no " + name + " bean in the registry");
        }
        return b;
    }
}
