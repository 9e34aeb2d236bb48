package batchimage.http;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CancellationException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.Consumer;
import java.util.function.Supplier;
import org.apache.camel.CamelContext;
import org.apache.camel.Exchange;
import org.apache.camel.Message;
import org.apache.camel.ProducerTemplate;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What the HTTP API clients share: camel-http requests whose failures are answers to read (HttpClient retries
 * nothing on its own), a bounded pool of requests in flight, and retries of what waiting can fix, after the delay
 * the server asked for or a backoff with jitter. What an answer means, and what a failure says, stays with each client.
 */
public final class RetryingHttp implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(RetryingHttp.class);

    /** min(base * 2^attempt, cap) milliseconds, times a random factor between minJitter and 1. */
    public record Backoff(long baseMs, long capMs, double minJitter) {
        public long delay(int attempt) {
            double b = Math.min(baseMs * Math.pow(2, Math.min(attempt, 30)), capMs);
            return Math.round(b * (minJitter + (1 - minJitter) * ThreadLocalRandom.current().nextDouble()));
        }
    }

    /** How many requests at once, how many retries, how long to wait for an answer, how to back off; after a 429, whether every caller waits. */
    public record Policy(int maxInFlight, int maxRetries, Duration timeout, Backoff backoff, boolean everyoneWaitsAfter429) {
    }

    /** A client's exception for a failed request: its HTTP status (0 when no answer came) and whether waiting could help. */
    public interface Failure {
        int status();

        boolean retryable();

        /** The same failure, saying it persisted through that many attempts. */
        RuntimeException afterAttempts(int attempts);
    }

    /** Why a request was retried, as metrics name it. */
    public static final List<String> RETRY_REASONS = List.of("429", "5xx", "timeout", "connection", "other");

    /**
     * What the requests of a client did, for metrics: each attempt's outcome and duration, and each retry. Called on
     * the requesting thread; it must return at once.
     */
    public interface Listener {
        /** One attempt of {@code operation}: {@code status} is the HTTP status, or timeout or connection when no answer came. */
        void answered(String client, String operation, String status, long nanos);

        /** A retry, and why (one of {@link #RETRY_REASONS}). */
        void retried(String client, String reason);

        Listener NONE = new Listener() {
            @Override
            public void answered(String client, String operation, String status, long nanos) {
            }

            @Override
            public void retried(String client, String reason) {
            }
        };
    }

    /** Turns an answer into a value, or throws the client's {@link Failure}. */
    @FunctionalInterface
    public interface Reader<T> {
        T read(Answer answer);
    }

    /** What one attempt got: status, body and headers, or (status 0) the exception that kept an answer from coming. */
    public record Answer(int status, byte[] body, Map<String, Object> headers, Exception failure) {

        public String text() {
            return body == null ? "" : new String(body, StandardCharsets.UTF_8);
        }

        public String header(String name) {
            for (var e : headers.entrySet()) {
                if (e.getKey().equalsIgnoreCase(name) && e.getValue() != null) {
                    return e.getValue().toString();
                }
            }
            return null;
        }

        /** retry-after-ms, x-ms-retry-after-ms (ms), then Retry-After (seconds or an HTTP date); 0 when absent. */
        public long serverDelayMs() {
            for (String h : new String[] {"retry-after-ms", "x-ms-retry-after-ms"}) {
                String v = header(h);
                if (v != null) {
                    try {
                        return Math.max(0, Math.round(Double.parseDouble(v.trim())));
                    } catch (NumberFormatException e) {
                        // fall through to the next header
                    }
                }
            }
            String ra = header("retry-after");
            if (ra != null) {
                try {
                    return Math.max(0, Math.round(Double.parseDouble(ra.trim()) * 1000));
                } catch (NumberFormatException e) {
                    try {
                        var when = ZonedDateTime.parse(ra.trim(), DateTimeFormatter.RFC_1123_DATE_TIME);
                        return Math.max(0, Duration.between(ZonedDateTime.now(when.getZone()), when).toMillis());
                    } catch (RuntimeException ignored) {
                        return 0;
                    }
                }
            }
            return 0;
        }
    }

    private final Policy policy;
    private final String client;
    private final Listener listener;
    private final ProducerTemplate producer;
    /** camel-http options of every request. */
    private final String endpointOptions;
    private final ExecutorService inFlight;
    private final LongAdder retries = new LongAdder();
    private volatile long pausedUntil;

    public RetryingHttp(CamelContext camel, String threadName, Policy policy) {
        this(camel, threadName, threadName, policy, Listener.NONE);
    }

    /** {@code client}: the name the listener is told (embeddings, pinecone). */
    public RetryingHttp(CamelContext camel, String client, String threadName, Policy policy, Listener listener) {
        this.policy = policy;
        this.client = client;
        this.listener = listener;
        this.producer = camel.createProducerTemplate();
        long timeout = policy.timeout().toMillis();
        int connections = Math.max(20, policy.maxInFlight() * 2);
        this.endpointOptions = "throwExceptionOnFailure=false&httpClientConfigurer=#class:" + NoAutomaticRetries.class.getName()
                + "&connectTimeout=" + Math.min(timeout, 10_000) + "&responseTimeout=" + timeout + "&connectionRequestTimeout=" + timeout
                + "&maxTotalConnections=" + connections + "&connectionsPerRoute=" + connections;
        this.inFlight = Executors.newFixedThreadPool(policy.maxInFlight(), r -> {
            Thread t = new Thread(r, threadName);
            t.setDaemon(true);
            return t;
        });
    }

    /** The camel-http endpoint URI of a URL. */
    public String endpoint(String url) {
        return url + (url.contains("?") ? "&" : "?") + endpointOptions;
    }

    /** Retries so far, over all requests. */
    public long retries() {
        return retries.sum();
    }

    /**
     * Sends the request that {@code request} writes to {@code endpoint} until {@code reader} makes a value of the answer or
     * throws a {@link Failure} that is not retryable or has no retries left; {@code what} names the request in the log.
     */
    public <T> T send(String what, String endpoint, Consumer<Message> request, Reader<T> reader) {
        return send(what, "request", endpoint, request, reader);
    }

    /** As above; {@code operation} names the request for metrics (embed, upsert, query...). */
    public <T> T send(String what, String operation, String endpoint, Consumer<Message> request, Reader<T> reader) {
        for (int attempt = 0; ; attempt++) {
            waitWhilePaused(what);
            long start = System.nanoTime();
            Answer answer = exchange(endpoint, request);
            listener.answered(client, operation, answer.failure() == null ? String.valueOf(answer.status()) : noAnswer(answer.failure()),
                    System.nanoTime() - start);
            try {
                return reader.read(answer);
            } catch (RuntimeException e) {
                if (!(e instanceof Failure f)) {
                    throw e;
                }
                if (!f.retryable() || attempt >= policy.maxRetries()) {
                    throw attempt == 0 ? e : f.afterAttempts(attempt + 1);
                }
                long server = answer.serverDelayMs();
                long delay = server > 0 ? server : policy.backoff().delay(attempt);
                if (f.status() == 429 && policy.everyoneWaitsAfter429()) {
                    // everyone waits, not only the caller that was told to
                    pausedUntil = Math.max(pausedUntil, System.currentTimeMillis() + delay);
                }
                retries.increment();
                listener.retried(client, reason(f, answer));
                LOG.warn("{} failed ({}); retry {} of {} in {} ms", what, e.getMessage(), attempt + 1, policy.maxRetries(), delay);
                try {
                    Thread.sleep(delay);
                } catch (InterruptedException ie) {
                    Thread.currentThread().interrupt();
                    throw e;
                }
            }
        }
    }

    /** Why a retry: the status of the answer, or why none came. */
    static String reason(Failure f, Answer answer) {
        int status = f.status();
        if (status == 429) {
            return "429";
        }
        if (status >= 500) {
            return "5xx";
        }
        if (status == 408) {
            return "timeout";
        }
        if (answer.failure() != null) {
            return noAnswer(answer.failure());
        }
        return "other";
    }

    /** timeout or connection: what kept an answer from coming. */
    public static String noAnswer(Throwable failure) {
        for (Throwable t = failure; t != null; t = t.getCause()) {
            String m = String.valueOf(t.getMessage()).toLowerCase(java.util.Locale.ROOT);
            if (t instanceof java.io.InterruptedIOException || t instanceof java.net.http.HttpTimeoutException
                    || m.contains("timed out") || m.contains("timeout")) {
                return "timeout";
            }
            if (t.getCause() == t) {
                break;
            }
        }
        return "connection";
    }

    private void waitWhilePaused(String what) {
        long wait = pausedUntil - System.currentTimeMillis();
        if (wait > 0) {
            try {
                Thread.sleep(wait);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new CancellationException("interrupted before sending " + what);
            }
        }
    }

    private Answer exchange(String endpoint, Consumer<Message> request) {
        Exchange ex = producer.send(endpoint, e -> request.accept(e.getMessage()));
        if (ex.getException() != null) {
            return new Answer(0, null, Map.of(), ex.getException());
        }
        Message m = ex.getMessage();
        return new Answer(m.getHeader(Exchange.HTTP_RESPONSE_CODE, 0, Integer.class), m.getBody(byte[].class), m.getHeaders(), null);
    }

    /** Runs the tasks with at most maxInFlight at once; their results in order, or the first failure (the rest are cancelled). */
    public <T> List<T> inParallel(List<Supplier<T>> tasks) {
        var futures = new ArrayList<Future<T>>(tasks.size());
        for (Supplier<T> t : tasks) {
            futures.add(inFlight.submit(t::get));
        }
        var out = new ArrayList<T>(tasks.size());
        try {
            for (Future<T> f : futures) {
                out.add(f.get());
            }
            return out;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new CancellationException("interrupted while waiting for " + tasks.size() + " requests");
        } catch (ExecutionException e) {
            if (e.getCause() instanceof RuntimeException r) {
                throw r;
            }
            if (e.getCause() instanceof Error err) {
                throw err;
            }
            throw new IllegalStateException(e.getCause());
        } finally {
            futures.forEach(f -> f.cancel(true));
        }
    }

    @Override
    public void close() {
        inFlight.shutdownNow();
        try {
            producer.stop();
        } catch (RuntimeException e) {
            LOG.debug("stopping the HTTP producer: {}", e.toString());
        }
    }
}
