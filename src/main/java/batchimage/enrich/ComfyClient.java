package batchimage.enrich;

import batchimage.http.RetryingHttp;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.InterruptedIOException;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;

/**
 * Asks ComfyUI ({@code comfyui.url}) for a task's history: {@code GET /history/{prompt_id}}, through {@link RetryingHttp}
 * with no retries: the enrich route tries the task again later. Each request is told to the listener (client
 * {@code comfyui}, operation history or view) as the other clients' attempts are.
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
    private final RetryingHttp http;

    public ComfyClient(String url, String taggerNode, int timeoutMs) {
        this(url, taggerNode, timeoutMs, RetryingHttp.Listener.NONE);
    }

    public ComfyClient(String url, String taggerNode, int timeoutMs, RetryingHttp.Listener listener) {
        this.base = url.strip().replaceAll("/+$", "");
        this.taggerNode = taggerNode == null ? "" : taggerNode.strip();
        Duration timeout = Duration.ofMillis(timeoutMs);
        // none retried (the route tries the task again later); the timeout for the connection too, as for the answer
        this.http = new RetryingHttp("comfyui", "comfyui-request", new RetryingHttp.Policy(1, 0, timeout, RetryingHttp.Backoff.NONE, false, timeout),
                listener);
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
        Path partial = target.resolveSibling("." + target.getFileName() + ".part");
        try {
            Files.createDirectories(target.getParent());
            RetryingHttp.Answer res = http.download("ComfyUI GET /view", "view", RetryingHttp.Request.get(base + "/view?" + query), partial, a -> a);
            if (res.failure() != null) {
                throw new Unreachable("cannot fetch " + image.filename() + " from ComfyUI at " + base + " into " + target + ": "
                        + describe(interrupted(res.failure())));
            }
            if (res.status() != 200) {
                throw new Unreachable("ComfyUI at " + base + " answered " + res.status() + " to GET /view?" + query);
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

    /** The failure, unless it is this thread being interrupted: then InterruptedException, as a blocking call throws it. */
    private static Exception interrupted(Exception failure) throws InterruptedException {
        if (Thread.interrupted()) {
            throw new InterruptedException("interrupted while asking ComfyUI: " + failure);
        }
        return failure;
    }

    /** A failure in words: a refused connection has no message of its own. */
    private static String describe(Exception e) {
        String m = e.getMessage();
        String kind = e instanceof java.net.ConnectException ? "connection refused"
                : e instanceof InterruptedIOException ? "timed out" : e.getClass().getSimpleName();
        return m == null || m.isBlank() ? kind : kind + " (" + m + ")";
    }

    /** What ComfyUI says of the task {@code promptId} (a record's task_id). */
    public ComfyHistory history(String promptId) throws Unreachable, InterruptedException {
        var request = RetryingHttp.Request.get(base + "/history/" + URLEncoder.encode(promptId, StandardCharsets.UTF_8))
                .header("Accept", "application/json");
        RetryingHttp.Answer res = http.send("ComfyUI GET /history/" + promptId, "history", request, a -> a);
        if (res.failure() != null) {
            throw new Unreachable("ComfyUI at " + base + " cannot be reached: " + describe(interrupted(res.failure())));
        }
        if (res.status() != 200) {
            throw new Unreachable("ComfyUI at " + base + " answered " + res.status() + " to GET /history/" + promptId);
        }
        JsonNode answer;
        try {
            answer = JSON.readTree(res.body() == null ? new byte[0] : res.body());
        } catch (IOException e) {
            throw new Unreachable("ComfyUI at " + base + " answered GET /history/" + promptId + " with something that is not JSON");
        }
        if (answer == null || !answer.isObject()) {
            throw new Unreachable("ComfyUI at " + base + " answered GET /history/" + promptId + " with JSON that is not an object");
        }
        return ComfyHistory.parse(answer, promptId, taggerNode);
    }
}
