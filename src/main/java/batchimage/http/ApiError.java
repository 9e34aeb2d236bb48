package batchimage.http;

import batchimage.http.JsonAnswer;

/** A request the API refuses: its status, what is wrong and, when one part is at fault, which ({@code top_k}, {@code filter.theme.$eq}). */
public final class ApiError extends RuntimeException {

    private final int status;
    private final String field;

    public ApiError(int status, String message, String field) {
        super(message);
        this.status = status;
        this.field = field;
    }

    /** A request body that must be a JSON object; otherwise a 400 showing {@code example}. */
    public static com.fasterxml.jackson.databind.JsonNode objectBody(byte[] body, String example) {
        com.fasterxml.jackson.databind.JsonNode req;
        try {
            req = body == null || body.length == 0 ? null : BODY_JSON.readTree(body);
        } catch (java.io.IOException e) {
            throw badRequest(null, "the body is not JSON: " + e.getMessage().lines().findFirst().orElse(""));
        }
        if (req == null || !req.isObject()) {
            throw badRequest(null, "the body must be a JSON object such as " + example);
        }
        return req;
    }

    private static final com.fasterxml.jackson.databind.ObjectMapper BODY_JSON = batchimage.http.RequestJson.mapper();

    public static ApiError badRequest(String field, String message) {
        return new ApiError(400, message, field);
    }

    public int status() {
        return status;
    }

    /** The offending part of the request, or null. */
    public String field() {
        return field;
    }

    public JsonAnswer answer() {
        return JsonAnswer.error(status, getMessage(), field);
    }
}
