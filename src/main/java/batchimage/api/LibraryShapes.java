package batchimage.api;

import com.fasterxml.jackson.annotation.JsonProperty;
import io.swagger.v3.oas.annotations.media.ArraySchema;
import io.swagger.v3.oas.annotations.media.Schema;
import java.util.List;
import java.util.Map;

/**
 * The JSON of delete, reindex and stats, described for /api-doc: the contract test (ApiContractTest) checks real
 * answers against what these records say. A {@code Map} is an open object: its keys are data (namespaces, statuses).
 */
public final class LibraryShapes {

    private LibraryShapes() {
    }

    @Schema(name = "DeleteRequest", description = "Which records to delete, and how", requiredProperties = {"filter"})
    public record DeleteBody(
            @Schema(description = "which records, in search's filter language; not empty. " + SearchShapes.FILTER, additionalProperties = Schema.AdditionalPropertiesValue.TRUE) Map<String, Object> filter,
            @Schema(description = "count only", defaultValue = "false") @JsonProperty("dry_run") Boolean dryRun,
            @Schema(description = "remove the rows as well, after their vectors", defaultValue = "false") Boolean purge) {
    }

    @Schema(name = "DeleteAnswer", description = "What was (or, on a dry run, would be) done",
            requiredProperties = {"filter", "dry_run", "purge", "matched", "deleted", "vectors_removed", "purged", "took_ms"})
    public record DeleteAnswer(
            @Schema(description = "the filter as given", additionalProperties = Schema.AdditionalPropertiesValue.TRUE) Map<String, Object> filter,
            @JsonProperty("dry_run") boolean dryRun,
            boolean purge,
            @Schema(description = "active records the filter matched") long matched,
            @Schema(description = "records marked deleted") long deleted,
            @Schema(description = "per namespace (prompt, description), vectors removed (records that had one there)")
            @JsonProperty("vectors_removed") Map<String, Long> vectorsRemoved,
            @Schema(description = "rows removed (purge only)") long purged,
            @JsonProperty("took_ms") long tookMs,
            @ArraySchema(arraySchema = @Schema(description = "dry run only: the ids of up to 24 of the active records matched, by name (a preview)"),
                    schema = @Schema(format = "uuid")) List<String> sample) {
    }

    @Schema(name = "ReindexRequest", description = "Which sync")
    public record ReindexBody(
            @Schema(description = "changed: retry what failed and repair drift; full: embed every record again",
                    allowableValues = {"changed", "full"}, defaultValue = "changed") String mode) {
    }

    @Schema(name = "SyncReport", description = "What a sync found and did", requiredProperties = {"id", "mode", "started_by", "outcome", "seconds", "drift", "error"})
    public record SyncReport(
            @Schema(description = "its row in sync_run") long id,
            @Schema(allowableValues = {"changed", "full"}) String mode,
            @Schema(description = "schedule, api, cli or replay") @JsonProperty("started_by") String startedBy,
            @Schema(allowableValues = {"done", "failed", "skipped"}) String outcome,
            double seconds,
            @Schema(nullable = true, description = "per namespace: listed, orphans_removed, missing_requeued, inactive_removed, too_recent;"
                    + " failed_requeued, stale_namespaces_removed, after {pending, failed}", additionalProperties = Schema.AdditionalPropertiesValue.TRUE) Map<String, Object> drift,
            @Schema(nullable = true, description = "why it failed") String error) {
    }

    @Schema(name = "Stats", description = "The library's figures, the verdict first",
            requiredProperties = {"sync", "records", "themes", "sub_themes", "namespaces", "indexing", "dead_letters", "imports", "importing",
                "enrichment", "last_sync", "syncs", "model", "full_reindex", "index", "as_of"})
    public record Stats(
            Verdict sync,
            @Schema(description = "records by status (active, deleted)") Map<String, Long> records,
            @Schema(description = "active records by theme") List<ThemeCount> themes,
            @Schema(description = "active records by theme and sub-theme") @JsonProperty("sub_themes") List<SubThemeCount> subThemes,
            @Schema(description = "per namespace (prompt, description)") Map<String, NamespaceFigures> namespaces,
            IndexingFigures indexing,
            @Schema(description = "dead letters by stage") @JsonProperty("dead_letters") List<DeadLetterStage> deadLetters,
            @Schema(description = "the last 10 imports, newest first") List<ImportRun> imports,
            @Schema(description = "the imports under way, oldest first, with how far each is when this service imports it") List<ImportInProgress> importing,
            @Schema(description = "where enrichment stands (EnrichLibrary)", additionalProperties = Schema.AdditionalPropertiesValue.TRUE) Map<String, Object> enrichment,
            @Schema(nullable = true, description = "the last sync's report (SyncReport), or null", additionalProperties = Schema.AdditionalPropertiesValue.TRUE) @JsonProperty("last_sync") Map<String, Object> lastSync,
            @ArraySchema(arraySchema = @Schema(description = "the last syncs' reports (SyncReport), newest first"), schema = @Schema(type = "object", additionalProperties = Schema.AdditionalPropertiesValue.TRUE)) List<Map<String, Object>> syncs,
            ModelFigures model,
            @Schema(nullable = true, description = "this process's lexical index (the words of hybrid search), brought in step first; absent without one")
            LexicalFigures lexical,
            @Schema(nullable = true, description = "a full reindex under way: its progress; else null", additionalProperties = Schema.AdditionalPropertiesValue.TRUE) @JsonProperty("full_reindex") Map<String, Object> fullReindex,
            @Schema(description = "what the index says: dimension and vectors per namespace, or error", additionalProperties = Schema.AdditionalPropertiesValue.TRUE) Map<String, Object> index,
            @Schema(format = "date-time", description = "when these figures were read") @JsonProperty("as_of") String asOf) {
    }

    @Schema(name = "LexicalFigures", requiredProperties = {"records", "library", "this_process_writes"})
    public record LexicalFigures(
            @Schema(description = "records in this process's index of words") long records,
            @Schema(description = "active records of the library with words (indexed at least once)") long library,
            @Schema(description = "whether this process writes the index (else it reads what another committed)") @JsonProperty("this_process_writes")
            boolean thisProcessWrites) {
    }

    @Schema(name = "ImportInProgress", description = "An import under way (import_run running); how far it is is known to the service that imports it",
            requiredProperties = {"id", "file_name", "file_bytes", "started_at", "seconds", "this_process", "records_done", "bytes_read", "fraction",
                "records_per_second", "seconds_left"})
    public record ImportInProgress(
            @Schema(description = "its row in import_run") long id,
            @JsonProperty("file_name") String fileName,
            @Schema(nullable = true) @JsonProperty("file_bytes") Long fileBytes,
            @JsonProperty("started_at") String startedAt,
            @Schema(description = "since it started") double seconds,
            @Schema(description = "whether this service imports it (else another instance, or the import command)") @JsonProperty("this_process") boolean thisProcess,
            @Schema(nullable = true, description = "records read and stored so far (in the file's transaction); null when another process imports it")
            @JsonProperty("records_done") Long recordsDone,
            @Schema(nullable = true) @JsonProperty("bytes_read") Long bytesRead,
            @Schema(nullable = true, description = "the part of the file read, 0 to 1") Double fraction,
            @Schema(nullable = true, description = "records a second so far") @JsonProperty("records_per_second") Double recordsPerSecond,
            @Schema(nullable = true, description = "at that pace, by the bytes read") @JsonProperty("seconds_left") Double secondsLeft) {
    }

    @Schema(name = "Verdict", requiredProperties = {"in_sync", "reasons", "summary"})
    public record Verdict(
            @Schema(description = "vectors per namespace = active records with a vector there, nothing pending or failed, no deleted record with vectors")
            @JsonProperty("in_sync") boolean inSync,
            @Schema(description = "why not, one line each") List<String> reasons,
            @Schema(description = "one line: 'in sync: ...' or 'NOT in sync: ...'") String summary) {
    }

    @Schema(name = "ThemeCount", requiredProperties = {"theme", "records"})
    public record ThemeCount(@Schema(nullable = true) String theme, long records) {
    }

    @Schema(name = "SubThemeCount", requiredProperties = {"theme", "sub_theme", "records"})
    public record SubThemeCount(@Schema(nullable = true) String theme, @Schema(nullable = true) @JsonProperty("sub_theme") String subTheme, long records) {
    }

    @Schema(name = "NamespaceFigures", requiredProperties = {"with_vector", "pending", "failed", "to_remove", "in_flight", "index_namespace", "vectors"})
    public record NamespaceFigures(
            @Schema(description = "active records with a vector there") @JsonProperty("with_vector") long withVector,
            long pending,
            long failed,
            @Schema(description = "records marked deleted whose vectors are not removed yet") @JsonProperty("to_remove") long toRemove,
            @Schema(description = "records being indexed right now") @JsonProperty("in_flight") InFlight inFlight,
            @Schema(description = "the index's name of the live namespace (a full reindex builds the next one under another name)")
            @JsonProperty("index_namespace") String indexNamespace,
            @Schema(nullable = true, description = "in the index (describe_index_stats); null when it does not answer") Long vectors) {
    }

    @Schema(name = "InFlight", requiredProperties = {"records", "with_vector", "vectors"})
    public record InFlight(long records, @JsonProperty("with_vector") long withVector, @Schema(nullable = true) Long vectors) {
    }

    @Schema(name = "IndexingFigures", requiredProperties = {"pending", "failed", "indexed", "indexed_last_minute", "records_per_second", "seconds_left", "blocked"})
    public record IndexingFigures(
            @Schema(description = "active records waiting to be indexed, or being indexed") long pending,
            long failed,
            long indexed,
            @Schema(description = "records indexed in the last 60 s") @JsonProperty("indexed_last_minute") long indexedLastMinute,
            @Schema(nullable = true, description = "records indexed a second over the last 60 s (from the first of them); null when none was")
            @JsonProperty("records_per_second") Double recordsPerSecond,
            @Schema(nullable = true, description = "the pending records at that pace; null when nothing is pending or nothing was indexed lately")
            @JsonProperty("seconds_left") Double secondsLeft,
            @Schema(nullable = true, description = "why nothing is indexed (the index's vector size is not the model's), or null") String blocked) {
    }

    @Schema(name = "DeadLetterStage", requiredProperties = {"stage", "total", "open", "resolved", "last"})
    public record DeadLetterStage(String stage, long total, long open,
            @Schema(description = "closed by themselves: the failure did not recur") long resolved,
            @Schema(description = "when the last one came") String last) {
    }

    @Schema(name = "ImportRun", requiredProperties = {"file_name", "outcome", "started_at", "seconds", "read", "inserted", "updated", "unchanged",
        "rejected", "superseded", "error"})
    public record ImportRun(
            @JsonProperty("file_name") String fileName,
            @Schema(nullable = true) String outcome,
            @JsonProperty("started_at") String startedAt,
            @Schema(nullable = true) Double seconds,
            @Schema(nullable = true, description = "records read") Long read,
            @Schema(nullable = true) Long inserted,
            @Schema(nullable = true) Long updated,
            @Schema(nullable = true) Long unchanged,
            @Schema(nullable = true) Long rejected,
            @Schema(nullable = true, description = "records of the file replaced by a later one of the same id") Long superseded,
            @Schema(nullable = true) String error) {
    }

    @Schema(name = "ModelFigures", requiredProperties = {"vectors_made_with", "vectors_dimensions", "generation", "building", "this_process", "notice"})
    public record ModelFigures(
            @Schema(nullable = true, description = "the model of the live vectors") @JsonProperty("vectors_made_with") String vectorsMadeWith,
            @Schema(nullable = true) @JsonProperty("vectors_dimensions") Integer vectorsDimensions,
            @Schema(description = "the live generation of the namespaces") long generation,
            @Schema(nullable = true, description = "the generation a full reindex is building: generation, model, dimensions; or null", additionalProperties = Schema.AdditionalPropertiesValue.TRUE)
            Map<String, Object> building,
            @Schema(nullable = true, description = "the model this process embeds with") @JsonProperty("this_process") String thisProcess,
            @Schema(nullable = true, description = "what to do when the two differ") String notice) {
    }
}
