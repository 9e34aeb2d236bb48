package batchimage.index;


import batchimage.embed.EmbeddingsClient;
import batchimage.index.DimensionCheck;
import batchimage.index.IndexBatch;
import batchimage.index.ModelRecord;
import batchimage.index.Namespaces;
import batchimage.vectors.PineconeClient;
import batchimage.http.ApiError;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.util.LinkedHashMap;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A full reindex (the sync route in mode {@code full}): every active record is embedded anew, for instance
 * after a change of embedding model. The new vectors go into a new generation of the namespaces (see
 * {@link Namespaces}) while search keeps answering from the live one, with the model that made it; when no
 * record waits any more, the new generation becomes the live one and the old one is removed. A model of
 * another vector size cannot share the index: the app's own index is then emptied and rebuilt in place
 * (search finds only what is re-embedded until the end); a Pinecone index is refused with what to do.
 */
public final class FullReindex {

    private static final Logger LOG = LoggerFactory.getLogger(FullReindex.class);

    /** Every active record pending with no vector in the generation its fingerprints describe (the new one). */
    private static final String QUEUE = """
            UPDATE image_library SET prompt_fp = NULL, description_fp = NULL,
                index_state = 'pending', index_attempts = 0, index_error = NULL, next_attempt_at = NULL, claimed_at = NULL, claimed_by = NULL
            WHERE status = 'active'
            """;

    private final PineconeClient index;
    private final EmbeddingsClient embeddings;
    private final DimensionCheck dimensions;
    private final ModelRecord models;
    private final Namespaces namespaces;

    public FullReindex(PineconeClient index, EmbeddingsClient embeddings, DimensionCheck dimensions, ModelRecord models, Namespaces namespaces) {
        this.index = index;
        this.embeddings = embeddings;
        this.dimensions = dimensions;
        this.models = models;
        this.namespaces = namespaces;
    }

    /** Refuses (409, with what to do) when the model's vectors cannot go into this index: another size, and not the app's own index. */
    public void check() {
        if (!dimensions.agree() && !dimensions.local()) {
            throw new ApiError(409, dimensions.problem(), null);
        }
    }

    /** Queues every active record of the library for a new embedding (within a sync run, under its lock); records what it did in the run. */
    public RunUnderLock start(RunUnderLock run) throws SQLException {
        check();
        boolean rebuild = !dimensions.agree();
        String model = embeddings.config().model();
        int size = embeddings.dimensions();
        var c = run.lock();
        ModelRecord.Model before = ModelRecord.read(c);
        if (before != null && before.building() != null) {
            // a build under way starts again from nothing
            for (String ns : IndexBatch.NAMESPACES) {
                index.deleteAll(Namespaces.name(ns, before.building()));
            }
        }
        if (rebuild) {
            LOG.warn("full reindex: {}; the local index is emptied and rebuilt for {}", dimensions.problem(), model);
            for (String ns : IndexBatch.NAMESPACES) {
                index.deleteAll(Namespaces.name(ns, before == null ? 0 : before.generation()));
            }
        }
        long queued;
        Integer building = null;
        c.setAutoCommit(false);
        try (PreparedStatement ps = c.prepareStatement(QUEUE)) {
            queued = ps.executeUpdate();
            if (rebuild) {
                models.rebuildStarted(c, model, size, queued);
            } else {
                // a library indexed before models were recorded: its vectors are taken to be this model's
                building = models.buildStarted(c, model, size, model, size, queued);
            }
            c.commit();
        } catch (SQLException | RuntimeException e) {
            c.rollback();
            throw e;
        } finally {
            c.setAutoCommit(true);
        }
        if (building != null) {
            // what an earlier build of this number may have left
            for (String ns : IndexBatch.NAMESPACES) {
                index.deleteAll(Namespaces.name(ns, building));
            }
        }
        namespaces.forget();
        dimensions.reset();
        var out = new LinkedHashMap<String, Object>();
        out.put("queued", queued);
        out.put("model", model);
        out.put("dimensions", size);
        out.put("rebuilt_local_index", rebuild);
        out.put("generation", building);
        run.drift().put("full", out);
        if (building != null) {
            LOG.info("full reindex: {} active records are pending, to be embedded with {} ({} dimensions) into generation {} ({}, {});"
                    + " search answers from generation {} until every record is there", queued, model, size, building,
                    Namespaces.name("prompt", building), Namespaces.name("description", building), before == null ? 0 : before.generation());
        } else {
            LOG.info("full reindex: {} active records are pending, to be embedded with {} ({} dimensions) into the emptied local index",
                    queued, model, size);
        }
        return run;
    }

    /**
     * Ends the full reindex under way when no active record waits to be indexed: the generation it built becomes
     * the live one and the old one's vectors are removed. Called by the index route after each round and by the
     * sync; a failure is logged and left for the next call.
     */
    public void finishIfDone() {
        try {
            // the index route asks every round: the record as last read (at most a second old) says whether one is under way
            ModelRecord.Model seen = namespaces.state();
            if (seen == null || seen.fullStartedAt() == null || seen.fullFinishedAt() != null) {
                return;
            }
            ModelRecord.Model before = models.finishIfDone();
            if (before == null) {
                return;
            }
            namespaces.forget();
            if (before.building() == null) {
                LOG.info("full reindex done: every active record is embedded with {}", before.model());
                return;
            }
            LOG.info("full reindex done: search now answers from generation {}, embedded with {}; the vectors of generation {} ({}) are removed",
                    before.building(), before.buildingModel(), before.generation(), before.model());
            for (String ns : IndexBatch.NAMESPACES) {
                try {
                    index.deleteAll(Namespaces.name(ns, before.generation()));
                } catch (RuntimeException e) {
                    LOG.warn("cannot remove the vectors of generation {} from {} now ({}); the next sync empties it",
                            before.generation(), Namespaces.name(ns, before.generation()), e.getMessage());
                }
            }
        } catch (RuntimeException e) {
            LOG.warn("cannot end the full reindex yet: {}", e.getMessage());
        }
    }

    /** Where the full reindex under way (or the last one) stands, or null when there was none. */
    public static Map<String, Object> progress(java.sql.Connection c, ModelRecord.Model m) throws SQLException {
        if (m == null || m.fullStartedAt() == null) {
            return null;
        }
        var out = new LinkedHashMap<String, Object>();
        out.put("started_at", m.fullStartedAt().toString());
        out.put("finished_at", m.fullFinishedAt() == null ? null : m.fullFinishedAt().toString());
        out.put("model", m.building() != null ? m.buildingModel() : m.model());
        out.put("generation", m.building() != null ? m.building() : m.generation());
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
