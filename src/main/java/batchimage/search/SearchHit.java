package batchimage.search;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.annotation.JsonPropertyOrder;
import io.swagger.v3.oas.annotations.media.Schema;
import java.util.List;
import java.util.Map;

/**
 * One hit of a search (docs/API.md): {@code score} is the cosine for one namespace, the lexical score for the
 * lexical list, the fused score when lists are fused, null when listing; {@code namespace} is the list it came
 * from, {@code both} when both dense namespaces found it, {@code hybrid} when the lexical list and a dense one
 * did; {@code scores} and {@code ranks} each list's score and rank of it.
 */
@JsonPropertyOrder({"id", "score", "namespace", "namespaces", "scores", "ranks", "metadata", "image_url", "thumbnail_url"})
@Schema(name = "SearchHit", requiredProperties = {"id", "score", "namespace", "namespaces", "scores", "ranks", "image_url", "thumbnail_url"})
public record SearchHit(
        @Schema(format = "uuid") String id,
        @Schema(nullable = true, description = "cosine for one namespace, the lexical score for lexical, the fused reciprocal-rank score when lists are fused, null when listing") Double score,
        @Schema(nullable = true, description = "the list the hit came from (prompt, description, lexical); both when both dense namespaces found it, hybrid when the lexical list and a dense one did; null when listing")
        String namespace,
        @Schema(description = "the lists that found it (prompt, description, lexical)") List<String> namespaces,
        @Schema(description = "each list's score: a namespace's cosine, the lexical list's BM25 score") Map<String, Double> scores,
        @Schema(description = "each list's rank of the hit, from 1") Map<String, Integer> ranks,
        @Schema(description = "the record's metadata (name, file_path, description, theme, sub_theme, original_prompt, tags); absent with include_metadata false", additionalProperties = Schema.AdditionalPropertiesValue.TRUE)
        @JsonInclude(JsonInclude.Include.NON_NULL) Map<String, Object> metadata,
        @JsonProperty("image_url") String imageUrl,
        @JsonProperty("thumbnail_url") String thumbnailUrl) {

    public static SearchHit of(String id, Double score, String namespace, List<String> namespaces, Map<String, Double> scores,
                               Map<String, Integer> ranks, Map<String, Object> metadata) {
        return new SearchHit(id, score, namespace, namespaces, scores, ranks, metadata, imageUrl(id), imageUrl(id) + "/thumbnail");
    }

    public static String imageUrl(String id) {
        return "/api/images/" + id;
    }

    public SearchHit withoutMetadata() {
        return new SearchHit(id, score, namespace, namespaces, scores, ranks, null, imageUrl, thumbnailUrl);
    }
}
