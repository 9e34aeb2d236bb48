package batchimage.embed;

import batchimage.http.RetryingHttp;

/** An embeddings request that failed for good, with what came back: status, provider code, message. */
public final class EmbeddingsException extends RuntimeException implements RetryingHttp.Failure {

    private final int status;
    private final boolean retryable;

    public EmbeddingsException(String message, int status, boolean retryable, Throwable cause) {
        super(message, cause);
        this.status = status;
        this.retryable = retryable;
    }

    @Override
    public EmbeddingsException afterAttempts(int attempts) {
        return new EmbeddingsException(getMessage() + " (after " + attempts + " attempts)", status, retryable, this);
    }

    /** HTTP status, or 0 when no answer came (timeout, connection refused). */
    @Override
    public int status() {
        return status;
    }

    /** Whether waiting and trying again could help (throttling, server errors, timeouts). */
    @Override
    public boolean retryable() {
        return retryable;
    }
}
