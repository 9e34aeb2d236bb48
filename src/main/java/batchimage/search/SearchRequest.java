package batchimage.search;

import batchimage.http.ApiError;
import batchimage.library.LibraryFilter;

import batchimage.vectors.Filter;
import batchimage.vectors.FilterException;
import batchimage.vectors.FilterParser;
import batchimage.http.HttpRequests;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.util.Iterator;
import java.util.List;
import java.util.Map;

/**
 * A search as the API takes it (docs/API.md "Search"), checked before anything is embedded or sent:
 * every refusal is an {@link ApiError} naming the offending part.
 *
 * @param query the text to search by meaning; empty: list the records the filter matches
 * @param filterJson the filter as given (sent as it is to the index), or null
 * @param filter the same, parsed (for PostgreSQL), or null
 * @param like a record's id: search by that record's own stored vectors instead of a query (never with one), or null
 * @param mode {@code hybrid} (the lexical list fused with the namespace's dense lists: the default), {@code dense}
 *             (the namespace's vectors alone: the default when a namespace is given) or {@code lexical} (the words alone)
 */
public record SearchRequest(String query, String namespace, int topK, boolean includeMetadata, JsonNode filterJson, Filter filter, String like,
                            String mode) {

    public static final String PROMPT = "prompt";
    public static final String DESCRIPTION = "description";
    public static final String BOTH = "both";
    public static final List<String> NAMESPACES = List.of(PROMPT, DESCRIPTION, BOTH);
    public static final String HYBRID = "hybrid";
    public static final String DENSE = "dense";
    public static final String LEXICAL = "lexical";
    public static final List<String> MODES = List.of(HYBRID, DENSE, LEXICAL);
    public static final int DEFAULT_TOP_K = 10;
    public static final int MAX_TOP_K = 1000;
    /** The vector metadata keys (DESIGN.md "Records"): a filter on any other key could only ever match nothing. */
    public static final List<String> FIELDS = LibraryFilter.FIELDS;

    private static final ObjectMapper JSON = batchimage.http.RequestJson.mapper();

    /** Whether this lists the records the filter matches rather than searching by meaning. */
    public boolean listing() {
        return query.isEmpty() && like == null;
    }

    /** A checked request; {@code filterJson} null or an empty object means no filter. */
    public static SearchRequest of(String query, String namespace, Integer topK, Boolean includeMetadata, JsonNode filterJson) {
        return of(query, namespace, topK, includeMetadata, filterJson, null);
    }

    /** As above, or the records nearest to the record {@code like} (a UUID; null or blank: none), never with a query. */
    public static SearchRequest of(String query, String namespace, Integer topK, Boolean includeMetadata, JsonNode filterJson, String like) {
        return of(query, namespace, topK, includeMetadata, filterJson, like, null);
    }

    /**
     * As above, in {@code mode} (hybrid, dense, lexical; null or blank: hybrid, or dense when a namespace is given or
     * with like, which searches by stored vectors).
     */
    public static SearchRequest of(String query, String namespace, Integer topK, Boolean includeMetadata, JsonNode filterJson, String like,
                                   String mode) {
        String q = query == null ? "" : query.strip();
        String similar = like == null || like.isBlank() ? null : likeId(like.strip());
        if (similar != null && !q.isEmpty()) {
            throw ApiError.badRequest("like", "give either a query or like (a record's id), not both: like searches by the record's own vectors");
        }
        boolean namespaceGiven = namespace != null && !namespace.isBlank();
        String ns = namespaceGiven ? namespace.strip() : BOTH;
        if (!NAMESPACES.contains(ns)) {
            throw ApiError.badRequest("namespace", "namespace must be prompt, description or both, found '" + namespace + "'");
        }
        String m = mode == null || mode.isBlank() ? (namespaceGiven || similar != null ? DENSE : HYBRID) : mode.strip();
        if (!MODES.contains(m)) {
            throw ApiError.badRequest("mode", "mode must be hybrid, dense or lexical, found '" + mode + "'");
        }
        if (m.equals(LEXICAL) && namespaceGiven) {
            throw ApiError.badRequest("namespace", "namespace chooses dense lists; mode lexical has none: leave namespace out, or use mode hybrid");
        }
        if (similar != null && !m.equals(DENSE)) {
            throw ApiError.badRequest("mode", "like searches by the record's stored vectors: mode must be dense (or left out), found '" + m + "'");
        }
        int k = topK == null ? DEFAULT_TOP_K : topK;
        if (k < 1 || k > MAX_TOP_K) {
            throw ApiError.badRequest("top_k", "top_k must be from 1 to " + MAX_TOP_K + ", found " + k);
        }
        JsonNode f = filterJson == null || filterJson.isNull() || filterJson.isObject() && filterJson.isEmpty() ? null : filterJson;
        Filter parsed;
        try {
            parsed = FilterParser.parse(f);
        } catch (FilterException e) {
            throw ApiError.badRequest(e.path(), e.getMessage());
        }
        if (f != null) {
            LibraryFilter.checkFields(f, "filter");
        }
        if (q.isEmpty() && f == null && similar == null) {
            throw ApiError.badRequest("query", "give a query to search by meaning, or a filter to list the records it matches (or both)");
        }
        return new SearchRequest(q, ns, k, includeMetadata == null || includeMetadata, f, parsed, similar, m);
    }

    /** A record id as like takes it: a UUID in its usual 36-character form, lower case. */
    static String likeId(String id) {
        try {
            if (id.length() == 36) {
                return java.util.UUID.fromString(id).toString();
            }
        } catch (IllegalArgumentException e) {
            // answered below
        }
        throw ApiError.badRequest("like", "like takes a record's id, a UUID (8-4-4-4-12 hex digits), found '" + id + "'");
    }

    /** From {@code POST /api/search}'s JSON body. */
    public static SearchRequest fromJson(byte[] body) {
        JsonNode req = ApiError.objectBody(body, "{\"query\": \"bull market\", \"namespace\": \"both\", \"top_k\": 10}");
        String query = text(req, "query");
        String namespace = text(req, "namespace");
        Integer topK = null;
        JsonNode k = req.get("top_k");
        if (k != null && !k.isNull()) {
            if (!k.canConvertToInt() || !k.isIntegralNumber()) {
                throw ApiError.badRequest("top_k", "top_k must be a whole number from 1 to " + MAX_TOP_K + ", found " + k);
            }
            topK = k.intValue();
        }
        Boolean include = null;
        JsonNode m = req.get("include_metadata");
        if (m != null && !m.isNull()) {
            if (!m.isBoolean()) {
                throw ApiError.badRequest("include_metadata", "include_metadata must be true or false, found " + m);
            }
            include = m.booleanValue();
        }
        JsonNode filter = req.get("filter");
        if (filter != null && !filter.isNull() && !filter.isObject()) {
            throw ApiError.badRequest("filter", "filter must be a JSON object in Pinecone's filter language, such as {\"theme\": {\"$eq\": \"coco\"}}");
        }
        return of(query, namespace, topK, include, filter, text(req, "like"), text(req, "mode"));
    }

    /** From {@code GET /api/search?q=&mode=&namespace=&top_k=&filter=<JSON>&include_metadata=&like=}. */
    public static SearchRequest fromQuery(Map<String, List<String>> params) {
        String k = HttpRequests.first(params, "top_k");
        Integer topK = null;
        if (k != null && !k.isBlank()) {
            try {
                topK = Integer.parseInt(k.strip());
            } catch (NumberFormatException e) {
                throw ApiError.badRequest("top_k", "top_k must be a whole number from 1 to " + MAX_TOP_K + ", found '" + k + "'");
            }
        }
        String m = HttpRequests.first(params, "include_metadata");
        Boolean include = null;
        if (m != null && !m.isBlank()) {
            if (!m.equals("true") && !m.equals("false")) {
                throw ApiError.badRequest("include_metadata", "include_metadata must be true or false, found '" + m + "'");
            }
            include = Boolean.valueOf(m);
        }
        String q = HttpRequests.first(params, "q");
        if (q == null) {
            q = HttpRequests.first(params, "query");
        }
        return of(q, HttpRequests.first(params, "namespace"), topK, include, parseFilter(HttpRequests.first(params, "filter")),
                HttpRequests.first(params, "like"), HttpRequests.first(params, "mode"));
    }

    /** A filter given as JSON text (a query parameter, the command line's --filter); blank: none. */
    public static JsonNode parseFilter(String text) {
        if (text == null || text.isBlank()) {
            return null;
        }
        try {
            JsonNode f = JSON.readTree(text);
            if (f == null || !f.isObject()) {
                throw ApiError.badRequest("filter", "filter must be a JSON object in Pinecone's filter language, such as {\"theme\": {\"$eq\": \"coco\"}}");
            }
            return f;
        } catch (IOException e) {
            throw ApiError.badRequest("filter", "filter is not JSON: " + e.getMessage().lines().findFirst().orElse(""));
        }
    }

    private static String text(JsonNode req, String key) {
        JsonNode v = req.get(key);
        if (v == null || v.isNull()) {
            return null;
        }
        if (!v.isTextual()) {
            throw ApiError.badRequest(key, key + " must be a string, found " + v);
        }
        return v.textValue();
    }

    /** The library's filter check (LibraryFilter), as search and delete apply it. */
    public static Filter checkedFilter(JsonNode filterJson) {
        return LibraryFilter.checked(filterJson);
    }
}
