package batchimage.vectors.local;

import batchimage.vectors.VectorRecord;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import batchimage.vectors.FilterParser;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.apache.lucene.codecs.KnnVectorsFormat;
import org.apache.lucene.codecs.lucene912.Lucene912Codec;
import org.apache.lucene.codecs.lucene99.Lucene99HnswVectorsFormat;
import org.apache.lucene.index.IndexWriter;
import org.apache.lucene.index.IndexWriterConfig;
import org.apache.lucene.store.FSDirectory;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A local index written before the SIMD vectors format (Lucene's own Lucene99HnswVectorsFormat, as
 * stop 9 wrote it) opens, answers, takes new vectors in the new format, and merges the two.
 */
class VectorsFormatUpgradeTest {

    @TempDir
    Path dir;

    @Test
    void anIndexWrittenWithLucenesOwnFormatOpensAnswersAndMergesIntoTheNewOne() throws Exception {
        int dim = 24;
        var r = new Random(17);
        var vectors = new HashMap<String, float[]>();
        var config = new IndexWriterConfig().setCodec(new Lucene912Codec() {
            @Override
            public KnnVectorsFormat getKnnVectorsFormatForField(String field) {
                return new Lucene99HnswVectorsFormat(16, 50);
            }
        });
        try (var writer = new IndexWriter(FSDirectory.open(dir), config)) {
            for (int i = 0; i < 500; i++) {
                float[] v = random(r, dim);
                vectors.put("old" + i, v);
                writer.addDocument(VectorDocuments.document(new VectorRecord("old" + i, v, Map.of("part", i % 2 == 0 ? "a" : "b"))));
            }
        }
        assertThat(formats()).containsExactly("Lucene99HnswVectorsFormat");
        var json = new ObjectMapper();
        var filter = FilterParser.parse(json.readTree("{\"part\": \"a\"}"));
        try (var ns = new LuceneNamespace("t", dir)) {
            check(ns, vectors, r, dim, null);
            check(ns, vectors, r, dim, filter);
            var batch = new ArrayList<VectorRecord>();
            for (int i = 0; i < 500; i++) {
                float[] v = random(r, dim);
                vectors.put("new" + i, v);
                batch.add(new VectorRecord("new" + i, v, Map.of("part", i % 2 == 0 ? "a" : "b")));
            }
            ns.upsert(batch);
            check(ns, vectors, r, dim, null);
        }
        // the new segment was written with the SIMD format; a forced merge writes everything with it
        assertThat(formats()).containsExactlyInAnyOrder("Lucene99HnswVectorsFormat", SimdVectorsFormat.NAME);
        try (var writer = new IndexWriter(FSDirectory.open(dir), new IndexWriterConfig().setCodec(new Lucene912Codec() {
            @Override
            public KnnVectorsFormat getKnnVectorsFormatForField(String field) {
                return new SimdVectorsFormat();
            }
        }))) {
            writer.forceMerge(1);
        }
        assertThat(formats()).containsExactly(SimdVectorsFormat.NAME);
        try (var ns = new LuceneNamespace("t", dir)) {
            assertThat(ns.count()).isEqualTo(1000);
            check(ns, vectors, r, dim, null);
            check(ns, vectors, r, dim, filter);
        }
    }

    /** The best hit of a query is a stored vector's exact cosine, and queries near a stored vector find it. */
    private static void check(LuceneNamespace ns, Map<String, float[]> vectors, Random r, int dim, batchimage.vectors.Filter filter) {
        var ids = new ArrayList<>(vectors.keySet());
        for (int q = 0; q < 10; q++) {
            String id = ids.get(r.nextInt(ids.size()));
            if (filter != null) {
                // a record the filter matches: 'part' a is every even number
                id = id.replaceAll("\\d+$", "") + (Integer.parseInt(id.replaceAll("\\D", "")) / 2 * 2);
            }
            float[] query = vectors.get(id).clone();
            List<LuceneNamespace.Match> got = ns.query(query, 5, filter, false, false);
            assertThat(got).isNotEmpty();
            assertThat(got.get(0).id()).isEqualTo(id);
            assertThat(got.get(0).score()).isCloseTo(1.0, within(1e-5));
            assertThat(got.get(1).score()).isCloseTo(LuceneNamespaceTest.cos(vectors.get(got.get(1).id()), query), within(1e-5));
        }
    }

    /** The vectors formats of the committed segments, as Lucene recorded them per field. */
    private java.util.Set<String> formats() throws Exception {
        var out = new java.util.TreeSet<String>();
        try (var reader = org.apache.lucene.index.DirectoryReader.open(FSDirectory.open(dir))) {
            for (var leaf : reader.leaves()) {
                var field = leaf.reader().getFieldInfos().fieldInfo("unit_vector");
                out.add(field.getAttribute("PerFieldKnnVectorsFormat.format"));
            }
        }
        return out;
    }

    private static float[] random(Random r, int dim) {
        float[] v = new float[dim];
        for (int i = 0; i < dim; i++) {
            v[i] = (float) r.nextGaussian();
        }
        return v;
    }
}
