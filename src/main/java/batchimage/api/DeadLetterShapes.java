package batchimage.api;

import com.fasterxml.jackson.annotation.JsonProperty;
import io.swagger.v3.oas.annotations.media.ArraySchema;
import io.swagger.v3.oas.annotations.media.Schema;
import java.util.List;
import java.util.Map;

/**
 * The JSON of the dead letters' API, described for /api-doc: the contract test (ApiContractTest) checks real
 * answers of the list against what these records say.
 */
public final class DeadLetterShapes {

    private DeadLetterShapes() {
    }

    @Schema(name = "DeadLetters", description = "The dead letters and how many match in all", requiredProperties = {"stage", "file", "total", "dead_letters"})
    public record DeadLetters(
            @Schema(nullable = true, description = "the stage asked for, or null") String stage,
            @Schema(nullable = true, description = "the file asked for, or null") String file,
            @Schema(description = "dead letters matching stage and file") long total,
            @Schema(description = "at most limit of them, newest first") @JsonProperty("dead_letters") List<DeadLetter> deadLetters) {
    }

    @Schema(name = "DeadLetter", requiredProperties = {"id", "created_at", "stage", "state", "source_file", "sub_theme", "position", "record_id", "field",
        "reason", "raw", "resolved_at", "resolution", "replay_count", "corrected_raw"})
    public record DeadLetter(
            long id,
            @JsonProperty("created_at") String createdAt,
            @Schema(description = "ingest, ingest-file, index, index-prompt, index-description, enrich, sync, ...") String stage,
            @Schema(allowableValues = {"open", "replayed", "dismissed", "resolved"},
                    description = "resolved: closed by itself, the failure did not recur (its records indexed since, or a later sync finished)")
            String state,
            @Schema(nullable = true) @JsonProperty("source_file") String sourceFile,
            @Schema(nullable = true) @JsonProperty("sub_theme") String subTheme,
            @Schema(nullable = true, description = "the record's position in its file") Integer position,
            @Schema(nullable = true) @JsonProperty("record_id") String recordId,
            @Schema(nullable = true, description = "the field at fault") String field,
            String reason,
            @Schema(nullable = true, description = "the raw record, file report or failed batch (cut at 4,000 characters)") String raw,
            @Schema(nullable = true, description = "when it was replayed, dismissed or resolved") @JsonProperty("resolved_at") String resolvedAt,
            @Schema(nullable = true, description = "what the replay did, the note of the dismissal, or what resolved it") String resolution,
            @Schema(description = "replays tried (those that failed included)") @JsonProperty("replay_count") int replayCount,
            @Schema(nullable = true, description = "the corrected record last replayed (stage ingest)") @JsonProperty("corrected_raw") String correctedRaw) {
    }

    @Schema(name = "ReplayRequest", description = "A replay, with the corrected record (stage ingest only)")
    public record ReplayBody(
            @Schema(description = "the corrected input record: {task_id, prompt, file_name, tags, file_path, ...}", additionalProperties = Schema.AdditionalPropertiesValue.TRUE) Map<String, Object> record) {
    }

    @Schema(name = "DismissRequest")
    public record DismissBody(@Schema(description = "why (kept as the dead letter's resolution)") String note) {
    }

    @Schema(name = "ReplayAllRequest", description = "Which open dead letters; none given: all")
    public record ReplayAllBody(
            @Schema(description = "only this stage") String stage,
            @Schema(description = "only those of this batch file (its name)") String file) {
    }

    @Schema(name = "DeadLetterReplay", description = "What a replay or a dismissal did; by stage more: record_id, written, corrected (ingest), import"
            + " (ingest-file), records, requeued, already_indexed, being_indexed, not_in_library (index), sync, field and reason (still open), note (dismissed)",
            requiredProperties = {"id", "stage", "source_file", "state", "replayed", "message"})
    public record DeadLetterReplay(
            long id,
            String stage,
            @Schema(nullable = true) @JsonProperty("source_file") String sourceFile,
            @Schema(allowableValues = {"replayed", "open", "dismissed"}) String state,
            boolean replayed,
            @Schema(description = "one line: what happened") String message) {
    }

    @Schema(name = "DeadLettersReplay", description = "How many were replayed, are still open, cannot be replayed",
            requiredProperties = {"stage", "file", "considered", "replayed", "still_open", "not_replayable", "already_resolved", "first_still_open",
                "first_not_replayable"})
    public record DeadLettersReplay(
            @Schema(nullable = true) String stage,
            @Schema(nullable = true) String file,
            @Schema(description = "open dead letters of the stage and file") long considered,
            long replayed,
            @JsonProperty("still_open") long stillOpen,
            @JsonProperty("not_replayable") long notReplayable,
            @Schema(description = "closed by another replay meanwhile") @JsonProperty("already_resolved") long alreadyResolved,
            @ArraySchema(arraySchema = @Schema(description = "the first of those still open: id and reason"), schema = @Schema(type = "object", additionalProperties = Schema.AdditionalPropertiesValue.TRUE)) @JsonProperty("first_still_open") List<Map<String, Object>> firstStillOpen,
            @ArraySchema(arraySchema = @Schema(description = "the first of those that cannot be replayed: id and reason"), schema = @Schema(type = "object", additionalProperties = Schema.AdditionalPropertiesValue.TRUE))
            @JsonProperty("first_not_replayable") List<Map<String, Object>> firstNotReplayable) {
    }
}
