package batchimage.enrich;

import batchimage.http.RetryingHttp;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;

/**
 * Asks ComfyUI ({@code comfyui.url}) for a task's history: {@code GET /history/{prompt_id}}. It does not retry a
 * request: the enrich route tries the task again later. Each request is told to the listener (client {@code comfyui},
 * operation history or view) as the other clients' attempts are.
 */
public final class ComfyClient {

    /** ComfyUI cannot be asked now (down, timing out, answering 5xx or garbage): the task is tried again later. */
    public static final class Unreachable extends Exception {
        public Unreachable(String message) {
            super(message);
        }
    }

    private static final ObjectMapper JSON = new ObjectMapper();

    private final String base;
    private final String taggerNode;
    private final Duration timeout;
    private final HttpClient http;
    private final RetryingHttp.Listener listener;

    public ComfyClient(String url, String taggerNode, int timeoutMs) {
        this(url, taggerNode, timeoutMs, RetryingHttp.Listener.NONE);
    }

    public ComfyClient(String url, String taggerNode, int timeoutMs, RetryingHttp.Listener listener) {
        this.listener = listener;
        this.base = url.strip().replaceAll("/+$", "");
        this.taggerNode = taggerNode == null ? "" : taggerNode.strip();
        this.timeout = Duration.ofMillis(timeoutMs);
        this.http = HttpClient.newBuilder().connectTimeout(timeout).build();
    }

    public String url() {
        return base;
    }

    /**
     * Fetches an output image through {@code GET /view?filename=&subfolder=&type=} into {@code target} (written
     * beside it first, then moved into place, so that a half-written image is never served).
     */
    public void view(ComfyHistory.Image image, Path target) throws Unreachable, InterruptedException {
        String query = "filename=" + URLEncoder.encode(image.filename(), StandardCharsets.UTF_8)
                + "&subfolder=" + URLEncoder.encode(image.subfolder(), StandardCharsets.UTF_8)
                + "&type=" + URLEncoder.encode(image.type(), StandardCharsets.UTF_8);
        var request = HttpRequest.newBuilder(URI.create(base + "/view?" + query)).timeout(timeout).GET().build();
        Path partial = target.resolveSibling("." + target.getFileName() + ".part");
        try {
            Files.createDirectories(target.getParent());
            HttpResponse<Path> res = send("view", request, HttpResponse.BodyHandlers.ofFile(partial));
            if (res.statusCode() != 200) {
                throw new Unreachable("ComfyUI at " + base + " answered " + res.statusCode() + " to GET /view?" + query);
            }
            Files.move(partial, target, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException e) {
            throw new Unreachable("cannot fetch " + image.filename() + " from ComfyUI at " + base + " into " + target + ": " + describe(e));
        } finally {
            try {
                Files.deleteIfExists(partial);
            } catch (IOException e) {
                // a leftover .part file is overwritten by the next fetch
            }
        }
    }

    /** One request, told to the listener with its status, or timeout / connection when no answer came. */
    private <T> HttpResponse<T> send(String operation, HttpRequest request, HttpResponse.BodyHandler<T> body) throws IOException, InterruptedException {
        long start = System.nanoTime();
        try {
            HttpResponse<T> res = http.send(request, body);
            listener.answered("comfyui", operation, String.valueOf(res.statusCode()), System.nanoTime() - start);
            return res;
        } catch (IOException e) {
            listener.answered("comfyui", operation, RetryingHttp.noAnswer(e), System.nanoTime() - start);
            throw e;
        }
    }

    /** An I/O failure in words: a refused connection has no message of its own. */
    private static String describe(IOException e) {
        String m = e.getMessage();
        String kind = e instanceof java.net.ConnectException ? "connection refused"
                : e instanceof java.net.http.HttpTimeoutException ? "timed out" : e.getClass().getSimpleName();
        return m == null || m.isBlank() ? kind : kind + " (" + m + ")";
    }

    /** What ComfyUI says of the task {@code promptId} (a record's task_id). */
    public ComfyHistory history(String promptId) throws Unreachable, InterruptedException {
        var request = HttpRequest.newBuilder(URI.create(base + "/history/" + URLEncoder.encode(promptId, StandardCharsets.UTF_8)))
                .timeout(timeout).header("Accept", "application/json").GET().build();
        HttpResponse<byte[]> res;
        try {
            res = send("history", request, HttpResponse.BodyHandlers.ofByteArray());
        } catch (IOException e) {
            throw new Unreachable("ComfyUI at " + base + " cannot be reached: " + describe(e));
        }
        if (res.statusCode() != 200) {
            throw new Unreachable("ComfyUI at " + base + " answered " + res.statusCode() + " to GET /history/" + promptId);
        }
        JsonNode answer;
        try {
            answer = JSON.readTree(res.body());
        } catch (IOException e) {
            throw new Unreachable("ComfyUI at " + base + " answered GET /history/" + promptId + " with something that is not JSON");
        }
        if (answer == null || !answer.isObject()) {
            throw new Unreachable("ComfyUI at " + base + " answered GET /history/" + promptId + " with JSON that is not an object");
        }
        return ComfyHistory.parse(answer, promptId, taggerNode);
    }
}
