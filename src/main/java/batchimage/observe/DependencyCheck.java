package batchimage.observe;

import java.util.Map;
import java.util.concurrent.Executor;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Supplier;
import org.apache.camel.health.HealthCheckResultBuilder;
import org.apache.camel.impl.health.AbstractHealthCheck;

/**
 * A readiness check of something the service depends on (the database, the embeddings endpoint, the
 * vector index), shown at {@code /observe/health}: UP with what it found, DOWN with why, UNKNOWN until
 * first probed. Asking for health answers at once with the last probe's outcome and, when that is older
 * than {@value #FRESH_SECONDS} s, starts a new probe in the background: never on the HTTP server's event
 * loop (the local embeddings endpoint and index are served by that same server, and a probe waiting on it
 * there would wait for ever), never while nobody asks (no embedding calls from an idle service), and at
 * most one at a time.
 */
public final class DependencyCheck extends AbstractHealthCheck {

    static final int FRESH_SECONDS = 15;

    private final Supplier<String> probe;
    private final Executor background;
    private final AtomicBoolean probing = new AtomicBoolean();
    private volatile String lastDetail;
    private volatile String lastError;
    private volatile long lastAt;

    /** {@code probe} answers what it found (shown as the check's message) or throws why it cannot; it runs on {@code background}. */
    public DependencyCheck(String id, Supplier<String> probe, Executor background) {
        super("batch-image", id);
        this.probe = probe;
        this.background = background;
    }

    /** Runs the probe here and keeps its answer. */
    public void refresh() {
        try {
            lastDetail = probe.get();
            lastError = null;
        } catch (RuntimeException e) {
            lastError = e.getMessage() == null ? e.toString() : e.getMessage();
        } finally {
            lastAt = System.nanoTime();
        }
    }

    private void refreshInBackground() {
        if (probing.compareAndSet(false, true)) {
            try {
                background.execute(() -> {
                    try {
                        refresh();
                    } finally {
                        probing.set(false);
                    }
                });
            } catch (RuntimeException e) {
                // the executor is shutting down with the service
                probing.set(false);
            }
        }
    }

    @Override
    public boolean isLiveness() {
        // a dependency that is down does not make the process dead: it retries and recovers
        return false;
    }

    @Override
    protected void doCall(HealthCheckResultBuilder builder, Map<String, Object> options) {
        long at = lastAt;
        if (at == 0 || System.nanoTime() - at > FRESH_SECONDS * 1_000_000_000L) {
            refreshInBackground();
        }
        if (at == 0) {
            builder.unknown().message("being checked: ask again in a moment");
        } else if (lastError == null) {
            builder.up().message(lastDetail);
        } else {
            builder.down().message(lastError);
        }
    }
}
