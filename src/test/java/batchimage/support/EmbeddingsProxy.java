package batchimage.support;

import batchimage.support.StubHttpServer.Reply;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A counting proxy in front of a real embeddings endpoint: each caller gets a URL of its own
 * ({@code /<caller>/v1/embeddings}); every request is forwarded as it is, and the proxy counts requests and
 * inputs per caller. A {@link Gate} may hold a request, or answer it instead (failure injection).
 */
public final class EmbeddingsProxy implements AutoCloseable {

    /** What to do with a request before it is forwarded: null to forward it, or the reply to give instead. */
    @FunctionalInterface
    public interface Gate {
        Reply before(String caller, int n) throws InterruptedException;
    }

    private static final ObjectMapper JSON = new ObjectMapper();

    private final String target;
    private final HttpClient http = HttpClient.newHttpClient();
    private final Map<String, AtomicLong> requests = new ConcurrentHashMap<>();
    private final Map<String, AtomicLong> inputs = new ConcurrentHashMap<>();
    private final AtomicLong injected = new AtomicLong();
    private final StubHttpServer server;
    private volatile Gate gate = (caller, n) -> null;

    /** {@code target}: the full URL of the real endpoint, e.g. http://127.0.0.1:8080/v1/embeddings. */
    public EmbeddingsProxy(String target) {
        this.target = target;
        this.server = new StubHttpServer((r, n) -> forward(r, n));
    }

    public void gate(Gate g) {
        this.gate = g;
    }

    /** The embeddings URL a caller is to use. */
    public String url(String caller) {
        return server.url("/" + caller + "/v1/embeddings");
    }

    private Reply forward(StubHttpServer.Seen r, int n) {
        String caller = r.path().split("/")[1];
        try {
            Reply instead = gate.before(caller, n);
            if (instead != null) {
                injected.incrementAndGet();
                return instead;
            }
            var req = HttpRequest.newBuilder(URI.create(target)).header("Content-Type", "application/json")
                    .POST(HttpRequest.BodyPublishers.ofString(r.body())).build();
            HttpResponse<String> res = http.send(req, HttpResponse.BodyHandlers.ofString());
            if (res.statusCode() == 200) {
                requests.computeIfAbsent(caller, k -> new AtomicLong()).incrementAndGet();
                inputs.computeIfAbsent(caller, k -> new AtomicLong()).addAndGet(JSON.readTree(r.body()).get("input").size());
            }
            return Reply.json(res.statusCode(), res.body());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return Reply.json(503, "{\"error\":{\"message\":\"the proxy was interrupted\"}}");
        }
    }

    /** Requests of a caller that were forwarded and answered 200. */
    public long requests(String caller) {
        AtomicLong v = requests.get(caller);
        return v == null ? 0 : v.get();
    }

    /** Texts of a caller that were embedded (inputs of its answered requests). */
    public long inputs(String caller) {
        AtomicLong v = inputs.get(caller);
        return v == null ? 0 : v.get();
    }

    /** Texts embedded for every caller together. */
    public long inputs() {
        return inputs.values().stream().mapToLong(AtomicLong::get).sum();
    }

    /** Requests the gate answered instead of the endpoint. */
    public long injected() {
        return injected.get();
    }

    @Override
    public void close() {
        server.close();
    }
}
