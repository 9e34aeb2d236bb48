package batchimage.observe;

import batchimage.index.IndexBatch;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import javax.sql.DataSource;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The sync route's figures at {@code /observe/metrics}, from sync_run (so the same on every instance): the
 * drift the last finished sync found per namespace, when it ended and how long it took, and the runs by outcome.
 */
public final class SyncMetrics {

    private static final Logger LOG = LoggerFactory.getLogger(SyncMetrics.class);
    static final List<String> KINDS = List.of("orphans_removed", "missing_requeued", "inactive_removed");
    static final List<String> OUTCOMES = List.of("done", "failed", "skipped");

    private final DataSource dataSource;
    private final ObjectMapper json = new ObjectMapper();
    private final Map<String, AtomicLong> values = new ConcurrentHashMap<>();

    public SyncMetrics(DataSource dataSource, MeterRegistry registry) {
        this.dataSource = dataSource;
        for (String ns : IndexBatch.NAMESPACES) {
            for (String kind : KINDS) {
                Gauge.builder("batch.image.sync.drift", value("drift." + ns + "." + kind), AtomicLong::doubleValue)
                        .description("what the last finished sync found out of step and repaired, per namespace")
                        .tag("namespace", ns).tag("kind", kind).register(registry);
            }
        }
        Gauge.builder("batch.image.sync.failed.requeued", value("failed_requeued"), AtomicLong::doubleValue)
                .description("records whose indexing had failed, re-queued by the last finished sync").register(registry);
        Gauge.builder("batch.image.sync.last.end", value("last_end"), AtomicLong::doubleValue)
                .description("when the last sync that finished ended (seconds since the epoch)").baseUnit("seconds").register(registry);
        Gauge.builder("batch.image.sync.last.duration", value("last_millis"), v -> v.get() / 1000.0)
                .description("how long the last sync that finished took").baseUnit("seconds").register(registry);
        for (String outcome : OUTCOMES) {
            Gauge.builder("batch.image.sync.runs", value("runs." + outcome), AtomicLong::doubleValue)
                    .description("sync runs by outcome, every instance on the database").tag("outcome", outcome).register(registry);
        }
    }

    private AtomicLong value(String key) {
        return values.computeIfAbsent(key, k -> new AtomicLong());
    }

    /** Reads the figures from sync_run; a failure keeps the last ones. */
    public void refresh() {
        try (Connection c = dataSource.getConnection()) {
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
        } catch (SQLException | java.io.IOException e) {
            LOG.debug("metrics: cannot read the syncs' figures: {}", e.getMessage());
        }
    }
}
