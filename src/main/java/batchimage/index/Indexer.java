package batchimage.index;

import batchimage.embed.EmbeddingsClient;
import batchimage.vectors.VectorRecord;
import batchimage.vectors.PineconeClient;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HexFormat;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.NoSuchElementException;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import javax.sql.DataSource;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The steps of the index route: claim pending records in batches ({@code FOR UPDATE SKIP LOCKED}, so
 * that several instances share the work), embed what changed, upsert to a namespace, and record per
 * namespace the fingerprint that was indexed. A record whose fingerprint for a namespace equals the one
 * last indexed is not embedded again.
 */
public final class Indexer implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(Indexer.class);
    private static final ObjectMapper JSON = new ObjectMapper();
    /** index.retry-seconds and index.max-attempts as application.properties gives them. */
    public static final int DEFAULT_RETRY_SECONDS = 5;
    public static final int DEFAULT_MAX_ATTEMPTS = 8;

    private static final String CLAIM = """
            UPDATE image_library t SET index_state = 'indexing', claimed_at = ?, claimed_by = ?
            WHERE t.id IN (
                SELECT id FROM image_library
                WHERE index_state = 'pending' AND status = 'active'
                  AND (next_attempt_at IS NULL OR next_attempt_at <= now())
                ORDER BY id LIMIT ? FOR UPDATE SKIP LOCKED)
            RETURNING id, name, file_path, prompt, description, theme, sub_theme, prompt_fp, description_fp, source_file, index_attempts
            """;

    /**
     * Only rows still claimed by this batch are written: a record re-imported meanwhile stays pending. Every instance's
     * lexical index takes the record's words from this transaction on (lexical_xid), whatever became of its vectors:
     * they are made of the content claimed, which is current.
     */
    private static final String FINISH = """
            UPDATE image_library SET
                lexical_xid = pg_current_xact_id(),
                prompt_fp = ?, description_fp = ?,
                index_state = CASE WHEN ? THEN 'indexed' WHEN index_attempts + 1 >= ? THEN 'failed' ELSE 'pending' END,
                index_error = ?,
                index_attempts = CASE WHEN ? THEN 0 ELSE index_attempts + 1 END,
                next_attempt_at = CASE WHEN ? THEN NULL ELSE now() + make_interval(secs => least(3600, ? * power(2, index_attempts))) END,
                indexed_at = CASE WHEN ? THEN now() ELSE indexed_at END,
                claimed_at = NULL, claimed_by = NULL
            WHERE id = ?::uuid AND index_state = 'indexing' AND claimed_at = ?
            """;

    /** Claims older than the limit whose process no longer renews its row in index_worker (never this process's). */
    private static final String RELEASE_STALE = """
            UPDATE image_library t SET index_state = 'pending', claimed_at = NULL, claimed_by = NULL
            WHERE index_state = 'indexing' AND claimed_at < now() - make_interval(secs => ?)
              AND claimed_by IS DISTINCT FROM ?
              AND NOT EXISTS (SELECT 1 FROM index_worker w
                              WHERE w.worker = t.claimed_by AND w.seen_at >= now() - make_interval(secs => ?))
            """;

    private static final String HEARTBEAT = """
            INSERT INTO index_worker (worker, seen_at) VALUES (?, now())
            ON CONFLICT (worker) DO UPDATE SET seen_at = now()
            """;

    private static final String FORGET_WORKERS = "DELETE FROM index_worker WHERE seen_at < now() - interval '1 day'";

    /** The claims of processes of this machine that ended (killed): pending again at once, not after the stale period. */
    private static final String RELEASE_ENDED = """
            WITH ended AS (DELETE FROM index_worker WHERE worker = ANY (?) RETURNING worker)
            UPDATE image_library SET index_state = 'pending', claimed_at = NULL, claimed_by = NULL
            WHERE index_state = 'indexing' AND claimed_by = ANY (?)
            """;

    private final DataSource dataSource;
    private final EmbeddingsClient embeddings;
    private final PineconeClient pinecone;
    private final int staleSeconds;
    private final DimensionCheck dimensions;
    private final Namespaces namespaces;
    private final int retrySeconds;
    private final int maxAttempts;
    private final OnIndexed onIndexed;
    private final Map<String, Map<String, AtomicLong>> counts = new ConcurrentHashMap<>();
    /** This process, as its claims name it. */
    private final String worker = batchimage.store.Holders.newHolder();
    private final ScheduledExecutorService heartbeat = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "index-heartbeat");
        t.setDaemon(true);
        return t;
    });

    public Indexer(DataSource dataSource, EmbeddingsClient embeddings, PineconeClient pinecone, int staleSeconds, DimensionCheck dimensions) {
        this(dataSource, embeddings, pinecone, staleSeconds, dimensions, DEFAULT_RETRY_SECONDS, DEFAULT_MAX_ATTEMPTS);
    }

    /**
     * @param retrySeconds a failed record is tried again after this many seconds, doubling each time (at most an hour)
     * @param maxAttempts  after this many failed attempts a record is marked failed instead of being retried
     */
    public Indexer(DataSource dataSource, EmbeddingsClient embeddings, PineconeClient pinecone, int staleSeconds, DimensionCheck dimensions,
                   int retrySeconds, int maxAttempts) {
        this(dataSource, embeddings, pinecone, staleSeconds, dimensions, retrySeconds, maxAttempts, new Namespaces(null), OnIndexed.NONE);
    }

    /** What else a batch's success settles (the dead letters of its records), in the transaction that records it. */
    @FunctionalInterface
    public interface OnIndexed {
        OnIndexed NONE = (c, retries) -> 0;

        /**
         * {@code retries}: each record now indexed in every namespace, with the failed attempts before this one;
         * answers how many things it settled, for {@link #committed}.
         */
        int indexed(Connection c, Map<String, Integer> retries) throws SQLException;

        /** The transaction of {@link #indexed} is committed. */
        default void committed(int settled) {
        }
    }

    /**
     * {@code namespaces}: where the vectors go (the generation a full reindex builds, else the live one);
     * {@code onIndexed}: told of the records each batch indexed, in the transaction that marks them so.
     */
    public Indexer(DataSource dataSource, EmbeddingsClient embeddings, PineconeClient pinecone, int staleSeconds, DimensionCheck dimensions,
                   int retrySeconds, int maxAttempts, Namespaces namespaces, OnIndexed onIndexed) {
        this.namespaces = namespaces;
        this.onIndexed = onIndexed;
        this.retrySeconds = Math.max(1, retrySeconds);
        this.maxAttempts = Math.max(1, maxAttempts);
        this.dataSource = dataSource;
        this.embeddings = embeddings;
        this.pinecone = pinecone;
        this.staleSeconds = staleSeconds;
        this.dimensions = dimensions;
        // renewed three times per stale period: a live process's claims are never taken from it, however slow its batch
        long every = Math.max(1000L, staleSeconds * 1000L / 3);
        heartbeat.scheduleWithFixedDelay(this::beat, 0, every, TimeUnit.MILLISECONDS);
    }

    private static final String LET_GO = """
            UPDATE image_library SET index_state = 'pending', claimed_at = NULL, claimed_by = NULL
            WHERE claimed_by = ? AND index_state = 'indexing'
            """;

    /** Stops renewing; what this process still has claimed is pending again, for the others. */
    @Override
    public void close() {
        heartbeat.shutdownNow();
        try (Connection c = dataSource.getConnection(); PreparedStatement let = c.prepareStatement(LET_GO);
             PreparedStatement gone = c.prepareStatement("DELETE FROM index_worker WHERE worker = ?")) {
            let.setString(1, worker);
            let.executeUpdate();
            gone.setString(1, worker);
            gone.executeUpdate();
        } catch (SQLException | RuntimeException e) {
            LOG.debug("cannot give back this process's claims at close: {}", e.getMessage());
        }
    }

    /** Tells the other processes that this one is alive (its claims stay its own). */
    void beat() {
        try (Connection c = dataSource.getConnection(); PreparedStatement ps = c.prepareStatement(HEARTBEAT);
             PreparedStatement forget = c.prepareStatement(FORGET_WORKERS)) {
            ps.setString(1, worker);
            ps.executeUpdate();
            forget.executeUpdate();
        } catch (SQLException | RuntimeException e) {
            LOG.warn("cannot renew this process's claims on records being indexed: {}", e.getMessage());
        }
    }

    /**
     * Batches of pending records, each claimed when the route asks for it; ends when nothing is pending.
     * None while the index's dimension differs from the model's: the records stay pending.
     */
    public Iterator<IndexBatch> pendingBatches(int size) throws SQLException {
        if (!dimensions.agree()) {
            return Collections.emptyIterator();
        }
        releaseStale();
        return new Iterator<>() {
            private IndexBatch next;
            private boolean done;

            @Override
            public boolean hasNext() {
                if (next == null && !done) {
                    try {
                        next = claim(size);
                    } catch (SQLException e) {
                        throw new IllegalStateException("cannot claim records to index: " + e.getMessage(), e);
                    }
                    done = next == null;
                }
                return next != null;
            }

            @Override
            public IndexBatch next() {
                if (!hasNext()) {
                    throw new NoSuchElementException();
                }
                IndexBatch b = next;
                next = null;
                return b;
            }
        };
    }

    /** Why nothing can be indexed (the index's dimension differs from the model's), or null; asks them if not yet done. */
    public String dimensionProblem() {
        return dimensions.agree() ? null : dimensions.problem();
    }

    /** Claims of a process that stopped (its row in index_worker not renewed) are given back after {@code index.stale-claim-seconds}. */
    public int releaseStale() throws SQLException {
        try (Connection c = dataSource.getConnection(); PreparedStatement ps = c.prepareStatement(RELEASE_STALE);
             Statement st = c.createStatement(); ResultSet workers = st.executeQuery("SELECT worker FROM index_worker")) {
            var ended = new ArrayList<String>();
            while (workers.next()) {
                if (batchimage.store.Holders.endedHere(workers.getString(1))) {
                    ended.add(workers.getString(1));
                }
            }
            int n = 0;
            if (!ended.isEmpty()) {
                try (PreparedStatement release = c.prepareStatement(RELEASE_ENDED)) {
                    release.setArray(1, c.createArrayOf("text", ended.toArray()));
                    release.setArray(2, c.createArrayOf("text", ended.toArray()));
                    n += release.executeUpdate();
                }
            }
            ps.setInt(1, staleSeconds);
            ps.setString(2, worker);
            ps.setInt(3, staleSeconds);
            n += ps.executeUpdate();
            if (n > 0) {
                LOG.info("{} records claimed by a process that stopped are pending again", n);
            }
            return n;
        }
    }

    IndexBatch claim(int size) throws SQLException {
        OffsetDateTime now = OffsetDateTime.now();
        var items = new ArrayList<IndexBatch.Item>();
        try (Connection c = dataSource.getConnection(); PreparedStatement ps = c.prepareStatement(CLAIM)) {
            ps.setObject(1, now);
            ps.setString(2, worker);
            ps.setInt(3, size);
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    items.add(item(rs));
                }
            }
        }
        return items.isEmpty() ? null : new IndexBatch(items, now);
    }

    private IndexBatch.Item item(ResultSet rs) throws SQLException {
        String id = rs.getString("id");
        String prompt = rs.getString("prompt");
        String description = rs.getString("description");
        Map<String, Object> meta = IndexTexts.metadata(rs.getString("name"), rs.getString("file_path"), description,
                rs.getString("theme"), rs.getString("sub_theme"), prompt);
        var text = Map.of("prompt", IndexTexts.promptText(prompt), "description", description == null ? "" : description.strip());
        var metadata = Map.of("prompt", meta, "description", meta);
        var old = new LinkedHashMap<String, String>();
        old.put("prompt", rs.getString("prompt_fp"));
        old.put("description", rs.getString("description_fp"));
        var fresh = new LinkedHashMap<String, String>();
        for (String ns : IndexBatch.NAMESPACES) {
            fresh.put(ns, text.get(ns).isEmpty() ? null : fingerprint(ns, text.get(ns), meta));
        }
        return new IndexBatch.Item(id, rs.getString("source_file"), text, metadata, old, fresh, rs.getInt("index_attempts"));
    }

    /** A hash of exactly what goes into a namespace: text, metadata, model and dimensions. */
    String fingerprint(String namespace, String text, Map<String, Object> metadata) {
        try {
            var md = MessageDigest.getInstance("SHA-256");
            var cfg = embeddings.config();
            md.update((namespace + "\n" + cfg.model() + "\n" + cfg.dimensions() + "\n").getBytes(StandardCharsets.UTF_8));
            md.update(text.getBytes(StandardCharsets.UTF_8));
            md.update(JSON.writeValueAsBytes(metadata));
            return HexFormat.of().formatHex(md.digest(), 0, 16);
        } catch (NoSuchAlgorithmException | com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Embeds, in one go for both namespaces, the texts whose fingerprint changed. */
    public IndexBatch embed(IndexBatch batch) {
        var texts = new ArrayList<String>();
        var targets = new ArrayList<Object[]>();
        for (IndexBatch.Item it : batch.items) {
            for (String ns : IndexBatch.NAMESPACES) {
                if (it.needsVector(ns)) {
                    texts.add(it.text.get(ns));
                    targets.add(new Object[] {it, ns});
                }
            }
        }
        List<float[]> vectors = embeddings.embed(texts);
        for (int i = 0; i < vectors.size(); i++) {
            var it = (IndexBatch.Item) targets.get(i)[0];
            String ns = (String) targets.get(i)[1];
            it.vector.put(ns, vectors.get(i));
            count(it.sourceFile, ns, "embedded", 1);
        }
        return batch;
    }

    /** Upserts a namespace's new vectors and removes the vectors of texts that became empty. */
    public IndexBatch upsert(IndexBatch batch, String namespace) {
        var records = new ArrayList<VectorRecord>();
        var deletes = new ArrayList<String>();
        for (IndexBatch.Item it : batch.items) {
            float[] v = it.vector.get(namespace);
            if (v != null) {
                records.add(new VectorRecord(it.id, v, it.metadata.get(namespace)));
            } else if (it.needsDelete(namespace)) {
                deletes.add(it.id);
            }
        }
        if (!records.isEmpty()) {
            pinecone.upsert(namespaces.write(namespace), records);
            for (IndexBatch.Item it : batch.items) {
                if (it.vector.containsKey(namespace)) {
                    count(it.sourceFile, namespace, "upserted", 1);
                }
            }
        }
        if (!deletes.isEmpty()) {
            for (String physical : namespaces.all(namespace)) {
                pinecone.delete(physical, deletes);
            }
        }
        return batch;
    }

    /**
     * Writes what each record now has in each namespace; failed namespaces keep their old fingerprint and retry later.
     * The records indexed are told to {@code onIndexed} in the same transaction.
     */
    public IndexBatch finish(IndexBatch batch) throws SQLException {
        String failure = batch.failure();
        boolean ok = failure == null;
        try (Connection c = dataSource.getConnection(); PreparedStatement ps = c.prepareStatement(FINISH)) {
            c.setAutoCommit(false);
            for (IndexBatch.Item it : batch.items) {
                ps.setString(1, batch.failed("prompt") ? it.oldFingerprint.get("prompt") : it.newFingerprint.get("prompt"));
                ps.setString(2, batch.failed("description") ? it.oldFingerprint.get("description") : it.newFingerprint.get("description"));
                ps.setBoolean(3, ok);
                ps.setInt(4, maxAttempts);
                ps.setString(5, ok ? null : failure);
                ps.setBoolean(6, ok);
                ps.setBoolean(7, ok);
                ps.setInt(8, retrySeconds);
                ps.setBoolean(9, ok);
                ps.setString(10, it.id);
                ps.setObject(11, batch.claimedAt);
                ps.addBatch();
            }
            try {
                int[] written = ps.executeBatch();
                var indexed = new LinkedHashMap<String, Integer>();
                for (int k = 0; k < written.length; k++) {
                    // a record re-imported meanwhile was not written: it waits for its next round
                    if (ok && written[k] != 0) {
                        indexed.put(batch.items.get(k).id, batch.items.get(k).attempts);
                    }
                }
                int settled = indexed.isEmpty() ? 0 : onIndexed.indexed(c, indexed);
                c.commit();
                if (settled > 0) {
                    onIndexed.committed(settled);
                }
            } catch (SQLException | RuntimeException e) {
                c.rollback();
                throw e;
            }
        }
        if (failure != null) {
            LOG.warn("{} records stay pending: {}", batch.size(), failure);
        }
        return batch;
    }

    private void count(String file, String ns, String what, long n) {
        counts.computeIfAbsent(file == null ? "" : file, f -> new ConcurrentHashMap<>())
                .computeIfAbsent(ns + "." + what, k -> new AtomicLong()).addAndGet(n);
    }

    /** Texts embedded and vectors upserted per namespace for records of a source file, since start. */
    public Map<String, Long> counts(String sourceFile) {
        var out = new LinkedHashMap<String, Long>();
        for (String ns : IndexBatch.NAMESPACES) {
            for (String what : List.of("embedded", "upserted")) {
                var m = counts.get(sourceFile);
                AtomicLong v = m == null ? null : m.get(ns + "." + what);
                out.put(ns + "." + what, v == null ? 0 : v.get());
            }
        }
        return out;
    }

    /** Texts embedded or vectors upserted ({@code what}: embedded, upserted) to a namespace by this process, all files together. */
    public long total(String namespace, String what) {
        long n = 0;
        for (var m : counts.values()) {
            AtomicLong v = m.get(namespace + "." + what);
            n += v == null ? 0 : v.get();
        }
        return n;
    }
}
