package batchimage.search;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.annotation.JsonPropertyOrder;
import java.util.List;
import java.util.Map;

/**
 * One hit of a search (docs/API.md): {@code score} is the cosine for one namespace, the fused score for
 * {@code both}, null when listing; {@code namespace} is where it came from, or {@code both} when both
 * matched; {@code scores} each namespace's cosine.
 */
@JsonPropertyOrder({"id", "score", "namespace", "namespaces", "scores", "metadata", "image_url", "thumbnail_url"})
public record SearchHit(
        String id,
        Double score,
        String namespace,
        List<String> namespaces,
        Map<String, Double> scores,
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
