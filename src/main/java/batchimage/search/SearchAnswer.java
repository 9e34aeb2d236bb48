package batchimage.search;

import batchimage.library.Library;

import com.fasterxml.jackson.annotation.JsonProperty;
import io.swagger.v3.oas.annotations.media.Schema;
import com.fasterxml.jackson.annotation.JsonPropertyOrder;
import com.fasterxml.jackson.databind.JsonNode;
import java.util.List;

/**
 * The answer of {@code /api/search} (docs/API.md); {@code mode} is {@code hybrid} (words and vectors fused),
 * {@code vector} (vectors alone), {@code lexical} (words alone), or {@code list} for a filter without a query.
 */
@JsonPropertyOrder({"query", "namespace", "top_k", "filter", "mode", "matches", "took_ms", "indexing", "like"})
@Schema(name = "SearchAnswer", description = "The hits, best first",
        requiredProperties = {"query", "namespace", "top_k", "filter", "mode", "matches", "took_ms", "indexing"})
public record SearchAnswer(
        @Schema(description = "the query as searched (empty when listing)") String query,
        @Schema(allowableValues = {"prompt", "description", "both"}) String namespace,
        @JsonProperty("top_k") int topK,
        @Schema(type = "object", nullable = true, description = "the filter as given, or null", additionalProperties = Schema.AdditionalPropertiesValue.TRUE) JsonNode filter,
        @Schema(description = "hybrid: the words and the namespace's vectors fused; vector: by meaning alone; lexical: by the words alone; list: a filter without a query",
                allowableValues = {"hybrid", "vector", "lexical", "list"}) String mode,
        List<SearchHit> matches,
        @Schema(description = "how long the search took") @JsonProperty("took_ms") long tookMs,
        @Schema(description = "records still waiting to be indexed, and records that could not be") Library.Indexing indexing,
        @Schema(format = "uuid", description = "the record whose nearest records these are (like=); absent otherwise")
        @com.fasterxml.jackson.annotation.JsonInclude(com.fasterxml.jackson.annotation.JsonInclude.Include.NON_NULL) String like) {
}
