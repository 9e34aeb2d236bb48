package batchimage.embed;

import ai.djl.huggingface.tokenizers.Encoding;
import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.nio.LongBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentLinkedQueue;

/**
 * A quantized BERT sentence encoder (the .onnx and tokenizer.json that langchain4j's model jars ship) run
 * straight on ONNX Runtime, giving the vectors langchain4j 1.20's {@code embedAll} gives, bit for bit:
 * <ul>
 * <li>the same tokenizer (DJL's HuggingFaceTokenizer, no padding, the truncation tokenizer.json sets: 128
 * tokens for MiniLM, else 512), the same re-tokenising check langchain4j makes of each text;</li>
 * <li>one text per run, never padded: the models quantize activations per tensor at run time
 * (DynamicQuantizeLinear), so a text batched with others, padded or not, gets another scale (cosine down to
 * 0.975 to langchain4j's, measured on 2,048 prompts in length-sorted batches of 32); batching would save about
 * a tenth of the CPU per text, and a graph quantizing per text costs more than it saves (measured);</li>
 * <li>mean pooling over all tokens or the [CLS] vector, then unit length, in langchain4j's float order.</li>
 * </ul>
 * A session runs on its caller's thread (one intra-op thread, no pool, no spinning): the caller decides the
 * parallelism ({@link InferenceLanes}). Input and output buffers are direct, reused across runs. Thread-safe.
 */
final class BertOnnxModel implements AutoCloseable {

    enum Pooling { MEAN, CLS }

    /** langchain4j's partition size: 512 positions less [CLS] and [SEP]. */
    private static final int MAX_SEQUENCE = 510;
    private static final int MAX_POSITIONS = 512;

    private final String name;
    private final OrtEnvironment env = OrtEnvironment.getEnvironment();
    private final OrtSession session;
    private final HuggingFaceTokenizer tokenizer;
    private final Pooling pooling;
    private final boolean typeIds;
    private final String output;
    private final int dimensions;
    private final ConcurrentLinkedQueue<Buffers> buffers = new ConcurrentLinkedQueue<>();

    /** One text's unit vector and the tokens the model read, without [CLS] and [SEP] (langchain4j's count). */
    record Vector(float[] values, int tokens) {
    }

    /** The inputs and output of one run, for texts up to 512 tokens; a run takes one set and gives it back. */
    private static final class Buffers {
        final LongBuffer ids = direct(MAX_POSITIONS * 8).asLongBuffer();
        final LongBuffer mask = direct(MAX_POSITIONS * 8).asLongBuffer();
        final LongBuffer types = direct(MAX_POSITIONS * 8).asLongBuffer();
        final FloatBuffer hidden;

        Buffers(int dimensions) {
            hidden = direct(MAX_POSITIONS * dimensions * 4).asFloatBuffer();
            for (int i = 0; i < MAX_POSITIONS; i++) {
                mask.put(i, 1);
                types.put(i, 0);
            }
        }

        private static ByteBuffer direct(int bytes) {
            return ByteBuffer.allocateDirect(bytes).order(ByteOrder.nativeOrder());
        }
    }

    /** Loads the model and tokenizer that the class path holds under these names (the langchain4j model jars'). */
    static BertOnnxModel fromClassPath(String name, String modelResource, String tokenizerResource, Pooling pooling) {
        ClassLoader cl = BertOnnxModel.class.getClassLoader();
        try (InputStream model = cl.getResourceAsStream(modelResource); InputStream tokenizer = cl.getResourceAsStream(tokenizerResource)) {
            if (model == null || tokenizer == null) {
                throw new IllegalStateException("local model " + name + ": " + (model == null ? modelResource : tokenizerResource)
                        + " is not on the class path (it comes in the langchain4j-embeddings model jar)");
            }
            return new BertOnnxModel(name, model.readAllBytes(), tokenizer, pooling);
        } catch (IOException e) {
            throw new UncheckedIOException("local model " + name + ": cannot read " + modelResource, e);
        }
    }

    BertOnnxModel(String name, byte[] model, InputStream tokenizerJson, Pooling pooling) throws IOException {
        this.name = name;
        this.pooling = pooling;
        this.tokenizer = HuggingFaceTokenizer.newInstance(tokenizerJson, Map.of("padding", "false"));
        try (var options = new OrtSession.SessionOptions()) {
            options.setOptimizationLevel(OrtSession.SessionOptions.OptLevel.ALL_OPT);
            options.setExecutionMode(OrtSession.SessionOptions.ExecutionMode.SEQUENTIAL);
            // the caller's thread does the work: no intra-op pool, so N callers use N cores and never spin
            options.setIntraOpNumThreads(1);
            options.setInterOpNumThreads(1);
            options.addConfigEntry("session.intra_op.allow_spinning", "0");
            // shapes change with every text: no memory plan to keep per shape
            options.setMemoryPatternOptimization(false);
            this.session = env.createSession(model, options);
            this.typeIds = session.getInputNames().contains("token_type_ids");
            this.output = session.getOutputNames().iterator().next();
            long[] shape = ((ai.onnxruntime.TensorInfo) session.getOutputInfo().get(output).getInfo()).getShape();
            this.dimensions = (int) shape[shape.length - 1];
        } catch (OrtException e) {
            throw new IllegalStateException("local model " + name + ": ONNX Runtime cannot load it: " + e.getMessage(), e);
        }
    }

    int dimensions() {
        return dimensions;
    }

    /** A text's token ids for the model, and the tokens it counts (without [CLS] and [SEP]). */
    record Tokens(long[] ids, int count) {
    }

    /** The token ids a text is embedded from, as langchain4j 1.20 makes them (there: OnnxBertBiEncoder.embed and encode). */
    Tokens tokenIds(String text) {
        Encoding first = tokenizer.encode(text);
        String[] tokens = first.getTokens();
        if (tokens.length <= 2) {
            throw new IllegalArgumentException("Cannot embed empty or whitespace-only text");
        }
        if (tokens.length - 2 > MAX_SEQUENCE) {
            // only a tokenizer that truncates beyond 512 tokens gets here; langchain4j would embed parts and average them
            throw new IllegalStateException("local model " + name + ": the tokenizer gave " + tokens.length + " tokens, more than " + MAX_POSITIONS);
        }
        List<String> inner = Arrays.asList(tokens).subList(1, tokens.length - 1);
        // langchain4j re-tokenises the tokens joined back into a sentence and embeds that sentence if it gives the same
        // tokens (then the ids are the first encoding's), else the tokens glued together
        String sentence = tokenizer.buildSentence(inner);
        String[] again = tokenizer.encode(sentence).getTokens();
        if (again.length == tokens.length && Arrays.equals(again, 1, again.length - 1, tokens, 1, tokens.length - 1)) {
            return new Tokens(first.getIds(), inner.size());
        }
        return new Tokens(tokenizer.encode(String.join("", inner), true, false).getIds(), inner.size());
    }

    /** The unit vector of one text. Runs on the caller's thread. */
    Vector embed(String text) {
        Tokens tokens = tokenIds(text);
        long[] ids = tokens.ids();
        int length = ids.length;
        Buffers b = buffers.poll();
        if (b == null) {
            b = new Buffers(dimensions);
        }
        try {
            return new Vector(run(b, ids), tokens.count());
        } catch (OrtException e) {
            throw new IllegalStateException("local model " + name + ": ONNX Runtime failed on a text of " + length + " tokens: " + e.getMessage(), e);
        } finally {
            buffers.offer(b);
        }
    }

    private float[] run(Buffers b, long[] ids) throws OrtException {
        int length = ids.length;
        long[] shape = {1, length};
        b.ids.clear();
        b.ids.put(ids).flip();
        int hiddenSize = length * dimensions;
        FloatBuffer hidden = b.hidden.duplicate().limit(hiddenSize).slice();
        try (OnnxTensor idsTensor = OnnxTensor.createTensor(env, b.ids, shape);
                OnnxTensor maskTensor = OnnxTensor.createTensor(env, b.mask.duplicate().limit(length).slice(), shape);
                OnnxTensor typesTensor = OnnxTensor.createTensor(env, b.types.duplicate().limit(length).slice(), shape);
                OnnxTensor out = OnnxTensor.createTensor(env, hidden, new long[] {1, length, dimensions})) {
            Map<String, OnnxTensor> inputs = new HashMap<>(4);
            inputs.put("input_ids", idsTensor);
            inputs.put("attention_mask", maskTensor);
            if (typeIds) {
                inputs.put("token_type_ids", typesTensor);
            }
            session.run(inputs, Map.of(output, out)).close();
        }
        return normalize(pool(hidden, length));
    }

    /** langchain4j's meanPool (a float sum over the tokens in order, then divided) or clsPool. */
    private float[] pool(FloatBuffer hidden, int length) {
        float[] v = new float[dimensions];
        if (pooling == Pooling.CLS) {
            hidden.get(0, v);
            return v;
        }
        float[] row = new float[dimensions];
        for (int t = 0; t < length; t++) {
            hidden.get(t * dimensions, row);
            for (int j = 0; j < dimensions; j++) {
                v[j] += row[j];
            }
        }
        for (int j = 0; j < dimensions; j++) {
            v[j] /= length;
        }
        return v;
    }

    /** langchain4j's normalize: a float sum of squares, its float square root, each value divided by it. */
    private static float[] normalize(float[] v) {
        float sum = 0;
        for (float x : v) {
            sum += x * x;
        }
        float norm = (float) Math.sqrt(sum);
        for (int i = 0; i < v.length; i++) {
            v[i] = v[i] / norm;
        }
        return v;
    }

    /** The vectors of several texts, in order, on the caller's thread. */
    List<Vector> embedAll(List<String> texts) {
        var out = new ArrayList<Vector>(texts.size());
        for (String t : texts) {
            out.add(embed(t));
        }
        return out;
    }

    @Override
    public void close() {
        try {
            session.close();
        } catch (OrtException e) {
            // closing at exit: nothing to do about it
        }
        tokenizer.close();
    }

    @Override
    public String toString() {
        return name + " (" + pooling + " pooling, " + dimensions + " dimensions)";
    }
}
