package batchimage.http.server;

import io.vertx.core.MultiMap;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.ext.web.RoutingContext;
import java.util.Set;

/**
 * The one check in front of every route of the HTTP server (platform-http routes, /observe/*, and whatever is
 * added later): with {@code BATCH_IMAGE_API_KEY} set, a request without the key is refused 401 in its API's
 * shape before its body is read. Open are only {@code /observe/health} and the page ({@code GET /} and
 * {@code /static/*}), which asks for the key itself. Every request then loses the headers that carried the key,
 * so that no route, log or echoed header ever sees it.
 */
final class HttpGuard implements io.vertx.core.Handler<RoutingContext> {

    /** Camel's health endpoints (camel.management.health-path and its /live and /ready). */
    static final Set<String> HEALTH = Set.of("/observe/health", "/observe/health/live", "/observe/health/ready");

    private final ApiAccess access;
    private final RequestDeadlines deadlines;

    HttpGuard(ApiAccess access, RequestDeadlines deadlines) {
        this.access = access;
        this.deadlines = deadlines;
    }

    @Override
    public void handle(RoutingContext ctx) {
        HttpServerRequest request = ctx.request();
        String path = ctx.normalizedPath();
        Surface surface = Surface.of(path);
        deadlines.arrived(ctx, surface);
        boolean pinecone = surface == Surface.PINECONE || surface == Surface.PINECONE_CONTROL;
        ApiAccess.Given given = access.open() ? ApiAccess.Given.NONE : access.check(request::getHeader, pinecone);
        forgetKey(request.headers());
        if (access.open() || given == ApiAccess.Given.RIGHT || isOpen(path, request.method())) {
            ctx.next();
            return;
        }
        Refusals.send(ctx, surface, 401, refusal(surface, given));
    }

    /** What needs no key: health, and the page that asks for it. */
    static boolean isOpen(String path, HttpMethod method) {
        String p = path.length() > 1 && path.endsWith("/") ? path.substring(0, path.length() - 1) : path;
        if (HEALTH.contains(p)) {
            return true;
        }
        boolean read = method == HttpMethod.GET || method == HttpMethod.HEAD;
        return read && (p.equals("/") || p.startsWith("/static/"));
    }

    private static void forgetKey(MultiMap headers) {
        // only the server sets it, for the upload it received (Uploads)
        headers.remove(Uploads.TOKEN);
        for (String h : ApiAccess.KEY_HEADERS) {
            headers.remove(h);
        }
        String auth = headers.get("Authorization");
        if (auth != null && auth.regionMatches(true, 0, "Bearer ", 0, 7)) {
            headers.remove("Authorization");
        }
        String cookies = headers.get("Cookie");
        if (cookies != null && cookies.contains(ApiAccess.COOKIE + "=")) {
            String rest = ApiAccess.withoutKeyCookie(cookies);
            if (rest == null) {
                headers.remove("Cookie");
            } else {
                headers.set("Cookie", rest);
            }
        }
    }

    /** Why, in the words of the API's own clients; never what was sent. */
    static String refusal(Surface surface, ApiAccess.Given given) {
        String what = given == ApiAccess.Given.WRONG ? "the key sent is not this service's" : "no key was sent";
        return switch (surface) {
            case PINECONE, PINECONE_CONTROL -> "Unauthorized: " + what + ". This batch-image index wants the key of its BATCH_IMAGE_API_KEY"
                    + " as 'Api-Key: <key>' (a Pinecone client's api key, PINECONE_API_KEY) or 'Authorization: Bearer <key>'";
            case OPENAI -> "Incorrect API key provided: " + what + ". This batch-image service wants the key of its BATCH_IMAGE_API_KEY"
                    + " as 'Authorization: Bearer <key>' (an OpenAI client's api key, OPENAI_API_KEY)";
            case API -> "this API wants the key of BATCH_IMAGE_API_KEY (" + what + "): send 'Authorization: Bearer <key>' or 'X-API-Key: <key>'";
        };
    }
}
