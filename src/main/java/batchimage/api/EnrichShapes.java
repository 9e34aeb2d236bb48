package batchimage.api;

import com.fasterxml.jackson.annotation.JsonProperty;
import io.swagger.v3.oas.annotations.media.Schema;
import java.util.List;

/** The JSON of the enrichment API, described for /api-doc. */
public final class EnrichShapes {

    private EnrichShapes() {
    }

    @Schema(name = "EnrichRequest")
    public record EnrichBody(@Schema(description = "try again the records given up", defaultValue = "false") Boolean retry) {
    }

    @Schema(name = "EnrichState", description = "Where the library stands", requiredProperties = {"library"})
    public record EnrichState(EnrichLibrary library) {
    }

    @Schema(name = "EnrichPass", description = "What the pass did and where the library stands", requiredProperties = {"run", "library"})
    public record EnrichPass(
            EnrichRun run,
            EnrichLibrary library,
            @Schema(description = "records given up that were given another chance (retry only)") Integer retried) {
    }

    @Schema(name = "EnrichRun", requiredProperties = {"examined", "tags_filled", "paths_filled", "complete", "waiting", "given_up", "seconds"})
    public record EnrichRun(long examined, @JsonProperty("tags_filled") long tagsFilled, @JsonProperty("paths_filled") long pathsFilled,
            @Schema(description = "records with nothing missing now") long complete,
            @Schema(description = "records to be tried again later") long waiting,
            @JsonProperty("given_up") long givenUp, double seconds) {
    }

    @Schema(name = "EnrichLibrary", requiredProperties = {"records", "missing_tags", "missing_paths", "enriched", "given_up", "waiting", "not_examined",
        "given_up_reasons", "comfyui", "media_dirs"})
    public record EnrichLibrary(
            @Schema(description = "active records") long records,
            @JsonProperty("missing_tags") long missingTags,
            @JsonProperty("missing_paths") long missingPaths,
            long enriched,
            @JsonProperty("given_up") long givenUp,
            long waiting,
            @JsonProperty("not_examined") long notExamined,
            @Schema(description = "the main reasons, most records first") @JsonProperty("given_up_reasons") List<Reason> givenUpReasons,
            @Schema(description = "ComfyUI's URL, empty when not asked") String comfyui,
            @JsonProperty("media_dirs") List<String> mediaDirs) {
    }

    @Schema(name = "GivenUpReason", requiredProperties = {"reason", "records"})
    public record Reason(String reason, long records) {
    }
}
