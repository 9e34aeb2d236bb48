package batchimage.support;

import batchimage.embed.EmbeddingsApi;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * An OpenAI-compatible embeddings endpoint for tests whose subject is not the model (crash tests): each text's vector
 * follows from the model's name and the text, so that a query with a record's text finds that record first in vectors
 * of the same model. A text {@code Q:<tag>|<text>} is a test's search query: embedded as {@code <text>}, and the model
 * it was embedded with is recorded under its tag. {@code paceMs} makes each request of document texts take a while.
 */
public final class StubEmbeddings implements AutoCloseable {

    public static final String QUERY = "Q:";

    private final ObjectMapper json = new ObjectMapper();
    private final StubHttpServer server;
    private final int dimensions;
    private final AtomicLong texts = new AtomicLong();
    private final Map<String, String> queryModels = new ConcurrentHashMap<>();
    private volatile long paceMs;

    public StubEmbeddings(int dimensions) {
        this.dimensions = dimensions;
        this.server = new StubHttpServer((r, n) -> answer(r.body()));
    }

    public String url() {
        return server.url("/v1/embeddings");
    }

    public void pace(long ms) {
        paceMs = ms;
    }

    /** Document texts embedded so far (queries not counted). */
    public long texts() {
        return texts.get();
    }

    /** A search query for the text, under a tag of the test's. */
    public static String query(String tag, String text) {
        return QUERY + tag + "|" + text;
    }

    /** The model the query of that tag was embedded with, or null when it never came. */
    public String queryModel(String tag) {
        return queryModels.get(tag);
    }

    private StubHttpServer.Reply answer(String body) {
        try {
            JsonNode req = json.readTree(body);
            String model = req.path("model").asText();
            var inputs = new ArrayList<String>();
            JsonNode input = req.get("input");
            if (input.isArray()) {
                input.forEach(t -> inputs.add(t.asText()));
            } else {
                inputs.add(input.asText());
            }
            boolean base64 = "base64".equals(req.path("encoding_format").asText());
            var out = json.createObjectNode().put("object", "list").put("model", model);
            var list = out.putArray("data");
            boolean query = false;
            for (int i = 0; i < inputs.size(); i++) {
                String text = inputs.get(i);
                if (text.startsWith(QUERY) && text.indexOf('|') > 0) {
                    query = true;
                    int bar = text.indexOf('|');
                    queryModels.put(text.substring(QUERY.length(), bar), model);
                    text = text.substring(bar + 1);
                } else {
                    texts.incrementAndGet();
                }
                float[] v = vector(model, text);
                var item = list.addObject().put("object", "embedding").put("index", i);
                if (base64) {
                    item.put("embedding", EmbeddingsApi.toBase64(v));
                } else {
                    var arr = item.putArray("embedding");
                    for (float f : v) {
                        arr.add(f);
                    }
                }
            }
            out.putObject("usage").put("prompt_tokens", inputs.size()).put("total_tokens", inputs.size());
            var reply = StubHttpServer.Reply.json(200, json.writeValueAsString(out));
            return query || paceMs == 0 ? reply : reply.after(paceMs);
        } catch (IOException | RuntimeException e) {
            return StubHttpServer.Reply.json(400, "{\"error\":{\"message\":\"" + String.valueOf(e.getMessage()).replace('"', '\'')
                    + "\",\"type\":\"invalid_request_error\"}}");
        }
    }

    /** A unit vector of the model and the text. */
    public float[] vector(String model, String text) {
        var rnd = new Random((model + "\n" + text).hashCode());
        float[] v = new float[dimensions];
        double norm = 0;
        for (int i = 0; i < v.length; i++) {
            v[i] = (float) rnd.nextGaussian();
            norm += v[i] * v[i];
        }
        for (int i = 0; i < v.length; i++) {
            v[i] /= (float) Math.sqrt(norm);
        }
        return v;
    }

    @Override
    public void close() {
        server.close();
    }
}
