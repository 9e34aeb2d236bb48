package batchimage.vectors;

import batchimage.http.HttpFailure;

/** A Pinecone request that failed for good, with the status and Pinecone's message. */
public final class PineconeException extends HttpFailure {

    public PineconeException(String message, int status, boolean retryable) {
        super(message, status, retryable, null);
    }

    @Override
    public PineconeException afterAttempts(int attempts) {
        return new PineconeException(getMessage() + " (after " + attempts + " attempts)", status(), retryable());
    }
}
