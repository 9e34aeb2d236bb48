package batchimage.localindex;

import batchimage.pinecone.Filter;
import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.lucene.document.Document;
import org.apache.lucene.document.DoublePoint;
import org.apache.lucene.document.Field;
import org.apache.lucene.document.KnnFloatVectorField;
import org.apache.lucene.document.SortedDocValuesField;
import org.apache.lucene.document.StoredField;
import org.apache.lucene.document.StringField;
import org.apache.lucene.index.IndexWriter;
import org.apache.lucene.index.IndexWriterConfig;
import org.apache.lucene.index.Term;
import org.apache.lucene.index.VectorSimilarityFunction;
import org.apache.lucene.search.BooleanClause.Occur;
import org.apache.lucene.search.BooleanQuery;
import org.apache.lucene.search.IndexSearcher;
import org.apache.lucene.search.KnnFloatVectorQuery;
import org.apache.lucene.search.MatchAllDocsQuery;
import org.apache.lucene.search.PrefixQuery;
import org.apache.lucene.search.Query;
import org.apache.lucene.search.ScoreDoc;
import org.apache.lucene.search.SearcherManager;
import org.apache.lucene.search.Sort;
import org.apache.lucene.search.SortField;
import org.apache.lucene.search.TermInSetQuery;
import org.apache.lucene.search.TermQuery;
import org.apache.lucene.search.TermRangeQuery;
import org.apache.lucene.search.TopDocs;
import org.apache.lucene.store.FSDirectory;
import org.apache.lucene.util.BytesRef;

/**
 * One namespace of the local index: a Lucene index in its own folder, with an HNSW graph of the
 * vectors (cosine) and the metadata indexed for filtered kNN. Every write is committed (fsync) before
 * it returns, so an acknowledged upsert survives a crash; readers see it at once.
 */
public final class LuceneNamespace implements AutoCloseable {

    private static final String ID = "id";
    private static final String ID_SORT = "id_sort";
    private static final String VECTOR = "vector";
    private static final String VALUES = "values";
    private static final String META = "metadata";
    private static final String KEYS = "_keys";
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final int MIN_CANDIDATES = 100;

    private final String name;
    private final IndexWriter writer;
    private final SearcherManager searchers;
    private final Object commitLock = new Object();

    public LuceneNamespace(String name, Path dir) {
        this.name = name;
        try {
            var config = new IndexWriterConfig().setOpenMode(IndexWriterConfig.OpenMode.CREATE_OR_APPEND);
            this.writer = new IndexWriter(FSDirectory.open(dir), config);
            this.searchers = new SearcherManager(writer, null);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot open the local index of namespace '" + name + "' in " + dir, e);
        }
    }

    public String name() {
        return name;
    }

    /** A match of a query: id, cosine score in [-1, 1], and what was asked for. */
    public record Match(String id, double score, float[] values, Map<String, Object> metadata) {
    }

    public int upsert(List<VectorRecord> records) {
        try {
            for (VectorRecord r : records) {
                writer.updateDocument(new Term(ID, r.id()), document(r));
            }
            commit();
            return records.size();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static Document document(VectorRecord r) throws IOException {
        var d = new Document();
        d.add(new StringField(ID, r.id(), Field.Store.YES));
        d.add(new SortedDocValuesField(ID_SORT, new BytesRef(r.id())));
        d.add(new KnnFloatVectorField(VECTOR, r.values(), VectorSimilarityFunction.COSINE));
        d.add(new StoredField(VALUES, toBytes(r.values())));
        d.add(new StoredField(META, JSON.writeValueAsString(r.metadata())));
        for (var e : r.metadata().entrySet()) {
            String k = e.getKey();
            d.add(new StringField(KEYS, k, Field.Store.NO));
            Object v = e.getValue();
            if (v instanceof String s) {
                d.add(new StringField("s." + k, s, Field.Store.NO));
            } else if (v instanceof Boolean b) {
                d.add(new StringField("b." + k, b.toString(), Field.Store.NO));
            } else if (v instanceof Number n) {
                d.add(new DoublePoint("n." + k, n.doubleValue()));
            } else if (v instanceof Collection<?> list) {
                for (Object item : list) {
                    d.add(new StringField("s." + k, item.toString(), Field.Store.NO));
                }
            }
        }
        return d;
    }

    private void commit() throws IOException {
        synchronized (commitLock) {
            writer.commit();
        }
        searchers.maybeRefreshBlocking();
    }

    @FunctionalInterface
    private interface Read<T> {
        T apply(IndexSearcher searcher) throws IOException;
    }

    /** Runs a read against the latest committed state. */
    private <T> T read(Read<T> r) {
        try {
            IndexSearcher s = searchers.acquire();
            try {
                return r.apply(s);
            } finally {
                searchers.release(s);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public List<Match> query(float[] vector, int topK, Filter filter, boolean includeValues, boolean includeMetadata) {
        return read(s -> {
            // the graph is searched for at least 100 candidates (HNSW's ef), then cut to topK: recall, not just speed
            int candidates = Math.max(topK, MIN_CANDIDATES);
            Query q = new KnnFloatVectorQuery(VECTOR, vector, candidates, filter == null ? null : LuceneFilters.toQuery(filter));
            TopDocs top = s.search(q, topK);
            var out = new ArrayList<Match>(Math.min(topK, top.scoreDocs.length));
            var stored = s.storedFields();
            for (ScoreDoc sd : top.scoreDocs) {
                Document d = stored.document(sd.doc);
                // Lucene's cosine score is (1 + cos) / 2
                double cos = Math.max(-1.0, Math.min(1.0, 2.0 * sd.score - 1.0));
                out.add(new Match(d.get(ID), cos, includeValues ? fromBytes(d.getBinaryValue(VALUES)) : null,
                        includeMetadata ? metadata(d) : null));
            }
            return out;
        });
    }

    /** The stored records of the given ids that exist, in the order asked. */
    public Map<String, VectorRecord> fetch(Collection<String> ids) {
        return read(s -> {
            var out = new LinkedHashMap<String, VectorRecord>();
            var stored = s.storedFields();
            for (String id : ids) {
                TopDocs top = s.search(new TermQuery(new Term(ID, id)), 1);
                if (top.scoreDocs.length > 0) {
                    Document d = stored.document(top.scoreDocs[0].doc);
                    out.put(id, new VectorRecord(id, fromBytes(d.getBinaryValue(VALUES)), metadata(d)));
                }
            }
            return out;
        });
    }

    /** A page of ids in byte order, after {@code after} (exclusive) when given. */
    public List<String> list(String prefix, String after, int limit) {
        return read(s -> {
            var b = new BooleanQuery.Builder().add(new MatchAllDocsQuery(), Occur.MUST);
            if (prefix != null && !prefix.isEmpty()) {
                b.add(new PrefixQuery(new Term(ID, prefix)), Occur.FILTER);
            }
            if (after != null) {
                b.add(TermRangeQuery.newStringRange(ID, after, null, false, true), Occur.FILTER);
            }
            TopDocs top = s.search(b.build(), limit, new Sort(new SortField(ID_SORT, SortField.Type.STRING)));
            var out = new ArrayList<String>(top.scoreDocs.length);
            var stored = s.storedFields();
            for (ScoreDoc sd : top.scoreDocs) {
                out.add(stored.document(sd.doc).get(ID));
            }
            return out;
        });
    }

    public void delete(Collection<String> ids) {
        try {
            var terms = new ArrayList<Term>(ids.size());
            for (String id : ids) {
                terms.add(new Term(ID, id));
            }
            writer.deleteDocuments(terms.toArray(new Term[0]));
            commit();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public void deleteMatching(Filter filter) {
        try {
            writer.deleteDocuments(filter == null ? new MatchAllDocsQuery() : LuceneFilters.toQuery(filter));
            commit();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Merges the index into one segment: one HNSW graph to search instead of many (slow; for idle times). */
    public void optimize() {
        try {
            writer.forceMerge(1);
            commit();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Segments in the index: each is a graph a query searches. */
    public int segments() {
        return read(s -> s.getIndexReader().leaves().size());
    }

    public int count() {
        return read(s -> s.getIndexReader().numDocs());
    }

    /** Ids of the records matching a filter (for update-by-metadata and counts). */
    public List<String> idsMatching(Filter filter, int max) {
        return read(s -> {
            TopDocs top = s.search(filter == null ? new MatchAllDocsQuery() : LuceneFilters.toQuery(filter), Math.max(1, max));
            var out = new ArrayList<String>();
            var stored = s.storedFields();
            for (ScoreDoc sd : top.scoreDocs) {
                out.add(stored.document(sd.doc).get(ID));
            }
            return out;
        });
    }

    private static Map<String, Object> metadata(Document d) throws IOException {
        String m = d.get(META);
        return m == null ? Map.of() : JSON.readValue(m, new TypeReference<LinkedHashMap<String, Object>>() { });
    }

    static byte[] toBytes(float[] v) {
        var bb = ByteBuffer.allocate(v.length * 4).order(ByteOrder.LITTLE_ENDIAN);
        bb.asFloatBuffer().put(v);
        return bb.array();
    }

    static float[] fromBytes(BytesRef b) {
        var bb = ByteBuffer.wrap(b.bytes, b.offset, b.length).order(ByteOrder.LITTLE_ENDIAN);
        float[] v = new float[b.length / 4];
        bb.asFloatBuffer().get(v);
        return v;
    }

    @Override
    public void close() {
        try {
            searchers.close();
            writer.close();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Pinecone filters as Lucene queries over the fields {@link #document} indexes. */
    static final class LuceneFilters {
        private LuceneFilters() {
        }

        static Query toQuery(Filter f) {
            if (f instanceof Filter.And a) {
                var b = new BooleanQuery.Builder();
                for (Filter c : a.clauses()) {
                    b.add(toQuery(c), Occur.FILTER);
                }
                return b.build();
            }
            if (f instanceof Filter.Or o) {
                var b = new BooleanQuery.Builder().setMinimumNumberShouldMatch(1);
                for (Filter c : o.clauses()) {
                    b.add(toQuery(c), Occur.SHOULD);
                }
                return b.build();
            }
            if (f instanceof Filter.Exists e) {
                Query has = new TermQuery(new Term(KEYS, e.field()));
                return e.present() ? has : not(has);
            }
            if (f instanceof Filter.In in) {
                var strings = new ArrayList<BytesRef>();
                var numbers = new ArrayList<Double>();
                for (Object v : in.values()) {
                    if (v instanceof String s) {
                        strings.add(new BytesRef(s));
                    } else {
                        numbers.add((Double) v);
                    }
                }
                var b = new BooleanQuery.Builder().setMinimumNumberShouldMatch(1);
                if (!strings.isEmpty()) {
                    b.add(new TermInSetQuery("s." + in.field(), strings), Occur.SHOULD);
                }
                if (!numbers.isEmpty()) {
                    b.add(DoublePoint.newSetQuery("n." + in.field(), numbers), Occur.SHOULD);
                }
                Query any = strings.isEmpty() && numbers.isEmpty() ? new BooleanQuery.Builder().build() : b.build();
                return in.negated() ? not(any) : any;
            }
            var c = (Filter.Compare) f;
            String field = c.field();
            return switch (c.op()) {
                case EQ -> equal(field, c.value());
                case NE -> not(equal(field, c.value()));
                case GT -> DoublePoint.newRangeQuery("n." + field, Math.nextUp((Double) c.value()), Double.POSITIVE_INFINITY);
                case GTE -> DoublePoint.newRangeQuery("n." + field, (Double) c.value(), Double.POSITIVE_INFINITY);
                case LT -> DoublePoint.newRangeQuery("n." + field, Double.NEGATIVE_INFINITY, Math.nextDown((Double) c.value()));
                case LTE -> DoublePoint.newRangeQuery("n." + field, Double.NEGATIVE_INFINITY, (Double) c.value());
            };
        }

        private static Query equal(String field, Object v) {
            if (v instanceof String s) {
                return new TermQuery(new Term("s." + field, s));
            }
            if (v instanceof Boolean b) {
                return new TermQuery(new Term("b." + field, b.toString()));
            }
            return DoublePoint.newExactQuery("n." + field, (Double) v);
        }

        private static Query not(Query q) {
            return new BooleanQuery.Builder().add(new MatchAllDocsQuery(), Occur.MUST).add(q, Occur.MUST_NOT).build();
        }
    }
}
