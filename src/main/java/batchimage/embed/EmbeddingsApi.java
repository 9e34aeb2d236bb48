package batchimage.embed;

import batchimage.http.JsonAnswer;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.StreamWriteFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Set;

/**
 * The local, OpenAI-compatible {@code POST /v1/embeddings}, {@code GET /v1/models} and {@code GET /v1/models/{id}}: request checks,
 * response and error shapes as OpenAI's (PROTOCOLS.md B.1), backed by {@link LocalModels}.
 */
public final class EmbeddingsApi {

    public static final int MAX_INPUTS = 2048;
    private static final Set<String> FIELDS = Set.of("input", "model", "dimensions", "encoding_format", "user", "input_type");

    private final LocalModels models;
    private final ObjectMapper json = batchimage.http.RequestJson.builder().enable(StreamWriteFeature.USE_FAST_DOUBLE_WRITER).build();

    public EmbeddingsApi(LocalModels models) {
        this.models = models;
    }

    /** A request the API refuses, in OpenAI's error shape. */
    static final class Refused extends RuntimeException {
        final int status;
        final String param;
        final String code;

        Refused(int status, String message, String param, String code) {
            super(message);
            this.status = status;
            this.param = param;
            this.code = code;
        }
    }

    public JsonAnswer embeddings(byte[] body) {
        try {
            return new JsonAnswer(200, embed(body));
        } catch (Refused r) {
            return error(r.status, r.getMessage(), "invalid_request_error", r.param, r.code);
        }
    }

    private byte[] embed(byte[] body) {
        JsonNode req;
        try {
            req = json.readTree(body == null ? new byte[0] : body);
        } catch (IOException e) {
            throw new Refused(400, "We could not parse the JSON body of your request. (HINT: This likely means you aren't using your"
                    + " HTTP library correctly. The OpenAI API expects a JSON payload.)", null, null);
        }
        if (req == null || !req.isObject()) {
            throw new Refused(400, "The request body must be a JSON object.", null, null);
        }
        var names = req.fieldNames();
        while (names.hasNext()) {
            String f = names.next();
            if (!FIELDS.contains(f)) {
                throw new Refused(400, "Unrecognized request argument supplied: " + f, f, null);
            }
        }
        JsonNode modelNode = req.get("model");
        if (modelNode == null || !modelNode.isTextual() || modelNode.asText().isBlank()) {
            throw new Refused(400, "you must provide a model parameter", "model", null);
        }
        String model = modelNode.asText();
        if (!models.has(model)) {
            throw new Refused(404, "The model `" + model + "` does not exist or you do not have access to it. Models served here: "
                    + models.names(), "model", "model_not_found");
        }
        List<String> inputs = inputs(req.get("input"));
        int dims = models.dimensions(model);
        JsonNode d = req.get("dimensions");
        if (d != null && !d.isNull() && (!d.isIntegralNumber() || d.asInt() != dims)) {
            throw new Refused(400, "This model does not support specifying dimensions other than its own (" + dims + "); found "
                    + d.toString(), "dimensions", null);
        }
        JsonNode f = req.get("encoding_format");
        String format = f == null || f.isNull() ? "float" : f.asText();
        if (!format.equals("float") && !format.equals("base64")) {
            throw new Refused(400, "'" + f.asText() + "' is not one of ['float', 'base64'] - 'encoding_format'", "encoding_format", null);
        }
        LocalModels.Embedded out = models.embed(model, inputs);
        return write(out, model, format.equals("base64"));
    }

    private static List<String> inputs(JsonNode input) {
        if (input == null || input.isNull()) {
            throw new Refused(400, "'input' is a required property", "input", null);
        }
        var out = new ArrayList<String>();
        if (input.isTextual()) {
            out.add(input.textValue());
        } else if (input.isArray()) {
            if (input.isEmpty()) {
                throw new Refused(400, "'input' must be a non-empty string or array of 1 to " + MAX_INPUTS + " strings; got an empty array",
                        "input", null);
            }
            if (input.size() > MAX_INPUTS) {
                throw new Refused(400, "'input' must have at most " + MAX_INPUTS + " items; got " + input.size(), "input", null);
            }
            for (int i = 0; i < input.size(); i++) {
                JsonNode v = input.get(i);
                if (!v.isTextual()) {
                    throw new Refused(400, "'input'[" + i + "] must be a string (token arrays are not supported by this server)",
                            "input", null);
                }
                out.add(v.textValue());
            }
        } else {
            throw new Refused(400, "'input' must be a string or an array of strings", "input", null);
        }
        for (int i = 0; i < out.size(); i++) {
            if (out.get(i).isEmpty()) {
                throw new Refused(400, "'input'[" + i + "] is empty: inputs must be non-empty strings", "input", null);
            }
        }
        return out;
    }

    private byte[] write(LocalModels.Embedded out, String model, boolean base64) {
        var buf = new ByteArrayOutputStream(out.vectors().size() * (base64 ? 2100 : 4200) + 256);
        // base64: each vector's little-endian bytes go through one buffer, encoded by the generator itself (no String)
        ByteBuffer le = ByteBuffer.allocate(base64 && !out.vectors().isEmpty() ? out.vectors().get(0).length * 4 : 0).order(ByteOrder.LITTLE_ENDIAN);
        try (JsonGenerator g = json.getFactory().createGenerator(buf)) {
            g.writeStartObject();
            g.writeStringField("object", "list");
            g.writeArrayFieldStart("data");
            for (int i = 0; i < out.vectors().size(); i++) {
                float[] v = out.vectors().get(i);
                g.writeStartObject();
                g.writeStringField("object", "embedding");
                g.writeNumberField("index", i);
                if (base64) {
                    if (le.capacity() != v.length * 4) {
                        le = ByteBuffer.allocate(v.length * 4).order(ByteOrder.LITTLE_ENDIAN);
                    }
                    le.clear();
                    le.asFloatBuffer().put(v);
                    g.writeFieldName("embedding");
                    // Jackson's default variant is standard Base64 with padding and no line feeds, as OpenAI's
                    g.writeBinary(le.array(), 0, v.length * 4);
                } else {
                    g.writeArrayFieldStart("embedding");
                    for (float x : v) {
                        g.writeNumber(x);
                    }
                    g.writeEndArray();
                }
                g.writeEndObject();
            }
            g.writeEndArray();
            g.writeStringField("model", model);
            g.writeObjectFieldStart("usage");
            g.writeNumberField("prompt_tokens", out.tokens());
            g.writeNumberField("total_tokens", out.tokens());
            g.writeEndObject();
            g.writeEndObject();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return buf.toByteArray();
    }

    /** Little-endian float32, standard Base64: the layout OpenAI's clients decode. */
    public static String toBase64(float[] v) {
        ByteBuffer bb = ByteBuffer.allocate(v.length * 4).order(ByteOrder.LITTLE_ENDIAN);
        bb.asFloatBuffer().put(v);
        return Base64.getEncoder().encodeToString(bb.array());
    }

    public static float[] fromBase64(String s) {
        return fromLittleEndian(Base64.getDecoder().decode(s));
    }

    /** Little-endian float32 bytes (a base64 embedding decoded) as floats. */
    static float[] fromLittleEndian(byte[] bytes) {
        ByteBuffer bb = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
        float[] v = new float[bb.remaining() / 4];
        bb.asFloatBuffer().get(v);
        return v;
    }

    public JsonAnswer models() {
        var root = json.createObjectNode();
        root.put("object", "list");
        var data = root.putArray("data");
        for (String name : models.names()) {
            describe(data.addObject(), name);
        }
        return answer(200, root);
    }

    /** GET /v1/models/{id}: the model as the list gives it, or OpenAI's 404. */
    public JsonAnswer model(String id) {
        if (id == null || !models.has(id)) {
            return error(404, "The model `" + id + "` does not exist or you do not have access to it. Models served here: "
                    + models.names(), "invalid_request_error", "model", "model_not_found");
        }
        return answer(200, describe(json.createObjectNode(), id));
    }

    private com.fasterxml.jackson.databind.node.ObjectNode describe(com.fasterxml.jackson.databind.node.ObjectNode m, String name) {
        m.put("id", name);
        m.put("object", "model");
        m.put("created", 0);
        m.put("owned_by", "batch-image");
        m.put("dimensions", models.dimensions(name));
        return m;
    }

    /** What OpenAI answers a path it has no operation for (404), or a known path asked with another method (405). */
    public JsonAnswer unknownPath(String method, String path, String allowed) {
        String what = method + " " + path;
        return allowed == null ? error(404, "Invalid URL (" + what + ")", "invalid_request_error", null, null)
                : error(405, "Invalid method for URL (" + what + "): this path answers " + allowed, "invalid_request_error", null, null);
    }

    private JsonAnswer answer(int status, JsonNode body) {
        try {
            return new JsonAnswer(status, json.writeValueAsBytes(body));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public JsonAnswer error(int status, String message, String type, String param, String code) {
        var root = json.createObjectNode();
        var err = root.putObject("error");
        err.put("message", message);
        err.put("type", type);
        err.put("param", param);
        err.put("code", code);
        return answer(status, root);
    }
}
