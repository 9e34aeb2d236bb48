package batchimage.http.server;

import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.ext.web.RoutingContext;

/** Answers a request from the HTTP server itself, before any route has it: an error in its API's shape. */
final class Refusals {

    private Refusals() {
    }

    /**
     * Sends {@code status} with {@code message} in the shape of {@code surface}. A body not read yet is read and
     * dropped (the client is still sending it, and would not see the answer if the connection closed under it),
     * and the connection is closed after the answer.
     */
    static void send(RoutingContext ctx, Surface surface, int status, String message) {
        HttpServerResponse response = ctx.response();
        if (response.headWritten()) {
            return;
        }
        if (status == 401) {
            response.putHeader("WWW-Authenticate", surface == Surface.PINECONE || surface == Surface.PINECONE_CONTROL
                    ? "ApiKey realm=\"batch-image\"" : "Bearer realm=\"batch-image\"");
        }
        send(ctx, status, surface.error(status, message));
    }

    /** As above, with the error body given (the API's shape with a field, say). */
    static void send(RoutingContext ctx, int status, byte[] body) {
        HttpServerResponse response = ctx.response();
        if (response.headWritten()) {
            return;
        }
        response.setStatusCode(status);
        response.putHeader("Content-Type", "application/json");
        response.putHeader("Cache-Control", "no-store");
        HttpServerRequest request = ctx.request();
        if (!request.isEnded()) {
            response.putHeader("Connection", "close");
            request.handler(chunk -> { });
            request.resume();
        }
        response.end(Buffer.buffer(body));
    }
}
