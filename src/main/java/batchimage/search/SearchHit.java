package batchimage.search;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.annotation.JsonPropertyOrder;
import io.swagger.v3.oas.annotations.media.Schema;
import java.util.List;
import java.util.Map;

/**
 * One hit of a search (docs/API.md): {@code score} is the cosine for one namespace, the fused score for
 * {@code both}, null when listing; {@code namespace} is where it came from, or {@code both} when both
 * matched; {@code scores} each namespace's cosine.
 */
@JsonPropertyOrder({"id", "score", "namespace", "namespaces", "scores", "metadata", "image_url", "thumbnail_url"})
@Schema(name = "SearchHit", requiredProperties = {"id", "score", "namespace", "namespaces", "scores", "image_url", "thumbnail_url"})
public record SearchHit(
        @Schema(format = "uuid") String id,
        @Schema(nullable = true, description = "cosine for one namespace, fused reciprocal-rank score for both, null when listing") Double score,
        @Schema(nullable = true, description = "where the hit came from (prompt, description); both when both namespaces matched; null when listing")
        String namespace,
        @Schema(description = "the namespaces that matched") List<String> namespaces,
        @Schema(description = "each namespace's cosine") Map<String, Double> scores,
        @Schema(description = "the record's metadata (name, file_path, description, theme, sub_theme, original_prompt, tags); absent with include_metadata false", additionalProperties = Schema.AdditionalPropertiesValue.TRUE)
        @JsonInclude(JsonInclude.Include.NON_NULL) Map<String, Object> metadata,
        @JsonProperty("image_url") String imageUrl,
        @JsonProperty("thumbnail_url") String thumbnailUrl) {

    public static SearchHit of(String id, Double score, String namespace, List<String> namespaces, Map<String, Double> scores,
                               Map<String, Object> metadata) {
        return new SearchHit(id, score, namespace, namespaces, scores, metadata, imageUrl(id), imageUrl(id) + "/thumbnail");
    }

    public static String imageUrl(String id) {
        return "/api/images/" + id;
    }

    public SearchHit withoutMetadata() {
        return new SearchHit(id, score, namespace, namespaces, scores, null, imageUrl, thumbnailUrl);
    }
}
