package batchimage.pinecone;

import batchimage.http.RetryingHttp;

/** A Pinecone request that failed for good, with the status and Pinecone's message. */
public final class PineconeException extends RuntimeException implements RetryingHttp.Failure {

    private final int status;
    private final boolean retryable;

    public PineconeException(String message, int status, boolean retryable) {
        super(message);
        this.status = status;
        this.retryable = retryable;
    }

    @Override
    public PineconeException afterAttempts(int attempts) {
        return new PineconeException(getMessage() + " (after " + attempts + " attempts)", status, retryable);
    }

    @Override
    public int status() {
        return status;
    }

    @Override
    public boolean retryable() {
        return retryable;
    }
}
