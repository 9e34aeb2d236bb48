package batchimage.vectors.local;

import batchimage.vectors.VectorRecord;
import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import org.apache.lucene.document.Document;
import org.apache.lucene.document.Field;
import org.apache.lucene.document.KnnFloatVectorField;
import org.apache.lucene.document.SortedDocValuesField;
import org.apache.lucene.document.StoredField;
import org.apache.lucene.document.StringField;
import org.apache.lucene.index.DocValues;
import org.apache.lucene.index.LeafReaderContext;
import org.apache.lucene.index.ReaderUtil;
import org.apache.lucene.index.SortedDocValues;
import org.apache.lucene.index.VectorSimilarityFunction;
import org.apache.lucene.search.IndexSearcher;
import org.apache.lucene.util.BytesRef;

/**
 * How a vector record is a Lucene document of a namespace: its id (a term, and doc values to read it back
 * cheaply), its vector scaled to unit length for the HNSW graph, the values as upserted, and the metadata both
 * stored as JSON and indexed per key and type for filters ({@link LuceneFilters}).
 */
final class VectorDocuments {

    static final String ID = "id";
    private static final String ID_SORT = "id_sort";
    /** The vector scaled to unit length: Lucene's dot product on it is the cosine, at a third of the work. */
    static final String VECTOR = "unit_vector";
    /** The vector as upserted, for fetch and includeValues. */
    private static final String VALUES = "values";
    static final String META = "metadata";
    private static final ObjectMapper JSON = new ObjectMapper();

    private VectorDocuments() {
    }

    static Document document(VectorRecord r) {
        var d = new Document();
        d.add(new StringField(ID, r.id(), Field.Store.YES));
        d.add(new SortedDocValuesField(ID_SORT, new BytesRef(r.id())));
        d.add(new KnnFloatVectorField(VECTOR, unit(r.values()), VectorSimilarityFunction.DOT_PRODUCT));
        d.add(new StoredField(VALUES, toBytes(r.values())));
        try {
            d.add(new StoredField(META, JSON.writeValueAsString(r.metadata())));
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new IllegalArgumentException("metadata of '" + r.id() + "' cannot be written as JSON", e);
        }
        LuceneFilters.index(d, r.metadata());
        return d;
    }

    static Map<String, Object> metadata(Document d) throws IOException {
        String m = d.get(META);
        return m == null ? Map.of() : JSON.readValue(m, new TypeReference<LinkedHashMap<String, Object>>() { });
    }

    /** The id of a document, from its doc values. */
    static String id(IndexSearcher s, int doc, String namespace) throws IOException {
        var leaves = s.getIndexReader().leaves();
        LeafReaderContext leaf = leaves.get(ReaderUtil.subIndex(doc, leaves));
        SortedDocValues ids = DocValues.getSorted(leaf.reader(), ID_SORT);
        if (!ids.advanceExact(doc - leaf.docBase)) {
            throw new IllegalStateException("document " + doc + " of namespace '" + namespace + "' has no id");
        }
        return ids.lookupOrd(ids.ordValue()).utf8ToString();
    }

    /** The vector of a document, as upserted. */
    static float[] values(IndexSearcher s, int doc, String namespace) throws IOException {
        BytesRef b = s.storedFields().document(doc, Set.of(VALUES)).getBinaryValue(VALUES);
        if (b == null) {
            throw new IllegalStateException("document " + doc + " of namespace '" + namespace + "' has no vector");
        }
        var bb = ByteBuffer.wrap(b.bytes, b.offset, b.length).order(ByteOrder.LITTLE_ENDIAN);
        float[] v = new float[b.length / 4];
        bb.asFloatBuffer().get(v);
        return v;
    }

    private static byte[] toBytes(float[] v) {
        var bb = ByteBuffer.allocate(v.length * 4).order(ByteOrder.LITTLE_ENDIAN);
        bb.asFloatBuffer().put(v);
        return bb.array();
    }

    /** The vector scaled to length 1 (an all-zero vector, which upserts refuse, stays as it is). */
    static float[] unit(float[] v) {
        double sum = 0;
        for (float x : v) {
            sum += (double) x * x;
        }
        if (sum == 0) {
            return v.clone();
        }
        float scale = (float) (1 / Math.sqrt(sum));
        float[] out = new float[v.length];
        for (int i = 0; i < v.length; i++) {
            out[i] = v[i] * scale;
        }
        return out;
    }
}
