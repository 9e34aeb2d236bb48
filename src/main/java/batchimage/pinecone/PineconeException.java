package batchimage.pinecone;

/** A Pinecone request that failed for good, with the status and Pinecone's message. */
public final class PineconeException extends RuntimeException {

    private final int status;
    private final boolean retryable;

    public PineconeException(String message, int status, boolean retryable) {
        super(message);
        this.status = status;
        this.retryable = retryable;
    }

    public int status() {
        return status;
    }

    public boolean retryable() {
        return retryable;
    }
}
