package batchimage.vectors.local;

import batchimage.vectors.Filter;
import batchimage.vectors.VectorRecord;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.ReentrantLock;
import org.apache.lucene.codecs.KnnVectorsFormat;
import org.apache.lucene.codecs.lucene912.Lucene912Codec;
import org.apache.lucene.document.Document;
import org.apache.lucene.index.IndexWriter;
import org.apache.lucene.index.IndexWriterConfig;
import org.apache.lucene.index.Term;
import org.apache.lucene.store.FSDirectory;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The write side of a namespace: Lucene's writer behind the {@link WriteAheadLog}. Writes are serialized; an
 * upsert or delete by id goes to the log (forced to disk) before Lucene applies it and before it is
 * acknowledged. Lucene commits only when the namespace has been idle for a while, when the log has grown
 * large, on a delete by filter and on close; at open, what the log holds beyond the last commit is applied
 * again (a crash loses nothing acknowledged).
 */
final class NamespaceWriter {

    /** Logged as the namespace's: one logger for all a namespace does. */
    private static final Logger LOG = LoggerFactory.getLogger(LuceneNamespace.class);
    /** The HNSW graph with SIMD dot products. */
    private static final KnnVectorsFormat VECTORS_FORMAT = new SimdVectorsFormat();
    /** Records per write-ahead log entry. */
    private static final int LOG_CHUNK = 1000;
    /** Commit once the namespace has had no write for this long, or its log holds this much. */
    static final long IDLE_COMMIT_NANOS = TimeUnit.SECONDS.toNanos(3);
    static final long MAX_LOG_BYTES = 256L << 20;

    private final String name;
    private final IndexWriter writer;
    private final WriteAheadLog log;
    /** Held by every write, and by a commit while it switches the log's generation. */
    private final ReentrantLock writeLock = new ReentrantLock();
    /** Held by a commit: one at a time, since each names the log generations it holds. */
    private final Object commitLock = new Object();
    /** Writes applied since the last commit began. */
    private volatile boolean uncommitted;
    /** Writes applied so far: a read that finds the searcher behind them refreshes it first. */
    private final AtomicLong applied = new AtomicLong();
    private volatile long lastWriteNanos = System.nanoTime();

    /** Opens the namespace's index for writing and applies again what its log holds beyond the last commit. */
    NamespaceWriter(String name, Path dir) throws IOException {
        this.name = name;
        this.writer = new IndexWriter(FSDirectory.open(dir), config());
        this.log = new WriteAheadLog(dir, covered(writer));
        int replayed = log.replayLeftOver(this::apply);
        if (replayed > 0) {
            commit(log.generation() - 1);
            LOG.info("namespace '{}': {} acknowledged writes recovered from the write-ahead log", name, replayed);
        }
        log.dropLeftOver();
    }

    /** How the namespace's Lucene index is written: the codec with {@link SimdVectorsFormat}, the RAM buffer. */
    static IndexWriterConfig config() {
        return new IndexWriterConfig().setOpenMode(IndexWriterConfig.OpenMode.CREATE_OR_APPEND)
                .setRAMBufferSizeMB(ramBufferMb())
                .setCodec(new Lucene912Codec() {
                    @Override
                    public KnnVectorsFormat getKnnVectorsFormatForField(String field) {
                        return VECTORS_FORMAT;
                    }
                });
    }

    /** An eighth of the heap, between 16 and 256 MB: enough to write 100,000 vectors of 384 dimensions as one segment. */
    private static double ramBufferMb() {
        long heapMb = Runtime.getRuntime().maxMemory() >> 20;
        return Math.max(16, Math.min(256, heapMb / 8));
    }

    /** The Lucene writer, whose near-real-time readers the namespace searches. */
    IndexWriter lucene() {
        return writer;
    }

    int upsert(List<VectorRecord> records) {
        var docs = new ArrayList<Document>(records.size());
        for (VectorRecord r : records) {
            docs.add(VectorDocuments.document(r));
        }
        write(() -> {
            for (int i = 0; i < records.size(); i += LOG_CHUNK) {
                log.append(new WriteAheadLog.Upsert(records.subList(i, Math.min(records.size(), i + LOG_CHUNK))));
            }
            for (int i = 0; i < docs.size(); i++) {
                writer.updateDocument(new Term(VectorDocuments.ID, records.get(i).id()), docs.get(i));
            }
        });
        return records.size();
    }

    void delete(Collection<String> ids) {
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
    void deleteMatching(Filter filter) {
        write(() -> {
            if (filter == null) {
                writer.deleteAll();
            } else {
                writer.deleteDocuments(LuceneFilters.toQuery(filter));
            }
        });
        commitNow();
    }

    /** How many writes were applied so far: a read refreshes the searcher when it was last refreshed before some of them. */
    long applied() {
        return applied.get();
    }

    @FunctionalInterface
    private interface Write {
        void run() throws IOException;
    }

    private void write(Write w) {
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
                        writer.updateDocument(new Term(VectorDocuments.ID, r.id()), VectorDocuments.document(r));
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
            terms[i] = new Term(VectorDocuments.ID, ids.get(i));
        }
        writer.deleteDocuments(terms);
    }

    /**
     * Commits when due: written to and then idle for {@link #IDLE_COMMIT_NANOS}, or the log past
     * {@link #MAX_LOG_BYTES}. Returns whether it committed.
     */
    boolean commitIfDue() {
        if (!uncommitted) {
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
    void commitNow() {
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

    /** Commits what is applied, empties the log and closes Lucene's writer (after the namespace's searchers). */
    void close() throws IOException {
        commitNow();
        log.close();
        log.deleteUpTo(Long.MAX_VALUE);
        writer.close();
    }
}
