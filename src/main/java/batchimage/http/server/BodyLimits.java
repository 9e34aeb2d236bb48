package batchimage.http.server;

import io.vertx.core.Handler;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.handler.BodyHandler;
import java.util.EnumMap;
import java.util.Map;

/**
 * Reads request bodies for the routes, each API up to its own largest size: a body announced larger
 * ({@code Content-Length}) is refused before a byte of it is read, one that grows larger while it streams in is
 * refused when it passes the size; either way 413 in the API's shape, and nothing larger is ever held in memory.
 * The one exception is the body of an upload ({@code POST /api/imports}): {@link Uploads} streams it to disk.
 */
final class BodyLimits implements Handler<RoutingContext> {

    private final Map<Surface, Long> limits;
    private final Map<Surface, BodyHandler> readers = new EnumMap<>(Surface.class);
    private final Uploads uploads;
    private final io.vertx.core.Vertx vertx;

    BodyLimits(Map<Surface, Long> limits) {
        this(limits, null, null);
    }

    /** {@code uploads}: where upload bodies go (null: none taken), written through {@code vertx}'s file system. */
    BodyLimits(Map<Surface, Long> limits, Uploads uploads, io.vertx.core.Vertx vertx) {
        this.uploads = uploads;
        this.vertx = vertx;
        this.limits = Map.copyOf(limits);
        for (Surface s : Surface.values()) {
            readers.put(s, BodyHandler.create(false).setBodyLimit(limit(s)));
        }
    }

    long limit(Surface surface) {
        return limits.getOrDefault(surface, limits.get(Surface.API));
    }

    /** The largest body of any API. */
    long largest() {
        return limits.values().stream().mapToLong(Long::longValue).max().orElse(0);
    }

    @Override
    public void handle(RoutingContext ctx) {
        // as Camel's own body handler does: a handler before may have paused the request
        if (uploads != null && Uploads.isUpload(ctx)) {
            uploads.handle(ctx, vertx);
            return;
        }
        ctx.request().resume();
        readers.get(Surface.of(ctx.normalizedPath())).handle(ctx);
    }

    /** The answer to a body over the size (Vert.x fails the request with 413). */
    void tooLarge(RoutingContext ctx) {
        Surface surface = Surface.of(ctx.normalizedPath());
        String length = ctx.request().getHeader("Content-Length");
        Refusals.send(ctx, surface, 413, "Request size " + (length == null ? "" : length + " bytes ") + "exceeds the maximum of "
                + limit(surface) + " bytes (" + surface.maxBodySetting + ")");
    }
}
