package batchimage.observe;

import batchimage.deadletter.DeadLetterHealing;
import batchimage.index.IndexBatch;
import batchimage.index.Indexer;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.MeterRegistry;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.List;
import javax.sql.DataSource;

/**
 * The library's figures as Prometheus metrics at {@code /observe/metrics}, beside Camel's own: records by
 * status, imported and rejected (all imports), pending and failed per namespace, open dead letters (from
 * PostgreSQL, so the same for every instance on the database, read by {@link #refresh} in the background
 * rather than at each scrape), texts embedded and vectors upserted per namespace by this process, and the dead
 * letters this process resolved because their failure did not recur.
 */
public final class LibraryMetrics extends DatabaseGauges {

    private static final String SNAPSHOT = """
            SELECT (SELECT count(*) FROM image_library WHERE status = 'active'),
                   (SELECT count(*) FROM image_library WHERE status <> 'active'),
                   (SELECT coalesce(sum(inserted + updated + unchanged), 0) FROM import_run),
                   (SELECT coalesce(sum(rejected), 0) FROM import_run),
                   (SELECT count(*) FROM dead_letter WHERE state = 'open'),
                   (SELECT count(*) FROM image_library WHERE status = 'active' AND index_state IN ('pending', 'indexing')),
                   (SELECT count(*) FROM image_library WHERE status = 'active' AND index_state = 'failed')
            """;
    /** The values SNAPSHOT reads, in its order. */
    private static final List<String> COLUMNS = List.of("active", "deleted", "imported", "rejected", "dead_letters", "pending", "failed");

    public LibraryMetrics(DataSource dataSource, Indexer indexer, DeadLetterHealing healing, MeterRegistry registry) {
        super(dataSource, registry, "the library's figures");
        gauge("active", "batch.image.records", "records in the library by status", "status", "active");
        gauge("deleted", "batch.image.records", "records in the library by status", "status", "deleted");
        gauge("imported", "batch.image.records.imported", "records stored by all imports (inserted, updated or unchanged)");
        gauge("rejected", "batch.image.records.rejected", "input records rejected by all imports (dead letters)");
        gauge("dead_letters", "batch.image.dead.letters", "open dead letters");
        gauge("pending", "batch.image.records.pending", "active records waiting to be indexed");
        gauge("failed", "batch.image.records.failed", "active records that could not be indexed");
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

    @Override
    void read(Connection c) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement(SNAPSHOT); ResultSet rs = ps.executeQuery()) {
            rs.next();
            for (int i = 0; i < COLUMNS.size(); i++) {
                value(COLUMNS.get(i)).set(rs.getLong(i + 1));
            }
        }
    }
}
