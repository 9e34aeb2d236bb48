package batchimage.ingest;

import com.fasterxml.jackson.annotation.JsonInclude;

/** What one file's import did, as `import --json` prints it. */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record ImportResult(
        String file,
        String path,
        String outcome,
        long read,
        long inserted,
        long updated,
        long unchanged,
        long rejected,
        long superseded,
        double seconds,
        String error,
        String report) {
}
