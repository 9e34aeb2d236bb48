package batchimage.support;

import batchimage.app.BatchImage;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;

/**
 * A service's HTTP API as the tests call it: each answer is its status and body, read as JSON when it says it
 * is JSON, else its text as a text node.
 */
public final class Api {

    public record Answer(int status, JsonNode body) {
    }

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final HttpClient HTTP = HttpClient.newHttpClient();

    private final String base;

    /** {@code base}: what the paths are appended to, such as http://127.0.0.1:8080 or .../pinecone. */
    public Api(String base) {
        this.base = base;
    }

    /** The API of a started service. */
    public static Api of(BatchImage app) {
        return new Api("http://127.0.0.1:" + app.settings().get("batch-image.port"));
    }

    public String base() {
        return base;
    }

    public Answer get(String pathAndQuery) throws IOException, InterruptedException {
        return send(HttpRequest.newBuilder(URI.create(base + pathAndQuery)).GET());
    }

    /** {@code body}: sent as it is when a String, written as JSON otherwise; null: no body. */
    public Answer post(String path, Object body) throws IOException, InterruptedException {
        return send(HttpRequest.newBuilder(URI.create(base + path)).header("Content-Type", "application/json")
                .POST(body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(text(body))));
    }

    public Answer send(HttpRequest.Builder request) throws IOException, InterruptedException {
        HttpResponse<String> res = HTTP.send(request.build(), HttpResponse.BodyHandlers.ofString());
        boolean isJson = res.headers().firstValue("Content-Type").orElse("").startsWith("application/json");
        return new Answer(res.statusCode(), isJson ? JSON.readTree(res.body()) : JSON.getNodeFactory().textNode(res.body()));
    }

    private static String text(Object body) throws JsonProcessingException {
        return body instanceof String s ? s : JSON.writeValueAsString(body);
    }
}
