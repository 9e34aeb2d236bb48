package batchimage.vectors.local;

import static batchimage.vectors.local.PineconeArguments.checkDimension;
import static batchimage.vectors.local.PineconeArguments.id;
import static batchimage.vectors.local.PineconeArguments.ids;
import static batchimage.vectors.local.PineconeArguments.metadata;
import static batchimage.vectors.local.PineconeArguments.namespace;

import batchimage.http.JsonAnswer;
import batchimage.vectors.Filter;
import batchimage.vectors.FilterException;
import batchimage.vectors.FilterParser;
import batchimage.vectors.VectorRecord;
import batchimage.vectors.local.PineconeArguments.Invalid;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Pinecone's data plane (PROTOCOLS.md A.1 to A.6) over the local index: the same JSON, limits and
 * error shape ({@code {"code": 3, "message": ..., "details": []}} with 400 for invalid arguments). Each
 * operation reads its arguments through {@link PineconeArguments}.
 */
public final class PineconeApi {

    public static final int MAX_UPSERT = 1000;
    public static final int MAX_METADATA_BYTES = 40 * 1024;
    public static final int MAX_ID = 512;
    public static final int MAX_TOP_K = 10_000;
    public static final int MAX_IDS = 1000;

    private final LocalPinecone index;
    /** Vectors are mostly numbers: Jackson's fast float parser and writer; bodies nest no deeper than RequestJson's bound. */
    private final ObjectMapper json = batchimage.http.RequestJson.builder()
            .enable(com.fasterxml.jackson.core.StreamReadFeature.USE_FAST_DOUBLE_PARSER)
            .enable(com.fasterxml.jackson.core.StreamWriteFeature.USE_FAST_DOUBLE_WRITER).build();
    private final PineconeArguments arguments;

    public PineconeApi(LocalPinecone index) {
        this.index = index;
        this.arguments = new PineconeArguments(index, json);
    }

    @FunctionalInterface
    interface Handler {
        JsonNode handle(JsonNode request) throws IOException;
    }

    private JsonAnswer run(byte[] body, Handler h) {
        try {
            JsonNode req = body == null || body.length == 0 ? json.createObjectNode() : json.readTree(body);
            if (req == null || !req.isObject()) {
                throw new Invalid("The request body must be a JSON object");
            }
            return new JsonAnswer(200, json.writeValueAsBytes(h.handle(req)));
        } catch (Invalid e) {
            return error(e.status, e.code, e.getMessage());
        } catch (FilterException e) {
            return error(400, 3, e.getMessage());
        } catch (IOException e) {
            return error(400, 3, "The request body is not valid JSON: " + e.getMessage().lines().findFirst().orElse(""));
        }
    }

    public JsonAnswer error(int status, int code, String message) {
        ObjectNode e = json.createObjectNode();
        e.put("code", code);
        e.put("message", message);
        e.putArray("details");
        try {
            return new JsonAnswer(status, json.writeValueAsBytes(e));
        } catch (IOException x) {
            throw new IllegalStateException(x);
        }
    }

    // ---- endpoints

    public JsonAnswer upsert(byte[] body) {
        return run(body, req -> {
            JsonNode vectors = req.get("vectors");
            if (vectors == null || !vectors.isArray() || vectors.isEmpty()) {
                throw new Invalid("vectors: required, an array of 1 to " + MAX_UPSERT + " records");
            }
            if (vectors.size() > MAX_UPSERT) {
                throw new Invalid("vectors: " + vectors.size() + " records in one upsert, the maximum is " + MAX_UPSERT);
            }
            var records = new ArrayList<VectorRecord>(vectors.size());
            for (int i = 0; i < vectors.size(); i++) {
                records.add(arguments.record(vectors.get(i), "vectors[" + i + "]"));
            }
            // an index that has no dimension yet takes the one of its first vectors, and keeps it
            int dimension = index.dimensionFor(records.get(0).values().length);
            for (VectorRecord r : records) {
                checkDimension(r.values().length, dimension);
            }
            int n = index.namespace(namespace(req), true).upsert(records);
            return json.createObjectNode().put("upsertedCount", n);
        });
    }

    public JsonAnswer query(byte[] body) {
        return run(body, req -> {
            JsonNode k = req.get("topK");
            if (k == null || !k.isIntegralNumber() || !k.canConvertToInt() || k.intValue() < 1 || k.intValue() > MAX_TOP_K) {
                throw new Invalid("topK: required, a whole number from 1 to " + MAX_TOP_K + ", found " + (k == null ? "nothing" : k.toString()));
            }
            boolean byVector = req.hasNonNull("vector");
            boolean byId = req.hasNonNull("id");
            if (byVector == byId) {
                throw new Invalid("exactly one of vector and id is required");
            }
            Filter filter = FilterParser.parse(req.get("filter"));
            String ns = namespace(req);
            LuceneNamespace space = index.namespace(ns, false);
            float[] vector;
            if (byVector) {
                vector = arguments.values(req.get("vector"), "vector");
            } else {
                String id = id(req.get("id"), "id");
                VectorRecord r = space == null ? null : space.fetch(List.of(id)).get(id);
                vector = r == null ? null : r.values();
            }
            ObjectNode out = json.createObjectNode();
            ArrayNode matches = out.putArray("matches");
            if (space != null && vector != null) {
                boolean withValues = req.path("includeValues").asBoolean(false);
                boolean withMetadata = req.path("includeMetadata").asBoolean(false);
                for (LuceneNamespace.Match m : space.query(vector, k.asInt(), filter, withValues, withMetadata)) {
                    ObjectNode o = matches.addObject();
                    o.put("id", m.id());
                    o.put("score", m.score());
                    ArrayNode vs = o.putArray("values");
                    if (m.values() != null) {
                        for (float f : m.values()) {
                            vs.add(f);
                        }
                    }
                    if (m.metadata() != null) {
                        o.set("metadata", json.valueToTree(m.metadata()));
                    }
                }
            }
            out.put("namespace", LocalPinecone.shown(ns));
            out.putObject("usage").put("readUnits", 1);
            return out;
        });
    }

    public JsonAnswer delete(byte[] body) {
        return run(body, req -> {
            boolean all = req.path("deleteAll").asBoolean(false);
            boolean hasIds = req.has("ids");
            boolean hasFilter = req.hasNonNull("filter") && !(req.get("filter").isObject() && req.get("filter").isEmpty());
            if ((all ? 1 : 0) + (hasIds ? 1 : 0) + (hasFilter ? 1 : 0) != 1) {
                throw new Invalid("exactly one of ids, filter and deleteAll is required");
            }
            LuceneNamespace space = index.namespace(namespace(req), false);
            if (hasIds) {
                List<String> ids = ids(req.get("ids"), "ids");
                if (space != null) {
                    space.delete(ids);
                }
            } else if (hasFilter) {
                Filter f = FilterParser.parse(req.get("filter"));
                if (space != null) {
                    space.deleteMatching(f);
                }
            } else if (space != null) {
                space.deleteMatching(null);
                // an emptied index takes the size of the next vectors (a rebuild for a model of another size)
                index.forgetDimension();
            }
            return json.createObjectNode();
        });
    }

    /** GET /vectors/fetch?ids=a&ids=b&namespace=ns */
    public JsonAnswer fetch(List<String> ids, String namespace) {
        return run(null, req -> {
            List<String> wanted = ids(json.valueToTree(ids), "ids");
            if (wanted.isEmpty()) {
                throw new Invalid("ids: at least one id is required");
            }
            LuceneNamespace space = index.namespace(namespace, false);
            ObjectNode out = json.createObjectNode();
            ObjectNode vectors = out.putObject("vectors");
            if (space != null) {
                for (VectorRecord r : space.fetch(wanted).values()) {
                    ObjectNode v = vectors.putObject(r.id());
                    v.put("id", r.id());
                    ArrayNode vs = v.putArray("values");
                    for (float f : r.values()) {
                        vs.add(f);
                    }
                    if (!r.metadata().isEmpty()) {
                        v.set("metadata", json.valueToTree(r.metadata()));
                    }
                }
            }
            out.put("namespace", LocalPinecone.shown(namespace));
            out.putObject("usage").put("readUnits", 1);
            return out;
        });
    }

    /** GET /vectors/list?prefix=&limit=&paginationToken=&namespace= */
    public JsonAnswer list(String prefix, String limit, String token, String namespace) {
        return run(null, req -> {
            int n = 100;
            if (limit != null && !limit.isBlank()) {
                try {
                    n = Integer.parseInt(limit.trim());
                } catch (NumberFormatException e) {
                    throw new Invalid("limit: a whole number from 1 to 100, found '" + limit + "'");
                }
                if (n < 1 || n > 100) {
                    throw new Invalid("limit: a whole number from 1 to 100, found " + n);
                }
            }
            String after = null;
            if (token != null && !token.isBlank()) {
                try {
                    after = new String(Base64.getUrlDecoder().decode(token.trim()), StandardCharsets.UTF_8);
                } catch (IllegalArgumentException e) {
                    throw new Invalid("paginationToken: not a token this index gave out");
                }
            }
            LuceneNamespace space = index.namespace(namespace, false);
            List<String> page = space == null ? List.of() : space.list(prefix, after, n + 1);
            ObjectNode out = json.createObjectNode();
            ArrayNode vectors = out.putArray("vectors");
            for (int i = 0; i < Math.min(n, page.size()); i++) {
                vectors.addObject().put("id", page.get(i));
            }
            if (page.size() > n) {
                out.putObject("pagination").put("next",
                        Base64.getUrlEncoder().encodeToString(page.get(n - 1).getBytes(StandardCharsets.UTF_8)));
            }
            out.put("namespace", LocalPinecone.shown(namespace));
            out.putObject("usage").put("readUnits", 1);
            return out;
        });
    }

    public JsonAnswer update(byte[] body) {
        return run(body, req -> {
            String ns = namespace(req);
            JsonNode set = req.get("setMetadata");
            Map<String, Object> patch = set == null || set.isNull() ? Map.of() : metadata(set, "setMetadata");
            if (req.hasNonNull("filter")) {
                if (req.has("values") || req.has("id")) {
                    throw new Invalid("filter cannot be combined with id or values");
                }
                Filter f = FilterParser.parse(req.get("filter"));
                LuceneNamespace space = index.namespace(ns, false);
                List<String> ids = space == null ? List.of() : space.idsMatching(f, Integer.MAX_VALUE / 2);
                if (!req.path("dryRun").asBoolean(false) && space != null && !patch.isEmpty()) {
                    var changed = new ArrayList<VectorRecord>();
                    for (VectorRecord r : space.fetch(ids).values()) {
                        var m = new LinkedHashMap<>(r.metadata());
                        m.putAll(patch);
                        changed.add(new VectorRecord(r.id(), r.values(), m));
                    }
                    space.upsert(changed);
                }
                return json.createObjectNode().put("matchedRecords", ids.size());
            }
            String id = id(req.get("id"), "id");
            LuceneNamespace space = index.namespace(ns, false);
            VectorRecord r = space == null ? null : space.fetch(List.of(id)).get(id);
            if (r == null) {
                throw new Invalid(404, 5, "Vector with id '" + id + "' not found in namespace '" + LocalPinecone.shown(ns) + "'");
            }
            float[] values = req.hasNonNull("values") ? arguments.values(req.get("values"), "values") : r.values();
            var m = new LinkedHashMap<>(r.metadata());
            m.putAll(patch);
            arguments.checkMetadataSize(m, "setMetadata");
            space.upsert(List.of(new VectorRecord(id, values, m)));
            return json.createObjectNode();
        });
    }

    public JsonAnswer describeIndexStats(byte[] body) {
        return run(body, req -> {
            if (req.hasNonNull("filter") && !(req.get("filter").isObject() && req.get("filter").isEmpty())) {
                throw new Invalid("describe_index_stats does not take a filter on this (serverless-like) index");
            }
            ObjectNode out = json.createObjectNode();
            ObjectNode namespaces = out.putObject("namespaces");
            long total = 0;
            for (var e : index.counts().entrySet()) {
                namespaces.putObject(LocalPinecone.shown(e.getKey())).put("vectorCount", e.getValue());
                total += e.getValue();
            }
            int dimension = index.dimension();
            if (dimension > 0) {
                out.put("dimension", dimension);
            }
            out.put("indexFullness", 0.0);
            out.put("totalVectorCount", total);
            out.put("metric", "cosine");
            out.put("vectorType", "dense");
            return out;
        });
    }
}
