package batchimage.vectors.local;

import batchimage.vectors.Filter;
import batchimage.vectors.VectorRecord;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.apache.lucene.index.Term;
import org.apache.lucene.search.IndexSearcher;
import org.apache.lucene.search.KnnFloatVectorQuery;
import org.apache.lucene.search.MatchAllDocsQuery;
import org.apache.lucene.search.Query;
import org.apache.lucene.search.ReferenceManager;
import org.apache.lucene.search.ScoreDoc;
import org.apache.lucene.search.SearcherManager;
import org.apache.lucene.search.TermQuery;
import org.apache.lucene.search.TopDocs;
import org.apache.lucene.store.FSDirectory;

/**
 * One namespace of the local index: a Lucene index in its own folder, with an HNSW graph of the
 * vectors (cosine) and the metadata indexed for filtered kNN.
 *
 * <p>Writes are serialized. An upsert or delete by id goes to the {@link WriteAheadLog} (forced to disk)
 * before Lucene applies it and before it is acknowledged, so a crash loses nothing acknowledged; Lucene
 * itself commits only when the namespace has been idle for a while, when the log has grown large, on a
 * delete by filter and on close ({@link NamespaceWriter}). That keeps the index in few, large segments (a
 * query searches one HNSW graph per segment) and spares the merges that a commit per request causes. Readers
 * see every acknowledged write: a read after a write first refreshes the near-real-time searcher.
 *
 * <p>Vectors are kept scaled to unit length, so that Lucene's dot product is the cosine (a third of the
 * arithmetic of its cosine), beside the values as upserted ({@link VectorDocuments}). A filter that matches at
 * most {@link FilteredKnn#exactMax} documents of a segment is answered by comparing all of them
 * ({@link ExactScan}).
 */
public final class LuceneNamespace implements AutoCloseable {

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
    /** Queries search the graph for at least this many candidates (HNSW's ef), then cut to topK: recall. */
    private static final int MIN_CANDIDATES = 100;

    private final String name;
    /** Null when opened read-side. */
    private final NamespaceWriter writer;
    /** Over the writer's near-real-time readers; read-side, over the last commit and the log ({@link ReadSideSearchers}). */
    private final ReferenceManager<IndexSearcher> searchers;
    private final ExactScan exactScan = new ExactScan(VectorDocuments.VECTOR);
    /** Filters matching at most this many documents of a segment are answered by {@link #exactScan}. */
    private volatile int exactMax = FilteredKnn.exactMax(exactScan);
    /** Null when opened for writing (the writer owns its directory). */
    private final FSDirectory readDirectory;
    /** The count of applied writes the searcher was last refreshed after (a refresh that began once they were applied). */
    private volatile long refreshedAfter;
    /** Guards the update of {@link #refreshedAfter}, which only grows. */
    private final Object refreshLock = new Object();

    public LuceneNamespace(String name, Path dir) {
        this.name = name;
        try {
            this.writer = new NamespaceWriter(name, dir);
            this.searchers = new SearcherManager(writer.lucene(), null);
            this.readDirectory = null;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot open the local index of namespace '" + name + "' in " + dir, e);
        }
    }

    private LuceneNamespace(String name, FSDirectory dir, ReadSideSearchers searchers) {
        this.name = name;
        this.writer = null;
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

    public String name() {
        return name;
    }

    /** A match of a query: id, cosine score in [-1, 1], and what was asked for. */
    public record Match(String id, double score, float[] values, Map<String, Object> metadata) {
    }

    public int upsert(List<VectorRecord> records) {
        return writable().upsert(records);
    }

    public void delete(Collection<String> ids) {
        writable().delete(ids);
    }

    /**
     * Deletes what matches a filter (everything when null) and commits at once: a rare, heavy write the log does not hold.
     * Everything goes with Lucene's deleteAll, which also forgets the vector size, so that vectors of another size may follow.
     */
    public void deleteMatching(Filter filter) {
        writable().deleteMatching(filter);
    }

    private NamespaceWriter writable() {
        if (writer == null) {
            throw new IllegalStateException("namespace '" + name + "' of the local index is open read-side here: its service writes it");
        }
        return writer;
    }

    /**
     * Commits when due: written to and then idle for a while, or the log grown large ({@link NamespaceWriter#commitIfDue}).
     * Called regularly by {@link LocalPinecone}; returns whether it committed.
     */
    public boolean commitIfDue() {
        return writer != null && writer.commitIfDue();
    }

    /** Makes every applied write durable in Lucene and drops the log generations the commit covers. */
    public void commitNow() {
        if (writer != null) {
            writer.commitNow();
        }
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
                long writes = writer.applied();
                if (refreshedAfter < writes) {
                    searchers.maybeRefreshBlocking();
                    synchronized (refreshLock) {
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
            float[] unit = VectorDocuments.unit(vector);
            Query q = filter == null ? new KnnFloatVectorQuery(VectorDocuments.VECTOR, unit, candidates)
                    : new FilteredKnn(exactScan, exactMax, unit, candidates, LuceneFilters.toQuery(filter));
            TopDocs top = s.search(q, topK);
            var out = new ArrayList<Match>(Math.min(topK, top.scoreDocs.length));
            var stored = s.storedFields();
            for (ScoreDoc sd : top.scoreDocs) {
                // Lucene's dot-product score of unit vectors is (1 + cos) / 2
                double cos = Math.max(-1.0, Math.min(1.0, 2.0 * sd.score - 1.0));
                // the id from doc values: loading stored fields means decompressing a block per hit
                out.add(new Match(VectorDocuments.id(s, sd.doc, name), cos, includeValues ? VectorDocuments.values(s, sd.doc, name) : null,
                        includeMetadata ? VectorDocuments.metadata(stored.document(sd.doc, Set.of(VectorDocuments.META))) : null));
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
                TopDocs top = s.search(new TermQuery(new Term(VectorDocuments.ID, id)), 1);
                if (top.scoreDocs.length > 0) {
                    int doc = top.scoreDocs[0].doc;
                    out.put(id, new VectorRecord(id, VectorDocuments.values(s, doc, name), VectorDocuments.metadata(stored.document(doc))));
                }
            }
            return out;
        });
    }

    /** A page of ids in byte order, after {@code after} (exclusive) when given ({@link IdPages}). */
    public List<String> list(String prefix, String after, int limit) {
        return read(s -> IdPages.page(s.getIndexReader(), prefix, after, limit));
    }

    /** Sets the most matching documents of a segment compared outright (tests of both paths). */
    void exactSearchLimit(int max) {
        exactMax = max;
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
            for (ScoreDoc sd : top.scoreDocs) {
                out.add(VectorDocuments.id(s, sd.doc, name));
            }
            return out;
        });
    }

    @Override
    public void close() {
        try {
            searchers.close();
            if (writer == null) {
                readDirectory.close();
                return;
            }
            writer.close();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
