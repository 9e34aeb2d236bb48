package batchimage.vectors.local;

import batchimage.http.JsonAnswer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Pinecone's namespace operations over the local index: {@code GET /namespaces}, {@code GET} and
 * {@code DELETE /namespaces/{namespace}}, in the shapes of API 2025-10 (snake_case {@code record_count},
 * {@code total_count}) and its rpcStatus errors. A namespace exists while it holds vectors, as the stats
 * list it; the default one is named {@code "__default__"}. Namespaces come into being with their first
 * upsert, so {@code POST /namespaces} (create, with a metadata schema) is answered as not implemented.
 */
public final class PineconeNamespaces {

    private final LocalPinecone index;
    private final PineconeApi api;

    public PineconeNamespaces(LocalPinecone index, PineconeApi api) {
        this.index = index;
        this.api = api;
    }

    /** Vector counts by the names answers give (sorted bitwise, as Pinecone lists them). */
    private Map<String, Integer> counts() {
        var out = new java.util.TreeMap<String, Integer>();
        index.counts().forEach((name, n) -> out.put(LocalPinecone.shown(name), n));
        return out;
    }

    /** GET /namespaces?prefix=&limit=&paginationToken= */
    public JsonAnswer list(String prefix, String limit, String token) {
        int n = 100;
        if (limit != null && !limit.isBlank()) {
            try {
                n = Integer.parseInt(limit.trim());
            } catch (NumberFormatException e) {
                n = -1;
            }
            if (n < 1 || n > 100) {
                return api.error(400, 3, "limit: a whole number from 1 to 100, found '" + limit + "'");
            }
        }
        String after = null;
        if (token != null && !token.isBlank()) {
            try {
                after = new String(Base64.getUrlDecoder().decode(token.trim()), StandardCharsets.UTF_8);
            } catch (IllegalArgumentException e) {
                return api.error(400, 3, "paginationToken: not a token this index gave out");
            }
        }
        var matching = new ArrayList<Map.Entry<String, Integer>>();
        for (var e : counts().entrySet()) {
            if (prefix == null || e.getKey().startsWith(prefix)) {
                matching.add(e);
            }
        }
        var page = new ArrayList<Map<String, Object>>();
        boolean more = false;
        for (var e : matching) {
            if (after != null && e.getKey().compareTo(after) <= 0) {
                continue;
            }
            if (page.size() == n) {
                more = true;
                break;
            }
            page.add(description(e.getKey(), e.getValue()));
        }
        var out = new LinkedHashMap<String, Object>();
        out.put("namespaces", page);
        if (more) {
            String last = (String) page.get(page.size() - 1).get("name");
            out.put("pagination", Map.of("next", Base64.getUrlEncoder().encodeToString(last.getBytes(StandardCharsets.UTF_8))));
        }
        out.put("total_count", matching.size());
        return JsonAnswer.of(200, out);
    }

    /** GET /namespaces/{namespace} */
    public JsonAnswer describe(String namespace) {
        Integer n = counts().get(LocalPinecone.shown(namespace));
        return n == null ? notFound(namespace) : JsonAnswer.of(200, description(LocalPinecone.shown(namespace), n));
    }

    /** DELETE /namespaces/{namespace}: every vector of it goes, and with them the namespace. */
    public JsonAnswer delete(String namespace) {
        if (!counts().containsKey(LocalPinecone.shown(namespace))) {
            return notFound(namespace);
        }
        LuceneNamespace space = index.namespace(namespace, false);
        if (space != null) {
            space.deleteMatching(null);
            // as after a deleteAll: an index left empty takes the size of the next vectors
            index.forgetDimension();
        }
        return JsonAnswer.of(200, Map.of());
    }

    /** POST /namespaces */
    public JsonAnswer create() {
        return api.error(501, 12, "createNamespace is not supported by batch-image's local index: a namespace is created by its"
                + " first upsert, and every metadata field is filterable (no schema to set)");
    }

    private static Map<String, Object> description(String name, int count) {
        var d = new LinkedHashMap<String, Object>();
        d.put("name", name);
        d.put("record_count", count);
        return d;
    }

    private JsonAnswer notFound(String namespace) {
        return api.error(404, 5, "Namespace '" + LocalPinecone.shown(namespace) + "' not found: it holds no vectors"
                + " (namespaces here: " + List.copyOf(counts().keySet()) + ")");
    }
}
