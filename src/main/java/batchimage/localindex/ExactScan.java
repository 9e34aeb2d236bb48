package batchimage.localindex;

import java.io.IOException;
import java.util.Arrays;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.lucene.index.FloatVectorValues;
import org.apache.lucene.index.IndexReader;
import org.apache.lucene.index.LeafReader;
import org.apache.lucene.index.VectorSimilarityFunction;
import org.apache.lucene.search.DocIdSetIterator;
import org.apache.lucene.search.ScoreDoc;
import org.apache.lucene.search.TopDocs;
import org.apache.lucene.search.TotalHits;
import org.apache.lucene.util.FixedBitSet;
import org.apache.lucene.util.LongHeap;
import org.apache.lucene.util.NumericUtils;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Exact top-k of the unit vectors of a segment restricted to some documents (those a filter matches):
 * every one of them is compared, so the answer is exact, and cheaply. Each segment's vectors are kept on
 * the heap as int8 codes (a quarter of their float size: 384 bytes a vector of 384 dimensions), made
 * once per segment on its first filtered query and dropped when Lucene closes the segment. The codes
 * rank all the documents; the best {@code max(2k, 200)} of them are then scored again with their float
 * vectors, so the scores returned are the exact dot products.
 */
final class ExactScan {

    private static final Logger LOG = LoggerFactory.getLogger(ExactScan.class);
    private static final int MIN_RESCORED = 200;

    /** One segment's vectors as int8 codes, each with the factor that turns its codes back into floats. */
    private record Codes(int dimension, byte[] codes, float[] unscale, FixedBitSet present) {
    }

    private static final Codes NONE = new Codes(0, new byte[0], new float[0], new FixedBitSet(0));

    private final String field;
    private final Dots dot = Dots.best();
    private final Map<Object, Codes> segments = new ConcurrentHashMap<>();

    ExactScan(String field) {
        this.field = field;
    }

    /** Whether comparisons are SIMD (several times faster: the exact path can take larger filters). */
    boolean simd() {
        return dot.simd();
    }

    /**
     * The {@code k} documents of {@code accept} nearest to {@code target} (a unit vector) by dot product,
     * scored as Lucene's DOT_PRODUCT similarity scores them, doc ids relative to the segment; null when
     * this segment cannot be held as codes (then nothing of {@code accept} has been consumed).
     */
    TopDocs search(LeafReader reader, DocIdSetIterator accept, float[] target, int k) throws IOException {
        Codes seg = codes(reader);
        if (seg == null) {
            return null;
        }
        if (seg.dimension() == 0) {
            return new TopDocs(new TotalHits(0, TotalHits.Relation.EQUAL_TO), new ScoreDoc[0]);
        }
        if (seg.dimension() != target.length) {
            throw new IllegalArgumentException("vector dimension " + target.length + " does not match the index's " + seg.dimension());
        }
        byte[] q = new byte[target.length];
        quantize(target, 0, q, 0);
        int dim = seg.dimension();
        byte[] codes = seg.codes();
        float[] unscale = seg.unscale();
        FixedBitSet present = seg.present();
        var best = new LongHeap(Math.max(2 * k, MIN_RESCORED));
        int compared = 0;
        // four at a time, so that fetching their codes from memory overlaps
        int[] docs = new int[4];
        int[] sums = new int[4];
        int waiting = 0;
        for (int doc = accept.nextDoc(); doc != DocIdSetIterator.NO_MORE_DOCS; doc = accept.nextDoc()) {
            if (doc >= present.length() || !present.get(doc)) {
                continue;
            }
            compared++;
            docs[waiting++] = doc;
            if (waiting == 4) {
                dot.int8x4(codes, docs[0] * dim, docs[1] * dim, docs[2] * dim, docs[3] * dim, q, sums);
                for (int i = 0; i < 4; i++) {
                    offer(best, sums[i] * unscale[docs[i]], docs[i]);
                }
                waiting = 0;
            }
        }
        for (int i = 0; i < waiting; i++) {
            offer(best, dot.int8(codes, docs[i] * dim, q) * unscale[docs[i]], docs[i]);
        }
        return rescore(reader, best, target, k, compared);
    }

    private static void offer(LongHeap best, float approx, int doc) {
        best.insertWithOverflow((long) NumericUtils.floatToSortableInt(approx) << 32 | doc);
    }

    /** The float scores of the candidates, best k first. */
    private TopDocs rescore(LeafReader reader, LongHeap best, float[] target, int k, int compared) throws IOException {
        int[] docs = new int[best.size()];
        for (int i = 0; i < docs.length; i++) {
            docs[i] = (int) best.get(i + 1);
        }
        Arrays.sort(docs);
        FloatVectorValues vectors = reader.getFloatVectorValues(field);
        var scored = new ScoreDoc[docs.length];
        int n = 0;
        for (int doc : docs) {
            if (vectors.docID() < doc && vectors.advance(doc) == doc) {
                scored[n++] = new ScoreDoc(doc, VectorSimilarityFunction.DOT_PRODUCT.compare(target, vectors.vectorValue()));
            }
        }
        Arrays.sort(scored, 0, n, (a, b) -> a.score != b.score ? Float.compare(b.score, a.score) : Integer.compare(a.doc, b.doc));
        return new TopDocs(new TotalHits(compared, TotalHits.Relation.EQUAL_TO), Arrays.copyOf(scored, Math.min(k, n)));
    }

    private Codes codes(LeafReader reader) throws IOException {
        IndexReader.CacheHelper cache = reader.getCoreCacheHelper();
        if (cache == null) {
            return build(reader);
        }
        Object key = cache.getKey();
        Codes seg = segments.get(key);
        if (seg != null) {
            return seg;
        }
        synchronized (this) {
            seg = segments.get(key);
            if (seg == null) {
                seg = build(reader);
                if (seg == null) {
                    return null;
                }
                segments.put(key, seg);
                cache.addClosedListener(segments::remove);
            }
        }
        return seg;
    }

    /** The segment's vectors as codes; null when they would not fit one array. */
    private Codes build(LeafReader reader) throws IOException {
        FloatVectorValues vectors = reader.getFloatVectorValues(field);
        if (vectors == null) {
            return NONE;
        }
        int dim = vectors.dimension();
        int maxDoc = reader.maxDoc();
        if ((long) maxDoc * dim > Integer.MAX_VALUE - 16) {
            return null;
        }
        long start = System.nanoTime();
        var codes = new byte[maxDoc * dim];
        var unscale = new float[maxDoc];
        var present = new FixedBitSet(maxDoc);
        for (int doc = vectors.nextDoc(); doc != DocIdSetIterator.NO_MORE_DOCS; doc = vectors.nextDoc()) {
            unscale[doc] = quantize(vectors.vectorValue(), 0, codes, doc * dim);
            present.set(doc);
        }
        LOG.debug("int8 codes of {} vectors for exact filtered search in {} ms ({} KB)", present.cardinality(),
                (System.nanoTime() - start) / 1_000_000, ((long) codes.length + 4L * maxDoc) / 1024);
        return new Codes(dim, codes, unscale, present);
    }

    /** Writes v scaled so that its largest component is ±127; returns the factor back to floats. */
    static float quantize(float[] v, int from, byte[] out, int at) {
        float max = 0;
        for (int i = from; i < v.length; i++) {
            max = Math.max(max, Math.abs(v[i]));
        }
        if (max == 0) {
            return 0;
        }
        float scale = 127f / max;
        for (int i = from; i < v.length; i++) {
            out[at + i - from] = (byte) Math.round(v[i] * scale);
        }
        return max / 127f;
    }
}
