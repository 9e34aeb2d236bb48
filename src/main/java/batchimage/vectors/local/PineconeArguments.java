package batchimage.vectors.local;

import static batchimage.vectors.local.PineconeApi.MAX_ID;
import static batchimage.vectors.local.PineconeApi.MAX_IDS;
import static batchimage.vectors.local.PineconeApi.MAX_METADATA_BYTES;

import batchimage.vectors.VectorRecord;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The arguments of Pinecone's data plane requests, read and checked as Pinecone checks them: namespaces, ids,
 * dense vectors of the index's dimension, flat metadata within its size limit. A wrong one is refused with
 * the path of the argument ({@code vectors[3].values[7]}) and Pinecone's message.
 */
final class PineconeArguments {

    private final LocalPinecone index;
    private final ObjectMapper json;

    PineconeArguments(LocalPinecone index, ObjectMapper json) {
        this.index = index;
        this.json = json;
    }

    /** A refused request: HTTP status, gRPC code, message. */
    static final class Invalid extends RuntimeException {
        final int status;
        final int code;

        Invalid(String message) {
            this(400, 3, message);
        }

        Invalid(int status, int code, String message) {
            super(message);
            this.status = status;
            this.code = code;
        }
    }

    static String namespace(JsonNode req) {
        JsonNode ns = req.get("namespace");
        if (ns == null || ns.isNull()) {
            return "";
        }
        if (!ns.isTextual()) {
            throw new Invalid("namespace: must be a string");
        }
        String s = ns.textValue();
        if (s.length() > MAX_ID || !ascii(s)) {
            throw new Invalid("namespace: at most " + MAX_ID + " ASCII characters");
        }
        return s.equals(LocalPinecone.DEFAULT_FOLDER) ? "" : s;
    }

    VectorRecord record(JsonNode v, String path) {
        if (!v.isObject()) {
            throw new Invalid(path + ": a record must be an object");
        }
        String id = id(v.get("id"), path + ".id");
        if (!v.hasNonNull("values")) {
            throw new Invalid(path + ".values: required (this index is dense)");
        }
        float[] values = values(v.get("values"), path + ".values");
        Map<String, Object> metadata = v.hasNonNull("metadata") ? metadata(v.get("metadata"), path + ".metadata") : Map.of();
        checkMetadataSize(metadata, path + ".metadata");
        return new VectorRecord(id, values, metadata);
    }

    static String id(JsonNode n, String path) {
        if (n == null || !n.isTextual() || n.textValue().isEmpty()) {
            throw new Invalid(path + ": required, a non-empty string");
        }
        String id = n.textValue();
        if (id.length() > MAX_ID) {
            throw new Invalid(path + ": " + id.length() + " characters, the maximum is " + MAX_ID);
        }
        if (!ascii(id)) {
            throw new Invalid(path + ": ids must be ASCII without NUL characters");
        }
        return id;
    }

    static List<String> ids(JsonNode n, String path) {
        if (n == null || !n.isArray()) {
            throw new Invalid(path + ": an array of ids is required");
        }
        if (n.size() > MAX_IDS) {
            throw new Invalid(path + ": " + n.size() + " ids, the maximum is " + MAX_IDS);
        }
        var out = new ArrayList<String>(n.size());
        for (int i = 0; i < n.size(); i++) {
            out.add(id(n.get(i), path + "[" + i + "]"));
        }
        return out;
    }

    float[] values(JsonNode n, String path) {
        if (!n.isArray()) {
            throw new Invalid(path + ": an array of numbers is required");
        }
        int dimension = index.dimension();
        if (dimension > 0) {
            checkDimension(n.size(), dimension);
        }
        float[] v = new float[n.size()];
        boolean nonZero = false;
        for (int i = 0; i < v.length; i++) {
            JsonNode x = n.get(i);
            if (!x.isNumber() || !Double.isFinite(x.asDouble())) {
                throw new Invalid(path + "[" + i + "]: must be a finite number");
            }
            v[i] = (float) x.asDouble();
            nonZero |= Math.abs(v[i]) >= 1e-8;
        }
        if (!nonZero) {
            throw new Invalid(path + ": dense vectors must contain at least one non-zero value");
        }
        return v;
    }

    static void checkDimension(int size, int dimension) {
        if (size != dimension) {
            throw new Invalid("Vector dimension " + size + " does not match the dimension of the index " + dimension);
        }
    }

    static Map<String, Object> metadata(JsonNode n, String path) {
        if (!n.isObject()) {
            throw new Invalid(path + ": metadata must be a flat JSON object");
        }
        var out = new LinkedHashMap<String, Object>();
        var it = n.fields();
        while (it.hasNext()) {
            var e = it.next();
            String k = e.getKey();
            JsonNode v = e.getValue();
            String at = path + "." + k;
            if (k.startsWith("$")) {
                throw new Invalid(at + ": metadata keys must not start with '$'");
            }
            if (v.isTextual()) {
                out.put(k, v.textValue());
            } else if (v.isNumber()) {
                out.put(k, v.asDouble());
            } else if (v.isBoolean()) {
                out.put(k, v.booleanValue());
            } else if (v.isArray()) {
                var list = new ArrayList<String>();
                for (JsonNode item : v) {
                    if (!item.isTextual()) {
                        throw new Invalid(at + ": Metadata value must be a string, number, boolean or list of strings");
                    }
                    list.add(item.textValue());
                }
                out.put(k, list);
            } else {
                throw new Invalid(at + ": Metadata value must be a string, number, boolean or list of strings"
                        + (v.isNull() ? " (null is not supported: leave the key out)" : ""));
            }
        }
        return out;
    }

    void checkMetadataSize(Map<String, Object> metadata, String path) {
        try {
            int size = json.writeValueAsBytes(metadata).length;
            if (size > MAX_METADATA_BYTES) {
                throw new Invalid(path + ": Metadata size is " + size + " bytes, which exceeds the limit of " + MAX_METADATA_BYTES + " bytes per vector");
            }
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    private static boolean ascii(String s) {
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c == 0 || c > 0x7F) {
                return false;
            }
        }
        return true;
    }
}
