package batchimage.vectors.local;

import batchimage.vectors.VectorRecord;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import batchimage.vectors.FilterParser;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The exact path of filtered queries: int8 codes to rank, float vectors to score. */
class ExactScanTest {

    @TempDir
    Path dir;

    @Test
    void everyDotsProductAgreesWithThePlainSum() throws Exception {
        var r = new Random(3);
        var impls = new ArrayList<Dots>(List.of(new Dots.Scalar(), Dots.best()));
        if (ModuleLayer.boot().findModule("jdk.incubator.vector").isPresent()) {
            // whatever this machine's registers, the SIMD code must compute the same sums
            impls.add((Dots) Class.forName("batchimage.vectors.local.PanamaDots").getDeclaredConstructor().newInstance());
        }
        for (int len : new int[] {1, 3, 7, 8, 15, 16, 17, 31, 33, 100, 384, 385, 1536}) {
            byte[] q = new byte[len];
            byte[] a = new byte[len * 3 + 5];
            r.nextBytes(q);
            r.nextBytes(a);
            // the extremes: -128 * -128 summed over many dimensions must not overflow a short accumulator
            q[0] = Byte.MIN_VALUE;
            a[len + 2] = Byte.MIN_VALUE;
            for (int offset : new int[] {0, 2, len + 2, 2 * len + 5}) {
                int expected = 0;
                for (int i = 0; i < len; i++) {
                    expected += a[offset + i] * q[i];
                }
                int[] four = new int[4];
                for (Dots impl : impls) {
                    impl.int8x4(a, offset, 0, offset, 2, q, four);
                    assertThat(four[0]).as("dot4 of %s", impl.getClass().getSimpleName()).isEqualTo(expected);
                    assertThat(four[2]).isEqualTo(expected);
                    assertThat(four[1]).isEqualTo(impl.int8(a, 0, q));
                    assertThat(four[3]).isEqualTo(impl.int8(a, 2, q));
                    assertThat(impl.int8(a, offset, q)).as("%s, %d dimensions at %d", impl.getClass().getSimpleName(), len, offset)
                            .isEqualTo(expected);
                }
            }
        }
        byte[] min = new byte[1536];
        java.util.Arrays.fill(min, Byte.MIN_VALUE);
        for (Dots impl : impls) {
            assertThat(impl.int8(min, 0, min)).isEqualTo(1536 * 128 * 128);
        }
    }

    @Test
    void everyFloatDotProductAgreesWithTheExactSum() throws Exception {
        var r = new Random(5);
        var impls = new ArrayList<Dots>(List.of(new Dots.Scalar(), Dots.best()));
        if (ModuleLayer.boot().findModule("jdk.incubator.vector").isPresent()) {
            impls.add((Dots) Class.forName("batchimage.vectors.local.PanamaDots").getDeclaredConstructor().newInstance());
        }
        for (int len : new int[] {1, 5, 8, 15, 16, 17, 33, 384, 385, 1536}) {
            float[] a = new float[len];
            float[] b = new float[len];
            double exact = 0;
            for (int i = 0; i < len; i++) {
                a[i] = (float) r.nextGaussian();
                b[i] = (float) r.nextGaussian();
                exact += (double) a[i] * b[i];
            }
            for (Dots impl : impls) {
                assertThat((double) impl.floats(a, b)).as("%s, %d dimensions", impl.getClass().getSimpleName(), len)
                        .isCloseTo(exact, within(1e-4 * Math.sqrt(len)));
            }
        }
    }

    /** The HNSW graph's scorer gives Lucene's own DOT_PRODUCT scores. */
    @Test
    void theGraphScorerScoresAsLuceneDoes() throws Exception {
        var r = new Random(9);
        var vectors = new ArrayList<float[]>();
        for (int i = 0; i < 50; i++) {
            vectors.add(VectorDocuments.unit(new float[] {(float) r.nextGaussian(), (float) r.nextGaussian(), (float) r.nextGaussian(),
                (float) r.nextGaussian(), (float) r.nextGaussian(), (float) r.nextGaussian(), (float) r.nextGaussian(), (float) r.nextGaussian(),
                (float) r.nextGaussian(), (float) r.nextGaussian(), (float) r.nextGaussian(), (float) r.nextGaussian(), (float) r.nextGaussian(),
                (float) r.nextGaussian(), (float) r.nextGaussian(), (float) r.nextGaussian(), (float) r.nextGaussian()}));
        }
        var values = org.apache.lucene.util.hnsw.RandomAccessVectorValues.fromFloats(vectors, 17);
        var dot = org.apache.lucene.index.VectorSimilarityFunction.DOT_PRODUCT;
        var scorer = new SimdVectorsFormat.DotScorer(Dots.best());
        var supplier = scorer.getRandomVectorScorerSupplier(dot, values);
        for (int i = 0; i < 50; i += 7) {
            var fromSupplier = supplier.scorer(i);
            var fromQuery = scorer.getRandomVectorScorer(dot, values, vectors.get(i));
            for (int j = 0; j < 50; j++) {
                float lucene = dot.compare(vectors.get(i), vectors.get(j));
                assertThat(fromSupplier.score(j)).isCloseTo(lucene, within(1e-6f));
                assertThat(fromQuery.score(j)).isCloseTo(lucene, within(1e-6f));
            }
        }
    }

    @Test
    void quantizedCodesMapBackToTheVector() {
        float[] v = {0.5f, -0.25f, 0.125f, 0f, -0.5f};
        byte[] codes = new byte[v.length];
        float back = ExactScan.quantize(v, 0, codes, 0);
        assertThat(codes).containsExactly((byte) 127, (byte) -63, (byte) 32, (byte) 0, (byte) -127);
        for (int i = 0; i < v.length; i++) {
            assertThat(codes[i] * back).isCloseTo(v[i], within(0.5f / 127));
        }
    }

    /**
     * Several segments (a read between writes flushes one), updated and deleted records, k above and
     * below the candidates rescored: the exact path gives the brute-force neighbours with their cosines.
     */
    @Test
    void filteredQueriesOnTheExactPathGiveTheExactNeighboursAndScores() throws Exception {
        int dim = 48;
        var r = new Random(11);
        var live = new HashMap<String, float[]>();
        var part = new HashMap<String, String>();
        var json = new ObjectMapper();
        try (var ns = new LuceneNamespace("t", dir)) {
            for (int round = 0; round < 4; round++) {
                var batch = new ArrayList<VectorRecord>();
                for (int i = 0; i < 1500; i++) {
                    // a quarter of each round updates records of the rounds before
                    String id = round > 0 && i % 4 == 0 ? "v" + r.nextInt(round * 1500) : "v" + (round * 1500 + i);
                    float[] v = clustered(r, dim);
                    String p = r.nextInt(5) == 0 ? "few" : "many";
                    batch.add(new VectorRecord(id, v, Map.of("part", p)));
                    live.put(id, v);
                    part.put(id, p);
                }
                ns.upsert(batch);
                var gone = new ArrayList<String>();
                for (int i = 0; i < 50; i++) {
                    gone.add("v" + r.nextInt((round + 1) * 1500));
                }
                ns.delete(gone);
                gone.forEach(live::remove);
                // a read flushes what was written as a segment of its own
                assertThat(ns.count()).isEqualTo(live.size());
            }
            assertThat(ns.segments()).isGreaterThan(1);
            var filter = FilterParser.parse(json.readTree("{\"part\": \"few\"}"));
            for (int q = 0; q < 30; q++) {
                float[] query = clustered(r, dim);
                int k = q % 3 == 0 ? 250 : 10;
                var got = ns.query(query, k, filter, false, false);
                var exact = new ArrayList<>(live.keySet().stream().filter(id -> part.get(id).equals("few")).toList());
                exact.sort(Comparator.comparingDouble((String id) -> -cos(live.get(id), query)).thenComparing(id -> id));
                var expected = exact.subList(0, Math.min(k, exact.size()));
                assertThat(got).hasSize(expected.size());
                for (int i = 0; i < got.size(); i++) {
                    var m = got.get(i);
                    assertThat(m.score()).as("score of %s", m.id()).isCloseTo(cos(live.get(m.id()), query), within(1e-5));
                    // ties in the last digits may swap neighbours: compare the score at each rank
                    assertThat(m.score()).as("rank %d", i).isCloseTo(cos(live.get(expected.get(i)), query), within(1e-5));
                }
            }
        }
    }

    /**
     * More matching vectors than the shortlist, of enough dimensions for bits: the bits shortlist the
     * candidates, int8 codes rank them, floats score them. Scores stay exact; the neighbours found are
     * those of brute force (recall@10 measured here, not assumed).
     */
    @Test
    void aBroadFilterIsShortlistedByBitsAndStillFindsTheNeighbours() throws Exception {
        int dim = ExactScan.BITS_MIN_DIMENSIONS + 32;
        var r = new Random(13);
        var vectors = new HashMap<String, float[]>();
        var json = new ObjectMapper();
        try (var ns = new LuceneNamespace("t", dir)) {
            var batch = new ArrayList<VectorRecord>();
            for (int i = 0; i < 6000; i++) {
                float[] v = clustered(r, dim);
                // 'most' matches about 5,000: more than the shortlist
                String part = i % 6 == 0 ? "rest" : "most";
                batch.add(new VectorRecord("v" + i, v, Map.of("part", part)));
                if (part.equals("most")) {
                    vectors.put("v" + i, v);
                }
            }
            ns.upsert(batch);
            assertThat(vectors.size()).isGreaterThan(2 * ExactScan.MIN_SHORTLIST);
            var filter = FilterParser.parse(json.readTree("{\"part\": \"most\"}"));
            int found = 0;
            int queries = 40;
            for (int q = 0; q < queries; q++) {
                float[] query = clustered(r, dim);
                var got = ns.query(query, 10, filter, false, false);
                var exact = new ArrayList<>(vectors.keySet());
                exact.sort(Comparator.comparingDouble((String id) -> -cos(vectors.get(id), query)));
                var expected = exact.subList(0, 10);
                assertThat(got).hasSize(10);
                for (var m : got) {
                    assertThat(m.score()).isCloseTo(cos(vectors.get(m.id()), query), within(1e-5));
                    found += expected.contains(m.id()) ? 1 : 0;
                }
            }
            assertThat(found / (10.0 * queries)).as("recall@10").isGreaterThanOrEqualTo(0.98);
        }
    }

    /** Vectors around 20 centres, so that neighbours are close and int8 rounding alone would mis-rank them. */
    private static float[] clustered(Random r, int dim) {
        var centre = new Random(r.nextInt(20));
        float[] v = new float[dim];
        for (int i = 0; i < dim; i++) {
            v[i] = (float) (centre.nextGaussian() + 0.15 * r.nextGaussian());
        }
        return v;
    }

    private static double cos(float[] a, float[] b) {
        return LuceneNamespaceTest.cos(a, b);
    }
}
