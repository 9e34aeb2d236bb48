package batchimage.embed;

import batchimage.http.HttpFailure;

/** An embeddings request that failed for good, with what came back: status, provider code, message. */
public final class EmbeddingsException extends HttpFailure {

    public EmbeddingsException(String message, int status, boolean retryable, Throwable cause) {
        super(message, status, retryable, cause);
    }

    @Override
    public EmbeddingsException afterAttempts(int attempts) {
        return new EmbeddingsException(getMessage() + " (after " + attempts + " attempts)", status(), retryable(), this);
    }
}
