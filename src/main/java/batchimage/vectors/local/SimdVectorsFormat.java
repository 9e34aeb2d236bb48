package batchimage.vectors.local;

import java.io.IOException;
import org.apache.lucene.codecs.KnnVectorsFormat;
import org.apache.lucene.codecs.KnnVectorsReader;
import org.apache.lucene.codecs.KnnVectorsWriter;
import org.apache.lucene.codecs.hnsw.DefaultFlatVectorScorer;
import org.apache.lucene.codecs.hnsw.FlatVectorsFormat;
import org.apache.lucene.codecs.hnsw.FlatVectorsScorer;
import org.apache.lucene.codecs.lucene99.Lucene99FlatVectorsFormat;
import org.apache.lucene.codecs.lucene99.Lucene99HnswVectorsReader;
import org.apache.lucene.codecs.lucene99.Lucene99HnswVectorsWriter;
import org.apache.lucene.index.SegmentReadState;
import org.apache.lucene.index.SegmentWriteState;
import org.apache.lucene.index.VectorSimilarityFunction;
import org.apache.lucene.util.hnsw.RandomAccessVectorValues;
import org.apache.lucene.util.hnsw.RandomVectorScorer;
import org.apache.lucene.util.hnsw.RandomVectorScorerSupplier;

/**
 * Lucene's HNSW vectors format (the same files as {@code Lucene99HnswVectorsFormat}) with the dot
 * products of {@link Dots}: SIMD on Java 17, where Lucene 9's own comparisons are plain loops. Building
 * the graph (inserts and merges) and searching it are mostly dot products. Registered for Lucene's SPI
 * under {@value #NAME} (META-INF/services), so segments written with it open with it.
 */
public final class SimdVectorsFormat extends KnnVectorsFormat {

    public static final String NAME = "BatchImageHnsw99";
    /**
     * The HNSW graph: neighbours per node (Lucene's default) and the candidates considered when a vector
     * is inserted (half Lucene's 100: inserting costs half as much, at 0.99 recall@10 on
     * bench/local-index.sh's data; bench/results/local-index.md).
     */
    static final int MAX_CONNECTIONS = 16;
    static final int BEAM_WIDTH = 50;

    private final FlatVectorsFormat flat = new Lucene99FlatVectorsFormat(new DotScorer(Dots.best()));

    public SimdVectorsFormat() {
        super(NAME);
    }

    @Override
    public KnnVectorsWriter fieldsWriter(SegmentWriteState state) throws IOException {
        return new Lucene99HnswVectorsWriter(state, MAX_CONNECTIONS, BEAM_WIDTH, flat.fieldsWriter(state), 1, null);
    }

    @Override
    public KnnVectorsReader fieldsReader(SegmentReadState state) throws IOException {
        return new Lucene99HnswVectorsReader(state, flat.fieldsReader(state));
    }

    @Override
    public int getMaxDimensions(String fieldName) {
        return 1024;
    }

    @Override
    public String toString() {
        return NAME + "(maxConn=" + MAX_CONNECTIONS + ", beamWidth=" + BEAM_WIDTH + ", dots=" + (Dots.best().simd() ? "SIMD" : "scalar") + ")";
    }

    /** Scores float vectors by dot product with {@link Dots}, as Lucene's DOT_PRODUCT does; anything else as Lucene does. */
    static final class DotScorer implements FlatVectorsScorer {
        private final Dots dots;

        DotScorer(Dots dots) {
            this.dots = dots;
        }

        @Override
        public RandomVectorScorerSupplier getRandomVectorScorerSupplier(VectorSimilarityFunction similarity, RandomAccessVectorValues values)
                throws IOException {
            if (similarity == VectorSimilarityFunction.DOT_PRODUCT && values instanceof RandomAccessVectorValues.Floats floats) {
                return new Supplier(floats, dots);
            }
            return DefaultFlatVectorScorer.INSTANCE.getRandomVectorScorerSupplier(similarity, values);
        }

        @Override
        public RandomVectorScorer getRandomVectorScorer(VectorSimilarityFunction similarity, RandomAccessVectorValues values, float[] target)
                throws IOException {
            if (similarity == VectorSimilarityFunction.DOT_PRODUCT && values instanceof RandomAccessVectorValues.Floats floats) {
                if (target.length != floats.dimension()) {
                    throw new IllegalArgumentException("vector query dimension: " + target.length + " differs from field dimension: " + floats.dimension());
                }
                return new Scorer(floats, target, dots);
            }
            return DefaultFlatVectorScorer.INSTANCE.getRandomVectorScorer(similarity, values, target);
        }

        @Override
        public RandomVectorScorer getRandomVectorScorer(VectorSimilarityFunction similarity, RandomAccessVectorValues values, byte[] target)
                throws IOException {
            return DefaultFlatVectorScorer.INSTANCE.getRandomVectorScorer(similarity, values, target);
        }

        @Override
        public String toString() {
            return "DotScorer(" + (dots.simd() ? "SIMD" : "scalar") + ")";
        }
    }

    /** Scores the vectors of a segment against one vector. */
    private static final class Scorer extends RandomVectorScorer.AbstractRandomVectorScorer {
        private final RandomAccessVectorValues.Floats values;
        private final float[] query;
        private final Dots dots;

        Scorer(RandomAccessVectorValues.Floats values, float[] query, Dots dots) {
            super(values);
            this.values = values;
            this.query = query;
            this.dots = dots;
        }

        @Override
        public float score(int node) throws IOException {
            // Lucene's DOT_PRODUCT score: unit vectors' cosine mapped to [0, 1]
            return Math.max((1 + dots.floats(query, values.vectorValue(node))) / 2, 0);
        }
    }

    /**
     * Scorers against the segment's own vectors (graph building). Two copies of the values, as Lucene's
     * supplier keeps: the one a scorer's query vector was read from must not be read again while it scores.
     */
    private static final class Supplier implements RandomVectorScorerSupplier {
        private final RandomAccessVectorValues.Floats vectors;
        private final RandomAccessVectorValues.Floats queries;
        private final RandomAccessVectorValues.Floats targets;
        private final Dots dots;

        Supplier(RandomAccessVectorValues.Floats vectors, Dots dots) throws IOException {
            this.vectors = vectors;
            this.queries = vectors.copy();
            this.targets = vectors.copy();
            this.dots = dots;
        }

        @Override
        public RandomVectorScorer scorer(int ord) throws IOException {
            return new Scorer(targets, queries.vectorValue(ord), dots);
        }

        @Override
        public RandomVectorScorerSupplier copy() throws IOException {
            return new Supplier(vectors.copy(), dots);
        }
    }
}
