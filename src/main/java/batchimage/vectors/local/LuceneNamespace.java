package batchimage.vectors.local;

import batchimage.vectors.VectorRecord;

import batchimage.vectors.Filter;
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
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.ReentrantLock;
import org.apache.lucene.index.IndexReader;
import org.apache.lucene.index.MultiBits;
import org.apache.lucene.index.MultiTerms;
import org.apache.lucene.index.PostingsEnum;
import org.apache.lucene.index.Terms;
import org.apache.lucene.index.TermsEnum;
import org.apache.lucene.search.DocIdSetIterator;
import org.apache.lucene.util.Bits;
import org.apache.lucene.util.StringHelper;
import org.apache.lucene.codecs.KnnVectorsFormat;
import org.apache.lucene.codecs.lucene912.Lucene912Codec;
import org.apache.lucene.document.Document;
import org.apache.lucene.document.DoublePoint;
import org.apache.lucene.document.Field;
import org.apache.lucene.document.KnnFloatVectorField;
import org.apache.lucene.document.SortedDocValuesField;
import org.apache.lucene.document.StoredField;
import org.apache.lucene.document.StringField;
import org.apache.lucene.index.DirectoryReader;
import org.apache.lucene.index.DocValues;
import org.apache.lucene.index.IndexWriter;
import org.apache.lucene.index.ReaderUtil;
import org.apache.lucene.index.SortedDocValues;
import org.apache.lucene.index.IndexWriterConfig;
import org.apache.lucene.index.Term;
import org.apache.lucene.index.VectorSimilarityFunction;
import org.apache.lucene.search.BooleanClause.Occur;
import org.apache.lucene.search.BooleanQuery;
import org.apache.lucene.search.DocIdSetIterator;
import org.apache.lucene.index.QueryTimeout;
import org.apache.lucene.search.IndexSearcher;
import org.apache.lucene.search.KnnFloatVectorQuery;
import org.apache.lucene.search.MatchAllDocsQuery;
import org.apache.lucene.search.Query;
import org.apache.lucene.search.ScoreDoc;
import org.apache.lucene.search.ReferenceManager;
import org.apache.lucene.search.SearcherManager;
import org.apache.lucene.search.TermInSetQuery;
import org.apache.lucene.search.TermQuery;
import org.apache.lucene.search.TopDocs;
import org.apache.lucene.search.TotalHits;
import org.apache.lucene.search.knn.KnnCollectorManager;
import org.apache.lucene.util.Bits;
import org.apache.lucene.index.LeafReaderContext;
import org.apache.lucene.store.FSDirectory;
import org.apache.lucene.util.BytesRef;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One namespace of the local index: a Lucene index in its own folder, with an HNSW graph of the
 * vectors (cosine) and the metadata indexed for filtered kNN.
 *
 * <p>Writes are serialized. An upsert or delete by id goes to the {@link WriteAheadLog} (forced to disk)
 * before Lucene applies it and before it is acknowledged, so a crash loses nothing acknowledged; Lucene
 * itself commits only when the namespace has been idle for a while, when the log has grown large, on a
 * delete by filter and on close. That keeps the index in few, large segments (a query searches one HNSW
 * graph per segment) and spares the merges that a commit per request causes. Readers see every
 * acknowledged write: a read after a write first refreshes the near-real-time searcher.
 *
 * <p>Vectors are kept scaled to unit length, so that Lucene's dot product is the cosine (a third of the
 * arithmetic of its cosine), beside the values as upserted. A filter that matches at most
 * {@link FilteredKnn#exactMax} documents of a segment is answered by comparing all of them
 * ({@link ExactScan}).
 */
public final class LuceneNamespace implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(LuceneNamespace.class);
    /**
     * Lucene's own SIMD wants Java 20 or later; on 17 it warns at every start that the vector module (which
     * bin/batch-image adds for {@link ExactScan}) is of no use to it. Held here: a logger only weakly held
     * would forget its level.
     */
    private static final java.util.logging.Logger LUCENE_VECTORIZATION =
            java.util.logging.Logger.getLogger("org.apache.lucene.internal.vectorization.VectorizationProvider");

    static {
        if (Runtime.version().feature() < 20) {
            LUCENE_VECTORIZATION.setLevel(java.util.logging.Level.SEVERE);
        }
    }
    static final String ID = "id";
    private static final String ID_SORT = "id_sort";
    /** The vector scaled to unit length: Lucene's dot product on it is the cosine, at a third of the work. */
    static final String VECTOR = "unit_vector";
    /** The vector as upserted, for fetch and includeValues. */
    private static final String VALUES = "values";
    private static final String META = "metadata";
    private static final String KEYS = "_keys";
    private static final ObjectMapper JSON = new ObjectMapper();
    /** Queries search the graph for at least this many candidates (HNSW's ef), then cut to topK: recall. */
    private static final int MIN_CANDIDATES = 100;
    /** The HNSW graph with SIMD dot products. */
    private static final KnnVectorsFormat VECTORS_FORMAT = new SimdVectorsFormat();
    /** Records per write-ahead log entry. */
    private static final int LOG_CHUNK = 1000;
    /** Commit once the namespace has had no write for this long, or its log holds this much. */
    static final long IDLE_COMMIT_NANOS = TimeUnit.SECONDS.toNanos(3);
    static final long MAX_LOG_BYTES = 256L << 20;

    private final String name;
    /** Null when opened read-side. */
    private final IndexWriter writer;
    /** Over the writer's near-real-time readers; read-side, over the last commit and the log ({@link ReadSideSearchers}). */
    private final ReferenceManager<IndexSearcher> searchers;
    /** Null when opened read-side. */
    private final WriteAheadLog log;
    private final ExactScan exactScan = new ExactScan(VECTOR);
    /** Filters matching at most this many documents of a segment are answered by {@link #exactScan}. */
    private volatile int exactMax = FilteredKnn.exactMax(exactScan);
    /** Null when opened for writing (the writer owns its directory). */
    private final FSDirectory readDirectory;
    /** Held by every write, and by a commit while it switches the log's generation. */
    private final ReentrantLock writeLock = new ReentrantLock();
    /** Held by a commit: one at a time, since each names the log generations it holds. */
    private final Object commitLock = new Object();
    /** Writes applied since the last commit began. */
    private volatile boolean uncommitted;
    /** Writes applied so far: a read that finds the searcher behind them refreshes it first. */
    private final java.util.concurrent.atomic.AtomicLong applied = new java.util.concurrent.atomic.AtomicLong();
    /** The count of applied writes the searcher was last refreshed after (a refresh that began once they were applied). */
    private volatile long refreshedAfter;
    private volatile long lastWriteNanos = System.nanoTime();

    public LuceneNamespace(String name, Path dir) {
        this.name = name;
        try {
            this.writer = new IndexWriter(FSDirectory.open(dir), writerConfig());
            this.log = new WriteAheadLog(dir, covered(writer));
            int replayed = log.replayLeftOver(this::apply);
            if (replayed > 0) {
                commit(log.generation() - 1);
                LOG.info("namespace '{}': {} acknowledged writes recovered from the write-ahead log", name, replayed);
            }
            log.dropLeftOver();
            this.searchers = new SearcherManager(writer, null);
            this.readDirectory = null;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot open the local index of namespace '" + name + "' in " + dir, e);
        }
    }

    /** How the namespace's Lucene index is written: the codec with {@link SimdVectorsFormat}, the RAM buffer. */
    static IndexWriterConfig writerConfig() {
        return new IndexWriterConfig().setOpenMode(IndexWriterConfig.OpenMode.CREATE_OR_APPEND)
                .setRAMBufferSizeMB(ramBufferMb())
                .setCodec(new Lucene912Codec() {
                    @Override
                    public KnnVectorsFormat getKnnVectorsFormatForField(String field) {
                        return VECTORS_FORMAT;
                    }
                });
    }

    private LuceneNamespace(String name, FSDirectory dir, ReadSideSearchers searchers) {
        this.name = name;
        this.writer = null;
        this.log = null;
        this.readDirectory = dir;
        this.searchers = searchers;
    }

    /**
     * The namespace read-side, beside the process that writes it (which holds Lucene's write lock) or after
     * it stopped, however: it sees every write that process acknowledged, its last commit with what its
     * write-ahead log holds on top ({@link ReadSideSearchers}), writes nothing in the folder and refuses
     * writes. Null when the folder holds neither a commit nor a logged write.
     */
    public static LuceneNamespace openReadOnly(String name, Path dir) {
        FSDirectory d = null;
        try {
            d = FSDirectory.open(dir);
            ReadSideSearchers searchers = ReadSideSearchers.open(name, dir, d);
            if (searchers == null) {
                d.close();
                return null;
            }
            return new LuceneNamespace(name, d, searchers);
        } catch (IOException e) {
            try {
                if (d != null) {
                    d.close();
                }
            } catch (IOException suppressed) {
                e.addSuppressed(suppressed);
            }
            throw new UncheckedIOException("cannot read the local index of namespace '" + name + "' in " + dir, e);
        }
    }

    public boolean readOnly() {
        return writer == null;
    }

    /** An eighth of the heap, between 16 and 256 MB: enough to write 100,000 vectors of 384 dimensions as one segment. */
    private static double ramBufferMb() {
        long heapMb = Runtime.getRuntime().maxMemory() >> 20;
        return Math.max(16, Math.min(256, heapMb / 8));
    }

    public String name() {
        return name;
    }

    /** A match of a query: id, cosine score in [-1, 1], and what was asked for. */
    public record Match(String id, double score, float[] values, Map<String, Object> metadata) {
    }

    public int upsert(List<VectorRecord> records) {
        var docs = new ArrayList<Document>(records.size());
        for (VectorRecord r : records) {
            docs.add(document(r));
        }
        write(() -> {
            for (int i = 0; i < records.size(); i += LOG_CHUNK) {
                log.append(new WriteAheadLog.Upsert(records.subList(i, Math.min(records.size(), i + LOG_CHUNK))));
            }
            for (int i = 0; i < docs.size(); i++) {
                writer.updateDocument(new Term(ID, records.get(i).id()), docs.get(i));
            }
        });
        return records.size();
    }

    public void delete(Collection<String> ids) {
        var list = List.copyOf(ids);
        write(() -> {
            for (int i = 0; i < list.size(); i += LOG_CHUNK) {
                log.append(new WriteAheadLog.Delete(list.subList(i, Math.min(list.size(), i + LOG_CHUNK))));
            }
            deleteIds(list);
        });
    }

    /**
     * Deletes what matches a filter (everything when null) and commits at once: a rare, heavy write the log does not hold.
     * Everything goes with Lucene's deleteAll, which also forgets the vector size, so that vectors of another size may follow.
     */
    public void deleteMatching(Filter filter) {
        write(() -> {
            if (filter == null) {
                writer.deleteAll();
            } else {
                writer.deleteDocuments(LuceneFilters.toQuery(filter));
            }
        });
        commitNow();
    }

    @FunctionalInterface
    private interface Write {
        void run() throws IOException;
    }

    private void write(Write w) {
        if (writer == null) {
            throw new IllegalStateException("namespace '" + name + "' of the local index is open read-side here: its service writes it");
        }
        writeLock.lock();
        try {
            w.run();
            uncommitted = true;
            applied.incrementAndGet();
            lastWriteNanos = System.nanoTime();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } finally {
            writeLock.unlock();
        }
    }

    /** Applies a logged write again (at open, after a crash). */
    private void apply(WriteAheadLog.Entry e) {
        try {
            if (e instanceof WriteAheadLog.Upsert u) {
                for (VectorRecord r : u.records()) {
                    try {
                        writer.updateDocument(new Term(ID, r.id()), document(r));
                    } catch (IllegalArgumentException refused) {
                        // Lucene refused it when it was first written too (so it was never acknowledged): the rest still counts
                        LOG.warn("namespace '{}': logged vector '{}' not applied again: {}", name, r.id(), refused.getMessage());
                    }
                }
            } else {
                deleteIds(((WriteAheadLog.Delete) e).ids());
            }
        } catch (IOException x) {
            throw new UncheckedIOException(x);
        }
    }

    private void deleteIds(List<String> ids) throws IOException {
        var terms = new Term[ids.size()];
        for (int i = 0; i < terms.length; i++) {
            terms[i] = new Term(ID, ids.get(i));
        }
        writer.deleteDocuments(terms);
    }

    /**
     * Commits when due: written to and then idle for {@link #IDLE_COMMIT_NANOS}, or the log past
     * {@link #MAX_LOG_BYTES}. Called regularly by {@link LocalPinecone}; returns whether it committed.
     */
    public boolean commitIfDue() {
        if (writer == null || !uncommitted) {
            return false;
        }
        boolean idle = System.nanoTime() - lastWriteNanos >= IDLE_COMMIT_NANOS;
        if (!idle && log.bytes() < MAX_LOG_BYTES) {
            return false;
        }
        commitNow();
        return true;
    }

    /** Makes every applied write durable in Lucene and drops the log generations the commit covers. */
    public void commitNow() {
        if (writer == null) {
            return;
        }
        long covered;
        // one commit at a time: each names the generations it holds
        synchronized (commitLock) {
            writeLock.lock();
            try {
                covered = log.rotate();
                uncommitted = false;
            } finally {
                writeLock.unlock();
            }
            try {
                // writes may go on meanwhile: they are in the new generation, and replaying them is harmless
                commit(covered);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
        log.deleteUpTo(covered);
    }

    /** A Lucene commit that holds the log's generations up to {@code covered}, and says so. */
    private void commit(long covered) throws IOException {
        writer.setLiveCommitData(Map.of(WriteAheadLog.COVERED, String.valueOf(covered)).entrySet());
        writer.commit();
    }

    /** The last log generation the index's last commit holds (0: none, or a commit from before they were named). */
    private static long covered(IndexWriter writer) {
        var data = writer.getLiveCommitData();
        if (data != null) {
            for (var e : data) {
                if (e.getKey().equals(WriteAheadLog.COVERED)) {
                    return Long.parseLong(e.getValue());
                }
            }
        }
        return 0;
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

    @FunctionalInterface
    private interface Read<T> {
        T apply(IndexSearcher searcher) throws IOException;
    }

    /** Runs a read that sees every acknowledged write. */
    private <T> T read(Read<T> r) {
        try {
            if (writer == null) {
                // read-side: what the writing process committed or logged since the last read
                searchers.maybeRefresh();
            } else {
                // not a flag that the first reader clears: a second reader would take the old searcher while the first refreshes
                long writes = applied.get();
                if (refreshedAfter < writes) {
                    searchers.maybeRefreshBlocking();
                    synchronized (applied) {
                        refreshedAfter = Math.max(refreshedAfter, writes);
                    }
                }
            }
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
            int candidates = Math.max(topK, MIN_CANDIDATES);
            Query q = filter == null ? new KnnFloatVectorQuery(VECTOR, unit(vector), candidates)
                    : new FilteredKnn(exactScan, exactMax, unit(vector), candidates, LuceneFilters.toQuery(filter));
            TopDocs top = s.search(q, topK);
            var out = new ArrayList<Match>(Math.min(topK, top.scoreDocs.length));
            var stored = s.storedFields();
            for (ScoreDoc sd : top.scoreDocs) {
                // Lucene's dot-product score of unit vectors is (1 + cos) / 2
                double cos = Math.max(-1.0, Math.min(1.0, 2.0 * sd.score - 1.0));
                // the id from doc values: loading stored fields means decompressing a block per hit
                out.add(new Match(id(s, sd.doc), cos, includeValues ? values(s, sd.doc) : null,
                        includeMetadata ? metadata(stored.document(sd.doc, Set.of(META))) : null));
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
                    int doc = top.scoreDocs[0].doc;
                    out.put(id, new VectorRecord(id, values(s, doc), metadata(stored.document(doc))));
                }
            }
            return out;
        });
    }

    /**
     * A page of ids in byte order, after {@code after} (exclusive) when given. Walks the id terms from where the
     * page starts (a seek, not a search of every document), so a page costs the same wherever it is: listing a
     * namespace of n ids costs n, not n * n / page.
     */
    public List<String> list(String prefix, String after, int limit) {
        return read(s -> {
            var out = new ArrayList<String>(Math.min(limit, 1024));
            IndexReader reader = s.getIndexReader();
            Terms terms = MultiTerms.getTerms(reader, ID);
            if (terms == null || limit <= 0) {
                return out;
            }
            Bits live = MultiBits.getLiveDocs(reader);
            BytesRef head = prefix == null || prefix.isEmpty() ? null : new BytesRef(prefix);
            BytesRef from = after == null ? null : new BytesRef(after);
            TermsEnum te = terms.iterator();
            BytesRef t;
            if (from != null && (head == null || from.compareTo(head) >= 0)) {
                t = te.seekCeil(from) == TermsEnum.SeekStatus.END ? null : te.term();
                if (t != null && t.bytesEquals(from)) {
                    t = te.next();
                }
            } else if (head != null) {
                t = te.seekCeil(head) == TermsEnum.SeekStatus.END ? null : te.term();
            } else {
                t = te.next();
            }
            PostingsEnum docs = null;
            for (; t != null && out.size() < limit; t = te.next()) {
                if (head != null && !StringHelper.startsWith(t, head)) {
                    break;
                }
                // an id whose documents are all deleted (replaced or removed, not merged away yet) is not listed
                docs = te.postings(docs, PostingsEnum.NONE);
                for (int d = docs.nextDoc(); d != DocIdSetIterator.NO_MORE_DOCS; d = docs.nextDoc()) {
                    if (live == null || live.get(d)) {
                        out.add(t.utf8ToString());
                        break;
                    }
                }
            }
            return out;
        });
    }

    /** Segments in the index: each is a graph a query searches. */
    /** Sets the most matching documents of a segment compared outright (tests of both paths). */
    void exactSearchLimit(int max) {
        exactMax = max;
    }

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
            for (ScoreDoc sd : top.scoreDocs) {
                out.add(id(s, sd.doc));
            }
            return out;
        });
    }

    private static Map<String, Object> metadata(Document d) throws IOException {
        String m = d.get(META);
        return m == null ? Map.of() : JSON.readValue(m, new TypeReference<LinkedHashMap<String, Object>>() { });
    }

    /** The id of a document, from its doc values. */
    private String id(IndexSearcher s, int doc) throws IOException {
        var leaves = s.getIndexReader().leaves();
        LeafReaderContext leaf = leaves.get(ReaderUtil.subIndex(doc, leaves));
        SortedDocValues ids = DocValues.getSorted(leaf.reader(), ID_SORT);
        if (!ids.advanceExact(doc - leaf.docBase)) {
            throw new IllegalStateException("document " + doc + " of namespace '" + name + "' has no id");
        }
        return ids.lookupOrd(ids.ordValue()).utf8ToString();
    }

    /** The vector of a document, as upserted. */
    private float[] values(IndexSearcher s, int doc) throws IOException {
        BytesRef b = s.storedFields().document(doc, Set.of(VALUES)).getBinaryValue(VALUES);
        if (b == null) {
            throw new IllegalStateException("document " + doc + " of namespace '" + name + "' has no vector");
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

    @Override
    public void close() {
        try {
            searchers.close();
            if (writer == null) {
                readDirectory.close();
                return;
            }
            commitNow();
            log.close();
            log.deleteUpTo(Long.MAX_VALUE);
            writer.close();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * Filtered kNN that compares every matching vector of a segment outright when few enough match:
     * cheaper there than walking the graph past the non-matching ones, and exact ({@link ExactScan}).
     */
    private static final class FilteredKnn extends KnnFloatVectorQuery {
        /**
         * At most this many matching documents in a segment are compared outright (about 1.5 ms with SIMD
         * on this project's 2-core reference machine, 4 ms without); a broader filter searches the graph.
         */
        static int exactMax(ExactScan scan) {
            return scan.simd() ? 60_000 : 20_000;
        }

        private final ExactScan scan;
        private final int exactMax;
        private final float[] target;

        FilteredKnn(ExactScan scan, int exactMax, float[] target, int k, Query filter) {
            super(VECTOR, target, k, filter);
            this.scan = scan;
            this.exactMax = exactMax;
            this.target = target;
        }

        @Override
        protected TopDocs approximateSearch(LeafReaderContext context, Bits acceptDocs, int visitedLimit, KnnCollectorManager collectors)
                throws IOException {
            // Lucene passes the number of matching documents in the segment, plus one
            if (visitedLimit - 1 <= exactMax) {
                // an incomplete answer: Lucene then calls exactSearch with the matching documents
                return new TopDocs(new TotalHits(0, TotalHits.Relation.GREATER_THAN_OR_EQUAL_TO), new ScoreDoc[0]);
            }
            return super.approximateSearch(context, acceptDocs, visitedLimit, collectors);
        }

        @Override
        protected TopDocs exactSearch(LeafReaderContext context, DocIdSetIterator accept, QueryTimeout timeout) throws IOException {
            TopDocs top = scan.search(context.reader(), accept, target, k);
            return top != null ? top : super.exactSearch(context, accept, timeout);
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
