package batchimage.vectors.local;

import batchimage.http.JsonAnswer;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Pinecone's control plane (PROTOCOLS.md A.8) for the one local index, so that an SDK given
 * {@code controllerHostUrl: http://host:port/pinecone} finds its index by name: list and describe answer an
 * {@code IndexModel} whose {@code host} is this service's {@code /pinecone}, as the client reached it. Create
 * and delete answer what a single local index can: it exists already (409), no other can be made (403), and
 * it is deletion-protected (403: its vectors are the library's, emptied per namespace instead).
 */
public final class PineconeControlPlane {

    private static final ObjectMapper JSON = new ObjectMapper();

    private final LocalPinecone index;
    private final String name;

    /** {@code name}: the index this service serves (pinecone.index). */
    public PineconeControlPlane(LocalPinecone index, String name) {
        this.index = index;
        this.name = name;
    }

    /** The control plane's error shape: {@code {"error": {"code": ..., "message": ...}, "status": ...}}. */
    public static JsonAnswer error(int status, String code, String message) {
        var e = new LinkedHashMap<String, Object>();
        e.put("code", code);
        e.put("message", message);
        var out = new LinkedHashMap<String, Object>();
        out.put("error", e);
        out.put("status", status);
        return JsonAnswer.of(status, out);
    }

    /** GET /indexes; {@code base}: this service's address as the client reached it, http://host:port. */
    public JsonAnswer list(String base) {
        return JsonAnswer.of(200, Map.of("indexes", List.of(model(base))));
    }

    /** GET /indexes/{name} */
    public JsonAnswer describe(String indexName, String base) {
        return name.equals(indexName) ? JsonAnswer.of(200, model(base)) : notFound(indexName);
    }

    /** POST /indexes */
    public JsonAnswer create(byte[] body) {
        JsonNode req;
        try {
            req = JSON.readTree(body == null ? new byte[0] : body);
        } catch (IOException e) {
            return error(400, "INVALID_ARGUMENT", "The request body is not valid JSON: " + e.getMessage().lines().findFirst().orElse(""));
        }
        if (req == null || !req.path("name").isTextual()) {
            return error(422, "UNPROCESSABLE_ENTITY", "Failed to deserialize the JSON body into the target type: missing field `name`");
        }
        String wanted = req.get("name").textValue();
        if (!name.equals(wanted)) {
            return error(403, "FORBIDDEN", "batch-image serves one local index, '" + name + "', and cannot create index '" + wanted
                    + "' (PINECONE_INDEX names the one it serves)");
        }
        int dimension = index.dimension();
        JsonNode d = req.get("dimension");
        String metric = req.path("metric").asText("cosine");
        String type = req.path("vector_type").asText("dense");
        if (!type.equals("dense") || !metric.equals("cosine") || d != null && dimension > 0 && d.asInt() != dimension) {
            return error(400, "INVALID_ARGUMENT", "Index '" + name + "' exists as a dense index, metric cosine"
                    + (dimension > 0 ? ", dimension " + dimension : "") + "; batch-image's local index cannot be made "
                    + type + ", metric " + metric + (d == null ? "" : ", dimension " + d.asText()));
        }
        return error(409, "ALREADY_EXISTS", "Resource " + name + " already exists");
    }

    /** DELETE /indexes/{name} */
    public JsonAnswer delete(String indexName) {
        if (!name.equals(indexName)) {
            return notFound(indexName);
        }
        return error(403, "FORBIDDEN", "Deletion protection is enabled for index '" + name + "': batch-image's local index holds the"
                + " library's vectors and is not deleted through the API; empty a namespace with deleteAll or DELETE"
                + " /namespaces/{namespace}, or stop the service and remove <data>/index");
    }

    /** PATCH /indexes/{name} */
    public JsonAnswer configure(String indexName) {
        if (!name.equals(indexName)) {
            return notFound(indexName);
        }
        return error(501, "UNIMPLEMENTED", "configure_index is not supported by batch-image's local index: its dimension, metric and"
                + " capacity are fixed, and deletion protection stays enabled");
    }

    private JsonAnswer notFound(String indexName) {
        return error(404, "NOT_FOUND", "Index " + indexName + " not found. batch-image serves one local index, '" + name + "'");
    }

    /** An IndexModel of the 2025-10 control plane; {@code host} with its scheme, which the SDKs keep as given. */
    private Map<String, Object> model(String base) {
        var m = new LinkedHashMap<String, Object>();
        m.put("name", name);
        m.put("vector_type", "dense");
        int dimension = index.dimension();
        if (dimension > 0) {
            m.put("dimension", dimension);
        }
        m.put("metric", "cosine");
        m.put("host", base + "/pinecone");
        m.put("deletion_protection", "enabled");
        m.put("spec", Map.of("serverless", Map.of("cloud", "local", "region", "local",
                "read_capacity", Map.of("mode", "OnDemand", "status", Map.of("state", "Ready")))));
        m.put("status", Map.of("ready", true, "state", "Ready"));
        return m;
    }
}
