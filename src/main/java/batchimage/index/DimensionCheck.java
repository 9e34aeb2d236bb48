package batchimage.index;

import batchimage.embed.EmbeddingsClient;
import batchimage.pinecone.PineconeClient;
import java.nio.file.Path;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Before anything is upserted: the index's dimension (describe_index_stats) must be the model's, or
 * every upsert would be refused after paying for its embeddings. When they differ nothing is indexed and
 * the reason says what to do; records stay pending. An index without a dimension (sparse, or a local
 * index not yet written to) takes any.
 */
public final class DimensionCheck {

    private static final Logger LOG = LoggerFactory.getLogger(DimensionCheck.class);
    /** After the index or the model could not be asked, indexing goes on and they are asked again this much later. */
    private static final long RETRY_MS = 30_000;

    private final PineconeClient pinecone;
    private final EmbeddingsClient embeddings;
    private final Path localIndex;
    private boolean agreed;
    private String problem;
    private long nextAttempt;

    /** {@code localIndex}: the folder of the app's own index, or null for Pinecone. */
    public DimensionCheck(PineconeClient pinecone, EmbeddingsClient embeddings, Path localIndex) {
        this.pinecone = pinecone;
        this.embeddings = embeddings;
        this.localIndex = localIndex;
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
            int index = pinecone.stats().dimension();
            int model = index == 0 ? 0 : embeddings.dimensions();
            if (index == 0 || index == model) {
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

    /** What is wrong and what to do, once {@link #agree()} has found the dimensions differ; else null. */
    public synchronized String problem() {
        return problem;
    }

    String message(int index, String modelName, int model) {
        String head = "the index has " + index + " dimensions but the model " + modelName + " gives " + model
                + ": nothing is indexed until they agree (records stay pending). ";
        if (localIndex != null) {
            // removing the folder does not re-queue records already marked indexed: the message must not promise a rebuild
            return head + "The local index in " + localIndex + " was built with a model of " + index + " dimensions: stop batch-image"
                    + " and remove that folder to start it afresh for this model (records already indexed are not queued again by this),"
                    + " or go back to a model of " + index + " dimensions (EMBEDDINGS_MODEL, EMBEDDINGS_DIMENSIONS).";
        }
        return head + "Create a Pinecone index of " + model + " dimensions and set PINECONE_INDEX (or PINECONE_HOST) to it,"
                + " or choose a model of " + index + " dimensions (EMBEDDINGS_MODEL, EMBEDDINGS_DIMENSIONS). Index: " + pinecone.base();
    }
}
