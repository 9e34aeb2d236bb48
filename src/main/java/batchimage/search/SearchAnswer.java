package batchimage.search;

import batchimage.library.Library;

import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.annotation.JsonPropertyOrder;
import com.fasterxml.jackson.databind.JsonNode;
import java.util.List;

/** The answer of {@code /api/search} (docs/API.md); {@code mode} is {@code vector}, or {@code list} for a filter without a query. */
@JsonPropertyOrder({"query", "namespace", "top_k", "filter", "mode", "matches", "took_ms", "indexing"})
public record SearchAnswer(
        String query,
        String namespace,
        @JsonProperty("top_k") int topK,
        JsonNode filter,
        String mode,
        List<SearchHit> matches,
        @JsonProperty("took_ms") long tookMs,
        Library.Indexing indexing) {
}
