package batchimage.api;

import com.fasterxml.jackson.annotation.JsonProperty;
import io.swagger.v3.oas.annotations.media.Schema;
import java.util.List;

/** The JSON of the imports' API, described for /api-doc (checked against real answers by ApiContractTest). */
public final class ImportShapes {

    private ImportShapes() {
    }

    @Schema(name = "Imports", description = "The imports under way and the last runs", requiredProperties = {"running", "total", "imports"})
    public record Imports(
            @Schema(description = "the imports under way, oldest first") List<LibraryShapes.ImportInProgress> running,
            @Schema(description = "import runs in all") long total,
            @Schema(description = "the last runs, newest first (at most limit)") List<Run> imports) {
    }

    @Schema(name = "ImportRunRow", description = "One file's import (import_run)", requiredProperties = {"id", "file_name", "file_bytes", "outcome",
        "started_at", "finished_at", "seconds", "read", "inserted", "updated", "unchanged", "rejected", "superseded", "error"})
    public record Run(
            long id,
            @JsonProperty("file_name") String fileName,
            @Schema(nullable = true) @JsonProperty("file_bytes") Long fileBytes,
            @Schema(allowableValues = {"running", "done", "error", "interrupted"}) String outcome,
            @JsonProperty("started_at") String startedAt,
            @Schema(nullable = true) @JsonProperty("finished_at") String finishedAt,
            @Schema(nullable = true) Double seconds,
            @Schema(description = "records read") long read,
            long inserted,
            long updated,
            long unchanged,
            long rejected,
            @Schema(description = "records of the file replaced by a later one of the same id") long superseded,
            @Schema(nullable = true, description = "why it failed") String error) {
    }

    @Schema(name = "Received", description = "A batch file put into the inbox", requiredProperties = {"file", "bytes", "inbox", "message"})
    public record Received(
            @Schema(description = "its name in the inbox") String file,
            @Schema(description = "its size") long bytes,
            @Schema(description = "where it is, under the data folder") String inbox,
            @Schema(description = "one line: what happens next") String message) {
    }
}
