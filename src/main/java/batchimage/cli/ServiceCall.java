package batchimage.cli;

import batchimage.config.Settings;
import batchimage.http.ApiError;
import batchimage.http.RetryingHttp;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.net.ConnectException;
import java.time.Duration;

/**
 * A command's request to the running service's API ({@code --url}, else BATCH_IMAGE_HOST/PORT), with the
 * key of BATCH_IMAGE_API_KEY, through {@link RetryingHttp} (no Camel context; no retries). {@link ConnectException}
 * when none answers there (refused, or no connection within 2 s); {@link ApiError} with the service's status,
 * message and field when it refuses.
 */
final class ServiceCall implements AutoCloseable {

    /** How long a connection may take to open before the service counts as not there. */
    static final Duration CONNECT_TIMEOUT = Duration.ofSeconds(2);
    /** How long an answer may take unless the command says otherwise. */
    static final Duration ANSWER_TIMEOUT = Duration.ofMinutes(10);

    private final ObjectMapper json = new ObjectMapper();
    private final String base;
    private final String apiKey;
    private final RetryingHttp http = new RetryingHttp("service", "service-call",
            new RetryingHttp.Policy(1, 0, ANSWER_TIMEOUT, RetryingHttp.Backoff.NONE, false, CONNECT_TIMEOUT), RetryingHttp.Listener.NONE);

    ServiceCall(String url, Settings settings) {
        this.base = (url == null || url.isBlank() ? defaultUrl(settings) : url.strip()).replaceAll("/+$", "");
        this.apiKey = settings.get("batch-image.api-key");
    }

    /** The service of the settings: BATCH_IMAGE_HOST (a wildcard address asked on 127.0.0.1) and BATCH_IMAGE_PORT. */
    static String defaultUrl(Settings settings) {
        String host = settings.get("batch-image.host");
        if (host.isBlank() || host.equals("0.0.0.0") || host.equals("::")) {
            host = "127.0.0.1";
        }
        return "http://" + host + ":" + settings.get("batch-image.port");
    }

    String base() {
        return base;
    }

    /** GET path, or POST path with the body when it is not null; the answer's JSON. */
    JsonNode send(String path, JsonNode body) throws IOException, InterruptedException {
        return send(path, body, ANSWER_TIMEOUT);
    }

    /** As {@link #send(String, JsonNode)}, waiting at most {@code timeout} for the answer. */
    JsonNode send(String path, JsonNode body, Duration timeout) throws IOException, InterruptedException {
        var req = RetryingHttp.Request.json(body == null ? "GET" : "POST", base + path, body == null ? null : json.writeValueAsBytes(body))
                .timeout(timeout);
        if (apiKey != null && !apiKey.isBlank()) {
            req = req.header("Authorization", "Bearer " + apiKey.strip());
        }
        RetryingHttp.Answer res = http.send("batch-image " + path, "call", req, a -> a);
        if (res.failure() != null) {
            if (Thread.interrupted()) {
                throw new InterruptedException("interrupted while asking the service at " + base);
            }
            throw failure(res.failure());
        }
        JsonNode answer;
        try {
            answer = json.readTree(res.text());
        } catch (IOException e) {
            throw new ApiError(res.status(), "not batch-image's JSON: " + abbreviate(res.text()), null);
        }
        if (res.status() != 200) {
            String message = answer.path("error").asText(abbreviate(res.text()));
            if (res.status() == 401) {
                message += " (set BATCH_IMAGE_API_KEY to the service's key)";
            }
            throw new ApiError(res.status(), message, answer.path("field").asText(null));
        }
        return answer;
    }

    /** What kept an answer from coming, as the commands tell it: ConnectException when no connection opened. */
    private static IOException failure(Exception e) {
        if (e instanceof org.apache.hc.client5.http.ConnectTimeoutException) {
            var c = new ConnectException("no connection within " + CONNECT_TIMEOUT.toSeconds() + " s: " + e.getMessage());
            c.initCause(e);
            return c;
        }
        return e instanceof IOException io ? io : new IOException(e.getMessage(), e);
    }

    @Override
    public void close() {
        http.close();
    }

    private static String abbreviate(String s) {
        String t = s == null ? "" : s.strip();
        return t.length() > 200 ? t.substring(0, 200) + "..." : t;
    }
}
