package batchimage.http.server;

import io.vertx.core.Vertx;
import io.vertx.core.http.HttpConnection;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.ext.web.RoutingContext;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * How long a client may take to send a request, so that slow or stalled clients cannot hold connections for
 * ever: a connection that brings no request head within {@code idleMs} of opening (or of its last answer) is
 * closed, and a request whose body has not all arrived {@code readMs} after its head is answered 408 and its
 * connection closed. While a request is being answered nothing is timed: answers such as a reindex or an
 * enrich pass may take many minutes, which is why Vert.x's own idle timeout (no traffic either way) is not used.
 */
final class RequestDeadlines {

    private static final Logger LOG = LoggerFactory.getLogger(RequestDeadlines.class);

    private final Vertx vertx;
    private final long idleMs;
    private final long readMs;
    private final Map<HttpConnection, Watch> watches = new ConcurrentHashMap<>();

    RequestDeadlines(Vertx vertx, long idleMs, long readMs) {
        this.vertx = vertx;
        this.idleMs = idleMs;
        this.readMs = readMs;
    }

    /** A new connection (on its event loop): it has {@code idleMs} to bring a request. */
    void opened(HttpConnection connection) {
        var watch = new Watch(connection);
        watches.put(connection, watch);
        connection.closeHandler(v -> {
            watch.closed = true;
            watch.cancel();
            watches.remove(connection);
        });
        watch.waitForRequest();
    }

    /** A request head arrived (on its connection's event loop): its body has {@code readMs} to follow; then it is answered untimed. */
    void arrived(RoutingContext ctx, Surface surface) {
        HttpServerRequest request = ctx.request();
        Watch watch = watches.get(request.connection());
        if (watch == null) {
            return;
        }
        watch.inFlight++;
        watch.cancel();
        // an upload's body may take long: it is timed while it comes, chunk by chunk (Uploads)
        if (!request.isEnded() && readMs > 0 && !Uploads.isUpload(ctx)) {
            long timer = vertx.setTimer(readMs, t -> {
                if (!request.isEnded()) {
                    LOG.info("{} {}: the request's body did not arrive within {} ms; the connection is closed", request.method(), ctx.normalizedPath(), readMs);
                    Refusals.send(ctx, surface, 408, "the request's body did not arrive within " + readMs + " ms (http.read-timeout-ms)");
                    request.connection().close();
                }
            });
            ctx.addEndHandler(r -> vertx.cancelTimer(timer));
        }
        ctx.addEndHandler(r -> watch.answered());
    }

    /** One connection's timer and how many of its requests are being answered. */
    private final class Watch {
        private final HttpConnection connection;
        private long timer = -1;
        private int inFlight;
        private boolean closed;

        Watch(HttpConnection connection) {
            this.connection = connection;
        }

        void waitForRequest() {
            if (idleMs > 0 && !closed) {
                timer = vertx.setTimer(idleMs, t -> {
                    if (inFlight == 0) {
                        connection.close();
                    }
                });
            }
        }

        void answered() {
            inFlight = Math.max(0, inFlight - 1);
            if (inFlight == 0) {
                cancel();
                waitForRequest();
            }
        }

        void cancel() {
            if (timer >= 0) {
                vertx.cancelTimer(timer);
                timer = -1;
            }
        }
    }
}
