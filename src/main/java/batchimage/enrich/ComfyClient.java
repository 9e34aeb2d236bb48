package batchimage.enrich;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;

/** Asks ComfyUI ({@code comfyui.url}) for a task's history: {@code GET /history/{prompt_id}}. */
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

    public ComfyClient(String url, String taggerNode, int timeoutMs) {
        this.base = url.strip().replaceAll("/+$", "");
        this.taggerNode = taggerNode == null ? "" : taggerNode.strip();
        this.timeout = Duration.ofMillis(timeoutMs);
        this.http = HttpClient.newBuilder().connectTimeout(timeout).build();
    }

    public String url() {
        return base;
    }

    /** What ComfyUI says of the task {@code promptId} (a record's task_id). */
    public ComfyHistory history(String promptId) throws Unreachable, InterruptedException {
        var request = HttpRequest.newBuilder(URI.create(base + "/history/" + URLEncoder.encode(promptId, StandardCharsets.UTF_8)))
                .timeout(timeout).header("Accept", "application/json").GET().build();
        HttpResponse<byte[]> res;
        try {
            res = http.send(request, HttpResponse.BodyHandlers.ofByteArray());
        } catch (IOException e) {
            throw new Unreachable("ComfyUI at " + base + " cannot be reached: " + e);
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
