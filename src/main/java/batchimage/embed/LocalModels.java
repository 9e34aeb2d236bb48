package batchimage.embed;

import dev.langchain4j.data.embedding.Embedding;
import dev.langchain4j.data.segment.TextSegment;
import dev.langchain4j.model.embedding.EmbeddingModel;
import dev.langchain4j.model.embedding.onnx.allminilml6v2q.AllMiniLmL6V2QuantizedEmbeddingModel;
import dev.langchain4j.model.embedding.onnx.bgesmallenv15q.BgeSmallEnV15QuantizedEmbeddingModel;
import dev.langchain4j.model.output.Response;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Supplier;

/**
 * The embedding models that run inside the process (ONNX, shipped in Maven jars), each loaded once on
 * first use. Vectors come back unit-length, so that cosine and dot product agree.
 */
public final class LocalModels {

    public static final String MINILM = "all-minilm-l6-v2-q";
    public static final String BGE = "bge-small-en-v1.5-q";

    private record Spec(int dimensions, Supplier<EmbeddingModel> loader) {
    }

    private final Map<String, Spec> specs = new LinkedHashMap<>();
    private final Map<String, EmbeddingModel> loaded = new ConcurrentHashMap<>();

    public LocalModels() {
        specs.put(MINILM, new Spec(384, AllMiniLmL6V2QuantizedEmbeddingModel::new));
        specs.put(BGE, new Spec(384, BgeSmallEnV15QuantizedEmbeddingModel::new));
    }

    /** Vectors for texts, in order, and the tokens the model read. */
    public record Embedded(List<float[]> vectors, int tokens) {
    }

    public Set<String> names() {
        return specs.keySet();
    }

    public boolean has(String model) {
        return specs.containsKey(model);
    }

    public int dimensions(String model) {
        Spec s = specs.get(model);
        if (s == null) {
            throw new IllegalArgumentException("unknown local model '" + model + "'; known: " + names());
        }
        return s.dimensions();
    }

    private EmbeddingModel model(String name) {
        return loaded.computeIfAbsent(name, n -> {
            Spec s = specs.get(n);
            if (s == null) {
                throw new IllegalArgumentException("unknown local model '" + n + "'; known: " + names());
            }
            return s.loader().get();
        });
    }

    /** Loads a model now rather than on the first request. */
    public void warmUp(String name) {
        model(name).embed("warm up");
    }

    public Embedded embed(String name, List<String> texts) {
        var segments = new ArrayList<TextSegment>(texts.size());
        for (String t : texts) {
            segments.add(TextSegment.from(t));
        }
        Response<List<Embedding>> r = model(name).embedAll(segments);
        var out = new ArrayList<float[]>(texts.size());
        for (Embedding e : r.content()) {
            out.add(normalized(e.vector()));
        }
        int tokens = r.tokenUsage() != null && r.tokenUsage().inputTokenCount() != null ? r.tokenUsage().inputTokenCount() : 0;
        return new Embedded(out, tokens);
    }

    static float[] normalized(float[] v) {
        double sum = 0;
        for (float x : v) {
            sum += x * x;
        }
        double norm = Math.sqrt(sum);
        if (norm == 0 || Math.abs(norm - 1) < 1e-6) {
            return v;
        }
        float[] out = new float[v.length];
        for (int i = 0; i < v.length; i++) {
            out[i] = (float) (v[i] / norm);
        }
        return out;
    }
}
