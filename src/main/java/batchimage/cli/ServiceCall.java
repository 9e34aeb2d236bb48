package batchimage.cli;

import batchimage.config.Settings;
import batchimage.http.ApiError;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;

/**
 * A command's request to the running service's API ({@code --url}, else BATCH_IMAGE_HOST/PORT), with the
 * key of BATCH_IMAGE_API_KEY. {@link java.net.ConnectException} (or a connect timeout) when none answers
 * there; {@link ApiError} with the service's status, message and field when it refuses.
 */
final class ServiceCall {

    private final ObjectMapper json = new ObjectMapper();
    private final String base;
    private final String apiKey;

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
        return send(path, body, Duration.ofMinutes(10));
    }

    /** As {@link #send(String, JsonNode)}, waiting at most {@code timeout} for the answer. */
    JsonNode send(String path, JsonNode body, Duration timeout) throws IOException, InterruptedException {
        var http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
        var req = HttpRequest.newBuilder(URI.create(base + path)).timeout(timeout);
        if (body == null) {
            req.GET();
        } else {
            req.header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofByteArray(json.writeValueAsBytes(body)));
        }
        if (apiKey != null && !apiKey.isBlank()) {
            req.header("Authorization", "Bearer " + apiKey.strip());
        }
        HttpResponse<String> res = http.send(req.build(), HttpResponse.BodyHandlers.ofString());
        JsonNode answer;
        try {
            answer = json.readTree(res.body());
        } catch (IOException e) {
            throw new ApiError(res.statusCode(), "not batch-image's JSON: " + abbreviate(res.body()), null);
        }
        if (res.statusCode() != 200) {
            String message = answer.path("error").asText(abbreviate(res.body()));
            if (res.statusCode() == 401) {
                message += " (set BATCH_IMAGE_API_KEY to the service's key)";
            }
            throw new ApiError(res.statusCode(), message, answer.path("field").asText(null));
        }
        return answer;
    }

    private static String abbreviate(String s) {
        String t = s == null ? "" : s.strip();
        return t.length() > 200 ? t.substring(0, 200) + "..." : t;
    }
}
