package batchimage.embed;

import batchimage.http.RetryingHttp;
import batchimage.http.RetryingHttp.Answer;
import com.fasterxml.jackson.core.Base64Variant;
import com.fasterxml.jackson.core.Base64Variants;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.InterruptedIOException;
import java.net.ConnectException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Supplier;
import org.apache.camel.CamelContext;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Embeds texts through any OpenAI-compatible endpoint (the app's own, OpenAI, Azure) with {@link RetryingHttp}:
 * packs inputs into requests by count and estimated tokens, keeps a bounded number of requests in flight
 * for all callers together, retries what waiting can fix (honouring the server's retry headers, and
 * slowing every caller after a 429), and checks every answer before trusting it.
 */
public final class EmbeddingsClient implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(EmbeddingsClient.class);
    private static final Set<String> BILLING_CODES = Set.of("insufficient_quota", "credit_balance_exhausted",
            "organization_spend_limit_exceeded", "project_spend_limit_exceeded", "organization_usage_limit_exceeded");
    private static final long MAX_SERVER_DELAY_MS = 120_000;
    /** min(0.5 s * 2^attempt, 8 s), times a jitter of 0.75 to 1.0 (openai-python's policy). */
    static final RetryingHttp.Backoff BACKOFF = new RetryingHttp.Backoff(500, 8000, 0.75);

    private final EmbeddingsConfig config;
    /** The vector size answers must have: the configured one, or learnt from the first answer when the settings leave it open (0). */
    private volatile int dimensions;
    private final RetryingHttp http;
    private final ObjectMapper json = JsonMapper.builder().enable(StreamReadFeature.USE_FAST_DOUBLE_PARSER).build();

    /** Standard Base64, padded or not (java.util.Base64's decoder took both). */
    private static final Base64Variant BASE64 = Base64Variants.MIME_NO_LINEFEEDS.withReadPadding(Base64Variant.PaddingReadBehaviour.PADDING_ALLOWED);

    private final AtomicLong calls = new AtomicLong();
    private final AtomicLong inputs = new AtomicLong();
    private final AtomicLong tokens = new AtomicLong();
    private final AtomicLong failures = new AtomicLong();
    private final AtomicLong truncated = new AtomicLong();
    private final AtomicLong throttled = new AtomicLong();

    public EmbeddingsClient(EmbeddingsConfig config) {
        this(config, RetryingHttp.Listener.NONE);
    }

    /** {@code listener}: told of every request and retry (the service's metrics). */
    public EmbeddingsClient(EmbeddingsConfig config, RetryingHttp.Listener listener) {
        this.config = config;
        this.dimensions = config.dimensions();
        // a 429 slows every caller: the limits are per deployment, not per request
        this.http = new RetryingHttp("embeddings", "embeddings-request",
                new RetryingHttp.Policy(config.maxInFlight(), config.maxRetries(), config.timeout(), BACKOFF, true), listener);
    }

    /** As {@link #EmbeddingsClient(EmbeddingsConfig)}: the client needs no Camel context (kept for the callers that pass one). */
    public EmbeddingsClient(CamelContext camel, EmbeddingsConfig config) {
        this(config);
    }

    /** As {@link #EmbeddingsClient(EmbeddingsConfig, RetryingHttp.Listener)}: the client needs no Camel context. */
    public EmbeddingsClient(CamelContext camel, EmbeddingsConfig config, RetryingHttp.Listener listener) {
        this(config, listener);
    }

    /** The settings as given (dimensions 0 when they leave the vector size to the model: see {@link #dimensions()}). */
    public EmbeddingsConfig config() {
        return config;
    }

    /** The model's vector size: the configured one, or, when the settings leave it open, learnt from one probe embedding. */
    public int dimensions() {
        if (dimensions == 0) {
            embed(List.of("dimension probe"));
        }
        return dimensions;
    }

    /** Counters since start: calls, inputs, tokens, retries, failures, truncated inputs, 429s. */
    public Map<String, Long> stats() {
        return Map.of("calls", calls.get(), "inputs", inputs.get(), "tokens", tokens.get(), "retries", http.retries(),
                "failures", failures.get(), "truncated", truncated.get(), "throttled", throttled.get());
    }

    /** One vector per text, in order. Blank texts are the caller's to leave out: they are refused here. */
    public List<float[]> embed(List<String> texts) {
        if (texts.isEmpty()) {
            return List.of();
        }
        var requests = new ArrayList<Supplier<List<float[]>>>();
        for (List<String> r : pack(texts)) {
            requests.add(() -> send(r));
        }
        var out = new ArrayList<float[]>(texts.size());
        http.inParallel(requests).forEach(out::addAll);
        return out;
    }

    /** Splits texts into requests of at most maxInputs inputs and maxRequestTokens estimated tokens; over-long inputs are cut. */
    List<List<String>> pack(List<String> texts) {
        var requests = new ArrayList<List<String>>();
        var current = new ArrayList<String>();
        long currentTokens = 0;
        for (int i = 0; i < texts.size(); i++) {
            String t = texts.get(i);
            if (t == null || t.isBlank()) {
                throw new IllegalArgumentException("text " + i + " is empty: leave it out rather than embed it");
            }
            int est = estimateTokens(t);
            if (est > config.maxInputTokens()) {
                t = truncate(t, config.maxInputTokens());
                est = estimateTokens(t);
                truncated.incrementAndGet();
            }
            if (!current.isEmpty() && (current.size() >= config.maxInputs() || currentTokens + est > config.maxRequestTokens())) {
                requests.add(current);
                current = new ArrayList<>();
                currentTokens = 0;
            }
            current.add(t);
            currentTokens += est;
        }
        requests.add(current);
        return requests;
    }

    /** A cautious token count: 1 per 3 ASCII characters, 1 per other character (CJK, emoji). */
    static int estimateTokens(String s) {
        int ascii = 0;
        int other = 0;
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c < 0x80) {
                ascii++;
            } else if (!Character.isLowSurrogate(c)) {
                other++;
            }
        }
        return (ascii + 2) / 3 + other;
    }

    static String truncate(String s, int maxTokens) {
        int lo = 0;
        int hi = s.length();
        while (lo < hi) {
            int mid = (lo + hi + 1) >>> 1;
            if (estimateTokens(s.substring(0, mid)) <= maxTokens) {
                lo = mid;
            } else {
                hi = mid - 1;
            }
        }
        if (lo > 0 && Character.isHighSurrogate(s.charAt(lo - 1))) {
            lo--;
        }
        return s.substring(0, lo);
    }

    private List<float[]> send(List<String> texts) {
        byte[] body = requestBody(texts);
        List<float[]> vectors;
        try {
            var request = RetryingHttp.Request.post(config.url(), "application/json", body).query(config.query());
            if (config.authHeader() != null) {
                request = request.header(config.authHeader(), config.authValue());
            }
            vectors = http.send("embeddings request of " + texts.size() + " inputs", "embed", request, answer -> read(answer, texts.size()));
        } catch (EmbeddingsException e) {
            failures.incrementAndGet();
            throw e;
        }
        calls.incrementAndGet();
        inputs.addAndGet(texts.size());
        return vectors;
    }

    private byte[] requestBody(List<String> texts) {
        ObjectNode req = json.createObjectNode();
        var arr = req.putArray("input");
        texts.forEach(arr::add);
        if (config.sendModel()) {
            req.put("model", config.model());
        }
        if (config.sendDimensions() && config.dimensions() > 0) {
            req.put("dimensions", config.dimensions());
        }
        req.put("encoding_format", config.base64() ? "base64" : "float");
        try {
            return json.writeValueAsBytes(req);
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    /** The vectors of a good answer; otherwise an EmbeddingsException saying what came back and whether to retry. */
    private List<float[]> read(Answer answer, int expected) {
        String where = config.url();
        if (answer.failure() != null) {
            Throwable t = answer.failure();
            boolean timeout = hasCause(t, InterruptedIOException.class) // SocketTimeoutException, ConnectTimeoutException
                    || String.valueOf(t.getMessage()).toLowerCase(Locale.ROOT).contains("timeout")
                    || String.valueOf(t.getMessage()).toLowerCase(Locale.ROOT).contains("timed out");
            boolean connection = hasCause(t, ConnectException.class) || hasCause(t, IOException.class);
            String what = timeout ? "no answer within " + config.timeout().toMillis() + " ms" : "cannot reach it: " + rootMessage(t);
            throw new EmbeddingsException("embeddings endpoint " + where + ": " + what, 0, timeout || connection, t);
        }
        if (answer.status() != 200) {
            throw failed(answer.status(), answer.text(), answer, where);
        }
        return parse(answer.body(), expected, where);
    }

    private EmbeddingsException failed(int status, String body, Answer answer, String where) {
        String code = null;
        String message = body == null ? "" : body.strip();
        try {
            var node = json.readTree(body);
            if (node != null && node.has("error")) {
                var err = node.get("error");
                code = err.hasNonNull("code") ? err.get("code").asText() : null;
                message = err.hasNonNull("message") ? err.get("message").asText() : err.toString();
            }
        } catch (IOException | RuntimeException e) {
            // not JSON: the text itself is the message
        }
        if (message.length() > 300) {
            message = message.substring(0, 300) + "...";
        }
        String should = answer.header("x-should-retry");
        boolean billing = status == 429 && code != null && BILLING_CODES.contains(code);
        boolean retryable = !billing && (status == 408 || status == 409 || status == 429 || status >= 500);
        if ("false".equalsIgnoreCase(should)) {
            retryable = false;
        } else if ("true".equalsIgnoreCase(should)) {
            retryable = !billing;
        }
        if (status == 429) {
            throttled.incrementAndGet();
        }
        // a server that asks for more than two minutes is not asking for a retry
        if (answer.serverDelayMs() > MAX_SERVER_DELAY_MS) {
            retryable = false;
        }
        String text = "embeddings endpoint " + where + " answered " + status + (code == null ? "" : " " + code) + ": " + message
                + (billing ? " (a billing limit: waiting will not help)" : "");
        return new EmbeddingsException(text, status, retryable, null);
    }

    /** Checks one vector per input matched by index, the expected dimension (the first vector's when still open), finite values. */
    private List<float[]> parse(byte[] body, int expected, String where) {
        int dims = dimensions;
        var vectors = new float[expected][];
        int count = 0;
        String problem = null;
        try (JsonParser p = json.getFactory().createParser(body)) {
            if (p.nextToken() != JsonToken.START_OBJECT) {
                throw bad(where, "the answer is not a JSON object", body);
            }
            while (p.nextToken() == JsonToken.FIELD_NAME) {
                String field = p.currentName();
                p.nextToken();
                if (field.equals("data") && p.currentToken() == JsonToken.START_ARRAY) {
                    while (p.nextToken() == JsonToken.START_OBJECT) {
                        int index = -1;
                        float[] v = null;
                        while (p.nextToken() == JsonToken.FIELD_NAME) {
                            String f = p.currentName();
                            JsonToken t = p.nextToken();
                            if (f.equals("index") && t == JsonToken.VALUE_NUMBER_INT) {
                                index = p.getIntValue();
                            } else if (f.equals("embedding") && t == JsonToken.VALUE_STRING) {
                                // decoded straight from the parser's buffer (standard Base64, as OpenAI sends it)
                                try {
                                    v = EmbeddingsApi.fromLittleEndian(p.getBinaryValue(BASE64));
                                } catch (com.fasterxml.jackson.core.JsonParseException e) {
                                    throw bad(where, "an embedding that is not valid base64 (" + e.getOriginalMessage() + ")", null);
                                }
                            } else if (f.equals("embedding") && t == JsonToken.START_ARRAY) {
                                var values = new float[dims > 0 ? dims : 256];
                                int n = 0;
                                while (p.nextToken() != JsonToken.END_ARRAY) {
                                    float x = p.getFloatValue();
                                    if (n == values.length) {
                                        values = java.util.Arrays.copyOf(values, values.length * 2);
                                    }
                                    values[n++] = x;
                                }
                                v = n == values.length ? values : java.util.Arrays.copyOf(values, n);
                            } else {
                                p.skipChildren();
                            }
                        }
                        if (index < 0 || index >= expected) {
                            problem = "a vector with index " + index + " for a request of " + expected + " inputs";
                        } else if (v == null) {
                            problem = "no embedding for index " + index;
                        } else if (vectors[index] != null) {
                            problem = "two vectors for index " + index;
                        } else if (dims > 0 && v.length != dims) {
                            problem = "a vector of " + v.length + " dimensions at index " + index + ", expected " + dims;
                        } else if (v.length == 0) {
                            problem = "an empty vector at index " + index;
                        } else {
                            dims = v.length;
                            for (float x : v) {
                                if (!Float.isFinite(x)) {
                                    problem = "a value that is not a finite number at index " + index;
                                    break;
                                }
                            }
                            vectors[index] = v;
                            count++;
                        }
                        if (problem != null) {
                            throw bad(where, problem, null);
                        }
                    }
                } else if (field.equals("usage") && p.currentToken() == JsonToken.START_OBJECT) {
                    while (p.nextToken() == JsonToken.FIELD_NAME) {
                        String f = p.currentName();
                        p.nextToken();
                        if (f.equals("total_tokens") && p.currentToken() == JsonToken.VALUE_NUMBER_INT) {
                            tokens.addAndGet(p.getLongValue());
                        } else {
                            p.skipChildren();
                        }
                    }
                } else {
                    p.skipChildren();
                }
            }
        } catch (IOException e) {
            throw bad(where, "the answer is not valid JSON (" + (e instanceof com.fasterxml.jackson.core.JsonProcessingException jpe ? jpe.getOriginalMessage() : e.getMessage()) + ")", body);
        }
        if (count != expected) {
            throw bad(where, count + " vectors for " + expected + " inputs", null);
        }
        if (dimensions == 0) {
            LOG.info("embeddings: the model {} gives vectors of {} dimensions", config.model(), dims);
            dimensions = dims;
        }
        return List.of(vectors);
    }

    private static EmbeddingsException bad(String where, String problem, byte[] body) {
        String shown = "";
        if (body != null) {
            String s = new String(body, 0, Math.min(body.length, 200), StandardCharsets.UTF_8);
            shown = ": " + s.replaceAll("\\s+", " ") + (body.length > 200 ? "..." : "");
        }
        // a malformed answer is a server fault that a retry may cure
        return new EmbeddingsException("embeddings endpoint " + where + " answered with " + problem + shown, 200, true, null);
    }

    private static boolean hasCause(Throwable t, Class<? extends Throwable> type) {
        for (Throwable c = t; c != null; c = c.getCause()) {
            if (type.isInstance(c)) {
                return true;
            }
        }
        return false;
    }

    private static String rootMessage(Throwable t) {
        Throwable c = t;
        while (c.getCause() != null && c.getCause() != c) {
            c = c.getCause();
        }
        return c.getClass().getSimpleName() + (c.getMessage() == null ? "" : ": " + c.getMessage());
    }

    @Override
    public void close() {
        http.close();
    }
}
