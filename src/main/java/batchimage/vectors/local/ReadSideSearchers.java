package batchimage.vectors.local;

import batchimage.vectors.VectorRecord;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.apache.lucene.index.DirectoryReader;
import org.apache.lucene.index.FieldInfo;
import org.apache.lucene.index.FilterDirectoryReader;
import org.apache.lucene.index.FilterLeafReader;
import org.apache.lucene.index.IndexReader;
import org.apache.lucene.index.IndexWriter;
import org.apache.lucene.index.LeafReader;
import org.apache.lucene.index.LeafReaderContext;
import org.apache.lucene.index.MultiReader;
import org.apache.lucene.index.PostingsEnum;
import org.apache.lucene.index.SegmentInfos;
import org.apache.lucene.index.Terms;
import org.apache.lucene.index.TermsEnum;
import org.apache.lucene.search.DocIdSetIterator;
import org.apache.lucene.search.IndexSearcher;
import org.apache.lucene.search.ReferenceManager;
import org.apache.lucene.store.ByteBuffersDirectory;
import org.apache.lucene.store.Directory;
import org.apache.lucene.util.Bits;
import org.apache.lucene.util.BytesRef;
import org.apache.lucene.util.FixedBitSet;

/**
 * The searchers of a namespace opened read-side, by a process beside (or after) the one that writes it. The
 * writer acknowledges a write once its {@link WriteAheadLog} holds it and commits Lucene seldom, so a commit
 * alone misses acknowledged writes: all of them since the last commit after a crash. Each searcher here sees
 * the last commit with what the log holds applied on top, as the writer's recovery would apply it: the
 * records the log upserts in a small in-memory index, and every record the log touches hidden in the commit.
 * Nothing is written in the namespace's folder. A refresh builds a new view when the commit or the log changed.
 *
 * <p>Beside a live writer the log and the commit are read in an order that cannot miss a write: the log first,
 * then the commit; if the writer started a commit meanwhile (the log's set of files changed), both are read again.
 */
final class ReadSideSearchers extends ReferenceManager<IndexSearcher> {

    /** Reads of the log and the commit before giving up on a writer that keeps committing under them. */
    private static final int ATTEMPTS = 10;

    private final String name;
    private final Path folder;
    private final Directory dir;
    /** What the current searcher was built from. */
    private volatile Snapshot shown;

    /** The generation of the last commit (-1: none yet) and the log's files with their sizes. */
    private record Snapshot(long commit, Map<String, Long> logs) {
    }

    private ReadSideSearchers(String name, Path folder, Directory dir) throws IOException {
        this.name = name;
        this.folder = folder;
        this.dir = dir;
        this.current = build();
    }

    /** The searchers of the namespace in {@code folder}, or null when it holds neither a commit nor a logged write. */
    static ReadSideSearchers open(String name, Path folder, Directory dir) throws IOException {
        Snapshot now = snapshot(folder, dir);
        if (now.commit() < 0 && now.logs().isEmpty()) {
            return null;
        }
        return new ReadSideSearchers(name, folder, dir);
    }

    private static Snapshot snapshot(Path folder, Directory dir) throws IOException {
        return new Snapshot(SegmentInfos.getLastCommitGeneration(dir), WriteAheadLog.sizes(folder));
    }

    @Override
    protected IndexSearcher refreshIfNeeded(IndexSearcher old) throws IOException {
        return snapshot(folder, dir).equals(shown) ? null : build();
    }

    @Override
    protected void decRef(IndexSearcher s) throws IOException {
        s.getIndexReader().decRef();
    }

    @Override
    protected boolean tryIncRef(IndexSearcher s) {
        return s.getIndexReader().tryIncRef();
    }

    @Override
    protected int getRefCount(IndexSearcher s) {
        return s.getIndexReader().getRefCount();
    }

    private IndexSearcher build() throws IOException {
        for (int attempt = 1; attempt <= ATTEMPTS; attempt++) {
            Map<String, Long> logs = WriteAheadLog.sizes(folder);
            List<WriteAheadLog.Entry> entries = WriteAheadLog.read(folder, logs.keySet());
            if (entries == null) {
                continue;
            }
            DirectoryReader committed = DirectoryReader.indexExists(dir) ? DirectoryReader.open(dir) : null;
            // a commit begins by opening a new log file and ends by dropping the old ones: neither happened
            if (WriteAheadLog.sizes(folder).keySet().equals(logs.keySet())) {
                try {
                    IndexSearcher s = new IndexSearcher(view(committed, entries));
                    shown = new Snapshot(committed == null ? -1 : committed.getIndexCommit().getGeneration(), logs);
                    return s;
                } catch (IOException | RuntimeException e) {
                    if (committed != null) {
                        committed.close();
                    }
                    throw e;
                }
            }
            if (committed != null) {
                committed.close();
            }
        }
        throw new IllegalStateException("namespace '" + name + "' of the local index in " + folder
                + ": its writer committed " + ATTEMPTS + " times while this process read it; try again");
    }

    /** The commit with the logged writes on top: what the log touches is hidden there, what it upserts is added. */
    private IndexReader view(DirectoryReader committed, List<WriteAheadLog.Entry> entries) throws IOException {
        // the final state of each id the log touches (null: deleted), as the writer's replay leaves it
        var logged = new LinkedHashMap<String, VectorRecord>();
        int dimension = committed == null ? 0 : dimension(committed);
        for (WriteAheadLog.Entry e : entries) {
            if (e instanceof WriteAheadLog.Upsert u) {
                for (VectorRecord r : u.records()) {
                    if (dimension == 0) {
                        dimension = r.values().length;
                    }
                    // Lucene refused a vector of another size when it was written (it was never acknowledged)
                    if (r.values().length == dimension) {
                        logged.put(r.id(), r);
                    }
                }
            } else {
                for (String id : ((WriteAheadLog.Delete) e).ids()) {
                    logged.put(id, null);
                }
            }
        }
        DirectoryReader memory = memoryIndex(logged);
        if (committed == null) {
            return new MultiReader(new IndexReader[] {memory}, true);
        }
        return new MultiReader(new IndexReader[] {Hidden.of(committed, logged.keySet()), memory}, true);
    }

    /** The vector size of the commit, 0 when it holds no vector. */
    private static int dimension(DirectoryReader r) {
        for (LeafReaderContext leaf : r.leaves()) {
            FieldInfo f = leaf.reader().getFieldInfos().fieldInfo(VectorDocuments.VECTOR);
            if (f != null && f.getVectorDimension() > 0) {
                return f.getVectorDimension();
            }
        }
        return 0;
    }

    /** The logged records still upserted, as an index in memory written as the namespace's own. */
    private DirectoryReader memoryIndex(Map<String, VectorRecord> logged) throws IOException {
        var memory = new ByteBuffersDirectory();
        try (var w = new IndexWriter(memory, NamespaceWriter.config())) {
            for (VectorRecord r : logged.values()) {
                if (r != null) {
                    try {
                        w.addDocument(VectorDocuments.document(r));
                    } catch (IllegalArgumentException refused) {
                        // refused by the writer too, when it was first written
                    }
                }
            }
            w.commit();
        }
        DirectoryReader r = DirectoryReader.open(memory);
        r.getReaderCacheHelper().addClosedListener(key -> memory.close());
        return r;
    }

    /** The commit with the documents of some ids hidden (deleted or replaced by the log). */
    private static final class Hidden extends FilterDirectoryReader {

        static Hidden of(DirectoryReader in, Set<String> ids) throws IOException {
            return new Hidden(in, new SubReaderWrapper() {
                @Override
                public LeafReader wrap(LeafReader leaf) {
                    try {
                        FixedBitSet gone = documents(leaf, ids);
                        return gone == null ? leaf : new HiddenLeaf(leaf, gone);
                    } catch (IOException e) {
                        throw new UncheckedIOException(e);
                    }
                }
            });
        }

        private Hidden(DirectoryReader in, SubReaderWrapper wrapper) throws IOException {
            super(in, wrapper);
        }

        /** The documents of the leaf with one of these ids, or null when none has. */
        private static FixedBitSet documents(LeafReader leaf, Set<String> ids) throws IOException {
            Terms terms = leaf.terms(VectorDocuments.ID);
            if (terms == null || ids.isEmpty()) {
                return null;
            }
            FixedBitSet out = null;
            TermsEnum te = terms.iterator();
            PostingsEnum docs = null;
            for (String id : ids) {
                if (te.seekExact(new BytesRef(id))) {
                    docs = te.postings(docs, PostingsEnum.NONE);
                    for (int d = docs.nextDoc(); d != DocIdSetIterator.NO_MORE_DOCS; d = docs.nextDoc()) {
                        if (out == null) {
                            out = new FixedBitSet(leaf.maxDoc());
                        }
                        out.set(d);
                    }
                }
            }
            return out;
        }

        @Override
        protected DirectoryReader doWrapDirectoryReader(DirectoryReader in) {
            throw new UnsupportedOperationException("a read-side view is built again, not reopened");
        }

        @Override
        public CacheHelper getReaderCacheHelper() {
            return null;
        }
    }

    /** A segment of the commit with some documents hidden: they are not live. */
    private static final class HiddenLeaf extends FilterLeafReader {
        private final Bits live;
        private final int numDocs;

        HiddenLeaf(LeafReader in, FixedBitSet hidden) {
            super(in);
            var live = new FixedBitSet(in.maxDoc());
            Bits was = in.getLiveDocs();
            for (int d = 0; d < live.length(); d++) {
                if ((was == null || was.get(d)) && !hidden.get(d)) {
                    live.set(d);
                }
            }
            this.live = live;
            this.numDocs = live.cardinality();
        }

        @Override
        public Bits getLiveDocs() {
            return live;
        }

        @Override
        public int numDocs() {
            return numDocs;
        }

        @Override
        public CacheHelper getCoreCacheHelper() {
            return in.getCoreCacheHelper();
        }

        @Override
        public CacheHelper getReaderCacheHelper() {
            return null;
        }
    }
}
