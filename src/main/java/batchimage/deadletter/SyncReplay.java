package batchimage.deadletter;

import batchimage.http.ApiError;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.Map;
import java.util.function.Supplier;

/** Replays a dead letter of stage {@code sync}: a failed run is replayed by running the sync again. */
final class SyncReplay {

    private final Supplier<Map<String, Object>> sync;

    /** {@code sync}: runs the sync route once and answers its report, or null when this process cannot. */
    SyncReplay(Supplier<Map<String, Object>> sync) {
        this.sync = sync;
    }

    Map<String, Object> replay(Connection c, LockedLetter d) throws SQLException {
        if (sync == null) {
            throw new ApiError(409, "dead letter " + d.id() + " is a failed sync: run bin/batch-image reindex, then dismiss it", "stage");
        }
        try {
            Map<String, Object> report = sync.get();
            String message = "sync #" + report.get("id") + " ran again: " + report.get("outcome");
            d.replayed(c, message, null, null);
            var out = d.answer("replayed", message);
            out.put("sync", report);
            return out;
        } catch (RuntimeException e) {
            return d.stillOpen(c, e.getMessage() == null ? e.toString() : e.getMessage(), null, null, d.raw(), null);
        }
    }
}
