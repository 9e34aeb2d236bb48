package batchimage.index;

import batchimage.embed.EmbeddingsClient;
import batchimage.vectors.PineconeClient;
import java.nio.file.Path;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Before anything is upserted: the index's dimension (describe_index_stats) must be the model's, or
 * every upsert would be refused after paying for its embeddings. When they differ nothing is indexed and
 * the reason says what to do; records stay pending. An index without a dimension (sparse, or a local
 * index not yet written to) takes any. Once they agree, the model is compared with the one the library's vectors
 * were made with ({@link ModelRecord}): another model of the same size is allowed, with a notice saying to run a
 * full reindex.
 */
public final class DimensionCheck {

    private static final Logger LOG = LoggerFactory.getLogger(DimensionCheck.class);
    /** After the index or the model could not be asked, indexing goes on and they are asked again this much later. */
    private static final long RETRY_MS = 30_000;

    private final PineconeClient pinecone;
    private final EmbeddingsClient embeddings;
    private final Path localIndex;
    private final ModelRecord models;
    private boolean agreed;
    private String problem;
    private String modelNotice;
    private long nextAttempt;

    /** {@code localIndex}: the folder of the app's own index, or null for Pinecone; {@code models}: null to skip the model comparison. */
    public DimensionCheck(PineconeClient pinecone, EmbeddingsClient embeddings, Path localIndex, ModelRecord models) {
        this.pinecone = pinecone;
        this.embeddings = embeddings;
        this.localIndex = localIndex;
        this.models = models;
    }

    /** Whether the vectors live in the app's own index (which a full reindex can rebuild for a model of another size). */
    public boolean local() {
        return localIndex != null;
    }

    /** Forgets what was found: the index was rebuilt, or the model's record changed; the next {@link #agree()} asks again. */
    public synchronized void reset() {
        agreed = false;
        problem = null;
        modelNotice = null;
        nextAttempt = 0;
    }

    /** False only when the dimensions are known to differ; asks the index and the model the first time. */
    public synchronized boolean agree() {
        if (agreed || problem != null) {
            return agreed;
        }
        if (System.currentTimeMillis() < nextAttempt) {
            return true;
        }
        try {
            var stats = pinecone.stats();
            int index = stats.dimension();
            int model = index == 0 ? 0 : embeddings.dimensions();
            if (index == 0 || index == model) {
                compareModel(stats, model);
                agreed = true;
                return true;
            }
            problem = message(index, embeddings.config().model(), model);
            LOG.error(problem);
            return false;
        } catch (RuntimeException e) {
            nextAttempt = System.currentTimeMillis() + RETRY_MS;
            LOG.warn("cannot compare the index's dimension with the model's yet ({}): indexing goes on, asked again in {} s",
                    e.getMessage(), RETRY_MS / 1000);
            return true;
        }
    }

    /**
     * Records this model when the library has none recorded, or when the namespaces hold no vector yet; warns once
     * when the vectors were made with another model of the same size.
     */
    private void compareModel(PineconeClient.Stats stats, int known) {
        if (models == null) {
            return;
        }
        String name = embeddings.config().model();
        int dims = known > 0 ? known : embeddings.dimensions();
        boolean empty = stats.namespaces().values().stream().allMatch(n -> n == 0);
        ModelRecord.Model recorded = empty ? models.replaceUnlessReindexing(name, dims) : models.recordIfAbsent(name, dims);
        modelNotice = ModelRecord.sameSizeNotice(recorded, name, dims);
        if (modelNotice != null) {
            LOG.warn(modelNotice);
        }
    }

    /** Why this model should not go on adding vectors to the index without a full reindex (another model of the same size made them), or null. */
    public synchronized String modelNotice() {
        agree();
        return modelNotice;
    }

    /** What is wrong and what to do, once {@link #agree()} has found the dimensions differ; else null. */
    public synchronized String problem() {
        return problem;
    }

    String message(int index, String modelName, int model) {
        String head = "the index has " + index + " dimensions but the model " + modelName + " gives " + model
                + ": nothing is indexed until they agree (records stay pending). ";
        if (localIndex != null) {
            // removing the folder does not re-queue records already marked indexed: the message must not promise a rebuild
            return head + "The local index in " + localIndex + " was built with a model of " + index + " dimensions: rebuild it for this"
                    + " model with a full reindex (bin/batch-image reindex --full, or POST /api/reindex {\"mode\": \"full\"}; every record is"
                    + " embedded again, and search finds only what is re-embedded until it ends),"
                    + " or go back to a model of " + index + " dimensions (EMBEDDINGS_MODEL, EMBEDDINGS_DIMENSIONS).";
        }
        return head + "Create a Pinecone index of " + model + " dimensions, set PINECONE_INDEX (or PINECONE_HOST) to it and run a full"
                + " reindex (bin/batch-image reindex --full) to fill it, or choose a model of " + index + " dimensions (EMBEDDINGS_MODEL, EMBEDDINGS_DIMENSIONS). Index: " + pinecone.base();
    }
}
