package batchimage.vectors;

import batchimage.config.Settings;
import batchimage.http.RetryingHttp;
import batchimage.http.RetryingHttp.Answer;
import batchimage.vectors.VectorRecord;
import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.core.StreamWriteFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;
import org.apache.camel.CamelContext;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Pinecone's data plane through {@link RetryingHttp} (PROTOCOLS.md A): {@code Api-Key} and
 * {@code X-Pinecone-Api-Version} headers, the host looked up from the index name through the control
 * plane when not given, upserts split to respect 1000 vectors and 2 MB, several requests in flight,
 * 429/5xx retried with backoff, other 4xx reported with Pinecone's message. With no Pinecone settings
 * it talks to the app's own {@code /pinecone}.
 */
public final class PineconeClient implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(PineconeClient.class);
    public static final int MAX_VECTORS = 1000;
    /** Under Pinecone's 2 MB, leaving room for the envelope. */
    public static final int MAX_BYTES = 2 * 1024 * 1024 - 16 * 1024;
    public static final String CONTROL_PLANE = "https://api.pinecone.io";
    /** Ids per fetch: they travel in the URL, which servers cap at a few KB. */
    public static final int FETCH_IDS = 100;

    /** Base 1 s, doubling, at most 60 s, with jitter (Pinecone's guidance, PROTOCOLS.md A.7). */
    private static final RetryingHttp.Backoff BACKOFF = new RetryingHttp.Backoff(1000, 60_000, 0.5);

    private final RetryingHttp http;
    private final String base;
    private final String apiKey;
    private final String apiVersion;
    /** Vectors are mostly numbers: Jackson's fast float writer and parser. */
    private final ObjectMapper json = JsonMapper.builder().enable(StreamWriteFeature.USE_FAST_DOUBLE_WRITER)
            .enable(StreamReadFeature.USE_FAST_DOUBLE_PARSER).build();

    public PineconeClient(String base, String apiKey, String apiVersion, int maxInFlight, int maxRetries, long timeoutMs) {
        this(base, apiKey, apiVersion, maxInFlight, maxRetries, timeoutMs, RetryingHttp.Listener.NONE);
    }

    /** The client needs no Camel context (this form is kept for the callers that pass one). */
    public PineconeClient(CamelContext camel, String base, String apiKey, String apiVersion, int maxInFlight, int maxRetries, long timeoutMs) {
        this(base, apiKey, apiVersion, maxInFlight, maxRetries, timeoutMs, RetryingHttp.Listener.NONE);
    }

    /** The client needs no Camel context (this form is kept for the callers that pass one). */
    public PineconeClient(CamelContext camel, String base, String apiKey, String apiVersion, int maxInFlight, int maxRetries, long timeoutMs,
                          RetryingHttp.Listener listener) {
        this(base, apiKey, apiVersion, maxInFlight, maxRetries, timeoutMs, listener);
    }

    /** {@code listener}: told of every request and retry (the service's metrics). */
    public PineconeClient(String base, String apiKey, String apiVersion, int maxInFlight, int maxRetries, long timeoutMs,
                          RetryingHttp.Listener listener) {
        this.http = new RetryingHttp("pinecone", "pinecone-request",
                new RetryingHttp.Policy(maxInFlight, maxRetries, Duration.ofMillis(timeoutMs), BACKOFF, false), listener);
        this.base = base.replaceAll("/+$", "");
        this.apiKey = apiKey == null || apiKey.isBlank() ? null : apiKey;
        this.apiVersion = apiVersion;
    }

    /** From the settings: PINECONE_HOST, else the host of PINECONE_INDEX from the control plane, else the local /pinecone. */
    public static PineconeClient from(Settings s) {
        return from(s, RetryingHttp.Listener.NONE);
    }

    /** As {@link #from(Settings)}: the client needs no Camel context (this form is kept for the callers that pass one). */
    public static PineconeClient from(CamelContext camel, Settings s) {
        return from(s, RetryingHttp.Listener.NONE);
    }

    /** As {@link #from(Settings, RetryingHttp.Listener)}: the client needs no Camel context. */
    public static PineconeClient from(CamelContext camel, Settings s, RetryingHttp.Listener listener) {
        return from(s, listener);
    }

    /** As {@link #from(Settings)}, telling {@code listener} of every request and retry. */
    public static PineconeClient from(Settings s, RetryingHttp.Listener listener) {
        String key = s.get("pinecone.api-key");
        String host = s.get("pinecone.host");
        String version = s.get("pinecone.api-version");
        int inFlight = s.getInt("pinecone.max-in-flight");
        int retries = s.getInt("pinecone.max-retries");
        long timeout = s.getInt("pinecone.timeout-ms");
        String base;
        if (!host.isBlank()) {
            base = withScheme(host);
        } else if (!key.isBlank()) {
            var lookup = new PineconeClient(s.get("pinecone.control-plane"), key, version, 1, retries, timeout, listener);
            try {
                base = withScheme(lookup.indexHost(s.get("pinecone.index")));
            } finally {
                lookup.close();
            }
        } else {
            String bind = s.get("batch-image.host");
            String h = bind.isBlank() || bind.equals("0.0.0.0") ? "127.0.0.1" : bind;
            base = "http://" + h + ":" + s.get("batch-image.port") + "/pinecone";
            // the app's own /pinecone wants the app's key, sent as Pinecone clients send theirs
            key = s.get("batch-image.api-key").strip();
        }
        LOG.info("vector index: {}", base);
        return new PineconeClient(base, key, version, inFlight, retries, timeout, listener);
    }

    public String base() {
        return base;
    }

    /** Pinecone gives hosts without a scheme: https unless one is written. */
    private static String withScheme(String host) {
        return host.startsWith("http://") || host.startsWith("https://") ? host : "https://" + host;
    }

    /** The control plane's {@code host} of an index (returned without scheme). */
    String indexHost(String index) {
        JsonNode d;
        try {
            d = call("GET", "/indexes/" + index, null, null);
        } catch (PineconeException e) {
            if (e.status() != 404) {
                throw e;
            }
            throw new PineconeException("Pinecone index '" + index + "' was not found by the control plane at " + base
                    + " (check PINECONE_INDEX and that the API key belongs to its project): " + e.getMessage(), 404, false);
        }
        JsonNode host = d.get("host");
        if (host == null || host.asText().isBlank()) {
            throw new PineconeException("Pinecone's description of index '" + index + "' has no host: " + d, 0, false);
        }
        return host.asText();
    }

    /** Upserts records, split to respect both 1000 vectors and 2 MB per request; returns how many were upserted. */
    public int upsert(String namespace, List<VectorRecord> records) {
        var requests = new ArrayList<byte[]>();
        var current = new ArrayList<byte[]>();
        int bytes = 0;
        for (VectorRecord r : records) {
            byte[] v = write(vector(r));
            // Pinecone's limit is on bytes (UTF-8), the comma after each vector included
            int size = v.length + 1;
            if (!current.isEmpty() && (current.size() >= MAX_VECTORS || bytes + size > MAX_BYTES)) {
                requests.add(body(namespace, current));
                current = new ArrayList<>();
                bytes = 0;
            }
            current.add(v);
            bytes += size;
        }
        if (!current.isEmpty()) {
            requests.add(body(namespace, current));
        }
        var calls = new ArrayList<Supplier<JsonNode>>();
        for (byte[] b : requests) {
            calls.add(() -> call("POST", "/vectors/upsert", null, b));
        }
        int n = 0;
        for (JsonNode answer : http.inParallel(calls)) {
            n += answer.path("upsertedCount").asInt(0);
        }
        return n;
    }

    /** Deletes ids in requests of at most 1000. */
    public void delete(String namespace, List<String> ids) {
        for (int i = 0; i < ids.size(); i += MAX_VECTORS) {
            ObjectNode b = json.createObjectNode();
            b.put("namespace", namespace);
            ArrayNode a = b.putArray("ids");
            ids.subList(i, Math.min(ids.size(), i + MAX_VECTORS)).forEach(a::add);
            deleteRequest(b);
        }
    }

    /**
     * POST /vectors/delete; answers false when Pinecone says 404: the namespace holds nothing (it answers so for a
     * namespace never written or already emptied, and its stats may still list one for a while), so nothing was
     * there to delete.
     */
    private boolean deleteRequest(ObjectNode body) {
        try {
            call("POST", "/vectors/delete", null, body.toString().getBytes(StandardCharsets.UTF_8));
            return true;
        } catch (PineconeException e) {
            if (e.status() != 404) {
                throw e;
            }
            return false;
        }
    }

    /** One query match: id, score (meaning depends on the metric), metadata (empty when not asked for). */
    public record Match(String id, double score, Map<String, Object> metadata) {
    }

    /** The topK records nearest to the vector that match the filter (a Pinecone filter, or null), most similar first, with metadata. */
    public List<Match> query(String namespace, float[] vector, int topK, JsonNode filter) {
        ObjectNode b = json.createObjectNode();
        b.put("namespace", namespace);
        b.put("topK", topK);
        b.put("includeMetadata", true);
        ArrayNode a = b.putArray("vector");
        for (float f : vector) {
            a.add(f);
        }
        if (filter != null && !filter.isEmpty()) {
            b.set("filter", filter);
        }
        var out = new ArrayList<Match>();
        for (JsonNode m : call("POST", "/query", null, b.toString().getBytes(StandardCharsets.UTF_8)).path("matches")) {
            out.add(new Match(m.path("id").asText(), m.path("score").asDouble(), metadata(m)));
        }
        return out;
    }

    /** The records with these ids that exist, by id; ids are asked for in requests of at most FETCH_IDS (they go in the URL). */
    public Map<String, VectorRecord> fetch(String namespace, List<String> ids) {
        var out = new LinkedHashMap<String, VectorRecord>();
        for (int i = 0; i < ids.size(); i += FETCH_IDS) {
            var q = new StringBuilder("namespace=").append(encode(namespace));
            ids.subList(i, Math.min(ids.size(), i + FETCH_IDS)).forEach(id -> q.append("&ids=").append(encode(id)));
            call("GET", "/vectors/fetch", q.toString(), null).path("vectors").forEach(v -> {
                float[] values = new float[v.path("values").size()];
                for (int k = 0; k < values.length; k++) {
                    values[k] = v.path("values").get(k).floatValue();
                }
                out.put(v.path("id").asText(), new VectorRecord(v.path("id").asText(), values, metadata(v)));
            });
        }
        return out;
    }

    /** Every id in the namespace that starts with prefix (empty: all), in Pinecone's order, following the pages. */
    public List<String> list(String namespace, String prefix) {
        var out = new ArrayList<String>();
        listPages(namespace, prefix, out::addAll);
        return out;
    }

    /** Hands each page of ids (at most 100, Pinecone's page) to {@code page}, following the pages; returns how many ids there were. */
    public long listPages(String namespace, String prefix, java.util.function.Consumer<List<String>> page) {
        long n = 0;
        String token = null;
        do {
            String q = "namespace=" + encode(namespace) + "&limit=100" + (prefix.isEmpty() ? "" : "&prefix=" + encode(prefix))
                    + (token == null ? "" : "&paginationToken=" + encode(token));
            JsonNode answer = call("GET", "/vectors/list", q, null);
            var ids = new ArrayList<String>();
            answer.path("vectors").forEach(v -> ids.add(v.path("id").asText()));
            n += ids.size();
            if (!ids.isEmpty()) {
                page.accept(ids);
            }
            token = answer.path("pagination").path("next").asText(null);
        } while (token != null && !token.isEmpty());
        return n;
    }

    /** Removes every vector of the namespace (Pinecone's {@code deleteAll}); the namespace stays. False: it held nothing (404). */
    public boolean deleteAll(String namespace) {
        ObjectNode b = json.createObjectNode();
        b.put("namespace", namespace);
        b.put("deleteAll", true);
        return deleteRequest(b);
    }

    private Map<String, Object> metadata(JsonNode holder) {
        JsonNode m = holder.path("metadata");
        return m.isObject() ? json.convertValue(m, new TypeReference<Map<String, Object>>() { }) : Map.of();
    }

    private static String encode(String s) {
        return URLEncoder.encode(s, StandardCharsets.UTF_8);
    }

    /** Vector counts per namespace and the index dimension. */
    public record Stats(Map<String, Long> namespaces, int dimension) {
    }

    public Stats stats() {
        JsonNode d = call("POST", "/describe_index_stats", null, "{}".getBytes(StandardCharsets.UTF_8));
        var counts = new LinkedHashMap<String, Long>();
        d.path("namespaces").fields().forEachRemaining(e -> counts.put(e.getKey(), e.getValue().path("vectorCount").asLong(0)));
        return new Stats(counts, d.path("dimension").asInt(0));
    }

    private ObjectNode vector(VectorRecord r) {
        ObjectNode v = json.createObjectNode();
        v.put("id", r.id());
        ArrayNode a = v.putArray("values");
        for (float f : r.values()) {
            a.add(f);
        }
        if (!r.metadata().isEmpty()) {
            v.set("metadata", json.valueToTree(r.metadata()));
        }
        return v;
    }

    /** An upsert request of vectors already written as JSON: each is written once, to measure and to send. */
    private byte[] body(String namespace, List<byte[]> vectors) {
        var out = new java.io.ByteArrayOutputStream(MAX_BYTES / 4);
        out.writeBytes(("{\"namespace\":" + new String(write(json.getNodeFactory().textNode(namespace)), StandardCharsets.UTF_8)
                + ",\"vectors\":[").getBytes(StandardCharsets.UTF_8));
        for (int i = 0; i < vectors.size(); i++) {
            if (i > 0) {
                out.write(',');
            }
            out.writeBytes(vectors.get(i));
        }
        out.writeBytes("]}".getBytes(StandardCharsets.UTF_8));
        return out.toByteArray();
    }

    private byte[] write(JsonNode n) {
        try {
            return json.writeValueAsBytes(n);
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }

    /** One request, with retries of 408, 429, 5xx and lost connections. */
    JsonNode call(String method, String path, String query, byte[] body) {
        var request = RetryingHttp.Request.json(method, base + path, body).query(query)
                .header("X-Pinecone-Api-Version", apiVersion).header("Api-Key", apiKey);
        return http.send("Pinecone " + method + " " + path, operation(path), request, answer -> read(answer, path));
    }

    /** The operation a path asks for, as metrics name it: upsert, query, fetch, list, delete, describe_index_stats, describe_index. */
    static String operation(String path) {
        return path.startsWith("/indexes/") ? "describe_index" : path.substring(path.lastIndexOf('/') + 1);
    }

    /** The JSON of a 2xx answer; otherwise a PineconeException with Pinecone's message, retryable for 408, 429, 5xx and no answer. */
    private JsonNode read(Answer answer, String path) {
        if (answer.failure() != null) {
            throw new PineconeException("Pinecone at " + base + " cannot be reached: " + answer.failure().getMessage(), 0, true);
        }
        int status = answer.status();
        String text = answer.text();
        if (status < 200 || status >= 300) {
            boolean retryable = status == 408 || status == 429 || status >= 500;
            throw new PineconeException("Pinecone " + path + " answered " + status + ": " + message(text), status, retryable);
        }
        try {
            return text.isBlank() ? json.createObjectNode() : json.readTree(text);
        } catch (IOException e) {
            throw new PineconeException("Pinecone at " + base + path + " answered with something that is not JSON: " + abbreviate(text), status, true);
        }
    }

    /** Pinecone's message from an rpcStatus or control-plane error body, or the plain text the gateway sent. */
    private String message(String text) {
        if (text == null || text.isBlank()) {
            return "(no body)";
        }
        try {
            JsonNode n = json.readTree(text);
            if (n.hasNonNull("message")) {
                return n.get("message").asText();
            }
            if (n.path("error").hasNonNull("message")) {
                return n.get("error").get("message").asText();
            }
        } catch (IOException | RuntimeException e) {
            // plain text, e.g. "Unauthorized"
        }
        return abbreviate(text.strip());
    }

    private static String abbreviate(String s) {
        return s == null ? "" : s.length() > 300 ? s.substring(0, 300) + "..." : s;
    }

    @Override
    public void close() {
        http.close();
    }
}
