package batchimage.observe;

import batchimage.index.IndexBatch;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.micrometer.core.instrument.MeterRegistry;
import java.io.IOException;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.List;
import javax.sql.DataSource;

/**
 * The sync route's figures at {@code /observe/metrics}, from sync_run (so the same on every instance): the
 * drift the last finished sync found per namespace, when it ended and how long it took, and the runs by outcome.
 */
public final class SyncMetrics extends DatabaseGauges {

    static final List<String> KINDS = List.of("orphans_removed", "missing_requeued", "inactive_removed");
    static final List<String> OUTCOMES = List.of("done", "failed", "skipped");

    private final ObjectMapper json = new ObjectMapper();

    public SyncMetrics(DataSource dataSource, MeterRegistry registry) {
        super(dataSource, registry, "the syncs' figures");
        for (String ns : IndexBatch.NAMESPACES) {
            for (String kind : KINDS) {
                gauge("drift." + ns + "." + kind, "batch.image.sync.drift", "what the last finished sync found out of step and repaired, per namespace",
                        "namespace", ns, "kind", kind);
            }
        }
        gauge("failed_requeued", "batch.image.sync.failed.requeued", "records whose indexing had failed, re-queued by the last finished sync");
        gauge("last_end", "batch.image.sync.last.end", "when the last sync that finished ended (seconds since the epoch)", "seconds", 1);
        gauge("last_millis", "batch.image.sync.last.duration", "how long the last sync that finished took", "seconds", 1000);
        for (String outcome : OUTCOMES) {
            gauge("runs." + outcome, "batch.image.sync.runs", "sync runs by outcome, every instance on the database", "outcome", outcome);
        }
    }

    @Override
    void read(Connection c) throws SQLException, IOException {
        try (PreparedStatement ps = c.prepareStatement("""
                SELECT drift::text, extract(epoch FROM finished_at)::bigint, (seconds * 1000)::bigint FROM sync_run
                WHERE outcome = 'done' ORDER BY id DESC LIMIT 1""");
             ResultSet rs = ps.executeQuery()) {
            if (rs.next()) {
                JsonNode drift = json.readTree(rs.getString(1));
                for (String ns : IndexBatch.NAMESPACES) {
                    for (String kind : KINDS) {
                        value("drift." + ns + "." + kind).set(drift.path(ns).path(kind).asLong());
                    }
                }
                value("failed_requeued").set(drift.path("failed_requeued").asLong());
                value("last_end").set(rs.getLong(2));
                value("last_millis").set(rs.getLong(3));
            }
        }
        try (PreparedStatement ps = c.prepareStatement("SELECT outcome, count(*) FROM sync_run GROUP BY outcome");
             ResultSet rs = ps.executeQuery()) {
            while (rs.next()) {
                if (OUTCOMES.contains(rs.getString(1))) {
                    value("runs." + rs.getString(1)).set(rs.getLong(2));
                }
            }
        }
    }
}
