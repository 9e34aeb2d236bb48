package batchimage.observe;

import batchimage.deadletter.DeadLetterHealing;
import batchimage.index.IndexBatch;
import batchimage.index.Indexer;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import javax.sql.DataSource;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The library's figures as Prometheus metrics at {@code /observe/metrics}, beside Camel's own: records by
 * status, imported and rejected (all imports), pending and failed per namespace, open dead letters (from
 * PostgreSQL, so the same for every instance on the database, read by {@link #refresh} in the background
 * rather than at each scrape), texts embedded and vectors upserted per namespace by this process, and the dead
 * letters this process resolved because their failure did not recur.
 */
public final class LibraryMetrics {

    private static final Logger LOG = LoggerFactory.getLogger(LibraryMetrics.class);

    private static final String SNAPSHOT = """
            SELECT (SELECT count(*) FROM image_library WHERE status = 'active'),
                   (SELECT count(*) FROM image_library WHERE status <> 'active'),
                   (SELECT coalesce(sum(inserted + updated + unchanged), 0) FROM import_run),
                   (SELECT coalesce(sum(rejected), 0) FROM import_run),
                   (SELECT count(*) FROM dead_letter WHERE state = 'open'),
                   (SELECT count(*) FROM image_library WHERE status = 'active' AND index_state IN ('pending', 'indexing')),
                   (SELECT count(*) FROM image_library WHERE status = 'active' AND index_state = 'failed')
            """;

    private final DataSource dataSource;
    private final Map<String, AtomicLong> values = new ConcurrentHashMap<>();

    public LibraryMetrics(DataSource dataSource, Indexer indexer, DeadLetterHealing healing, MeterRegistry registry) {
        this.dataSource = dataSource;
        gauge(registry, "batch.image.records", "records in the library by status", "status", "active");
        gauge(registry, "batch.image.records", "records in the library by status", "status", "deleted");
        gauge(registry, "batch.image.records.imported", "records stored by all imports (inserted, updated or unchanged)", null, null);
        gauge(registry, "batch.image.records.rejected", "input records rejected by all imports (dead letters)", null, null);
        gauge(registry, "batch.image.dead.letters", "open dead letters", null, null);
        gauge(registry, "batch.image.records.pending", "active records waiting to be indexed", null, null);
        gauge(registry, "batch.image.records.failed", "active records that could not be indexed", null, null);
        if (indexer != null) {
            for (String ns : IndexBatch.NAMESPACES) {
                for (String what : new String[] {"embedded", "upserted"}) {
                    FunctionCounter.builder("batch.image.vectors." + what, indexer, i -> i.total(ns, what))
                            .description("texts " + what + " for a namespace by this process").tag("namespace", ns).register(registry);
                }
            }
        }
        if (healing != null) {
            FunctionCounter.builder("batch.image.dead.letters.resolved", healing, DeadLetterHealing::resolved)
                    .description("dead letters resolved by this process: the failure did not recur").register(registry);
        }
    }

    private void gauge(MeterRegistry registry, String name, String description, String tag, String tagValue) {
        AtomicLong v = values.computeIfAbsent(name + (tag == null ? "" : "{" + tagValue + "}"), k -> new AtomicLong());
        var b = Gauge.builder(name, v, AtomicLong::doubleValue).description(description);
        if (tag != null) {
            b.tag(tag, tagValue);
        }
        b.register(registry);
    }

    /** Reads the figures from PostgreSQL; a failure keeps the last ones (the database health check says why). */
    public void refresh() {
        try (Connection c = dataSource.getConnection(); PreparedStatement ps = c.prepareStatement(SNAPSHOT); ResultSet rs = ps.executeQuery()) {
            rs.next();
            values.get("batch.image.records{active}").set(rs.getLong(1));
            values.get("batch.image.records{deleted}").set(rs.getLong(2));
            values.get("batch.image.records.imported").set(rs.getLong(3));
            values.get("batch.image.records.rejected").set(rs.getLong(4));
            values.get("batch.image.dead.letters").set(rs.getLong(5));
            values.get("batch.image.records.pending").set(rs.getLong(6));
            values.get("batch.image.records.failed").set(rs.getLong(7));
        } catch (SQLException e) {
            LOG.debug("metrics: cannot read the library's figures: {}", e.getMessage());
        }
    }
}
