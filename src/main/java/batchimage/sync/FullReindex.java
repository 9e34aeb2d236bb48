package batchimage.sync;

import batchimage.embed.EmbeddingsClient;
import batchimage.index.DimensionCheck;
import batchimage.index.IndexBatch;
import batchimage.index.ModelRecord;
import batchimage.pinecone.PineconeClient;
import batchimage.search.ApiError;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.util.LinkedHashMap;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A full reindex (the sync route in mode {@code full}): every active record is pending again and is embedded
 * anew by the index route, for instance after a change of embedding model. The vectors are replaced in
 * place, record by record: search keeps answering throughout, each record from its old vector until its new
 * one is written. A model of another vector size cannot write into the old index: the app's own index is
 * then emptied and rebuilt (search finds only what is re-embedded until the end); a Pinecone index is
 * refused with what to do.
 */
public final class FullReindex {

    private static final Logger LOG = LoggerFactory.getLogger(FullReindex.class);
    /** A fingerprint no content hashes to: the record keeps its vector (search still finds it) but is embedded again. */
    static final String STALE = "reembed";

    private static final String QUEUE = """
            UPDATE image_library SET
                prompt_fp = CASE WHEN ? OR prompt_fp IS NULL THEN NULL ELSE '%1$s' END,
                description_fp = CASE WHEN ? OR description_fp IS NULL THEN NULL ELSE '%1$s' END,
                index_state = 'pending', index_attempts = 0, index_error = NULL, next_attempt_at = NULL, claimed_at = NULL, claimed_by = NULL
            WHERE status = 'active'
            """.formatted(STALE);

    private final PineconeClient index;
    private final EmbeddingsClient embeddings;
    private final DimensionCheck dimensions;
    private final ModelRecord models;

    public FullReindex(PineconeClient index, EmbeddingsClient embeddings, DimensionCheck dimensions, ModelRecord models) {
        this.index = index;
        this.embeddings = embeddings;
        this.dimensions = dimensions;
        this.models = models;
    }

    /** Refuses (409, with what to do) when the model's vectors cannot go into this index: another size, and not the app's own index. */
    public void check() {
        if (!dimensions.agree() && !dimensions.local()) {
            throw new ApiError(409, dimensions.problem(), null);
        }
    }

    /** Queues every active record of the library for a new embedding (within a sync run, under its lock); records what it did in the run. */
    public Synchronizer.Run start(Synchronizer.Run run) throws SQLException {
        check();
        boolean rebuild = !dimensions.agree();
        if (rebuild) {
            LOG.warn("full reindex: {}; the local index is emptied and rebuilt for {}", dimensions.problem(), embeddings.config().model());
            for (String ns : IndexBatch.NAMESPACES) {
                index.deleteAll(ns);
            }
        }
        String model = embeddings.config().model();
        int size = embeddings.dimensions();
        long queued;
        var c = run.lock;
        c.setAutoCommit(false);
        try (PreparedStatement ps = c.prepareStatement(QUEUE)) {
            ps.setBoolean(1, rebuild);
            ps.setBoolean(2, rebuild);
            queued = ps.executeUpdate();
            models.fullReindexStarted(c, model, size, queued);
            c.commit();
        } catch (SQLException | RuntimeException e) {
            c.rollback();
            throw e;
        } finally {
            c.setAutoCommit(true);
        }
        dimensions.reset();
        var out = new LinkedHashMap<String, Object>();
        out.put("queued", queued);
        out.put("model", model);
        out.put("dimensions", size);
        out.put("rebuilt_local_index", rebuild);
        run.drift.put("full", out);
        LOG.info("full reindex: {} active records are pending, to be embedded again with {} ({} dimensions){}", queued, model, size,
                rebuild ? "; the local index was emptied for them" : "; search answers from their old vectors until each is replaced");
        return run;
    }

    /** Where the full reindex under way (or the last one) stands, or null when there was none. */
    public static Map<String, Object> progress(java.sql.Connection c, ModelRecord.Model m) throws SQLException {
        if (m == null || m.fullStartedAt() == null) {
            return null;
        }
        var out = new LinkedHashMap<String, Object>();
        out.put("started_at", m.fullStartedAt().toString());
        out.put("finished_at", m.fullFinishedAt() == null ? null : m.fullFinishedAt().toString());
        out.put("model", m.model());
        out.put("queued", m.fullQueued());
        try (PreparedStatement ps = c.prepareStatement("""
                SELECT count(*) FILTER (WHERE index_state = 'indexed' AND indexed_at >= ?),
                       count(*) FILTER (WHERE index_state IN ('pending', 'indexing')),
                       count(*) FILTER (WHERE index_state = 'failed')
                FROM image_library WHERE status = 'active'""")) {
            ps.setObject(1, m.fullStartedAt());
            try (var rs = ps.executeQuery()) {
                rs.next();
                out.put("done", rs.getLong(1));
                out.put("pending", rs.getLong(2));
                out.put("failed", rs.getLong(3));
            }
        }
        return out;
    }
}
