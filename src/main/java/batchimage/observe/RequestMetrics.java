package batchimage.observe;

import batchimage.http.RetryingHttp;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Request metrics at {@code /observe/metrics}: the HTTP calls the clients make (embeddings, vector index, ComfyUI) by
 * client, operation and status, their retries by client and reason, and the REST API's requests by route,
 * method and status. The clients are built before the service knows its metrics registry: until
 * {@link #bindTo} they are told to nobody. One tag set per name (Prometheus refuses a name with two).
 */
public final class RequestMetrics implements RetryingHttp.Listener {

    public static final String HTTP_CLIENT = "batch.image.http.client.requests";
    public static final String RETRIES = "batch.image.http.retries";
    public static final String API = "batch.image.api.requests";
    /** The clients that retry through {@link RetryingHttp}: their retry counters show from the start, at 0. */
    static final List<String> CLIENTS = List.of("embeddings", "pinecone");

    private volatile MeterRegistry registry;

    /** From now on the figures go to {@code meters}. */
    public void bindTo(MeterRegistry meters) {
        for (String client : CLIENTS) {
            for (String reason : RetryingHttp.RETRY_REASONS) {
                retries(meters, client, reason);
            }
        }
        this.registry = meters;
    }

    @Override
    public void answered(String client, String operation, String status, long nanos) {
        MeterRegistry r = registry;
        if (r != null) {
            timer(HTTP_CLIENT, "HTTP calls of the embeddings, vector index and ComfyUI clients, one per attempt")
                    .tags("client", client, "operation", operation, "status", status).register(r).record(nanos, TimeUnit.NANOSECONDS);
        }
    }

    @Override
    public void retried(String client, String reason) {
        MeterRegistry r = registry;
        if (r != null) {
            retries(r, client, reason).increment();
        }
    }

    /** One request to the REST API: its route id, HTTP method and status. */
    public void apiRequest(String route, String method, int status, long nanos) {
        MeterRegistry r = registry;
        if (r != null) {
            timer(API, "requests to the REST API (/api/*)")
                    .tags("route", route, "method", method, "status", String.valueOf(status)).register(r).record(nanos, TimeUnit.NANOSECONDS);
        }
    }

    private static Counter retries(MeterRegistry r, String client, String reason) {
        return Counter.builder(RETRIES).description("HTTP requests retried, by client and why: 429, 5xx, timeout, connection, other")
                .tags("client", client, "reason", reason).register(r);
    }

    /** Histogram buckets from 1 ms to 2 min, for Prometheus' histogram_quantile. */
    private static Timer.Builder timer(String name, String description) {
        return Timer.builder(name).description(description).publishPercentileHistogram()
                .minimumExpectedValue(Duration.ofMillis(1)).maximumExpectedValue(Duration.ofMinutes(2));
    }
}
