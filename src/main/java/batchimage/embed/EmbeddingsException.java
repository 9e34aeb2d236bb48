package batchimage.embed;

/** An embeddings request that failed for good, with what came back: status, provider code, message. */
public final class EmbeddingsException extends RuntimeException {

    private final int status;
    private final boolean retryable;

    public EmbeddingsException(String message, int status, boolean retryable, Throwable cause) {
        super(message, cause);
        this.status = status;
        this.retryable = retryable;
    }

    /** HTTP status, or 0 when no answer came (timeout, connection refused). */
    public int status() {
        return status;
    }

    /** Whether waiting and trying again could help (throttling, server errors, timeouts). */
    public boolean retryable() {
        return retryable;
    }
}
