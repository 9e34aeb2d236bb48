package batchimage.embed;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Supplier;

/**
 * The embedding models that run inside the process (the ONNX models and tokenizers of langchain4j's model
 * jars, on ONNX Runtime: {@link BertOnnxModel}), each loaded once on first use, all computing on the
 * process's {@link InferenceLanes}. Vectors come back unit-length, so that cosine and dot product agree.
 */
public final class LocalModels implements AutoCloseable {

    public static final String MINILM = "all-minilm-l6-v2-q";
    public static final String BGE = "bge-small-en-v1.5-q";

    private record Spec(int dimensions, Supplier<BertOnnxModel> loader) {
    }

    private final Map<String, Spec> specs = new LinkedHashMap<>();
    private final Map<String, BertOnnxModel> loaded = new ConcurrentHashMap<>();
    private final InferenceLanes lanes = InferenceLanes.shared();

    public LocalModels() {
        // langchain4j's AllMiniLmL6V2QuantizedEmbeddingModel and BgeSmallEnV15QuantizedEmbeddingModel: the same files and pooling
        specs.put(MINILM, new Spec(384, () -> BertOnnxModel.fromClassPath(MINILM, "all-minilm-l6-v2-q.onnx",
                "all-minilm-l6-v2-q-tokenizer.json", BertOnnxModel.Pooling.MEAN)));
        specs.put(BGE, new Spec(384, () -> BertOnnxModel.fromClassPath(BGE, "bge-small-en-v1.5-q.onnx",
                "bge-small-en-v1.5-q-tokenizer.json", BertOnnxModel.Pooling.CLS)));
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

    private BertOnnxModel model(String name) {
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

    /** Vectors for texts, in order: one text on the caller's thread, more on every lane. */
    public Embedded embed(String name, List<String> texts) {
        BertOnnxModel m = model(name);
        List<BertOnnxModel.Vector> vectors = lanes.map(texts, m::embed);
        var out = new ArrayList<float[]>(texts.size());
        int tokens = 0;
        for (BertOnnxModel.Vector v : vectors) {
            out.add(normalized(v.values()));
            tokens += v.tokens();
        }
        return new Embedded(out, tokens);
    }

    /** Frees the loaded models' native memory. */
    @Override
    public void close() {
        loaded.values().forEach(BertOnnxModel::close);
        loaded.clear();
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
