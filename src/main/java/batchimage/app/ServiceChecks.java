package batchimage.app;

import batchimage.deadletter.DeadLetterHealing;
import batchimage.embed.EmbeddingsClient;
import batchimage.index.Indexer;
import batchimage.observe.DependencyCheck;
import batchimage.observe.LibraryMetrics;
import batchimage.observe.SyncMetrics;
import batchimage.store.Database;
import batchimage.vectors.PineconeClient;
import io.micrometer.core.instrument.MeterRegistry;
import java.util.List;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import org.apache.camel.CamelContext;
import org.apache.camel.health.HealthCheckRegistry;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The service's /observe/health: the database, the embeddings endpoint and the vector index, besides Camel's own
 * checks; and the library's metrics at /observe/metrics.
 */
final class ServiceChecks {

    private static final Logger LOG = LoggerFactory.getLogger(BatchImage.class);

    private ServiceChecks() {
    }

    /** Registers the checks and the metrics on {@code context}; answers the threads they run on (to shut down), or null when there is no health registry. */
    static ScheduledExecutorService register(CamelContext context, Database database) {
        var registry = HealthCheckRegistry.get(context);
        if (registry == null) {
            return null;
        }
        var embeddings = context.getRegistry().lookupByNameAndType("embeddingsClient", EmbeddingsClient.class);
        var index = context.getRegistry().lookupByNameAndType("pineconeClient", PineconeClient.class);
        // probes and metrics run here, never on the HTTP server's threads; one slow probe does not hold back the others
        ScheduledExecutorService probes = Executors.newScheduledThreadPool(4, r -> {
            Thread t = new Thread(r, "health-probes");
            t.setDaemon(true);
            return t;
        });
        var checks = List.of(
                new DependencyCheck("database", database::probe, probes),
                new DependencyCheck("embeddings", () -> {
                    int dims = embeddings.embed(List.of("health check")).get(0).length;
                    return "the embeddings endpoint answers (" + dims + " dimensions)";
                }, probes),
                new DependencyCheck("vector-index", () -> {
                    var stats = index.stats();
                    return "the vector index at " + index.base() + " answers: " + stats.namespaces();
                }, probes));
        checks.forEach(registry::register);
        // /observe/metrics: the library's figures beside Camel's own, read from PostgreSQL every 10 s
        var meters = context.getRegistry().lookupByNameAndType("metricsRegistry", MeterRegistry.class);
        if (meters != null) {
            var metrics = new LibraryMetrics(database.dataSource(),
                    context.getRegistry().lookupByNameAndType("indexer", Indexer.class),
                    context.getRegistry().lookupByNameAndType("deadLetterHealing", DeadLetterHealing.class), meters);
            metrics.refreshOn(probes);
            new SyncMetrics(database.dataSource(), meters).refreshOn(probes);
        } else {
            LOG.warn("no metrics registry: /observe/metrics shows Camel's metrics only, not the library's");
        }
        return probes;
    }
}
