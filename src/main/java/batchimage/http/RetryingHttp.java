package batchimage.http;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CancellationException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What the HTTP clients share (embeddings, Pinecone, ComfyUI, the CLI's calls to the service): one {@link HttpTransport}
 * whose failures are answers to read (it retries nothing on its own), a bounded pool of requests in flight, and retries
 * of what waiting can fix, after the delay the server asked for or a backoff with jitter. What an answer means, and what
 * a failure says, stays with each client; a client that must not retry has a policy of 0 retries.
 */
public final class RetryingHttp implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(RetryingHttp.class);

    /** min(base * 2^attempt, cap) milliseconds, times a random factor between minJitter and 1. */
    public record Backoff(long baseMs, long capMs, double minJitter) {
        /** No wait: for a policy of no retries. */
        public static final Backoff NONE = new Backoff(0, 0, 1);

        public long delay(int attempt) {
            double b = Math.min(baseMs * Math.pow(2, Math.min(attempt, 30)), capMs);
            return Math.round(b * (minJitter + (1 - minJitter) * ThreadLocalRandom.current().nextDouble()));
        }
    }

    /**
     * How many requests at once, how many retries, how long to wait for an answer (and for a pooled connection), how to
     * back off; after a 429, whether every caller waits; how long to wait for a connection to open.
     */
    public record Policy(int maxInFlight, int maxRetries, Duration timeout, Backoff backoff, boolean everyoneWaitsAfter429, Duration connectTimeout) {

        /** A connection opens within the timeout, and within 10 s at most. */
        public Policy(int maxInFlight, int maxRetries, Duration timeout, Backoff backoff, boolean everyoneWaitsAfter429) {
            this(maxInFlight, maxRetries, timeout, backoff, everyoneWaitsAfter429, timeout.compareTo(Duration.ofSeconds(10)) < 0 ? timeout : Duration.ofSeconds(10));
        }
    }

    /**
     * One request: method, URL (query included, already encoded), headers, a body and its content type (null for none),
     * and a wait for the answer of its own (null: the policy's).
     */
    public record Request(String method, String url, Map<String, String> headers, byte[] body, String contentType, Duration timeout) {

        public static Request get(String url) {
            return new Request("GET", url, Map.of(), null, null, null);
        }

        public static Request post(String url, String contentType, byte[] body) {
            return new Request("POST", url, Map.of(), body, contentType, null);
        }

        /** {@code method} with a body (null for none) sent as {@code application/json}. */
        public static Request json(String method, String url, byte[] body) {
            return new Request(method, url, Map.of(), body, body == null ? null : "application/json", null);
        }

        /** The same request with one more header; a null value adds nothing. */
        public Request header(String name, String value) {
            if (value == null) {
                return this;
            }
            var h = new LinkedHashMap<>(headers);
            h.put(name, value);
            return new Request(method, url, Map.copyOf(h), body, contentType, timeout);
        }

        /** The same request with {@code query} (encoded) appended to the URL; null adds nothing. */
        public Request query(String query) {
            return query == null || query.isEmpty() ? this
                    : new Request(method, url + (url.contains("?") ? "&" : "?") + query, headers, body, contentType, timeout);
        }

        /** The same request, waiting at most {@code wait} for the answer. */
        public Request timeout(Duration wait) {
            return new Request(method, url, headers, body, contentType, wait);
        }
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
    private final HttpTransport transport;
    private final ExecutorService inFlight;
    private final LongAdder retries = new LongAdder();
    private volatile long pausedUntil;

    public RetryingHttp(String threadName, Policy policy) {
        this(threadName, threadName, policy, Listener.NONE);
    }

    /** {@code client}: the name the listener is told (embeddings, pinecone, comfyui). */
    public RetryingHttp(String client, String threadName, Policy policy, Listener listener) {
        this.policy = policy;
        this.client = client;
        this.listener = listener;
        this.transport = new HttpTransport(policy);
        this.inFlight = Executors.newFixedThreadPool(policy.maxInFlight(), r -> {
            Thread t = new Thread(r, threadName);
            t.setDaemon(true);
            return t;
        });
    }

    /** Retries so far, over all requests. */
    public long retries() {
        return retries.sum();
    }

    /**
     * Sends {@code request} until {@code reader} makes a value of the answer or throws a {@link Failure} that is not
     * retryable or has no retries left; {@code what} names the request in the log, {@code operation} for metrics (embed,
     * upsert, query, history...).
     */
    public <T> T send(String what, String operation, Request request, Reader<T> reader) {
        return send(what, operation, request, null, reader);
    }

    /** As {@link #send(String, String, Request, Reader)}; the body of a 200 goes into the file {@code target} (the answer's body is then null). */
    public <T> T download(String what, String operation, Request request, Path target, Reader<T> reader) {
        return send(what, operation, request, target, reader);
    }

    private <T> T send(String what, String operation, Request request, Path target, Reader<T> reader) {
        for (int attempt = 0; ; attempt++) {
            waitWhilePaused(what);
            long start = System.nanoTime();
            Answer answer = transport.exchange(request, target);
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
            if (t instanceof java.io.InterruptedIOException
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
            transport.close();
        } catch (RuntimeException e) {
            LOG.debug("closing the HTTP client: {}", e.toString());
        }
    }
}
