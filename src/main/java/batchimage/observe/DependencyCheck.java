package batchimage.observe;

import java.util.Map;
import java.util.function.Supplier;
import org.apache.camel.health.HealthCheckResultBuilder;
import org.apache.camel.impl.health.AbstractHealthCheck;

/**
 * A readiness check of something the service depends on (the database, the embeddings endpoint, the
 * vector index), shown at {@code /observe/health}: UP with what it found, or DOWN with why. The probe runs
 * in the background ({@link #refresh}), never on the HTTP server's event loop: the local embeddings endpoint
 * and index are served by that same server, and a probe waiting on it there would wait for ever. It also
 * keeps a monitor polling health from turning into a stream of embedding calls.
 */
public final class DependencyCheck extends AbstractHealthCheck {

    private final Supplier<String> probe;
    private volatile String lastDetail = "not checked yet";
    private volatile String lastError;

    /** {@code probe} answers what it found (shown as the check's message) or throws why it cannot. */
    public DependencyCheck(String id, Supplier<String> probe) {
        super("batch-image", id);
        this.probe = probe;
    }

    /** Runs the probe and keeps its answer. */
    public void refresh() {
        try {
            lastDetail = probe.get();
            lastError = null;
        } catch (RuntimeException e) {
            lastError = e.getMessage() == null ? e.toString() : e.getMessage();
        }
    }

    @Override
    public boolean isLiveness() {
        // a dependency that is down does not make the process dead: it retries and recovers
        return false;
    }

    @Override
    protected void doCall(HealthCheckResultBuilder builder, Map<String, Object> options) {
        String error = lastError;
        if (error == null) {
            builder.up().message(lastDetail);
        } else {
            builder.down().message(error);
        }
    }
}
