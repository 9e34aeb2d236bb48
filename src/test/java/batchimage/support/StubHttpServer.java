package batchimage.support;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A stand-in HTTP server for failure injection and for services that cannot run here: it records every
 * request (method, path, query, headers, body, arrival time) and answers with what the test's handler says.
 */
public final class StubHttpServer implements AutoCloseable {

    /** A request as the stub saw it. */
    public record Seen(String method, String path, String query, Map<String, List<String>> headers, String body, long atMillis) {
        public String header(String name) {
            for (var e : headers.entrySet()) {
                if (e.getKey().equalsIgnoreCase(name)) {
                    return e.getValue().get(0);
                }
            }
            return null;
        }
    }

    /** What to answer. */
    public record Reply(int status, Map<String, String> headers, String body, long delayMillis) {
        public static Reply json(int status, String body) {
            return new Reply(status, Map.of("Content-Type", "application/json"), body, 0);
        }

        /** Binary content (an image): carried base64-encoded in {@code body} and sent as the bytes themselves. */
        public static Reply bytes(int status, String contentType, byte[] content) {
            return new Reply(status, Map.of("Content-Type", contentType, BASE64_BODY, "true"),
                    java.util.Base64.getEncoder().encodeToString(content), 0);
        }

        public Reply withHeader(String name, String value) {
            var h = new java.util.HashMap<>(headers);
            h.put(name, value);
            return new Reply(status, h, body, delayMillis);
        }

        public Reply after(long millis) {
            return new Reply(status, headers, body, millis);
        }
    }

    /** A reply header (never sent) saying that the body is base64 of the bytes to send. */
    static final String BASE64_BODY = "X-Stub-Body-Base64";

    @FunctionalInterface
    public interface Handler {
        Reply handle(Seen request, int n);
    }

    private final HttpServer server;
    private final List<Seen> seen = new CopyOnWriteArrayList<>();
    private final AtomicInteger inFlight = new AtomicInteger();
    private final AtomicInteger maxInFlight = new AtomicInteger();
    private volatile Handler handler;

    public StubHttpServer(Handler handler) {
        this.handler = handler;
        try {
            server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 64);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        server.setExecutor(Executors.newCachedThreadPool());
        server.createContext("/", this::serve);
        server.start();
    }

    private void serve(HttpExchange ex) throws IOException {
        int now = inFlight.incrementAndGet();
        maxInFlight.accumulateAndGet(now, Math::max);
        try {
            String body = new String(ex.getRequestBody().readAllBytes(), StandardCharsets.UTF_8);
            var req = new Seen(ex.getRequestMethod(), ex.getRequestURI().getPath(), ex.getRequestURI().getRawQuery(),
                    Map.copyOf(ex.getRequestHeaders()), body, System.currentTimeMillis());
            seen.add(req);
            Reply reply = handler.handle(req, seen.size());
            if (reply.delayMillis() > 0) {
                try {
                    Thread.sleep(reply.delayMillis());
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
            boolean binary = reply.headers().containsKey(BASE64_BODY);
            byte[] out = binary ? java.util.Base64.getDecoder().decode(reply.body()) : reply.body().getBytes(StandardCharsets.UTF_8);
            reply.headers().forEach((k, v) -> {
                if (!k.equals(BASE64_BODY)) {
                    ex.getResponseHeaders().add(k, v);
                }
            });
            ex.sendResponseHeaders(reply.status(), out.length == 0 ? -1 : out.length);
            if (out.length > 0) {
                ex.getResponseBody().write(out);
            }
        } catch (IOException e) {
            // the client went away (a timeout test): nothing to answer
        } finally {
            inFlight.decrementAndGet();
            ex.close();
        }
    }

    public void handler(Handler h) {
        this.handler = h;
    }

    public String url(String path) {
        return "http://127.0.0.1:" + server.getAddress().getPort() + path;
    }

    public List<Seen> seen() {
        return seen;
    }

    public int maxInFlight() {
        return maxInFlight.get();
    }

    @Override
    public void close() {
        server.stop(0);
    }
}
