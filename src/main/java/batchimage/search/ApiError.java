package batchimage.search;

import batchimage.web.JsonAnswer;

/** A request the API refuses: its status, what is wrong and, when one part is at fault, which ({@code top_k}, {@code filter.theme.$eq}). */
public final class ApiError extends RuntimeException {

    private final int status;
    private final String field;

    public ApiError(int status, String message, String field) {
        super(message);
        this.status = status;
        this.field = field;
    }

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
