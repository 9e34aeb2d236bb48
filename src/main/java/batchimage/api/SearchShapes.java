package batchimage.api;

import com.fasterxml.jackson.annotation.JsonProperty;
import io.swagger.v3.oas.annotations.media.Schema;
import java.util.List;
import java.util.Map;

/**
 * The JSON the search API takes and gives besides the search answer itself (search/SearchAnswer), described for
 * /api-doc: the contract test (ApiContractTest) checks real answers against what these records say.
 */
public final class SearchShapes {

    private SearchShapes() {
    }

    static final String FILTER = "Pinecone's metadata filter language ($eq $ne $gt $gte $lt $lte $in $nin $exists, $and $or) over name,"
            + " file_path, description, theme, sub_theme, original_prompt, tags, e.g. {\"$and\": [{\"sub_theme\": {\"$eq\": \"ANIMAL\"}},"
            + " {\"tags\": {\"$in\": [\"cat\", \"dog\"]}}]}";

    @Schema(name = "SearchRequest", description = "A search: by meaning (query), by metadata (filter), or both")
    public record SearchBody(
            @Schema(description = "the text to search by meaning; empty or missing with a filter: list the matching records") String query,
            @Schema(description = "which vectors: the prompts', the descriptions', or both fused by reciprocal rank",
                    allowableValues = {"prompt", "description", "both"}, defaultValue = "both") String namespace,
            @Schema(description = FILTER, additionalProperties = Schema.AdditionalPropertiesValue.TRUE) Map<String, Object> filter,
            @Schema(description = "how many hits", minimum = "1", maximum = "1000", defaultValue = "10") @JsonProperty("top_k") Integer topK,
            @Schema(description = "whether each hit carries the record's metadata", defaultValue = "true")
            @JsonProperty("include_metadata") Boolean includeMetadata) {
    }

    @Schema(name = "Record", description = "One record whole, with its index state and dead letters",
            requiredProperties = {"id", "name", "file_path", "prompt", "description", "theme", "sub_theme", "status", "source_file", "extra",
                "created_at", "updated_at", "index", "dead_letters", "image_url", "thumbnail_url"})
    public record Record(
            @Schema(format = "uuid") String id,
            @Schema(nullable = true) String name,
            @Schema(nullable = true, description = "the image file, resolved inside the media folders") @JsonProperty("file_path") String filePath,
            @Schema(nullable = true, description = "the prompt the image was generated from") String prompt,
            @Schema(nullable = true, description = "the tags, comma-separated") String description,
            @Schema(nullable = true) String theme,
            @Schema(nullable = true) @JsonProperty("sub_theme") String subTheme,
            @Schema(allowableValues = {"active", "deleted"}) String status,
            @Schema(nullable = true, description = "the batch file it came from") @JsonProperty("source_file") String sourceFile,
            @Schema(nullable = true, description = "the input record's other keys", additionalProperties = Schema.AdditionalPropertiesValue.TRUE) Map<String, Object> extra,
            @Schema(nullable = true, format = "date-time") @JsonProperty("created_at") String createdAt,
            @Schema(nullable = true, format = "date-time") @JsonProperty("updated_at") String updatedAt,
            IndexState index,
            @Schema(description = "its dead letters, newest first") @JsonProperty("dead_letters") List<RecordDeadLetter> deadLetters,
            @JsonProperty("image_url") String imageUrl,
            @JsonProperty("thumbnail_url") String thumbnailUrl) {
    }

    @Schema(name = "IndexState", description = "Where the record stands with the index",
            requiredProperties = {"state", "error", "attempts", "indexed_at", "namespaces"})
    public record IndexState(
            @Schema(allowableValues = {"pending", "indexing", "indexed", "failed"}) String state,
            @Schema(nullable = true, description = "why the last attempt failed") String error,
            int attempts,
            @Schema(nullable = true, format = "date-time") @JsonProperty("indexed_at") String indexedAt,
            @Schema(description = "per namespace (prompt, description), whether the record has its vector there")
            Map<String, NamespaceState> namespaces) {
    }

    @Schema(name = "NamespaceState", requiredProperties = {"indexed"})
    public record NamespaceState(boolean indexed) {
    }

    @Schema(name = "RecordDeadLetter", requiredProperties = {"id", "stage", "reason", "created_at"})
    public record RecordDeadLetter(long id, String stage, String reason, @JsonProperty("created_at") String createdAt) {
    }

    @Schema(name = "Facets", description = "Active records by theme, sub-theme and tag", requiredProperties = {"records", "themes", "sub_themes", "tags"})
    public record Facets(
            @Schema(description = "active records") long records,
            @Schema(description = "by theme, most records first") List<Facet> themes,
            @Schema(description = "by sub-theme, most records first") @JsonProperty("sub_themes") List<SubThemeFacet> subThemes,
            @Schema(description = "the most common tags, most records first") List<Facet> tags) {
    }

    @Schema(name = "Facet", requiredProperties = {"value", "count"})
    public record Facet(@Schema(nullable = true) String value, long count) {
    }

    @Schema(name = "SubThemeFacet", requiredProperties = {"value", "theme", "count"})
    public record SubThemeFacet(@Schema(nullable = true) String value, @Schema(nullable = true) String theme, long count) {
    }
}
