package batchimage.api;

import batchimage.http.ApiError;
import batchimage.http.HttpRequests;
import batchimage.http.JsonAnswer;
import batchimage.library.DeleteRequest;
import batchimage.library.Deleter;
import batchimage.library.LibraryStats;
import batchimage.sync.SyncCall;
import org.apache.camel.CamelContext;
import org.apache.camel.Exchange;

/**
 * Keeping the library in step (docs/API.md "Delete and stats", "Sync and reindex"): {@code POST /api/delete},
 * {@code POST /api/reindex} (a sync now) and {@code GET /api/stats}, called by the routes of routes/api.camel.yaml.
 */
public final class LibraryApi {

    private final Deleter deleter;
    private final LibraryStats stats;
    private final CamelContext camel;
    private final RecentStats recent;

    public LibraryApi(Deleter deleter, LibraryStats stats, CamelContext camel) {
        this.deleter = deleter;
        this.stats = stats;
        this.camel = camel;
        this.recent = new RecentStats(stats::stats);
    }

    /** {@code POST /api/delete} {@code {"filter", "dry_run"?, "purge"?}}. */
    public void delete(Exchange ex) {
        Answers.send(ex, () -> {
            DeleteRequest req = DeleteRequest.fromJson(HttpRequests.jsonBody(ex));
            return JsonAnswer.of(200, deleter.delete(req).asMap(req.filterJson()));
        });
    }

    /** {@code POST /api/reindex} {@code {"mode": "changed"|"full"}} or no body: the sync route, run now. */
    public void reindex(Exchange ex) {
        Answers.send(ex, () -> {
            byte[] body = HttpRequests.jsonBody(ex);
            var req = body == null || body.length == 0 ? null : ApiError.objectBody(body, "{\"mode\": \"changed\"} or {\"mode\": \"full\"}");
            String mode = SyncCall.mode(req == null || req.path("mode").isNull() ? null : req.path("mode").asText());
            return JsonAnswer.of(200, SyncCall.run(camel, "api", mode));
        });
    }

    /** {@code GET /api/stats?max_age=S}: figures at most S seconds old may be shared (the page's status view polls so). */
    public void stats(Exchange ex) {
        Answers.send(ex, () -> JsonAnswer.of(200, recent.get(maxAge(HttpRequests.first(HttpRequests.query(ex), "max_age")))));
    }

    static final int MAX_AGE = 60;

    static int maxAge(String value) {
        return HttpRequests.wholeNumber("max_age", value, 0, 0, MAX_AGE, " of seconds");
    }
}
