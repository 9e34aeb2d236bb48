package batchimage.vectors.local;

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
 * Top-k of the unit vectors of a segment restricted to some documents (those a filter matches), by
 * comparing them outright instead of walking the graph past the non-matching ones. Each segment's
 * vectors are kept on the heap, made once per segment on its first filtered query and dropped when
 * Lucene closes the segment, in two compact forms: int8 codes (384 bytes a vector of 384 dimensions)
 * and, from 128 dimensions on, one bit a dimension (which side of the segment's mean it lies; 48 bytes).
 *
 * <p>A query compares the int8 codes of the matching documents, or, when more than
 * {@link #MIN_SHORTLIST} match, first their bits (one cache line a vector instead of six: scattered
 * reads are what such a scan waits for) and then the codes of the {@link #MIN_SHORTLIST} nearest by bits.
 * The best {@code max(2k, 200)} by codes are scored again with their float vectors, so every score
 * returned is the exact dot product; at most 2,000 matching documents give exactly the brute-force
 * neighbours, more give them as far as the bits shortlist them (recall@10 1.0 on bench/local-index.sh's
 * 100,000 vectors, checked in ExactScanTest).
 */
final class ExactScan {

    private static final Logger LOG = LoggerFactory.getLogger(ExactScan.class);
    private static final int MIN_RESCORED = 200;
    /** More matching documents than this are first shortlisted by their bits, down to this many. */
    static final int MIN_SHORTLIST = 2000;

    /**
     * One segment's vectors as int8 codes, each with the factor that turns its codes back into floats;
     * and (128 dimensions or more) as bits: which side of the segment's mean vector each component lies.
     */
    private record Codes(int dimension, byte[] codes, float[] unscale, FixedBitSet present, float[] mean, long[] bits) {
        int words() {
            return (dimension + 63) / 64;
        }
    }

    private static final Codes NONE = new Codes(0, new byte[0], new float[0], new FixedBitSet(0), null, null);
    /** Fewer dimensions than this make bits too coarse to shortlist by. */
    static final int BITS_MIN_DIMENSIONS = 128;

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
        int rescored = Math.max(2 * k, MIN_RESCORED);
        int[] docs = matching(accept, present);
        int compared = docs.length;
        int shortlist = Math.max(MIN_SHORTLIST, 10 * rescored);
        if (seg.bits() != null && docs.length > shortlist) {
            // a scattered int8 vector is six cache misses, its bits one: compare bits first
            docs = nearestByBits(seg, target, docs, shortlist);
        }
        var best = new LongHeap(rescored);
        // four at a time, so that fetching their codes from memory overlaps
        int[] sums = new int[4];
        int i = 0;
        for (; i + 3 < docs.length; i += 4) {
            dot.int8x4(codes, docs[i] * dim, docs[i + 1] * dim, docs[i + 2] * dim, docs[i + 3] * dim, q, sums);
            for (int j = 0; j < 4; j++) {
                offer(best, sums[j] * unscale[docs[i + j]], docs[i + j]);
            }
        }
        for (; i < docs.length; i++) {
            offer(best, dot.int8(codes, docs[i] * dim, q) * unscale[docs[i]], docs[i]);
        }
        return rescore(reader, best, target, k, compared);
    }

    /** The documents of {@code accept} that have a vector, in order. */
    private static int[] matching(DocIdSetIterator accept, FixedBitSet present) throws IOException {
        int[] docs = new int[(int) Math.min(Math.max(accept.cost(), 16), present.length() + 1L)];
        int n = 0;
        for (int doc = accept.nextDoc(); doc != DocIdSetIterator.NO_MORE_DOCS; doc = accept.nextDoc()) {
            if (doc < present.length() && present.get(doc)) {
                if (n == docs.length) {
                    docs = Arrays.copyOf(docs, n * 2);
                }
                docs[n++] = doc;
            }
        }
        return n == docs.length ? docs : Arrays.copyOf(docs, n);
    }

    /** The {@code count} (fewer than docs) documents whose bits differ least from the target's, in order. */
    private static int[] nearestByBits(Codes seg, float[] target, int[] docs, int count) {
        int words = seg.words();
        long[] q = new long[words];
        float[] mean = seg.mean();
        for (int d = 0; d < target.length; d++) {
            if (target[d] > mean[d]) {
                q[d >>> 6] |= 1L << (d & 63);
            }
        }
        long[] bits = seg.bits();
        // distances are small integers: a histogram finds the cut, no heap needed
        int[] differ = new int[docs.length];
        int[] histogram = new int[words * 64 + 1];
        for (int i = 0; i < docs.length; i++) {
            int at = docs[i] * words;
            int d = 0;
            for (int w = 0; w < words; w++) {
                d += Long.bitCount(bits[at + w] ^ q[w]);
            }
            differ[i] = d;
            histogram[d]++;
        }
        int cut = 0;
        int below = 0;
        while (below + histogram[cut] < count) {
            below += histogram[cut++];
        }
        // every document nearer than the cut, and as many at the cut as still fit
        int atCut = count - below;
        int[] out = new int[count];
        int n = 0;
        for (int i = 0; i < docs.length; i++) {
            if (differ[i] < cut || differ[i] == cut && atCut-- > 0) {
                out[n++] = docs[i];
            }
        }
        return out;
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
        float[] mean = null;
        long[] bits = null;
        if (dim >= BITS_MIN_DIMENSIONS && (long) maxDoc * ((dim + 63) / 64) < Integer.MAX_VALUE - 16) {
            mean = new float[dim];
            int n = present.cardinality();
            for (int doc = present.nextSetBit(0); doc != DocIdSetIterator.NO_MORE_DOCS;
                    doc = doc + 1 < maxDoc ? present.nextSetBit(doc + 1) : DocIdSetIterator.NO_MORE_DOCS) {
                for (int d = 0; d < dim; d++) {
                    mean[d] += codes[doc * dim + d] * unscale[doc] / n;
                }
            }
            int words = (dim + 63) / 64;
            bits = new long[maxDoc * words];
            for (int doc = present.nextSetBit(0); doc != DocIdSetIterator.NO_MORE_DOCS;
                    doc = doc + 1 < maxDoc ? present.nextSetBit(doc + 1) : DocIdSetIterator.NO_MORE_DOCS) {
                for (int d = 0; d < dim; d++) {
                    if (codes[doc * dim + d] * unscale[doc] > mean[d]) {
                        bits[doc * words + (d >>> 6)] |= 1L << (d & 63);
                    }
                }
            }
        }
        LOG.debug("int8 codes of {} vectors for exact filtered search in {} ms ({} KB)", present.cardinality(),
                (System.nanoTime() - start) / 1_000_000, ((long) codes.length + 4L * maxDoc + (bits == null ? 0 : 8L * bits.length)) / 1024);
        return new Codes(dim, codes, unscale, present, mean, bits);
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
