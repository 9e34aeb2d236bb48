package batchimage.api;

import io.swagger.v3.oas.annotations.media.Schema;

/** The JSON of every error of /api (http/JsonAnswer): documentation of the answer, for /api-doc. */
@Schema(name = "Error", description = "An error of the API", requiredProperties = {"error", "status"})
public record ErrorShape(
        @Schema(description = "what is wrong, naming the part") String error,
        @Schema(description = "the HTTP status") int status,
        @Schema(description = "the offending part of the request, e.g. top_k or filter.theme.$eq; absent when no one part is at fault") String field) {
}
